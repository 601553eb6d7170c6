//! `cargo xtask generate` | `cargo xtask check` | `cargo xtask diff` | `cargo xtask bench`
//!
//! `check` and `generate` run the same checks in two stages ([`xtask::check`]): the
//! spec stage in this process (house rules, generation, API-surface snapshots, the
//! specs' examples, fixture coverage and fixture schemas), built from the specs and
//! the code generator only, then the replay stage in a child cargo process (every
//! fixture through its generated client). `check` never writes; `generate` lets
//! insta rewrite the snapshots after printing their diffs. `diff` is built from the
//! specs and the code generator too: no client crate is ever compiled for it.

use std::process::ExitCode;

use marketplace_spec_check::{FIX_COMMAND, counted, workspace_root};
use xtask::check::{self, REPLAY_COMMAND};

mod bench;

const USAGE: &str = "usage: cargo xtask <command>

commands:
  check      the CI gate: specs follow the house rules, fixtures conform and replay,
             snapshots match; writes nothing
  generate   regenerate the clients and rewrite the API-surface and fixture snapshots
             (shows each diff first)
  diff       classify spec changes against a git revision (breaking or not) as a
             Markdown report with the API-surface diff; see `cargo xtask diff --help`
  bench      run the benchmarks in release mode and write BENCHMARKS.md
             (--build-cost also times a cold and an incremental workspace build)";

fn main() -> ExitCode {
    let command = std::env::args().nth(1);
    let update = match command.as_deref() {
        Some("check") => "no",
        Some("generate") => "always",
        Some("diff") => return diff(std::env::args().skip(2)),
        Some("bench") => {
            let build_cost = std::env::args().any(|a| a == "--build-cost");
            return match bench::run(&workspace_root(), build_cost) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            };
        }
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    // Nothing else runs yet, so setting the environment here is race-free; the
    // replay stage's child inherits it.
    unsafe { xtask::configure_insta(update) };
    let root = workspace_root();

    println!(
        "Spec stage: house rules, generation, API surfaces, examples, fixture coverage and schemas"
    );
    let specs = check::spec_stage(&root);
    for line in &specs.lines {
        println!("{line}");
    }
    for problem in &specs.problems {
        eprintln!("error: {problem}");
    }
    println!("\nReplay stage: every fixture through its generated client ({REPLAY_COMMAND})");
    let replay = check::replay_stage(&root);
    if let Err(why) = &replay {
        eprintln!("error: replay stage: {why}");
    }
    if specs.problems.is_empty() && replay.is_ok() {
        return ExitCode::SUCCESS;
    }
    eprintln!(
        "\n{} in the spec stage{}. Spec rule findings: fix the spec at the JSON pointer shown. \
         Snapshot differences you intended: run `{FIX_COMMAND}` and commit the reviewed snapshots. \
         Request mismatches: fix the fixture or the spec.",
        counted(specs.problems.len(), "problem"),
        if replay.is_ok() {
            ""
        } else {
            "; the replay stage failed"
        },
    );
    ExitCode::FAILURE
}

/// `cargo xtask diff`: prints the report; exits 1 on breaking changes with
/// `--fail-on breaking`, 2 on bad arguments or a spec that cannot be compared.
fn diff(args: impl Iterator<Item = String>) -> ExitCode {
    use xtask::diff::{Options, USAGE, run};
    let args: Vec<String> = args.collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let options = match Options::parse(args) {
        Ok(options) => options,
        Err(e) => {
            eprintln!("error: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&workspace_root(), &options) {
        Ok(outcome) => {
            print!("{}", outcome.report);
            for error in &outcome.errors {
                eprintln!("error: {error}");
            }
            if !outcome.errors.is_empty() {
                ExitCode::from(2)
            } else if options.fail_on_breaking && outcome.breaking > 0 {
                eprintln!(
                    "{} breaking change(s) (--fail-on breaking)",
                    outcome.breaking
                );
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
