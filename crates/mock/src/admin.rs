//! Admin calls, through the library and over HTTP under [`PREFIX`] on every API's
//! server: the journal, buyers acting (writing a message, opening a chat), and the
//! API's faults.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use bytes::Bytes;
use http::StatusCode;
use serde::{Deserialize, Serialize};

use std::time::Duration;

use crate::Api;
use crate::faults::{FaultState, Faults, Latency};
use crate::http_util::json;
use crate::journal::Journal;

pub use crate::http_util::ADMIN_PREFIX as PREFIX;

/// What a buyer's action created.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuyerAction {
    /// The thread, as the API names it: the Lectronz order id, the SkyHub ticket
    /// code, the Yandex chat id, the METRO chat id.
    pub thread: String,
    /// The new message: its id (SkyHub messages have none: their `created_at`).
    pub message: String,
}

/// One thread of a world as its API names it, and how many messages it holds: what a
/// client that reads everything should end up with.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ThreadCensus {
    /// The Lectronz order id, the METRO chat id, the Yandex chat id, or the SkyHub
    /// ticket code and conversation as `<code>/<parts>`.
    pub thread: String,
    /// Its messages.
    pub messages: usize,
}

/// Why an admin call could not be carried out.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct AdminError(pub(crate) String);

/// What a buyer can do on one API's world.
pub(crate) trait Buyer: Send + Sync {
    /// The buyer of `thread` writes `text` in it.
    fn write(&self, thread: &str, text: &str) -> Result<BuyerAction, AdminError>;
    /// A buyer opens a new thread (about `order` where the API needs one) with `text`.
    fn open(&self, order: Option<&str>, text: &str) -> Result<BuyerAction, AdminError>;
    /// Every thread of the world with its message count (Lectronz: orders with
    /// messages; SkyHub: conversations with messages).
    fn census(&self) -> Vec<ThreadCensus>;
}

#[derive(Clone)]
struct Admin {
    api: Api,
    journal: Arc<Journal>,
    buyer: Option<Arc<dyn Buyer>>,
    faults: Arc<FaultState>,
}

/// The body of `PUT /__mock/faults`: [`Faults`] with durations in milliseconds
/// (`latency_ms`: one number, or `[low, high]` for a uniform draw).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultsRequest {
    #[serde(default)]
    latency_ms: Option<LatencyMs>,
    #[serde(default)]
    error_percent: u8,
    #[serde(default)]
    reset_percent: u8,
    #[serde(default)]
    stall_percent: u8,
    #[serde(default)]
    outage: bool,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum LatencyMs {
    Fixed(u64),
    Uniform([u64; 2]),
}

impl From<FaultsRequest> for Faults {
    fn from(r: FaultsRequest) -> Self {
        let ms = Duration::from_millis;
        Faults {
            latency: match r.latency_ms {
                None => Latency::None,
                Some(LatencyMs::Fixed(at)) => Latency::Fixed(ms(at)),
                Some(LatencyMs::Uniform([low, high])) => Latency::Uniform(ms(low), ms(high)),
            },
            error_percent: r.error_percent,
            reset_percent: r.reset_percent,
            stall_percent: r.stall_percent,
            outage: r.outage,
        }
    }
}

#[derive(Deserialize)]
struct Write {
    thread: String,
    text: String,
}

#[derive(Deserialize)]
struct Open {
    order: Option<String>,
    text: String,
}

#[derive(Serialize)]
struct Problem {
    error: String,
}

fn refused(status: StatusCode, error: impl ToString) -> Response {
    json(
        status,
        &Problem {
            error: error.to_string(),
        },
    )
}

/// The admin routes of one API's server.
pub(crate) fn router(
    api: Api,
    journal: Arc<Journal>,
    buyer: Option<Arc<dyn Buyer>>,
    faults: Arc<FaultState>,
) -> Router {
    Router::new()
        .route(
            &format!("{PREFIX}/journal"),
            get(read_journal).delete(clear_journal),
        )
        .route(&format!("{PREFIX}/buyer/messages"), post(buyer_writes))
        .route(&format!("{PREFIX}/buyer/chats"), post(buyer_opens))
        .route(&format!("{PREFIX}/faults"), axum::routing::put(set_faults))
        .with_state(Admin {
            api,
            journal,
            buyer,
            faults,
        })
}

/// Sets this API's faults (an empty object ends them).
async fn set_faults(State(admin): State<Admin>, body: Bytes) -> Response {
    match serde_json::from_slice::<FaultsRequest>(&body) {
        Ok(request) => {
            admin.faults.set(request.into());
            crate::http_util::empty(StatusCode::NO_CONTENT)
        }
        Err(e) => refused(StatusCode::BAD_REQUEST, e),
    }
}

async fn read_journal(State(admin): State<Admin>) -> Response {
    json(StatusCode::OK, &admin.journal.entries(Some(admin.api)))
}

async fn clear_journal(State(admin): State<Admin>) -> Response {
    admin.journal.clear(Some(admin.api));
    crate::http_util::empty(StatusCode::NO_CONTENT)
}

fn act<T: for<'de> Deserialize<'de>>(
    admin: &Admin,
    body: &Bytes,
    action: impl FnOnce(&dyn Buyer, T) -> Result<BuyerAction, AdminError>,
) -> Response {
    let Some(buyer) = &admin.buyer else {
        return refused(StatusCode::NOT_FOUND, "this API has no buyers");
    };
    match serde_json::from_slice(body) {
        Err(e) => refused(StatusCode::BAD_REQUEST, e),
        Ok(request) => match action(buyer.as_ref(), request) {
            Ok(done) => json(StatusCode::CREATED, &done),
            Err(e) => refused(StatusCode::NOT_FOUND, e),
        },
    }
}

async fn buyer_writes(State(admin): State<Admin>, body: Bytes) -> Response {
    act(&admin, &body, |buyer, w: Write| {
        buyer.write(&w.thread, &w.text)
    })
}

async fn buyer_opens(State(admin): State<Admin>, body: Bytes) -> Response {
    act(&admin, &body, |buyer, o: Open| {
        buyer.open(o.order.as_deref(), &o.text)
    })
}
