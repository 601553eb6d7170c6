//! The library half of `cargo xtask`: the spec-diff engine behind
//! `cargo xtask diff`, kept here so its spec-pair suite (`tests/diff_cases.rs`)
//! calls it directly. The commands themselves live in `main.rs`.

pub mod diff;
