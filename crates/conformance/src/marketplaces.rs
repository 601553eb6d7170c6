//! The clients the harness knows, one entry per spec, each with obviously fake
//! credentials that the fixtures record.

use futures::future::BoxFuture;
use marketplace_runtime::replay::{Call, Outcome};
use marketplace_runtime::{
    Auth, ClientBuilder, FixedClock, GeneratedClient, MetroHmac, RetryPolicy,
};

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

/// A generated `replay::decode_response`: operation id, status and body in; `None`
/// if the spec documents no JSON body there, else whether the body decodes.
pub type DecodeResponse = fn(&str, u16, &[u8]) -> Option<Result<(), String>>;

/// A spec's client, as the harness drives it.
pub struct Marketplace {
    /// Spec name (`specs/<name>.yaml`).
    pub name: &'static str,
    /// Builds the client against the mock and replays one call.
    pub replay: fn(ReplayContext, Call) -> BoxFuture<'static, Outcome>,
    /// Decodes bytes as every response type of the spec (fuzzing, property tests):
    /// the generated `replay::decode_every_response`.
    pub decode: fn(&[u8]) -> usize,
    /// Decodes bytes as the response type the spec documents for an operation and
    /// status (`None` if it documents no JSON body): the generated
    /// `replay::decode_response`.
    pub decode_response: DecodeResponse,
    /// The fake secrets the replay client is given (keys, client secrets, tokens):
    /// the secret-leak test checks none of them appears in any output.
    pub secrets: &'static [&'static str],
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
/// The receiver URL METRO event deliveries are signed for: the spec's placeholder
/// server, so that signatures do not depend on the mock server's port.
pub const METRO_EVENTS_SIGNED_ORIGIN: &str = "https://seller.example.invalid";

/// Every registered client.
pub const MARKETPLACES: &[Marketplace] = &[
    Marketplace {
        name: "lectronz",
        decode: marketplace_lectronz::replay::decode_every_response,
        decode_response: marketplace_lectronz::replay::decode_response,
        secrets: &[LECTRONZ_FAKE_API_KEY],
        replay: |cx, call| {
            Box::pin(async move {
                let client = match build::<marketplace_lectronz::Client>(
                    &cx,
                    Auth::bearer(LECTRONZ_FAKE_API_KEY),
                ) {
                    Ok(client) => client,
                    Err(outcome) => return outcome,
                };
                marketplace_lectronz::replay::dispatch(&client, &call).await
            })
        },
    },
    Marketplace {
        name: "skyhub-sac",
        decode: marketplace_skyhub_sac::replay::decode_every_response,
        decode_response: marketplace_skyhub_sac::replay::decode_response,
        secrets: &[SKYHUB_FAKE_API_KEY, SKYHUB_FAKE_ACCOUNT_MANAGER_KEY],
        replay: |cx, call| {
            Box::pin(async move {
                let auth = Auth::skyhub(
                    SKYHUB_FAKE_USER_EMAIL,
                    SKYHUB_FAKE_API_KEY,
                    SKYHUB_FAKE_ACCOUNT_MANAGER_KEY,
                );
                let client = match build::<marketplace_skyhub_sac::Client>(&cx, auth) {
                    Ok(client) => client,
                    Err(outcome) => return outcome,
                };
                marketplace_skyhub_sac::replay::dispatch(&client, &call).await
            })
        },
    },
    Marketplace {
        name: "yandex-market-chats",
        decode: marketplace_yandex_market_chats::replay::decode_every_response,
        decode_response: marketplace_yandex_market_chats::replay::decode_response,
        secrets: &[YANDEX_MARKET_FAKE_API_KEY],
        replay: |cx, call| {
            Box::pin(async move {
                let auth = Auth::yandex_api_key(YANDEX_MARKET_FAKE_API_KEY);
                let client = match build::<marketplace_yandex_market_chats::Client>(&cx, auth) {
                    Ok(client) => client,
                    Err(outcome) => return outcome,
                };
                marketplace_yandex_market_chats::replay::dispatch(&client, &call).await
            })
        },
    },
    Marketplace {
        name: "metro-message-center",
        decode: marketplace_metro_message_center::replay::decode_every_response,
        decode_response: marketplace_metro_message_center::replay::decode_response,
        secrets: &[METRO_FAKE_CLIENT_SECRET],
        replay: |cx, call| {
            Box::pin(async move {
                let signed_origin = marketplace_metro_message_center::SANDBOX_BASE_URL;
                let auth = match metro_auth(&cx, signed_origin) {
                    Ok(auth) => auth,
                    Err(outcome) => return outcome,
                };
                let client = match build::<marketplace_metro_message_center::Client>(&cx, auth) {
                    Ok(client) => client,
                    Err(outcome) => return outcome,
                };
                marketplace_metro_message_center::replay::dispatch(&client, &call).await
            })
        },
    },
    Marketplace {
        name: "metro-subscriptions",
        decode: marketplace_metro_subscriptions::replay::decode_every_response,
        decode_response: marketplace_metro_subscriptions::replay::decode_response,
        secrets: &[METRO_FAKE_CLIENT_SECRET],
        replay: |cx, call| {
            Box::pin(async move {
                let signed_origin = marketplace_metro_subscriptions::SANDBOX_BASE_URL;
                let auth = match metro_auth(&cx, signed_origin) {
                    Ok(auth) => auth,
                    Err(outcome) => return outcome,
                };
                let client = match build::<marketplace_metro_subscriptions::Client>(&cx, auth) {
                    Ok(client) => client,
                    Err(outcome) => return outcome,
                };
                marketplace_metro_subscriptions::replay::dispatch(&client, &call).await
            })
        },
    },
    Marketplace {
        name: "metro-events",
        decode: marketplace_metro_events::replay::decode_every_response,
        decode_response: marketplace_metro_events::replay::decode_response,
        secrets: &[METRO_EVENTS_FAKE_CLIENT_SECRET],
        replay: |cx, call| {
            Box::pin(async move {
                let signer = marketplace_runtime::MetroHmac::new(
                    METRO_EVENTS_FAKE_CLIENT_KEY,
                    METRO_EVENTS_FAKE_CLIENT_SECRET,
                )
                .clock(marketplace_runtime::FixedClock(cx.now.unwrap_or_default()))
                .signed_origin(METRO_EVENTS_SIGNED_ORIGIN);
                let auth = Auth::from(marketplace_metro_events::DeliverySigning::new(signer));
                let client = match build::<marketplace_metro_events::Client>(&cx, auth) {
                    Ok(client) => client,
                    Err(outcome) => return outcome,
                };
                marketplace_metro_events::replay::dispatch(&client, &call).await
            })
        },
    },
    Marketplace {
        name: "yandex-market-notifications",
        decode: marketplace_yandex_market_notifications::replay::decode_every_response,
        decode_response: marketplace_yandex_market_notifications::replay::decode_response,
        // Yandex Market sends no credentials with its notifications.
        secrets: &[],
        replay: |cx, call| {
            Box::pin(async move {
                let auth = Auth::custom(marketplace_yandex_market_notifications::Unsigned);
                let client =
                    match build::<marketplace_yandex_market_notifications::Client>(&cx, auth) {
                        Ok(client) => client,
                        Err(outcome) => return outcome,
                    };
                marketplace_yandex_market_notifications::replay::dispatch(&client, &call).await
            })
        },
    },
];

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
/// every METRO fixture must record), and the signature computed for METRO's sandbox
/// host (`signed_origin`) rather than the mock server's address, which changes on
/// every run: so a fixture's `x-signature` is the one METRO's sandbox would check for
/// that method, path, query, body and timestamp.
fn metro_auth(cx: &ReplayContext, signed_origin: &str) -> Result<Auth, Outcome> {
    let now = cx.now.ok_or_else(|| {
        Outcome::BadArguments(
            "METRO requests are signed with a timestamp: the fixture needs `now`".into(),
        )
    })?;
    Ok(Auth::from(
        MetroHmac::new(METRO_FAKE_CLIENT_ID, METRO_FAKE_CLIENT_SECRET)
            .clock(FixedClock(now))
            .signed_origin(signed_origin),
    ))
}

/// The registered client for `spec`.
pub fn find(spec: &str) -> Option<&'static Marketplace> {
    MARKETPLACES.iter().find(|m| m.name == spec)
}
