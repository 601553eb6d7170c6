//! Webhook receivers for marketplace pushes: METRO Markets order events
//! ([`metro`]) and Yandex Market API notifications ([`yandex`]).
//!
//! A receiver that drops, duplicates or accepts forged events costs a seller money,
//! and one that answers wrongly gets its subscription disabled. Each receiver here:
//!
//! * checks the request before reading it: body size (default 1 MiB, `413`), media
//!   type (`415`), and for METRO the signed headers `x-client`, `x-timestamp`,
//!   `x-signature` (`401`, constant-time comparison, ±5 minute window);
//! * decodes the body into the types generated from `specs/metro-events.yaml` and
//!   `specs/yandex-market-notifications.yaml` (`400` when malformed; unknown event
//!   types become an explicit `Other` value with the raw JSON);
//! * hands each event to the application's [`Handler`] **once**: duplicates are
//!   acknowledged without a second hand-over ([`dedupe`]), and when the handler fails
//!   the receiver answers an error and forgets the event, so the marketplace's next
//!   delivery is handed over: nothing is lost;
//! * answers exactly what the marketplace expects (`200 {"status":"OK"}` for METRO,
//!   `200 {"version","name","time"}` for Yandex Market).
//!
//! The core is framework-free: [`metro::MetroReceiver::verify`] and
//! [`yandex::YandexReceiver::verify`] take headers and the raw body and return the typed
//! event or a [`Rejection`] (status and body to answer); `receive` runs the whole
//! pipeline and returns the [`Reply`]. The [`axum`] module (feature `axum`, on by
//! default) wraps that in a `Router` to mount, and [`axum::serve`] serves it with
//! header and body read timeouts and a connection limit.
//!
//! ```no_run
//! # #[cfg(feature = "axum")]
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use marketplace_webhooks::{HandlerError, metro, yandex};
//!
//! let metro = metro::MetroReceiver::new(
//!     "https://shop.example.com/hooks/metro-markets/events", // the subscription's url
//!     "my-client-key",
//!     "my-client-secret",
//! )?;
//! let yandex = yandex::YandexReceiver::new("my-shop", "1.0.0")?;
//!
//! let app = axum::Router::new()
//!     .nest(
//!         "/hooks/metro-markets",
//!         marketplace_webhooks::axum::metro_router(metro, |delivery: metro::Delivery| async move {
//!             println!("METRO {}: {:?}", delivery.message_id, delivery.event);
//!             Ok::<(), HandlerError>(())
//!         }),
//!     )
//!     .nest(
//!         "/hooks/yandex-market",
//!         marketplace_webhooks::axum::yandex_router(yandex, |n: yandex::Notification| async move {
//!             println!("Yandex Market: {n:?}");
//!             Ok::<(), HandlerError>(())
//!         }),
//!     );
//! // Header and body read timeouts and a connection limit.
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! marketplace_webhooks::axum::serve(listener, app, marketplace_webhooks::axum::ServeLimits::default())
//!     .await;
//! # Ok(())
//! # }
//! ```

#[cfg(feature = "axum")]
pub mod axum;
pub mod dedupe;
mod digest;
mod handover;
pub mod metro;
mod reply;
mod settings;
pub mod yandex;

pub use dedupe::{Claim, DedupeError, DedupeStore, InMemoryDedupe};
pub use handover::{Handler, HandlerError};
pub use reply::{Rejection, Reply};

/// The default body limit of every receiver: 1 MiB. The marketplaces' events are a
/// few hundred bytes.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// The default time the [`axum`] routers give a request's body to arrive, from the
/// end of its headers: 10 seconds (Yandex Market waits 10 s for the whole answer).
/// A body still incomplete then is answered `408`: a client dribbling bytes cannot
/// hold a connection.
pub const DEFAULT_BODY_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// A receiver's configuration is invalid (the message says which setting).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError(pub(crate) String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid webhook receiver configuration: {}", self.0)
    }
}

impl std::error::Error for ConfigError {}
