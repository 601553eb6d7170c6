//! The mock marketplace as a benchmark target, run as its own process (the binary
//! `cargo xtask bench` builds in release mode and names in `MARKETPLACE_MOCK_BIN`):
//! how long a large world takes to build, how much memory it holds, and how many
//! paged list requests it serves per second to a load generator in this process,
//! which reads each body as bytes and never decodes it.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use std::fmt::Write;

/// The large world: 25 000 orders per marketplace (100 000 in all; METRO and
/// Yandex open a chat for about three orders in four) with 10 messages per thread.
const THREADS_PER_MARKETPLACE: usize = 25_000;
const MESSAGES_PER_THREAD: usize = 10;
/// Load: concurrent connections, requests per round, rounds (median reported).
const CONNECTIONS: usize = 32;
const REQUESTS_PER_ROUND: usize = 60_000;
const ROUNDS: usize = 3;

/// A running mock, killed on drop.
struct Mock {
    child: Child,
    lectronz_base_url: String,
    lectronz_api_key: String,
    ready_after: Duration,
}

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Mock {
    /// Starts the mock and waits for its "Serving" line, reading the Lectronz base
    /// URL and key it prints on the way.
    fn start(binary: &Path, threads: usize, messages: usize) -> Result<Mock, String> {
        let started = Instant::now();
        let mut child = Command::new(binary)
            .args(["--seed", "7", "--journal", "0"])
            .args(["--threads", &threads.to_string()])
            .args(["--messages", &messages.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let (mut base_url, mut api_key) = (None, None);
        let mut in_lectronz = false;
        for line in BufReader::new(stdout).lines() {
            let line = line.map_err(|e| e.to_string())?;
            if !line.starts_with(' ') {
                in_lectronz = line.starts_with("Lectronz");
            }
            if in_lectronz {
                if let Some(rest) = line.trim().strip_prefix("base URL:") {
                    base_url = rest.split_whitespace().next().map(str::to_owned);
                }
                if let Some(rest) = line.trim().strip_prefix("API key:") {
                    api_key = Some(rest.trim().to_owned());
                }
            }
            if line.starts_with("Serving") {
                let ready_after = started.elapsed();
                return Ok(Mock {
                    child,
                    lectronz_base_url: base_url.ok_or("no Lectronz base URL printed")?,
                    lectronz_api_key: api_key.ok_or("no Lectronz API key printed")?,
                    ready_after,
                });
            }
        }
        let _ = child.kill();
        Err("the mock exited before serving".into())
    }

    /// Peak and current resident memory of the mock process, in KiB.
    fn memory_kib(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
                .unwrap_or(0)
        };
        (field("VmHWM:"), field("VmRSS:"))
    }
}

/// The Markdown section, or why it could not be measured.
pub async fn report() -> String {
    let mut out = String::from("\n## The mock marketplace (its own process)\n\n");
    let Some(binary) = std::env::var_os("MARKETPLACE_MOCK_BIN") else {
        out.push_str(
            "Not measured: `MARKETPLACE_MOCK_BIN` is not set (`cargo xtask bench` builds the \
             mock in release mode and sets it).\n",
        );
        return out;
    };
    match measure(Path::new(&binary)).await {
        Ok(section) => out.push_str(&section),
        Err(e) => {
            let _ = writeln!(out, "Failed: {e}");
        }
    }
    out
}

async fn measure(binary: &Path) -> Result<String, String> {
    let mut out = String::new();
    eprintln!("mock: building a world of 100 000 orders with 10 messages per thread…");
    let big = tokio::task::block_in_place(|| {
        Mock::start(binary, THREADS_PER_MARKETPLACE, MESSAGES_PER_THREAD)
    })?;
    let (peak, now) = big.memory_kib();
    let _ = writeln!(
        out,
        "| world | ready after (process start to serving) | peak RSS | RSS serving |\n|---|---|---|---|\n\
         | {THREADS_PER_MARKETPLACE} orders × 4 marketplaces (100 000; METRO and Yandex open a chat \
         for about three in four), {MESSAGES_PER_THREAD} messages per thread (about 0.9 M messages); \
         targets < 5 s, < 1 GiB | {:.2} s | {} MiB | {} MiB |\n",
        big.ready_after.as_secs_f64(),
        peak / 1024,
        now / 1024,
    );
    drop(big);

    eprintln!("mock: serving paged lists to {CONNECTIONS} connections…");
    let small = tokio::task::block_in_place(|| Mock::start(binary, 1_000, 4))?;
    let url = format!("{}/api/v1/messages?limit=20", small.lectronz_base_url);
    let bearer = format!("Bearer {}", small.lectronz_api_key);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(CONNECTIONS)
        .build()
        .map_err(|e| e.to_string())?;
    // Warm-up: connections open, pages cached by nothing but the mock's own state.
    load(&http, &url, &bearer, 2_000).await?;
    let mut rates = Vec::new();
    for _ in 0..ROUNDS {
        rates.push(load(&http, &url, &bearer, REQUESTS_PER_ROUND).await?);
    }
    rates.sort_by(f64::total_cmp);
    let _ = writeln!(
        out,
        "| load | requests/s (median of {ROUNDS} rounds; min – max) |\n|---|---|\n\
         | Lectronz `GET /api/v1/messages?limit=20` (bearer checked, 20 items, journal off), \
         {CONNECTIONS} keep-alive connections, reqwest reading bytes without decoding, \
         {REQUESTS_PER_ROUND} requests a round (target ≥ 20 000) | {:.0} ({:.0} – {:.0}) |",
        rates[rates.len() / 2],
        rates[0],
        rates[rates.len() - 1],
    );
    let _ = writeln!(
        out,
        "\nThe load generator and the mock share the machine's cores, so the figure is a \
         floor for the mock alone."
    );
    Ok(out)
}

/// Sends `requests` GETs from [`CONNECTIONS`] callers; returns requests per second.
async fn load(
    http: &reqwest::Client,
    url: &str,
    bearer: &str,
    requests: usize,
) -> Result<f64, String> {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut callers = Vec::new();
    for _ in 0..CONNECTIONS {
        let (http, url, bearer, next) = (
            http.clone(),
            url.to_owned(),
            bearer.to_owned(),
            next.clone(),
        );
        callers.push(tokio::spawn(async move {
            while next.fetch_add(1, Ordering::Relaxed) < requests {
                let response = http
                    .get(&url)
                    .header("authorization", &bearer)
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                if !response.status().is_success() {
                    return Err(format!("the mock answered {}", response.status()));
                }
                response.bytes().await.map_err(|e| e.to_string())?;
            }
            Ok::<(), String>(())
        }));
    }
    for caller in callers {
        caller.await.map_err(|e| e.to_string())??;
    }
    Ok(requests as f64 / started.elapsed().as_secs_f64())
}
