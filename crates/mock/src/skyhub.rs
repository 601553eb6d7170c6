//! SkyHub (Americanas) SAC (`specs/skyhub-sac.yaml`): tickets, and the chats of each
//! ticket per conversation pair.
//!
//! A thread is a ticket's `CUSTOMER_SELLER` chat. A quarter of the tickets also have a
//! read-only `CUSTOMER_B2W` chat (the customer and the marketplace); a `B2W_SELLER`
//! chat appears when the seller writes to the marketplace. SkyHub does not document
//! the role of a seller's message: the mock writes `SELLER` (read by the client as
//! `PartRole::Other`), and marks the customer messages it answers with `replyed_at`,
//! the one answer signal SkyHub shows.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, RawQuery, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use bytes::Bytes;
use chrono::{DateTime, Duration, FixedOffset, Utc};
use http::StatusCode;
use marketplace_skyhub_sac::types;
use serde::{Deserialize, Serialize};

use crate::MockConfig;
use crate::admin::{AdminError, Buyer, BuyerAction, ThreadCensus};
use crate::http_util::{
    BUYER_LINES, SELLER_LINES, decode_token, empty, encode_token, json, now_after, query_pairs,
    query_value, unrouted, world_end,
};
use crate::rng::Rng;

/// Tickets per page of `GET /sac`. SkyHub does not publish its page size and offers no
/// parameter for it.
pub(crate) const PAGE_SIZE: usize = 25;

/// The role the mock gives a seller's messages (SkyHub documents only `CUSTOMER`).
const SELLER_ROLE: &str = "SELLER";

const MARKETPLACES: &[&str] = &["Lojas Americanas", "Submarino", "Shoptime"];

/// Where the mock serves SkyHub, and the three header values it accepts.
#[derive(Clone, Debug)]
pub struct SkyhubAccess {
    /// The base URL (`http://127.0.0.1:<port>`), for `ClientBuilder::base_url`.
    pub base_url: String,
    /// `X-User-Email`.
    pub user_email: String,
    /// `X-Api-Key`.
    pub api_key: String,
    /// `X-Accountmanager-Key`.
    pub account_manager_key: String,
}

struct Ticket {
    ticket: types::Ticket,
    chats: Vec<types::Chat>,
}

struct World {
    /// The UTC offset the chats' timestamps are written at.
    offset: FixedOffset,
    tickets: Vec<Ticket>,
    by_code: HashMap<String, usize>,
    host: String,
    /// The latest instant in the world, so that a write is always the newest.
    last: DateTime<Utc>,
}

type Shared = Arc<Mutex<World>>;

fn offset(config: &MockConfig) -> FixedOffset {
    FixedOffset::east_opt(config.unconfirmed.skyhub_utc_offset_hours * 3600)
        .expect("a UTC offset within ±24 h")
}

pub(crate) fn start(config: &MockConfig, host: &str) -> (SkyhubAccess, Router, Customers) {
    let world = Arc::new(Mutex::new(generate(config, host)));
    let access = SkyhubAccess {
        base_url: host.to_owned(),
        user_email: "mock-seller@example.com".into(),
        api_key: format!("mock-skyhub-api-key-{}", config.seed),
        account_manager_key: format!("mock-skyhub-account-manager-key-{}", config.seed),
    };
    let router = Router::new()
        .route("/sac", get(list_tickets))
        .route("/sac/{code}/chats", get(list_chats))
        .route(
            "/sac/{code}/chats/{parts}",
            axum::routing::post(reply_to_chat).patch(update_chat_status),
        )
        .route_layer(middleware::from_fn_with_state(
            Arc::new(Gate {
                headers: [
                    ("x-user-email", access.user_email.clone()),
                    ("x-api-key", access.api_key.clone()),
                    ("x-accountmanager-key", access.account_manager_key.clone()),
                ],
                rate: config.unconfirmed.skyhub_requests_per_second,
                bucket: Mutex::new((BURST, std::time::Instant::now())),
            }),
            authorize,
        ))
        .fallback(|| async { unrouted(sac_error(StatusCode::NOT_FOUND, "not found")) })
        .method_not_allowed_fallback(|| async {
            unrouted(general_error(
                StatusCode::METHOD_NOT_ALLOWED,
                "method not allowed",
            ))
        })
        .with_state(world.clone());
    (access, router, Customers(world))
}

/// What every SkyHub request passes: the three headers, and the rate limit.
struct Gate {
    headers: [(&'static str, String); 3],
    /// Requests per second; `None`: no limit.
    rate: Option<f64>,
    /// A token bucket: the tokens left, and when they were counted.
    bucket: Mutex<(f64, std::time::Instant)>,
}

/// The bucket holds two requests: a client spacing its sends at the limit sees its
/// requests arrive with jitter (a new connection, a loaded machine), which a burst of
/// two absorbs; a client that does not space its requests is still refused from the
/// third.
const BURST: f64 = 2.0;

/// SkyHub checks `X-User-Email`, `X-Api-Key` and `X-Accountmanager-Key` on every
/// request (401 without them) and throttles with 429.
async fn authorize(State(gate): State<Arc<Gate>>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    for (name, expected) in &gate.headers {
        if headers
            .get(*name)
            .is_none_or(|v| v.as_bytes() != expected.as_bytes())
        {
            return general_error(
                StatusCode::UNAUTHORIZED,
                &format!("missing or invalid {name}"),
            );
        }
    }
    if let Some(rate) = gate.rate {
        let mut bucket = gate
            .bucket
            .lock()
            .expect("no panic while holding the limiter");
        let now = std::time::Instant::now();
        let (tokens, last) = *bucket;
        let tokens = (tokens + now.duration_since(last).as_secs_f64() * rate).min(BURST);
        if tokens < 1.0 {
            *bucket = (tokens, now);
            return general_error(StatusCode::TOO_MANY_REQUESTS, "too many requests");
        }
        *bucket = (tokens - 1.0, now);
    }
    next.run(request).await
}

/// SkyHub's chats carry no offset; the mock writes them at the configured UTC offset
/// (default America/Sao_Paulo, UTC−3, without daylight saving since 2019: the SDK's
/// assumption).
fn local(offset: FixedOffset, at: DateTime<Utc>) -> types::LocalDateTime {
    types::LocalDateTime(
        at.with_timezone(&offset)
            .format("%Y-%m-%dT%H:%M:%S")
            .to_string(),
    )
}

fn customer(rng: &mut Rng, number: u64) -> types::ChatPart {
    const NAMES: &[&str] = &[
        "Ana Souza",
        "Bruno Lima",
        "Carla Dias",
        "Diego Alves",
        "Elisa Rocha",
    ];
    let name = rng.pick(NAMES);
    types::ChatPart {
        role: types::PartRole::Customer,
        name: Some(name.into()),
        email: Some(format!("customer{number}@example.com")),
        code: Some(number as i64),
    }
}

fn seller() -> types::ChatPart {
    types::ChatPart {
        role: types::PartRole::Other(SELLER_ROLE.into()),
        name: None,
        email: None,
        code: None,
    }
}

fn message(
    offset: FixedOffset,
    part: types::ChatPart,
    content: &str,
    at: DateTime<Utc>,
) -> types::ChatMessage {
    types::ChatMessage {
        part,
        content: content.into(),
        created_at: local(offset, at),
        replyed_at: None,
    }
}

fn generate(config: &MockConfig, host: &str) -> World {
    let mut rng = Rng::new(config.seed, "skyhub");
    let offset = offset(config);
    let mut tickets = Vec::with_capacity(config.threads);
    let mut by_code = HashMap::with_capacity(config.threads);
    let mut last = world_end() - Duration::days(400);
    for thread in 0..config.threads {
        let number = 9_999_900_001 + thread as u64;
        let marketplace = rng.pick(MARKETPLACES);
        let code = format!("{marketplace}-{number}");
        let created_at = world_end() - Duration::minutes(rng.below(60 * 24 * 365) as i64 + 60 * 24);
        let customer_number = 100_000 + rng.below(900_000);
        let buyer = customer(&mut rng, customer_number);
        let mut at = created_at;
        let mut messages: Vec<types::ChatMessage> = Vec::new();
        // As on Lectronz: 40 % of the threads end on an unanswered buyer message.
        let awaiting = rng.percent(40);
        let last_position = config.messages_per_thread.saturating_sub(1);
        for position in 0..config.messages_per_thread {
            at += Duration::minutes(1 + rng.below(180) as i64);
            if position % 2 == 0 || (awaiting && position == last_position) {
                messages.push(message(offset, buyer.clone(), rng.pick(BUYER_LINES), at));
            } else {
                let answer = message(offset, seller(), rng.pick(SELLER_LINES), at);
                if let Some(question) = messages.last_mut() {
                    question.replyed_at = Some(local(offset, at));
                }
                messages.push(answer);
            }
        }
        let status = if awaiting && rng.percent(70) {
            types::SellerStatus::Unread
        } else if rng.percent(10) {
            types::SellerStatus::Archived
        } else {
            types::SellerStatus::Read
        };
        let mut chats = vec![chat(
            types::ChatParts::CustomerSeller,
            messages,
            status.clone(),
        )];
        if rng.percent(25) {
            at += Duration::minutes(1 + rng.below(60) as i64);
            let complaint = message(offset, buyer, rng.pick(BUYER_LINES), at);
            chats.push(chat(
                types::ChatParts::CustomerB2W,
                vec![complaint],
                types::SellerStatus::Read,
            ));
        }
        last = last.max(at);
        by_code.insert(code.clone(), tickets.len());
        tickets.push(Ticket {
            ticket: types::Ticket {
                code,
                order_code: number.to_string(),
                status,
                platform: Some("B2w".into()),
                mediation: Some(rng.percent(10)),
                warehouse: None,
                created_at,
                updated_at: at,
            },
            chats,
        });
    }
    World {
        offset,
        tickets,
        by_code,
        host: host.to_owned(),
        last,
    }
}

fn chat(
    parts: types::ChatParts,
    messages: Vec<types::ChatMessage>,
    status: types::SellerStatus,
) -> types::Chat {
    types::Chat {
        parts,
        status: Some(types::ChatStatus::Active),
        seller_status: Some(status),
        last_message: messages.last().map(|m| m.created_at.clone()),
        messages,
    }
}

/// Customers write in their tickets' `CUSTOMER_SELLER` conversation.
pub(crate) struct Customers(Shared);

impl Customers {
    fn write_in(world: &mut World, index: usize, text: &str) -> BuyerAction {
        let now = now_after(world.last);
        world.last = now;
        let offset = world.offset;
        let ticket = &mut world.tickets[index];
        let customer = ticket
            .chats
            .iter()
            .flat_map(|c| &c.messages)
            .find(|m| m.part.role == types::PartRole::Customer)
            .map_or_else(
                || types::ChatPart {
                    role: types::PartRole::Customer,
                    name: None,
                    email: None,
                    code: None,
                },
                |m| m.part.clone(),
            );
        let created = message(offset, customer, text, now);
        let stamp = created.created_at.to_string();
        match ticket
            .chats
            .iter_mut()
            .find(|c| c.parts == types::ChatParts::CustomerSeller)
        {
            Some(chat) => {
                chat.messages.push(created);
                chat.last_message = Some(local(offset, now));
                chat.seller_status = Some(types::SellerStatus::Unread);
            }
            None => ticket.chats.push(chat(
                types::ChatParts::CustomerSeller,
                vec![created],
                types::SellerStatus::Unread,
            )),
        }
        ticket.ticket.status = types::SellerStatus::Unread;
        ticket.ticket.updated_at = now;
        BuyerAction {
            thread: ticket.ticket.code.clone(),
            message: stamp,
        }
    }
}

impl Buyer for Customers {
    /// `thread` is the ticket code.
    fn write(&self, thread: &str, text: &str) -> Result<BuyerAction, AdminError> {
        let mut world = self
            .0
            .lock()
            .expect("no handler panics while holding the world");
        let index = *world
            .by_code
            .get(thread)
            .ok_or_else(|| AdminError(format!("no ticket {thread}")))?;
        Ok(Self::write_in(&mut world, index, text))
    }

    /// A customer opens a ticket about a new order of the store.
    fn open(&self, _order: Option<&str>, text: &str) -> Result<BuyerAction, AdminError> {
        let mut world = self
            .0
            .lock()
            .expect("no handler panics while holding the world");
        let number = 9_999_900_001 + world.tickets.len() as u64;
        let code = format!("{}-{number}", MARKETPLACES[0]);
        let now = now_after(world.last);
        let index = world.tickets.len();
        world.by_code.insert(code.clone(), index);
        world.tickets.push(Ticket {
            ticket: types::Ticket {
                code,
                order_code: number.to_string(),
                status: types::SellerStatus::Unread,
                platform: Some("B2w".into()),
                mediation: Some(false),
                warehouse: None,
                created_at: now,
                updated_at: now,
            },
            chats: Vec::new(),
        });
        Ok(Self::write_in(&mut world, index, text))
    }

    fn census(&self) -> Vec<ThreadCensus> {
        let world = self
            .0
            .lock()
            .expect("no handler panics while holding the world");
        world
            .tickets
            .iter()
            .flat_map(|t| {
                t.chats
                    .iter()
                    .filter(|c| !c.messages.is_empty())
                    .map(|c| ThreadCensus {
                        thread: format!("{}/{}", t.ticket.code, c.parts),
                        messages: c.messages.len(),
                    })
            })
            .collect()
    }
}

/// The SAC pages' error body, `{"errors": {"detail": "…"}}`.
pub(crate) fn sac_error(status: StatusCode, detail: &str) -> Response {
    json(
        status,
        &types::ErrorResponse {
            error: None,
            errors: Some(types::ErrorDetail {
                detail: Some(detail.into()),
            }),
        },
    )
}

/// SkyHub's general error body, `{"error": "…"}` (validation errors).
fn general_error(status: StatusCode, message: &str) -> Response {
    json(
        status,
        &types::ErrorResponse {
            error: Some(message.into()),
            errors: None,
        },
    )
}

/// Reads a documented enum value; an undocumented one is refused like any bad value.
fn documented<T: for<'de> Deserialize<'de>>(
    text: &str,
    is_other: impl Fn(&T) -> bool,
) -> Option<T> {
    serde_json::from_value::<T>(serde_json::Value::String(text.into()))
        .ok()
        .filter(|value| !is_other(value))
}

/// What a cursor carries: where the next page starts and the first page's filters
/// (SkyHub ignores the filters sent with a cursor).
#[derive(Serialize, Deserialize)]
struct Cursor {
    next: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    platform: Option<String>,
}

async fn list_tickets(State(world): State<Shared>, RawQuery(query): RawQuery) -> Response {
    let pairs = query_pairs(query.as_deref());
    let cursor = match query_value(&pairs, "cursor") {
        Some(text) => match decode_token::<Cursor>(text) {
            Some(cursor) => cursor,
            None => return general_error(StatusCode::BAD_REQUEST, "invalid cursor"),
        },
        None => Cursor {
            next: 0,
            status: query_value(&pairs, "status").map(str::to_owned),
            platform: query_value(&pairs, "platform").map(str::to_owned),
        },
    };
    let status = match cursor.status.as_deref() {
        None => None,
        Some(text) => match documented(text, |s| matches!(s, types::SellerStatus::Other(_))) {
            Some(status) => Some(status),
            None => return general_error(StatusCode::BAD_REQUEST, "invalid status"),
        },
    };
    let world = world
        .lock()
        .expect("no handler panics while holding the world");
    let wanted = |t: &Ticket| {
        // Tickets without any message are not listed.
        t.chats.iter().any(|c| !c.messages.is_empty())
            && status.as_ref().is_none_or(|s| &t.ticket.status == s)
            && cursor
                .platform
                .as_deref()
                .is_none_or(|p| t.ticket.platform.as_deref() == Some(p))
    };
    let mut sacs = Vec::with_capacity(PAGE_SIZE);
    let mut position = cursor.next;
    while position < world.tickets.len() && sacs.len() < PAGE_SIZE {
        let ticket = &world.tickets[position];
        if wanted(ticket) {
            sacs.push(ticket.ticket.clone());
        }
        position += 1;
    }
    let more = world.tickets[position.min(world.tickets.len())..]
        .iter()
        .any(wanted);
    let next_page = more.then(|| {
        let next = Cursor {
            next: position,
            status: cursor.status.clone(),
            platform: cursor.platform.clone(),
        };
        format!("{}/sac?cursor={}", world.host, encode_token(&next))
    });
    json(StatusCode::OK, &types::TicketPage { sacs, next_page })
}

fn ticket_not_found(code: &str) -> Response {
    sac_error(StatusCode::NOT_FOUND, &format!("SAC {code} not found"))
}

async fn list_chats(State(world): State<Shared>, Path(code): Path<String>) -> Response {
    let world = world
        .lock()
        .expect("no handler panics while holding the world");
    match world.by_code.get(&code) {
        // The text implies one chat per conversation pair: answered as a list.
        Some(&i) => json(
            StatusCode::OK,
            &types::Chats::List(world.tickets[i].chats.clone()),
        ),
        None => ticket_not_found(&code),
    }
}

/// The conversation `parts` a seller may write to or change; `CUSTOMER_B2W` is
/// read-only.
/// Refusals are `(status, message)` for [`general_error`].
fn answerable(parts: &str) -> Result<types::ChatParts, (StatusCode, &'static str)> {
    match documented(parts, |p| matches!(p, types::ChatParts::Other(_))) {
        Some(types::ChatParts::CustomerB2W) => Err((
            StatusCode::UNPROCESSABLE_ENTITY,
            "the CUSTOMER_B2W conversation is read-only",
        )),
        Some(parts) => Ok(parts),
        None => Err((StatusCode::BAD_REQUEST, "invalid parts")),
    }
}

async fn reply_to_chat(
    State(world): State<Shared>,
    Path((code, parts)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let parts = match answerable(&parts) {
        Ok(parts) => parts,
        Err((status, message)) => return general_error(status, message),
    };
    let reply: types::ChatReply = match serde_json::from_slice(&body) {
        Ok(reply) => reply,
        Err(e) => return general_error(StatusCode::BAD_REQUEST, &format!("invalid reply: {e}")),
    };
    if matches!(reply.message_to, types::MessageTo::Other(_))
        || matches!(reply.message_type, types::MessageType::Other(_))
    {
        return general_error(StatusCode::BAD_REQUEST, "invalid messageTo or messageType");
    }
    if reply.message.trim().is_empty() {
        return general_error(StatusCode::UNPROCESSABLE_ENTITY, "message can't be blank");
    }
    let mut world = world
        .lock()
        .expect("no handler panics while holding the world");
    let Some(&i) = world.by_code.get(&code) else {
        return ticket_not_found(&code);
    };
    let now = now_after(world.last);
    world.last = now;
    let offset = world.offset;
    let ticket = &mut world.tickets[i];
    let chat = match ticket.chats.iter().position(|c| c.parts == parts) {
        Some(c) => &mut ticket.chats[c],
        None => {
            ticket
                .chats
                .push(chat(parts, Vec::new(), types::SellerStatus::Read));
            ticket.chats.last_mut().expect("just pushed")
        }
    };
    for question in chat.messages.iter_mut().rev() {
        if question.part.role != types::PartRole::Customer || question.replyed_at.is_some() {
            break;
        }
        question.replyed_at = Some(local(offset, now));
    }
    chat.messages
        .push(message(offset, seller(), &reply.message, now));
    chat.last_message = Some(local(offset, now));
    ticket.ticket.updated_at = now;
    empty(StatusCode::OK)
}

async fn update_chat_status(
    State(world): State<Shared>,
    Path((code, parts)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let parts = match answerable(&parts) {
        Ok(parts) => parts,
        Err((status, message)) => return general_error(status, message),
    };
    let update = match serde_json::from_slice::<types::ChatStatusUpdate>(&body) {
        Ok(update) if !matches!(update.status, types::SellerStatus::Other(_)) => update,
        Ok(_) => return general_error(StatusCode::BAD_REQUEST, "invalid status"),
        Err(e) => {
            return general_error(
                StatusCode::BAD_REQUEST,
                &format!("invalid status update: {e}"),
            );
        }
    };
    let mut world = world
        .lock()
        .expect("no handler panics while holding the world");
    let Some(&i) = world.by_code.get(&code) else {
        return ticket_not_found(&code);
    };
    let now = now_after(world.last);
    world.last = now;
    let ticket = &mut world.tickets[i];
    let Some(chat) = ticket.chats.iter_mut().find(|c| c.parts == parts) else {
        return sac_error(
            StatusCode::NOT_FOUND,
            &format!("no {parts} chat in SAC {code}"),
        );
    };
    chat.seller_status = Some(update.status.clone());
    // The ticket's status is the seller-side status last set on one of its chats.
    ticket.ticket.status = update.status;
    ticket.ticket.updated_at = now;
    empty(StatusCode::NO_CONTENT)
}
