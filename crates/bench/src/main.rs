//! `marketplace-bench`: the SDK's cost against hand-written `reqwest` code, measured
//! side by side on loopback. Run it with `cargo xtask bench`, which builds it in
//! release mode and writes `BENCHMARKS.md`.
//!
//! ```text
//! marketplace-bench all [--instructions]   every benchmark; Markdown report on stdout
//!                                          (--instructions: the callgrind counts too)
//! marketplace-bench instructions           the instruction-count section alone
//! marketplace-bench wall                   the paired wall-clock section alone
//! marketplace-bench signing                the METRO signing timings alone
//! marketplace-bench mock                   the mock marketplace's rows alone (needs MARKETPLACE_MOCK_BIN)
//! marketplace-bench inbox                  the inbox sync rows alone (needs MARKETPLACE_MOCK_BIN;
//!                                          INBOX_BENCH_THREADS sets the large world's size)
//! marketplace-bench inbox-sync <N>         (used by `inbox`) first and incremental sync of N threads
//!                                          per marketplace; JSON with wall time and peak RSS
//! marketplace-bench paging <N>             (used by `all`) sync N items, print wall time and peak RSS
//! marketplace-bench serve                  (used by the above) the canned server; prints its address
//! marketplace-bench client <scenario> <sdk|hand> <N> <base-url>
//!                                          N sequential calls, one thread (what callgrind counts);
//!                                          scenarios: lectronz-get, lectronz-post, metro-get, metro-post
//! marketplace-bench sign <sdk|hmac> <N>    N METRO signatures (what callgrind counts)
//! marketplace-bench wall-run <base-url>    (used by `wall`) one wall-clock run
//! ```

// Baseline fields are decoded, not read: decoding is the cost being measured.
#[allow(dead_code)]
mod baseline;
mod calls;
mod inbox;
mod instructions;
mod metro;
mod mock;
mod server;
mod wall;

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::TryStreamExt;
use marketplace_lectronz::{Client as Lectronz, types};
use serde_json::json;

use calls::{Scenario, Side};
use instructions::Signing;

/// The Lectronz API key both sides send.
const LECTRONZ_KEY: &str = "fake-bench-key";

const USAGE: &str = "usage: marketplace-bench all [--instructions] | instructions | wall | signing | mock | inbox | inbox-sync <threads> | paging <items> | serve | client <scenario> <sdk|hand> <n> <base-url> | sign <sdk|hmac> <n> | wall-run <base-url>";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).map(String::as_str);
    let count = |i: usize| arg(i).and_then(|n| n.parse::<u64>().ok());
    let runtime = || {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("tokio")
    };
    // Each command returns what it prints on stdout.
    let result = match arg(0) {
        Some("all") => all(arg(1) == Some("--instructions")),
        Some("instructions") => instructions::report(),
        Some("wall") => wall::report(),
        Some("signing") => Ok(metro::signing()),
        Some("mock") => Ok(runtime().block_on(mock::report())),
        Some("inbox") => Ok(runtime().block_on(inbox::report())),
        // The large inbox sync, in its own process (its peak RSS is the sync's).
        Some("inbox-sync") => runtime()
            .block_on(inbox::large(
                count(1).map_or(inbox::LARGE_THREADS, |n| n as usize),
            ))
            .map(|json| format!("{json}\n"))
            .map_err(|e| format!("inbox-sync: {e}")),
        Some("paging") => {
            let items = count(1).unwrap_or(100_000) as usize;
            let (wall, rss_kb) = runtime().block_on(paging(items));
            Ok(format!("{items} {} {rss_kb}\n", wall.as_millis()))
        }
        Some("serve") => {
            runtime().block_on(server::serve_until_stdin_closes());
            Ok(String::new())
        }
        Some("client") => match (
            arg(1).and_then(Scenario::parse),
            arg(2).and_then(Side::parse),
            count(3),
            arg(4),
        ) {
            (Some(scenario), Some(side), Some(n), Some(base_url)) => {
                instructions::client(scenario, side, n, base_url);
                Ok(String::new())
            }
            _ => Err(USAGE.to_owned()),
        },
        Some("sign") => match (arg(1).and_then(Signing::parse), count(2)) {
            (Some(what), Some(n)) => {
                instructions::sign(what, n);
                Ok(String::new())
            }
            _ => Err(USAGE.to_owned()),
        },
        Some("wall-run") => match arg(1) {
            Some(base_url) => Ok(runtime().block_on(wall::run(base_url))),
            None => Err(USAGE.to_owned()),
        },
        _ => Err(USAGE.to_owned()),
    };
    match result {
        Ok(output) => print!("{output}"),
        Err(error) => {
            eprintln!("marketplace-bench: {error}");
            std::process::exit(2);
        }
    }
}

fn summary(id: usize) -> serde_json::Value {
    json!({"id": id, "type": "customer_order_message",
           "created_at": "2026-03-01T10:00:00Z", "updated_at": "2026-03-01T10:05:00Z"})
}

fn message_json() -> serde_json::Value {
    json!({"id": 1044, "content": "Your order ships tomorrow.", "type": "seller_order_message",
           "subject": {"id": 12345, "type": "order", "link": "https://lectronz.test/api/v1/orders/12345"},
           "created_at": "2026-03-03T09:31:00Z", "updated_at": "2026-03-03T09:31:00Z", "read_at": null})
}

fn list_json(count: usize, offset: usize, total: usize) -> Bytes {
    let messages: Vec<_> = (offset..offset + count).map(summary).collect();
    Bytes::from(
        serde_json::to_vec(
            &json!({"limit": count, "offset": offset, "total_count": total, "messages": messages}),
        )
        .expect("json"),
    )
}

/// The SDK client as applications get it: default retry policy (retries are
/// possible, so each call keeps a copy of its request), no client-side limits.
fn generated(base_url: &str) -> Lectronz {
    Lectronz::builder(LECTRONZ_KEY)
        .base_url(base_url)
        .build()
        .expect("client")
}

fn baseline_message() -> baseline::NewMessage<'static> {
    baseline::NewMessage {
        content: "Your order ships tomorrow.",
        kind: baseline::MessageType::SellerOrderMessage,
        subject: baseline::SubjectRef {
            id: 12345,
            kind: baseline::SubjectType::Order,
        },
    }
}

fn new_message() -> types::MessageCreate {
    types::MessageCreate {
        content: "Your order ships tomorrow.".into(),
        type_: types::MessageType::SellerOrderMessage,
        subject: types::MessageSubjectRef {
            id: 12345,
            type_: types::SubjectType::Order,
        },
    }
}

/// Lectronz's canned routes: a page of 20 messages, and the created message.
fn lectronz_routes() -> HashMap<(&'static str, &'static str), (u16, Bytes)> {
    HashMap::from([
        (("GET", "/api/v1/messages"), (200, list_json(20, 0, 20))),
        (
            ("POST", "/api/v1/messages"),
            (
                201,
                Bytes::from(serde_json::to_vec(&message_json()).expect("json")),
            ),
        ),
    ])
}

/// Every section, in the order of BENCHMARKS.md.
fn all(instruction_counts: bool) -> Result<String, String> {
    let mut report = String::new();
    if instruction_counts {
        report.push_str(&instructions::report()?);
        report.push('\n');
    }
    report.push_str(&wall::report()?);
    eprintln!("signing, decoding, paging…");
    report.push_str(&metro::signing());
    report.push_str(&decoding());
    report.push_str(&paging_report());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio");
    report.push_str(&runtime.block_on(mock::report()));
    report.push_str(&runtime.block_on(inbox::report()));
    Ok(report)
}

fn percentiles(samples: &mut [Duration]) -> (Duration, Duration) {
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    (at(0.5), at(0.99))
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_unstable_by(f64::total_cmp);
    values[values.len() / 2]
}

fn micros(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

/// Decoding a page of 1 000 list items: generated types (through the runtime's
/// decoder, as the client does) vs hand-written structs.
fn decoding() -> String {
    let lectronz = decode_row(
        "Lectronz message list",
        &list_json(1000, 0, 1000),
        |page: &types::MessageList| page.messages.len(),
        |page: &baseline::MessageList| page.messages.len(),
    );
    let metro = decode_row(
        "METRO chat list",
        &metro::chat_list(1000),
        |page: &marketplace_metro_message_center::types::ChatListResponse| page.data.len(),
        |page: &baseline::MetroChatList| page.data.len(),
    );
    format!(
        "\n## Decoding a page of 1 000 items\n\n| body | generated types | hand-written structs | ratio |\n|---|---|---|---|\n{lectronz}{metro}"
    )
}

/// One decoding table row: the median of 300 decodes of `body` each way, checking
/// both sides decoded all 1 000 items.
fn decode_row<S: serde::de::DeserializeOwned, H: serde::de::DeserializeOwned>(
    label: &str,
    body: &[u8],
    sdk_items: fn(&S) -> usize,
    hand_items: fn(&H) -> usize,
) -> String {
    let (mut sdk, mut hand) = (Vec::new(), Vec::new());
    for _ in 0..300 {
        let t = Instant::now();
        let page: S = marketplace_runtime::decode::decode(body).expect("sdk decode");
        sdk.push(t.elapsed());
        assert_eq!(sdk_items(&page), 1000);
        let t = Instant::now();
        let page: H = serde_json::from_slice(body).expect("baseline decode");
        hand.push(t.elapsed());
        assert_eq!(hand_items(&page), 1000);
    }
    let (sdk, hand) = (percentiles(&mut sdk).0, percentiles(&mut hand).0);
    format!(
        "| {label}, {} KiB | {} | {} | {:.3}× |\n",
        body.len() / 1024,
        micros(sdk),
        micros(hand),
        sdk.as_secs_f64() / hand.as_secs_f64()
    )
}

/// Runs `paging` in child processes (so peak RSS is per run) at two sizes.
fn paging_report() -> String {
    let exe = std::env::current_exe().expect("current exe");
    let mut out = String::from(
        "\n## Paging at scale (`list_messages().by_item()` stream, 100 items per page)\n\n\
         | items | pages | wall time | items/s | peak RSS |\n|---|---|---|---|---|\n",
    );
    for items in [10_000usize, 100_000] {
        let output = std::process::Command::new(&exe)
            .args(["paging", &items.to_string()])
            .output()
            .expect("spawn");
        let text = String::from_utf8_lossy(&output.stdout);
        let fields: Vec<u64> = text
            .split_whitespace()
            .filter_map(|f| f.parse().ok())
            .collect();
        if let [n, wall_ms, rss_kb] = fields[..] {
            let _ = writeln!(
                out,
                "| {n} | {} | {wall_ms} ms | {:.0} | {:.1} MiB |",
                n.div_ceil(100),
                n as f64 / (wall_ms.max(1) as f64 / 1000.0),
                rss_kb as f64 / 1024.0
            );
        } else {
            let _ = writeln!(
                out,
                "| {items} | failed: {} | | | |",
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
    }
    out
}

/// Syncs `items` messages through the SDK's paginator; returns wall time and peak RSS (KiB).
async fn paging(items: usize) -> (Duration, u64) {
    let handler: server::Handler = Arc::new(move |method, path, query| {
        if method != "GET" || path != "/api/v1/messages" {
            return None;
        }
        let params: HashMap<&str, usize> = query
            .unwrap_or_default()
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .filter_map(|(k, v)| Some((k, v.parse().ok()?)))
            .collect();
        let (limit, offset) = (
            params.get("limit").copied().unwrap_or(20),
            params.get("offset").copied().unwrap_or(0),
        );
        let count = limit.min(items.saturating_sub(offset));
        Some((200, list_json(count, offset, items)))
    });
    let addr = server::serve(handler).await;
    let client = generated(&format!("http://{addr}"));
    let started = Instant::now();
    let count = client
        .list_messages()
        .limit(100u64)
        .by_item()
        .try_fold(0usize, |n, _| async move { Ok(n + 1) })
        .await
        .expect("paging");
    let wall = started.elapsed();
    assert_eq!(count, items, "every item arrives exactly once");
    (wall, peak_rss_kb())
}

/// `VmHWM` of this process (Linux), in KiB.
fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}
