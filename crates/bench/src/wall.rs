//! Paired wall-clock rows beside the instruction counts: for each scenario, p50
//! latency (SDK and hand-written calls interleaved) and throughput with
//! [`CONCURRENCY`] callers (alternating rounds, median of each side), in
//! [`RUNS`] separate client processes against one server process; the table shows
//! the median run and the range over the runs. This machine is shared and its
//! speed swings between runs, which is why the ratios are paired within a run.

use std::fmt::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::calls::{Clients, Scenario, Side};
use crate::server::ServerProcess;
use crate::{median, percentiles};

/// Requests per latency sample set (interleaved generated/baseline).
const LATENCY_SAMPLES: usize = 5000;
/// Concurrent callers in the throughput run.
const CONCURRENCY: usize = 16;
/// Requests per throughput round.
const THROUGHPUT_REQUESTS: usize = 12_000;
/// Alternating throughput rounds per side.
const THROUGHPUT_ROUNDS: usize = 7;
/// Client processes, each measuring every scenario.
const RUNS: usize = 3;

/// One run's figures for one scenario.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Sample {
    sdk_p50: Duration,
    hand_p50: Duration,
    sdk_rps: f64,
    hand_rps: f64,
}

impl Sample {
    fn line(&self, scenario: Scenario) -> String {
        format!(
            "{} {} {} {:.0} {:.0}",
            scenario.name(),
            self.sdk_p50.as_nanos(),
            self.hand_p50.as_nanos(),
            self.sdk_rps,
            self.hand_rps
        )
    }

    fn parse(line: &str) -> Option<(Scenario, Sample)> {
        let mut fields = line.split_whitespace();
        let scenario = Scenario::parse(fields.next()?)?;
        let mut next = || fields.next()?.parse::<f64>().ok();
        let sample = Sample {
            sdk_p50: Duration::from_nanos(next()? as u64),
            hand_p50: Duration::from_nanos(next()? as u64),
            sdk_rps: next()?,
            hand_rps: next()?,
        };
        Some((scenario, sample))
    }

    fn latency_ratio(&self) -> f64 {
        self.sdk_p50.as_secs_f64() / self.hand_p50.as_secs_f64()
    }

    fn throughput_ratio(&self) -> f64 {
        self.sdk_rps / self.hand_rps
    }
}

/// The wall-clock section of BENCHMARKS.md (progress on stderr).
pub fn report() -> Result<String, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let server = ServerProcess::start()?;
    let mut samples: Vec<(Scenario, Sample)> = Vec::new();
    for run in 1..=RUNS {
        eprintln!("wall-clock run {run}/{RUNS}…");
        let output = Command::new(&exe)
            .args(["wall-run", &server.base_url])
            .env("MARKETPLACE_BENCH_RUN", format!("{run}/{RUNS}"))
            .stderr(Stdio::inherit())
            .output()
            .map_err(|e| format!("cannot run the wall-clock client: {e}"))?;
        if !output.status.success() {
            return Err("the wall-clock client failed (its error is printed above)".into());
        }
        samples.extend(
            String::from_utf8_lossy(&output.stdout)
                .lines()
                .filter_map(Sample::parse),
        );
    }
    let mut out = format!(
        "\n## Per-call wall-clock (paired, beside the instruction counts)\n\n\
         The server in one process, the clients in another, {RUNS} client processes in a row. \
         In each: p50 latency over {LATENCY_SAMPLES} calls, SDK and hand-written interleaved; \
         throughput with {CONCURRENCY} concurrent callers × {THROUGHPUT_REQUESTS} requests, \
         median of {THROUGHPUT_ROUNDS} alternating rounds per side. The ratios are the median \
         of the {RUNS} runs, the range in brackets; the absolute figures beside each are \
         those of the run with the median ratio. This 2-core machine is shared with other work and loaded: absolute figures \
         move by ±15 % between runs, the paired ratios much less. Targets: p50 ≤ 1.03×, \
         throughput ≥ 0.97×.\n\n\
         | call | p50 (SDK / hand) | p50 ratio | req/s at c={CONCURRENCY} (SDK / hand) | throughput ratio |\n\
         |---|---|---|---|---|\n"
    );
    for scenario in Scenario::ALL {
        let mut runs: Vec<Sample> = samples
            .iter()
            .filter(|(s, _)| *s == scenario)
            .map(|(_, sample)| *sample)
            .collect();
        if runs.len() != RUNS {
            return Err(format!(
                "{} wall-clock runs of {}, expected {RUNS}",
                runs.len(),
                scenario.name()
            ));
        }
        let latency = spread(runs.iter().map(Sample::latency_ratio).collect());
        let throughput = spread(runs.iter().map(Sample::throughput_ratio).collect());
        // The absolute figures of the run whose ratio is the median, so each
        // pair shown gives the ratio beside it.
        let by_latency = median_by(&mut runs, Sample::latency_ratio);
        let by_throughput = median_by(&mut runs, Sample::throughput_ratio);
        let _ = writeln!(
            out,
            "| {} | {} / {} | {} | {:.0} / {:.0} | {} |",
            scenario.label(),
            crate::micros(by_latency.sdk_p50),
            crate::micros(by_latency.hand_p50),
            latency,
            by_throughput.sdk_rps,
            by_throughput.hand_rps,
            throughput,
        );
    }
    Ok(out)
}

/// The run whose `ratio` is the median.
fn median_by(runs: &mut [Sample], ratio: fn(&Sample) -> f64) -> Sample {
    runs.sort_by(|a, b| ratio(a).total_cmp(&ratio(b)));
    runs[runs.len() / 2]
}

/// `1.012× [1.004 – 1.020]`: the median and the range.
fn spread(mut ratios: Vec<f64>) -> String {
    ratios.sort_by(f64::total_cmp);
    format!(
        "{:.3}× [{:.3} – {:.3}]",
        ratios[ratios.len() / 2],
        ratios[0],
        ratios[ratios.len() - 1]
    )
}

/// `marketplace-bench wall-run <base-url>`: one run of every scenario, one line
/// each.
pub async fn run(base_url: &str) -> String {
    let run = std::env::var("MARKETPLACE_BENCH_RUN").unwrap_or_default();
    let clients = Arc::new(Clients::new(base_url));
    let mut lines = String::new();
    for scenario in Scenario::ALL {
        eprintln!("  wall-clock run {run}: {}…", scenario.name());
        let _ = writeln!(
            lines,
            "{}",
            measure(&clients, scenario).await.line(scenario)
        );
    }
    lines
}

async fn measure(clients: &Arc<Clients>, scenario: Scenario) -> Sample {
    for _ in 0..300 {
        clients.call(scenario, Side::Sdk).await;
        clients.call(scenario, Side::Hand).await;
    }
    let (mut sdk, mut hand) = (
        Vec::with_capacity(LATENCY_SAMPLES),
        Vec::with_capacity(LATENCY_SAMPLES),
    );
    for _ in 0..LATENCY_SAMPLES {
        let t = Instant::now();
        clients.call(scenario, Side::Sdk).await;
        sdk.push(t.elapsed());
        let t = Instant::now();
        clients.call(scenario, Side::Hand).await;
        hand.push(t.elapsed());
    }
    // Alternating rounds, median of each side: robust to a noisy neighbour.
    let (mut sdk_rounds, mut hand_rounds) = (Vec::new(), Vec::new());
    for _ in 0..THROUGHPUT_ROUNDS {
        hand_rounds.push(throughput(clients, scenario, Side::Hand).await);
        sdk_rounds.push(throughput(clients, scenario, Side::Sdk).await);
    }
    Sample {
        sdk_p50: percentiles(&mut sdk).0,
        hand_p50: percentiles(&mut hand).0,
        sdk_rps: median(&mut sdk_rounds),
        hand_rps: median(&mut hand_rounds),
    }
}

async fn throughput(clients: &Arc<Clients>, scenario: Scenario, side: Side) -> f64 {
    let started = Instant::now();
    let workers: Vec<_> = (0..CONCURRENCY)
        .map(|_| {
            let clients = clients.clone();
            tokio::spawn(async move {
                for _ in 0..THROUGHPUT_REQUESTS / CONCURRENCY {
                    clients.call(scenario, side).await;
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.expect("worker");
    }
    THROUGHPUT_REQUESTS as f64 / started.elapsed().as_secs_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sample_survives_its_line() {
        let sample = Sample {
            sdk_p50: Duration::from_nanos(80_300),
            hand_p50: Duration::from_nanos(79_300),
            sdk_rps: 36059.0,
            hand_rps: 36086.0,
        };
        let line = sample.line(Scenario::MetroPost);
        assert_eq!(line, "metro-post 80300 79300 36059 36086");
        assert_eq!(Sample::parse(&line), Some((Scenario::MetroPost, sample)));
        assert_eq!(Sample::parse("metro-post 1 2 3"), None);
        assert_eq!(Sample::parse("nothing 1 2 3 4"), None);
    }

    #[test]
    fn the_spread_is_the_median_and_the_range() {
        assert_eq!(spread(vec![1.02, 0.98, 1.0]), "1.000× [0.980 – 1.020]");
    }
}
