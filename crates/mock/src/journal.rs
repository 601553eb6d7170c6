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
    /// The status the mock answered; 0 while unanswered, and for a request whose
    /// connection an injected fault reset.
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

/// A bounded ring of entries shared by every API's server, each with its sequence
/// number (so an answer's status can be filled in after the request was recorded).
#[derive(Debug)]
pub(crate) struct Journal {
    capacity: usize,
    entries: Mutex<(u64, VecDeque<(u64, JournalEntry)>)>,
}

impl Journal {
    pub(crate) fn new(capacity: usize) -> Self {
        Journal {
            capacity,
            entries: Mutex::new((0, VecDeque::with_capacity(capacity.min(1024)))),
        }
    }

    pub(crate) fn is_on(&self) -> bool {
        self.capacity > 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (u64, VecDeque<(u64, JournalEntry)>)> {
        self.entries
            .lock()
            .expect("no panic while holding the journal")
    }

    /// Records a request on arrival (a reset or stalled request is still recorded);
    /// returns its sequence number.
    fn push(&self, entry: JournalEntry) -> u64 {
        let mut guard = self.lock();
        let (next, entries) = &mut *guard;
        if entries.len() == self.capacity {
            entries.pop_front();
        }
        let seq = *next;
        *next += 1;
        entries.push_back((seq, entry));
        seq
    }

    /// Fills in the status of request `seq`, unless it has left the ring.
    fn answered(&self, seq: u64, status: u16) {
        let mut guard = self.lock();
        let entries = &mut guard.1;
        if let Ok(i) = entries.binary_search_by_key(&seq, |(s, _)| *s) {
            entries[i].1.status = status;
        }
    }

    pub(crate) fn entries(&self, api: Option<Api>) -> Vec<JournalEntry> {
        self.lock()
            .1
            .iter()
            .map(|(_, e)| e)
            .filter(|e| api.is_none_or(|api| e.api == api))
            .cloned()
            .collect()
    }

    /// Forgets the entries of `api`, or all of them.
    pub(crate) fn clear(&self, api: Option<Api>) {
        self.lock()
            .1
            .retain(|(_, e)| api.is_some_and(|api| e.api != api));
    }
}

/// Records every request of one API (the outermost layer of its server, so refused
/// and unrouted requests are recorded too).
pub(crate) async fn record(
    State((api, journal)): State<(Api, Arc<Journal>)>,
    request: Request,
    next: Next,
) -> Response {
    if !journal.is_on()
        || request
            .uri()
            .path()
            .starts_with(crate::http_util::ADMIN_PREFIX)
    {
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
    let entry = JournalEntry {
        api,
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        status: 0,
    };
    let seq = journal.push(entry);
    let response = next.run(Request::from_parts(parts, Body::from(body))).await;
    journal.answered(seq, response.status().as_u16());
    response
}
