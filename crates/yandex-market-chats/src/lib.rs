//! Typed client for the chat methods of the [Yandex Market Partner
//! API](https://yandex.ru/dev/market/partner-api/doc/): a seller's chats with buyers
//! about orders and returns, their history, and sending text and files into them.
//!
//! Generated at build time from `specs/yandex-market-chats.yaml`; the lists
//! (`get_chats`, `get_chat_history`) stream every page (`.by_page()`) or every item
//! (`.by_item()`) with the builder's filters, following
//! `result.paging.nextPageToken`. This file adds the Yandex constructors and what
//! the spec cannot express:
//!
//! * [`Client::send_message`] sends a text message after checking its length;
//! * [`Client::send_file_to_chat`] (in [`handwritten`]) sends a file as
//!   `multipart/form-data`, which progenitor cannot generate.
//!
//! ```no_run
//! use futures::TryStreamExt;
//! use marketplace_yandex_market_chats::{Client, types};
//!
//! # async fn demo() -> Result<(), marketplace_yandex_market_chats::Error> {
//! const BUSINESS_ID: u64 = 12345;
//! let client = Client::builder("my-api-key-token").build()?;
//!
//! // Every chat waiting for the store's answer, 20 per request.
//! let waiting = types::GetChatsRequest {
//!     statuses: Some(vec![types::ChatStatusType::WaitingForPartner]),
//!     ..Default::default()
//! };
//! let mut chats = client
//!     .get_chats()
//!     .business_id(BUSINESS_ID)
//!     .limit(20u32)
//!     .body(waiting)
//!     .by_item();
//! while let Some(chat) = chats.try_next().await? {
//!     let messages: Vec<types::ChatMessage> = client
//!         .get_chat_history()
//!         .business_id(BUSINESS_ID)
//!         .chat_id(chat.chat_id)
//!         .limit(100u32)
//!         .body(types::GetChatHistoryRequest::default())
//!         .by_item()
//!         .try_collect()
//!         .await?;
//!     if let Some(last) = messages.last() {
//!         println!("chat {}: {:?}", chat.chat_id, last.message);
//!     }
//!     client
//!         .send_message(BUSINESS_ID, chat.chat_id, "Hello! Your order ships today.")
//!         .await?;
//! }
//!
//! // Open (or find) the chat about an order.
//! let created = client
//!     .create_chat()
//!     .business_id(BUSINESS_ID)
//!     .body(types::CreateChatRequest {
//!         context: Some(types::ChatContext {
//!             type_: types::ChatContextIdentifiableType::Order,
//!             id: 987654321.try_into().unwrap(),
//!         }),
//!         order_id: None,
//!     })
//!     .send()
//!     .await?;
//! if let Some(result) = &created.result {
//!     println!("chat {}", result.chat_id);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! **Authentication.** [`Client::builder`] takes an API-Key token (the `Api-Key`
//! header; create it in the seller cabinet with the `communication` scope);
//! [`Client::builder_oauth`] an OAuth token, which Yandex calls outdated.
//!
//! **Envelope.** Every answer is `{status, result}`; `result` is optional in the
//! vendor's schema, so the generated types have `Option` results.
//!
//! **Errors** are `{"status": "ERROR", "errors": [{"code", "message"}]}`:
//! [`Error::code`] and [`Error::message`] are the first error's.
//!
//! **Limits.** Each method has an hourly quota (documented on each operation).
//! Beyond it Yandex answers 420, which [`Error::is_rate_limited`] reports, with
//! [`Error::retry_after`] read from `X-RateLimit-Resource-Until` when
//! `X-RateLimit-Resource-Remaining` is 0. At most 4 requests per cabinet may run at
//! once; [`Client::builder`] queues callers beyond that
//! ([`ConcurrencyLimit::per_path_segment_after`]). The chat list and a chat's
//! history are read with `POST`s that the spec declares `x-idempotent`, so they are
//! retried like `GET`s (after a 420, at the end of the quota window); sending a
//! message or a file is never retried once it may have reached Yandex.
//!
//! **Validation before sending.** [`Client::send_message`] (and the generated
//! `send_message_to_chat` with a [`types::SendMessageToChatRequest`] built from
//! text) rejects an empty message or one over 4,096 characters; a `limit` outside
//! the range the spec gives (1 to 20 chats, 1 to 100 messages), on a single call or
//! a stream, is rejected before its first request; [`Client::send_file_to_chat`]
//! rejects a file over 5 MiB. Each fails with [`Error::is_invalid_request`] and
//! sends nothing.

marketplace_runtime::include_generated_client!();

pub mod handwritten;

pub use handwritten::ChatFile;
pub use marketplace_runtime::{Auth, ClientBuilder, ConcurrencyLimit, Error, Result, RetryPolicy};

use std::num::NonZeroU64;

/// The longest text message, in characters (Unicode scalar values).
pub const MAX_MESSAGE_CHARS: usize = 4096;
impl Client {
    /// Sends the text `message` to chat `chat_id` of cabinet `business_id`.
    ///
    /// An empty message, one over [`MAX_MESSAGE_CHARS`] characters, or an id of 0
    /// fails with [`Error::is_invalid_request`] and sends nothing.
    ///
    /// ```no_run
    /// # async fn demo(client: marketplace_yandex_market_chats::Client) -> marketplace_yandex_market_chats::Result<()> {
    /// client.send_message(12345, 42, "Your parcel is at the pickup point.").await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send_message(
        &self,
        business_id: impl TryInto<NonZeroU64>,
        chat_id: impl TryInto<NonZeroU64>,
        message: impl Into<String>,
    ) -> Result<()> {
        let business_id = id(business_id, "businessId").map_err(Error::invalid_request)?;
        let chat_id = id(chat_id, "chatId").map_err(Error::invalid_request)?;
        let message: String = message.into();
        let chars = message.chars().count();
        let message = types::SendMessageToChatRequestMessage::try_from(message).map_err(|e| {
            Error::invalid_request(format!(
                "a Yandex Market chat message is 1 to {MAX_MESSAGE_CHARS} characters; \
                 this one has {chars} ({e})"
            ))
        })?;
        self.send_message_to_chat()
            .business_id(business_id)
            .chat_id(chat_id)
            .body(types::SendMessageToChatRequest { message })
            .send()
            .await?;
        Ok(())
    }
}

/// `value` as a positive id, or why it is not one (naming the parameter).
pub(crate) fn id(value: impl TryInto<NonZeroU64>, name: &str) -> Result<NonZeroU64, String> {
    value
        .try_into()
        .map_err(|_| format!("`{name}` must be a positive integer (at least 1)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_checked() {
        assert_eq!(id(7u64, "chatId").unwrap().get(), 7);
        assert!(id(0u64, "chatId").unwrap_err().contains("`chatId`"));
        assert_eq!(id(NonZeroU64::MIN, "businessId").unwrap(), NonZeroU64::MIN);
    }
}
