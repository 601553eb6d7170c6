//! The clients the harness knows: one entry per client the umbrella crate is built
//! with, generated from the specs (build.rs); each replays with the obviously fake
//! credentials of its auth scheme, which the fixtures record.

use futures::future::BoxFuture;
use marketplace_runtime::{
    Auth, ClientBuilder, DeliverySigning, FixedClock, GeneratedClient, MetroHmac, RetryPolicy,
};

use crate::call::{Call, Outcome};

/// What a replay needs besides the call.
#[derive(Clone, Debug)]
pub struct ReplayContext {
    /// The mock server's URL plus the spec's base path.
    pub base_url: String,
    /// The fixture's clock (Unix seconds), for signed requests.
    pub now: Option<i64>,
    /// Retry policy: none for fixture replay (one exchange, one request).
    pub retry: RetryPolicy,
    /// Overall request timeout, if not the default.
    pub timeout: Option<std::time::Duration>,
}

/// A generated `decode_response`: operation id, status and body in; `None`
/// if the spec documents no JSON body there, else whether the body decodes.
pub type DecodeResponse = fn(&str, u16, &[u8]) -> Option<Result<(), String>>;

/// A generated `response_schema`: operation id and status in; the name and JSON
/// Schema (schemars) of the generated type the spec documents there, if any.
pub type ResponseSchema = fn(&str, u16) -> Option<(&'static str, serde_json::Value)>;

/// A spec's client, as the harness drives it.
pub struct Marketplace {
    /// Spec name (`specs/<name>.yaml`).
    pub name: &'static str,
    /// Builds the client against the mock and replays one call.
    pub replay: fn(ReplayContext, Call) -> BoxFuture<'static, Outcome>,
    /// Decodes bytes as every response type of the spec (fuzzing, property tests):
    /// the generated `decode_every_response`.
    pub decode: fn(&[u8]) -> usize,
    /// Decodes bytes as the response type the spec documents for an operation and
    /// status (`None` if it documents no JSON body): the generated
    /// `decode_response`.
    pub decode_response: DecodeResponse,
    /// The JSON Schema schemars derives for the response type the spec documents
    /// for an operation and status: the generated `response_schema`.
    pub response_schema: ResponseSchema,
    /// The auth scheme of the client's first constructor (`x-marketplace`), whose
    /// fake credentials the replay uses.
    pub auth: &'static str,
    /// The origin of the spec's first server: what METRO fixtures are signed for.
    pub signed_origin: &'static str,
}

/// The fake Lectronz API key every Lectronz fixture records.
pub const LECTRONZ_FAKE_API_KEY: &str = "fake-lectronz-api-key";

/// The fake SkyHub seller e-mail every SkyHub fixture records (not a secret:
/// it identifies the account and is shown by `Debug`).
pub const SKYHUB_FAKE_USER_EMAIL: &str = "fake-seller@example.com";
/// The fake SkyHub API key every SkyHub fixture records.
pub const SKYHUB_FAKE_API_KEY: &str = "fake-skyhub-api-key";
/// The fake SkyHub account-manager key every SkyHub fixture records.
pub const SKYHUB_FAKE_ACCOUNT_MANAGER_KEY: &str = "fake-skyhub-account-manager-key";

/// The fake Yandex Market API-Key token every Yandex Market chats fixture records.
pub const YANDEX_MARKET_FAKE_API_KEY: &str = "fake-yandex-market-api-key";

/// The fake METRO client key (`X-Client-Id`) every METRO fixture records (not a
/// secret: it identifies the key pair and is shown by `Debug`).
pub const METRO_FAKE_CLIENT_ID: &str = "fake-metro-client-id";
/// The fake METRO client secret the `X-Signature` of every METRO fixture is made with.
pub const METRO_FAKE_CLIENT_SECRET: &str = "fake-metro-client-secret";

/// The fake METRO Client Key every METRO event-delivery fixture records (`x-client`;
/// not a secret).
pub const METRO_EVENTS_FAKE_CLIENT_KEY: &str = "fake-metro-events-client-key";
/// The fake METRO Client Secret that signs every METRO event-delivery fixture.
pub const METRO_EVENTS_FAKE_CLIENT_SECRET: &str = "fake-metro-events-client-secret";

/// The fake credentials of each auth scheme (`x-marketplace`), in the order the
/// scheme takes them, and which of them are secret: every fixture of a spec using
/// the scheme records them.
const FAKE_CREDENTIALS: &[(&str, &[&str], &[&str])] = &[
    ("bearer", &[LECTRONZ_FAKE_API_KEY], &[LECTRONZ_FAKE_API_KEY]),
    (
        "skyhub",
        &[
            SKYHUB_FAKE_USER_EMAIL,
            SKYHUB_FAKE_API_KEY,
            SKYHUB_FAKE_ACCOUNT_MANAGER_KEY,
        ],
        &[SKYHUB_FAKE_API_KEY, SKYHUB_FAKE_ACCOUNT_MANAGER_KEY],
    ),
    (
        "yandex-api-key",
        &[YANDEX_MARKET_FAKE_API_KEY],
        &[YANDEX_MARKET_FAKE_API_KEY],
    ),
    (
        "metro-hmac",
        &[METRO_FAKE_CLIENT_ID, METRO_FAKE_CLIENT_SECRET],
        &[METRO_FAKE_CLIENT_SECRET],
    ),
    (
        "metro-delivery",
        &[
            METRO_EVENTS_FAKE_CLIENT_KEY,
            METRO_EVENTS_FAKE_CLIENT_SECRET,
        ],
        &[METRO_EVENTS_FAKE_CLIENT_SECRET],
    ),
    ("unsigned", &[], &[]),
];

// `MARKETPLACES`: one entry per client the umbrella crate was built with, and one
// module per client holding its generated dispatcher and decoders (build.rs).
include!(concat!(env!("OUT_DIR"), "/marketplaces.rs"));

impl Marketplace {
    /// The fake secrets the replay client is given (keys, client secrets, tokens):
    /// the secret-leak test checks none of them appears in any output.
    pub fn secrets(&self) -> &'static [&'static str] {
        fake_credentials(self.auth).map_or(&[], |(_, secrets)| secrets)
    }
}

fn fake_credentials(scheme: &str) -> Option<(&'static [&'static str], &'static [&'static str])> {
    FAKE_CREDENTIALS
        .iter()
        .find(|(name, _, _)| *name == scheme)
        .map(|(_, values, secrets)| (*values, *secrets))
}

/// The client of a replay, built against the mock with the fake credentials of
/// `scheme` (METRO's signed for `signed_origin` at the fixture's clock).
pub(crate) fn client<C: GeneratedClient + std::fmt::Debug>(
    cx: &ReplayContext,
    scheme: &str,
    signed_origin: &str,
) -> Result<C, Outcome> {
    build(cx, auth(cx, scheme, signed_origin)?)
}

/// The fake credentials of `scheme` as the runtime's `Auth`.
fn auth(cx: &ReplayContext, scheme: &str, signed_origin: &str) -> Result<Auth, Outcome> {
    let (values, _) = fake_credentials(scheme).ok_or_else(|| {
        Outcome::BadArguments(format!(
            "no fake credentials for auth scheme `{scheme}` in crates/conformance/src/marketplaces.rs"
        ))
    })?;
    let value = |i: usize| values[i];
    Ok(match scheme {
        "bearer" => Auth::bearer(value(0)),
        "skyhub" => Auth::skyhub(value(0), value(1), value(2)),
        "yandex-api-key" => Auth::yandex_api_key(value(0)),
        "metro-hmac" => Auth::from(metro_signer(cx, values, signed_origin)?),
        "metro-delivery" => Auth::from(DeliverySigning::new(metro_signer(
            cx,
            values,
            signed_origin,
        )?)),
        "unsigned" => Auth::unsigned(),
        other => {
            return Err(Outcome::BadArguments(format!(
                "the replay cannot build credentials of scheme `{other}`"
            )));
        }
    })
}

/// Builds a client for a replay. The builder and the client are logged with their
/// `Debug` output, so the secret-leak test sees them along with all other tracing.
fn build<C: GeneratedClient + std::fmt::Debug>(
    cx: &ReplayContext,
    auth: Auth,
) -> Result<C, Outcome> {
    let mut builder =
        ClientBuilder::<C>::new(cx.base_url.clone(), auth).retry_policy(cx.retry.clone());
    if let Some(timeout) = cx.timeout {
        builder = builder.timeout(timeout);
    }
    tracing::debug!(?builder, "building a client for replay");
    let client = builder
        .build()
        .map_err(|e| Outcome::BadArguments(format!("cannot build the client: {e}")))?;
    tracing::debug!(?client, "client built for replay");
    Ok(client)
}

/// METRO signing for a replay: the fake key pair, the fixture's clock (`now`, which
/// every METRO fixture must record), and the signature computed for the host the
/// spec names first (`signed_origin`: METRO's sandbox, or the placeholder receiver)
/// rather than the mock server's address, which changes on every run: so a
/// fixture's `x-signature` is the one that host would check for that method, path,
/// query, body and timestamp.
fn metro_signer(
    cx: &ReplayContext,
    values: &[&str],
    signed_origin: &str,
) -> Result<MetroHmac, Outcome> {
    let now = cx.now.ok_or_else(|| {
        Outcome::BadArguments(
            "METRO requests are signed with a timestamp: the fixture needs `now`".into(),
        )
    })?;
    Ok(MetroHmac::new(values[0], values[1])
        .clock(FixedClock(now))
        .signed_origin(signed_origin))
}

/// The registered client for `spec`.
pub fn find(spec: &str) -> Option<&'static Marketplace> {
    MARKETPLACES.iter().find(|m| m.name == spec)
}
