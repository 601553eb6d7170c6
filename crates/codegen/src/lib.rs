//! House code generation for the marketplace clients.
//!
//! One place holds how a spec becomes a client ([`generate`]): the one spec model
//! every tool reads ([`spec`]: a spec parsed once, its operations, `$ref`
//! resolution), the house spec rules ([`lint`]), the progenitor settings, the
//! tolerant enums, the runtime hooks and the API-surface rendering; and, for the
//! conformance harness and the fuzz target only, their code for each client
//! ([`replay`]). Every client's `build.rs` calls [`build_script`]; the spec checks and
//! `cargo xtask` call [`generate`] and [`lint::lint`] directly, so the build and the
//! CI gate can never disagree.

mod decoding;
mod docs;
pub mod enums;
mod generate;
pub mod lint;
pub mod marketplace;
mod names;
pub mod pagination;
pub mod replay;
pub mod spec;
pub mod surface;

use std::path::{Path, PathBuf};

pub use generate::{Generated, Options, generate, generate_with};
pub use spec::{Finding, Spec};

/// The folder holding the specs, from a crate directory two levels below the root.
pub fn specs_dir(manifest_dir: &Path) -> PathBuf {
    manifest_dir.join("../../specs")
}

/// The body of every client crate's `build.rs`: generates `specs/<name>.yaml` into
/// `OUT_DIR` (`client.rs`) or fails the build with the findings.
pub fn build_script(name: &str) {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("run by cargo"));
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("run by cargo"));
    let path = specs_dir(&manifest_dir).join(format!("{name}.yaml"));
    println!("cargo:rerun-if-changed={}", path.display());
    // Set by the runtime's build script when its `json-schema` feature is on.
    println!("cargo:rerun-if-env-changed=DEP_MARKETPLACE_RUNTIME_JSON_SCHEMA");
    let options = Options {
        json_schema: std::env::var_os("DEP_MARKETPLACE_RUNTIME_JSON_SCHEMA").is_some(),
    };

    let generated = Spec::load(&path)
        .map_err(|f| vec![f])
        .and_then(|spec| generate_with(&spec, options));
    match generated {
        Ok(generated) => {
            if let Err(e) = std::fs::write(out_dir.join("client.rs"), &generated.client) {
                eprintln!("error: cannot write client.rs to OUT_DIR: {e}");
                std::process::exit(1);
            }
        }
        Err(findings) => {
            eprintln!(
                "error: specs/{name}.yaml cannot be generated ({} problem(s)):",
                findings.len()
            );
            for finding in &findings {
                eprintln!("  {finding}");
            }
            eprintln!("Fix the spec; `cargo xtask check` lists the same findings.");
            std::process::exit(1);
        }
    }
}
