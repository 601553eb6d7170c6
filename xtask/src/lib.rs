//! The library half of `cargo xtask`: the spec-diff engine behind
//! `cargo xtask diff`, kept here so its spec-pair suite (`tests/diff_cases.rs`)
//! calls it directly, the two stages of `check` and `generate`, and their insta
//! settings, which `tests/snapshot_output.rs` runs. The commands themselves live in
//! `main.rs`.

pub mod check;
pub mod diff;
pub mod expand;

/// The cargo that runs this binary (`cargo xtask` sets `CARGO`), for the child cargo
/// processes xtask starts; plain `cargo` otherwise.
pub fn cargo() -> std::ffi::OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// How `check` (`update`: `"no"`) and `generate` (`"always"`) run insta. Besides
/// `INSTA_UPDATE`, `INSTA_FORCE_PASS=1`: insta still prints each mismatch's diff but
/// neither panics nor adds its own hints ("Stopped on the first failure. Run
/// `cargo insta test`…", once per snapshot, false here and naming a tool this
/// workspace does not use); `marketplace_spec_check::check_snapshot` decides what
/// failed and lists it.
///
/// # Safety
///
/// Sets environment variables: call it before any other thread runs. insta reads
/// them once, on first use.
pub unsafe fn configure_insta(update: &str) {
    unsafe {
        std::env::set_var("INSTA_UPDATE", update);
        std::env::set_var("INSTA_FORCE_PASS", "1");
    }
}
