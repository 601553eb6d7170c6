#![doc = include_str!("../README.md")]
//!
//! ## The clients in this crate
//!
//! Each client is a module named like its spec, behind the cargo feature of the same
//! name (`clients` enables them all; all are on by default); its page describes the
//! marketplace, its constructors and every operation with its builder.
//!
#![doc = include_str!(concat!(env!("OUT_DIR"), "/clients.md"))]
//!
//! Beside them: [`webhooks`] (feature `webhooks`) receives METRO events and Yandex
//! Market notifications, verified and deduplicated, with an axum adapter; [`runtime`]
//! is what every client shares: [`Error`], [`ClientBuilder`], [`Auth`], retries,
//! limits.

#[doc(inline)]
pub use marketplace_runtime as runtime;
pub use marketplace_runtime::{Auth, ClientBuilder, Error, Result};

/// Webhook receivers for METRO Markets events and Yandex Market notifications:
/// verified, deduplicated, with an axum adapter (`marketplace-webhooks`).
#[cfg(feature = "webhooks")]
#[doc(inline)]
pub use marketplace_webhooks as webhooks;

// One `pub use` per enabled client, generated from `specs/` by build.rs.
include!(concat!(env!("OUT_DIR"), "/clients.rs"));
