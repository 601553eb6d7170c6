//! Lectronz API v1, messages (`specs/lectronz.yaml`), served under `/api/v1`.
//!
//! Lectronz has no thread object: a thread is an order, and its messages carry the
//! order as `subject`. Message ids are given in creation order, so "newest first" is
//! descending id order.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, RawQuery, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use bytes::Bytes;
use chrono::{DateTime, Duration, Utc};
use http::StatusCode;
use marketplace_lectronz::types;

use crate::MockConfig;
use crate::admin::{AdminError, Buyer, BuyerAction, ThreadCensus};
use crate::http_util::{
    BUYER_LINES, SELLER_LINES, json, now_after, query_pairs, query_value, unrouted, world_end,
};
use crate::rng::Rng;

/// The path prefix of the API on the host. Lectronz's documents (and the spec's
/// paths) write their paths as `/api/v1/messages…`.
pub const API_PREFIX: &str = "/api/v1";

/// The page size when `limit` is absent (Lectronz: "at most 20 objects by default").
const DEFAULT_LIMIT: i64 = 20;

/// Where the mock serves Lectronz, and the credential it accepts.
#[derive(Clone, Debug)]
pub struct LectronzAccess {
    /// The bare host, `http://127.0.0.1:<port>`: the base URL
    /// `marketplace_lectronz::ClientBuilder::base_url` takes, like every client's.
    pub base_url: String,
    /// `base_url` + [`LECTRONZ_API_PREFIX`](crate::LECTRONZ_API_PREFIX): where the
    /// documents' paths (`/messages…`) are, for raw HTTP.
    pub api_url: String,
    /// The store owner's API key (`Authorization: Bearer`).
    pub api_key: String,
}

struct World {
    /// Indexed by `id - 1`: ids are dense and never reused.
    messages: Vec<types::Message>,
    orders: HashSet<i64>,
    host: String,
}

type Shared = Arc<Mutex<World>>;

/// A customer of the store writes on an order.
pub(crate) struct Customers(Shared);

impl Customers {
    fn write_on(world: &mut World, order: i64, text: &str) -> BuyerAction {
        let last = world
            .messages
            .last()
            .map_or_else(world_end, |m| m.created_at);
        let now = now_after(last);
        let id = world.messages.len() as i64 + 1;
        let message = types::Message {
            id,
            content: text.into(),
            attachment: None,
            type_: types::MessageType::CustomerOrderMessage,
            subject: subject(&world.host, order),
            created_at: now,
            updated_at: now,
            read_at: None,
        };
        world.messages.push(message);
        BuyerAction {
            thread: order.to_string(),
            message: id.to_string(),
        }
    }
}

impl Buyer for Customers {
    /// `thread` is the order id.
    fn write(&self, thread: &str, text: &str) -> Result<BuyerAction, AdminError> {
        let mut world = self
            .0
            .lock()
            .expect("no handler panics while holding the world");
        match thread.parse::<i64>() {
            Ok(order) if world.orders.contains(&order) => {
                Ok(Self::write_on(&mut world, order, text))
            }
            _ => Err(AdminError(format!("no order {thread}"))),
        }
    }

    /// Lectronz has no thread object: a customer "opens" one by writing about an
    /// order without messages, here a new order of the store.
    fn open(&self, _order: Option<&str>, text: &str) -> Result<BuyerAction, AdminError> {
        let mut world = self
            .0
            .lock()
            .expect("no handler panics while holding the world");
        let order = world.orders.iter().max().map_or(order_id(0), |o| o + 1);
        world.orders.insert(order);
        Ok(Self::write_on(&mut world, order, text))
    }

    fn census(&self) -> Vec<ThreadCensus> {
        let world = self
            .0
            .lock()
            .expect("no handler panics while holding the world");
        let mut counts = std::collections::BTreeMap::<i64, usize>::new();
        for message in &world.messages {
            *counts.entry(message.subject.id).or_default() += 1;
        }
        counts
            .into_iter()
            .map(|(order, messages)| ThreadCensus {
                thread: order.to_string(),
                messages,
            })
            .collect()
    }
}

pub(crate) fn start(config: &MockConfig, host: &str) -> (LectronzAccess, Router, Customers) {
    let world = Arc::new(Mutex::new(generate(config, host)));
    let access = LectronzAccess {
        base_url: host.to_owned(),
        api_url: format!("{host}{API_PREFIX}"),
        api_key: format!("mock-lectronz-key-{}", config.seed),
    };
    let api = Router::new()
        .route("/messages", get(list_messages).post(create_message))
        .route("/messages/{id}", get(get_message))
        .route("/messages/{id}/mark_as_read", post(mark_message_as_read))
        .route_layer(middleware::from_fn_with_state(
            Arc::<str>::from(format!("Bearer {}", access.api_key)),
            authorize,
        ))
        .method_not_allowed_fallback(|| async {
            unrouted(error(
                StatusCode::METHOD_NOT_ALLOWED,
                "Method Not Allowed",
                "no such route",
            ))
        })
        .with_state(world.clone());
    let router = Router::new().nest(API_PREFIX, api).fallback(|| async {
        unrouted(error(StatusCode::NOT_FOUND, "Not Found", "no such route"))
    });
    (access, router, Customers(world))
}

fn order_id(thread: usize) -> i64 {
    100_000 + thread as i64
}

fn subject(host: &str, order: i64) -> types::MessageSubject {
    types::MessageSubject {
        id: order,
        type_: types::SubjectType::Order,
        link: format!("{host}{API_PREFIX}/orders/{order}"),
    }
}

/// A generated message before its id is known.
struct Draft {
    at: DateTime<Utc>,
    thread: usize,
    from_buyer: bool,
    unread: bool,
}

fn generate(config: &MockConfig, host: &str) -> World {
    let mut rng = Rng::new(config.seed, "lectronz");
    // Each order's messages alternate buyer / seller from the order's start; the
    // newest order starts last. Times are drawn first and ids given in time order.
    // Each order's messages alternate buyer / seller from the order's start; 40 % of
    // the orders end on a buyer message the seller has not answered (unread 70 % of
    // the time), so an inbox has work to do. Times are drawn first and ids given in
    // time order.
    let mut drafts: Vec<Draft> = Vec::with_capacity(config.threads * config.messages_per_thread);
    let span_minutes = 60 * 24 * 365;
    let last = config.messages_per_thread.saturating_sub(1);
    for thread in 0..config.threads {
        let awaiting = rng.percent(40);
        let unread = awaiting && rng.percent(70);
        let mut at = world_end() - Duration::minutes(rng.below(span_minutes) as i64 + 60 * 24);
        for position in 0..config.messages_per_thread {
            drafts.push(Draft {
                at,
                thread,
                from_buyer: position % 2 == 0 || (awaiting && position == last),
                unread: unread && position == last,
            });
            at += Duration::minutes(1 + rng.below(180) as i64);
        }
    }
    drafts.sort_by_key(|d| (d.at, d.thread));
    let messages = drafts
        .into_iter()
        .enumerate()
        .map(|(index, draft)| {
            let id = index as i64 + 1;
            let created_at = draft.at;
            let (type_, content) = if draft.from_buyer {
                (
                    types::MessageType::CustomerOrderMessage,
                    rng.pick(BUYER_LINES),
                )
            } else {
                (
                    types::MessageType::SellerOrderMessage,
                    rng.pick(SELLER_LINES),
                )
            };
            let read_at =
                (!draft.unread).then(|| created_at + Duration::minutes(1 + rng.below(60) as i64));
            let attachment = rng.percent(10).then(|| types::MessageAttachment {
                url: format!("{host}/attachments/{id}/photo-{id}.jpg"),
                filename: format!("photo-{id}.jpg"),
                content_type: "image/jpeg".into(),
            });
            types::Message {
                id,
                content: content.into(),
                attachment,
                type_,
                subject: subject(host, order_id(draft.thread)),
                created_at,
                updated_at: read_at.unwrap_or(created_at),
                read_at,
            }
        })
        .collect();
    World {
        messages,
        orders: (0..config.threads).map(order_id).collect(),
        host: host.to_owned(),
    }
}

/// Lectronz takes the store owner's API key as `Authorization: Bearer <key>`; anything
/// else is a 401 in its error shape.
async fn authorize(State(expected): State<Arc<str>>, request: Request, next: Next) -> Response {
    let given = request.headers().get(http::header::AUTHORIZATION);
    if given.is_some_and(|value| value.as_bytes() == expected.as_bytes()) {
        next.run(request).await
    } else {
        error(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "a valid API key is required (Authorization: Bearer)",
        )
    }
}

/// Lectronz's error body: `{"errors":[{"status", "title", "detail"}]}`.
/// A server-side failure in Lectronz's shape (for injected faults).
pub(crate) fn server_error(status: StatusCode, detail: &str) -> Response {
    error(status, status.canonical_reason().unwrap_or("Error"), detail)
}

fn error(status: StatusCode, title: &str, detail: &str) -> Response {
    let body = types::ErrorResponse {
        errors: vec![types::ErrorObject {
            status: i32::from(status.as_u16()),
            title: title.into(),
            detail: Some(detail.into()),
        }],
    };
    json(status, &body)
}

fn bad_request(detail: &str) -> Response {
    error(StatusCode::BAD_REQUEST, "Bad Request", detail)
}

fn not_found(id: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "Not Found",
        &format!("no message with id {id}"),
    )
}

fn unprocessable(detail: &str) -> Response {
    error(
        StatusCode::UNPROCESSABLE_ENTITY,
        "Unprocessable Entity",
        detail,
    )
}

/// Parses an integer query parameter with the spec's `minimum`; the error is the
/// `detail` of the 400.
fn integer(pairs: &[(String, String)], name: &str, minimum: i64) -> Result<Option<i64>, String> {
    match query_value(pairs, name) {
        None => Ok(None),
        Some(text) => match text.parse::<i64>() {
            Ok(value) if value >= minimum => Ok(Some(value)),
            _ => Err(format!("`{name}` must be an integer of at least {minimum}")),
        },
    }
}

async fn list_messages(State(world): State<Shared>, RawQuery(query): RawQuery) -> Response {
    let pairs = query_pairs(query.as_deref());
    let (limit, offset) = match (integer(&pairs, "limit", 1), integer(&pairs, "offset", 0)) {
        (Ok(limit), Ok(offset)) => (limit.unwrap_or(DEFAULT_LIMIT), offset.unwrap_or(0)),
        (Err(detail), _) | (_, Err(detail)) => return bad_request(&detail),
    };
    let world = world
        .lock()
        .expect("no handler panics while holding the world");
    let total = world.messages.len();
    let messages = world
        .messages
        .iter()
        .rev()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .map(|m| types::MessageSummary {
            id: m.id,
            type_: m.type_.clone(),
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
        .collect();
    json(
        StatusCode::OK,
        &types::MessageList {
            limit,
            offset,
            total_count: total as i64,
            messages,
        },
    )
}

/// The index of message `id` (a path segment) in the world, if it exists.
fn index(world: &World, id: &str) -> Option<usize> {
    let id = id.parse::<usize>().ok()?;
    (1..=world.messages.len()).contains(&id).then(|| id - 1)
}

async fn get_message(State(world): State<Shared>, Path(id): Path<String>) -> Response {
    let world = world
        .lock()
        .expect("no handler panics while holding the world");
    match index(&world, &id) {
        Some(i) => json(StatusCode::OK, &world.messages[i]),
        None => not_found(&id),
    }
}

async fn create_message(State(world): State<Shared>, body: Bytes) -> Response {
    let create: types::MessageCreate = match serde_json::from_slice(&body) {
        Ok(create) => create,
        Err(e) => return bad_request(&format!("invalid message: {e}")),
    };
    // The two rules the reference states for this operation.
    if create.type_ != types::MessageType::SellerOrderMessage {
        return unprocessable("the message type must be seller_order_message");
    }
    if create.subject.type_ != types::SubjectType::Order {
        return unprocessable("the subject must be an order");
    }
    let mut world = world
        .lock()
        .expect("no handler panics while holding the world");
    if !world.orders.contains(&create.subject.id) {
        return error(
            StatusCode::NOT_FOUND,
            "Not Found",
            &format!("no order with id {}", create.subject.id),
        );
    }
    let last = world
        .messages
        .last()
        .map_or_else(world_end, |m| m.created_at);
    let now = now_after(last);
    let message = types::Message {
        id: world.messages.len() as i64 + 1,
        content: create.content,
        attachment: None,
        type_: create.type_,
        subject: subject(&world.host, create.subject.id),
        created_at: now,
        updated_at: now,
        read_at: None,
    };
    world.messages.push(message.clone());
    json(StatusCode::CREATED, &message)
}

async fn mark_message_as_read(State(world): State<Shared>, Path(id): Path<String>) -> Response {
    let mut world = world
        .lock()
        .expect("no handler panics while holding the world");
    let Some(i) = index(&world, &id) else {
        return not_found(&id);
    };
    let message = &mut world.messages[i];
    if message.type_ != types::MessageType::CustomerOrderMessage {
        return unprocessable("only a customer_order_message can be marked as read");
    }
    // Marking a read message again keeps the first reading time.
    if message.read_at.is_none() {
        let now = now_after(message.updated_at);
        message.read_at = Some(now);
        message.updated_at = now;
    }
    json(StatusCode::OK, &world.messages[i])
}
