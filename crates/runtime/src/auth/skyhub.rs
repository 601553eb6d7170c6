//! SkyHub (Americanas marketplace): three credential headers on every request.

use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};

use super::{Auth, Authenticate, sensitive_header};

const USER_EMAIL: HeaderName = HeaderName::from_static("x-user-email");
const API_KEY: HeaderName = HeaderName::from_static("x-api-key");
const ACCOUNT_MANAGER_KEY: HeaderName = HeaderName::from_static("x-accountmanager-key");

/// SkyHub's headers: `X-User-Email` (the seller account's e-mail), `X-Api-Key` (the
/// seller's integration token) and `X-Accountmanager-Key` (the integrator's key,
/// issued at homologation), plus `Accept: application/json` and
/// `Content-Type: application/json` unless the request already sets them (SkyHub
/// documents both on every call, bodiless `GET`s included).
///
/// The API key and the account-manager key are secrets: held as [`SecretString`],
/// sent as sensitive header values, never shown by `Debug`. The e-mail address
/// identifies the account and is shown.
pub struct SkyHub {
    user_email: String,
    api_key: SecretString,
    account_manager_key: SecretString,
}

impl SkyHub {
    /// SkyHub credentials: the seller account's e-mail, its API key and the
    /// integrator's account-manager key.
    pub fn new(
        user_email: impl Into<String>,
        api_key: impl Into<String>,
        account_manager_key: impl Into<String>,
    ) -> Self {
        SkyHub {
            user_email: user_email.into(),
            api_key: SecretString::from(api_key.into()),
            account_manager_key: SecretString::from(account_manager_key.into()),
        }
    }
}

impl std::fmt::Debug for SkyHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SkyHub")
            .field("user_email", &self.user_email)
            .field("api_key", &format_args!("[redacted]"))
            .field("account_manager_key", &format_args!("[redacted]"))
            .finish()
    }
}

impl Authenticate for SkyHub {
    fn authenticate(&self, request: &mut reqwest::Request) -> Result<(), String> {
        // Every value is checked before any header is set: a bad credential leaves
        // the request untouched.
        let user_email = HeaderValue::from_str(&self.user_email).map_err(|_| {
            "the SkyHub user e-mail contains characters that are not allowed in an HTTP header"
                .to_owned()
        })?;
        let api_key = sensitive_header(self.api_key.expose_secret())
            .map_err(|e| format!("SkyHub API key: {e}"))?;
        let account_manager_key = sensitive_header(self.account_manager_key.expose_secret())
            .map_err(|e| format!("SkyHub account-manager key: {e}"))?;
        let headers = request.headers_mut();
        headers.insert(USER_EMAIL, user_email);
        headers.insert(API_KEY, api_key);
        headers.insert(ACCOUNT_MANAGER_KEY, account_manager_key);
        let json = HeaderValue::from_static("application/json");
        headers.entry(ACCEPT).or_insert_with(|| json.clone());
        headers.entry(CONTENT_TYPE).or_insert(json);
        Ok(())
    }
}

impl Auth {
    /// SkyHub (Americanas marketplace): `X-User-Email`, `X-Api-Key` and
    /// `X-Accountmanager-Key` on every request (see [`SkyHub`]).
    pub fn skyhub(
        user_email: impl Into<String>,
        api_key: impl Into<String>,
        account_manager_key: impl Into<String>,
    ) -> Self {
        Auth::custom(SkyHub::new(user_email, api_key, account_manager_key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMAIL: &str = "fake-seller@example.com";
    const API_KEY_VALUE: &str = "fake-skyhub-api-key";
    const ACCOUNT_KEY_VALUE: &str = "fake-skyhub-account-manager-key";

    fn request(method: reqwest::Method) -> reqwest::Request {
        reqwest::Request::new(method, "http://127.0.0.1/sac".parse().unwrap())
    }

    fn auth() -> Auth {
        Auth::skyhub(EMAIL, API_KEY_VALUE, ACCOUNT_KEY_VALUE)
    }

    #[test]
    fn debug_shows_the_email_but_never_the_keys() {
        let shown = format!("{:?}", auth());
        assert_eq!(
            shown,
            "Auth(SkyHub { user_email: \"fake-seller@example.com\", \
             api_key: [redacted], account_manager_key: [redacted] })"
        );
        assert!(!shown.contains(API_KEY_VALUE));
        assert!(!shown.contains(ACCOUNT_KEY_VALUE));
    }

    #[test]
    fn every_request_gets_the_three_credentials_and_json_headers() {
        let mut request = request(reqwest::Method::GET);
        auth().apply(&mut request).unwrap();
        let headers = request.headers();
        let text = |name: &str| headers[name].to_str().unwrap().to_owned();
        assert_eq!(text("x-user-email"), EMAIL);
        assert_eq!(text("x-api-key"), API_KEY_VALUE);
        assert_eq!(text("x-accountmanager-key"), ACCOUNT_KEY_VALUE);
        assert_eq!(text("accept"), "application/json");
        assert_eq!(text("content-type"), "application/json");
        assert!(headers["x-api-key"].is_sensitive());
        assert!(headers["x-accountmanager-key"].is_sensitive());
        assert!(!headers["x-user-email"].is_sensitive());
        let dumped = format!("{headers:?}");
        assert!(!dumped.contains(API_KEY_VALUE), "{dumped}");
        assert!(!dumped.contains(ACCOUNT_KEY_VALUE), "{dumped}");
    }

    #[test]
    fn headers_the_request_already_has_are_kept() {
        let mut request = request(reqwest::Method::POST);
        let headers = request.headers_mut();
        headers.insert(ACCEPT, HeaderValue::from_static("text/plain"));
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("multipart/form-data; boundary=x"),
        );
        auth().apply(&mut request).unwrap();
        assert_eq!(request.headers()[ACCEPT], "text/plain");
        assert_eq!(
            request.headers()[CONTENT_TYPE],
            "multipart/form-data; boundary=x"
        );
    }

    #[test]
    fn a_bad_credential_is_rejected_without_repeating_it_or_touching_the_request() {
        for (email, key, account) in [
            ("fake@example.com", "fake\nkey", ACCOUNT_KEY_VALUE),
            ("fake@example.com", API_KEY_VALUE, "fake\raccount"),
            ("fake\n@example.com", API_KEY_VALUE, ACCOUNT_KEY_VALUE),
        ] {
            let mut request = request(reqwest::Method::GET);
            let err = Auth::skyhub(email, key, account)
                .apply(&mut request)
                .unwrap_err();
            assert!(!err.contains("fake"), "{err}");
            assert!(err.contains("SkyHub"), "{err}");
            assert!(request.headers().is_empty(), "{:?}", request.headers());
        }
    }
}
