//! Typed client for the [Lectronz](https://lectronz.com) API v1: the messages a store
//! exchanges with its customers about orders.
//!
//! Generated at build time from `specs/lectronz.yaml`; this file adds only the
//! Lectronz-specific way to authenticate. Every operation is a builder:
//! `client.<operation>()`, then its parameters, then `.send().await`.
//!
//! ```no_run
//! use marketplace_lectronz::{Client, types};
//!
//! # async fn demo() -> Result<(), marketplace_lectronz::Error> {
//! let client = Client::builder("my-store-api-key").build()?;
//!
//! // Newest first; unread customer messages have no `read_at`.
//! let page = client.list_messages().limit(20u64).offset(0u64).send().await?;
//! for summary in &page.messages {
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

use futures::Stream;
use marketplace_runtime::pagination::{Page, paginate};

impl Client {
    /// Every message, newest first, as a stream that fetches `page_size` messages
    /// per request (offset paging) until `total_count` is reached.
    ///
    /// ```no_run
    /// # use futures::TryStreamExt;
    /// # async fn demo(client: marketplace_lectronz::Client) -> marketplace_lectronz::Result<()> {
    /// let all: Vec<_> = client.messages(50.try_into().unwrap()).try_collect().await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn messages(
        &self,
        page_size: std::num::NonZeroU64,
    ) -> impl Stream<Item = Result<types::MessageSummary>> + '_ {
        paginate(0i64, move |offset| async move {
            let page = self
                .list_messages()
                .limit(page_size)
                .offset(offset)
                .send()
                .await?
                .into_inner();
            let fetched = i64::try_from(page.messages.len()).unwrap_or(i64::MAX);
            let next = offset.saturating_add(fetched);
            // Stop on the last page, and on an empty page (a shrinking list must not loop).
            let more = fetched > 0 && next < page.total_count;
            Ok(Page {
                items: page.messages,
                next: more.then_some(next),
            })
        })
    }

    /// A builder for a client of Lectronz production ([`DEFAULT_BASE_URL`],
    /// `https://lectronz.com`) that authenticates with the store owner's API key
    /// (`Authorization: Bearer`). Use [`ClientBuilder::base_url`] to point it
    /// elsewhere: like every client's, the base URL is `scheme://host[:port]`
    /// without `/api/v1`, which the request paths carry.
    pub fn builder(api_key: impl Into<String>) -> ClientBuilder<Client> {
        ClientBuilder::new(DEFAULT_BASE_URL, Auth::bearer(api_key))
    }
}
