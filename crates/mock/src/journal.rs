//! The request journal: what reached each "marketplace", so that a test can assert
//! exactly what an SDK sent.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use serde::Serialize;

use crate::Api;

/// Headers that carry a credential: the journal never keeps their values.
const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "api-key",
    "x-api-key",
    "x-accountmanager-key",
    "x-signature",
];

/// What the journal shows of a secret header's value.
pub const REDACTED: &str = "<redacted>";

/// One request received by the mock (admin calls under `/__mock/` excepted).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct JournalEntry {
    /// Which API received it.
    pub api: Api,
    /// `GET`, `POST`, …
    pub method: String,
    /// The path as received (percent-encoding untouched).
    pub path: String,
    /// The query string as received, without `?`.
    pub query: Option<String>,
    /// Every header in the order received (names lower-case); the values of
    /// credentials are replaced with [`REDACTED`].
    pub headers: Vec<(String, String)>,
    /// The body as received, as text (invalid UTF-8 replaced).
    pub body: String,
    /// The status the mock answered.
    pub status: u16,
}

impl JournalEntry {
    /// The value of header `name` (lower-case), if it was sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// `"METHOD path?query"`, the shape tests compare most often.
    pub fn request_line(&self) -> String {
        match &self.query {
            Some(query) => format!("{} {}?{query}", self.method, self.path),
            None => format!("{} {}", self.method, self.path),
        }
    }
}

/// A bounded ring of entries shared by every API's server.
#[derive(Debug)]
pub(crate) struct Journal {
    capacity: usize,
    entries: Mutex<VecDeque<JournalEntry>>,
}

impl Journal {
    pub(crate) fn new(capacity: usize) -> Self {
        Journal {
            capacity,
            entries: Mutex::new(VecDeque::with_capacity(capacity.min(1024))),
        }
    }

    pub(crate) fn is_on(&self) -> bool {
        self.capacity > 0
    }

    fn push(&self, entry: JournalEntry) {
        let mut entries = self
            .entries
            .lock()
            .expect("no panic while holding the journal");
        if entries.len() == self.capacity {
            entries.pop_front();
        }
        entries.push_back(entry);
    }

    pub(crate) fn entries(&self, api: Option<Api>) -> Vec<JournalEntry> {
        let entries = self
            .entries
            .lock()
            .expect("no panic while holding the journal");
        entries
            .iter()
            .filter(|e| api.is_none_or(|api| e.api == api))
            .cloned()
            .collect()
    }

    /// Forgets the entries of `api`, or all of them.
    pub(crate) fn clear(&self, api: Option<Api>) {
        let mut entries = self
            .entries
            .lock()
            .expect("no panic while holding the journal");
        entries.retain(|e| api.is_some_and(|api| e.api != api));
    }
}

/// Records every request of one API (the outermost layer of its server, so refused
/// and unrouted requests are recorded too).
pub(crate) async fn record(
    State((api, journal)): State<(Api, Arc<Journal>)>,
    request: Request,
    next: Next,
) -> Response {
    if !journal.is_on() || request.uri().path().starts_with(crate::admin::PREFIX) {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, crate::BODY_LIMIT).await else {
        return crate::http_util::empty(http::StatusCode::PAYLOAD_TOO_LARGE);
    };
    let headers = parts
        .headers
        .iter()
        .map(|(name, value)| {
            let value = if SECRET_HEADERS.contains(&name.as_str()) {
                REDACTED.to_owned()
            } else {
                String::from_utf8_lossy(value.as_bytes()).into_owned()
            };
            (name.as_str().to_owned(), value)
        })
        .collect();
    let mut entry = JournalEntry {
        api,
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        status: 0,
    };
    let response = next.run(Request::from_parts(parts, Body::from(body))).await;
    entry.status = response.status().as_u16();
    journal.push(entry);
    response
}
