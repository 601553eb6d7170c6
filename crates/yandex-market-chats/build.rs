// Generates the client from specs/yandex-market-chats.yaml (see marketplace_codegen::build_script).
fn main() {
    marketplace_codegen::build_script("yandex-market-chats");
    vendor_examples();
}

/// `tests/vendor_examples.rs` reads the vendor's spec excerpts from the shared
/// reference documents beside the workspace (`VENDOR_OPENAPI_DIR`). libtest cannot
/// skip a test at run time, so where they are missing the test is compiled with
/// `#[ignore]` (`cfg(vendor_openapi_missing)`) and reported as ignored, never as
/// passed; under CI (`CI` set, not `false`/`0`) it is not ignored and fails.
fn vendor_examples() {
    use std::path::{Path, PathBuf};

    println!("cargo::rustc-check-cfg=cfg(vendor_openapi_missing)");
    println!("cargo::rerun-if-env-changed=CI");
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    let dir = shared.join("refdocs/yandex-market/partner-api/openapi");
    println!("cargo::rustc-env=VENDOR_OPENAPI_DIR={}", dir.display());
    // Watch the directory, or the nearest existing one on the way to it, so that
    // adding or removing the documents re-decides; never above `shared`, whose
    // parent holds whole workspaces and target directories.
    let watched: Option<PathBuf> = dir
        .ancestors()
        .take_while(|p| p.starts_with(&shared))
        .find(|p| p.is_dir())
        .map(Path::to_path_buf);
    if let Some(watched) = watched {
        println!("cargo::rerun-if-changed={}", watched.display());
    }
    let ci = std::env::var("CI").is_ok_and(|v| !matches!(v.as_str(), "" | "false" | "0"));
    if !dir.is_dir() && !ci {
        println!("cargo::rustc-cfg=vendor_openapi_missing");
    }
}
