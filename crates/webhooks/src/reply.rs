//! What a receiver answers: a [`Reply`] for a taken delivery, a [`Rejection`] otherwise.

use bytes::Bytes;
use http::StatusCode;

/// An HTTP answer of a receiver: status and JSON body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    status: StatusCode,
    body: Bytes,
}

impl Reply {
    pub(crate) fn json(status: StatusCode, body: &impl serde::Serialize) -> Self {
        // The bodies are generated types of plain strings and numbers: serializing
        // them cannot fail, but a failure must still not panic.
        let body = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
        Reply {
            status,
            body: Bytes::from(body),
        }
    }

    /// The HTTP status to answer.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The JSON body to answer, with `Content-Type: application/json`.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// Whether this is a success (2xx) answer.
    pub fn is_success(&self) -> bool {
        self.status.is_success()
    }
}

/// Why a delivery was not taken, and what to answer the marketplace.
///
/// [`reason`](Rejection::reason) is for logs: it names the check that failed and never
/// contains a secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    reply: Reply,
    reason: String,
}

impl Rejection {
    pub(crate) fn new(reply: Reply, reason: impl Into<String>) -> Self {
        Rejection {
            reply,
            reason: reason.into(),
        }
    }

    /// The HTTP status to answer (4xx or 5xx).
    pub fn status(&self) -> StatusCode {
        self.reply.status
    }

    /// The JSON body to answer.
    pub fn body(&self) -> &Bytes {
        &self.reply.body
    }

    /// The check that failed, for logs.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// The answer as a [`Reply`].
    pub fn into_reply(self) -> Reply {
        self.reply
    }
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.reply.status.as_u16(), self.reason)
    }
}

impl std::error::Error for Rejection {}

/// The checks every receiver makes before reading a body, in this order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Precheck {
    /// Over the size limit: 413.
    TooLarge { limit: usize },
    /// A `Content-Type` that is not JSON: 415.
    NotJson,
    /// The connection failed while the body was read (adapters only): 400.
    #[cfg_attr(not(feature = "axum"), allow(dead_code))]
    Unreadable,
    /// The body did not arrive within the read timeout (adapters only): 408.
    #[cfg_attr(not(feature = "axum"), allow(dead_code))]
    TimedOut { after: std::time::Duration },
}

impl Precheck {
    pub(crate) fn message(self) -> String {
        match self {
            Precheck::TooLarge { limit } => {
                format!("the body is larger than the receiver's limit of {limit} bytes")
            }
            Precheck::NotJson => "the body must be JSON (Content-Type: application/json)".into(),
            Precheck::Unreadable => "the body could not be read".into(),
            Precheck::TimedOut { after } => {
                format!("the body did not arrive within {} ms", after.as_millis())
            }
        }
    }

    pub(crate) fn status(self) -> StatusCode {
        match self {
            Precheck::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Precheck::NotJson => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Precheck::Unreadable => StatusCode::BAD_REQUEST,
            Precheck::TimedOut { .. } => StatusCode::REQUEST_TIMEOUT,
        }
    }
}

/// Size first (so an adapter can stop reading), then the media type. A missing
/// `Content-Type` is accepted: neither marketplace documents that it sends one, and
/// the body is parsed as JSON anyway; a present one must be `application/json` or
/// `application/<x>+json` (parameters such as `charset` are ignored).
pub(crate) fn precheck(
    headers: &http::HeaderMap,
    body_len: usize,
    limit: usize,
) -> Result<(), Precheck> {
    if body_len > limit {
        return Err(Precheck::TooLarge { limit });
    }
    match headers.get(http::header::CONTENT_TYPE) {
        None => Ok(()),
        Some(value) => {
            let essence = value
                .to_str()
                .map_err(|_| Precheck::NotJson)?
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase();
            let json = essence == "application/json"
                || essence
                    .strip_prefix("application/")
                    .is_some_and(|sub| sub.ends_with("+json"));
            if json { Ok(()) } else { Err(Precheck::NotJson) }
        }
    }
}

/// At most `max` characters of `text`, for messages that quote parser errors.
pub(crate) fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_type(value: &str) -> http::HeaderMap {
        let mut headers = http::HeaderMap::new();
        headers.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_str(value).unwrap(),
        );
        headers
    }

    #[test]
    fn json_media_types_pass_and_others_do_not() {
        for ok in [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON",
            "application/vnd.metro+json",
        ] {
            assert_eq!(precheck(&with_type(ok), 10, 100), Ok(()), "{ok}");
        }
        for bad in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "",
        ] {
            assert_eq!(
                precheck(&with_type(bad), 10, 100),
                Err(Precheck::NotJson),
                "{bad}"
            );
        }
        assert_eq!(precheck(&http::HeaderMap::new(), 10, 100), Ok(()));
    }

    #[test]
    fn the_size_limit_is_inclusive_and_checked_first() {
        assert_eq!(
            precheck(&with_type("text/plain"), 101, 100),
            Err(Precheck::TooLarge { limit: 100 })
        );
        assert_eq!(precheck(&http::HeaderMap::new(), 100, 100), Ok(()));
    }

    #[test]
    fn clip_cuts_on_character_boundaries() {
        assert_eq!(clip("héllo", 2), "hé…");
        assert_eq!(clip("hé", 2), "hé");
    }
}
