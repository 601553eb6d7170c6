//! The inbox's sync against the mock marketplace in its own process (the binary named
//! by `MARKETPLACE_MOCK_BIN`, latency added with the mock's faults):
//!
//! * fan-out: each marketplace's sync alone, then all four at once;
//! * a first sync of a large world, in a child process of this binary so its peak RSS
//!   is the sync's own, with the time bound latency and concurrency allow;
//! * an incremental sync after buyers wrote in 10 threads of each marketplace: the
//!   requests each marketplace needed.

use std::fmt::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use marketplace_inbox::{
    AccountClient, AccountSyncReport, Inbox, InboxBuilder, Marketplace, VendorThread,
};
use marketplace_inbox_sqlite::SqliteStore;
use marketplace_runtime::RateLimit;
use serde::{Deserialize, Serialize};

use crate::mock::Mock;

/// Fan-out: a small world, 200 ms added to every answer.
const FAN_OUT_THREADS: usize = 20;
const FAN_OUT_LATENCY_MS: u64 = 200;
/// The large world: threads per marketplace × messages per thread. 28 600 × 4
/// marketplaces give about 107 000 threads (SkyHub tickets have one or two
/// conversations, METRO and Yandex open a chat for three orders in four) and about
/// 1 000 000 messages.
pub const LARGE_THREADS: usize = 28_600;
const LARGE_MESSAGES: usize = 10;
/// Latency added to every answer of the large sync, and the reads in flight per
/// account the inbox is given (Yandex's client keeps its own 4 per cabinet).
const LARGE_LATENCY_MS: u64 = 5;
const LARGE_CONCURRENCY: usize = 25;
/// Lectronz messages per list page in the large sync (the inbox's default is 25).
const LARGE_LECTRONZ_PAGE: usize = 100;
/// Yandex's quotas in the large sync: `getChatHistory`'s real 10 000 an hour would
/// stretch a first sync of 21 000 chats over three hours.
const LARGE_YANDEX_QUOTA: &str = "1000000";
/// Threads per marketplace a buyer writes in before the incremental sync.
const CHANGED: usize = 10;

fn clients(mock: &Mock) -> Result<Vec<AccountClient>, String> {
    let err = |e: marketplace_runtime::ConfigError| e.to_string();
    Ok(vec![
        AccountClient::Metro {
            name: "bench".into(),
            client: marketplace_metro_message_center::Client::sandbox(
                mock.field("METRO", "client key")?,
                mock.field("METRO", "client secret")?,
            )
            .base_url(mock.field("METRO", "Message Center base URL")?)
            .build()
            .map_err(err)?,
        },
        AccountClient::Yandex {
            name: "bench".into(),
            business_id: mock
                .field("Yandex", "businessId")?
                .parse()
                .map_err(|_| "businessId is not a number")?,
            client: marketplace_yandex_market_chats::Client::builder(
                mock.field("Yandex", "Api-Key")?,
            )
            .base_url(mock.field("Yandex", "base URL")?)
            .build()
            .map_err(err)?,
        },
        AccountClient::Skyhub {
            name: "bench".into(),
            // SkyHub's presumed 1 request/s would make a large sync take hours: the
            // bench lifts the limit on both sides (mock `--skyhub-rate 0`).
            client: marketplace_skyhub_sac::Client::builder(
                mock.field("SkyHub", "X-User-Email")?,
                mock.field("SkyHub", "X-Api-Key")?,
                mock.field("SkyHub", "X-Accountmanager-Key")?,
            )
            .base_url(mock.field("SkyHub", "base URL")?)
            .rate_limit(RateLimit::none())
            .build()
            .map_err(err)?,
            identity_id: "00007604079750".into(),
        },
        AccountClient::Lectronz {
            name: "bench".into(),
            client: marketplace_lectronz::Client::builder(mock.field("Lectronz", "API key")?)
                .base_url(mock.field("Lectronz", "base URL")?)
                .build()
                .map_err(err)?,
        },
    ])
}

/// The base URL of each marketplace's API (where its admin calls are served too).
fn bases(mock: &Mock) -> Result<Vec<(Marketplace, String)>, String> {
    Ok(vec![
        (
            Marketplace::Metro,
            mock.field("METRO", "Message Center base URL")?.to_owned(),
        ),
        (
            Marketplace::Yandex,
            mock.field("Yandex", "base URL")?.to_owned(),
        ),
        (
            Marketplace::Skyhub,
            mock.field("SkyHub", "base URL")?.to_owned(),
        ),
        (
            Marketplace::Lectronz,
            mock.field("Lectronz", "base URL")?.to_owned(),
        ),
    ])
}

/// Adds `ms` of latency to every answer of every marketplace.
async fn set_latency(mock: &Mock, ms: u64) -> Result<(), String> {
    let http = reqwest::Client::new();
    for (_, base) in bases(mock)? {
        let answer = http
            .put(format!("{base}/__mock/faults"))
            .body(format!("{{\"latency_ms\": {ms}}}"))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !answer.status().is_success() {
            return Err(format!("setting latency on {base}: {}", answer.status()));
        }
    }
    Ok(())
}

fn start(binary: &Path, threads: usize, messages: usize) -> Result<Mock, String> {
    let options = ["--skyhub-rate", "0", "--yandex-quota", LARGE_YANDEX_QUOTA];
    tokio::task::block_in_place(|| Mock::start(binary, threads, messages, &options))
}

/// The Markdown section, or why it could not be measured.
pub async fn report() -> String {
    let mut out = String::from("\n## Inbox sync (the mock in its own process)\n\n");
    let binary = match crate::mock::binary() {
        Ok(binary) => binary,
        Err(not_set) => {
            out.push_str(not_set);
            return out;
        }
    };
    match fan_out(&binary).await {
        Ok(section) => out.push_str(&section),
        Err(e) => {
            let _ = writeln!(out, "Fan-out failed: {e}");
        }
    }
    let threads = std::env::var("INBOX_BENCH_THREADS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(LARGE_THREADS);
    match large_in_child(threads) {
        Ok(section) => out.push_str(&section),
        Err(e) => {
            let _ = writeln!(out, "\nLarge sync failed: {e}");
        }
    }
    out
}

async fn sync_alone(
    clients: Vec<AccountClient>,
) -> Result<(Duration, Vec<AccountSyncReport>), String> {
    let store = Arc::new(
        SqliteStore::open_in_memory()
            .await
            .map_err(|e| e.to_string())?,
    );
    let inbox = clients
        .into_iter()
        .fold(Inbox::builder(store), InboxBuilder::account)
        .build()
        .map_err(|e| e.to_string())?;
    let started = Instant::now();
    let report = inbox.sync().await;
    let wall = started.elapsed();
    if let Some(failed) = report.accounts.iter().find(|a| a.error.is_some()) {
        return Err(format!("{failed:?}"));
    }
    Ok((wall, report.accounts))
}

async fn fan_out(binary: &Path) -> Result<String, String> {
    eprintln!("inbox: fan-out, {FAN_OUT_LATENCY_MS} ms per answer…");
    let mock = start(binary, FAN_OUT_THREADS, 4)?;
    set_latency(&mock, FAN_OUT_LATENCY_MS).await?;
    let mut out = format!(
        "Fan-out: a world of {FAN_OUT_THREADS} threads × 4 messages per marketplace, \
         {FAN_OUT_LATENCY_MS} ms added to every answer, default client limits (Yandex 4 \
         requests in flight, SkyHub unthrottled), inbox concurrency 8. Target: all four \
         together ≤ 1.2 × the slowest alone.\n\n\
         | sync | wall time | requests |\n|---|---|---|\n"
    );
    let mut slowest = Duration::ZERO;
    for client in clients(&mock)? {
        let (wall, accounts) = sync_alone(vec![client]).await?;
        slowest = slowest.max(wall);
        let _ = writeln!(
            out,
            "| {} alone | {:.2} s | {} |",
            accounts[0].account.marketplace,
            wall.as_secs_f64(),
            accounts[0].requests
        );
    }
    let (wall, accounts) = sync_alone(clients(&mock)?).await?;
    let requests: u64 = accounts.iter().map(|a| a.requests).sum();
    let _ = writeln!(
        out,
        "| all four at once | {:.2} s | {requests} |\n\nAll four take {:.2}× the slowest alone.\n",
        wall.as_secs_f64(),
        wall.as_secs_f64() / slowest.as_secs_f64()
    );
    Ok(out)
}

/// What the child reports of the large syncs.
#[derive(Serialize, Deserialize)]
struct Large {
    threads: usize,
    /// A lone request's round trip on the mock before the sync, latency included.
    round_trip_us: u64,
    /// Where the SQLite file was (`TMPDIR`): a disk, or memory (tmpfs).
    store_dir: String,
    wall_ms: u64,
    peak_rss_kb: u64,
    first: Vec<AccountSyncReport>,
    incremental: Vec<AccountSyncReport>,
}

/// Runs [`large`] in a child process (its peak RSS is the sync's) and formats it.
fn large_in_child(threads: usize) -> Result<String, String> {
    eprintln!("inbox: first sync of {threads} threads per marketplace in a child process…");
    let output = std::process::Command::new(std::env::current_exe().map_err(|e| e.to_string())?)
        .args(["inbox-sync", &threads.to_string()])
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&output.stdout);
    let large: Large = serde_json::from_str(text.trim())
        .map_err(|e| format!("the child printed no report ({e}): {}", text.trim()))?;
    Ok(format_large(&large))
}

/// The critical path of a first sync of `account` at `latency`: a pass keeps
/// `in_flight` item reads going across pages (listing and storing overlap them), so
/// its items cost ⌈items / in_flight⌉ rounds of one round trip each.
fn bound(account: &AccountSyncReport, tickets: usize, latency: f64) -> (String, f64) {
    let (items, page, in_flight) = match account.account.marketplace {
        Marketplace::Lectronz => (
            account.messages_new as usize,
            LARGE_LECTRONZ_PAGE,
            LARGE_CONCURRENCY,
        ),
        Marketplace::Metro => (account.threads_new as usize, 100, LARGE_CONCURRENCY),
        Marketplace::Yandex => (account.threads_new as usize, 20, 4),
        Marketplace::Skyhub => (tickets, 25, LARGE_CONCURRENCY),
    };
    let rounds = items.div_ceil(in_flight).max(1);
    let seconds = rounds as f64 * latency;
    (
        format!(
            "⌈{items} / {in_flight}⌉ = {rounds} rounds of reads × {} ms = {seconds:.1} s \
             (pages of {page})",
            latency * 1000.0
        ),
        seconds,
    )
}

fn format_large(large: &Large) -> String {
    let threads: u64 = large.first.iter().map(|a| a.threads_new).sum();
    let messages: u64 = large.first.iter().map(|a| a.messages_new).sum();
    let latency = LARGE_LATENCY_MS as f64 / 1000.0;
    let mut out = format!(
        "First sync: a world of {} threads per marketplace × {LARGE_MESSAGES} messages \
         ({threads} threads, {messages} messages stored), {LARGE_LATENCY_MS} ms added to every \
         answer, inbox concurrency {LARGE_CONCURRENCY} reads per account, Lectronz pages of \
         {LARGE_LECTRONZ_PAGE}, Yandex's client limit of 4 requests in flight and its quotas \
         raised to {LARGE_YANDEX_QUOTA} an hour (`getChatHistory`'s 10 000 would take hours), \
         SkyHub unthrottled on both sides (its presumed 1 request/s would take hours), \
         SQLite file store (WAL, synchronous=FULL) in `{}`. \
         Targets: peak RSS of the syncing process < 200 MiB, wall time ≤ 1.5 × the critical \
         path latency and concurrency allow.\n\n\
         | account | threads | messages | requests | wall time | critical path |\n|---|---|---|---|---|---|\n",
        large.threads, large.store_dir
    );
    let mut slowest = 0f64;
    for account in &large.first {
        let (arithmetic, seconds) = bound(account, large.threads, latency);
        slowest = slowest.max(seconds);
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {:.1} s | {arithmetic} |",
            account.account.marketplace,
            account.threads_new,
            account.messages_new,
            account.requests,
            account.elapsed_ms as f64 / 1000.0,
        );
    }
    let wall = large.wall_ms as f64 / 1000.0;
    let _ = writeln!(
        out,
        "\nAll accounts together: {wall:.1} s, {:.2}× the slowest critical path ({slowest:.1} s); \
         peak RSS of the syncing process {:.1} MiB. A lone request took {:.2} ms on the idle \
         mock before the sync ({LARGE_LATENCY_MS} ms of it added latency; the mean of 100 in \
         a row).\n",
        wall / slowest,
        large.peak_rss_kb as f64 / 1024.0,
        large.round_trip_us as f64 / 1000.0
    );
    let _ = writeln!(
        out,
        "Incremental sync after a buyer wrote in {CHANGED} threads of each marketplace:\n\n\
         | account | requests | messages stored | wall time | what the requests are |\n|---|---|---|---|---|"
    );
    for account in &large.incremental {
        let what = match account.account.marketplace {
            Marketplace::Metro => {
                "chats listed with the last-message filter, one history per changed chat"
            }
            Marketplace::Yandex => {
                "every chat listed (no change filter, 20 a page), one history per changed chat"
            }
            Marketplace::Skyhub => {
                "every ticket listed (no change filter, 25 a page), one chat read per changed ticket"
            }
            Marketplace::Lectronz => {
                "newest-first list until a stored message, one read per new message"
            }
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.2} s | {what} |",
            account.account.marketplace,
            account.requests,
            account.messages_new,
            account.elapsed_ms as f64 / 1000.0
        );
    }
    out
}

/// The child: starts the mock with the large world, syncs it into a SQLite file,
/// then lets buyers write and syncs again; prints [`Large`] as JSON.
pub async fn large(threads: usize) -> Result<String, String> {
    let binary = crate::mock::binary()?;
    let mock = start(&binary, threads, LARGE_MESSAGES)?;
    set_latency(&mock, LARGE_LATENCY_MS).await?;
    let round_trip_us = lone_round_trip(&mock).await?;
    let path =
        std::env::temp_dir().join(format!("marketplace-bench-inbox-{}.db", std::process::id()));
    let store = Arc::new(SqliteStore::open(&path).await.map_err(|e| e.to_string())?);
    let inbox = clients(&mock)?
        .into_iter()
        .fold(Inbox::builder(store.clone()), InboxBuilder::account)
        .concurrency(LARGE_CONCURRENCY)
        .lectronz_page_size(LARGE_LECTRONZ_PAGE as u64)
        .build()
        .map_err(|e| e.to_string())?;
    let started = Instant::now();
    let first = inbox.sync().await;
    let wall = started.elapsed();
    let peak_rss_kb = crate::peak_rss_kb();
    if let Some(failed) = first.accounts.iter().find(|a| a.error.is_some()) {
        return Err(format!("first sync failed: {failed:?}"));
    }
    write_in_threads(&mock, &inbox).await?;
    let incremental = inbox.sync().await;
    store.close().await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    serde_json::to_string(&Large {
        threads,
        round_trip_us,
        store_dir: std::env::temp_dir().display().to_string(),
        wall_ms: wall.as_millis() as u64,
        peak_rss_kb,
        first: first.accounts,
        incremental: incremental.accounts,
    })
    .map_err(|e| e.to_string())
}

/// Round trips the critical path counts [`LARGE_LATENCY_MS`] for: the mean of 100
/// one-message Lectronz list requests in a row on the otherwise idle mock, in µs.
async fn lone_round_trip(mock: &Mock) -> Result<u64, String> {
    const REQUESTS: u32 = 100;
    let http = reqwest::Client::new();
    let url = format!(
        "{}/api/v1/messages?limit=1",
        mock.field("Lectronz", "base URL")?
    );
    let bearer = format!("Bearer {}", mock.field("Lectronz", "API key")?);
    let started = Instant::now();
    for _ in 0..REQUESTS {
        crate::mock::get(&http, &url, &bearer)
            .await
            .map_err(|e| format!("timing a round trip: {e}"))?;
    }
    Ok((started.elapsed() / REQUESTS).as_micros() as u64)
}

/// A buyer writes in [`CHANGED`] stored threads of each marketplace (admin calls).
async fn write_in_threads(mock: &Mock, inbox: &Inbox) -> Result<(), String> {
    let http = reqwest::Client::new();
    for (marketplace, base) in bases(mock)? {
        let filter = marketplace_inbox::ThreadFilter {
            marketplaces: vec![marketplace],
            limit: Some(CHANGED as u32),
            ..Default::default()
        };
        let threads = inbox
            .awaiting_reply(&filter)
            .await
            .map_err(|e| e.to_string())?;
        for thread in threads {
            let name = match &thread.id.vendor {
                VendorThread::Lectronz { order_id } => order_id.to_string(),
                VendorThread::Metro { chat_id } => chat_id.clone(),
                VendorThread::Skyhub { code, .. } => code.clone(),
                VendorThread::Yandex { chat_id, .. } => chat_id.to_string(),
            };
            let body = serde_json::json!({"thread": name, "text": "Any news?"});
            let answer = http
                .post(format!("{base}/__mock/buyer/messages"))
                .json(&body)
                .send()
                .await
                .map_err(|e| e.to_string())?;
            if !answer.status().is_success() {
                return Err(format!("buyer write on {marketplace}: {}", answer.status()));
            }
        }
    }
    Ok(())
}
