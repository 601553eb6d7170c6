//! Re-exports every enabled client, derived from the specs: `specs/<name>.yaml`
//! is the client of feature (and dependency) `<name>`, re-exported as module
//! `<name>` with its spec's `x-marketplace` summary, and listed in the crate docs'
//! table. Tells the crates that build on this one (the conformance harness, the
//! fuzz target) which clients it has: `DEP_MARKETPLACE_SDK_CLIENTS`, comma-separated
//! spec names.

use std::fmt::Write;
use std::path::Path;

use marketplace_codegen::Spec;
use marketplace_codegen::marketplace::Marketplace;

fn main() {
    println!("cargo::rerun-if-changed=specs");
    let mut names: Vec<String> = std::fs::read_dir("specs")
        .expect("the specs folder")
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter_map(|file| file.strip_suffix(".yaml").map(str::to_owned))
        .collect();
    names.sort();
    let mut modules = String::new();
    let mut table = String::from("| module | what it talks to | feature |\n|---|---|---|\n");
    let mut enabled = Vec::new();
    for name in names {
        let feature = format!("CARGO_FEATURE_{}", name.to_uppercase().replace('-', "_"));
        if std::env::var_os(feature).is_none() {
            continue;
        }
        let path = Path::new("specs").join(format!("{name}.yaml"));
        println!("cargo::rerun-if-changed={}", path.display());
        // A spec that does not load or describe its marketplace fails its client's
        // own build with the findings; here it just has no summary.
        let summary = Spec::load(&path)
            .ok()
            .and_then(|spec| Marketplace::of(&spec).ok())
            .map(|m| m.summary)
            .unwrap_or_default();
        let module = name.replace('-', "_");
        let _ = writeln!(
            modules,
            "#[doc = {:?}]\n#[doc(inline)]\npub use ::{module};",
            format!("{summary} (`specs/{name}.yaml`).")
        );
        let _ = writeln!(table, "| [`{module}`] | {summary} | `{name}` |");
        enabled.push(name);
    }
    let out = std::env::var("OUT_DIR").expect("run by cargo");
    std::fs::write(Path::new(&out).join("clients.rs"), modules).expect("write OUT_DIR");
    std::fs::write(Path::new(&out).join("clients.md"), table).expect("write OUT_DIR");
    println!("cargo::metadata=clients={}", enabled.join(","));
}
