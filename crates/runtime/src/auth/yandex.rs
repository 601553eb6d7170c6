//! Yandex Market Partner API: an API-Key token in `Api-Key`, or an (outdated) OAuth
//! token in `Authorization: Bearer`.
//!
//! Sources: the vendor's OpenAPI spec (`securitySchemes`: `ApiKey`, an `apiKey` in
//! header `Api-Key`; `OAuth`, an `oauth2` implicit flow with scope
//! `market:partner-api`) and the Partner API documentation ("Creating and using an
//! API-Key token": `Api-Key: <token>`). The documentation's OAuth page names only the
//! `Authorization` header; the `Bearer` scheme is what an OAuth 2.0 access token
//! (RFC 6750) and current third-party clients use (medium confidence: Yandex's
//! older documentation showed `Authorization: OAuth oauth_token=…, oauth_client_id=…`).

use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue};

use super::{Auth, Authenticate, sensitive_header};

const API_KEY: HeaderName = HeaderName::from_static("api-key");

/// Yandex Market credentials: an API-Key token (`Api-Key: <token>`, recommended by
/// Yandex) or an OAuth token (`Authorization: Bearer <token>`, which Yandex calls
/// outdated).
///
/// The token is a secret: the header value is built once, marked sensitive, and
/// never shown by `Debug`, which names only the scheme.
pub struct Yandex {
    scheme: Scheme,
    /// Built once; an invalid token is reported on every request, never sent.
    header: Result<HeaderValue, String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scheme {
    ApiKey,
    OAuth,
}

impl Yandex {
    /// An API-Key token from the seller cabinet ("Modules and API"), sent as
    /// `Api-Key: <token>`.
    pub fn api_key(token: impl Into<String>) -> Self {
        Yandex::new(Scheme::ApiKey, token.into())
    }

    /// An OAuth token of the `market:partner-api` scope, sent as
    /// `Authorization: Bearer <token>`.
    pub fn oauth(token: impl Into<String>) -> Self {
        Yandex::new(Scheme::OAuth, token.into())
    }

    fn new(scheme: Scheme, token: String) -> Self {
        let token = secrecy::SecretString::from(token);
        let token = secrecy::ExposeSecret::expose_secret(&token);
        let (value, what) = match scheme {
            Scheme::ApiKey => (sensitive_header(token), "Yandex Market API-Key token"),
            Scheme::OAuth => (
                sensitive_header(&format!("Bearer {token}")),
                "Yandex Market OAuth token",
            ),
        };
        let header = value.map_err(|e| format!("{what}: {e}"));
        Yandex { scheme, header }
    }
}

impl std::fmt::Debug for Yandex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self.scheme {
            Scheme::ApiKey => "YandexApiKey",
            Scheme::OAuth => "YandexOAuth",
        };
        write!(f, "{name}([redacted])")
    }
}

impl Authenticate for Yandex {
    fn authenticate(&self, request: &mut reqwest::Request) -> Result<(), String> {
        let value = self.header.clone()?;
        let name = match self.scheme {
            Scheme::ApiKey => API_KEY,
            Scheme::OAuth => AUTHORIZATION,
        };
        request.headers_mut().insert(name, value);
        Ok(())
    }
}

impl Auth {
    /// Yandex Market API-Key token: `Api-Key: <token>` on every request (see [`Yandex`]).
    pub fn yandex_api_key(token: impl Into<String>) -> Self {
        Auth::custom(Yandex::api_key(token))
    }

    /// Yandex Market OAuth token (`market:partner-api` scope), sent as
    /// `Authorization: Bearer <token>` (see [`Yandex`]). Yandex recommends API-Key
    /// tokens ([`Auth::yandex_api_key`]) instead.
    pub fn yandex_oauth(token: impl Into<String>) -> Self {
        Auth::custom(Yandex::oauth(token))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "fake-yandex-api-key-ACMA:123";

    fn request() -> reqwest::Request {
        reqwest::Request::new(
            reqwest::Method::POST,
            "http://127.0.0.1/v2/businesses/1/chats".parse().unwrap(),
        )
    }

    #[test]
    fn debug_names_the_scheme_but_never_the_token() {
        let api_key = format!("{:?}", Auth::yandex_api_key(TOKEN));
        assert_eq!(api_key, "Auth(YandexApiKey([redacted]))");
        let oauth = format!("{:?}", Auth::yandex_oauth(TOKEN));
        assert_eq!(oauth, "Auth(YandexOAuth([redacted]))");
        for shown in [api_key, oauth] {
            assert!(!shown.contains("fake"), "{shown}");
        }
    }

    #[test]
    fn api_key_goes_in_the_api_key_header_marked_sensitive() {
        let mut request = request();
        Auth::yandex_api_key(TOKEN).apply(&mut request).unwrap();
        let headers = request.headers();
        assert_eq!(headers["api-key"].to_str().unwrap(), TOKEN);
        assert!(headers["api-key"].is_sensitive());
        assert!(headers.get(AUTHORIZATION).is_none());
        assert!(!format!("{headers:?}").contains("fake"), "{headers:?}");
    }

    #[test]
    fn oauth_token_goes_in_authorization_bearer_marked_sensitive() {
        let mut request = request();
        Auth::yandex_oauth(TOKEN).apply(&mut request).unwrap();
        let headers = request.headers();
        assert_eq!(
            headers[AUTHORIZATION].to_str().unwrap(),
            format!("Bearer {TOKEN}")
        );
        assert!(headers[AUTHORIZATION].is_sensitive());
        assert!(headers.get("api-key").is_none());
        assert!(!format!("{headers:?}").contains("fake"), "{headers:?}");
    }

    #[test]
    fn a_token_with_a_newline_is_rejected_without_repeating_it() {
        for auth in [
            Auth::yandex_api_key("fake\r\nX-Injected: 1"),
            Auth::yandex_oauth("fake\nsecret"),
        ] {
            let mut request = request();
            let err = auth.apply(&mut request).unwrap_err();
            assert!(err.contains("Yandex Market"), "{err}");
            assert!(!err.contains("fake") && !err.contains("secret"), "{err}");
            assert!(request.headers().is_empty(), "{:?}", request.headers());
        }
    }

    #[test]
    fn the_header_replaces_one_already_set() {
        let mut request = request();
        request
            .headers_mut()
            .insert("api-key", HeaderValue::from_static("stale"));
        Auth::yandex_api_key(TOKEN).apply(&mut request).unwrap();
        let values: Vec<_> = request.headers().get_all("api-key").iter().collect();
        assert_eq!(values.len(), 1);
        assert_eq!(values[0].to_str().unwrap(), TOKEN);
    }
}
