//! `cargo xtask check|generate`, in two stages.
//!
//! The spec stage runs in this process and is built from the specs and the code
//! generator only (`marketplace-spec-check`), so it works exactly when a spec change
//! breaks a client crate: every spec gets its line, the broken ones with their
//! findings. The replay stage needs the generated clients, so it runs in a child
//! (`cargo run -p marketplace-conformance --bin replay`), which prints its own line
//! per spec; a client that no longer builds fails its own spec's line there, and
//! the other specs are replayed without it.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, ExitStatus};

use marketplace_spec_check::{check_specs, spec_names};

/// What a stage printed: one line per spec, then every problem.
#[derive(Debug)]
pub struct Stage {
    /// One summary line per spec, aligned.
    pub lines: Vec<String>,
    /// Everything wrong, one entry each (a finding, a snapshot, a fixture).
    pub problems: Vec<String>,
}

/// The spec stage over `<root>/specs` and `<root>/tests/fixtures`.
pub fn spec_stage(root: &Path) -> Stage {
    let reports = check_specs(root);
    let width = reports.iter().map(|r| r.spec.len()).max().unwrap_or(0);
    Stage {
        lines: reports.iter().map(|r| r.summary(width)).collect(),
        problems: reports.iter().flat_map(|r| r.problems.clone()).collect(),
    }
}

/// The command of the replay stage, as shown to the user.
pub const REPLAY_COMMAND: &str = "cargo run -p marketplace-conformance --bin replay";

/// Runs the replay stage in the workspace at `root` with this process's cargo; see
/// [`replay_stage_with`].
pub fn replay_stage(root: &Path) -> Result<(), String> {
    replay_stage_with(root, &crate::cargo())
}

/// Runs the replay stage with `cargo`; its output goes straight to this process's
/// stdout and stderr (insta's settings are inherited from the environment). `Err`
/// says why it failed.
///
/// First every spec with every client. If that does not build, each client crate
/// (`marketplace-<spec>`) is built on its own, and the specs whose client builds are
/// replayed with only those clients (`--no-default-features --features
/// marketplace-sdk/<spec>,…`): a client that no longer builds fails its own spec's
/// line, never the others' replay.
pub fn replay_stage_with(root: &Path, cargo: &OsStr) -> Result<(), String> {
    let all = run(root, cargo, &[], &[])?;
    if let Some(verdict) = verdict(all) {
        return verdict;
    }
    let specs = spec_names(root);
    let (builds, broken): (Vec<&String>, Vec<&String>) = specs.iter().partition(|spec| {
        Command::new(cargo)
            .current_dir(root)
            .args(["build", "--quiet", "-p", &format!("marketplace-{spec}")])
            .status()
            .is_ok_and(|status| status.success())
    });
    for spec in &broken {
        println!(
            "specs/{spec}.yaml  FAILED: its client does not build (cargo build -p marketplace-{spec})"
        );
    }
    let replayed = if builds.is_empty() {
        Ok(())
    } else {
        let features: Vec<String> = builds
            .iter()
            .map(|s| format!("marketplace-sdk/{s}"))
            .collect();
        let status = run(
            root,
            cargo,
            &["--no-default-features", "--features", &features.join(",")],
            &builds,
        )?;
        verdict(status).unwrap_or_else(|| {
            Err(format!(
                "`{REPLAY_COMMAND}` did not run with the clients that build ({status})"
            ))
        })
    };
    let broken: Vec<String> = broken.iter().map(|s| format!("marketplace-{s}")).collect();
    match (broken.is_empty(), replayed) {
        (true, replayed) => replayed,
        (false, Ok(())) => Err(format!(
            "client crates that do not build: {}; the other specs replayed",
            broken.join(", ")
        )),
        (false, Err(why)) => Err(format!(
            "client crates that do not build: {}; {why}",
            broken.join(", ")
        )),
    }
}

/// `cargo run` of the replay binary with `options`, replaying `specs` (all if none).
fn run(
    root: &Path,
    cargo: &OsStr,
    options: &[&str],
    specs: &[&String],
) -> Result<ExitStatus, String> {
    Command::new(cargo)
        .current_dir(root)
        .args(["run", "--quiet", "-p", "marketplace-conformance"])
        .args(options)
        .args(["--bin", "replay", "--"])
        .args(specs)
        .status()
        .map_err(|e| format!("cannot run `{REPLAY_COMMAND}`: {e}"))
}

/// What the replay binary's exit status says, or `None` when cargo could not build it.
fn verdict(status: ExitStatus) -> Option<Result<(), String>> {
    match status.code() {
        Some(0) => Some(Ok(())),
        Some(1) => Some(Err("fixtures failed to replay (listed above)".into())),
        _ => None,
    }
}
