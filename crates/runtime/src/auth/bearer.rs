use reqwest::header::{AUTHORIZATION, HeaderValue};

use super::{Authenticate, sensitive_header};

/// `Authorization: Bearer <token>`.
pub struct Bearer {
    /// Built once (a sensitive header value: its `Debug` is `Sensitive`), cloned into
    /// each request; an invalid token is reported on every request, never sent.
    header: Result<HeaderValue, String>,
}

impl Bearer {
    /// Bearer auth with `token`.
    pub fn new(token: impl Into<String>) -> Self {
        let token = secrecy::SecretString::from(token.into());
        let header = sensitive_header(&format!(
            "Bearer {}",
            secrecy::ExposeSecret::expose_secret(&token)
        ));
        Bearer { header }
    }
}

impl std::fmt::Debug for Bearer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Bearer([redacted])")
    }
}

impl Authenticate for Bearer {
    fn authenticate(&self, request: &mut reqwest::Request) -> Result<(), String> {
        let value = self.header.clone()?;
        request.headers_mut().insert(AUTHORIZATION, value);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::Auth;
    use reqwest::header::AUTHORIZATION;

    fn request() -> reqwest::Request {
        reqwest::Request::new(reqwest::Method::GET, "http://127.0.0.1/x".parse().unwrap())
    }

    #[test]
    fn debug_never_shows_the_token() {
        let auth = Auth::bearer("fake-token-123");
        assert_eq!(format!("{auth:?}"), "Auth(Bearer([redacted]))");
    }

    #[test]
    fn bearer_header_is_set_and_marked_sensitive() {
        let mut request = request();
        Auth::bearer("fake-token-123").apply(&mut request).unwrap();
        let value = &request.headers()[AUTHORIZATION];
        assert_eq!(value.to_str().unwrap(), "Bearer fake-token-123");
        assert!(value.is_sensitive());
        assert!(!format!("{:?}", request.headers()).contains("fake-token-123"));
    }

    #[test]
    fn a_token_with_a_newline_is_rejected_not_sent() {
        let mut request = request();
        let err = Auth::bearer("fake\ntoken").apply(&mut request).unwrap_err();
        assert!(!err.contains("fake"));
        assert!(request.headers().get(AUTHORIZATION).is_none());
    }
}
