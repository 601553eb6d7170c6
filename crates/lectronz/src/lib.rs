//! Typed client for the [Lectronz](https://lectronz.com) API v1: the messages a store
//! exchanges with its customers about orders.
//!
//! Generated at build time from `specs/lectronz.yaml`; its constructor
//! ([`Client::builder`]) comes from the spec's `x-marketplace`. Every operation is a builder:
//! `client.<operation>()`, then its parameters, then `.send().await`; the list
//! (`list_messages`) also streams every page (`.by_page()`) or every item
//! (`.by_item()`), with the builder's parameters.
//!
//! ```no_run
//! use futures::TryStreamExt;
//! use marketplace_lectronz::{Client, types};
//!
//! # async fn demo() -> Result<(), marketplace_lectronz::Error> {
//! let client = Client::builder("my-store-api-key").build()?;
//!
//! // Newest first, 20 per request; unread customer messages have no `read_at`.
//! let mut messages = client.list_messages().limit(20u64).by_item();
//! while let Some(summary) = messages.try_next().await? {
//!     let message = client.get_message().id(summary.id).send().await?;
//!     if message.read_at.is_none() && message.type_ == types::MessageType::CustomerOrderMessage {
//!         client.mark_message_as_read().id(message.id).send().await?;
//!         client
//!             .create_message()
//!             .body(types::MessageCreate {
//!                 content: "Thanks, we are on it!".into(),
//!                 type_: types::MessageType::SellerOrderMessage,
//!                 subject: types::MessageSubjectRef {
//!                     id: message.subject.id,
//!                     type_: types::SubjectType::Order,
//!                 },
//!             })
//!             .send()
//!             .await?;
//!     }
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Errors: every call's error converts into [`Error`], which exposes the HTTP
//! status, Lectronz's `errors[0].title` as [`Error::code`] and `detail` as
//! [`Error::message`].

marketplace_runtime::include_generated_client!();

pub use marketplace_runtime::{Auth, ClientBuilder, Error, Result, RetryPolicy};
