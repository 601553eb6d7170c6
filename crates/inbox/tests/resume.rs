//! A sync stopped part-way — at an injected point, or by SIGKILL of the process — and
//! resumed ends with the same store content as an uninterrupted sync of the same
//! world: nothing missing, nothing twice.
//!
//! Two mocks built from the same seed hold the same world: one is synced with
//! interruptions, the other in one go, and the stores are compared row by row. One
//! difference is expected and masked: METRO marks a chat's buyer messages seen when
//! its history is read, so a chat whose history was read by the interrupted run but
//! whose page was never stored is listed as seen when the run resumes (`unread` of
//! METRO threads, and the time METRO stamps as `seenAt`).

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;

use common::*;
use marketplace_inbox::{Interrupt, SyncProgress};
use marketplace_inbox_sqlite::SqliteStore;
use marketplace_mock::{Faults, Latency};

const THREADS: usize = 60;
const CHILD_ENV: &str = "INBOX_SIGKILL_CHILD";

/// The dump with what differs between two mocks of one seed masked: the port in
/// URLs, and what METRO's read-marks-seen changes (see the module docs): its threads'
/// `unread`, its buyer messages' `seenAt`.
async fn comparable(store: &SqliteStore) -> Vec<String> {
    let mut rows: Vec<String> = dump(store)
        .await
        .into_iter()
        .map(|row| {
            let row = mask_ports(&row);
            if row.starts_with("thread metro:") {
                let mut cells: Vec<&str> = row.split(" | ").collect();
                cells[6] = "?";
                cells.join(" | ")
            } else if row.starts_with("message metro:") {
                mask_run_times(&row)
            } else {
                row
            }
        })
        .collect();
    rows.sort();
    rows
}

fn mask_ports(row: &str) -> String {
    let mut out = String::with_capacity(row.len());
    let mut rest = row;
    while let Some(at) = rest.find("127.0.0.1:") {
        let (head, tail) = rest.split_at(at + "127.0.0.1:".len());
        out.push_str(head);
        out.push_str("PORT");
        rest = tail.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    out.push_str(rest);
    out
}

/// METRO stamps `seenAt` with its clock when a history is read: every time after the
/// generated world (which ends on 2026-01-01) was written by a run.
fn mask_run_times(row: &str) -> String {
    let mut out = String::with_capacity(row.len());
    let mut rest = row;
    while let Some(at) = rest.find("2026-") {
        out.push_str(&rest[..at]);
        out.push_str("RUN-TIME");
        let tail = &rest[at..];
        rest = &tail[tail.find('Z').map_or(tail.len(), |z| z + 1)..];
    }
    out.push_str(rest);
    out
}

/// Asserts two dumps are equal, showing only the rows that differ.
fn assert_same(got: &[String], want: &[String]) {
    let missing: Vec<&String> = want.iter().filter(|r| !got.contains(r)).take(5).collect();
    let extra: Vec<&String> = got.iter().filter(|r| !want.contains(r)).take(5).collect();
    assert!(
        got == want,
        "{} rows vs {} expected\nmissing: {missing:#?}\nextra: {extra:#?}",
        got.len(),
        want.len()
    );
}

/// The store an uninterrupted sync of a fresh world of the same seed gives.
async fn reference() -> Vec<String> {
    let mock = mock(THREADS).await;
    let store = memory_store().await;
    let inbox = Access::of(&mock).builder(store.clone()).build().unwrap();
    assert!(inbox.sync().await.is_ok());
    assert_eq!(stored_census(&store).await, world_census(&mock));
    comparable(&store).await
}

#[tokio::test]
async fn a_sync_interrupted_at_injected_points_resumes_to_the_same_content() {
    let mock = mock(THREADS).await;
    let access = Access::of(&mock);
    let store = memory_store().await;
    // Stop every account before its 1st page, then (resumed) before its 2nd, then
    // before its 3rd, then let it finish.
    for stop_at in [1, 2, 3] {
        let inbox = access
            .builder(store.clone())
            .interrupt(
                move |at| matches!(at, Interrupt::BeforePage { page, .. } if *page == stop_at),
            )
            .build()
            .unwrap();
        let report = inbox.sync().await;
        for account in &report.accounts {
            match &account.error {
                Some(error) => assert_eq!(error.kind, "interrupted", "{account:?}"),
                // METRO's 60 chats fit one page: its pass ends with its 2nd store.
                None => assert!(stop_at > 2, "{account:?}"),
            }
        }
        assert!(report.accounts.iter().filter(|a| a.error.is_some()).count() >= 3);
    }
    let inbox = access.builder(store.clone()).build().unwrap();
    let report = inbox.sync().await;
    assert!(report.is_ok(), "{report:#?}");

    assert_eq!(stored_census(&store).await, world_census(&mock));
    assert_same(&comparable(&store).await, &reference().await);
}

/// The child: syncs into the store file at `path`, saying `stored` after each page.
async fn child(access: &str, path: &str) {
    let access: Access = serde_json::from_str(access).unwrap();
    let store = Arc::new(SqliteStore::open(path).await.unwrap());
    let inbox = access.builder(store).concurrency(2).build().unwrap();
    let progress = |p: SyncProgress| {
        if let SyncProgress::Page { account, .. } = p {
            let mut out = std::io::stdout().lock();
            writeln!(out, "stored {}", account.marketplace).unwrap();
            out.flush().unwrap();
        }
    };
    inbox.sync_with(&progress).await;
    println!("finished");
}

/// Runs the child against the mock at `access` and SIGKILLs it after `pages` stored pages.
fn run_and_kill(access: &str, path: &std::path::Path, pages: usize) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_sync_killed_with_sigkill_resumes_to_the_same_content",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, access)
        .env("INBOX_SIGKILL_STORE", path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut stored = 0;
    while stored < pages {
        let line = lines.next().expect("the child ended early").unwrap();
        assert_ne!(line, "finished", "the sync ended before the kill");
        if line.starts_with("stored ") {
            stored += 1;
        }
    }
    child.kill().unwrap(); // SIGKILL on Unix
    assert!(!child.wait().unwrap().success(), "killed, not finished");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_killed_with_sigkill_resumes_to_the_same_content() {
    if let (Ok(access), Ok(path)) = (
        std::env::var(CHILD_ENV),
        std::env::var("INBOX_SIGKILL_STORE"),
    ) {
        child(&access, &path).await;
        return;
    }
    let mock = mock(THREADS).await;
    // Slow answers keep the child's sync going while it is killed.
    for api in APIS {
        mock.set_faults(
            api,
            Faults {
                latency: Latency::Fixed(std::time::Duration::from_millis(4)),
                ..Faults::default()
            },
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inbox.db");
    // The mock answers on this runtime's workers while the child is watched.
    let access = serde_json::to_string(&Access::of(&mock)).unwrap();
    let killed = path.clone();
    tokio::task::spawn_blocking(move || run_and_kill(&access, &killed, 6))
        .await
        .unwrap();

    let store = Arc::new(SqliteStore::open(&path).await.unwrap());
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(integrity, "ok");
    let partial = stored_census(&store).await;
    assert_ne!(partial, world_census(&mock), "killed part-way");
    assert!(
        partial.values().any(|threads| !threads.is_empty()),
        "killed after storing"
    );

    let inbox = Access::of(&mock).builder(store.clone()).build().unwrap();
    let report = inbox.sync().await;
    assert!(report.is_ok(), "{report:#?}");
    assert_eq!(stored_census(&store).await, world_census(&mock));
    assert_same(&comparable(&store).await, &reference().await);
}
