//! Writes `OUT_DIR/conformance_tests.rs`: one `#[test]` per spec and one per
//! recorded fixture, included by `tests/conformance.rs`.
//!
//! `cargo xtask check` runs the same checks in one process; generating a named test
//! per fixture lets `cargo test` run them in parallel, report each failure by name,
//! and filter (`cargo test --test conformance lectronz::get_message`). Adding a
//! fixture file reruns this script, so a new fixture is a new test with no code.

use std::fmt::Write;
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=specs");
    println!("cargo:rerun-if-changed=tests/fixtures");
    let mut out = String::new();
    for spec in names(Path::new("specs"), |p| {
        p.extension().is_some_and(|e| e == "yaml")
    }) {
        let _ = writeln!(out, "mod {} {{", ident(&spec));
        let _ = writeln!(
            out,
            "    #[test]\n    fn spec_rules_surface_and_coverage() {{\n        \
             if let Err((_, problems)) = marketplace_conformance::check_spec_level({spec:?}) {{\n            \
             panic!(\"{{}}\", problems.join(\"\\n\"));\n        }}\n    }}"
        );
        let fixtures = Path::new("tests/fixtures").join(&spec);
        for operation in names(&fixtures, Path::is_dir) {
            let _ = writeln!(out, "    mod {} {{", ident(&operation));
            let cases = names(&fixtures.join(&operation), |p| {
                p.extension().is_some_and(|e| e == "json")
            });
            for case in cases {
                let _ = writeln!(
                    out,
                    "        #[test]\n        fn {}() {{\n            \
                     if let Err(problem) = marketplace_conformance::check_fixture({spec:?}, {operation:?}, {case:?}) {{\n                \
                     panic!(\"{{problem}}\");\n            }}\n        }}",
                    ident(&case)
                );
            }
            let _ = writeln!(out, "    }}");
        }
        let _ = writeln!(out, "}}");
    }
    let out_dir = std::env::var("OUT_DIR").expect("run by cargo");
    std::fs::write(Path::new(&out_dir).join("conformance_tests.rs"), out).expect("write OUT_DIR");
}

/// Sorted file stems (or directory names) in `dir` that satisfy `keep`.
fn names(dir: &Path, keep: impl Fn(&Path) -> bool) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| keep(path))
        .filter_map(|path| path.file_stem()?.to_str().map(str::to_owned))
        .collect();
    names.sort();
    names
}

/// A Rust identifier for a file or folder name.
fn ident(name: &str) -> String {
    let mut ident: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if ident.starts_with(|c: char| c.is_ascii_digit()) {
        ident.insert(0, '_');
    }
    ident
}
