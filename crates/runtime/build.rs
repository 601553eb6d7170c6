//! Tells the client crates' build scripts (`marketplace_codegen::build_script`)
//! whether the `json-schema` feature is on, so the generated types derive
//! `JsonSchema` exactly when the runtime re-exports schemars.

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    if std::env::var_os("CARGO_FEATURE_JSON_SCHEMA").is_some() {
        println!("cargo::metadata=json_schema=true");
    }
}
