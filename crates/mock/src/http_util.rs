//! Small helpers shared by the marketplaces' handlers.

use axum::body::Body;
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use chrono::{DateTime, TimeZone, Utc};
use http::{HeaderMap, StatusCode, header};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The path prefix reserved for admin calls; no marketplace path starts with it. It
/// lives here, below the admin routes, the journal and the faults that all skip it.
pub const ADMIN_PREFIX: &str = "/__mock";

/// A JSON answer. The body is serialized from the client crates' generated types, so
/// a response field the spec does not have cannot be written.
pub(crate) fn json<T: Serialize>(status: StatusCode, value: &T) -> Response {
    json_as(status, "application/json", value)
}

/// A JSON answer with another JSON media type (`application/problem+json`).
pub(crate) fn json_as<T: Serialize>(
    status: StatusCode,
    media_type: &'static str,
    value: &T,
) -> Response {
    let body = serde_json::to_vec(value).expect("generated types always serialize");
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, media_type)
        .body(Body::from(body))
        .expect("static status and header are valid")
}

/// The header the mock adds to an answer for a route it does not serve (unknown path,
/// or a known path with another method), so that the operation-coverage test can tell
/// "not served" from an operation's own 404. No marketplace sends it.
pub const UNROUTED_HEADER: &str = "x-mock-unrouted";

/// Marks `response` as the answer to a route the mock does not serve.
pub(crate) fn unrouted(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(UNROUTED_HEADER, http::HeaderValue::from_static("1"));
    response
}

/// An answer without a body.
pub(crate) fn empty(status: StatusCode) -> Response {
    Response::builder()
        .status(status)
        .body(Body::empty())
        .expect("a status alone is a valid response")
}

/// The query string's pairs, percent-decoded, in order.
pub(crate) fn query_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

/// The last value of `name` in the query (a repeated parameter keeps the last, as
/// most frameworks do).
pub(crate) fn query_value<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

/// An opaque paging token (SkyHub's cursor, Yandex's page token): URL-safe base64 of
/// the JSON of what the next page needs, so clients cannot rely on its shape.
pub(crate) fn encode_token<T: Serialize>(value: &T) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).expect("a token serializes"))
}

/// Reads a token written by [`encode_token`]; `None` for anything else.
pub(crate) fn decode_token<T: DeserializeOwned>(text: &str) -> Option<T> {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(text).ok()?).ok()
}

/// One part of a `multipart/form-data` body.
pub(crate) struct Part {
    pub(crate) name: String,
    pub(crate) filename: Option<String>,
    pub(crate) content_type: Option<String>,
    pub(crate) data: Bytes,
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|window| window == needle)
        .map(|at| at + from)
}

/// The value of `key="…"` (or `key=…`) in a header's parameters.
fn parameter(header: &str, key: &str) -> Option<String> {
    header.split(';').skip(1).find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        (k.trim().eq_ignore_ascii_case(key)).then(|| v.trim().trim_matches('"').to_owned())
    })
}

/// Splits a `multipart/form-data` body (RFC 7578) into its parts. The two upload
/// operations take one file each; a hand-rolled reader keeps a multipart crate out of
/// the build. `Err` is the reason the body is malformed.
pub(crate) fn multipart(headers: &HeaderMap, body: &Bytes) -> Result<Vec<Part>, &'static str> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !content_type
        .to_ascii_lowercase()
        .starts_with("multipart/form-data")
    {
        return Err("the body must be multipart/form-data");
    }
    let boundary = parameter(content_type, "boundary").ok_or("no multipart boundary")?;
    let delimiter = format!("--{boundary}");
    let next_delimiter = format!("\r\n--{boundary}");
    let malformed = "malformed multipart body";
    let mut at = find(body, delimiter.as_bytes(), 0).ok_or(malformed)? + delimiter.len();
    let mut parts = Vec::new();
    loop {
        if body.get(at..at + 2) == Some(b"--") {
            return Ok(parts);
        }
        if body.get(at..at + 2) != Some(b"\r\n") {
            return Err(malformed);
        }
        let head_end = find(body, b"\r\n\r\n", at + 2).ok_or(malformed)?;
        let head = std::str::from_utf8(&body[at + 2..head_end]).map_err(|_| malformed)?;
        let data_start = head_end + 4;
        let data_end = find(body, next_delimiter.as_bytes(), data_start).ok_or(malformed)?;
        let mut part = Part {
            name: String::new(),
            filename: None,
            content_type: None,
            data: body.slice(data_start..data_end),
        };
        for line in head.split("\r\n") {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            if name.trim().eq_ignore_ascii_case("content-disposition") {
                part.name = parameter(value, "name").unwrap_or_default();
                part.filename = parameter(value, "filename");
            } else if name.trim().eq_ignore_ascii_case("content-type") {
                part.content_type = Some(value.trim().to_owned());
            }
        }
        parts.push(part);
        at = data_end + next_delimiter.len();
    }
}

/// The instant the generated worlds end at: fixed, so that the same seed gives the
/// same timestamps on every run. Messages written at run time are stamped with the
/// real clock, which is later.
pub(crate) fn world_end() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .expect("a valid fixed date")
}

/// Now, but strictly after `last`, so that a write is always the newest item even if
/// two land in the same clock tick.
pub(crate) fn now_after(last: DateTime<Utc>) -> DateTime<Utc> {
    let now = Utc::now();
    if now > last {
        now
    } else {
        last + chrono::Duration::milliseconds(1)
    }
}

/// Buyer lines and seller lines the generated threads are made of.
pub(crate) const BUYER_LINES: &[&str] = &[
    "Hello, when will my order ship?",
    "The parcel arrived damaged, what can I do?",
    "Can I change the delivery address?",
    "Is this item compatible with the previous model?",
    "I would like to return one item.",
    "The tracking number does not work.",
    "Could you send me the invoice, please?",
    "Thank you, all good now.",
];

pub(crate) const SELLER_LINES: &[&str] = &[
    "Thanks for your message, we are checking.",
    "Your order ships tomorrow.",
    "We have sent a replacement.",
    "Please send us a photo of the damage.",
    "The invoice is attached.",
    "Yes, it is compatible.",
    "We have updated the address.",
    "You can return it within 30 days.",
];
