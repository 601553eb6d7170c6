//! Generates `decoders.rs`: every client's `decode_every_response`
//! (`marketplace_codegen::replay::decoders_source`), for each client the umbrella
//! crate is built with (`DEP_MARKETPLACE_SDK_CLIENTS`), and `DECODERS`, one entry
//! each: a new spec is fuzzed with no edit here.

use std::fmt::Write;
use std::path::PathBuf;

use marketplace_codegen::Spec;
use marketplace_codegen::replay::{Paths, decoders_source};

fn main() {
    let specs = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("run by cargo")).join("../specs");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("run by cargo"));
    println!("cargo::rerun-if-env-changed=DEP_MARKETPLACE_SDK_CLIENTS");
    println!("cargo::rerun-if-changed={}", specs.display());
    let clients = std::env::var("DEP_MARKETPLACE_SDK_CLIENTS").unwrap_or_default();
    let mut code = String::new();
    let mut decoders = Vec::new();
    for name in clients.split(',').filter(|n| !n.is_empty()) {
        let module = name.replace('-', "_");
        let spec = Spec::load(&specs.join(format!("{name}.yaml"))).expect("the spec loads");
        let source = decoders_source(
            &spec,
            Paths { client: &format!("::marketplace_sdk::{module}"), runtime: "::marketplace_sdk::runtime" },
        )
        .unwrap_or_else(|findings| panic!("specs/{name}.yaml does not generate: {findings:?}"));
        let file = out.join(format!("decoders_{module}.rs"));
        std::fs::write(&file, source).expect("write OUT_DIR");
        let _ = writeln!(code, "mod {module} {{\n    include!({file:?});\n}}");
        decoders.push(format!("{module}::decode_every_response"));
    }
    let _ = writeln!(
        code,
        "/// Every client's decoders.\nconst DECODERS: &[fn(&[u8]) -> usize] = &[{}];",
        decoders.join(", ")
    );
    std::fs::write(out.join("decoders.rs"), code).expect("write OUT_DIR");
}
