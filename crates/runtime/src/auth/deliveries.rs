//! How the webhook-delivery clients authenticate (they POST to a seller's receiver,
//! as the marketplace does, to test receivers end to end): METRO-signed, or, as
//! Yandex Market delivers, not at all.

use reqwest::header::HeaderName;

use super::{Auth, Authenticate, MetroHmac};

/// The header naming the Client Key on a METRO delivery (METRO's API requests call
/// it `X-Client-Id`; deliveries `x-client`).
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
    fn authenticate(&self, request: &mut reqwest::Request) -> Result<(), String> {
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

/// What Yandex Market sends for authentication: nothing. Notifications carry no
/// credentials or signature (receivers check where they come from instead).
#[derive(Clone, Copy, Debug, Default)]
pub struct Unsigned;

impl Authenticate for Unsigned {
    fn authenticate(&self, _request: &mut reqwest::Request) -> Result<(), String> {
        Ok(())
    }
}

impl Auth {
    /// METRO event deliveries: signed with the seller's key pair like METRO's API
    /// requests, hex signatures and the system clock, the key sent as `x-client` (see
    /// [`DeliverySigning`]; build one for other settings).
    pub fn metro_delivery(client_key: impl Into<String>, client_secret: impl Into<String>) -> Self {
        Auth::from(DeliverySigning::new(MetroHmac::new(
            client_key,
            client_secret,
        )))
    }

    /// No credentials at all (Yandex Market notification deliveries; see [`Unsigned`]).
    pub fn unsigned() -> Self {
        Auth::custom(Unsigned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FixedClock;

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

    #[test]
    fn unsigned_adds_nothing() {
        let mut request = reqwest::Client::new()
            .post("http://127.0.0.1:9/notification")
            .build()
            .unwrap();
        Unsigned.authenticate(&mut request).unwrap();
        assert!(request.headers().is_empty());
    }
}
