//! Typed client for [METRO Markets](https://developer.metro-selleroffice.com)' Service
//! Event Subscription management API: which order events METRO delivers to which
//! URL of yours (webhooks).
//!
//! Generated at build time from `specs/metro-subscriptions.yaml`; this file adds the
//! METRO constructors (sandbox, production, signed requests). Every operation is a
//! builder: `client.<operation>()`, then its parameters, then `.send().await`.
//!
//! ```no_run
//! use marketplace_metro_subscriptions::{Client, types};
//!
//! # async fn demo() -> Result<(), marketplace_metro_subscriptions::Error> {
//! let client = Client::sandbox("my-client-key", "my-client-secret").build()?;
//!
//! // METRO first delivers a `test_connection` event to the URL, which must answer
//! // 200 `{"status":"OK"}`, or this fails with 412.
//! let created = client
//!     .create_subscription()
//!     .body(types::SubscriptionCreate {
//!         url: "https://shop.example.com/metro/events".into(),
//!         event: types::EventName::OrderCreated,
//!         fallback_email: "ops@shop.example.com".into(),
//!         is_active: true,
//!     })
//!     .send()
//!     .await?;
//!
//! for subscription in client.list_subscriptions().send().await?.iter() {
//!     println!("{} -> {} ({})", subscription.event, subscription.url, subscription.id);
//! }
//!
//! // At least one field must be set.
//! client
//!     .update_subscription()
//!     .subscription_id(&created.id)
//!     .body(types::SubscriptionUpdate {
//!         is_active: Some(false),
//!         ..Default::default()
//!     })
//!     .send()
//!     .await?;
//! client.delete_subscription().subscription_id(&created.id).send().await?;
//! # Ok(())
//! # }
//! ```
//!
//! **Events** are an open set ([`types::EventName`]): unknown names decode as
//! `Other`. METRO spells the cancellation event both `order_line_canceled` (its list
//! of events) and `order_line_cancelled` (its subscription example); both variants
//! exist, and which one METRO accepts on subscription is not verified.
//!
//! **Hosts.** [`SANDBOX_BASE_URL`] (from METRO's examples, over HTTPS) and
//! [`PRODUCTION_BASE_URL`] (a guess from METRO's host naming: METRO sends production
//! endpoints after the sandbox certification; check it against them); any other with
//! [`ClientBuilder::base_url`].
//!
//! **Signing.** Every request carries `X-Client-Id`, `X-Timestamp` and `X-Signature`
//! (see [`MetroHmac`]; lower-case hex by default, [`SignatureEncoding::Base64`] as a
//! switch because METRO's documentation contradicts itself). A subscription is bound
//! to the key pair: after rotating keys, subscribe again.
//!
//! **Errors** are problem details. [`Error::code`] is the `title`
//! (`Subscription not found`, `Validation error`, `Authorization error`) and
//! [`Error::message`] the most specific text: `detail.errors[0]` on 401 (where
//! `detail` is an object), the first `invalidParams[].reason` on 412, else `detail`
//! or `title`. Validation errors are 412, not 400/422.

marketplace_runtime::include_generated_client!();

pub use marketplace_runtime::{
    Auth, ClientBuilder, ConfigError, Error, MetroHmac, Result, RetryPolicy, SignatureEncoding,
};
