//! METRO Markets service event subscription, generated from `specs/metro-events.yaml`:
//! the typed event envelope and payloads ([`types`]) and a client that delivers
//! events the way METRO does.
//!
//! The spec describes the endpoint *the seller hosts*. Receivers use [`types`] (the
//! `marketplace-webhooks` crate decodes deliveries into them); the [`Client`] does what
//! METRO does, POSTing a signed event to a receiver, which is how the receiver is
//! tested end to end:
//!
//! ```no_run
//! use marketplace_metro_events::{Client, types};
//!
//! # async fn demo() -> Result<(), marketplace_metro_events::Error> {
//! let metro = Client::builder("http://127.0.0.1:8080/metro-markets", "fake-client-key", "fake-client-secret")
//!     .build()?;
//! let envelope: types::EventEnvelope = serde_json::from_value(serde_json::json!({
//!     "messageId": "5d0c3f9e-0d5f-4b0e-9a43-0d5c2e7f1a11",
//!     "event": "test_connection",
//!     "payload": {"foo": "bar"}
//! }))
//! .expect("a valid envelope");
//! let answer = metro.send_event().body(envelope).send().await?;
//! assert_eq!(answer.status, "OK");
//! # Ok(())
//! # }
//! ```
//!
//! Signing: [`DeliverySigning`] adds `x-client`, `x-timestamp` and `x-signature` as
//! METRO's own API requests are signed (an assumption: METRO does not document how
//! deliveries are signed; see the spec).

marketplace_runtime::include_generated_client!();

pub use marketplace_runtime::{
    Auth, Authenticate, ClientBuilder, Error, MetroHmac, Result, RetryPolicy, SignatureEncoding,
};

use reqwest::header::HeaderName;

/// The header naming the Client Key on a delivery (METRO's API requests call it
/// `X-Client-Id`; deliveries `x-client`).
const CLIENT: HeaderName = HeaderName::from_static("x-client");

/// Signs a delivery like METRO is assumed to: [`MetroHmac`] (HMAC-SHA256 of
/// `POST\n<full URL>\n<body>\n<timestamp>`, keyed with the Client Secret), with the
/// Client Key sent as `x-client` instead of `X-Client-Id`.
///
/// `Debug` shows the client key, never the secret.
#[derive(Debug)]
pub struct DeliverySigning(MetroHmac);

impl DeliverySigning {
    /// Signing with `signer`'s key pair, clock, encoding and signed origin.
    pub fn new(signer: MetroHmac) -> Self {
        DeliverySigning(signer)
    }
}

impl Authenticate for DeliverySigning {
    fn authenticate(&self, request: &mut reqwest::Request) -> std::result::Result<(), String> {
        self.0.authenticate(request)?;
        let headers = request.headers_mut();
        if let Some(client) = headers.remove("x-client-id") {
            headers.insert(CLIENT, client);
        }
        Ok(())
    }
}

impl From<DeliverySigning> for Auth {
    fn from(scheme: DeliverySigning) -> Self {
        Auth::custom(scheme)
    }
}

impl Client {
    /// A builder for a client delivering to the receiver at `receiver_base_url` (its
    /// `/events` endpoint), signing with the seller's key pair, hex signatures and the
    /// system clock. For other settings build the [`MetroHmac`] yourself and use
    /// [`ClientBuilder::new`] with `Auth::from(DeliverySigning::new(signer))`.
    pub fn builder(
        receiver_base_url: impl Into<String>,
        client_key: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> ClientBuilder<Client> {
        ClientBuilder::new(
            receiver_base_url,
            Auth::from(DeliverySigning::new(MetroHmac::new(
                client_key,
                client_secret,
            ))),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use marketplace_runtime::FixedClock;

    #[test]
    fn deliveries_name_the_client_key_x_client() {
        let signing = DeliverySigning::new(
            MetroHmac::new("fake-metro-client-key", "fake-metro-client-secret")
                .clock(FixedClock(1_757_581_999)),
        );
        let mut request = reqwest::Client::new()
            .post("http://127.0.0.1:9/metro-markets/events")
            .body(r#"{"messageId":"m","event":"test_connection","payload":{}}"#)
            .build()
            .unwrap();
        signing.authenticate(&mut request).unwrap();
        let headers = request.headers();
        assert_eq!(headers["x-client"], "fake-metro-client-key");
        assert!(headers.get("x-client-id").is_none());
        assert_eq!(headers["x-timestamp"], "1757581999");
        // The same signature METRO's request signing gives for this URL and body.
        let expected = MetroHmac::new("fake-metro-client-key", "fake-metro-client-secret")
            .signature(
                "POST",
                "http://127.0.0.1:9/metro-markets/events",
                br#"{"messageId":"m","event":"test_connection","payload":{}}"#,
                1_757_581_999,
            );
        assert_eq!(headers["x-signature"], expected.as_str());
        assert!(!format!("{signing:?}").contains("fake-metro-client-secret"));
    }
}
