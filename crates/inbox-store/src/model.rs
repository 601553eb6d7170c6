//! Threads, messages and attachments: one model for the four marketplaces.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::id::{MessageId, ThreadId};

/// The order a thread is about.
///
/// METRO has two order ids (a UUID and an order number such as `O25-568200129071`),
/// Yandex `DIRECT` chats may have none, Lectronz threads *are* orders.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct OrderRef {
    /// The vendor's order id (METRO `order.id`, Yandex `context.orderId`, SkyHub
    /// `order_code`, Lectronz `subject.id`), as text.
    pub id: Option<String>,
    /// A human-facing order number where it differs from `id` (METRO `orderNumber`).
    pub number: Option<String>,
}

/// The normalized state of a thread.
///
/// The mapping from each vendor's values (kept in [`Status::raw`]) belongs to the sync
/// engine; values it cannot place are [`StatusKind::Unknown`], never an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StatusKind {
    /// Created, nothing sent yet (METRO `DRAFT`).
    Draft,
    /// New (Yandex `NEW`; whether it needs an answer is not documented).
    New,
    /// The seller must answer (Yandex `WAITING_FOR_PARTNER`).
    AwaitingSeller,
    /// The buyer must answer (METRO `WAITING_FOR_BUYER`, Yandex `WAITING_FOR_CUSTOMER`).
    AwaitingBuyer,
    /// The marketplace or an arbiter must act (Yandex `WAITING_FOR_MARKET`/`WAITING_FOR_ARBITER`).
    AwaitingMarketplace,
    /// Open, no one documented as next (SkyHub `ACTIVE`).
    Open,
    /// Archived by the seller (SkyHub `ARCHIVED`).
    Archived,
    /// Finished (Yandex `FINISHED`).
    Closed,
    /// A value the mapping does not know (or none was given).
    Unknown,
}

impl StatusKind {
    /// The snake_case name used in JSON and the store.
    pub const fn as_str(self) -> &'static str {
        match self {
            StatusKind::Draft => "draft",
            StatusKind::New => "new",
            StatusKind::AwaitingSeller => "awaiting_seller",
            StatusKind::AwaitingBuyer => "awaiting_buyer",
            StatusKind::AwaitingMarketplace => "awaiting_marketplace",
            StatusKind::Open => "open",
            StatusKind::Archived => "archived",
            StatusKind::Closed => "closed",
            StatusKind::Unknown => "unknown",
        }
    }

    /// Parses [`StatusKind::as_str`]; anything else is `Unknown`.
    pub fn from_name(name: &str) -> Self {
        [
            StatusKind::Draft,
            StatusKind::New,
            StatusKind::AwaitingSeller,
            StatusKind::AwaitingBuyer,
            StatusKind::AwaitingMarketplace,
            StatusKind::Open,
            StatusKind::Archived,
            StatusKind::Closed,
        ]
        .into_iter()
        .find(|k| k.as_str() == name)
        .unwrap_or(StatusKind::Unknown)
    }
}

/// A thread's status: normalized, with the vendor's raw value kept.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct Status {
    /// Normalized.
    pub kind: StatusKind,
    /// The vendor's value as received (e.g. `WAITING_FOR_PARTNER`), if any.
    pub raw: Option<String>,
}

impl Status {
    /// A status from its parts.
    pub fn new(kind: StatusKind, raw: impl Into<Option<String>>) -> Self {
        Status {
            kind,
            raw: raw.into(),
        }
    }
}

/// A conversation: METRO chat, Yandex chat, SkyHub ticket × `parts`, Lectronz order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Thread {
    /// Global id (marketplace, account, vendor id).
    pub id: ThreadId,
    /// The order the thread is about, if any.
    pub order: Option<OrderRef>,
    /// Subject (METRO `subject`/`customSubject`, Yandex context type, …).
    pub subject: Option<String>,
    /// Normalized status and the vendor's value.
    pub status: Status,
    /// Whether the seller has unread buyer messages in it.
    pub unread: bool,
    /// Time of the last message or change known.
    pub last_activity: Option<DateTime<Utc>>,
    /// When the oldest buyer message not yet answered arrived; `None` when nothing
    /// awaits the seller. "Awaiting a reply" queries sort by it.
    pub awaiting_reply_since: Option<DateTime<Utc>>,
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuthorRole {
    /// The buyer (METRO `BUYER`, Yandex `CUSTOMER`, SkyHub `CUSTOMER`, Lectronz `customer_order_message`).
    Buyer,
    /// The seller (METRO `SELLER`, Yandex `PARTNER`, Lectronz `seller_order_message`).
    Seller,
    /// A marketplace support agent (Yandex `SUPPORT`, SkyHub B2W).
    MarketplaceSupport,
    /// An automatic message (Yandex `MARKET`).
    System,
    /// A role the mapping cannot place (undocumented values decode as `Other`).
    Unknown,
}

impl AuthorRole {
    /// The snake_case name used in JSON and the store.
    pub const fn as_str(self) -> &'static str {
        match self {
            AuthorRole::Buyer => "buyer",
            AuthorRole::Seller => "seller",
            AuthorRole::MarketplaceSupport => "marketplace_support",
            AuthorRole::System => "system",
            AuthorRole::Unknown => "unknown",
        }
    }

    /// Parses [`AuthorRole::as_str`]; anything else is `Unknown`.
    pub fn from_name(name: &str) -> Self {
        [
            AuthorRole::Buyer,
            AuthorRole::Seller,
            AuthorRole::MarketplaceSupport,
            AuthorRole::System,
        ]
        .into_iter()
        .find(|r| r.as_str() == name)
        .unwrap_or(AuthorRole::Unknown)
    }
}

/// A file attached to a received or sent message (a reference, never the bytes).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct Attachment {
    /// File name, if given.
    pub name: Option<String>,
    /// Download URL (Yandex `payload[].url`, Lectronz `attachment.url`), if given.
    pub url: Option<String>,
    /// Vendor file reference (METRO `fileId` storage path), if given.
    pub vendor_ref: Option<String>,
    /// Media type, if given.
    pub content_type: Option<String>,
    /// Size in bytes, if given.
    pub size: Option<u64>,
}

/// One message of a thread.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Message {
    /// Vendor id, or synthetic (see [`MessageId`]).
    pub id: MessageId,
    /// The thread it belongs to.
    pub thread: ThreadId,
    /// Normalized author role.
    pub author: AuthorRole,
    /// Text (`None` for a file-only message, or once purged by retention).
    pub text: Option<String>,
    /// Attachments (emptied by retention).
    pub attachments: Vec<Attachment>,
    /// When it was written (UTC).
    pub created_at: DateTime<Utc>,
    /// When the recipient read it, where the marketplace says (METRO `seenAt`, Lectronz `read_at`).
    pub read_at: Option<DateTime<Utc>>,
    /// The vendor's message as received (JSON), `null` once purged by retention.
    pub raw: serde_json::Value,
}

/// What a thread's summary needs of one of its messages: who wrote it, when, and when
/// it was read — not its text, files or vendor JSON, which a sync summarizing a page's
/// threads has no use for ([`Store::message_facts`](crate::Store::message_facts)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageFacts {
    /// Vendor id, or synthetic (see [`MessageId`]).
    pub id: MessageId,
    /// The thread it belongs to.
    pub thread: ThreadId,
    /// Normalized author role.
    pub author: AuthorRole,
    /// When it was written (UTC).
    pub created_at: DateTime<Utc>,
    /// When the recipient read it, where the marketplace says.
    pub read_at: Option<DateTime<Utc>>,
}

impl From<&Message> for MessageFacts {
    fn from(m: &Message) -> Self {
        MessageFacts {
            id: m.id.clone(),
            thread: m.thread.clone(),
            author: m.author,
            created_at: m.created_at,
            read_at: m.read_at,
        }
    }
}

/// A message as [`awaiting_reply_since`] reads it: a whole [`Message`] or its
/// [`MessageFacts`].
pub trait Authored {
    /// Who wrote it.
    fn author(&self) -> AuthorRole;
    /// When it was written (UTC).
    fn created_at(&self) -> DateTime<Utc>;
}

impl Authored for Message {
    fn author(&self) -> AuthorRole {
        self.author
    }
    fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }
}

impl Authored for MessageFacts {
    fn author(&self) -> AuthorRole {
        self.author
    }
    fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }
}

/// When the oldest buyer message not yet answered by the seller arrived, from a thread's
/// messages (any order): the first buyer message after the seller's last one.
/// Support and system messages answer nothing. `None` when no buyer message awaits.
///
/// For marketplaces whose history the sync must not read (METRO: listing marks messages
/// seen), the sync engine sets [`Thread::awaiting_reply_since`] from what it has instead.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use marketplace_inbox_store::{awaiting_reply_since, AuthorRole, Message, MessageId};
///
/// let at = |h| Utc.with_ymd_and_hms(2026, 11, 2, h, 0, 0).unwrap();
/// let msg = |id: &str, author, h| Message {
///     id: MessageId::vendor(id),
///     thread: "lectronz:acme:1".parse().unwrap(),
///     author,
///     text: None,
///     attachments: vec![],
///     created_at: at(h),
///     read_at: None,
///     raw: serde_json::Value::Null,
/// };
/// let history = [
///     msg("1", AuthorRole::Buyer, 8),
///     msg("2", AuthorRole::Seller, 9),
///     msg("3", AuthorRole::Buyer, 10),
///     msg("4", AuthorRole::System, 11),
///     msg("5", AuthorRole::Buyer, 12),
/// ];
/// assert_eq!(awaiting_reply_since(&history), Some(at(10)));
/// assert_eq!(awaiting_reply_since(&history[..2]), None);
/// ```
pub fn awaiting_reply_since(messages: &[impl Authored]) -> Option<DateTime<Utc>> {
    let last_answer = messages
        .iter()
        .filter(|m| m.author() == AuthorRole::Seller)
        .map(Authored::created_at)
        .max();
    messages
        .iter()
        .filter(|m| m.author() == AuthorRole::Buyer)
        .map(Authored::created_at)
        .filter(|t| last_answer.is_none_or(|answer| *t > answer))
        .min()
}
