//! Generates the harness's code for every client the umbrella crate `marketplace-sdk`
//! is built with (its build script names them: `DEP_MARKETPLACE_SDK_CLIENTS`):
//!
//! * `marketplaces.rs`: one module per client with its replay dispatcher and
//!   decoders (`marketplace_codegen::replay`), and `MARKETPLACES`, one entry each
//!   with the auth scheme of its first `x-marketplace` constructor and the origin
//!   of its first server;
//! * `conformance_tests.rs`: one `#[test]` per spec and one per recorded fixture,
//!   included by `tests/conformance.rs`, so `cargo test` runs them in parallel,
//!   reports each failure by name, and filters
//!   (`cargo test -p marketplace-conformance --test conformance lectronz::get_message`).
//!
//! Also sets `cfg(client = "<spec>")` for each client, which the hand-written
//! replays (`src/handwritten.rs`) are compiled under. The replay stage of `cargo
//! xtask check` builds this crate with only the clients that build, so one broken
//! client does not stop the others' replay.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use marketplace_codegen::Spec;
use marketplace_codegen::marketplace::Marketplace;
use marketplace_codegen::replay::{Paths, replay_source};

fn main() {
    let root =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("run by cargo")).join("../..");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("run by cargo"));
    println!("cargo::rerun-if-env-changed=DEP_MARKETPLACE_SDK_CLIENTS");
    println!("cargo::rerun-if-changed={}", root.join("specs").display());
    println!(
        "cargo::rerun-if-changed={}",
        root.join("tests/fixtures").display()
    );

    let specs = names(&root.join("specs"), |p| {
        p.extension().is_some_and(|e| e == "yaml")
    });
    let clients: Vec<String> = std::env::var("DEP_MARKETPLACE_SDK_CLIENTS")
        .unwrap_or_default()
        .split(',')
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect();
    let check_cfg: Vec<String> = specs.iter().map(|s| format!("{s:?}")).collect();
    println!(
        "cargo::rustc-check-cfg=cfg(client, values({}))",
        check_cfg.join(", ")
    );

    let mut registry = String::new();
    let mut entries = String::new();
    for name in &clients {
        println!("cargo::rustc-cfg=client={name:?}");
        let spec = Spec::load(&root.join("specs").join(format!("{name}.yaml")))
            .unwrap_or_else(|finding| fail(name, &[finding]));
        let module = name.replace('-', "_");
        let code = replay_source(
            &spec,
            Paths {
                client: &format!("::marketplace_sdk::{module}"),
                runtime: "::marketplace_runtime",
            },
        )
        .unwrap_or_else(|findings| fail(name, &findings));
        let file = out.join(format!("replay_{module}.rs"));
        std::fs::write(&file, code).expect("write OUT_DIR");
        let auth = Marketplace::of(&spec)
            .ok()
            .and_then(|m| m.constructors.into_iter().next())
            .map(|c| c.auth)
            .unwrap_or_default();
        let origin = origin(
            spec.document["servers"][0]["url"]
                .as_str()
                .unwrap_or_default(),
        );
        let _ = writeln!(
            registry,
            "/// The replay code of `specs/{name}.yaml`.\nmod {module} {{\n    include!({file:?});\n}}"
        );
        let _ = writeln!(
            entries,
            "    Marketplace {{
        name: {name:?},
        auth: {auth:?},
        signed_origin: {origin:?},
        decode: {module}::decode_every_response,
        decode_response: {module}::decode_response,
        response_schema: {module}::response_schema,
        replay: |cx, call| {{
            Box::pin(async move {{
                match client::<::marketplace_sdk::{module}::Client>(&cx, {auth:?}, {origin:?}) {{
                    Ok(client) => {module}::dispatch(&client, &call).await,
                    Err(outcome) => outcome,
                }}
            }})
        }},
    }},"
        );
    }
    let _ = writeln!(
        registry,
        "/// Every client the harness replays (the umbrella crate's enabled clients).\n\
         pub const MARKETPLACES: &[Marketplace] = &[\n{entries}];"
    );
    std::fs::write(out.join("marketplaces.rs"), registry).expect("write OUT_DIR");
    std::fs::write(out.join("conformance_tests.rs"), tests(&root, &specs)).expect("write OUT_DIR");
}

fn fail(spec: &str, findings: &[impl std::fmt::Display]) -> ! {
    eprintln!("error: specs/{spec}.yaml cannot be generated:");
    for finding in findings {
        eprintln!("  {finding}");
    }
    std::process::exit(1);
}

/// `scheme://host[:port]` of a URL.
fn origin(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let host = rest.split('/').next().unwrap_or_default();
    format!("{scheme}://{host}")
}

/// One test per spec and one per fixture.
fn tests(root: &Path, specs: &[String]) -> String {
    let mut out = String::new();
    for spec in specs {
        let _ = writeln!(out, "mod {} {{", ident(spec));
        let _ = writeln!(
            out,
            "    #[test]\n    fn spec_rules_surface_and_coverage() {{\n        \
             if let Err((_, problems)) = marketplace_conformance::check_spec_level({spec:?}) {{\n            \
             panic!(\"{{}}\", problems.join(\"\\n\"));\n        }}\n    }}"
        );
        let fixtures = root.join("tests/fixtures").join(spec);
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
    out
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
