//! A writer killed with SIGKILL in the middle of a sync loses nothing committed,
//! stores no half page, and a resumed sync ends with exactly the content of an
//! uninterrupted one.
//!
//! The test re-executes its own binary as the writer (selected by an environment
//! variable), so the kill hits a real process with real file handles.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::*;
use marketplace_inbox_sqlite::SqliteStore;
use marketplace_inbox_store::{AuthorRole, Page, StatusKind, Store};

const CHILD_ENV: &str = "INBOX_SQLITE_SIGKILL_CHILD";
const PAGES: i64 = 8;
/// The page the writer is killed in: large, so its transaction is open for a while.
const KILLED: i64 = 5;

/// Messages of page `n` (besides the overlap).
fn size(n: i64) -> i64 {
    if n == KILLED { 20_000 } else { 400 }
}

/// Page `n`: a new Lectronz order thread with `size(n)` messages, plus the last message
/// of page `n - 1` again (newest-first offset paging shifts: overlaps are normal).
fn page(n: i64) -> Page {
    let key = format!("lectronz:acme:{n}");
    let mut messages: Vec<_> = (0..size(n))
        .map(|j| {
            let author = if j % 2 == 0 {
                AuthorRole::Buyer
            } else {
                AuthorRole::Seller
            };
            message(
                &key,
                &format!("{}", n * 100_000 + j),
                author,
                &format!("message {n}/{j}"),
                at(1 + (n % 28) as u32, 0) + chrono::Duration::seconds(j),
            )
        })
        .collect();
    if n > 1 {
        let prev = format!("lectronz:acme:{}", n - 1);
        let j = size(n - 1) - 1;
        messages.push(message(
            &prev,
            &format!("{}", (n - 1) * 100_000 + j),
            AuthorRole::Seller,
            &format!("message {}/{j}", n - 1),
            at(1 + ((n - 1) % 28) as u32, 0) + chrono::Duration::seconds(j),
        ));
    }
    Page {
        threads: vec![thread(&key, (StatusKind::Unknown, "order"), true, None)],
        messages,
        versions: vec![],
    }
}

async fn apply(store: &SqliteStore, n: i64) {
    let p = page(n);
    store
        .apply_page(&p.threads[0].id.account(), &p, &checkpoint("messages", n))
        .await
        .unwrap();
}

/// The writer: applies the pages in order, saying when each begins and commits.
async fn child(path: &str) {
    let store = SqliteStore::open(path).await.unwrap();
    for n in 1..=PAGES {
        println!("begin {n}");
        apply(&store, n).await;
        println!("committed {n}");
    }
}

/// Runs the writer on `path` and SIGKILLs it as soon as it begins page `KILLED`.
/// Returns the last page it reported committed.
fn run_and_kill(path: &std::path::Path) -> i64 {
    let mut writer = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "sigkill_mid_write_loses_and_duplicates_nothing",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(writer.stdout.take().unwrap()).lines();
    let mut last_committed = 0;
    loop {
        let line = lines.next().expect("writer ended before the kill").unwrap();
        if let Some(n) = line.strip_prefix("committed ") {
            last_committed = n.parse().unwrap();
        }
        if line == format!("begin {KILLED}") {
            break;
        }
    }
    writer.kill().unwrap(); // SIGKILL on Unix
    let status = writer.wait().unwrap();
    assert!(!status.success(), "the writer was killed, not finished");
    last_committed
}

fn expected_messages(pages: i64) -> i64 {
    (1..=pages).map(size).sum()
}

#[tokio::test]
async fn sigkill_mid_write_loses_and_duplicates_nothing() {
    if let Ok(path) = std::env::var(CHILD_ENV) {
        child(&path).await;
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let uninterrupted = SqliteStore::open(dir.path().join("whole.db"))
        .await
        .unwrap();
    for n in 1..=PAGES {
        apply(&uninterrupted, n).await;
    }
    assert_eq!(
        count(&uninterrupted, "messages").await,
        expected_messages(PAGES)
    );
    let account = page(1).threads[0].id.account();

    // The kill lands inside page KILLED's transaction unless the writer committed those
    // 20 000 rows before the signal arrived; try up to three times to hit it mid-write.
    let mut killed_mid_write = false;
    for attempt in 0..3 {
        let path = dir.path().join(format!("killed-{attempt}.db"));
        SqliteStore::open(&path).await.unwrap().close().await; // schema first
        let last_seen = run_and_kill(&path);

        let store = SqliteStore::open(&path).await.unwrap();
        let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(integrity, "ok");
        let committed = store
            .checkpoint(&account, "messages")
            .await
            .unwrap()
            .expect("a checkpoint")["page"]
            .as_i64()
            .unwrap();
        assert!(
            committed >= last_seen,
            "checkpoint {committed} behind the last commit seen {last_seen}"
        );
        // Exactly the committed pages: no half page, no duplicate.
        assert_eq!(count(&store, "threads").await, committed);
        assert_eq!(
            count(&store, "messages").await,
            expected_messages(committed)
        );
        assert_eq!(
            count(&store, "changes").await,
            expected_messages(committed) / 2
        );

        // Resume from the checkpoint, re-reading the checkpointed page as a sync would.
        for n in committed..=PAGES {
            apply(&store, n).await;
        }
        assert_eq!(
            dump(&store).await,
            dump(&uninterrupted).await,
            "attempt {attempt}"
        );
        if committed == KILLED - 1 {
            killed_mid_write = true;
            break;
        }
    }
    assert!(
        killed_mid_write,
        "the kill never landed inside the large page's transaction"
    );
}
