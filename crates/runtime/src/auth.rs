use reqwest::header::{AUTHORIZATION, HeaderValue};
use secrecy::{ExposeSecret, SecretString};

/// Credentials a client attaches to every request.
///
/// Secrets are held as [`SecretString`]: `Debug` prints the kind of credential only,
/// and header values built from them are marked sensitive so that reqwest and
/// tracing never print them.
#[derive(Clone)]
#[non_exhaustive]
pub enum Auth {
    /// `Authorization: Bearer <token>` (Lectronz store API key).
    Bearer(SecretString),
}

impl Auth {
    /// Bearer-token auth from an API key or token.
    pub fn bearer(token: impl Into<String>) -> Self {
        Auth::Bearer(SecretString::from(token.into()))
    }

    /// Adds the credentials to an outgoing request.
    pub(crate) fn apply(&self, request: &mut reqwest::Request) -> Result<(), String> {
        match self {
            Auth::Bearer(token) => {
                let value = sensitive_header(&format!("Bearer {}", token.expose_secret()))?;
                request.headers_mut().insert(AUTHORIZATION, value);
            }
        }
        Ok(())
    }
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::Bearer(_) => f.write_str("Auth::Bearer([redacted])"),
        }
    }
}

/// A header value that reqwest's and http's `Debug` render as `Sensitive`.
fn sensitive_header(value: &str) -> Result<HeaderValue, String> {
    let mut value = HeaderValue::from_str(value).map_err(|_| {
        "credential contains characters that are not allowed in an HTTP header".to_owned()
    })?;
    value.set_sensitive(true);
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_token() {
        let auth = Auth::bearer("fake-token-123");
        assert_eq!(format!("{auth:?}"), "Auth::Bearer([redacted])");
    }

    #[test]
    fn bearer_header_is_set_and_marked_sensitive() {
        let mut request =
            reqwest::Request::new(reqwest::Method::GET, "http://127.0.0.1/x".parse().unwrap());
        Auth::bearer("fake-token-123").apply(&mut request).unwrap();
        let value = &request.headers()[AUTHORIZATION];
        assert_eq!(value.to_str().unwrap(), "Bearer fake-token-123");
        assert!(value.is_sensitive());
        assert!(!format!("{:?}", request.headers()).contains("fake-token-123"));
    }

    #[test]
    fn a_token_with_a_newline_is_rejected_not_sent() {
        let mut request =
            reqwest::Request::new(reqwest::Method::GET, "http://127.0.0.1/x".parse().unwrap());
        let err = Auth::bearer("fake\ntoken").apply(&mut request).unwrap_err();
        assert!(!err.contains("fake"));
        assert!(request.headers().get(AUTHORIZATION).is_none());
    }
}
