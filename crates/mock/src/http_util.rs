//! Small helpers shared by the marketplaces' handlers.

use axum::body::Body;
use axum::response::Response;
use chrono::{DateTime, TimeZone, Utc};
use http::{StatusCode, header};
use serde::Serialize;

/// A JSON answer. The body is serialized from the client crates' generated types, so
/// a response field the spec does not have cannot be written.
pub(crate) fn json<T: Serialize>(status: StatusCode, value: &T) -> Response {
    let body = serde_json::to_vec(value).expect("generated types always serialize");
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
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
