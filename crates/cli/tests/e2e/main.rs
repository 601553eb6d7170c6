//! End-to-end tests of the built `mkt` binary against the mock marketplace: one test
//! binary (one link) for every command.

mod common;
mod config;
mod doctor;
mod help;
mod inbox;
mod json;
mod serve;
mod sync;
