//! The replay stage of `cargo xtask check|generate`, run by xtask as
//! `cargo run -p marketplace-conformance --bin replay [-- <spec>…]`: replays the
//! fixtures of the named specs (every spec without names) through their generated
//! clients and prints one line per spec, then every problem. Exits 1 if anything
//! failed. insta's settings come from the environment xtask passes on
//! (`INSTA_UPDATE`, `INSTA_FORCE_PASS`).

use std::process::ExitCode;

use marketplace_conformance::check_all;

fn main() -> ExitCode {
    let specs: Vec<String> = std::env::args().skip(1).collect();
    let reports = check_all(&specs);
    let width = reports.iter().map(|r| r.spec.len()).max().unwrap_or(0);
    for report in &reports {
        println!("{}", report.summary(width));
    }
    let mut failed = false;
    for problem in reports.iter().flat_map(|r| &r.problems) {
        failed = true;
        eprintln!("error: {problem}");
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
