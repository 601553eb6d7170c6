//! One inbox for every marketplace: the buyers' threads of METRO Markets, Yandex
//! Market, SkyHub (Americanas) and Lectronz, synced into one [`Store`], answered from
//! one place, each reply sent exactly once.
//!
//! Built on the generated clients (the caller builds them: base URL, credentials,
//! limits) and the `marketplace-inbox-store` model and [`Store`] trait
//! (`marketplace-inbox-sqlite` is the embedded backend).
//!
//! ```no_run
//! use std::sync::Arc;
//! use marketplace_inbox::{AccountClient, Inbox, ThreadFilter};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let store = Arc::new(marketplace_inbox_sqlite::SqliteStore::open("inbox.db").await?);
//! let lectronz = marketplace_lectronz::Client::builder("my-store-api-key").build()?;
//! let inbox = Inbox::builder(store)
//!     .account(AccountClient::Lectronz { name: "shop".into(), client: lectronz })
//!     .build()?;
//! let report = inbox.sync().await;
//! for account in &report.accounts {
//!     println!("{:?}: {} new messages, {} requests", account.account, account.messages_new, account.requests);
//! }
//! for thread in inbox.awaiting_reply(&ThreadFilter::default()).await? {
//!     println!("{} waits since {:?}", thread.id, thread.awaiting_reply_since);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # How each marketplace is synced
//!
//! A sync is incremental per account, and every account syncs concurrently: one
//! failing or slow marketplace neither stops nor delays the others, and its error is
//! reported for that account only ([`AccountSyncReport::error`]). Every page read is
//! stored **together with the account's checkpoint in one transaction**
//! ([`Store::apply_page`]), keyed by the vendor's ids, so a sync killed at any point
//! resumes from the last stored page without losing or duplicating a message. What
//! changed is found with what each API documents, and compared with the item
//! versions stored with the last page ([`marketplace_inbox_store::ItemVersion`]):
//!
//! | marketplace | what changed | one pass costs (N threads, k changed) |
//! |---|---|---|
//! | METRO | `GET /chats` filtered by `filters[lastMessage][from]` (the previous pass's start, less the clock-skew margin; an unverified filter, [`InboxBuilder::metro_last_message_filter`]), then each chat's `lastMessageAt` against the stored one | ⌈k / 100⌉ list requests + k history reads (⌈N / 100⌉ + N the first time; without the filter ⌈N / 100⌉ + k) |
//! | Yandex Market | `getChats` has no change filter: every chat's `updatedAt` is compared; a changed chat's history is read from the last stored message on (`messageIdFrom`); `CHAT_CREATED`/`CHAT_MESSAGE_SENT` notifications refresh one chat at once ([`Inbox::yandex_notification_handler`]) | ⌈N / 20⌉ + k |
//! | SkyHub | `GET /sac` has no change filter: every ticket's `updated_at` is compared; a changed ticket's chats (all its `parts`) are read | ⌈N / 25⌉ + k (at SkyHub's presumed 1 request/s) |
//! | Lectronz | the message list is newest first: it is read from the top until a page holds a message already stored with the same `updated_at`; each new or changed message is fetched (the list has no text) | ⌈k / P⌉ (at least 1) list requests + k messages (⌈M / P⌉ + M for M messages the first time), P = [`InboxBuilder::lectronz_page_size`], 25 by default |
//!
//! METRO marks a chat's buyer messages seen when its history is read, so the sync
//! reads a chat's history only when its `lastMessageAt` moved; a thread's `unread` is
//! METRO's `isSeen` as listed before that read. Yandex documents no read state: a
//! Yandex chat counts as unread while a buyer message awaits the store's answer.
//!
//! **Time zones.** SkyHub's chat timestamps carry no offset; they are read at
//! [`InboxBuilder::skyhub_utc_offset`], by default UTC−03:00: America/Sao_Paulo,
//! which has kept −03:00 all year since Brazil abolished daylight saving time in
//! 2019 (an assumption: SkyHub documents no zone).
//!
//! # Replies, exactly once
//!
//! [`Inbox::reply`] checks what the marketplace accepts ([`Unsupported`] otherwise),
//! refuses a reply whose author missed a colleague's answer ([`InboxError::Conflict`],
//! unless forced), records the reply in the store's outbox **before** sending it,
//! sends it, and records the result. No marketplace here offers idempotency keys: a
//! reply whose fate is open (a crash between send and record, a timeout after
//! sending) is matched against the thread's history — a seller message with the same
//! text, written from shortly before the reply was recorded to the reconcile window
//! after — by [`Inbox::reconcile_outbox`]; if it is neither confirmed nor ruled out
//! within [`InboxBuilder::reconcile_window`], it becomes `unknown` and is surfaced,
//! **never re-sent automatically**.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod account;
mod error;
mod lectronz;
mod metro;
mod outbox;
mod pass;
mod push;
mod report;
mod send;
mod skyhub;
mod sync;
mod yandex;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{FixedOffset, Utc};
use marketplace_inbox_store::Retention;

pub use account::AccountClient;
pub use error::{AccountError, InboxError, ReplyConflict};
pub use marketplace_inbox_store::{
    Account, Action, AuthorRole, Capabilities, Change, ChangeKind, Marketplace, Message, MessageId,
    OutboxEntry, OutboxId, OutboxState, OutgoingAttachment, PurgeReport, Status, StatusKind, Store,
    Thread, ThreadFilter, ThreadId, Unsupported, VendorThread,
};
pub use push::YandexNotificationHandler;
pub use report::{AccountSyncReport, ReconcileReport, SyncProgress, SyncReport};

use account::AccountState;

/// A point where a crash test stops an operation, as a crash would (see
/// [`InboxBuilder::interrupt`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Interrupt {
    /// Work for `account` (a sync, a push refresh, a reply's record) is about to
    /// store its `page`-th page (from 1, per sync or operation).
    BeforePage {
        /// The account.
        account: Account,
        /// Which page of this sync.
        page: u64,
    },
    /// A reply has been sent; its result is not recorded yet.
    AfterSend {
        /// The reply.
        outbox: OutboxId,
    },
}

impl std::fmt::Display for Interrupt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Interrupt::BeforePage { account, page } => write!(
                f,
                "page {page} of the {} account {:?}",
                account.marketplace, account.name
            ),
            Interrupt::AfterSend { outbox } => write!(f, "{outbox}, sent but not recorded"),
        }
    }
}

type InterruptHook = Arc<dyn Fn(&Interrupt) -> bool + Send + Sync>;

/// A reply to a thread (see [`Inbox::reply`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// The thread.
    pub thread: ThreadId,
    /// The text.
    pub text: String,
    /// Files to send with it (METRO, Yandex); [`attachment_from_path`] describes a
    /// local file.
    pub attachments: Vec<OutgoingAttachment>,
    /// The last message of the thread its author saw: if a seller message (a
    /// colleague's) arrived after it, the reply is refused with
    /// [`InboxError::Conflict`]. The thread is read from the marketplace first (one
    /// refresh), so an answer sent from another inbox or the marketplace's own tools
    /// counts, not only what this store has synced.
    pub last_seen: Option<MessageId>,
    /// Send even if a colleague answered since `last_seen`.
    pub force: bool,
}

impl Reply {
    /// A text reply, no files, no conflict check.
    pub fn text(thread: ThreadId, text: impl Into<String>) -> Self {
        Reply {
            thread,
            text: text.into(),
            attachments: Vec::new(),
            last_seen: None,
            force: false,
        }
    }
}

/// Describes the local file at `path` as an attachment (name, media type guessed
/// from the extension, size); the bytes are read when the reply is sent.
pub fn attachment_from_path(path: impl AsRef<Path>) -> Result<OutgoingAttachment, InboxError> {
    let path = path.as_ref();
    let meta = std::fs::metadata(path)
        .map_err(|e| InboxError::InvalidInput(format!("attachment {}: {e}", path.display())))?;
    if !meta.is_file() {
        return Err(InboxError::InvalidInput(format!(
            "attachment {} is not a file",
            path.display()
        )));
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    let content_type = mime_guess::from_path(path)
        .first_raw()
        .unwrap_or("application/octet-stream")
        .to_owned();
    Ok(OutgoingAttachment {
        name,
        content_type,
        size: meta.len(),
        location: path.to_string_lossy().into_owned(),
    })
}

/// Settings the builder collects.
#[derive(Clone)]
pub(crate) struct Settings {
    pub(crate) skyhub_offset: FixedOffset,
    pub(crate) reconcile_window: Duration,
    pub(crate) clock_skew: chrono::Duration,
    pub(crate) retention: Option<Duration>,
    pub(crate) concurrency: usize,
    pub(crate) metro_last_message_filter: bool,
    pub(crate) lectronz_page_size: u64,
    pub(crate) interrupt: Option<InterruptHook>,
}

impl Settings {
    pub(crate) fn interrupted(&self, at: Interrupt) -> Result<(), InboxError> {
        match &self.interrupt {
            Some(hook) if hook(&at) => Err(InboxError::Interrupted(at.to_string())),
            _ => Ok(()),
        }
    }
}

pub(crate) struct Inner {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) accounts: Vec<Arc<AccountState>>,
    pub(crate) settings: Settings,
    /// Ticks after every stored page that added change-feed entries.
    pub(crate) changes: tokio::sync::watch::Sender<u64>,
}

impl Inner {
    pub(crate) fn account(&self, account: &Account) -> Result<&Arc<AccountState>, InboxError> {
        self.accounts
            .iter()
            .find(|a| a.account == *account)
            .ok_or_else(|| InboxError::UnknownAccount(account.clone()))
    }
}

/// The inbox: accounts, their clients, the store. Cheap to clone (one `Arc`), `Send`
/// and `Sync`: share it between a sync loop, a webhook receiver and request handlers.
#[derive(Clone)]
pub struct Inbox {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Inbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inbox")
            .field("accounts", &self.accounts())
            .finish_non_exhaustive()
    }
}

/// Builds an [`Inbox`].
#[must_use]
pub struct InboxBuilder {
    store: Arc<dyn Store>,
    accounts: Vec<AccountClient>,
    settings: Settings,
}

/// Default of [`InboxBuilder::reconcile_window`].
pub const DEFAULT_RECONCILE_WINDOW: Duration = Duration::from_secs(10 * 60);
/// Default of [`InboxBuilder::clock_skew`]: METRO refuses requests whose timestamp is
/// more than 5 minutes off, so a working client's clock is within it.
pub const DEFAULT_CLOCK_SKEW: Duration = Duration::from_secs(5 * 60);
/// Default of [`InboxBuilder::concurrency`].
pub const DEFAULT_CONCURRENCY: usize = 8;
/// Default of [`InboxBuilder::lectronz_page_size`]: Lectronz documents a default of 20
/// and no maximum; public clients use 25.
pub const DEFAULT_LECTRONZ_PAGE_SIZE: u64 = 25;

/// SkyHub's presumed zone: America/Sao_Paulo, fixed at UTC−03:00 since 2019.
pub fn sao_paulo() -> FixedOffset {
    marketplace_skyhub_sac::sao_paulo_offset()
}

impl InboxBuilder {
    /// Adds an account (its name must be unique per marketplace).
    pub fn account(mut self, account: AccountClient) -> Self {
        self.accounts.push(account);
        self
    }

    /// The UTC offset SkyHub's offset-less chat times are read at (default
    /// [`sao_paulo`], UTC−03:00).
    pub fn skyhub_utc_offset(mut self, offset: FixedOffset) -> Self {
        self.settings.skyhub_offset = offset;
        self
    }

    /// How long a reply whose fate is open may stay unconfirmed before it is marked
    /// `unknown` (default [`DEFAULT_RECONCILE_WINDOW`]); also how long after its
    /// recording a matching seller message confirms it.
    pub fn reconcile_window(mut self, window: Duration) -> Self {
        self.settings.reconcile_window = window;
        self
    }

    /// How far the marketplaces' clocks may be from this machine's (default
    /// [`DEFAULT_CLOCK_SKEW`]): the margin of METRO's last-message filter and of
    /// reply matching.
    pub fn clock_skew(mut self, skew: Duration) -> Self {
        self.settings.clock_skew =
            chrono::Duration::from_std(skew).unwrap_or(chrono::Duration::MAX);
        self
    }

    /// Keep buyers' texts and attachment references at most this long: every sync
    /// ends with a purge ([`Inbox::purge_expired`]). Default: kept.
    pub fn retention(mut self, max_age: Duration) -> Self {
        self.settings.retention = Some(max_age);
        self
    }

    /// Reads (histories, messages) in flight at once per account, across all the
    /// pages a sync pass reads ahead and any refresh running beside it (default
    /// [`DEFAULT_CONCURRENCY`]); the client's own limits still apply.
    pub fn concurrency(mut self, reads: usize) -> Self {
        self.settings.concurrency = reads.max(1);
        self
    }

    /// Whether METRO's `filters[lastMessage][from]` narrows later syncs to the chats
    /// with new messages (default `true`). The filter comes from a community client,
    /// not METRO's documents: switch it off if METRO ignores it, and every sync then
    /// lists all chats (still reading only the changed ones).
    pub fn metro_last_message_filter(mut self, on: bool) -> Self {
        self.settings.metro_last_message_filter = on;
        self
    }

    /// Messages per page of Lectronz's list (default [`DEFAULT_LECTRONZ_PAGE_SIZE`]).
    /// Lectronz documents no maximum; a larger page means fewer list requests and
    /// fewer stored pages, and a Lectronz that gives fewer than asked is followed all
    /// the same (the pager takes its page size from the first answer).
    pub fn lectronz_page_size(mut self, size: u64) -> Self {
        self.settings.lectronz_page_size = size.max(1);
        self
    }

    /// Crash tests: `hook` is asked at every [`Interrupt`] point and, when it returns
    /// `true`, the operation stops there with [`InboxError::Interrupted`], recording
    /// nothing more — as if the process had died at that point.
    pub fn interrupt(mut self, hook: impl Fn(&Interrupt) -> bool + Send + Sync + 'static) -> Self {
        self.settings.interrupt = Some(Arc::new(hook));
        self
    }

    /// Builds the inbox; fails on an empty account name, a Yandex business id of 0,
    /// or two accounts of one marketplace with one name.
    pub fn build(self) -> Result<Inbox, InboxError> {
        let mut accounts: Vec<Arc<AccountState>> = Vec::with_capacity(self.accounts.len());
        for client in self.accounts {
            let state = AccountState::new(client, self.settings.concurrency)?;
            if accounts.iter().any(|a| a.account == state.account) {
                return Err(InboxError::Config(format!(
                    "two {} accounts named {:?}",
                    state.account.marketplace, state.account.name
                )));
            }
            accounts.push(Arc::new(state));
        }
        Ok(Inbox {
            inner: Arc::new(Inner {
                store: self.store,
                accounts,
                settings: self.settings,
                changes: tokio::sync::watch::Sender::new(0),
            }),
        })
    }
}

impl Inbox {
    /// A builder over `store`.
    pub fn builder(store: Arc<dyn Store>) -> InboxBuilder {
        InboxBuilder {
            store,
            accounts: Vec::new(),
            settings: Settings {
                skyhub_offset: sao_paulo(),
                reconcile_window: DEFAULT_RECONCILE_WINDOW,
                clock_skew: chrono::Duration::from_std(DEFAULT_CLOCK_SKEW)
                    .expect("five minutes fit"),
                retention: None,
                concurrency: DEFAULT_CONCURRENCY,
                metro_last_message_filter: true,
                lectronz_page_size: DEFAULT_LECTRONZ_PAGE_SIZE,
                interrupt: None,
            },
        }
    }

    /// The accounts, in the order they were added.
    pub fn accounts(&self) -> Vec<Account> {
        self.inner
            .accounts
            .iter()
            .map(|a| a.account.clone())
            .collect()
    }

    /// What a marketplace can do (documented capabilities).
    pub fn capabilities(marketplace: Marketplace) -> &'static Capabilities {
        Capabilities::of(marketplace)
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    /// Syncs every account, concurrently; never fails as a whole: each account's
    /// error is in its report.
    ///
    /// Each account syncs in its own Tokio task, so on a multi-threaded runtime the
    /// accounts' work (decoding, signing, summarizing) spreads over its threads and a
    /// marketplace with heavy pages does not slow the others down. Dropping the
    /// returned future stops every account's sync (each resumes from its last stored
    /// page). Must run inside a Tokio runtime.
    pub async fn sync(&self) -> SyncReport {
        self.sync_with(&|_| {}).await
    }

    /// [`sync`](Self::sync), telling `progress` as each account starts, stores a
    /// page and finishes (called on the task awaiting this future).
    pub async fn sync_with(&self, progress: &(dyn Fn(SyncProgress) + Send + Sync)) -> SyncReport {
        // Dropped with this future, the set aborts the accounts' tasks.
        let mut runs = tokio::task::JoinSet::new();
        let (events, mut received) = tokio::sync::mpsc::unbounded_channel();
        for (index, account) in self.inner.accounts.iter().enumerate() {
            let (inner, account, events) = (self.inner.clone(), account.clone(), events.clone());
            runs.spawn(async move {
                let tell = move |event| {
                    // Fails only once this sync is dropped: nobody is told any more.
                    let _ = events.send(event);
                };
                (index, sync::sync_account(&inner, &account, &tell).await)
            });
        }
        drop(events);
        // Ends when every task has finished (or panicked) and dropped its sender.
        while let Some(event) = received.recv().await {
            progress(event);
        }
        let mut accounts: Vec<(usize, AccountSyncReport)> = runs.join_all().await;
        accounts.sort_by_key(|(index, _)| *index);
        let accounts = accounts.into_iter().map(|(_, report)| report).collect();
        if self.inner.settings.retention.is_some()
            && let Err(e) = self.purge_expired().await
        {
            tracing::warn!(error = %e, "retention purge after the sync failed");
        }
        SyncReport { accounts }
    }

    /// Syncs one account.
    pub async fn sync_account(&self, account: &Account) -> Result<AccountSyncReport, InboxError> {
        let state = self.inner.account(account)?;
        Ok(sync::sync_account(&self.inner, state, &|_| {}).await)
    }

    /// Threads awaiting the seller's reply, oldest wait first, across marketplaces.
    pub async fn awaiting_reply(&self, filter: &ThreadFilter) -> Result<Vec<Thread>, InboxError> {
        Ok(self.inner.store.awaiting_reply(filter).await?)
    }

    /// One thread ([`InboxError::NotFound`] if not stored).
    pub async fn thread(&self, id: &ThreadId) -> Result<Thread, InboxError> {
        self.inner
            .store
            .thread(id)
            .await?
            .ok_or_else(|| InboxError::NotFound(id.clone()))
    }

    /// A thread's messages, oldest first ([`InboxError::NotFound`] if the thread is
    /// not stored).
    pub async fn messages(&self, id: &ThreadId) -> Result<Vec<Message>, InboxError> {
        self.thread(id).await?;
        Ok(self.inner.store.messages(id).await?)
    }

    /// Unread threads per marketplace (every marketplace listed).
    pub async fn unread_counts(&self) -> Result<Vec<(Marketplace, u64)>, InboxError> {
        Ok(self.inner.store.unread_counts().await?)
    }

    /// Sends a reply exactly once (see the [crate docs](crate#replies-exactly-once)).
    /// `Ok` is the `sent` outbox entry.
    pub async fn reply(&self, reply: Reply) -> Result<OutboxEntry, InboxError> {
        outbox::reply(&self.inner, reply).await
    }

    /// Marks a thread read at the marketplace and in the store: SkyHub sets the
    /// conversation `READ`, Lectronz marks each unread buyer message, METRO reads the
    /// chat's messages (its only way); Yandex has no way ([`Unsupported`]).
    pub async fn mark_read(&self, id: &ThreadId) -> Result<(), InboxError> {
        outbox::mark_read(&self.inner, id).await
    }

    /// Opens a thread about `order` and sends `text` in it (exactly once, through the
    /// outbox): METRO (`order` is the order's id, `subject` a seller subject code such
    /// as `INVOICE_INSTRUCTIONS`, required), Yandex (`order` is the order number; an
    /// existing chat of the order is reused), Lectronz (the order id; a thread is an
    /// order's messages). SkyHub cannot ([`Unsupported`]).
    pub async fn start_thread(
        &self,
        account: &Account,
        order: &str,
        subject: Option<&str>,
        text: &str,
    ) -> Result<Thread, InboxError> {
        outbox::start_thread(&self.inner, account, order, subject, text).await
    }

    /// Settles the replies whose fate is open (`pending` after a crash or a timeout,
    /// `unknown`): each is looked for in its thread's history; see [`ReconcileReport`].
    pub async fn reconcile_outbox(&self) -> Result<ReconcileReport, InboxError> {
        outbox::reconcile(&self.inner).await
    }

    /// Outbox entries in a state, oldest first (`unknown` ones need a person).
    pub async fn outbox(&self, state: OutboxState) -> Result<Vec<OutboxEntry>, InboxError> {
        Ok(self.inner.store.outbox(state).await?)
    }

    /// Change-feed entries after `cursor` (0: from the start), oldest first.
    pub async fn changes_since(&self, cursor: i64, limit: u32) -> Result<Vec<Change>, InboxError> {
        Ok(self.inner.store.changes_since(cursor, limit).await?)
    }

    /// A receiver that ticks whenever a stored page added change-feed entries: wait on
    /// it, then read [`changes_since`](Self::changes_since) from your last cursor.
    pub fn subscribe_changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.changes.subscribe()
    }

    /// Purges texts and attachment references older than the retention setting (a
    /// no-op without one).
    pub async fn purge_expired(&self) -> Result<PurgeReport, InboxError> {
        let Some(max_age) = self.inner.settings.retention else {
            return Ok(PurgeReport::default());
        };
        // Capped at ten thousand years: `now - max_age` must stay a representable time.
        let cap = chrono::Duration::days(3_650_000);
        let retention = Retention {
            max_age: chrono::Duration::from_std(max_age).map_or(cap, |age| age.min(cap)),
        };
        Ok(retention.purge(&*self.inner.store, Utc::now()).await?)
    }

    /// The handler to give `marketplace-webhooks`' Yandex receiver: a
    /// `CHAT_CREATED`/`CHAT_MESSAGE_SENT` notification refreshes that chat at once.
    pub fn yandex_notification_handler(&self) -> YandexNotificationHandler {
        YandexNotificationHandler::new(self.inner.clone())
    }
}
