//! `marketplace-bench`: the SDK's cost against hand-written `reqwest` code, measured
//! side by side in one run on loopback. Run it with `cargo xtask bench`, which
//! builds it in release mode and writes `BENCHMARKS.md`.
//!
//! ```text
//! marketplace-bench all            every benchmark; Markdown report on stdout
//! marketplace-bench paging <N>     (used by `all`) sync N items, print wall time and peak RSS
//! marketplace-bench signing        the METRO signing table alone
//! marketplace-bench mock           the mock marketplace's rows alone (needs MARKETPLACE_MOCK_BIN)
//! marketplace-bench inbox          the inbox sync rows alone (needs MARKETPLACE_MOCK_BIN;
//!                                  INBOX_BENCH_THREADS sets the large world's size)
//! marketplace-bench inbox-sync <N> (used by `inbox`) first and incremental sync of N threads
//!                                  per marketplace; JSON with wall time and peak RSS
//! marketplace-bench calls <sdk|hand> <get|post> <N> [<callers>]
//!                                  N Lectronz calls from concurrent callers, for profilers
//! ```

// Baseline fields are decoded, not read: decoding is the cost being measured.
#[allow(dead_code)]
mod baseline;
mod inbox;
mod metro;
mod mock;
mod server;

use std::collections::HashMap;
use std::fmt::Write;
use std::future::Future;
use std::num::NonZeroU64;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::TryStreamExt;
use marketplace_lectronz::{Client as Lectronz, types};
use serde_json::json;

/// Requests per latency sample set (interleaved generated/baseline).
const LATENCY_SAMPLES: usize = 5000;
/// Concurrent callers in the throughput run.
const CONCURRENCY: usize = 16;
/// Requests per throughput round.
const THROUGHPUT_REQUESTS: usize = 12_000;
/// Alternating throughput rounds per side.
const THROUGHPUT_ROUNDS: usize = 7;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio");
    match args.first().map(String::as_str) {
        Some("all") => print!("{}", runtime.block_on(all())),
        // For profilers (callgrind, perf): N sequential calls of one kind.
        Some("calls") => {
            let sdk = args.get(1).is_some_and(|a| a == "sdk");
            let post = args.get(2).is_some_and(|a| a == "post");
            let n = args.get(3).and_then(|n| n.parse().ok()).unwrap_or(1000);
            let concurrency = args.get(4).and_then(|n| n.parse().ok()).unwrap_or(1);
            runtime.block_on(calls(sdk, post, n, concurrency));
        }
        Some("signing") => print!("{}", metro::signing()),
        Some("mock") => print!("{}", runtime.block_on(mock::report())),
        Some("inbox") => print!("{}", runtime.block_on(inbox::report())),
        // The large inbox sync, in its own process (its peak RSS is the sync's).
        Some("inbox-sync") => {
            let threads = args
                .get(1)
                .and_then(|n| n.parse().ok())
                .unwrap_or(inbox::LARGE_THREADS);
            match runtime.block_on(inbox::large(threads)) {
                Ok(json) => println!("{json}"),
                Err(e) => {
                    eprintln!("inbox-sync: {e}");
                    std::process::exit(1);
                }
            }
        }
        Some("paging") => {
            let items = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(100_000);
            let (wall, rss_kb) = runtime.block_on(paging(items));
            println!("{items} {} {rss_kb}", wall.as_millis());
        }
        _ => {
            eprintln!(
                "usage: marketplace-bench all | signing | mock | inbox | inbox-sync <threads> | paging <items> | calls <sdk|hand> <get|post> <n> [<callers>]"
            );
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
    Lectronz::builder("fake-bench-key")
        .base_url(base_url)
        .build()
        .expect("client")
}

/// A careful hand-written client sets the same timeouts the SDK defaults to.
fn baseline_http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(10))
        .build()
        .expect("reqwest client")
}

fn baseline_client(base_url: &str) -> baseline::Lectronz {
    baseline::Lectronz {
        http: baseline_http(),
        base_url: base_url.to_owned(),
        bearer: "Bearer fake-bench-key".into(),
    }
}

fn baseline_message() -> baseline::NewMessage<'static> {
    baseline::NewMessage {
        content: "Your order ships tomorrow.",
        kind: "seller_order_message",
        subject: baseline::Subject {
            id: 12345,
            kind: "order".into(),
            link: None,
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

async fn all() -> String {
    let mut routes = lectronz_routes();
    routes.extend(metro::routes());
    let addr = server::serve(server::canned(routes)).await;
    let base_url = format!("http://{addr}");
    let sdk = Arc::new(generated(&base_url));
    let hand = Arc::new(baseline_client(&base_url));

    let mut report = String::new();
    let _ = writeln!(
        report,
        "## Per-call overhead (generated client vs hand-written reqwest + serde_json)\n"
    );
    let _ = writeln!(
        report,
        "Loopback hyper server with canned bodies; latency over {LATENCY_SAMPLES} interleaved calls each, \
         throughput with {CONCURRENCY} concurrent callers × {THROUGHPUT_REQUESTS} requests \
         (median of {THROUGHPUT_ROUNDS} alternating rounds each).\n"
    );
    let _ = writeln!(
        report,
        "| call | median (SDK / hand) | p99 (SDK / hand) | latency ratio | req/s (SDK / hand) | throughput ratio |"
    );
    let _ = writeln!(report, "|---|---|---|---|---|---|");

    let (s, h) = (sdk.clone(), hand.clone());
    let row = compare(
        "Lectronz GET list_messages (bearer)",
        move || {
            let s = s.clone();
            async move {
                s.list_messages()
                    .limit(NonZeroU64::new(20).expect("nonzero"))
                    .send()
                    .await
                    .expect("sdk call");
            }
        },
        move || {
            let h = h.clone();
            async move {
                h.list_messages(20).await.expect("baseline call");
            }
        },
    )
    .await;
    report.push_str(&row);

    let (s, h) = (sdk.clone(), hand.clone());
    let row = compare(
        "Lectronz POST create_message (bearer)",
        move || {
            let s = s.clone();
            async move {
                s.create_message()
                    .body(new_message())
                    .send()
                    .await
                    .expect("sdk call");
            }
        },
        move || {
            let h = h.clone();
            async move {
                let message = baseline::NewMessage {
                    content: "Your order ships tomorrow.",
                    kind: "seller_order_message",
                    subject: baseline::Subject {
                        id: 12345,
                        kind: "order".into(),
                        link: None,
                    },
                };
                h.create_message(&message).await.expect("baseline call");
            }
        },
    )
    .await;
    report.push_str(&row);
    report.push_str(&metro::rows(&format!("http://{addr}")).await);

    report.push_str(&metro::signing());
    report.push_str(&decoding());
    report.push_str(&paging_report());
    report.push_str(&mock::report().await);
    report.push_str(&inbox::report().await);
    report
}

/// N calls of one kind from `concurrency` callers, for running under a profiler.
async fn calls(sdk: bool, post: bool, n: usize, concurrency: usize) {
    let addr = server::serve(server::canned(lectronz_routes())).await;
    let base_url = format!("http://{addr}");
    let client = Arc::new(generated(&base_url));
    let hand = Arc::new(baseline_client(&base_url));
    let callers: Vec<_> = (0..concurrency.max(1))
        .map(|_| {
            let (client, hand) = (client.clone(), hand.clone());
            tokio::spawn(async move {
                for _ in 0..n / concurrency.max(1) {
                    match (sdk, post) {
                        (true, false) => drop(
                            client
                                .list_messages()
                                .limit(NonZeroU64::new(20).expect("nonzero"))
                                .send()
                                .await
                                .expect("sdk"),
                        ),
                        (true, true) => drop(
                            client
                                .create_message()
                                .body(new_message())
                                .send()
                                .await
                                .expect("sdk"),
                        ),
                        (false, false) => drop(hand.list_messages(20).await.expect("hand")),
                        (false, true) => drop(
                            hand.create_message(&baseline_message())
                                .await
                                .expect("hand"),
                        ),
                    }
                }
            })
        })
        .collect();
    for caller in callers {
        caller.await.expect("caller");
    }
}

/// Latency (interleaved) and throughput of the SDK call `a` vs the baseline `b`.
async fn compare<A, AF, B, BF>(name: &str, a: A, b: B) -> String
where
    A: Fn() -> AF + Clone + Send + Sync + 'static,
    AF: Future<Output = ()> + Send,
    B: Fn() -> BF + Clone + Send + Sync + 'static,
    BF: Future<Output = ()> + Send,
{
    for _ in 0..300 {
        a().await;
        b().await;
    }
    let (mut sdk, mut hand) = (
        Vec::with_capacity(LATENCY_SAMPLES),
        Vec::with_capacity(LATENCY_SAMPLES),
    );
    for _ in 0..LATENCY_SAMPLES {
        let t = Instant::now();
        a().await;
        sdk.push(t.elapsed());
        let t = Instant::now();
        b().await;
        hand.push(t.elapsed());
    }
    let (sdk_median, sdk_p99) = percentiles(&mut sdk);
    let (hand_median, hand_p99) = percentiles(&mut hand);
    // Alternating rounds, median of each side: robust to a noisy neighbour.
    let (mut sdk_rounds, mut hand_rounds) = (Vec::new(), Vec::new());
    for _ in 0..THROUGHPUT_ROUNDS {
        hand_rounds.push(throughput(b.clone()).await);
        sdk_rounds.push(throughput(a.clone()).await);
    }
    let (sdk_rps, hand_rps) = (median(&mut sdk_rounds), median(&mut hand_rounds));
    format!(
        "| {name} | {} / {} | {} / {} | {:.3}× | {:.0} / {:.0} | {:.3}× |\n",
        micros(sdk_median),
        micros(hand_median),
        micros(sdk_p99),
        micros(hand_p99),
        sdk_median.as_secs_f64() / hand_median.as_secs_f64(),
        sdk_rps,
        hand_rps,
        sdk_rps / hand_rps,
    )
}

async fn throughput<F, Fut>(call: F) -> f64
where
    F: Fn() -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send,
{
    let started = Instant::now();
    let workers: Vec<_> = (0..CONCURRENCY)
        .map(|_| {
            let call = call.clone();
            tokio::spawn(async move {
                for _ in 0..THROUGHPUT_REQUESTS / CONCURRENCY {
                    call().await;
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.expect("worker");
    }
    THROUGHPUT_REQUESTS as f64 / started.elapsed().as_secs_f64()
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
pub(crate) fn peak_rss_kb() -> u64 {
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
