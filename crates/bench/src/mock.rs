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
pub(crate) struct Mock {
    child: Child,
    /// What it printed before serving: `(section, key, value)`, e.g.
    /// `("Lectronz", "base URL", "http://127.0.0.1:…")`.
    printed: Vec<(String, String, String)>,
    ready_after: Duration,
}

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Mock {
    /// Starts the mock with a world of `threads` threads of `messages` messages per
    /// marketplace, journal off, and `extra` options.
    pub(crate) fn start(
        binary: &Path,
        threads: usize,
        messages: usize,
        extra: &[&str],
    ) -> Result<Mock, String> {
        let started = Instant::now();
        let mut child = Command::new(binary)
            .args(["--seed", "7", "--journal", "0"])
            .args(["--threads", &threads.to_string()])
            .args(["--messages", &messages.to_string()])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut printed = Vec::new();
        let mut section = String::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.map_err(|e| e.to_string())?;
            if line.starts_with("Serving") {
                return Ok(Mock {
                    child,
                    printed,
                    ready_after: started.elapsed(),
                });
            }
            if !line.starts_with(' ') {
                section = line.clone();
            } else if let Some((key, rest)) = line.trim().split_once(':') {
                let value = rest.split_whitespace().next().unwrap_or_default();
                printed.push((section.clone(), key.trim().to_owned(), value.to_owned()));
            }
        }
        let _ = child.kill();
        Err("the mock exited before serving".into())
    }

    /// A value the mock printed under the section starting with `section`.
    pub(crate) fn field(&self, section: &str, key: &str) -> Result<&str, String> {
        self.printed
            .iter()
            .find(|(s, k, _)| s.starts_with(section) && k == key)
            .map(|(_, _, v)| v.as_str())
            .ok_or_else(|| format!("the mock printed no {section} {key}"))
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

/// The mock's binary (`MARKETPLACE_MOCK_BIN`), or the report line saying why nothing
/// was measured.
pub(crate) fn binary() -> Result<std::path::PathBuf, &'static str> {
    std::env::var_os("MARKETPLACE_MOCK_BIN")
        .map(Into::into)
        .ok_or(
            "Not measured: `MARKETPLACE_MOCK_BIN` is not set (`cargo xtask bench` builds the \
             mock in release mode and sets it).\n",
        )
}

/// The Markdown section, or why it could not be measured.
pub async fn report() -> String {
    let mut out = String::from("\n## The mock marketplace (its own process)\n\n");
    let binary = match binary() {
        Ok(binary) => binary,
        Err(not_set) => {
            out.push_str(not_set);
            return out;
        }
    };
    match measure(&binary).await {
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
        Mock::start(binary, THREADS_PER_MARKETPLACE, MESSAGES_PER_THREAD, &[])
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
    let small = tokio::task::block_in_place(|| Mock::start(binary, 1_000, 4, &[]))?;
    let url = format!(
        "{}/api/v1/messages?limit=20",
        small.field("Lectronz", "base URL")?
    );
    let bearer = format!("Bearer {}", small.field("Lectronz", "API key")?);
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

/// One GET on the mock with `authorization`, its body read; an error if not 2xx.
pub(crate) async fn get(
    http: &reqwest::Client,
    url: &str,
    authorization: &str,
) -> Result<(), String> {
    let response = http
        .get(url)
        .header("authorization", authorization)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !response.status().is_success() {
        return Err(format!("the mock answered {}", response.status()));
    }
    response.bytes().await.map_err(|e| e.to_string())?;
    Ok(())
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
                get(&http, &url, &bearer).await?;
            }
            Ok::<(), String>(())
        }));
    }
    for caller in callers {
        caller.await.map_err(|e| e.to_string())??;
    }
    Ok(requests as f64 / started.elapsed().as_secs_f64())
}
