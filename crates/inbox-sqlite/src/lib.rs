//! SQLite backend of the unified inbox store ([`marketplace_inbox_store::Store`]).
//!
//! A file (WAL journal, `synchronous=FULL`) or an in-memory database for tests,
//! through sqlx. The schema's migrations live in this crate's `migrations/`, are
//! embedded at compile time and applied on open.
//!
//! ```
//! use marketplace_inbox_sqlite::SqliteStore;
//! use marketplace_inbox_store::{Account, Checkpoint, Marketplace, Page, Store};
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let store = SqliteStore::open_in_memory().await?;
//! let account = Account::new(Marketplace::Yandex, "acme")?;
//! let checkpoint = Checkpoint { stream: "chats".into(), value: serde_json::json!({"page": 1}) };
//! store.apply_page(&account, &Page::default(), &checkpoint).await?;
//! assert_eq!(store.checkpoint(&account, "chats").await?, Some(serde_json::json!({"page": 1})));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Datelike, SecondsFormat, Utc};
use futures::future::BoxFuture;
use marketplace_inbox_store::{
    Account, ApplyReport, Attachment, AuthorRole, Change, ChangeKind, Checkpoint, Marketplace,
    Message, MessageFacts, MessageId, NewReply, OrderRef, OutboxEntry, OutboxId, OutboxState,
    OutgoingAttachment, Page, PurgeReport, Result, Status, StatusKind, Store, StoreError, Thread,
    ThreadFilter, ThreadId,
};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{QueryBuilder, Row, Sqlite, SqlitePool, Transaction};

/// The embedded default store.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// Held for each write transaction: this process's writers queue here, in order,
    /// instead of in SQLite's busy handler, which sleeps in growing steps (up to 100 ms)
    /// and holds a pooled connection meanwhile.
    writer: Arc<tokio::sync::Mutex<()>>,
}

fn backend(e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Backend(Box::new(e))
}

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

/// Fixed-width UTC text: text order is time order.
fn ts(t: DateTime<Utc>) -> Result<String> {
    if !(0..=9999).contains(&t.year()) {
        return Err(StoreError::Invalid(format!(
            "time {t} is outside the years 0000–9999"
        )));
    }
    Ok(t.to_rfc3339_opts(SecondsFormat::Nanos, true))
}

fn opt_ts(t: Option<DateTime<Utc>>) -> Result<Option<String>> {
    t.map(ts).transpose()
}

fn parse_ts(text: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| corrupt(format!("time `{text}`: {e}")))
}

fn parse_opt_ts(text: Option<String>) -> Result<Option<DateTime<Utc>>> {
    text.as_deref().map(parse_ts).transpose()
}

fn get<'r, T>(row: &'r SqliteRow, column: &str) -> Result<T>
where
    T: sqlx::Decode<'r, Sqlite> + sqlx::Type<Sqlite>,
{
    row.try_get(column).map_err(backend)
}

fn now() -> Result<String> {
    ts(Utc::now())
}

/// The store keys rows by the ids' text forms: an id built by hand that would not read
/// back (an empty account, a Yandex id of 0, an empty vendor message id) is refused.
fn check_thread_id(id: &ThreadId) -> Result<String> {
    let key = id.to_string();
    match ThreadId::from_str(&key) {
        Ok(back) if back == *id => Ok(key),
        Ok(_) => Err(StoreError::Invalid(format!(
            "thread id {key} does not read back as itself"
        ))),
        Err(e) => Err(StoreError::Invalid(format!("thread id {key}: {e}"))),
    }
}

fn check_message_id(id: &MessageId) -> Result<String> {
    MessageId::from_str(id.as_str())
        .map(|_| id.to_string())
        .map_err(|e| StoreError::Invalid(e.to_string()))
}

fn json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Invalid(e.to_string()))
}

fn from_json<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| corrupt(format!("{what}: {e}")))
}

const THREAD_COLUMNS: &str = "thread_key, order_id, order_number, has_order, subject, \
     status_kind, status_raw, unread, last_activity, awaiting_since";

fn thread_from_row(row: &SqliteRow) -> Result<Thread> {
    let key: String = get(row, "thread_key")?;
    let id = ThreadId::from_str(&key).map_err(|e| corrupt(format!("thread key `{key}`: {e}")))?;
    let has_order: bool = get(row, "has_order")?;
    Ok(Thread {
        id,
        order: has_order
            .then(|| -> Result<OrderRef> {
                Ok(OrderRef {
                    id: get(row, "order_id")?,
                    number: get(row, "order_number")?,
                })
            })
            .transpose()?,
        subject: get(row, "subject")?,
        status: Status {
            kind: StatusKind::from_name(&get::<String>(row, "status_kind")?),
            raw: get(row, "status_raw")?,
        },
        unread: get(row, "unread")?,
        last_activity: parse_opt_ts(get(row, "last_activity")?)?,
        awaiting_reply_since: parse_opt_ts(get(row, "awaiting_since")?)?,
    })
}

const MESSAGE_COLUMNS: &str =
    "thread_key, message_id, author, text, attachments, created_at, read_at, raw";

fn message_from_row(row: &SqliteRow) -> Result<Message> {
    let facts = message_facts_from_row(row)?;
    Ok(Message {
        id: facts.id,
        thread: facts.thread,
        author: facts.author,
        text: get(row, "text")?,
        attachments: from_json::<Vec<Attachment>>(
            &get::<String>(row, "attachments")?,
            "attachments",
        )?,
        created_at: facts.created_at,
        read_at: facts.read_at,
        raw: from_json(&get::<String>(row, "raw")?, "raw")?,
    })
}

fn message_facts_from_row(row: &SqliteRow) -> Result<MessageFacts> {
    let key: String = get(row, "thread_key")?;
    let id: String = get(row, "message_id")?;
    Ok(MessageFacts {
        id: MessageId::from_str(&id).map_err(|e| corrupt(format!("message id: {e}")))?,
        thread: ThreadId::from_str(&key).map_err(|e| corrupt(format!("thread key: {e}")))?,
        author: AuthorRole::from_name(&get::<String>(row, "author")?),
        created_at: parse_ts(&get::<String>(row, "created_at")?)?,
        read_at: parse_opt_ts(get(row, "read_at")?)?,
    })
}

const OUTBOX_COLUMNS: &str = "id, thread_key, text, attachments, last_seen, state, \
     vendor_message_id, error, created_at, updated_at";

fn outbox_from_row(row: &SqliteRow) -> Result<OutboxEntry> {
    let key: String = get(row, "thread_key")?;
    let state: String = get(row, "state")?;
    let message_id = |column: &str| -> Result<Option<MessageId>> {
        get::<Option<String>>(row, column)?
            .map(|t| MessageId::from_str(&t).map_err(|e| corrupt(format!("{column}: {e}"))))
            .transpose()
    };
    Ok(OutboxEntry {
        id: OutboxId(get(row, "id")?),
        thread: ThreadId::from_str(&key).map_err(|e| corrupt(format!("thread key: {e}")))?,
        text: get(row, "text")?,
        attachments: from_json::<Vec<OutgoingAttachment>>(
            &get::<String>(row, "attachments")?,
            "outbox attachments",
        )?,
        last_seen: message_id("last_seen")?,
        state: OutboxState::from_name(&state).ok_or_else(|| corrupt(format!("state `{state}`")))?,
        vendor_message_id: message_id("vendor_message_id")?,
        error: get(row, "error")?,
        created_at: parse_ts(&get::<String>(row, "created_at")?)?,
        updated_at: parse_ts(&get::<String>(row, "updated_at")?)?,
    })
}

fn change_from_row(row: &SqliteRow) -> Result<Change> {
    let key: String = get(row, "thread_key")?;
    let kind: String = get(row, "kind")?;
    let status = |k: &str, r: &str| -> Result<Status> {
        Ok(Status {
            kind: StatusKind::from_name(&get::<Option<String>>(row, k)?.unwrap_or_default()),
            raw: get(row, r)?,
        })
    };
    let change = match kind.as_str() {
        "new_buyer_message" => {
            let id: Option<String> = get(row, "message_id")?;
            let id = id.ok_or_else(|| corrupt("change without message id"))?;
            ChangeKind::NewBuyerMessage {
                message: MessageId::from_str(&id).map_err(|e| corrupt(format!("change: {e}")))?,
            }
        }
        "status_changed" => ChangeKind::StatusChanged {
            from: status("from_kind", "from_raw")?,
            to: status("to_kind", "to_raw")?,
        },
        other => return Err(corrupt(format!("change kind `{other}`"))),
    };
    Ok(Change {
        cursor: get(row, "cursor")?,
        thread: ThreadId::from_str(&key).map_err(|e| corrupt(format!("thread key: {e}")))?,
        recorded_at: parse_ts(&get::<String>(row, "recorded_at")?)?,
        change,
    })
}

/// Rows per multi-row statement (SQLite binds at most 32 766 parameters; a thread row
/// binds 13).
const ROWS_PER_STATEMENT: usize = 500;

/// A change-feed entry a page causes.
enum NewChange {
    Status {
        thread: String,
        from: Status,
        to: Status,
    },
    BuyerMessage {
        thread: String,
        message: String,
    },
}

/// The stored statuses of the threads among `keys`.
async fn stored_statuses(
    tx: &mut Transaction<'static, Sqlite>,
    keys: &[String],
) -> Result<std::collections::HashMap<String, Status>> {
    let mut found = std::collections::HashMap::with_capacity(keys.len());
    for chunk in keys.chunks(ROWS_PER_STATEMENT) {
        let mut query = QueryBuilder::<Sqlite>::new(
            "SELECT thread_key, status_kind, status_raw FROM threads WHERE thread_key IN (",
        );
        let mut list = query.separated(", ");
        for key in chunk {
            list.push_bind(key);
        }
        query.push(")");
        for row in query.build().fetch_all(&mut **tx).await.map_err(backend)? {
            let status = Status {
                kind: StatusKind::from_name(&get::<String>(&row, "status_kind")?),
                raw: get(&row, "status_raw")?,
            };
            found.insert(get::<String>(&row, "thread_key")?, status);
        }
    }
    Ok(found)
}

/// The `(thread key, message id)` pairs among `keys` already stored.
async fn stored_messages(
    tx: &mut Transaction<'static, Sqlite>,
    keys: &[(String, String)],
) -> Result<std::collections::HashSet<(String, String)>> {
    let mut found = std::collections::HashSet::with_capacity(keys.len());
    for chunk in keys.chunks(ROWS_PER_STATEMENT) {
        let mut query = QueryBuilder::<Sqlite>::new(
            "SELECT thread_key, message_id FROM messages WHERE (thread_key, message_id) IN (VALUES ",
        );
        let mut list = query.separated(", ");
        for (thread, message) in chunk {
            list.push("(")
                .push_bind_unseparated(thread)
                .push_unseparated(", ")
                .push_bind_unseparated(message)
                .push_unseparated(")");
        }
        query.push(")");
        for row in query.build().fetch_all(&mut **tx).await.map_err(backend)? {
            found.insert((get(&row, "thread_key")?, get(&row, "message_id")?));
        }
    }
    Ok(found)
}

impl SqliteStore {
    /// Opens (creating it if missing) the database file at `path` and applies the
    /// migrations. WAL journal with `synchronous=FULL`: a committed page survives a
    /// crash of the process or of the machine.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            // A page's multi-row upserts keep statement journals (to undo one statement
            // that fails halfway); in memory they cost no temporary file and its writes.
            // The database and its WAL stay on disk: durability is unchanged.
            .pragma("temp_store", "MEMORY")
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(backend)?;
        Self::migrate(pool).await
    }

    /// A private in-memory database (one connection, gone when the store is dropped).
    pub async fn open_in_memory() -> Result<Self> {
        let options = SqliteConnectOptions::new()
            .in_memory(true)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await
            .map_err(backend)?;
        Self::migrate(pool).await
    }

    async fn migrate(pool: SqlitePool) -> Result<Self> {
        // `sqlx::migrate!` needs the `macros` feature (the query macros); the `derive` +
        // `migrate` features give the same embedding macro without them.
        sqlx::sqlx_macros::migrate!("./migrations")
            .run(&pool)
            .await
            .map_err(backend)?;
        Ok(SqliteStore {
            pool,
            writer: Arc::default(),
        })
    }

    /// The connection pool (for inspection and tests).
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Closes the pool, waiting for connections to finish.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// A write transaction, with this process's writer turn: keep the guard until the
    /// transaction ends.
    async fn write_tx(
        &self,
    ) -> Result<(
        tokio::sync::OwnedMutexGuard<()>,
        Transaction<'static, Sqlite>,
    )> {
        let turn = self.writer.clone().lock_owned().await;
        // IMMEDIATE: take the write lock first, so a transaction that reads before it
        // writes never fails to upgrade (SQLITE_BUSY) next to a writer of another process.
        //
        // On a task of its own: a caller dropping this future (a timeout, a cancelled
        // sync) while sqlx's `BEGIN` is acknowledged would leave the connection inside
        // a transaction no `Transaction` owns, and every later `BEGIN IMMEDIATE` on it
        // fails. The task always finishes the begin; a transaction nobody takes is
        // dropped with the task's output, which rolls it back.
        let pool = self.pool.clone();
        let tx = tokio::spawn(async move { pool.begin_with("BEGIN IMMEDIATE").await })
            .await
            .map_err(backend)?
            .map_err(backend)?;
        Ok((turn, tx))
    }

    async fn apply_page_inner(
        &self,
        account: &Account,
        page: &Page,
        checkpoint: &Checkpoint,
    ) -> Result<ApplyReport> {
        for thread in &page.threads {
            check_thread_id(&thread.id)?;
            if thread.id.account() != *account {
                return Err(StoreError::WrongAccount {
                    what: "thread",
                    thread: thread.id.clone(),
                    account: account.clone(),
                });
            }
        }
        for message in &page.messages {
            check_thread_id(&message.thread)?;
            check_message_id(&message.id)?;
            if message.thread.account() != *account {
                return Err(StoreError::WrongAccount {
                    what: "message",
                    thread: message.thread.clone(),
                    account: account.clone(),
                });
            }
        }
        let stored_at = now()?;
        let mut report = ApplyReport::default();
        let (_turn, mut tx) = self.write_tx().await?;

        sqlx::query(
            "INSERT INTO checkpoints (marketplace, account, stream, value, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (marketplace, account, stream)
             DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(account.marketplace.as_str())
        .bind(&account.name)
        .bind(&checkpoint.stream)
        .bind(json(&checkpoint.value)?)
        .bind(&stored_at)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;

        // Multi-row statements: a page costs a handful of statements, not a few per
        // row. Rows are still applied in the page's order (a thread or message twice
        // in one page counts, and changes, as if applied one after the other).
        let mut changes: Vec<NewChange> = Vec::new();
        let thread_keys: Vec<String> = page.threads.iter().map(|t| t.id.to_string()).collect();
        let mut statuses = stored_statuses(&mut tx, &thread_keys).await?;
        for (thread, key) in page.threads.iter().zip(&thread_keys) {
            match statuses.insert(key.clone(), thread.status.clone()) {
                None => report.threads_inserted += 1,
                Some(from) => {
                    report.threads_updated += 1;
                    if from != thread.status {
                        changes.push(NewChange::Status {
                            thread: key.clone(),
                            from,
                            to: thread.status.clone(),
                        });
                    }
                }
            }
        }
        for chunk in page.threads.chunks(ROWS_PER_STATEMENT) {
            let mut query = QueryBuilder::<Sqlite>::new(
                "INSERT INTO threads (thread_key, marketplace, account, order_id, order_number,
                     has_order, subject, status_kind, status_raw, unread, last_activity,
                     awaiting_since, stored_at) ",
            );
            let mut failed = None;
            query.push_values(chunk, |mut row, thread| {
                let order = thread.order.as_ref();
                let times = opt_ts(thread.last_activity).and_then(|last| {
                    opt_ts(thread.awaiting_reply_since).map(|awaiting| (last, awaiting))
                });
                let (last, awaiting) = times.unwrap_or_else(|e| {
                    failed.get_or_insert(e);
                    (None, None)
                });
                row.push_bind(thread.id.to_string())
                    .push_bind(account.marketplace.as_str())
                    .push_bind(&account.name)
                    .push_bind(order.and_then(|o| o.id.clone()))
                    .push_bind(order.and_then(|o| o.number.clone()))
                    .push_bind(order.is_some())
                    .push_bind(&thread.subject)
                    .push_bind(thread.status.kind.as_str())
                    .push_bind(&thread.status.raw)
                    .push_bind(thread.unread)
                    .push_bind(last)
                    .push_bind(awaiting)
                    .push_bind(&stored_at);
            });
            if let Some(e) = failed {
                return Err(e);
            }
            query.push(
                " ON CONFLICT (thread_key) DO UPDATE SET
                     order_id = excluded.order_id, order_number = excluded.order_number,
                     has_order = excluded.has_order, subject = excluded.subject,
                     status_kind = excluded.status_kind, status_raw = excluded.status_raw,
                     unread = excluded.unread, last_activity = excluded.last_activity,
                     awaiting_since = excluded.awaiting_since, stored_at = excluded.stored_at",
            );
            query.build().execute(&mut *tx).await.map_err(backend)?;
        }

        let message_keys: Vec<(String, String)> = page
            .messages
            .iter()
            .map(|m| (m.thread.to_string(), m.id.to_string()))
            .collect();
        let mut stored = stored_messages(&mut tx, &message_keys).await?;
        for (message, key) in page.messages.iter().zip(&message_keys) {
            if stored.insert(key.clone()) {
                report.messages_inserted += 1;
                if message.author == AuthorRole::Buyer {
                    changes.push(NewChange::BuyerMessage {
                        thread: key.0.clone(),
                        message: key.1.clone(),
                    });
                }
            } else {
                report.messages_updated += 1;
            }
        }
        for chunk in page.messages.chunks(ROWS_PER_STATEMENT) {
            let mut rows = Vec::with_capacity(chunk.len());
            for message in chunk {
                rows.push((
                    message,
                    json(&message.attachments)?,
                    ts(message.created_at)?,
                    opt_ts(message.read_at)?,
                    json(&message.raw)?,
                ));
            }
            let mut query = QueryBuilder::<Sqlite>::new(
                "INSERT INTO messages (thread_key, message_id, author, text, attachments,
                     created_at, read_at, raw) ",
            );
            query.push_values(
                rows,
                |mut row, (message, attachments, created, read, raw)| {
                    row.push_bind(message.thread.to_string())
                        .push_bind(message.id.to_string())
                        .push_bind(message.author.as_str())
                        .push_bind(&message.text)
                        .push_bind(attachments)
                        .push_bind(created)
                        .push_bind(read)
                        .push_bind(raw);
                },
            );
            // A purged message stays blank when a sync sees it again.
            query.push(
                " ON CONFLICT (thread_key, message_id) DO UPDATE SET
                     author = excluded.author, created_at = excluded.created_at,
                     read_at = excluded.read_at,
                     text = CASE WHEN purged_at IS NULL THEN excluded.text ELSE NULL END,
                     attachments = CASE WHEN purged_at IS NULL THEN excluded.attachments ELSE '[]' END,
                     raw = CASE WHEN purged_at IS NULL THEN excluded.raw ELSE 'null' END",
            );
            query.build().execute(&mut *tx).await.map_err(backend)?;
        }

        report.changes = changes.len() as u64;
        for chunk in changes.chunks(ROWS_PER_STATEMENT) {
            let mut query = QueryBuilder::<Sqlite>::new(
                "INSERT INTO changes (thread_key, kind, message_id, from_kind, from_raw, to_kind,
                     to_raw, recorded_at) ",
            );
            query.push_values(chunk, |mut row, change| {
                match change {
                    NewChange::Status { thread, from, to } => row
                        .push_bind(thread)
                        .push_bind("status_changed")
                        .push_bind(None::<String>)
                        .push_bind(from.kind.as_str())
                        .push_bind(&from.raw)
                        .push_bind(to.kind.as_str())
                        .push_bind(&to.raw),
                    NewChange::BuyerMessage { thread, message } => row
                        .push_bind(thread)
                        .push_bind("new_buyer_message")
                        .push_bind(message)
                        .push_bind(None::<String>)
                        .push_bind(None::<String>)
                        .push_bind(None::<String>)
                        .push_bind(None::<String>),
                };
                row.push_bind(&stored_at);
            });
            query.build().execute(&mut *tx).await.map_err(backend)?;
        }

        for chunk in page.versions.chunks(ROWS_PER_STATEMENT) {
            let mut query = QueryBuilder::<Sqlite>::new(
                "INSERT INTO item_versions (marketplace, account, item, version) ",
            );
            query.push_values(chunk, |mut row, version| {
                row.push_bind(account.marketplace.as_str())
                    .push_bind(&account.name)
                    .push_bind(&version.item)
                    .push_bind(&version.version);
            });
            query.push(
                " ON CONFLICT (marketplace, account, item) DO UPDATE SET version = excluded.version",
            );
            query.build().execute(&mut *tx).await.map_err(backend)?;
        }

        tx.commit().await.map_err(backend)?;
        Ok(report)
    }

    async fn item_versions_inner(
        &self,
        account: &Account,
        items: &[String],
    ) -> Result<Vec<Option<String>>> {
        let mut found = std::collections::HashMap::with_capacity(items.len());
        // SQLite allows 32 766 bound parameters; stay well below.
        for chunk in items.chunks(500) {
            let mut query = QueryBuilder::<Sqlite>::new(
                "SELECT item, version FROM item_versions WHERE marketplace = ",
            );
            query
                .push_bind(account.marketplace.as_str())
                .push(" AND account = ")
                .push_bind(&account.name)
                .push(" AND item IN (");
            let mut list = query.separated(", ");
            for item in chunk {
                list.push_bind(item);
            }
            query.push(")");
            for row in query.build().fetch_all(&self.pool).await.map_err(backend)? {
                found.insert(
                    get::<String>(&row, "item")?,
                    get::<String>(&row, "version")?,
                );
            }
        }
        Ok(items.iter().map(|item| found.remove(item)).collect())
    }

    async fn outbox_entry_inner(&self, id: OutboxId) -> Result<Option<OutboxEntry>> {
        let row = sqlx::query(&format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE id = ?1"
        ))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        row.as_ref().map(outbox_from_row).transpose()
    }

    /// One state change, in one transaction: the row is updated only from a state that
    /// may become `to` (the trigger in the schema guards the same rule).
    async fn transition(
        &self,
        id: OutboxId,
        to: OutboxState,
        vendor_message_id: Option<&MessageId>,
        error: Option<&str>,
    ) -> Result<OutboxEntry> {
        let (_turn, mut tx) = self.write_tx().await?;
        let row = sqlx::query("SELECT state, vendor_message_id FROM outbox WHERE id = ?1")
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?
            .ok_or(StoreError::NotFound(id))?;
        let state: String = get(&row, "state")?;
        let from =
            OutboxState::from_name(&state).ok_or_else(|| corrupt(format!("state `{state}`")))?;
        let had_id: Option<String> = get(&row, "vendor_message_id")?;
        // The one move within `sent`: filling in a vendor id learned later (Yandex).
        let fill_in_id = from == OutboxState::Sent
            && to == OutboxState::Sent
            && had_id.is_none()
            && vendor_message_id.is_some();
        if !from.can_become(to) && !fill_in_id {
            return Err(StoreError::IllegalTransition { id, from, to });
        }
        sqlx::query(
            "UPDATE outbox SET state = ?2, vendor_message_id = COALESCE(?3, vendor_message_id),
                 error = ?4, updated_at = ?5
             WHERE id = ?1",
        )
        .bind(id.0)
        .bind(to.as_str())
        .bind(vendor_message_id.map(ToString::to_string))
        .bind(error)
        .bind(now()?)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        let row = sqlx::query(&format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE id = ?1"
        ))
        .bind(id.0)
        .fetch_one(&mut *tx)
        .await
        .map_err(backend)?;
        let entry = outbox_from_row(&row)?;
        tx.commit().await.map_err(backend)?;
        Ok(entry)
    }
}

impl Store for SqliteStore {
    fn apply_page<'a>(
        &'a self,
        account: &'a Account,
        page: &'a Page,
        checkpoint: &'a Checkpoint,
    ) -> BoxFuture<'a, Result<ApplyReport>> {
        Box::pin(self.apply_page_inner(account, page, checkpoint))
    }

    fn checkpoint<'a>(
        &'a self,
        account: &'a Account,
        stream: &'a str,
    ) -> BoxFuture<'a, Result<Option<serde_json::Value>>> {
        Box::pin(async move {
            let row = sqlx::query(
                "SELECT value FROM checkpoints WHERE marketplace = ?1 AND account = ?2 AND stream = ?3",
            )
            .bind(account.marketplace.as_str())
            .bind(&account.name)
            .bind(stream)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
            row.map(|r| from_json(&get::<String>(&r, "value")?, "checkpoint"))
                .transpose()
        })
    }

    fn item_versions<'a>(
        &'a self,
        account: &'a Account,
        items: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<Option<String>>>> {
        Box::pin(self.item_versions_inner(account, items))
    }

    fn thread<'a>(&'a self, id: &'a ThreadId) -> BoxFuture<'a, Result<Option<Thread>>> {
        Box::pin(async move {
            let row = sqlx::query(&format!(
                "SELECT {THREAD_COLUMNS} FROM threads WHERE thread_key = ?1"
            ))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
            row.as_ref().map(thread_from_row).transpose()
        })
    }

    fn awaiting_reply<'a>(
        &'a self,
        filter: &'a ThreadFilter,
    ) -> BoxFuture<'a, Result<Vec<Thread>>> {
        Box::pin(async move {
            let mut query = QueryBuilder::<Sqlite>::new(format!(
                "SELECT {THREAD_COLUMNS} FROM threads WHERE awaiting_since IS NOT NULL"
            ));
            if !filter.marketplaces.is_empty() {
                query.push(" AND marketplace IN (");
                let mut list = query.separated(", ");
                for m in &filter.marketplaces {
                    list.push_bind(m.as_str());
                }
                query.push(")");
            }
            if let Some(unread) = filter.unread {
                query.push(" AND unread = ").push_bind(unread);
            }
            if !filter.statuses.is_empty() {
                query.push(" AND status_kind IN (");
                let mut list = query.separated(", ");
                for s in &filter.statuses {
                    list.push_bind(s.as_str());
                }
                query.push(")");
            }
            query.push(" ORDER BY awaiting_since ASC, thread_key ASC");
            if let Some(limit) = filter.limit {
                query.push(" LIMIT ").push_bind(i64::from(limit));
            }
            let rows = query.build().fetch_all(&self.pool).await.map_err(backend)?;
            rows.iter().map(thread_from_row).collect()
        })
    }

    fn messages<'a>(&'a self, thread: &'a ThreadId) -> BoxFuture<'a, Result<Vec<Message>>> {
        Box::pin(async move {
            let rows = sqlx::query(&format!(
                "SELECT {MESSAGE_COLUMNS} FROM messages WHERE thread_key = ?1
                 ORDER BY created_at ASC, rowid ASC"
            ))
            .bind(thread.to_string())
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
            rows.iter().map(message_from_row).collect()
        })
    }

    fn message_facts<'a>(
        &'a self,
        threads: &'a [ThreadId],
    ) -> BoxFuture<'a, Result<Vec<MessageFacts>>> {
        Box::pin(async move {
            let mut facts = Vec::new();
            // SQLite allows 32 766 bound parameters; stay well below.
            for chunk in threads.chunks(500) {
                let mut query = QueryBuilder::<Sqlite>::new(
                    "SELECT thread_key, message_id, author, created_at, read_at \
                     FROM messages WHERE thread_key IN (",
                );
                let mut list = query.separated(", ");
                for thread in chunk {
                    list.push_bind(thread.to_string());
                }
                query.push(") ORDER BY thread_key, created_at ASC, rowid ASC");
                let rows = query.build().fetch_all(&self.pool).await.map_err(backend)?;
                for row in &rows {
                    facts.push(message_facts_from_row(row)?);
                }
            }
            Ok(facts)
        })
    }

    fn last_message<'a>(&'a self, thread: &'a ThreadId) -> BoxFuture<'a, Result<Option<Message>>> {
        Box::pin(async move {
            let row = sqlx::query(&format!(
                "SELECT {MESSAGE_COLUMNS} FROM messages WHERE thread_key = ?1
                 ORDER BY created_at DESC, rowid DESC LIMIT 1"
            ))
            .bind(thread.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
            row.as_ref().map(message_from_row).transpose()
        })
    }

    fn unread_counts(&self) -> BoxFuture<'_, Result<Vec<(Marketplace, u64)>>> {
        Box::pin(async move {
            let rows = sqlx::query(
                "SELECT marketplace, COUNT(*) AS n FROM threads WHERE unread = 1 GROUP BY marketplace",
            )
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
            let mut counts: Vec<(Marketplace, u64)> =
                Marketplace::ALL.iter().map(|m| (*m, 0)).collect();
            for row in &rows {
                let name: String = get(row, "marketplace")?;
                let m = Marketplace::from_str(&name).map_err(corrupt)?;
                let n: i64 = get(row, "n")?;
                if let Some(slot) = counts.iter_mut().find(|(k, _)| *k == m) {
                    slot.1 = u64::try_from(n).map_err(corrupt)?;
                }
            }
            Ok(counts)
        })
    }

    fn changes_since(&self, cursor: i64, limit: u32) -> BoxFuture<'_, Result<Vec<Change>>> {
        Box::pin(async move {
            let rows = sqlx::query(
                "SELECT cursor, thread_key, kind, message_id, from_kind, from_raw, to_kind, to_raw,
                     recorded_at
                 FROM changes WHERE cursor > ?1 ORDER BY cursor ASC LIMIT ?2",
            )
            .bind(cursor)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
            rows.iter().map(change_from_row).collect()
        })
    }

    fn latest_cursor(&self) -> BoxFuture<'_, Result<i64>> {
        Box::pin(async move {
            let row = sqlx::query("SELECT COALESCE(MAX(cursor), 0) AS c FROM changes")
                .fetch_one(&self.pool)
                .await
                .map_err(backend)?;
            get(&row, "c")
        })
    }

    fn enqueue_reply<'a>(&'a self, reply: &'a NewReply) -> BoxFuture<'a, Result<OutboxEntry>> {
        Box::pin(async move {
            let at = now()?;
            let (_turn, mut tx) = self.write_tx().await?;
            let row = sqlx::query(&format!(
                "INSERT INTO outbox (thread_key, text, attachments, last_seen, state, created_at,
                     updated_at)
                 VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?5)
                 RETURNING {OUTBOX_COLUMNS}"
            ))
            .bind(check_thread_id(&reply.thread)?)
            .bind(&reply.text)
            .bind(json(&reply.attachments)?)
            .bind(reply.last_seen.as_ref().map(check_message_id).transpose()?)
            .bind(&at)
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?;
            let entry = outbox_from_row(&row)?;
            tx.commit().await.map_err(backend)?;
            Ok(entry)
        })
    }

    fn mark_sent(
        &self,
        id: OutboxId,
        vendor_message_id: Option<MessageId>,
    ) -> BoxFuture<'_, Result<OutboxEntry>> {
        Box::pin(async move {
            self.transition(id, OutboxState::Sent, vendor_message_id.as_ref(), None)
                .await
        })
    }

    fn mark_unknown(&self, id: OutboxId) -> BoxFuture<'_, Result<OutboxEntry>> {
        Box::pin(self.transition(id, OutboxState::Unknown, None, None))
    }

    fn mark_failed<'a>(
        &'a self,
        id: OutboxId,
        error: &'a str,
    ) -> BoxFuture<'a, Result<OutboxEntry>> {
        Box::pin(self.transition(id, OutboxState::Failed, None, Some(error)))
    }

    fn outbox_entry(&self, id: OutboxId) -> BoxFuture<'_, Result<Option<OutboxEntry>>> {
        Box::pin(self.outbox_entry_inner(id))
    }

    fn outbox(&self, state: OutboxState) -> BoxFuture<'_, Result<Vec<OutboxEntry>>> {
        Box::pin(async move {
            let rows = sqlx::query(&format!(
                "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE state = ?1 ORDER BY id ASC"
            ))
            .bind(state.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
            rows.iter().map(outbox_from_row).collect()
        })
    }

    fn thread_outbox<'a>(
        &'a self,
        thread: &'a ThreadId,
        state: OutboxState,
    ) -> BoxFuture<'a, Result<Vec<OutboxEntry>>> {
        Box::pin(async move {
            let rows = sqlx::query(&format!(
                "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE thread_key = ?1 AND state = ?2 \
                 ORDER BY id ASC"
            ))
            .bind(thread.to_string())
            .bind(state.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
            rows.iter().map(outbox_from_row).collect()
        })
    }

    fn purge_before(&self, cutoff: DateTime<Utc>) -> BoxFuture<'_, Result<PurgeReport>> {
        Box::pin(async move {
            let cutoff = ts(cutoff)?;
            let at = now()?;
            let (_turn, mut tx) = self.write_tx().await?;
            let messages = sqlx::query(
                "UPDATE messages SET text = NULL, attachments = '[]', raw = 'null', purged_at = ?2
                 WHERE created_at < ?1 AND purged_at IS NULL",
            )
            .bind(&cutoff)
            .bind(&at)
            .execute(&mut *tx)
            .await
            .map_err(backend)?
            .rows_affected();
            // Pending and unknown replies keep their text: reconciliation needs it.
            let outbox = sqlx::query(
                "UPDATE outbox SET text = NULL, attachments = '[]', purged_at = ?2
                 WHERE created_at < ?1 AND purged_at IS NULL AND state IN ('sent', 'failed')",
            )
            .bind(&cutoff)
            .bind(&at)
            .execute(&mut *tx)
            .await
            .map_err(backend)?
            .rows_affected();
            tx.commit().await.map_err(backend)?;
            Ok(PurgeReport { messages, outbox })
        })
    }
}
