//! Client-side instructions per call, counted by callgrind: the repeatable figure
//! on a shared machine whose wall-clock speed swings between runs.
//!
//! Each scenario's client (`marketplace-bench client …`, one thread, a
//! current-thread runtime) runs under `valgrind --tool=callgrind` twice, with
//! [`FEW`] and [`MANY`] calls; `(I_many − I_few) / (MANY − FEW)` is the cost of one
//! call, with start-up, client construction and the first connection cancelled
//! out. The server runs in another process, not under valgrind, so its work is not
//! counted. Signing is counted the same way (`marketplace-bench sign …`).

use std::fmt::Write;
use std::path::Path;
use std::process::Command;

use crate::calls::{Clients, Scenario, Side};
use crate::metro::SigningWork;
use crate::server::ServerProcess;

/// Calls in the short and the long run of each client.
const FEW: u64 = 100;
const MANY: u64 = 600;
/// Signatures in the short and the long run.
const FEW_SIGNATURES: u64 = 2_000;
const MANY_SIGNATURES: u64 = 12_000;
/// Independent measurements of each figure (the table shows their median and range).
const REPEATS: usize = 3;

/// The error when there is no `valgrind` to run.
const INSTALL_HINT: &str = "valgrind is not installed, and the instruction counts need it \
     (Debian/Ubuntu: `apt-get install valgrind`)";

/// `marketplace-bench client <scenario> <sdk|hand> <n> <base-url>`: `n` sequential
/// calls on a current-thread runtime (what callgrind counts).
pub fn client(scenario: Scenario, side: Side, calls: u64, base_url: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio");
    runtime.block_on(async {
        let clients = Clients::new(base_url);
        for _ in 0..calls {
            clients.call(scenario, side).await;
        }
    });
}

/// What one signing run does per iteration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signing {
    /// `Authenticate::authenticate` of the METRO signer on a POST with a JSON body:
    /// string to sign, HMAC-SHA256, hex, the three headers.
    Sdk,
    /// An HMAC-SHA256 keyed once, cloned, fed the same string to sign and finalized.
    PreKeyedHmac,
}

impl Signing {
    pub fn parse(name: &str) -> Option<Signing> {
        match name {
            "sdk" => Some(Signing::Sdk),
            "hmac" => Some(Signing::PreKeyedHmac),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Signing::Sdk => "sdk",
            Signing::PreKeyedHmac => "hmac",
        }
    }
}

/// `marketplace-bench sign <sdk|hmac> <n>`: `n` signatures of the same request.
pub fn sign(what: Signing, signatures: u64) {
    let mut work = SigningWork::new();
    for _ in 0..signatures {
        match what {
            Signing::Sdk => work.sdk(),
            Signing::PreKeyedHmac => work.pre_keyed_hmac(),
        }
    }
}

/// The instruction-count section of BENCHMARKS.md (progress on stderr).
pub fn report() -> Result<String, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let server = ServerProcess::start()?;
    let mut out = format!(
        "## Instructions per call (client process only; callgrind)\n\n\
         The primary, repeatable figure. Each client runs alone in its own process under \
         `valgrind --tool=callgrind` (one thread, current-thread tokio runtime) with {FEW} and \
         with {MANY} calls against the canned server in another process; the difference of \
         the two totals divided by {} is one call (start-up, client construction and the \
         first connection cancel out). Median of {REPEATS} measurements, range in brackets. \
         Both sides send the same headers (`Accept`, credentials, `User-Agent`, \
         `Content-Type` on POSTs), with the same timeouts, and decode into owned structs \
         (enums without allocating for known values). Target: SDK ≤ 1.03× the hand-written \
         client.\n\n\
         | call | SDK | hand-written | ratio |\n|---|---|---|---|\n",
        MANY - FEW
    );
    let steps = Scenario::ALL.len() * 2 + 2;
    let mut step = 0;
    for scenario in Scenario::ALL {
        let mut per_side = Vec::new();
        for side in [Side::Sdk, Side::Hand] {
            step += 1;
            let side_name = if side == Side::Sdk { "sdk" } else { "hand" };
            eprintln!(
                "instructions [{step}/{steps}]: {} ({side_name}), {REPEATS} × ({FEW} and {MANY} calls) under callgrind…",
                scenario.name()
            );
            let counts = repeated(|calls| {
                callgrind(
                    &exe,
                    &[
                        "client",
                        scenario.name(),
                        side_name,
                        &calls.to_string(),
                        &server.base_url,
                    ],
                )
            })?;
            per_side.push(counts);
        }
        let (sdk, hand) = (&per_side[0], &per_side[1]);
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.3}× |",
            scenario.label(),
            sdk.show(),
            hand.show(),
            sdk.median / hand.median
        );
    }
    let mut signing = Vec::new();
    for what in [Signing::Sdk, Signing::PreKeyedHmac] {
        step += 1;
        eprintln!(
            "instructions [{step}/{steps}]: signing ({}), {REPEATS} × ({FEW_SIGNATURES} and {MANY_SIGNATURES} signatures) under callgrind…",
            what.name()
        );
        signing.push(repeated_with(FEW_SIGNATURES, MANY_SIGNATURES, |n| {
            callgrind(&exe, &["sign", what.name(), &n.to_string()])
        })?);
    }
    let _ = writeln!(
        out,
        "\n| METRO signing, POST with a {}-byte JSON body | instructions per signature |\n|---|---|\n\
         | `MetroHmac` as the client signs (`Authenticate::authenticate`: string to sign, HMAC-SHA256, hex, 3 headers) | {} |\n\
         | a pre-keyed HMAC-SHA256 over the same string (cloned keyed state, update, finalize) | {} |\n\
         | ratio (target ≤ 1.2×) | {:.3}× |",
        SigningWork::new().body_len,
        signing[0].show(),
        signing[1].show(),
        signing[0].median / signing[1].median
    );
    Ok(out)
}

/// A per-call figure: median and range of [`REPEATS`] measurements.
struct Count {
    median: f64,
    min: f64,
    max: f64,
}

impl Count {
    fn show(&self) -> String {
        format!(
            "{} [{} – {}]",
            thousands(self.median),
            thousands(self.min),
            thousands(self.max)
        )
    }
}

fn thousands(instructions: f64) -> String {
    format!("{:.1} k", instructions / 1000.0)
}

fn repeated(run: impl FnMut(u64) -> Result<u64, String>) -> Result<Count, String> {
    repeated_with(FEW, MANY, run)
}

/// [`REPEATS`] times `(run(many) − run(few)) / (many − few)`.
fn repeated_with(
    few: u64,
    many: u64,
    mut run: impl FnMut(u64) -> Result<u64, String>,
) -> Result<Count, String> {
    let mut per_call = Vec::with_capacity(REPEATS);
    for _ in 0..REPEATS {
        let (small, large) = (run(few)?, run(many)?);
        per_call.push(large.saturating_sub(small) as f64 / (many - few) as f64);
    }
    per_call.sort_by(f64::total_cmp);
    Ok(Count {
        median: per_call[per_call.len() / 2],
        min: per_call[0],
        max: per_call[per_call.len() - 1],
    })
}

/// Runs `exe args` under callgrind; returns the instructions it executed.
fn callgrind(exe: &Path, args: &[&str]) -> Result<u64, String> {
    let out_file =
        std::env::temp_dir().join(format!("marketplace-bench-{}.cg", std::process::id()));
    let output = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out_file.display()))
        .arg(exe)
        .args(args)
        .output()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => INSTALL_HINT.to_owned(),
            _ => format!("cannot run valgrind: {e}"),
        })?;
    let profile = std::fs::read_to_string(&out_file);
    let _ = std::fs::remove_file(&out_file);
    if !output.status.success() {
        return Err(format!(
            "`valgrind --tool=callgrind {} {}` failed:\n{}",
            exe.display(),
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let profile = profile.map_err(|e| format!("callgrind wrote no profile: {e}"))?;
    total_instructions(&profile).ok_or_else(|| "callgrind's profile has no total".to_owned())
}

/// The `summary:` (or `totals:`) line of a callgrind profile: instructions executed.
fn total_instructions(profile: &str) -> Option<u64> {
    profile.lines().find_map(|line| {
        line.strip_prefix("summary:")
            .or_else(|| line.strip_prefix("totals:"))
            .and_then(|n| n.split_whitespace().next()?.parse().ok())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_total_is_read_from_the_summary_line() {
        let profile = "version: 1\ncreator: callgrind-3.19.0\nevents: Ir\n\nfn=(1) main\n3 4\n\nsummary: 45911800\n\n\ntotals: 45911800\n";
        assert_eq!(total_instructions(profile), Some(45_911_800));
        assert_eq!(total_instructions("events: Ir\n"), None);
    }

    #[test]
    fn the_per_call_figure_cancels_what_both_runs_share() {
        // 1 M of start-up, 1 500 per call, a little noise in the second repeat.
        let mut runs = [
            1_150_000u64,
            1_900_000,
            1_150_000,
            1_900_500,
            1_150_000,
            1_900_000,
        ]
        .into_iter();
        let count = repeated_with(100, 600, |_| Ok(runs.next().unwrap())).unwrap();
        assert_eq!(
            (count.min, count.median, count.max),
            (1500.0, 1500.0, 1501.0)
        );
    }
}
