//! METRO Markets Message Center (`specs/metro-message-center.yaml`): the seller's chats
//! with the buyers of its orders.
//!
//! A thread is a chat about one order. Chats are listed in creation order and
//! messages oldest first (METRO documents neither order; creation order is the one
//! paging cannot skip or repeat in). Reading a chat's messages or sending one marks
//! every buyer message of the chat as seen, as METRO documents. METRO documents two
//! chat statuses, `DRAFT` (no message yet) and `WAITING_FOR_BUYER`; the mock uses only
//! those two.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, RawQuery, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bytes::Bytes;
use chrono::{DateTime, Duration, Utc};
use http::{HeaderMap, StatusCode};
use marketplace_metro_message_center::types;
use marketplace_runtime::{MetroHmac, SignatureEncoding};
use serde::Serialize;

use crate::MockConfig;
use crate::admin::{AdminError, Buyer, BuyerAction, ThreadCensus};
use crate::http_util::{
    BUYER_LINES, SELLER_LINES, json, multipart, now_after, query_pairs, query_value, unrouted,
    world_end,
};
use crate::rng::Rng;

/// The largest file `upload-file` takes (10 MB).
pub(crate) const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;

/// At most this many attachments per message.
const MAX_ATTACHMENTS: usize = 10;

/// The page size when `limit` is absent (METRO does not document one).
const DEFAULT_LIMIT: usize = 10;

/// How far `X-Timestamp` may be from the mock's clock (METRO: ±5 minutes).
pub(crate) const TIMESTAMP_WINDOW_SECONDS: i64 = 300;

/// METRO's request signing, checked on both METRO hosts.
pub(crate) struct Signing {
    client_id: String,
    /// Computes the signatures the mock expects (the runtime's own signer, so the mock
    /// and the SDK share one implementation of METRO's scheme, and the mock checks it
    /// against requests as they arrive).
    signer: MetroHmac,
    encoding: SignatureEncoding,
}

impl Signing {
    pub(crate) fn new(access: &MetroAccess, encoding: SignatureEncoding) -> Self {
        Signing {
            client_id: access.client_id.clone(),
            signer: MetroHmac::new(&access.client_id, &access.client_secret).encoding(encoding),
            encoding,
        }
    }

    /// Checks `X-Client-Id`, `X-Timestamp` (within the window) and `X-Signature` over
    /// `METHOD\nFULL_URL\nBODY\nTIMESTAMP`, `FULL_URL` being the URL as received
    /// (`Host` and the request target, percent-encoding untouched) and `BODY` empty
    /// for a multipart upload. Reads the body to do so, and hands the request back
    /// with it; `Err` says what is wrong.
    pub(crate) async fn check(&self, request: Request) -> Result<Request, &'static str> {
        let (parts, body) = request.into_parts();
        let body = axum::body::to_bytes(body, crate::BODY_LIMIT)
            .await
            .map_err(|_| "the body could not be read")?;
        let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
        if header("x-client-id") != Some(self.client_id.as_str()) {
            return Err("missing or unknown X-Client-Id");
        }
        let timestamp: i64 = header("x-timestamp")
            .and_then(|t| t.parse().ok())
            .ok_or("missing or invalid X-Timestamp")?;
        if Utc::now().timestamp().abs_diff(timestamp) > TIMESTAMP_WINDOW_SECONDS.unsigned_abs() {
            return Err("X-Timestamp is outside the allowed window");
        }
        let signature = header("x-signature").ok_or("missing X-Signature")?;
        let well_formed = match self.encoding {
            SignatureEncoding::Base64 => signature.len() == 44,
            _ => signature.len() == 64 && signature.bytes().all(|b| b.is_ascii_hexdigit()),
        };
        let host = header("host").unwrap_or_default();
        let target = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let full_url = format!("http://{host}{target}");
        let multipart = header("content-type")
            .is_some_and(|t| t.to_ascii_lowercase().starts_with("multipart/form-data"));
        let signed_body: &[u8] = if multipart { b"" } else { &body };
        let text =
            MetroHmac::string_to_sign(parts.method.as_str(), &full_url, signed_body, timestamp);
        if !(well_formed && self.signer.verify(&text, signature)) {
            return Err("HMAC signature is invalid or missing");
        }
        Ok(Request::from_parts(parts, Body::from(body)))
    }
}

/// Message Center answers a request whose signature fails with 401 in its envelope.
async fn authorize(State(signing): State<Arc<Signing>>, request: Request, next: Next) -> Response {
    match signing.check(request).await {
        Ok(request) => next.run(request).await,
        Err(reason) => error(StatusCode::UNAUTHORIZED, reason),
    }
}

/// Where the mock serves METRO Markets, and the client key it accepts.
#[derive(Clone, Debug)]
pub struct MetroAccess {
    /// Message Center's base URL (`http://127.0.0.1:<port>`).
    pub message_center_url: String,
    /// Subscriptions' base URL (another port: METRO serves it from another host).
    pub subscriptions_url: String,
    /// The client key (`X-Client-Id`).
    pub client_id: String,
    /// The client secret the requests are signed with.
    pub client_secret: String,
}

struct Chat {
    chat: types::Chat,
    messages: Vec<types::Message>,
}

impl Chat {
    fn unseen(&self) -> bool {
        self.messages
            .iter()
            .any(|m| m.sender_user_type == types::SenderUserType::Buyer && m.seen_at.is_none())
    }

    /// Marks every buyer message seen (METRO: reading or answering a chat does).
    fn see(&mut self, now: DateTime<Utc>) {
        for message in &mut self.messages {
            if message.sender_user_type == types::SenderUserType::Buyer && message.seen_at.is_none()
            {
                message.seen_at = Some(now);
            }
        }
        self.chat.is_seen = true;
    }
}

struct Order {
    order: types::ChatOrder,
    buyer: types::ChatBuyer,
    emails_exist: bool,
}

struct World {
    rng: Rng,
    seller: types::ChatSeller,
    chats: Vec<Chat>,
    by_id: HashMap<String, usize>,
    orders: HashMap<String, Order>,
    order_numbers: HashMap<String, String>,
    uploads: HashSet<String>,
    last: DateTime<Utc>,
}

type Shared = Arc<Mutex<World>>;

/// A UUID (version 4 layout) from the world's generator.
pub(crate) fn uuid(rng: &mut Rng) -> String {
    let (a, b) = (rng.next_u64(), rng.next_u64());
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        0x8000 | ((b >> 48) & 0x3fff),
        b & 0xffff_ffff_ffff
    )
}

/// The subjects a seller can open a chat with, and those of the buyer's side: the
/// tree METRO's documentation shows.
fn subjects() -> types::ChatSubjectsBySide {
    let subject = |id, code: &str, custom, parent, children| types::ChatSubject {
        id,
        subject: code.into(),
        is_custom: custom,
        parent_id: parent,
        children,
    };
    types::ChatSubjectsBySide {
        seller: vec![
            subject(
                121,
                "INVOICES",
                false,
                None,
                vec![
                    subject(221, "INVOICE_INSTRUCTIONS", false, Some(121), vec![]),
                    subject(222, "INVOICE_ATTACHMENT", false, Some(121), vec![]),
                ],
            ),
            subject(135, "OTHERS", true, None, vec![]),
        ],
        buyer: vec![subject(
            132,
            "INVOICES",
            false,
            None,
            vec![
                subject(241, "INVOICE_NOT_UPLOADED", false, Some(132), vec![]),
                subject(242, "INVOICE_CORRECTION", false, Some(132), vec![]),
            ],
        )],
    }
}

/// Every subject of a side as `(dotted path, code, is custom)`.
fn flatten(list: &[types::ChatSubject], prefix: &str, out: &mut Vec<(String, String, bool)>) {
    for s in list {
        let path = format!("{prefix}.{}", s.subject);
        out.push((path.clone(), s.subject.clone(), s.is_custom));
        flatten(&s.children, &path, out);
    }
}

fn categories() -> Vec<types::ChatCategory> {
    let names = |en: &str, de: &str| {
        vec![types::Translations {
            en: Some(en.into()),
            de: Some(de.into()),
            extra: HashMap::new(),
        }]
    };
    vec![
        types::ChatCategory {
            id: 1,
            key: "ORDER".into(),
            parent_id: None,
            translations: names("Order", "Bestellung"),
            children: vec![types::ChatCategory {
                id: 11,
                key: "ORDER_CONFIRMATION".into(),
                parent_id: Some(1),
                translations: names("Order confirmation", "Bestellbestätigung"),
                children: vec![],
            }],
        },
        types::ChatCategory {
            id: 2,
            key: "POST-PURCHASE".into(),
            parent_id: None,
            translations: names("After the purchase", "Nach dem Kauf"),
            children: vec![],
        },
    ]
}

pub(crate) fn start(
    config: &MockConfig,
    host: &str,
    subscriptions_host: &str,
) -> (MetroAccess, Router, Buyers) {
    let world = Arc::new(Mutex::new(generate(config)));
    let access = MetroAccess {
        message_center_url: host.to_owned(),
        subscriptions_url: subscriptions_host.to_owned(),
        client_id: format!("mock-metro-client-{}", config.seed),
        client_secret: format!("mock-metro-secret-{}", config.seed),
    };
    let router = Router::new()
        .route("/openapi/v1/chat-categories", get(list_chat_categories))
        .route("/openapi/v1/chat-subjects", get(list_chat_subjects))
        .route(
            "/openapi/v1/orders/{order}/emails-exist",
            get(check_emails_exist),
        )
        .route("/openapi/v1/orders/{order}/chats", post(create_chat))
        .route("/openapi/v1/orders/{order}/upload-file", post(upload_file))
        .route("/openapi/v1/chats", get(list_chats))
        .route("/openapi/v1/chats/unseen", get(count_unseen_chats))
        .route(
            "/openapi/v1/chats/{chat}/messages",
            get(list_chat_messages).post(send_message),
        )
        .route_layer(middleware::from_fn_with_state(
            Arc::new(Signing::new(
                &access,
                config.unconfirmed.metro_signature_encoding,
            )),
            authorize,
        ))
        .method_not_allowed_fallback(|| async {
            unrouted(error(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed"))
        })
        .fallback(|| async { unrouted(error(StatusCode::NOT_FOUND, "No route found")) })
        .with_state(world.clone());
    (access, router, Buyers(world))
}

fn generate(config: &MockConfig) -> World {
    const FIRST: &[&str] = &[
        "Anna", "Jonas", "Lea", "Paul", "Marta", "João", "Lucía", "Marco",
    ];
    const LAST: &[&str] = &[
        "Müller", "Schmidt", "Silva", "García", "Rossi", "Dubois", "Jansen",
    ];
    const CHANNELS: &[&str] = &["de", "es", "it", "pt", "fr", "nl"];
    let mut rng = Rng::new(config.seed, "metro");
    let seller = types::ChatSeller {
        organization: types::SellerOrganization {
            id: uuid(&mut rng),
            shop_name: format!("Mock Shop {}", config.seed),
        },
        accounts: vec![types::SellerAccount {
            id: uuid(&mut rng),
            first_name: "Mock".into(),
            last_name: "Seller".into(),
        }],
    };
    let seller_id = seller.accounts[0].id.clone();
    let mut buyer_paths = Vec::new();
    flatten(&subjects().buyer, "BUYER", &mut buyer_paths);
    let mut seller_paths = Vec::new();
    flatten(&subjects().seller, "SELLER", &mut seller_paths);
    seller_paths.retain(|(_, _, custom)| !custom);

    let mut chats = Vec::with_capacity(config.threads);
    let mut by_id = HashMap::with_capacity(config.threads);
    let mut orders = HashMap::with_capacity(config.threads);
    let mut order_numbers = HashMap::with_capacity(config.threads);
    let mut last = world_end() - Duration::days(400);
    for thread in 0..config.threads {
        let order = types::ChatOrder {
            id: uuid(&mut rng),
            order_number: format!("O25-{:012}", 100_000_000_000 + thread as u64),
            sales_channel: rng.pick(CHANNELS).into(),
        };
        let buyer = types::ChatBuyer {
            id: uuid(&mut rng),
            first_name: rng.pick(FIRST).into(),
            last_name: rng.pick(LAST).into(),
        };
        order_numbers.insert(order.order_number.clone(), order.id.clone());
        let emails_exist = rng.percent(30);
        // Every fourth order has no chat yet, so one can be opened.
        if !rng.percent(25) {
            let chat_id = uuid(&mut rng);
            // Buyers open most chats; the seller opened the others.
            let buyer_opened = rng.percent(70);
            let subject = if buyer_opened {
                buyer_paths[rng.below(buyer_paths.len() as u64) as usize]
                    .0
                    .clone()
            } else {
                seller_paths[rng.below(seller_paths.len() as u64) as usize]
                    .0
                    .clone()
            };
            let created_at =
                world_end() - Duration::minutes(rng.below(60 * 24 * 365) as i64 + 60 * 24);
            let awaiting = rng.percent(40);
            let unseen = awaiting && rng.percent(70);
            let mut at = created_at;
            let mut messages = Vec::with_capacity(config.messages_per_thread);
            let last_position = config.messages_per_thread.saturating_sub(1);
            for position in 0..config.messages_per_thread {
                at += Duration::minutes(1 + rng.below(180) as i64);
                let from_buyer =
                    (position % 2 == 0) == buyer_opened || (awaiting && position == last_position);
                let seen =
                    !(unseen && position == last_position) && (from_buyer || rng.percent(80));
                let attachments = if rng.percent(10) {
                    vec![types::Attachment {
                        file_id: format!(
                            "files/{}/{}/{}",
                            seller.organization.id,
                            order.id,
                            uuid(&mut rng)
                        ),
                        file_name: "invoice.pdf".into(),
                        file_type: types::AttachmentFileType::ApplicationPdf,
                    }]
                } else {
                    vec![]
                };
                messages.push(types::Message {
                    id: uuid(&mut rng),
                    chat_id: chat_id.clone(),
                    sender_id: if from_buyer {
                        buyer.id.clone()
                    } else {
                        seller_id.clone()
                    },
                    sender_user_type: if from_buyer {
                        types::SenderUserType::Buyer
                    } else {
                        types::SenderUserType::Seller
                    },
                    content: if from_buyer {
                        rng.pick(BUYER_LINES)
                    } else {
                        rng.pick(SELLER_LINES)
                    }
                    .into(),
                    attachments,
                    seen_at: seen.then(|| at + Duration::minutes(1 + rng.below(60) as i64)),
                    created_at: Some(at),
                });
            }
            last = last.max(at);
            let mut chat = Chat {
                chat: types::Chat {
                    id: chat_id.clone(),
                    subject,
                    custom_subject: None,
                    status: if messages.is_empty() {
                        types::ChatStatus::Draft
                    } else {
                        types::ChatStatus::WaitingForBuyer
                    },
                    last_message_at: messages.last().and_then(|m| m.created_at),
                    is_seen: true,
                    created_at,
                    buyer: buyer.clone(),
                    seller: seller.clone(),
                    order: order.clone(),
                },
                messages,
            };
            chat.chat.is_seen = !chat.unseen();
            by_id.insert(chat_id, chats.len());
            chats.push(chat);
        }
        orders.insert(
            order.id.clone(),
            Order {
                order,
                buyer,
                emails_exist,
            },
        );
    }
    World {
        rng,
        seller,
        chats,
        by_id,
        orders,
        order_numbers,
        uploads: HashSet::new(),
        last,
    }
}

/// Buyers write in their chats and open chats about their orders.
pub(crate) struct Buyers(Shared);

impl Buyers {
    fn write_in(world: &mut World, index: usize, text: &str) -> BuyerAction {
        let now = now_after(world.last);
        world.last = now;
        let id = uuid(&mut world.rng);
        let chat = &mut world.chats[index];
        chat.messages.push(types::Message {
            id: id.clone(),
            chat_id: chat.chat.id.clone(),
            sender_id: chat.chat.buyer.id.clone(),
            sender_user_type: types::SenderUserType::Buyer,
            content: text.into(),
            attachments: vec![],
            seen_at: None,
            created_at: Some(now),
        });
        chat.chat.last_message_at = Some(now);
        chat.chat.is_seen = false;
        BuyerAction {
            thread: chat.chat.id.clone(),
            message: id,
        }
    }
}

impl Buyer for Buyers {
    /// `thread` is the chat id.
    fn write(&self, thread: &str, text: &str) -> Result<BuyerAction, AdminError> {
        let mut world = self
            .0
            .lock()
            .expect("no handler panics while holding the world");
        let index = *world
            .by_id
            .get(thread)
            .ok_or_else(|| AdminError(format!("no chat {thread}")))?;
        Ok(Self::write_in(&mut world, index, text))
    }

    /// The buyer of order `order` (its id) opens a chat about it, with the first
    /// buyer-side subject.
    fn open(&self, order: Option<&str>, text: &str) -> Result<BuyerAction, AdminError> {
        let mut world = self
            .0
            .lock()
            .expect("no handler panics while holding the world");
        let order = order.ok_or_else(|| AdminError("METRO chats are about an order".into()))?;
        let (chat_order, buyer) = world
            .orders
            .get(order)
            .map(|o| (o.order.clone(), o.buyer.clone()))
            .ok_or_else(|| AdminError(format!("no order {order}")))?;
        let mut paths = Vec::new();
        flatten(&subjects().buyer, "BUYER", &mut paths);
        let now = now_after(world.last);
        let id = uuid(&mut world.rng);
        let index = world.chats.len();
        world.by_id.insert(id.clone(), index);
        let seller = world.seller.clone();
        world.chats.push(Chat {
            chat: types::Chat {
                id,
                subject: paths[0].0.clone(),
                custom_subject: None,
                status: types::ChatStatus::WaitingForBuyer,
                last_message_at: None,
                is_seen: true,
                created_at: now,
                buyer,
                seller,
                order: chat_order,
            },
            messages: Vec::new(),
        });
        Ok(Self::write_in(&mut world, index, text))
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
                thread: c.chat.id.clone(),
                messages: c.messages.len(),
            })
            .collect()
    }
}

/// METRO's error envelope, `{"status": "error", "message", "errors"?}`.
pub(crate) fn error(status: StatusCode, message: &str) -> Response {
    json(
        status,
        &types::ErrorResponse {
            status: Some(types::ResponseStatus::Error),
            message: message.into(),
            errors: None,
        },
    )
}

/// A request the mock turns down: a status and message, and for 422 the messages per
/// field.
struct Refusal {
    status: StatusCode,
    message: String,
    errors: Option<(String, String)>,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        json(
            self.status,
            &types::ErrorResponse {
                status: Some(types::ResponseStatus::Error),
                message: self.message,
                errors: self.errors.map(|(field, message)| {
                    types::FieldErrors(HashMap::from([(field, vec![message])]))
                }),
            },
        )
    }
}

/// METRO's validation failure: 422 with the message per field.
fn invalid(field: &str, message: &str) -> Refusal {
    Refusal {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        message: "Validation failed".into(),
        errors: Some((field.into(), message.into())),
    }
}

fn not_found(what: &str, id: &str) -> Refusal {
    Refusal {
        status: StatusCode::NOT_FOUND,
        message: format!("{what} [{id}] not found"),
        errors: None,
    }
}

type Answer = Result<Response, Refusal>;

fn success<T: Serialize>(status: StatusCode, body: &T) -> Answer {
    Ok(json(status, body))
}

fn empty_metadata() -> Option<types::EmptyMetadata> {
    Some(types::EmptyMetadata(vec![]))
}

fn lock(world: &Shared) -> MutexGuard<'_, World> {
    world
        .lock()
        .expect("no handler panics while holding the world")
}

/// `limit` (at least 1) and `offset` (at least 0), as 422s per field otherwise.
fn page(pairs: &[(String, String)]) -> Result<(usize, usize), Refusal> {
    let read = |name: &str, minimum: usize, default: usize| match query_value(pairs, name) {
        None => Ok(default),
        Some(text) => match text.parse::<usize>() {
            Ok(value) if value >= minimum => Ok(value),
            _ => Err(invalid(
                name,
                &format!("This value should be {minimum} or more."),
            )),
        },
    };
    Ok((read("limit", 1, DEFAULT_LIMIT)?, read("offset", 0, 0)?))
}

fn metadata(total: usize, offset: usize, limit: usize) -> types::PaginationMetadata {
    types::PaginationMetadata {
        total: total as i64,
        offset: offset as i64,
        limit: limit as i64,
    }
}

async fn list_chat_categories() -> Answer {
    success(
        StatusCode::OK,
        &types::ChatCategoriesResponse {
            status: types::ResponseStatus::Success,
            message: "Chat Categories have been fetched successfully".into(),
            data: categories(),
        },
    )
}

async fn list_chat_subjects() -> Answer {
    success(
        StatusCode::OK,
        &types::ChatSubjectsResponse {
            status: types::ResponseStatus::Success,
            message: "Chat Subjects have been fetched successfully".into(),
            data: subjects(),
            metadata: empty_metadata(),
        },
    )
}

async fn check_emails_exist(State(world): State<Shared>, Path(number): Path<String>) -> Answer {
    let world = lock(&world);
    let id = world
        .order_numbers
        .get(&number)
        .ok_or_else(|| not_found("Order", &number))?;
    success(
        StatusCode::OK,
        &types::EmailsExistResponse {
            status: types::ResponseStatus::Success,
            message: format!("Successfully verified email existence for Order [{number}]"),
            data: types::EmailsExist {
                exist: world.orders[id].emails_exist,
            },
            metadata: empty_metadata(),
        },
    )
}

async fn create_chat(
    State(world): State<Shared>,
    Path(order_id): Path<String>,
    body: Bytes,
) -> Answer {
    let create: types::ChatCreate = serde_json::from_slice(&body)
        .map_err(|_| invalid("subject", "This value should not be blank."))?;
    let mut paths = Vec::new();
    flatten(&subjects().seller, "SELLER", &mut paths);
    let Some((path, _, custom)) = paths
        .into_iter()
        .find(|(_, code, _)| *code == create.subject)
    else {
        return Err(invalid(
            "subject",
            "The value you selected is not a valid choice.",
        ));
    };
    let custom_subject = create.custom_subject.filter(|s| !s.trim().is_empty());
    if custom && custom_subject.is_none() {
        return Err(invalid("customSubject", "This value should not be blank."));
    }
    let mut world = lock(&world);
    let (order, buyer) = match world.orders.get(&order_id) {
        Some(o) => (o.order.clone(), o.buyer.clone()),
        None => return Err(not_found("Order", &order_id)),
    };
    let now = now_after(world.last);
    world.last = now;
    let id = uuid(&mut world.rng);
    let chat = types::Chat {
        id: id.clone(),
        subject: path,
        custom_subject: if custom { custom_subject } else { None },
        status: types::ChatStatus::Draft,
        last_message_at: None,
        is_seen: true,
        created_at: now,
        buyer,
        seller: world.seller.clone(),
        order,
    };
    let index = world.chats.len();
    world.by_id.insert(id.clone(), index);
    world.chats.push(Chat {
        chat: chat.clone(),
        messages: Vec::new(),
    });
    success(
        StatusCode::CREATED,
        &types::ChatResponse {
            status: types::ResponseStatus::Success,
            message: format!("Chat [{id}] has been created successfully"),
            data: chat,
            metadata: empty_metadata(),
        },
    )
}

async fn upload_file(
    State(world): State<Shared>,
    Path(order_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    let parts = multipart(&headers, &body).map_err(|m| invalid("file", m))?;
    let upload = parts
        .into_iter()
        .find(|p| p.name == "file")
        .ok_or_else(|| invalid("file", "This value should not be blank."))?;
    let media_type = upload.content_type.clone().unwrap_or_default();
    let file_type: types::AttachmentFileType =
        serde_json::from_value(serde_json::Value::String(media_type.clone()))
            .expect("a tolerant enum");
    if matches!(file_type, types::AttachmentFileType::Other(_)) {
        return Err(invalid(
            "file",
            &format!("The mime type of the file is invalid (\"{media_type}\")."),
        ));
    }
    if upload.data.len() > MAX_FILE_BYTES {
        return Err(invalid(
            "file",
            "The file is too large. Allowed maximum size is 10 MB.",
        ));
    }
    let mut world = lock(&world);
    if !world.orders.contains_key(&order_id) {
        return Err(not_found("Order", &order_id));
    }
    let file = uuid(&mut world.rng);
    let file_id = format!("files/{}/{order_id}/{file}", world.seller.organization.id);
    world.uploads.insert(file_id.clone());
    success(
        StatusCode::CREATED,
        &types::AttachmentResponse {
            status: types::ResponseStatus::Success,
            message: "File has been uploaded successfully".into(),
            data: types::Attachment {
                file_id,
                file_name: upload.filename.unwrap_or_else(|| "file".into()),
                file_type,
            },
            metadata: empty_metadata(),
        },
    )
}

async fn list_chats(State(world): State<Shared>, RawQuery(query): RawQuery) -> Answer {
    let pairs = query_pairs(query.as_deref());
    let (limit, offset) = page(&pairs)?;
    let text = |name: &str| query_value(&pairs, name);
    let is_seen = match text("filters[isSeen]") {
        None => None,
        Some("true" | "1") => Some(true),
        Some("false" | "0") => Some(false),
        Some(_) => {
            return Err(invalid(
                "filters[isSeen]",
                "This value should be of type bool.",
            ));
        }
    };
    let instant = |name: &str| match text(name) {
        None => Ok(None),
        Some(value) => DateTime::parse_from_rfc3339(value)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| invalid(name, "This value is not a valid datetime.")),
    };
    let from = instant("filters[lastMessage][from]")?;
    let to = instant("filters[lastMessage][to]")?;
    let world = lock(&world);
    let wanted = |c: &&Chat| {
        let chat = &c.chat;
        text("filters[orderNumber]").is_none_or(|n| chat.order.order_number == n)
            && text("filters[orderId]").is_none_or(|id| chat.order.id == id)
            && text("filters[chatId]").is_none_or(|id| chat.id == id)
            && is_seen.is_none_or(|seen| chat.is_seen == seen)
            && from.is_none_or(|from| chat.last_message_at.is_some_and(|at| at >= from))
            && to.is_none_or(|to| chat.last_message_at.is_some_and(|at| at <= to))
    };
    let matching: Vec<&Chat> = world.chats.iter().filter(wanted).collect();
    let data: Vec<types::Chat> = matching
        .iter()
        .skip(offset)
        .take(limit)
        .map(|c| c.chat.clone())
        .collect();
    success(
        StatusCode::OK,
        &types::ChatListResponse {
            status: types::ResponseStatus::Success,
            message: format!("[{}] chats have been fetched successfully", data.len()),
            metadata: metadata(matching.len(), offset, limit),
            data,
        },
    )
}

async fn count_unseen_chats(State(world): State<Shared>) -> Answer {
    let world = lock(&world);
    let count = world.chats.iter().filter(|c| !c.chat.is_seen).count();
    success(
        StatusCode::OK,
        &types::UnseenChatsResponse {
            status: types::ResponseStatus::Success,
            message: format!("[{count}] chats with unseen messages have been found"),
            data: types::UnseenChats {
                count: count as i64,
            },
            metadata: empty_metadata(),
        },
    )
}

fn chat_index(world: &World, chat_id: &str) -> Result<usize, Refusal> {
    world
        .by_id
        .get(chat_id)
        .copied()
        .ok_or_else(|| not_found("Chat", chat_id))
}

async fn list_chat_messages(
    State(world): State<Shared>,
    Path(chat_id): Path<String>,
    RawQuery(query): RawQuery,
) -> Answer {
    let pairs = query_pairs(query.as_deref());
    let (limit, offset) = page(&pairs)?;
    let mut world = lock(&world);
    let index = chat_index(&world, &chat_id)?;
    let now = now_after(world.last);
    let chat = &mut world.chats[index];
    // The answer already shows the messages as seen: METRO marks them on reading.
    if chat.unseen() {
        chat.see(now);
    }
    let total = chat.messages.len();
    let data: Vec<types::Message> = chat
        .messages
        .iter()
        .skip(offset)
        .take(limit)
        .cloned()
        .collect();
    success(
        StatusCode::OK,
        &types::MessageListResponse {
            status: types::ResponseStatus::Success,
            message: format!("[{}] messages have been fetched successfully", data.len()),
            metadata: metadata(total, offset, limit),
            data,
        },
    )
}

async fn send_message(
    State(world): State<Shared>,
    Path(chat_id): Path<String>,
    body: Bytes,
) -> Answer {
    let create: types::MessageCreate = serde_json::from_slice(&body)
        .map_err(|_| invalid("content", "This value should not be blank."))?;
    if create.content.trim().is_empty() {
        return Err(invalid("content", "This value should not be blank."));
    }
    if create.attachments.len() > MAX_ATTACHMENTS {
        return Err(invalid(
            "attachments",
            "This collection should contain 10 elements or less.",
        ));
    }
    let mut world = lock(&world);
    let index = chat_index(&world, &chat_id)?;
    for (i, attachment) in create.attachments.iter().enumerate() {
        if matches!(attachment.file_type, types::AttachmentFileType::Other(_)) {
            return Err(invalid(
                &format!("attachments[{i}][fileType]"),
                "The value you selected is not a valid choice.",
            ));
        }
        if !world.uploads.contains(&attachment.file_id) {
            return Err(invalid(
                &format!("attachments[{i}][fileId]"),
                "This file does not exist.",
            ));
        }
    }
    let now = now_after(world.last);
    world.last = now;
    let id = uuid(&mut world.rng);
    let sender_id = world.seller.accounts[0].id.clone();
    let message = types::Message {
        id: id.clone(),
        chat_id: chat_id.clone(),
        sender_id,
        sender_user_type: types::SenderUserType::Seller,
        content: create.content,
        attachments: create.attachments,
        seen_at: None,
        created_at: Some(now),
    };
    let chat = &mut world.chats[index];
    chat.see(now);
    chat.messages.push(message.clone());
    chat.chat.last_message_at = Some(now);
    chat.chat.status = types::ChatStatus::WaitingForBuyer;
    success(
        StatusCode::CREATED,
        &types::MessageResponse {
            status: types::ResponseStatus::Success,
            message: format!("Message [{id}] has been sent successfully"),
            data: message,
            metadata: empty_metadata(),
        },
    )
}
