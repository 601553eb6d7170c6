//! Yandex Market Partner API, chats (`specs/yandex-market-chats.yaml`): one cabinet
//! (`businessId`) with chats about orders, returns, and chats buyers started.
//!
//! Chat and message ids are dense and given in creation order. `getChats` lists chats
//! in that order and `getChatHistory` messages oldest first ("all messages from
//! `messageIdFrom` on"); neither offers a sort order or a filter the vendor does not
//! document. Page tokens are opaque.

use std::collections::HashMap;
use std::num::NonZeroU64;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, RawQuery, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bytes::Bytes;
use chrono::{DateTime, Duration, Utc};
use http::{HeaderMap, StatusCode};
use marketplace_yandex_market_chats::types;
use serde::{Deserialize, Serialize};

use crate::admin::{AdminError, Buyer, BuyerAction, ThreadCensus};
use crate::http_util::{
    BUYER_LINES, SELLER_LINES, decode_token, encode_token, json, multipart, now_after, query_pairs,
    query_value, unrouted, world_end,
};
use crate::push::{ChatEvent, YandexNotifier};
use crate::rng::Rng;
use crate::{MockConfig, YandexOAuthForm};

/// The largest file `sendFileToChat` takes (5 MB).
pub(crate) const MAX_FILE_BYTES: usize = 5 * 1024 * 1024;

/// Where the mock serves Yandex Market, the cabinet it knows and the tokens it accepts.
#[derive(Clone, Debug)]
pub struct YandexAccess {
    /// The base URL (`http://127.0.0.1:<port>`), for `ClientBuilder::base_url`.
    pub base_url: String,
    /// The cabinet whose chats the mock holds (`businessId` in every path).
    pub business_id: u64,
    /// The store's campaign, as chats about orders and returns name it.
    pub campaign_id: u64,
    /// An API-Key token (`Api-Key` header).
    pub api_key: String,
    /// An OAuth token (`Authorization: Bearer`).
    pub oauth_token: String,
}

struct Chat {
    info: types::ChatInfo,
    /// Ids of the chat's messages, oldest first.
    messages: Vec<u64>,
}

struct World {
    business_id: u64,
    campaign_id: u64,
    chats: Vec<Chat>,
    /// Indexed by `messageId - 1`: the chat (index) and the message.
    messages: Vec<(usize, types::ChatMessage)>,
    /// Orders of the cabinet, with their chat if one was opened.
    orders: HashMap<u64, Option<usize>>,
    /// Returns of the cabinet, with their order and their chat if one was opened.
    returns: HashMap<u64, (u64, Option<usize>)>,
    host: String,
    last: DateTime<Utc>,
}

type Shared = Arc<Mutex<World>>;

fn id(value: u64) -> NonZeroU64 {
    NonZeroU64::new(value).expect("the mock's ids start at 1")
}

pub(crate) fn start(config: &MockConfig, host: &str) -> (YandexAccess, Router, Customers) {
    let world = generate(config, host);
    let access = YandexAccess {
        base_url: host.to_owned(),
        business_id: world.business_id,
        campaign_id: world.campaign_id,
        api_key: format!("mock-yandex-api-key-{}", config.seed),
        oauth_token: format!("mock-yandex-oauth-token-{}", config.seed),
    };
    let notifier = YandexNotifier::new(world.business_id, config.webhooks.clone());
    let world = Arc::new(Mutex::new(world));
    let router = Router::new()
        .route("/v2/businesses/{business_id}/chats/new", post(create_chat))
        .route("/v2/businesses/{business_id}/chats", post(get_chats))
        .route("/v2/businesses/{business_id}/chat", get(get_chat))
        .route(
            "/v2/businesses/{business_id}/chats/history",
            post(get_chat_history),
        )
        .route(
            "/v2/businesses/{business_id}/chats/message",
            get(get_chat_message).post(send_message_to_chat),
        )
        .route(
            "/v2/businesses/{business_id}/chats/file/send",
            post(send_file_to_chat),
        )
        // Route layers run last-added first: credentials are checked before a
        // request counts against a quota.
        .route_layer(middleware::from_fn_with_state(
            Arc::new(Quotas {
                window: config.yandex_quotas.window,
                limit: config.yandex_quotas.limit,
                used: Mutex::new(HashMap::new()),
                in_flight: std::sync::atomic::AtomicUsize::new(0),
            }),
            count_quota,
        ))
        .route_layer(middleware::from_fn_with_state(
            Arc::new(Tokens {
                api_key: access.api_key.clone(),
                oauth_prefix: match config.unconfirmed.yandex_oauth {
                    YandexOAuthForm::Bearer => "Bearer ",
                    YandexOAuthForm::OAuth => "OAuth ",
                },
                oauth_token: access.oauth_token.clone(),
            }),
            authorize,
        ))
        .method_not_allowed_fallback(|| async {
            unrouted(error(
                StatusCode::METHOD_NOT_ALLOWED,
                "METHOD_NOT_ALLOWED",
                "method not allowed",
            ))
        })
        .fallback(|| async {
            unrouted(error(StatusCode::NOT_FOUND, "NOT_FOUND", "no such method"))
        })
        .with_state(world.clone());
    (access, router, Customers(world, notifier))
}

fn generate(config: &MockConfig, host: &str) -> World {
    const NAMES: &[&str] = &["Анна", "Иван", "Мария", "Сергей", "Ольга", "Дмитрий"];
    let mut rng = Rng::new(config.seed, "yandex");
    let business_id = 10_000_000 + rng.below(90_000_000);
    let campaign_id = 20_000_000 + rng.below(80_000_000);
    let mut chats = Vec::with_capacity(config.threads);
    let mut messages = Vec::with_capacity(config.threads * config.messages_per_thread);
    let mut orders = HashMap::new();
    let mut returns = HashMap::new();
    let mut last = world_end() - Duration::days(400);
    for thread in 0..config.threads {
        let order = 50_000_000 + thread as u64;
        orders.insert(order, None);
        // Every fourth order has no chat yet, so `createChat` can open one.
        if rng.percent(25) {
            continue;
        }
        let index = chats.len();
        let kind = rng.below(100);
        let (context_type, order_id, return_id) = if kind < 70 {
            orders.insert(order, Some(index));
            (types::ChatContextType::Order, Some(order), None)
        } else if kind < 85 {
            let return_id = 7_000_000 + thread as u64;
            returns.insert(return_id, (order, Some(index)));
            (types::ChatContextType::Return, Some(order), Some(return_id))
        } else {
            (types::ChatContextType::Direct, None, None)
        };
        let customer = types::ChatCustomer {
            name: Some(rng.pick(NAMES).parse().expect("a non-empty name")),
            public_id: Some(
                format!("{:016x}", rng.next_u64())
                    .parse()
                    .expect("non-empty"),
            ),
        };
        let created_at = world_end() - Duration::minutes(rng.below(60 * 24 * 365) as i64 + 60 * 24);
        let awaiting = rng.percent(40);
        let mut at = created_at;
        let mut ids = Vec::with_capacity(config.messages_per_thread);
        let mut last_sender = None;
        let last_position = config.messages_per_thread.saturating_sub(1);
        for position in 0..config.messages_per_thread {
            at += Duration::minutes(1 + rng.below(180) as i64);
            let from_buyer = position % 2 == 0 || (awaiting && position == last_position);
            let (sender, line) = if from_buyer {
                (
                    types::ChatMessageSenderType::Customer,
                    rng.pick(BUYER_LINES),
                )
            } else {
                (
                    types::ChatMessageSenderType::Partner,
                    rng.pick(SELLER_LINES),
                )
            };
            let message_id = messages.len() as u64 + 1;
            // One message in ten carries a file, as Yandex shows them: in `payload`.
            let payload = rng.percent(10).then(|| {
                vec![types::ChatMessagePayload {
                    name: format!("photo-{message_id}.jpg"),
                    url: format!("{host}/files/{message_id}/photo-{message_id}.jpg")
                        .parse()
                        .expect("a short URL"),
                    size: 10_000 + rng.below(500_000) as i32,
                }]
            });
            messages.push((
                index,
                types::ChatMessage {
                    message_id: id(message_id),
                    created_at: at,
                    sender: sender.clone(),
                    message: Some(line.to_owned()),
                    payload,
                },
            ));
            ids.push(message_id);
            last_sender = Some(sender);
        }
        let type_ = if rng.percent(5) {
            types::ChatType::Arbitrage
        } else {
            types::ChatType::Chat
        };
        let status = if rng.percent(10) {
            types::ChatStatusType::Finished
        } else if type_ == types::ChatType::Arbitrage {
            types::ChatStatusType::WaitingForArbiter
        } else {
            status_after(last_sender.as_ref())
        };
        last = last.max(at);
        chats.push(Chat {
            info: types::ChatInfo {
                chat_id: id(index as u64 + 1),
                order_id: order_id.map(id),
                context: types::ChatFullContext {
                    type_: context_type,
                    customer: Some(customer),
                    campaign_id: order_id.map(|_| id(campaign_id)),
                    order_id: order_id.map(id),
                    return_id: return_id.map(id),
                },
                type_,
                status,
                created_at,
                updated_at: at,
            },
            messages: ids,
        });
    }
    World {
        business_id,
        campaign_id,
        chats,
        messages,
        orders,
        returns,
        host: host.to_owned(),
        last,
    }
}

/// Who is to answer after a message from `sender`.
fn status_after(sender: Option<&types::ChatMessageSenderType>) -> types::ChatStatusType {
    match sender {
        None => types::ChatStatusType::New,
        Some(types::ChatMessageSenderType::Customer) => types::ChatStatusType::WaitingForPartner,
        Some(_) => types::ChatStatusType::WaitingForCustomer,
    }
}

/// Each method's hourly quota per cabinet, as the spec documents it.
fn documented_quota(method: &http::Method, path: &str) -> (&'static str, u32) {
    let tail = path.rsplit_once("/businesses/").map_or(path, |(_, rest)| {
        rest.split_once('/').map_or("", |(_, tail)| tail)
    });
    match (method.as_str(), tail) {
        ("POST", "chats/new") => ("createChat", 1_000),
        ("POST", "chats") => ("getChats", 5_000),
        ("GET", "chat") => ("getChat", 1_000),
        ("POST", "chats/history") => ("getChatHistory", 10_000),
        ("POST", "chats/message") => ("sendMessageToChat", 1_000),
        ("GET", "chats/message") => ("getChatMessage", 1_000),
        _ => ("sendFileToChat", 1_000),
    }
}

/// Quota windows per method: when each started and how many requests it counted;
/// and the requests in flight for the cabinet.
struct Quotas {
    window: std::time::Duration,
    limit: Option<u32>,
    used: Mutex<HashMap<&'static str, (DateTime<Utc>, u32)>>,
    in_flight: std::sync::atomic::AtomicUsize,
}

/// At most this many requests of a cabinet in flight at once (Yandex documents 4).
const MAX_IN_FLIGHT: usize = 4;

/// Counts a request in flight until dropped (also when its connection is dropped).
struct InFlight<'a>(&'a std::sync::atomic::AtomicUsize);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Counts the request against its method's quota and the cabinet's requests in
/// flight; beyond either it answers 420. Every answer
/// carries `X-RateLimit-Resource-Limit`, `-Remaining` and `-Until` (the window's end,
/// an RFC 822 date), as Yandex's do.
async fn count_quota(State(quotas): State<Arc<Quotas>>, request: Request, next: Next) -> Response {
    let (name, documented) = documented_quota(request.method(), request.uri().path());
    let limit = quotas.limit.unwrap_or(documented);
    let (until, remaining, allowed) = {
        let mut used = quotas
            .used
            .lock()
            .expect("no panic while holding the quotas");
        let now = Utc::now();
        let window = chrono::Duration::from_std(quotas.window).unwrap_or(chrono::Duration::MAX);
        let (start, count) = used.entry(name).or_insert((now, 0));
        if now >= *start + window {
            (*start, *count) = (now, 0);
        }
        let allowed = *count < limit;
        if allowed {
            *count += 1;
        }
        // Whole seconds, rounded up: a client that waits until then finds a new window.
        let end = *start + window;
        let until = DateTime::from_timestamp(
            end.timestamp() + i64::from(end.timestamp_subsec_nanos() > 0),
            0,
        )
        .unwrap_or(end);
        (until, limit - *count, allowed)
    };
    let _in_flight = InFlight(&quotas.in_flight);
    let parallel = quotas
        .in_flight
        .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        + 1;
    let mut response = if parallel > MAX_IN_FLIGHT {
        let status = StatusCode::from_u16(420).expect("420 is a valid status");
        error(
            status,
            "LIMIT_EXCEEDED",
            "more than 4 requests of this cabinet in flight",
        )
    } else if allowed {
        next.run(request).await
    } else {
        let status = StatusCode::from_u16(420).expect("420 is a valid status");
        error(
            status,
            "LIMIT_EXCEEDED",
            &format!("the hourly quota of {name} is exhausted"),
        )
    };
    let headers = response.headers_mut();
    headers.insert("x-ratelimit-resource-limit", limit.into());
    headers.insert("x-ratelimit-resource-remaining", remaining.into());
    if let Ok(until) = until
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
        .parse()
    {
        headers.insert("x-ratelimit-resource-until", until);
    }
    response
}

/// The tokens Yandex Market accepts, and the `Authorization` form of OAuth tokens.
struct Tokens {
    api_key: String,
    oauth_prefix: &'static str,
    oauth_token: String,
}

/// Yandex takes an API-Key token (`Api-Key`) or an OAuth token (`Authorization`):
/// without either the answer is 401, with a wrong one 403 (as the spec documents).
async fn authorize(State(tokens): State<Arc<Tokens>>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let api_key = headers.get("api-key").map(|v| v.as_bytes());
    let oauth = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix(tokens.oauth_prefix));
    let valid = match (api_key, oauth) {
        (None, None) => {
            return error(
                StatusCode::UNAUTHORIZED,
                "UNAUTHORIZED",
                "no API-Key or OAuth token",
            );
        }
        (Some(key), _) => key == tokens.api_key.as_bytes(),
        (None, Some(token)) => token == tokens.oauth_token,
    };
    if valid {
        next.run(request).await
    } else {
        error(
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
            "the token is invalid or lacks access",
        )
    }
}

/// Buyers write in their chats and start chats of their own (`DIRECT`); Yandex then
/// notifies the store, if a notification URL is configured.
pub(crate) struct Customers(Shared, Option<Arc<YandexNotifier>>);

impl Customers {
    fn write_in(world: &mut World, index: usize, text: &str) -> BuyerAction {
        let now = now_after(world.last);
        world.last = now;
        let message_id = world.messages.len() as u64 + 1;
        world.messages.push((
            index,
            types::ChatMessage {
                message_id: id(message_id),
                created_at: now,
                sender: types::ChatMessageSenderType::Customer,
                message: Some(text.to_owned()),
                payload: None,
            },
        ));
        let chat = &mut world.chats[index];
        chat.messages.push(message_id);
        chat.info.updated_at = now;
        chat.info.status = status_after(Some(&types::ChatMessageSenderType::Customer));
        BuyerAction {
            thread: chat.info.chat_id.to_string(),
            message: message_id.to_string(),
        }
    }
}

impl Buyer for Customers {
    /// `thread` is the chat id.
    fn write(&self, thread: &str, text: &str) -> Result<BuyerAction, AdminError> {
        let mut world = self
            .0
            .lock()
            .expect("no handler panics while holding the world");
        let index = thread
            .parse::<usize>()
            .ok()
            .filter(|&chat| (1..=world.chats.len()).contains(&chat))
            .ok_or_else(|| AdminError(format!("no chat {thread}")))?;
        let done = Self::write_in(&mut world, index - 1, text);
        self.notify_message(&done, world.last);
        Ok(done)
    }

    /// A buyer starts a chat with the store (`DIRECT`, about no order).
    fn open(&self, _order: Option<&str>, text: &str) -> Result<BuyerAction, AdminError> {
        let mut world = self
            .0
            .lock()
            .expect("no handler panics while holding the world");
        let now = now_after(world.last);
        let index = world.chats.len();
        world.chats.push(Chat {
            info: types::ChatInfo {
                chat_id: id(index as u64 + 1),
                order_id: None,
                context: types::ChatFullContext {
                    type_: types::ChatContextType::Direct,
                    customer: None,
                    campaign_id: None,
                    order_id: None,
                    return_id: None,
                },
                type_: types::ChatType::Chat,
                status: types::ChatStatusType::New,
                created_at: now,
                updated_at: now,
            },
            messages: Vec::new(),
        });
        let done = Self::write_in(&mut world, index, text);
        if let (Some(notifier), Ok(chat_id)) = (&self.1, done.thread.parse()) {
            notifier.notify(ChatEvent::Created { chat_id, at: now });
        }
        self.notify_message(&done, world.last);
        Ok(done)
    }

    fn census(&self) -> Vec<ThreadCensus> {
        let world = self
            .0
            .lock()
            .expect("no handler panics while holding the world");
        world
            .chats
            .iter()
            .map(|c| ThreadCensus {
                thread: c.info.chat_id.to_string(),
                messages: c.messages.len(),
            })
            .collect()
    }
}

impl Customers {
    fn notify_message(&self, done: &BuyerAction, at: DateTime<Utc>) {
        if let (Some(notifier), Ok(chat_id), Ok(message_id)) =
            (&self.1, done.thread.parse(), done.message.parse())
        {
            notifier.notify(ChatEvent::MessageSent {
                chat_id,
                message_id,
                at,
            });
        }
    }
}

/// Yandex's error envelope, `{"status": "ERROR", "errors": [{code, message}]}`.
/// A server-side failure in Yandex's envelope (for injected faults).
pub(crate) fn server_error(status: StatusCode, message: &str) -> Response {
    let code = if status == StatusCode::SERVICE_UNAVAILABLE {
        "SERVICE_UNAVAILABLE"
    } else {
        "INTERNAL_SERVER_ERROR"
    };
    error(status, code, message)
}

pub(crate) fn error(status: StatusCode, code: &str, message: &str) -> Response {
    json(
        status,
        &types::ApiErrorResponse {
            status: types::ApiResponseStatusType::Error,
            errors: Some(vec![types::ApiError {
                code: code.into(),
                message: Some(message.into()),
            }]),
        },
    )
}

/// A request the mock turns down, answered in Yandex's error envelope.
struct Refusal {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        error(self.status, self.code, &self.message)
    }
}

fn bad_request(message: &str) -> Refusal {
    Refusal {
        status: StatusCode::BAD_REQUEST,
        code: "BAD_REQUEST",
        message: message.into(),
    }
}

fn not_found(message: &str) -> Refusal {
    Refusal {
        status: StatusCode::NOT_FOUND,
        code: "NOT_FOUND",
        message: message.into(),
    }
}

type Answer = Result<Response, Refusal>;

fn ok<T: Serialize>(body: &T) -> Answer {
    Ok(json(StatusCode::OK, body))
}

/// A request's parsed query, and the checks every operation shares.
struct Query(Vec<(String, String)>);

impl Query {
    fn new(raw: Option<String>) -> Self {
        Query(query_pairs(raw.as_deref()))
    }

    /// An integer parameter in `minimum..=maximum`; `Err` is the 400's message.
    fn integer(&self, name: &str, minimum: u64, maximum: u64) -> Result<Option<u64>, String> {
        match query_value(&self.0, name) {
            None => Ok(None),
            Some(text) => match text.parse::<u64>() {
                Ok(v) if (minimum..=maximum).contains(&v) => Ok(Some(v)),
                _ => Err(format!(
                    "{name} must be an integer from {minimum} to {maximum}"
                )),
            },
        }
    }

    fn required(&self, name: &str) -> Result<u64, String> {
        self.integer(name, 1, i64::MAX as u64)?
            .ok_or_else(|| format!("{name} is required"))
    }

    /// `pageToken`, or `page_token`, which the vendor also accepts.
    fn page_token(&self) -> Option<&str> {
        query_value(&self.0, "pageToken").or_else(|| query_value(&self.0, "page_token"))
    }
}

/// What a page token carries: where the next page starts.
#[derive(Serialize, Deserialize)]
struct PageToken {
    next: usize,
}

/// Locks the world after checking the path's `businessId` is the mock's cabinet.
fn cabinet<'a>(
    world: &'a Shared,
    business_id: &str,
) -> Result<std::sync::MutexGuard<'a, World>, Refusal> {
    let Ok(business_id) = business_id.parse::<u64>() else {
        return Err(bad_request("businessId must be a positive integer"));
    };
    let world = world
        .lock()
        .expect("no handler panics while holding the world");
    if business_id != world.business_id {
        return Err(Refusal {
            status: StatusCode::FORBIDDEN,
            code: "FORBIDDEN",
            message: "access to this business is denied".into(),
        });
    }
    Ok(world)
}

fn parse_body<T: for<'de> Deserialize<'de>>(body: &Bytes) -> Result<T, Refusal> {
    serde_json::from_slice(body).map_err(|e| bad_request(&format!("invalid request body: {e}")))
}

/// A filter list of `GetChatsRequest`: absent or null means no filter; present, it
/// has at least one item, all documented values, none repeated.
fn filter<T: PartialEq>(
    name: &str,
    list: Option<Vec<T>>,
    is_other: impl Fn(&T) -> bool,
) -> Result<Option<Vec<T>>, String> {
    let Some(list) = list else { return Ok(None) };
    if list.is_empty() {
        return Err(format!("{name} must not be empty"));
    }
    if list.iter().any(is_other) {
        return Err(format!("{name} has an unknown value"));
    }
    if list.iter().enumerate().any(|(i, a)| list[..i].contains(a)) {
        return Err(format!("{name} has repeated items"));
    }
    Ok(Some(list))
}

async fn get_chats(
    State(world): State<Shared>,
    Path(business_id): Path<String>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Answer {
    let query = Query::new(query);
    let limit = match query.integer("limit", 1, 20) {
        Ok(limit) => limit.unwrap_or(10) as usize,
        Err(message) => return Err(bad_request(&message)),
    };
    let start = match query.page_token() {
        None => 0,
        Some(token) => match decode_token::<PageToken>(token) {
            Some(token) => token.next,
            None => return Err(bad_request("invalid pageToken")),
        },
    };
    let request: types::GetChatsRequest = parse_body(&body)?;
    let filters = (|| {
        Ok::<_, String>((
            filter("orderIds", request.order_ids, |_| false)?,
            filter("contexts", request.contexts, |c| {
                matches!(c.type_, types::ChatContextIdentifiableType::Other(_))
            })?,
            filter("contextTypes", request.context_types, |t| {
                matches!(t, types::ChatContextType::Other(_))
            })?,
            filter("types", request.types, |t| {
                matches!(t, types::ChatType::Other(_))
            })?,
            filter("statuses", request.statuses, |s| {
                matches!(s, types::ChatStatusType::Other(_))
            })?,
        ))
    })();
    let (order_ids, contexts, context_types, chat_types, statuses) =
        filters.map_err(|m| bad_request(&m))?;
    let world = cabinet(&world, &business_id)?;
    let wanted = |chat: &Chat| {
        let info = &chat.info;
        let context = &info.context;
        let order = context.order_id.map(|o| o.get() as i64);
        order_ids
            .as_ref()
            .is_none_or(|ids| order.is_some_and(|o| ids.contains(&o)))
            && contexts.as_ref().is_none_or(|list| {
                list.iter().any(|c| match c.type_ {
                    types::ChatContextIdentifiableType::Order => {
                        context.type_ == types::ChatContextType::Order
                            && context.order_id == Some(c.id)
                    }
                    _ => {
                        context.type_ == types::ChatContextType::Return
                            && context.return_id == Some(c.id)
                    }
                })
            })
            && context_types
                .as_ref()
                .is_none_or(|t| t.contains(&context.type_))
            && chat_types.as_ref().is_none_or(|t| t.contains(&info.type_))
            && statuses.as_ref().is_none_or(|s| s.contains(&info.status))
    };
    let mut chats = Vec::with_capacity(limit);
    let mut position = start;
    while position < world.chats.len() && chats.len() < limit {
        if wanted(&world.chats[position]) {
            chats.push(world.chats[position].info.clone());
        }
        position += 1;
    }
    let more = world.chats[position.min(world.chats.len())..]
        .iter()
        .any(wanted);
    ok(&types::GetChatsResponse {
        status: types::ApiResponseStatusType::Ok,
        result: Some(types::ChatsPage {
            chats,
            paging: Some(types::ForwardScrollingPager {
                next_page_token: more.then(|| encode_token(&PageToken { next: position })),
            }),
        }),
    })
}

/// The chat named by the `chatId` query parameter.
fn chat_index(world: &World, query: &Query) -> Result<usize, Refusal> {
    let chat_id = query.required("chatId").map_err(|m| bad_request(&m))?;
    let index = (chat_id - 1) as usize;
    if index < world.chats.len() {
        Ok(index)
    } else {
        Err(not_found(&format!("chat {chat_id} not found")))
    }
}

async fn get_chat(
    State(world): State<Shared>,
    Path(business_id): Path<String>,
    RawQuery(query): RawQuery,
) -> Answer {
    let query = Query::new(query);
    let world = cabinet(&world, &business_id)?;
    let index = chat_index(&world, &query)?;
    ok(&types::GetChatResponse {
        status: types::ApiResponseStatusType::Ok,
        result: Some(world.chats[index].info.clone()),
    })
}

async fn get_chat_history(
    State(world): State<Shared>,
    Path(business_id): Path<String>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Answer {
    let query = Query::new(query);
    let limit = match query.integer("limit", 1, 100) {
        Ok(limit) => limit.unwrap_or(50) as usize,
        Err(message) => return Err(bad_request(&message)),
    };
    let request: types::GetChatHistoryRequest = parse_body(&body)?;
    let world = cabinet(&world, &business_id)?;
    let index = chat_index(&world, &query)?;
    let chat = &world.chats[index];
    let from = request.message_id_from.map_or(0, |m| m.get());
    let first = chat.messages.partition_point(|&m| m < from);
    let start = match query.page_token() {
        None => first,
        Some(token) => match decode_token::<PageToken>(token) {
            Some(token) => token.next.max(first),
            None => return Err(bad_request("invalid pageToken")),
        },
    };
    let end = (start + limit).min(chat.messages.len());
    let messages = chat.messages[start.min(end)..end]
        .iter()
        .map(|&m| world.messages[(m - 1) as usize].1.clone())
        .collect();
    ok(&types::GetChatHistoryResponse {
        status: types::ApiResponseStatusType::Ok,
        result: Some(types::ChatMessagesPage {
            order_id: chat.info.context.order_id.map(|o| o.get() as i64),
            context: chat.info.context.clone(),
            messages,
            paging: Some(types::ForwardScrollingPager {
                next_page_token: (end < chat.messages.len())
                    .then(|| encode_token(&PageToken { next: end })),
            }),
        }),
    })
}

async fn get_chat_message(
    State(world): State<Shared>,
    Path(business_id): Path<String>,
    RawQuery(query): RawQuery,
) -> Answer {
    let query = Query::new(query);
    let message_id = query.required("messageId").map_err(|m| bad_request(&m))?;
    let world = cabinet(&world, &business_id)?;
    let index = chat_index(&world, &query)?;
    match world.messages.get((message_id - 1) as usize) {
        Some((chat, message)) if *chat == index => ok(&types::GetChatMessageResponse {
            status: types::ApiResponseStatusType::Ok,
            result: Some(message.clone()),
        }),
        _ => Err(not_found(&format!(
            "message {message_id} not found in this chat"
        ))),
    }
}

/// Appends a message from the store to a chat: the store now waits for the buyer.
fn append(
    world: &mut World,
    index: usize,
    message: Option<String>,
    payload: Option<Vec<types::ChatMessagePayload>>,
) {
    let now = now_after(world.last);
    world.last = now;
    let message_id = world.messages.len() as u64 + 1;
    world.messages.push((
        index,
        types::ChatMessage {
            message_id: id(message_id),
            created_at: now,
            sender: types::ChatMessageSenderType::Partner,
            message,
            payload,
        },
    ));
    let chat = &mut world.chats[index];
    chat.messages.push(message_id);
    chat.info.updated_at = now;
    if chat.info.status != types::ChatStatusType::Finished {
        chat.info.status = status_after(Some(&types::ChatMessageSenderType::Partner));
    }
}

async fn send_message_to_chat(
    State(world): State<Shared>,
    Path(business_id): Path<String>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Answer {
    let query = Query::new(query);
    // The generated type checks the documented 1–4,096 characters.
    let request: types::SendMessageToChatRequest = parse_body(&body)?;
    let mut world = cabinet(&world, &business_id)?;
    let index = chat_index(&world, &query)?;
    append(&mut world, index, Some(request.message.to_string()), None);
    ok(&types::EmptyApiResponse {
        status: types::ApiResponseStatusType::Ok,
    })
}

async fn send_file_to_chat(
    State(world): State<Shared>,
    Path(business_id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let query = Query::new(query);
    let parts = multipart(&headers, &body).map_err(bad_request)?;
    let Some(file) = parts.into_iter().find(|p| p.name == "file") else {
        return Err(bad_request("the file part is required"));
    };
    if file.data.len() > MAX_FILE_BYTES {
        return Err(bad_request("the file is larger than 5 MB"));
    }
    let mut world = cabinet(&world, &business_id)?;
    let index = chat_index(&world, &query)?;
    let message_id = world.messages.len() + 1;
    let name = file.filename.unwrap_or_else(|| "file".into());
    let payload = types::ChatMessagePayload {
        url: format!("{}/files/{message_id}/{name}", world.host)
            .parse()
            .unwrap_or_else(|_| {
                format!("{}/files/{message_id}", world.host)
                    .parse()
                    .expect("a short URL")
            }),
        name,
        size: i32::try_from(file.data.len()).expect("at most 5 MB"),
    };
    append(&mut world, index, None, Some(vec![payload]));
    ok(&types::EmptyApiResponse {
        status: types::ApiResponseStatusType::Ok,
    })
}

async fn create_chat(
    State(world): State<Shared>,
    Path(business_id): Path<String>,
    body: Bytes,
) -> Answer {
    let request: types::CreateChatRequest = parse_body(&body)?;
    let context = match (request.context, request.order_id) {
        (Some(context), _) => context,
        (None, Some(order)) if order > 0 => types::ChatContext {
            type_: types::ChatContextIdentifiableType::Order,
            id: id(order as u64),
        },
        _ => {
            return Err(bad_request(
                "context (or the deprecated orderId) is required",
            ));
        }
    };
    let mut world = cabinet(&world, &business_id)?;
    let (order, return_id, existing) = match context.type_ {
        types::ChatContextIdentifiableType::Order => match world.orders.get(&context.id.get()) {
            Some(&chat) => (context.id.get(), None, chat),
            None => return Err(not_found(&format!("order {} not found", context.id))),
        },
        types::ChatContextIdentifiableType::Return => match world.returns.get(&context.id.get()) {
            Some(&(order, chat)) => (order, Some(context.id.get()), chat),
            None => return Err(not_found(&format!("return {} not found", context.id))),
        },
        _ => return Err(bad_request("unknown context type")),
    };
    // "returns information about it, or about the previously created one"
    let index = match existing {
        Some(index) => index,
        None => {
            let now = now_after(world.last);
            world.last = now;
            let index = world.chats.len();
            let campaign_id = world.campaign_id;
            world.chats.push(Chat {
                info: types::ChatInfo {
                    chat_id: id(index as u64 + 1),
                    order_id: Some(id(order)),
                    context: types::ChatFullContext {
                        type_: if return_id.is_some() {
                            types::ChatContextType::Return
                        } else {
                            types::ChatContextType::Order
                        },
                        customer: None,
                        campaign_id: Some(id(campaign_id)),
                        order_id: Some(id(order)),
                        return_id: return_id.map(id),
                    },
                    type_: types::ChatType::Chat,
                    status: types::ChatStatusType::New,
                    created_at: now,
                    updated_at: now,
                },
                messages: Vec::new(),
            });
            match return_id {
                Some(r) => world.returns.insert(r, (order, Some(index))).map(|_| ()),
                None => world.orders.insert(order, Some(index)).map(|_| ()),
            };
            index
        }
    };
    ok(&types::CreateChatResponse {
        status: types::ApiResponseStatusType::Ok,
        result: Some(types::CreateChatResult {
            chat_id: world.chats[index].info.chat_id,
        }),
    })
}
