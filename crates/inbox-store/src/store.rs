//! The `Store` trait every backend implements, and the values it takes and returns.

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::id::{Account, Marketplace, MessageId, ThreadId};
use crate::model::{Message, MessageFacts, Status, StatusKind, Thread};

/// Where a sync stream of one account stands (opaque to the store: a page token, an
/// offset, a last-message time…), written in the same transaction as the page it follows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Checkpoint {
    /// The stream within the account (e.g. `chats`, `history:<chat id>`).
    pub stream: String,
    /// The position, as the sync engine wants it back.
    pub value: serde_json::Value,
}

/// One page of a sync: threads and messages, all of one account.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Page {
    /// Threads to upsert (keyed by their [`ThreadId`]).
    pub threads: Vec<Thread>,
    /// Messages to upsert (keyed by thread and [`MessageId`]); their threads must be in
    /// this page or already stored.
    pub messages: Vec<Message>,
    /// Versions of vendor items this page stores (upserted by item), read back with
    /// [`Store::item_versions`].
    pub versions: Vec<ItemVersion>,
}

/// The version of one vendor item (a chat, a ticket, a message) as last stored: how a
/// sync tells what changed since (the marketplace's `updatedAt`, `lastMessageAt`…),
/// written with the page that stored the item, so a crash can never leave a version
/// newer than the data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ItemVersion {
    /// The item, unique within its account (e.g. `chat:42`, `ticket:<code>`).
    pub item: String,
    /// Its version, opaque to the store.
    pub version: String,
}

/// What [`Store::apply_page`] changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ApplyReport {
    /// Threads not stored before.
    pub threads_inserted: u64,
    /// Threads already stored (updated in place).
    pub threads_updated: u64,
    /// Messages not stored before.
    pub messages_inserted: u64,
    /// Messages already stored (updated in place).
    pub messages_updated: u64,
    /// Entries appended to the change feed.
    pub changes: u64,
}

/// Which threads a query returns.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ThreadFilter {
    /// Only these marketplaces (empty: all).
    pub marketplaces: Vec<Marketplace>,
    /// Only unread (`Some(true)`) or only read (`Some(false)`) threads.
    pub unread: Option<bool>,
    /// Only these normalized statuses (empty: all).
    pub statuses: Vec<StatusKind>,
    /// At most this many (`None`: all).
    pub limit: Option<u32>,
}

/// A change-feed entry kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChangeKind {
    /// A buyer message not stored before.
    NewBuyerMessage {
        /// The message.
        message: MessageId,
    },
    /// A stored thread's status (normalized or raw) changed.
    StatusChanged {
        /// Before.
        from: Status,
        /// After.
        to: Status,
    },
}

/// One entry of the change feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Change {
    /// Position in the feed: strictly increasing in commit order, never reused. Poll
    /// with [`Store::changes_since`] and the last cursor seen.
    pub cursor: i64,
    /// The thread.
    pub thread: ThreadId,
    /// When the store recorded it.
    pub recorded_at: DateTime<Utc>,
    /// What changed.
    pub change: ChangeKind,
}

/// An outbox entry's id.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(transparent)]
pub struct OutboxId(pub i64);

impl std::fmt::Display for OutboxId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "outbox#{}", self.0)
    }
}

/// A file to send with a reply: a reference to local bytes, never the bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct OutgoingAttachment {
    /// File name shown to the buyer.
    pub name: String,
    /// Media type.
    pub content_type: String,
    /// Size in bytes.
    pub size: u64,
    /// Where the sender reads the bytes from (a path or an application key).
    pub location: String,
}

/// A reply to record before it is sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct NewReply {
    /// The thread replied to.
    pub thread: ThreadId,
    /// The text.
    pub text: String,
    /// Files.
    pub attachments: Vec<OutgoingAttachment>,
    /// The last message of the thread its author saw (for the conflict check).
    pub last_seen: Option<MessageId>,
}

/// An outbox entry's state.
///
/// ```text
/// pending ──send confirmed──▶ sent          (terminal; a missing vendor id may be filled in once)
///    │  └───refused──────────▶ failed       (terminal: the marketplace said no)
///    └─outcome unknown──────▶ unknown ──▶ sent | failed   (reconciled against history)
/// ```
/// Nothing leaves `sent` or `failed`, and nothing goes back to `pending`: a reply is
/// never re-sent automatically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutboxState {
    /// Recorded, not yet known to be sent.
    Pending,
    /// The marketplace has it.
    Sent,
    /// It may or may not have been sent; surfaced to the user, never re-sent automatically.
    Unknown,
    /// The marketplace refused it (it was not sent).
    Failed,
}

impl OutboxState {
    /// The snake_case name used in JSON and the store.
    pub const fn as_str(self) -> &'static str {
        match self {
            OutboxState::Pending => "pending",
            OutboxState::Sent => "sent",
            OutboxState::Unknown => "unknown",
            OutboxState::Failed => "failed",
        }
    }

    /// Parses [`OutboxState::as_str`].
    pub fn from_name(name: &str) -> Option<Self> {
        [
            OutboxState::Pending,
            OutboxState::Sent,
            OutboxState::Unknown,
            OutboxState::Failed,
        ]
        .into_iter()
        .find(|s| s.as_str() == name)
    }

    /// Whether the transition `self → to` is allowed (see the type's docs).
    pub fn can_become(self, to: OutboxState) -> bool {
        use OutboxState::*;
        matches!(
            (self, to),
            (Pending, Sent | Unknown | Failed) | (Unknown, Sent | Failed)
        )
    }
}

/// A recorded reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct OutboxEntry {
    /// Id.
    pub id: OutboxId,
    /// The thread replied to.
    pub thread: ThreadId,
    /// The text (`None` once purged by retention).
    pub text: Option<String>,
    /// Files (emptied by retention).
    pub attachments: Vec<OutgoingAttachment>,
    /// The last message its author saw.
    pub last_seen: Option<MessageId>,
    /// State.
    pub state: OutboxState,
    /// The vendor's id of the sent message, once known (Yandex sends return none).
    pub vendor_message_id: Option<MessageId>,
    /// Why it failed, for `failed`.
    pub error: Option<String>,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
    /// When its state last changed.
    pub updated_at: DateTime<Utc>,
}

/// What a retention purge blanked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct PurgeReport {
    /// Messages whose text, attachments and raw value were blanked.
    pub messages: u64,
    /// Sent or failed outbox entries whose text and attachments were blanked.
    pub outbox: u64,
}

/// A store error.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The backend failed (I/O, constraint, lock); the transaction was rolled back.
    #[error("store backend: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A thread or message of a page belongs to another account.
    #[error("{what} {thread} does not belong to account {account:?}")]
    WrongAccount {
        /// `thread` or `message`.
        what: &'static str,
        /// Its thread.
        thread: ThreadId,
        /// The account the page was applied for.
        account: Account,
    },
    /// A value the store cannot represent (e.g. a year outside 0000–9999).
    #[error("invalid data: {0}")]
    Invalid(String),
    /// A stored row did not decode (the store was changed outside this crate).
    #[error("corrupt store row: {0}")]
    Corrupt(String),
    /// No outbox entry with this id.
    #[error("no outbox entry {0}")]
    NotFound(OutboxId),
    /// An outbox transition the state machine forbids.
    #[error("{id}: illegal outbox transition {from:?} → {to:?}")]
    IllegalTransition {
        /// The entry.
        id: OutboxId,
        /// Its state.
        from: OutboxState,
        /// The state asked for.
        to: OutboxState,
    },
}

/// A store result.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The inbox's durable state, behind which SQLite (and later PostgreSQL) sit.
///
/// **Dyn-compatible**: methods return boxed futures ([`BoxFuture`]), so applications
/// hold an `Arc<dyn Store>` chosen at run time (a file, memory, a server URL) and the
/// sync engine is not generic over the backend. The cost is one allocation per call,
/// nothing next to a database round trip. (`async fn` in traits is not dyn-compatible.)
///
/// **Transaction rule**: every method is atomic. [`Store::apply_page`] writes a page's
/// threads, its messages, its item versions, the change-feed entries they cause and
/// the checkpoint in *one* transaction: after a crash at any point either all of it is
/// stored or none, and upserts keyed by the vendor's ids make re-applying a page a
/// no-op.
pub trait Store: Send + Sync {
    /// Upserts a page of one account and sets that account's checkpoint, atomically.
    fn apply_page<'a>(
        &'a self,
        account: &'a Account,
        page: &'a Page,
        checkpoint: &'a Checkpoint,
    ) -> BoxFuture<'a, Result<ApplyReport>>;

    /// The checkpoint of one stream of one account.
    fn checkpoint<'a>(
        &'a self,
        account: &'a Account,
        stream: &'a str,
    ) -> BoxFuture<'a, Result<Option<serde_json::Value>>>;

    /// The stored versions of `items` of one account, in the order asked (`None`:
    /// never stored).
    fn item_versions<'a>(
        &'a self,
        account: &'a Account,
        items: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<Option<String>>>>;

    /// One thread.
    fn thread<'a>(&'a self, id: &'a ThreadId) -> BoxFuture<'a, Result<Option<Thread>>>;

    /// Threads awaiting the seller's reply, oldest wait first, across marketplaces.
    fn awaiting_reply<'a>(&'a self, filter: &'a ThreadFilter)
    -> BoxFuture<'a, Result<Vec<Thread>>>;

    /// A thread's messages, oldest first (ties in the order they were stored).
    fn messages<'a>(&'a self, thread: &'a ThreadId) -> BoxFuture<'a, Result<Vec<Message>>>;

    /// What a sync summarizing the threads a page touched needs of their stored
    /// messages (no text, files or vendor JSON), in one call, each thread's oldest
    /// first; threads not stored have none.
    fn message_facts<'a>(
        &'a self,
        threads: &'a [ThreadId],
    ) -> BoxFuture<'a, Result<Vec<MessageFacts>>>;

    /// The latest message of a thread (for the outbox's conflict check).
    fn last_message<'a>(&'a self, thread: &'a ThreadId) -> BoxFuture<'a, Result<Option<Message>>>;

    /// Unread threads per marketplace (every marketplace listed, zeros included).
    fn unread_counts(&self) -> BoxFuture<'_, Result<Vec<(Marketplace, u64)>>>;

    /// Change-feed entries after `cursor` (0: from the start), oldest first, at most `limit`.
    fn changes_since(&self, cursor: i64, limit: u32) -> BoxFuture<'_, Result<Vec<Change>>>;

    /// The newest cursor of the feed (0 when empty): where an application that wants
    /// only future changes starts.
    fn latest_cursor(&self) -> BoxFuture<'_, Result<i64>>;

    /// Records a reply as `pending`, durably, before it is sent.
    fn enqueue_reply<'a>(&'a self, reply: &'a NewReply) -> BoxFuture<'a, Result<OutboxEntry>>;

    /// `pending`/`unknown` → `sent`, with the vendor's message id when known; on a `sent`
    /// entry without an id, fills the id in once.
    fn mark_sent(
        &self,
        id: OutboxId,
        vendor_message_id: Option<MessageId>,
    ) -> BoxFuture<'_, Result<OutboxEntry>>;

    /// `pending` → `unknown`.
    fn mark_unknown(&self, id: OutboxId) -> BoxFuture<'_, Result<OutboxEntry>>;

    /// `pending`/`unknown` → `failed`, with the reason.
    fn mark_failed<'a>(
        &'a self,
        id: OutboxId,
        error: &'a str,
    ) -> BoxFuture<'a, Result<OutboxEntry>>;

    /// One outbox entry.
    fn outbox_entry(&self, id: OutboxId) -> BoxFuture<'_, Result<Option<OutboxEntry>>>;

    /// Outbox entries in a state, oldest first.
    fn outbox(&self, state: OutboxState) -> BoxFuture<'_, Result<Vec<OutboxEntry>>>;

    /// One thread's outbox entries in a state, oldest first: a reply's reconciliation
    /// reads its thread's `sent` replies, so its cost must not grow with every reply
    /// the seller ever sent.
    fn thread_outbox<'a>(
        &'a self,
        thread: &'a ThreadId,
        state: OutboxState,
    ) -> BoxFuture<'a, Result<Vec<OutboxEntry>>>;

    /// Retention: blanks the text, attachments and raw value of messages created before
    /// `cutoff`, and the text and attachments of `sent`/`failed` replies recorded before
    /// it. Blanked messages stay blank when a later sync sees them again.
    fn purge_before(&self, cutoff: DateTime<Utc>) -> BoxFuture<'_, Result<PurgeReport>>;
}

/// How long buyers' texts are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Maximum age of a message text or attachment reference.
    pub max_age: chrono::Duration,
}

impl Retention {
    /// The cutoff for a purge at `now`.
    pub fn cutoff(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - self.max_age
    }

    /// Purges what is older than `max_age` at `now`.
    pub fn purge<'a>(
        &self,
        store: &'a dyn Store,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<PurgeReport>> {
        store.purge_before(self.cutoff(now))
    }
}
