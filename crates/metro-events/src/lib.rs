//! METRO Markets service event subscription, generated from `specs/metro-events.yaml`:
//! the typed event envelope and payloads ([`types`]) and a client that delivers
//! events the way METRO does.
//!
//! The spec describes the endpoint *the seller hosts*. Receivers use [`types`] (the
//! `marketplace-webhooks` crate decodes deliveries into them); the [`Client`] does what
//! METRO does, POSTing a signed event to a receiver, which is how the receiver is
//! tested end to end:
//!
//! ```no_run
//! use marketplace_metro_events::{Client, types};
//!
//! # async fn demo() -> Result<(), marketplace_metro_events::Error> {
//! let metro = Client::builder("http://127.0.0.1:8080/metro-markets", "fake-client-key", "fake-client-secret")
//!     .build()?;
//! let envelope: types::EventEnvelope = serde_json::from_value(serde_json::json!({
//!     "messageId": "5d0c3f9e-0d5f-4b0e-9a43-0d5c2e7f1a11",
//!     "event": "test_connection",
//!     "payload": {"foo": "bar"}
//! }))
//! .expect("a valid envelope");
//! let answer = metro.send_event().body(envelope).send().await?;
//! assert_eq!(answer.status, "OK");
//! # Ok(())
//! # }
//! ```
//!
//! Signing: [`DeliverySigning`] adds `x-client`, `x-timestamp` and `x-signature` as
//! METRO's own API requests are signed (an assumption: METRO does not document how
//! deliveries are signed; see the spec).

marketplace_runtime::include_generated_client!();

pub use marketplace_runtime::{
    Auth, Authenticate, ClientBuilder, DeliverySigning, Error, MetroHmac, Result, RetryPolicy,
    SignatureEncoding,
};
