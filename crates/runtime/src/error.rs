use std::time::{Duration, SystemTime};

use progenitor_client::{Error as GeneratedError, ResponseValue};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

/// `Result` with the runtime's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Implemented for each spec's error schema so that [`Error`] can expose the
/// marketplace's own error code and message whatever the body's shape.
pub trait ApiErrorBody: serde::Serialize {
    /// The marketplace's machine-readable error code or title, if the body has one.
    fn code(&self) -> Option<String>;
    /// A human-readable message, if the body has one.
    fn message(&self) -> Option<String>;
}

/// The first of `pointers` (JSON pointers into `body` serialized as JSON) that
/// holds a string or a number, as text. The generated `ApiErrorBody` impls use it
/// with the pointers each spec lists in `x-error-code` / `x-error-message`.
pub fn text_at<T: serde::Serialize>(body: &T, pointers: &[&str]) -> Option<String> {
    let value = serde_json::to_value(body).ok()?;
    pointers
        .iter()
        .find_map(|pointer| match value.pointer(pointer)? {
            serde_json::Value::String(text) if !text.is_empty() => Some(text.clone()),
            serde_json::Value::Number(number) => Some(number.to_string()),
            _ => None,
        })
}

/// The one error type of every marketplace client.
///
/// It is opaque on purpose (new failure kinds are not breaking changes); ask it
/// questions with the predicates and accessors. Every generated `send()` and every
/// hand-written operation returns it, so application code handles every
/// marketplace the same way: `if err.is_rate_limited() { sleep(err.retry_after()) }`.
/// The spec's typed error body stays reachable with [`body_as`](Self::body_as).
///
/// `Display` (also through `?` into `Box<dyn Error>` or `anyhow`) is the
/// marketplace's status, code and message; `Debug` names the kind first
/// (`Error { kind: Timeout, … }`). Neither ever contains credentials or a query
/// string: requests are not kept, only statuses, response headers of interest,
/// (truncated) response bodies and, for transport failures, the URL without its
/// query.
pub struct Error {
    kind: Kind,
}

enum Kind {
    /// Rejected before anything was sent.
    InvalidRequest(String),
    /// Connecting, sending or reading failed (includes timeouts).
    Transport(reqwest::Error),
    /// The marketplace answered with a documented error status and body.
    Api(Box<ApiFailure>),
    /// A response arrived but its body does not match the spec.
    Decode {
        status: Option<StatusCode>,
        reason: String,
        body_excerpt: String,
        retry_after: Option<Duration>,
        request_id: Option<String>,
    },
    /// A status the spec does not document.
    UnexpectedStatus {
        status: StatusCode,
        retry_after: Option<Duration>,
        request_id: Option<String>,
    },
    /// A hook refused or failed the call.
    Hook(String),
    /// The client could not be built.
    Config(crate::ConfigError),
}

struct ApiFailure {
    status: StatusCode,
    code: Option<String>,
    message: Option<String>,
    body: serde_json::Value,
    retry_after: Option<Duration>,
    request_id: Option<String>,
}

/// How much of an unexpected body an error keeps for diagnostics.
const BODY_EXCERPT_BYTES: usize = 512;

/// Response headers that carry a request id, in order of preference.
const REQUEST_ID_HEADERS: &[&str] = &["x-request-id", "x-correlation-id", "request-id"];

impl Error {
    /// An error for a request rejected before sending (bad argument, invalid input).
    pub fn invalid_request(reason: impl Into<String>) -> Self {
        Error {
            kind: Kind::InvalidRequest(reason.into()),
        }
    }

    /// The HTTP status, when a response was received.
    pub fn status(&self) -> Option<StatusCode> {
        match &self.kind {
            Kind::Api(failure) => Some(failure.status),
            Kind::UnexpectedStatus { status, .. } => Some(*status),
            Kind::Decode { status, .. } => *status,
            Kind::Transport(e) => e.status(),
            Kind::InvalidRequest(_) | Kind::Hook(_) | Kind::Config(_) => None,
        }
    }

    /// 429 Too Many Requests, or Yandex Market's 420 "Method Failure" quota answer.
    pub fn is_rate_limited(&self) -> bool {
        self.status()
            .is_some_and(|s| s == StatusCode::TOO_MANY_REQUESTS || s.as_u16() == 420)
    }

    /// 404 Not Found.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(StatusCode::NOT_FOUND)
    }

    /// 401 Unauthorized or 403 Forbidden: the credentials are missing, wrong or lack access.
    pub fn is_auth(&self) -> bool {
        matches!(
            self.status(),
            Some(StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN)
        )
    }

    /// The request timed out (connect or overall timeout).
    pub fn is_timeout(&self) -> bool {
        matches!(&self.kind, Kind::Transport(e) if e.is_timeout())
    }

    /// The connection could not be established, so the request never reached the server.
    pub fn is_connect(&self) -> bool {
        matches!(&self.kind, Kind::Transport(e) if e.is_connect())
    }

    /// The request may have reached the marketplace, but no complete answer came
    /// back: the connection broke or timed out after sending (before the status, or
    /// while reading the body). A read has already been retried; for a write (a
    /// message sent, a chat created) it means it **may have been done**: check
    /// before sending it again. Its opposite is [`is_connect`](Self::is_connect):
    /// nothing was sent.
    pub fn is_outcome_unknown(&self) -> bool {
        matches!(&self.kind, Kind::Transport(e) if !e.is_connect() && !e.is_builder() && !e.is_redirect())
    }

    /// The marketplace answered with a redirect that was not followed: to another
    /// origin (credentials are only ever sent to the configured base URL's origin;
    /// nothing was sent there), of a write (never re-sent), or past the hop limit.
    /// Same-origin redirects of reads are followed.
    pub fn is_redirect(&self) -> bool {
        match &self.kind {
            Kind::Transport(e) => e.is_redirect(),
            _ => self.status().is_some_and(|status| status.is_redirection()),
        }
    }

    /// The response body did not decode into the spec's type.
    pub fn is_decode(&self) -> bool {
        matches!(self.kind, Kind::Decode { .. })
    }

    /// The marketplace answered 2xx: the request succeeded (a message was sent, a
    /// subscription changed) and only its answer could not be read (see
    /// [`is_decode`](Self::is_decode)). Do not send it again.
    pub fn succeeded(&self) -> bool {
        self.status().is_some_and(|s| s.is_success())
    }

    /// The request was rejected before anything was sent.
    pub fn is_invalid_request(&self) -> bool {
        matches!(self.kind, Kind::InvalidRequest(_))
    }

    /// How long the server asked us to wait (`Retry-After`, seconds or HTTP date).
    pub fn retry_after(&self) -> Option<Duration> {
        match &self.kind {
            Kind::Api(failure) => failure.retry_after,
            Kind::UnexpectedStatus { retry_after, .. } | Kind::Decode { retry_after, .. } => {
                *retry_after
            }
            _ => None,
        }
    }

    /// The marketplace's own error code or title, when its error body has one.
    pub fn code(&self) -> Option<&str> {
        match &self.kind {
            Kind::Api(failure) => failure.code.as_deref(),
            _ => None,
        }
    }

    /// The marketplace's own error message, when its error body has one.
    pub fn message(&self) -> Option<&str> {
        match &self.kind {
            Kind::Api(failure) => failure.message.as_deref(),
            _ => None,
        }
    }

    /// The decoded error body as JSON, for marketplace-specific details.
    pub fn body(&self) -> Option<&serde_json::Value> {
        match &self.kind {
            Kind::Api(failure) => Some(&failure.body),
            _ => None,
        }
    }

    /// The error body decoded as `T`, usually the spec's error schema
    /// (`types::ErrorResponse`: each `send()` names it), for details the code and
    /// message do not carry (METRO's field-level 422 messages).
    pub fn body_as<T: serde::de::DeserializeOwned>(&self) -> Option<T> {
        T::deserialize(self.body()?).ok()
    }

    /// The request id the marketplace returned, if any (for support tickets).
    pub fn request_id(&self) -> Option<&str> {
        match &self.kind {
            Kind::Api(failure) => failure.request_id.as_deref(),
            Kind::UnexpectedStatus { request_id, .. } | Kind::Decode { request_id, .. } => {
                request_id.as_deref()
            }
            _ => None,
        }
    }
}

impl<E: ApiErrorBody> From<GeneratedError<E>> for Error {
    fn from(error: GeneratedError<E>) -> Self {
        let kind = match error {
            GeneratedError::InvalidRequest(reason) => Kind::InvalidRequest(reason),
            GeneratedError::CommunicationError(e)
            | GeneratedError::InvalidUpgrade(e)
            | GeneratedError::ResponseBodyError(e) => Kind::Transport(without_query(e)),
            GeneratedError::ErrorResponse(response) => Kind::Api(Box::new(api_failure(response))),
            GeneratedError::InvalidResponsePayload(body, e) => Kind::Decode {
                status: None,
                reason: e.to_string(),
                body_excerpt: excerpt(&body),
                retry_after: None,
                request_id: None,
            },
            GeneratedError::UnexpectedResponse(response) => {
                match response.extensions().get::<crate::decode::DecodeFailure>() {
                    Some(failure) => Kind::Decode {
                        status: Some(response.status()),
                        reason: failure.reason.clone(),
                        body_excerpt: excerpt(&failure.body),
                        retry_after: retry_after(response.headers(), SystemTime::now()),
                        request_id: request_id(response.headers()),
                    },
                    None => Kind::UnexpectedStatus {
                        status: response.status(),
                        retry_after: retry_after(response.headers(), SystemTime::now()),
                        request_id: request_id(response.headers()),
                    },
                }
            }
            GeneratedError::Custom(reason) => Kind::Hook(reason),
        };
        Error { kind }
    }
}

impl From<crate::ConfigError> for Error {
    fn from(error: crate::ConfigError) -> Self {
        Error {
            kind: Kind::Config(error),
        }
    }
}

/// reqwest's error shows its URL in `Display` and `Debug`; the query (order
/// numbers, chat ids) and any user info are dropped so that no message or log line
/// built from the error carries them (the hooks also apply it before any tracing
/// event), the path stays for diagnosis.
pub(crate) fn without_query(mut error: reqwest::Error) -> reqwest::Error {
    if let Some(url) = error.url_mut() {
        url.set_query(None);
        url.set_fragment(None);
        let _ = url.set_username("");
        let _ = url.set_password(None);
    }
    error
}

fn api_failure<E: ApiErrorBody>(response: ResponseValue<E>) -> ApiFailure {
    let status = response.status();
    let retry_after = retry_after(response.headers(), SystemTime::now());
    let request_id = request_id(response.headers());
    let body = response.into_inner();
    ApiFailure {
        status,
        code: body.code(),
        message: body.message(),
        body: serde_json::to_value(&body).unwrap_or(serde_json::Value::Null),
        retry_after,
        request_id,
    }
}

/// How long the server asked us to wait, from the response headers:
///
/// * `Retry-After` as delta-seconds or an HTTP date (RFC 9110 §10.2.3);
/// * otherwise Yandex Market's `X-RateLimit-Resource-Until`, the end of the method's
///   quota window as an RFC 822 date (`Thu, 10 Jul 2018 00:42:42 GMT`), but only
///   when `X-RateLimit-Resource-Remaining` says the quota is used up (`0`). Yandex
///   sends these headers on every response: on a 5xx, or on a 420 for too many
///   parallel requests, the end of the hourly window is no reason to wait.
///
/// Dates are measured against the response's `Date` header when it has one (both
/// come from the server's clock), else against `now`. A date in the past means no
/// wait ([`Duration::ZERO`]); a value that does not parse is ignored (RFC 3339
/// timestamps are also accepted for the Yandex header).
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    fn text<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
        Some(headers.get(name)?.to_str().ok()?.trim())
    }
    fn wait_until(at: chrono::DateTime<chrono::FixedOffset>, now: SystemTime) -> Duration {
        let at = SystemTime::from(at.with_timezone(&chrono::Utc));
        at.duration_since(now).unwrap_or(Duration::ZERO)
    }

    // Absolute times are the server's: measured against its `Date` when it sends
    // one, so a skewed local clock neither stretches nor skips the wait. HTTP dates
    // come in three forms (RFC 9110 §5.6.7), which httpdate reads.
    let now = text(headers, "date")
        .and_then(|date| httpdate::parse_http_date(date).ok())
        .unwrap_or(now);
    let retry_after = text(headers, "retry-after").and_then(|value| {
        if let Ok(seconds) = value.parse::<u64>() {
            return Some(Duration::from_secs(seconds));
        }
        let at = httpdate::parse_http_date(value).ok()?;
        Some(at.duration_since(now).unwrap_or(Duration::ZERO))
    });
    retry_after.or_else(|| {
        let remaining = text(headers, "x-ratelimit-resource-remaining")?
            .parse::<i64>()
            .ok()?;
        if remaining > 0 {
            return None;
        }
        let until = text(headers, "x-ratelimit-resource-until")?;
        // The weekday is redundant and not checked: Yandex's own documented example,
        // `Thu, 10 Jul 2018`, was a Tuesday.
        let until = match until.split_once(',') {
            Some((day, rest)) if day.len() == 3 && day.bytes().all(|b| b.is_ascii_alphabetic()) => {
                rest.trim_start()
            }
            _ => until,
        };
        let at = chrono::DateTime::parse_from_rfc2822(until)
            .or_else(|_| chrono::DateTime::parse_from_rfc3339(until))
            .ok()?;
        Some(wait_until(at, now))
    })
}

fn request_id(headers: &HeaderMap) -> Option<String> {
    REQUEST_ID_HEADERS
        .iter()
        .find_map(|name| headers.get(*name)?.to_str().ok().map(str::to_owned))
}

fn excerpt(body: &[u8]) -> String {
    let cut = body.len().min(BODY_EXCERPT_BYTES);
    let mut text = String::from_utf8_lossy(&body[..cut]).into_owned();
    if body.len() > cut {
        text.push_str(&format!("… ({} bytes in all)", body.len()));
    }
    text
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.kind {
            Kind::InvalidRequest(reason) => {
                write!(f, "invalid request (nothing was sent): {reason}")
            }
            // The redirect policy's reason (status and target origin) is the source.
            Kind::Transport(e) if e.is_redirect() => match std::error::Error::source(e) {
                Some(reason) => write!(f, "{reason}"),
                None => write!(f, "redirect not followed: {e}"),
            },
            Kind::Transport(e) if e.is_timeout() => write!(f, "request timed out: {e}"),
            Kind::Transport(e) => write!(f, "transport error: {e}"),
            Kind::Api(failure) => {
                write!(f, "marketplace answered {}", ShowStatus(failure.status))?;
                if let Some(code) = &failure.code {
                    write!(f, " [{code}]")?;
                }
                if let Some(message) = &failure.message {
                    write!(f, ": {message}")?;
                }
                Ok(())
            }
            Kind::Decode {
                status,
                reason,
                body_excerpt,
                ..
            } => {
                match status {
                    Some(status) if status.is_success() => write!(
                        f,
                        "the marketplace accepted the request ({}), do not send it again; \
                         but its answer does not match the spec",
                        ShowStatus(*status)
                    )?,
                    Some(status) => write!(
                        f,
                        "response does not match the spec (status {})",
                        ShowStatus(*status)
                    )?,
                    None => write!(f, "response does not match the spec")?,
                }
                write!(f, ": {reason}; body: {body_excerpt}")
            }
            Kind::UnexpectedStatus { status, .. } => {
                write!(
                    f,
                    "marketplace answered with undocumented status {}",
                    ShowStatus(*status)
                )
            }
            Kind::Hook(reason) => write!(f, "request refused by the client: {reason}"),
            Kind::Config(e) => write!(f, "invalid client configuration: {e}"),
        }
    }
}

/// A status with its reason phrase; `420`, which is not in the HTTP registry, is
/// named for what Yandex Market means by it instead of `<unknown status code>`.
struct ShowStatus(StatusCode);

impl std::fmt::Display for ShowStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let reason = match self.0.as_u16() {
            420 => Some("Rate Limit Exceeded"),
            _ => self.0.canonical_reason(),
        };
        match reason {
            Some(reason) => write!(f, "{} {reason}", self.0.as_u16()),
            None => write!(f, "{}", self.0.as_u16()),
        }
    }
}

impl Error {
    /// The kind `Debug` names first, so a log line says what failed before the
    /// details (transport errors split by the predicate they answer).
    fn kind_name(&self) -> &'static str {
        match &self.kind {
            Kind::InvalidRequest(_) => "InvalidRequest",
            Kind::Transport(e) if e.is_timeout() => "Timeout",
            Kind::Transport(e) if e.is_connect() => "Connect",
            Kind::Transport(e) if e.is_redirect() => "Redirect",
            Kind::Transport(_) if self.is_outcome_unknown() => "OutcomeUnknown",
            Kind::Transport(_) => "Transport",
            Kind::Api(_) | Kind::UnexpectedStatus { .. } if self.is_rate_limited() => "RateLimited",
            Kind::Api(_) => "Api",
            Kind::Decode { .. } => "Decode",
            Kind::UnexpectedStatus { .. } => "UnexpectedStatus",
            Kind::Hook(_) => "Hook",
            Kind::Config(_) => "Config",
        }
    }
}

impl std::fmt::Debug for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &format_args!("{}", self.kind_name()));
        d.field("message", &self.to_string());
        if let Some(status) = self.status() {
            d.field("status", &status.as_u16());
        }
        if let Some(body) = self.body() {
            d.field("body", body);
        }
        if let Some(request_id) = self.request_id() {
            d.field("request_id", &request_id);
        }
        d.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            Kind::Transport(e) => Some(e),
            Kind::Config(e) => Some(e),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[derive(serde::Serialize)]
    struct Body {
        title: String,
    }

    impl ApiErrorBody for Body {
        fn code(&self) -> Option<String> {
            Some(self.title.clone())
        }
        fn message(&self) -> Option<String> {
            None
        }
    }

    fn error_response(status: u16, headers: &[(&'static str, &str)]) -> Error {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        let body = Body {
            title: "Too Many Requests".into(),
        };
        let response = ResponseValue::new(body, StatusCode::from_u16(status).unwrap(), map);
        Error::from(GeneratedError::ErrorResponse(response))
    }

    #[test]
    fn api_error_exposes_status_code_body_retry_after_and_request_id() {
        let err = error_response(429, &[("retry-after", "7"), ("x-request-id", "req-1")]);
        assert_eq!(err.status(), Some(StatusCode::TOO_MANY_REQUESTS));
        assert!(err.is_rate_limited());
        assert!(!err.is_not_found() && !err.is_auth() && !err.is_timeout());
        assert_eq!(err.code(), Some("Too Many Requests"));
        assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
        assert_eq!(err.request_id(), Some("req-1"));
        assert_eq!(err.body().unwrap()["title"], "Too Many Requests");
        assert_eq!(
            err.to_string(),
            "marketplace answered 429 Too Many Requests [Too Many Requests]"
        );
    }

    #[test]
    fn text_at_takes_the_first_pointer_that_holds_text() {
        let body = serde_json::json!({"errors": {"detail": ""}, "error": "boom", "n": 7});
        assert_eq!(
            text_at(&body, &["/errors/detail", "/error"]),
            Some("boom".into())
        );
        assert_eq!(text_at(&body, &["/n"]), Some("7".into()));
        assert_eq!(text_at(&body, &["/missing"]), None);
        assert_eq!(text_at(&body, &[]), None);
    }

    #[test]
    fn yandex_420_counts_as_rate_limited() {
        let err = error_response(420, &[]);
        assert!(err.is_rate_limited());
        assert_eq!(
            err.to_string(),
            "marketplace answered 420 Rate Limit Exceeded [Too Many Requests]"
        );
    }

    #[test]
    fn a_status_without_a_reason_phrase_is_shown_as_its_number() {
        assert_eq!(
            ShowStatus(StatusCode::from_u16(599).unwrap()).to_string(),
            "599"
        );
    }

    #[test]
    fn retry_after_accepts_an_http_date() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "retry-after",
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:30 GMT"),
        );
        let now =
            SystemTime::from(chrono::DateTime::parse_from_rfc3339("2015-10-21T07:28:00Z").unwrap());
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(30)));
        // A date in the past means "now", not a negative wait.
        let later = now + Duration::from_secs(3600);
        assert_eq!(retry_after(&headers, later), Some(Duration::ZERO));
    }

    #[test]
    fn retry_after_and_date_accept_every_http_date_form() {
        // RFC 9110 §5.6.7: recipients accept IMF-fixdate, the obsolete RFC 850 form
        // and asctime, in `Retry-After` as in `Date`.
        let now = at("1994-11-06T08:49:00Z");
        for date in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            let retry = headers(&[("retry-after", date)]);
            assert_eq!(
                retry_after(&retry, now),
                Some(Duration::from_secs(37)),
                "{date}"
            );
            // The same instant as the server's clock: a `Retry-After` 30 s later.
            let skewed = headers(&[
                ("date", date),
                ("retry-after", "Sun, 06 Nov 1994 08:50:07 GMT"),
            ]);
            assert_eq!(
                retry_after(&skewed, now + Duration::from_secs(3600)),
                Some(Duration::from_secs(30)),
                "Date: {date}"
            );
        }
    }

    #[test]
    fn garbage_retry_after_is_ignored() {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&headers, SystemTime::now()), None);
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    fn at(rfc3339: &str) -> SystemTime {
        SystemTime::from(chrono::DateTime::parse_from_rfc3339(rfc3339).unwrap())
    }

    #[test]
    fn dates_are_measured_against_the_server_date_when_it_sends_one() {
        // The local clock is an hour behind the server's.
        let skewed_now = at("2018-07-09T23:42:00Z");
        let until = headers(&[
            ("date", "Tue, 10 Jul 2018 00:42:00 GMT"),
            ("x-ratelimit-resource-remaining", "0"),
            (
                "x-ratelimit-resource-until",
                "Tue, 10 Jul 2018 00:44:00 GMT",
            ),
        ]);
        assert_eq!(
            retry_after(&until, skewed_now),
            Some(Duration::from_secs(120))
        );
        let http_date = headers(&[
            ("date", "Tue, 10 Jul 2018 00:42:00 GMT"),
            ("retry-after", "Tue, 10 Jul 2018 00:42:30 GMT"),
        ]);
        assert_eq!(
            retry_after(&http_date, skewed_now),
            Some(Duration::from_secs(30))
        );
        // A `Date` that does not parse falls back to the local clock.
        let garbage_date = headers(&[
            ("date", "yesterday"),
            ("retry-after", "Mon, 09 Jul 2018 23:42:30 GMT"),
        ]);
        assert_eq!(
            retry_after(&garbage_date, skewed_now),
            Some(Duration::from_secs(30))
        );
    }

    #[test]
    fn yandex_resource_until_is_the_wait_when_the_quota_is_used_up() {
        let now = at("2018-07-10T00:40:00Z");
        let exhausted = headers(&[
            ("x-ratelimit-resource-limit", "1000"),
            ("x-ratelimit-resource-remaining", "0"),
            (
                "x-ratelimit-resource-until",
                "Tue, 10 Jul 2018 00:42:42 GMT",
            ),
        ]);
        assert_eq!(retry_after(&exhausted, now), Some(Duration::from_secs(162)));
        // The vendor documentation's example date, whose weekday is wrong.
        let documented = headers(&[
            ("x-ratelimit-resource-remaining", "0"),
            (
                "x-ratelimit-resource-until",
                "Thu, 10 Jul 2018 00:42:42 GMT",
            ),
        ]);
        assert_eq!(
            retry_after(&documented, now),
            Some(Duration::from_secs(162))
        );
        // Another offset, no weekday (both allowed by RFC 822), and a negative count.
        let moscow = headers(&[
            ("x-ratelimit-resource-remaining", "-1"),
            ("x-ratelimit-resource-until", "10 Jul 2018 03:41:00 +0300"),
        ]);
        assert_eq!(retry_after(&moscow, now), Some(Duration::from_secs(60)));
        // Defensive: an RFC 3339 timestamp is read too.
        let rfc3339 = headers(&[
            ("x-ratelimit-resource-remaining", " 0 "),
            ("x-ratelimit-resource-until", "2018-07-10T00:41:30+00:00"),
        ]);
        assert_eq!(retry_after(&rfc3339, now), Some(Duration::from_secs(90)));
        // A window that already ended means "now", not a negative wait.
        let later = at("2018-07-10T01:00:00Z");
        assert_eq!(retry_after(&exhausted, later), Some(Duration::ZERO));
    }

    #[test]
    fn yandex_resource_until_is_ignored_while_quota_remains_or_is_unknown() {
        let now = at("2018-07-10T00:40:00Z");
        let until = (
            "x-ratelimit-resource-until",
            "Tue, 10 Jul 2018 00:42:42 GMT",
        );
        for remaining in [
            Some("12"),
            Some("lots"),
            Some(""),
            Some("99999999999999999999999"),
            None,
        ] {
            let mut pairs = vec![until];
            pairs.extend(remaining.map(|r| ("x-ratelimit-resource-remaining", r)));
            assert_eq!(retry_after(&headers(&pairs), now), None, "{remaining:?}");
        }
    }

    #[test]
    fn garbage_yandex_resource_until_is_ignored() {
        let now = SystemTime::now();
        for until in [
            "tomorrow",
            "",
            "Thu, 99 Jul 2018 00:42:42 GMT",
            "1531183362",
            "Thu, 10 Jul 2018 00:42:42",
        ] {
            let mut map = headers(&[("x-ratelimit-resource-remaining", "0")]);
            map.insert(
                "x-ratelimit-resource-until",
                HeaderValue::from_str(until).unwrap(),
            );
            assert_eq!(retry_after(&map, now), None, "{until:?}");
        }
        let mut not_text = headers(&[("x-ratelimit-resource-remaining", "0")]);
        not_text.insert(
            "x-ratelimit-resource-until",
            HeaderValue::from_bytes(b"Thu, 10 Jul 2018 \xff").unwrap(),
        );
        assert_eq!(retry_after(&not_text, now), None);
    }

    #[test]
    fn retry_after_wins_over_yandex_resource_until_unless_it_is_garbage() {
        let now = at("2018-07-10T00:40:00Z");
        let mut both = headers(&[
            ("retry-after", "5"),
            ("x-ratelimit-resource-remaining", "0"),
            (
                "x-ratelimit-resource-until",
                "Tue, 10 Jul 2018 00:42:42 GMT",
            ),
        ]);
        assert_eq!(retry_after(&both, now), Some(Duration::from_secs(5)));
        both.insert("retry-after", HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&both, now), Some(Duration::from_secs(162)));
    }

    #[test]
    fn a_yandex_420_error_carries_when_to_retry() {
        let until = chrono::Utc::now() + chrono::Duration::seconds(120);
        let until = until.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
        let err = error_response(
            420,
            &[
                ("x-ratelimit-resource-limit", "1000"),
                ("x-ratelimit-resource-remaining", "0"),
                ("x-ratelimit-resource-until", until.as_str()),
            ],
        );
        assert!(err.is_rate_limited());
        let wait = err.retry_after().expect("a wait");
        assert!(
            (Duration::from_secs(115)..=Duration::from_secs(120)).contains(&wait),
            "{wait:?}"
        );
    }

    #[test]
    fn debug_names_the_kind() {
        let api = error_response(404, &[]);
        assert!(
            format!("{api:?}").starts_with("Error { kind: Api, message: "),
            "{api:?}"
        );
        let limited = error_response(429, &[]);
        assert!(
            format!("{limited:?}").starts_with("Error { kind: RateLimited, "),
            "{limited:?}"
        );
        let invalid = Error::invalid_request("limit too large");
        assert!(
            format!("{invalid:?}").starts_with("Error { kind: InvalidRequest, "),
            "{invalid:?}"
        );
        let body = bytes::Bytes::from_static(b"<html>");
        let serde_error = serde_json::from_slice::<u8>(&body).unwrap_err();
        let decode = Error::from(GeneratedError::<Body>::InvalidResponsePayload(
            body,
            serde_error,
        ));
        assert!(
            format!("{decode:?}").starts_with("Error { kind: Decode, "),
            "{decode:?}"
        );
    }

    #[tokio::test]
    async fn debug_names_a_connect_failure() {
        // Port 1 on loopback: nothing listens there, the connection is refused.
        let refused = reqwest::get("http://127.0.0.1:1/").await.unwrap_err();
        let err = Error::from(GeneratedError::<Body>::CommunicationError(refused));
        assert!(err.is_connect());
        assert!(
            format!("{err:?}").starts_with("Error { kind: Connect, "),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn a_transport_error_shows_the_url_without_its_query_anywhere() {
        let refused = reqwest::get("http://127.0.0.1:1/v2/chats?chatId=order-4711#top")
            .await
            .unwrap_err();
        let err = Error::from(GeneratedError::<Body>::CommunicationError(refused));
        let boxed: Box<dyn std::error::Error> = Box::new(err);
        let mut seen = format!("{boxed}\n{boxed:?}\n");
        let mut source = boxed.source();
        while let Some(cause) = source {
            seen.push_str(&format!("{cause}\n{cause:?}\n"));
            source = cause.source();
        }
        assert!(!seen.contains("order-4711"), "{seen}");
        assert!(!seen.contains("#top"), "{seen}");
        assert!(seen.contains("http://127.0.0.1:1/v2/chats"), "{seen}");
    }

    #[test]
    fn decode_errors_keep_a_truncated_excerpt_of_the_body() {
        let body = bytes::Bytes::from(vec![b'x'; 2000]);
        let serde_error = serde_json::from_slice::<u8>(&body).unwrap_err();
        let err = Error::from(GeneratedError::<Body>::InvalidResponsePayload(
            body,
            serde_error,
        ));
        assert!(err.is_decode());
        let text = err.to_string();
        assert!(text.contains("(2000 bytes in all)"), "{text}");
        assert!(text.len() < 700, "{}", text.len());
    }
}
