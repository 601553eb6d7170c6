//! Fixtures shared by the store tests.
#![allow(dead_code)]

use chrono::{DateTime, TimeZone, Utc};
use marketplace_inbox_sqlite::SqliteStore;
use marketplace_inbox_store::{
    Account, Attachment, AuthorRole, Checkpoint, Message, MessageId, OrderRef, Status, StatusKind,
    Thread, ThreadId,
};
use sqlx::Row;

/// A store on a real file (with its directory kept alive) or in memory.
pub struct TestStore {
    pub name: &'static str,
    pub store: SqliteStore,
    pub dir: Option<tempfile::TempDir>,
}

/// The same test runs on both: a real SQLite file and an in-memory database.
pub async fn both() -> Vec<TestStore> {
    let dir = tempfile::tempdir().unwrap();
    let file = SqliteStore::open(dir.path().join("inbox.db"))
        .await
        .unwrap();
    let memory = SqliteStore::open_in_memory().await.unwrap();
    vec![
        TestStore {
            name: "file",
            store: file,
            dir: Some(dir),
        },
        TestStore {
            name: "memory",
            store: memory,
            dir: None,
        },
    ]
}

pub fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap()
}

pub fn tid(text: &str) -> ThreadId {
    text.parse().unwrap()
}

pub fn account(id: &ThreadId) -> Account {
    id.account()
}

pub fn thread(
    id: &str,
    status: (StatusKind, &str),
    unread: bool,
    awaiting: Option<DateTime<Utc>>,
) -> Thread {
    Thread {
        id: tid(id),
        order: Some(OrderRef {
            id: Some("O-1".into()),
            number: None,
        }),
        subject: Some("SELLER.ORDERS.ORDER_CONFIRMATION".into()),
        status: Status::new(status.0, Some(status.1.to_owned())),
        unread,
        last_activity: awaiting,
        awaiting_reply_since: awaiting,
    }
}

pub fn message(
    thread: &str,
    id: &str,
    author: AuthorRole,
    text: &str,
    created: DateTime<Utc>,
) -> Message {
    Message {
        id: MessageId::vendor(id),
        thread: tid(thread),
        author,
        text: Some(text.to_owned()),
        attachments: vec![Attachment {
            name: Some("invoice.pdf".into()),
            url: Some(format!("https://files.invalid/{id}")),
            vendor_ref: None,
            content_type: Some("application/pdf".into()),
            size: Some(1234),
        }],
        created_at: created,
        read_at: None,
        raw: serde_json::json!({ "id": id, "content": text }),
    }
}

pub fn checkpoint(stream: &str, n: i64) -> Checkpoint {
    Checkpoint {
        stream: stream.to_owned(),
        value: serde_json::json!({ "page": n }),
    }
}

pub async fn count(store: &SqliteStore, table: &str) -> i64 {
    sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table}"))
        .fetch_one(store.pool())
        .await
        .unwrap()
        .get("n")
}

/// Everything the store holds that a sync writes, as comparable text (times of
/// recording left out).
pub async fn dump(store: &SqliteStore) -> Vec<String> {
    let mut out = Vec::new();
    for (table, columns) in [
        (
            "threads",
            "thread_key, order_id, subject, status_kind, status_raw, unread, last_activity, awaiting_since",
        ),
        (
            "messages",
            "thread_key, message_id, author, text, attachments, created_at, read_at, raw",
        ),
        ("checkpoints", "marketplace, account, stream, value"),
        (
            "changes",
            "cursor, thread_key, kind, message_id, from_kind, from_raw, to_kind, to_raw",
        ),
    ] {
        let rows = sqlx::query(&format!(
            "SELECT json_array({columns}) AS j FROM {table} ORDER BY 1"
        ))
        .fetch_all(store.pool())
        .await
        .unwrap();
        for row in rows {
            out.push(format!("{table}: {}", row.get::<String, _>("j")));
        }
    }
    out.sort();
    out
}
