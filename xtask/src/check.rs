//! `cargo xtask check|generate`, in two stages.
//!
//! The spec stage runs in this process and is built from the specs and the code
//! generator only (`marketplace-spec-check`), so it works exactly when a spec change
//! breaks a client crate: every spec gets its line, the broken ones with their
//! findings. The replay stage needs the generated clients, so it runs in a child
//! (`cargo run -p marketplace-conformance --bin replay`), which prints its own line
//! per spec; a client that no longer builds fails that stage, not this binary.

use std::path::Path;
use std::process::Command;

use marketplace_spec_check::check_specs;

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

/// Runs the replay stage in the workspace at `root`; its output goes straight to
/// this process's stdout and stderr (insta's settings are inherited from the
/// environment). `Err` says why it failed.
pub fn replay_stage(root: &Path) -> Result<(), String> {
    let status = Command::new(crate::cargo())
        .current_dir(root)
        .args([
            "run",
            "--quiet",
            "-p",
            "marketplace-conformance",
            "--bin",
            "replay",
        ])
        .status()
        .map_err(|e| format!("cannot run `{REPLAY_COMMAND}`: {e}"))?;
    match status.code() {
        Some(0) => Ok(()),
        Some(1) => Err("fixtures failed to replay (listed above)".into()),
        _ => Err(format!(
            "`{REPLAY_COMMAND}` did not run ({status}): a client crate does not build; \
             the spec stage above names the spec that breaks it"
        )),
    }
}
