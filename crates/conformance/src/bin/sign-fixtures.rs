//! Checks (or, with `--write`, fills in) the signature headers of every signed METRO
//! fixture, computed with the runtime's signer:
//!
//! ```text
//! cargo run -p marketplace-conformance --bin sign-fixtures              # check
//! cargo run -p marketplace-conformance --bin sign-fixtures -- --write   # fill in
//! ```
//!
//! A new or edited METRO fixture needs its `x-timestamp`/`x-signature` (and the
//! client key header) recomputed; see `marketplace_conformance::signing`.

use std::process::ExitCode;

use marketplace_conformance::signing::{signed_fixtures, write_signatures};
use marketplace_conformance::workspace_root;

fn main() -> ExitCode {
    let root = workspace_root();
    if std::env::args().skip(1).any(|a| a == "--write") {
        return match write_signatures(&root) {
            Ok(written) => {
                for path in &written {
                    println!("signed {}", path.display());
                }
                println!("{} fixture(s) written", written.len());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        };
    }
    match signed_fixtures(&root) {
        Ok(fixtures) => {
            let wrong: Vec<_> = fixtures.iter().filter(|f| !f.wrong.is_empty()).collect();
            for fixture in &wrong {
                for (name, recorded) in &fixture.wrong {
                    eprintln!(
                        "{}: `{name}` is {recorded:?}, not the computed value",
                        fixture.path.display()
                    );
                }
            }
            println!(
                "{} signed fixtures checked, {} to re-sign{}",
                fixtures.len(),
                wrong.len(),
                if wrong.is_empty() {
                    ""
                } else {
                    " (run with -- --write)"
                }
            );
            if wrong.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
