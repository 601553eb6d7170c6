#![doc = include_str!("../README.md")]

pub use marketplace_runtime as runtime;
pub use marketplace_runtime::{Auth, ClientBuilder, Error, Result};

/// Lectronz API v1: order messages (`specs/lectronz.yaml`).
#[cfg(feature = "lectronz")]
pub use marketplace_lectronz as lectronz;

/// SkyHub (Americanas marketplace) SAC: tickets and chats (`specs/skyhub-sac.yaml`).
#[cfg(feature = "skyhub-sac")]
pub use marketplace_skyhub_sac as skyhub_sac;
