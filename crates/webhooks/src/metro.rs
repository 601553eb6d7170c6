//! METRO Markets service event subscription: order events POSTed to the seller's URL.
//!
//! METRO requires the answer `200` with exactly `{"status":"OK"}`, also for the
//! `test_connection` event it sends when a subscription is created or changed (a
//! subscription whose URL answers otherwise cannot be created). Anything else is
//! answered with an error and the body of `specs/metro-events.yaml`'s `EventRejected`.
//!
//! # Signatures: an assumption to confirm
//!
//! Deliveries carry `x-client`, `x-timestamp` and `x-signature`, but METRO documents
//! neither what is signed nor how. The subscription is bound to the seller's API key
//! pair ("if you change API Keys, you will need to subscribe to the event again"), so
//! [`SigningScheme::RequestSigning`], the default, assumes deliveries are signed like
//! METRO's own API requests: `x-client` is the Client Key and `x-signature` is
//! HMAC-SHA256, keyed with the Client Secret, of
//! `POST\n<receiver URL>\n<raw body>\n<x-timestamp>` (see
//! [`marketplace_runtime::MetroHmac`]), written in lower-case hex (base64 and
//! upper-case hex are accepted too, as METRO's documentation is ambiguous about the
//! encoding). **Confirm it against a real `test_connection` delivery** before relying
//! on it: if that delivery is answered `401 invalid_signature`, first check that the
//! receiver URL is exactly the subscription's `url` (the `DEBUG` log of the rejection
//! names the URL used); if it is, capture the delivery (headers and body) and configure
//! the scheme it reveals with [`SigningScheme::custom`]. [`signed_test_headers`] signs
//! test deliveries for your own tests.
//!
//! Verification happens before the body is parsed: the size limit (`413`), the media
//! type (`415`), the three headers (`401`), the timestamp window (default ±5 minutes,
//! `401`), the signature (constant-time, `401`), and only then the JSON (`400`).
//!
//! # Duplicates
//!
//! METRO does not document retries. A delivery whose `messageId` the application
//! already has is acknowledged (`200 {"status":"OK"}`) and not handed over again. When
//! its content differs from the copy handed over (compared as canonical JSON, so
//! formatting and key order do not count), it is still not handed over, and a
//! `WARN` names the `messageId`. A copy arriving while another copy of the same
//! `messageId` is being handled is answered `503 in_progress` (logged at `WARN`).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use http::{HeaderMap, StatusCode};
use marketplace_runtime::MetroHmac;
use serde_json::Value;

pub use marketplace_metro_events::types;

use crate::ConfigError;
use crate::handover::{HandOver, Handler, hand_over};
use crate::reply::{Precheck, Rejection, Reply, clip, precheck};
use crate::settings::Settings;

/// The headers of a signed delivery, lower-case as METRO sends them.
pub const CLIENT_HEADER: &str = "x-client";
/// See [`CLIENT_HEADER`].
pub const TIMESTAMP_HEADER: &str = "x-timestamp";
/// See [`CLIENT_HEADER`].
pub const SIGNATURE_HEADER: &str = "x-signature";

/// One verified delivery: the envelope's fields and the typed event.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Delivery {
    /// The envelope's `messageId`: the same for every copy of one delivery.
    pub message_id: String,
    /// The envelope's `event`, as sent (`order_line_cancelled` and
    /// `order_line_canceled` both give [`Event::OrderLineCanceled`]).
    pub name: types::EventName,
    /// The envelope's `emittedAt`, when present.
    pub emitted_at: Option<DateTime<Utc>>,
    /// The Client Key that signed it (`x-client`); empty when decoded with
    /// [`Delivery::from_json`], which checks no signature.
    pub client: String,
    /// The payload, typed by the event name.
    pub event: Event,
}

/// A METRO event, with its payload typed by the generated types of
/// `specs/metro-events.yaml`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// `test_connection`: sent when a subscription is created or changed. Answered by
    /// the receiver itself; never handed to the application.
    TestConnection(types::TestConnectionPayload),
    /// `order_created`: an order (order line) was placed.
    OrderCreated(types::OrderCreatedPayload),
    /// `order_line_shipped`: the seller shipped an order line in Seller Office.
    OrderLineShipped(types::OrderLineShippedPayload),
    /// `order_line_canceled` or `order_line_cancelled`: an order line was cancelled.
    OrderLineCanceled(types::OrderLineCanceledPayload),
    /// An event this version of the SDK does not know.
    Other {
        /// The envelope's `event`, verbatim.
        event: String,
        /// The whole delivery (the envelope) as received.
        raw: Value,
    },
}

impl Delivery {
    /// Decodes a delivery's JSON (envelope and payload) without checking any
    /// signature: for tests and for replaying captured deliveries.
    pub fn from_json(body: &[u8]) -> Result<Delivery, String> {
        let raw: Value = serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
        let envelope: types::EventEnvelope = marketplace_runtime::decode::from_value(&raw)
            .map_err(|e| format!("not a METRO event envelope: {e}"))?;
        if envelope.message_id.is_empty() {
            return Err("`messageId` is empty".into());
        }
        fn typed<X: serde::de::DeserializeOwned>(
            payload: serde_json::Map<String, Value>,
            name: &types::EventName,
            wrap: fn(X) -> Event,
        ) -> Result<Event, String> {
            marketplace_runtime::decode::from_value(&Value::Object(payload))
                .map(wrap)
                .map_err(|e| format!("not a valid `{name}` payload: {e}"))
        }
        use types::EventName as N;
        let name = envelope.event;
        let event = match &name {
            N::TestConnection => typed(envelope.payload, &name, Event::TestConnection)?,
            N::OrderCreated => typed(envelope.payload, &name, Event::OrderCreated)?,
            N::OrderLineShipped => typed(envelope.payload, &name, Event::OrderLineShipped)?,
            N::OrderLineCanceled | N::OrderLineCancelled => {
                typed(envelope.payload, &name, Event::OrderLineCanceled)?
            }
            other => Event::Other {
                event: other.as_str().to_owned(),
                raw,
            },
        };
        Ok(Delivery {
            message_id: envelope.message_id,
            name,
            emitted_at: envelope.emitted_at,
            client: String::new(),
            event,
        })
    }

    /// The key under which the dedupe store remembers this delivery:
    /// `metro|<SHA-256 of its messageId, 64 hex digits>`, a fixed size whatever the
    /// sender puts in the id.
    ///
    /// ```
    /// use marketplace_webhooks::metro::Delivery;
    ///
    /// let body = br#"{"messageId":"m-1","event":"test_connection","payload":{}}"#;
    /// let key = Delivery::from_json(body).unwrap().dedupe_key();
    /// assert!(key.starts_with("metro|"));
    /// assert_eq!(key.len(), "metro|".len() + 64);
    /// ```
    pub fn dedupe_key(&self) -> String {
        crate::digest::key("metro", [self.message_id.as_bytes()])
    }
}

/// The headers METRO would send with `body` delivered to `receiver_url`, signed at
/// `timestamp` (Unix seconds) with a key pair under the default
/// [`SigningScheme::RequestSigning`]: `content-type`, `x-client`, `x-timestamp` and a
/// lower-case hex `x-signature`. For testing your own handlers and your deployed URL
/// without re-implementing the HMAC (the counterpart of Stripe's
/// `generate_test_header`); the signature is the runtime's [`MetroHmac::signature`].
///
/// ```
/// use marketplace_webhooks::metro::{MetroReceiver, signed_test_headers};
///
/// let url = "https://shop.example.com/hooks/metro-markets/events";
/// let body = br#"{"messageId":"m-1","event":"test_connection","payload":{}}"#;
/// let headers = signed_test_headers(body, url, "my-client-key", "my-client-secret", 1_772_530_260);
/// let receiver = MetroReceiver::new(url, "my-client-key", "my-client-secret").unwrap();
/// assert!(receiver.verify(&headers, body, 1_772_530_260).is_ok());
/// ```
///
/// # Panics
///
/// When `client_key` cannot be an HTTP header value (a test setting, not input).
pub fn signed_test_headers(
    body: &[u8],
    receiver_url: &str,
    client_key: &str,
    client_secret: &str,
    timestamp: i64,
) -> HeaderMap {
    let signature =
        MetroHmac::new(client_key, client_secret).signature("POST", receiver_url, body, timestamp);
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    headers.insert(
        CLIENT_HEADER,
        http::HeaderValue::from_str(client_key).expect("the client key is a valid header value"),
    );
    headers.insert(TIMESTAMP_HEADER, http::HeaderValue::from(timestamp));
    headers.insert(
        SIGNATURE_HEADER,
        http::HeaderValue::from_str(&signature).expect("hex is a valid header value"),
    );
    headers
}

/// What a delivery's signature covers, for [`SigningScheme`]s.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct SignedParts<'a> {
    /// The receiver's URL as configured (the subscription's `url`).
    pub receiver_url: &'a str,
    /// The raw body, byte for byte.
    pub body: &'a [u8],
    /// `x-timestamp`, verbatim (digits only: anything else is refused earlier).
    pub timestamp: &'a str,
    /// `x-client`, verbatim.
    pub client: &'a str,
}

type StringToSign = dyn Fn(&SignedParts<'_>) -> Vec<u8> + Send + Sync;

/// The text a delivery's HMAC-SHA256 (keyed with the Client Secret) is computed over.
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum SigningScheme {
    /// `POST\n<receiver URL>\n<raw body>\n<x-timestamp>`: how METRO signs its own API
    /// requests ([`MetroHmac::string_to_sign`]). The default, **unconfirmed** for
    /// deliveries (see the [module docs](self)).
    #[default]
    RequestSigning,
    /// Any other text; see [`SigningScheme::custom`].
    Custom(Arc<StringToSign>),
}

impl SigningScheme {
    /// A scheme computing its own string to sign, still HMAC-SHA256 keyed with the
    /// Client Secret and compared in constant time. For example, if real deliveries
    /// turn out to sign the body and timestamp only:
    ///
    /// ```
    /// use marketplace_webhooks::metro::SigningScheme;
    ///
    /// let scheme = SigningScheme::custom(|parts| {
    ///     [parts.body, b"\n", parts.timestamp.as_bytes()].concat()
    /// });
    /// ```
    pub fn custom(
        string_to_sign: impl Fn(&SignedParts<'_>) -> Vec<u8> + Send + Sync + 'static,
    ) -> Self {
        SigningScheme::Custom(Arc::new(string_to_sign))
    }

    /// The text to sign for `parts`.
    pub fn string_to_sign(&self, parts: &SignedParts<'_>) -> Vec<u8> {
        match self {
            SigningScheme::RequestSigning => {
                let mut text = Vec::with_capacity(
                    parts.receiver_url.len() + parts.body.len() + parts.timestamp.len() + 8,
                );
                for (i, field) in [
                    b"POST".as_slice(),
                    parts.receiver_url.as_bytes(),
                    parts.body,
                    parts.timestamp.as_bytes(),
                ]
                .into_iter()
                .enumerate()
                {
                    if i > 0 {
                        text.push(b'\n');
                    }
                    text.extend_from_slice(field);
                }
                text
            }
            SigningScheme::Custom(f) => f(parts),
        }
    }
}

impl std::fmt::Debug for SigningScheme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SigningScheme::RequestSigning => f.write_str("RequestSigning"),
            SigningScheme::Custom(_) => f.write_str("Custom(..)"),
        }
    }
}

/// One accepted key pair.
struct Credential {
    client_key: String,
    signer: MetroHmac,
}

/// The METRO Markets event receiver: configuration plus the framework-free pipeline
/// ([`verify`](MetroReceiver::verify), [`receive`](MetroReceiver::receive)).
///
/// `Debug` shows the client keys, never the secrets.
#[derive(Clone)]
pub struct MetroReceiver {
    receiver_url: String,
    credentials: Vec<Arc<Credential>>,
    scheme: SigningScheme,
    window_secs: u64,
    settings: Settings,
}

impl std::fmt::Debug for MetroReceiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let keys: Vec<&str> = self
            .credentials
            .iter()
            .map(|c| c.client_key.as_str())
            .collect();
        let mut out = f.debug_struct("MetroReceiver");
        out.field("receiver_url", &self.receiver_url)
            .field("client_keys", &keys)
            .field("scheme", &self.scheme)
            .field("window_secs", &self.window_secs);
        self.settings.debug_fields(&mut out);
        out.finish_non_exhaustive()
    }
}

impl MetroReceiver {
    /// The default timestamp window: ±5 minutes, as METRO's own API accepts.
    pub const DEFAULT_WINDOW: Duration = Duration::from_secs(300);

    /// A receiver for deliveries to `receiver_url` (exactly the subscription's `url`:
    /// it is signed), signed with the key pair the subscription was created with.
    ///
    /// **When every delivery is answered `401 invalid_signature`, check this URL
    /// first**: it must be the subscription's `url` byte for byte (`https` not `http`,
    /// the public host and port rather than the one the server binds, the same
    /// trailing slash or none). The receiver logs the URL it checked against at
    /// `DEBUG` with each such rejection.
    ///
    /// Defaults: [`SigningScheme::RequestSigning`], ±5 minutes, 1 MiB, an
    /// [`InMemoryDedupe`](crate::InMemoryDedupe), the system clock.
    pub fn new(
        receiver_url: &str,
        client_key: &str,
        client_secret: &str,
    ) -> Result<Self, ConfigError> {
        let is_url = ["https://", "http://"]
            .iter()
            .any(|scheme| receiver_url.len() > scheme.len() && receiver_url.starts_with(scheme));
        if !is_url {
            return Err(ConfigError(format!(
                "the receiver URL must be the subscription's absolute http(s) URL; got {receiver_url:?}"
            )));
        }
        let receiver = MetroReceiver {
            receiver_url: receiver_url.to_owned(),
            credentials: Vec::new(),
            scheme: SigningScheme::default(),
            window_secs: Self::DEFAULT_WINDOW.as_secs(),
            settings: Settings::default(),
        };
        receiver.also_accept(client_key, client_secret)
    }

    /// Also accepts deliveries signed with another key pair, so that rotating METRO
    /// API keys drops no delivery: configure the new pair next to the old one, move
    /// the subscriptions, then remove the old pair. `x-client` selects the pairs to
    /// try; a client key may appear with several secrets (a rotated secret), each of
    /// which is tried.
    pub fn also_accept(
        mut self,
        client_key: &str,
        client_secret: &str,
    ) -> Result<Self, ConfigError> {
        if client_key.is_empty() || client_secret.is_empty() {
            return Err(ConfigError(
                "the client key and secret must not be empty".into(),
            ));
        }
        self.credentials.push(Arc::new(Credential {
            client_key: client_key.to_owned(),
            signer: MetroHmac::new(client_key, client_secret),
        }));
        Ok(self)
    }

    /// What the signature covers (default [`SigningScheme::RequestSigning`]).
    pub fn signing_scheme(mut self, scheme: SigningScheme) -> Self {
        self.scheme = scheme;
        self
    }

    /// How far `x-timestamp` may be from the clock, either way (default ±5 minutes).
    pub fn timestamp_window(mut self, window: Duration) -> Self {
        self.window_secs = window.as_secs();
        self
    }

    crate::settings::setters!("events", "the timestamp window is checked against");

    /// The success answer: `200 {"status":"OK"}`.
    pub fn accepted() -> Reply {
        Reply::json(
            StatusCode::OK,
            &types::EventAccepted {
                status: "OK".into(),
            },
        )
    }

    /// Verifies one delivery at `now` (Unix seconds) and decodes it; never panics.
    ///
    /// In order: size, media type, the signed headers, the timestamp window, the
    /// signature (constant-time), and only then the JSON.
    pub fn verify(
        &self,
        headers: &HeaderMap,
        raw_body: &[u8],
        now: i64,
    ) -> Result<Delivery, Rejection> {
        use types::RejectionCode as C;
        if let Err(problem) = precheck(headers, raw_body.len(), self.settings.body_limit) {
            return Err(self.refuse(problem));
        }
        let unauthorized =
            |code, message: &str| reject(StatusCode::UNAUTHORIZED, code, message.into());
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let (Some(client), Some(timestamp), Some(signature)) = (
            header(CLIENT_HEADER),
            header(TIMESTAMP_HEADER),
            header(SIGNATURE_HEADER),
        ) else {
            return Err(unauthorized(
                C::MissingSignature,
                "x-client, x-timestamp and x-signature are required",
            ));
        };
        // During a rotation one client key may have several secrets: each is tried.
        let mut candidates = self
            .credentials
            .iter()
            .filter(|c| c.client_key == client)
            .peekable();
        if candidates.peek().is_none() {
            return Err(unauthorized(
                C::UnknownClient,
                "x-client is not a configured client key",
            ));
        }
        let sent_at = (!timestamp.is_empty()
            && timestamp.len() <= 18
            && timestamp.bytes().all(|b| b.is_ascii_digit()))
        .then(|| timestamp.parse::<i64>().ok())
        .flatten();
        let Some(sent_at) = sent_at else {
            return Err(unauthorized(
                C::MissingSignature,
                "x-timestamp must be Unix time in seconds",
            ));
        };
        if now.abs_diff(sent_at) > self.window_secs {
            return Err(unauthorized(
                C::StaleTimestamp,
                &format!(
                    "x-timestamp is {} seconds from the receiver's clock; the window is ±{} s",
                    now.saturating_sub(sent_at),
                    self.window_secs
                ),
            ));
        }
        let text = self.scheme.string_to_sign(&SignedParts {
            receiver_url: &self.receiver_url,
            body: raw_body,
            timestamp,
            client,
        });
        if !candidates.any(|c| c.signer.verify(&text, signature)) {
            // The usual cause is a receiver URL that differs from the subscription's
            // by a byte (http/https, host, port, trailing slash): name the one used.
            tracing::debug!(
                receiver_url = self.receiver_url,
                client,
                "x-signature does not match the signature over this receiver URL; check first that it is exactly the subscription's URL"
            );
            return Err(unauthorized(
                C::InvalidSignature,
                "x-signature does not match",
            ));
        }
        let mut delivery = Delivery::from_json(raw_body)
            .map_err(|e| reject(StatusCode::BAD_REQUEST, C::MalformedEvent, clip(&e, 300)))?;
        delivery.client = client.to_owned();
        Ok(delivery)
    }

    /// The whole pipeline for one request: [`verify`](Self::verify) at the clock's
    /// time, `test_connection` answered at once, duplicates acknowledged, anything
    /// else handed to `handler` once. Returns the answer to send; never panics (a
    /// panicking handler is a failed handler).
    pub async fn receive<H: Handler<Delivery> + ?Sized>(
        &self,
        headers: &HeaderMap,
        raw_body: &[u8],
        handler: &H,
    ) -> Reply {
        let delivery = match self.verify(headers, raw_body, self.settings.clock.now_unix()) {
            Ok(delivery) => delivery,
            Err(rejection) => {
                tracing::warn!(reason = rejection.reason(), "METRO delivery rejected");
                return rejection.into_reply();
            }
        };
        if let Event::TestConnection(_) = delivery.event {
            tracing::info!(
                message_id = delivery.message_id,
                client = delivery.client,
                "METRO test_connection verified and answered"
            );
            return Self::accepted();
        }
        let key = delivery.dedupe_key();
        let content = crate::digest::content_of_body(raw_body);
        let (name, message_id) = (delivery.name.to_string(), delivery.message_id.clone());
        use types::RejectionCode as C;
        match hand_over(&*self.settings.dedupe, &key, &content, delivery, handler).await {
            HandOver::Taken => {
                tracing::info!(event = name, message_id, "METRO event handed over");
                Self::accepted()
            }
            HandOver::Duplicate => {
                tracing::info!(
                    event = name,
                    message_id,
                    "duplicate METRO delivery acknowledged"
                );
                Self::accepted()
            }
            HandOver::Conflict => {
                // Acknowledged all the same: answering an error would only make METRO
                // send it again, and handing it over would break exactly-once.
                tracing::warn!(
                    event = name,
                    message_id,
                    "METRO delivery with an already handed-over messageId but different content: acknowledged, not handed over"
                );
                Self::accepted()
            }
            HandOver::InProgress => {
                tracing::warn!(
                    event = name,
                    message_id,
                    "METRO delivery answered 503 in_progress: another copy of this messageId is in progress"
                );
                reject(
                    StatusCode::SERVICE_UNAVAILABLE,
                    C::InProgress,
                    "this messageId is being processed; deliver it again later".into(),
                )
                .into_reply()
            }
            HandOver::StoreFailed(reason) => {
                tracing::error!(event = name, message_id, %reason, "METRO event not taken: dedupe store failed");
                reject(
                    StatusCode::SERVICE_UNAVAILABLE,
                    C::StoreUnavailable,
                    "the receiver cannot record events right now; deliver it again later".into(),
                )
                .into_reply()
            }
            HandOver::HandlerFailed(reason) => {
                tracing::error!(event = name, message_id, %reason, "METRO event not taken by the application");
                reject(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    C::HandlerFailed,
                    "the event could not be processed; deliver it again later".into(),
                )
                .into_reply()
            }
        }
    }
}

impl MetroReceiver {
    /// The answer to a request refused before its body was parsed.
    pub(crate) fn refuse(&self, problem: Precheck) -> Rejection {
        use types::RejectionCode as C;
        let code = match problem {
            Precheck::TooLarge { .. } => C::PayloadTooLarge,
            Precheck::NotJson => C::UnsupportedMediaType,
            Precheck::Unreadable | Precheck::TimedOut { .. } => C::MalformedEvent,
        };
        reject(problem.status(), code, problem.message())
    }
}

fn reject(status: StatusCode, code: types::RejectionCode, message: String) -> Rejection {
    let body = types::EventRejected {
        code,
        message: message.clone(),
    };
    Rejection::new(Reply::json(status, &body), message)
}
