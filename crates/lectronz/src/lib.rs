//! Typed client for the [Lectronz](https://lectronz.com) API v1: the messages a store
//! exchanges with its customers about orders.
//!
//! Generated at build time from `specs/lectronz.yaml`; this file adds only the
//! Lectronz-specific way to authenticate. Every operation is a builder:
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

impl Client {
    /// A builder for a client of Lectronz production ([`DEFAULT_BASE_URL`],
    /// `https://lectronz.com`) that authenticates with the store owner's API key
    /// (`Authorization: Bearer`). Use [`ClientBuilder::base_url`] to point it
    /// elsewhere: like every client's, the base URL is `scheme://host[:port]`
    /// without `/api/v1`, which the request paths carry.
    pub fn builder(api_key: impl Into<String>) -> ClientBuilder<Client> {
        ClientBuilder::new(DEFAULT_BASE_URL, Auth::bearer(api_key))
    }
}
