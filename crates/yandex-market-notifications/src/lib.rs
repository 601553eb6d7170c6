//! Yandex Market API notifications, generated from
//! `specs/yandex-market-notifications.yaml` (the vendor's own notification spec, in
//! English): the typed notifications and answers ([`types`]) and a client that
//! delivers notifications the way Yandex Market does.
//!
//! The spec describes the endpoint *the seller hosts*. Receivers use [`types`] (the
//! `marketplace-webhooks` crate decodes notifications into them by
//! `notificationType`); the [`Client`] does what Yandex Market does, POSTing a
//! notification to `<base URL>/notification`, which is how receivers are tested end
//! to end:
//!
//! ```no_run
//! use marketplace_yandex_market_notifications::{Client, types};
//!
//! # async fn demo() -> Result<(), marketplace_yandex_market_notifications::Error> {
//! let yandex = Client::builder("http://127.0.0.1:8080/yandex-market").build()?;
//! let ping: types::SendNotificationRequest = serde_json::from_value(serde_json::json!({
//!     "notificationType": "PING",
//!     "time": "2026-03-03T09:31:00Z"
//! }))
//! .expect("a JSON object");
//! let answer = yandex.send_notification().body(ping).send().await?;
//! println!("{} {} answered at {}", *answer.name, *answer.version, answer.time);
//! # Ok(())
//! # }
//! ```
//!
//! Errors convert into [`Error`]; [`Error::code`] is the receiver's `error.type`
//! (`WRONG_EVENT_FORMAT`, `UNKNOWN`) and [`Error::message`] its `error.message`.

marketplace_runtime::include_generated_client!();

pub use marketplace_runtime::{
    Auth, Authenticate, ClientBuilder, Error, Result, RetryPolicy, Unsigned,
};
