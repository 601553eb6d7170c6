//! Hand-written runtime shared by every generated marketplace client.
//!
//! The generated clients (one crate per spec under `crates/`) are plain progenitor
//! output. Everything that is not a mechanical translation of a spec lives here and
//! plugs in through progenitor's hooks:
//!
//! * [`Runtime`] is the generated `Client`'s *inner type*: it carries the credentials
//!   ([`Auth`]) and per-client settings.
//! * [`hooks`] holds the bodies of the `ClientHooks` implementation that the house
//!   code generator emits for every client: auth on every request, one tracing span
//!   per operation.
//! * [`Error`] is the one error type of every client: every generated `send()`
//!   returns it (the house generator converts progenitor's error).
//! * [`tolerant_enum!`] is how vendor enums stay forward compatible.
//!
//! Application code normally uses this crate through a client crate (for example
//! `marketplace-lectronz`) or the `marketplace-sdk` umbrella crate.

mod auth;
mod clock;
mod config;
mod count;
pub mod decode;
mod error;
pub mod hooks;
mod limits;
pub mod multipart;
pub mod pagination;
mod retry;
mod tolerant;

/// Includes a client crate's generated code (written to `OUT_DIR` by its `build.rs`
/// through `marketplace_codegen::build_script`) as the private module `generated`,
/// and re-exports its public surface. Every client crate's `lib.rs` calls it once.
#[macro_export]
macro_rules! include_generated_client {
    () => {
        /// Code generated at build time from the spec. Never edited by hand.
        #[allow(clippy::all, clippy::pedantic, missing_docs, unused, dead_code)]
        mod generated {
            include!(concat!(env!("OUT_DIR"), "/client.rs"));
        }

        pub use generated::marketplace::*;
        pub use generated::{Client, ClientInfo, ResponseValue, builder, types};
    };
}

pub use auth::{
    Auth, Authenticate, Bearer, DeliverySigning, MetroHmac, SignatureEncoding, SkyHub, Unsigned,
    Yandex, credential_env_var, sensitive_header,
};
pub use clock::{Clock, FixedClock, SystemClock};
pub use config::{ClientBuilder, ConfigError, GeneratedClient, Runtime, redirect_policy};
pub use count::RequestCounter;
pub use error::{ApiErrorBody, Error, Result, text_at};
pub use limits::{ConcurrencyLimit, RateLimit};
pub use retry::{RetryPolicy, is_retried_like_a_read};
pub use secrecy::{ExposeSecret, SecretString};

/// Re-exported for the generated code, so client crates need no direct dependency.
#[doc(hidden)]
pub use progenitor_client as __progenitor_client;
/// Re-exported for the generated types' `JsonSchema` derives (feature `json-schema`).
#[cfg(feature = "json-schema")]
#[doc(hidden)]
pub use schemars as __schemars;
#[doc(hidden)]
pub use serde as __serde;
/// Re-exported for `tolerant_enum!`'s drift events.
#[doc(hidden)]
pub use tracing as __tracing;
