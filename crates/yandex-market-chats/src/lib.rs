//! Typed client for the chat methods of the [Yandex Market Partner
//! API](https://yandex.ru/dev/market/partner-api/doc/): a seller's chats with buyers
//! about orders and returns, their history, and sending text and files into them.
//!
//! Generated at build time from `specs/yandex-market-chats.yaml`; this file adds the
//! Yandex constructors and what the spec cannot express:
//!
//! * [`Client::chats`] and [`Client::chat_history`] stream every page, following
//!   `result.paging.nextPageToken`;
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
//! let chats = client.chats(BUSINESS_ID, waiting, 20);
//! futures::pin_mut!(chats);
//! while let Some(chat) = chats.try_next().await? {
//!     let history = client.chat_history(BUSINESS_ID, chat.chat_id, Default::default(), 100);
//!     let messages: Vec<types::ChatMessage> = history.try_collect().await?;
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
//! ([`ConcurrencyLimit::per_path_segment_after`]). Most chat reads are `POST`s,
//! which the retry policy does not retry after they reach the server.
//!
//! **Validation before sending.** [`Client::send_message`] (and the generated
//! `send_message_to_chat` with a [`types::SendMessageToChatRequest`] built from
//! text) rejects an empty message or one over 4,096 characters; the streams reject
//! a page size outside the vendor's range; [`Client::send_file_to_chat`] rejects a
//! file over 5 MiB. Each fails with [`Error::is_invalid_request`] and sends nothing.
//! The generated builders' `limit` setters reject 0 but not a value over the
//! maximum (the code generator does not enforce `maximum`): Yandex answers 400.

marketplace_runtime::include_generated_client!();

pub mod handwritten;

pub use handwritten::ChatFile;
pub use marketplace_runtime::{Auth, ClientBuilder, ConcurrencyLimit, Error, Result, RetryPolicy};

use std::num::NonZeroU64;

use futures::Stream;
use marketplace_runtime::pagination::{Page, paginate};

/// The most chats [`Client::get_chats`] returns per page (vendor `limit` maximum).
pub const MAX_CHATS_PAGE_SIZE: u32 = 20;
/// The most messages [`Client::get_chat_history`] returns per page.
pub const MAX_HISTORY_PAGE_SIZE: u32 = 100;
/// The longest text message, in characters (Unicode scalar values).
pub const MAX_MESSAGE_CHARS: usize = 4096;
/// Requests Yandex allows in flight at once per cabinet (business).
pub const MAX_PARALLEL_REQUESTS_PER_BUSINESS: usize = 4;

impl Client {
    /// A builder for a client of the Yandex Market Partner API ([`DEFAULT_BASE_URL`])
    /// that sends an API-Key token (`Api-Key: <token>`, see [`Auth::yandex_api_key`])
    /// and runs at most [`MAX_PARALLEL_REQUESTS_PER_BUSINESS`] requests per cabinet
    /// at once. Use [`ClientBuilder::base_url`] to point it elsewhere
    /// (`scheme://host[:port]`, like every client's: the request paths carry `/v2`).
    pub fn builder(api_key: impl Into<String>) -> ClientBuilder<Client> {
        Client::builder_with(Auth::yandex_api_key(api_key))
    }

    /// Like [`Client::builder`], with an OAuth token of the `market:partner-api`
    /// scope (`Authorization: Bearer <token>`, see [`Auth::yandex_oauth`]).
    pub fn builder_oauth(token: impl Into<String>) -> ClientBuilder<Client> {
        Client::builder_with(Auth::yandex_oauth(token))
    }

    fn builder_with(auth: Auth) -> ClientBuilder<Client> {
        ClientBuilder::new(DEFAULT_BASE_URL, auth).concurrency_limit(
            ConcurrencyLimit::per_path_segment_after(
                "businesses",
                MAX_PARALLEL_REQUESTS_PER_BUSINESS,
            ),
        )
    }

    /// Every chat of cabinet `business_id` that matches `filter`, as one stream
    /// that requests `page_size` chats (1 to [`MAX_CHATS_PAGE_SIZE`]) at a time,
    /// lazily, following `result.paging.nextPageToken`.
    ///
    /// The stream ends after a page without a next-page token, after an empty page,
    /// and after a page without `result`. A page size out of range or an id of 0
    /// fails with [`Error::is_invalid_request`] before any request; a next-page
    /// token equal to the one just used yields an error instead of a loop.
    ///
    /// ```no_run
    /// # use futures::TryStreamExt;
    /// # use marketplace_yandex_market_chats::types;
    /// # async fn demo(client: marketplace_yandex_market_chats::Client) -> marketplace_yandex_market_chats::Result<()> {
    /// let disputes: Vec<types::ChatInfo> = client
    ///     .chats(12345, types::GetChatsRequest {
    ///         types: Some(vec![types::ChatType::Arbitrage]),
    ///         ..Default::default()
    ///     }, 20)
    ///     .try_collect()
    ///     .await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn chats(
        &self,
        business_id: impl TryInto<NonZeroU64>,
        filter: types::GetChatsRequest,
        page_size: u32,
    ) -> impl Stream<Item = Result<types::ChatInfo>> + '_ {
        // The page size is checked against the spec's range by the generated client,
        // before the first request.
        let checked = id(business_id, "businessId");
        paginate(Token::First, move |token: Token| {
            let filter = filter.clone();
            let checked = checked.clone();
            async move {
                let business_id = checked.map_err(Error::invalid_request)?;
                let mut request = self
                    .get_chats()
                    .business_id(business_id)
                    .limit(page_size)
                    .body(filter);
                if let Some(token) = token.at()? {
                    request = request.page_token(token);
                }
                let page = request.send().await?.into_inner().result;
                let (items, paging) = page.map_or((Vec::new(), None), |p| (p.chats, p.paging));
                Ok(token.next(items, paging))
            }
        })
    }

    /// Every message of chat `chat_id` in cabinet `business_id`, starting where
    /// `start` says (`Default::default()` for the beginning), as one stream that
    /// requests `page_size` messages (1 to [`MAX_HISTORY_PAGE_SIZE`]) at a time,
    /// following `result.paging.nextPageToken`. Ends and fails like
    /// [`Client::chats`].
    ///
    /// ```no_run
    /// # use futures::TryStreamExt;
    /// # use marketplace_yandex_market_chats::types;
    /// # async fn demo(client: marketplace_yandex_market_chats::Client) -> marketplace_yandex_market_chats::Result<()> {
    /// let since = types::GetChatHistoryRequest { message_id_from: Some(1001.try_into().unwrap()) };
    /// let messages: Vec<types::ChatMessage> =
    ///     client.chat_history(12345, 42, since, 100).try_collect().await?;
    /// for message in &messages {
    ///     let files = message.payload.as_deref().unwrap_or_default();
    ///     println!("{}: {:?} ({} file(s))", message.sender, message.message, files.len());
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn chat_history(
        &self,
        business_id: impl TryInto<NonZeroU64>,
        chat_id: impl TryInto<NonZeroU64>,
        start: types::GetChatHistoryRequest,
        page_size: u32,
    ) -> impl Stream<Item = Result<types::ChatMessage>> + '_ {
        let checked = id(business_id, "businessId").and_then(|b| Ok((b, id(chat_id, "chatId")?)));
        paginate(Token::First, move |token: Token| {
            let start = start.clone();
            let checked = checked.clone();
            async move {
                let (business_id, chat_id) = checked.map_err(Error::invalid_request)?;
                let mut request = self
                    .get_chat_history()
                    .business_id(business_id)
                    .chat_id(chat_id)
                    .limit(page_size)
                    .body(start);
                if let Some(token) = token.at()? {
                    request = request.page_token(token);
                }
                let page = request.send().await?.into_inner().result;
                let (items, paging) = page.map_or((Vec::new(), None), |p| (p.messages, p.paging));
                Ok(token.next(items, paging))
            }
        })
    }

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

/// Where a token-paged stream is.
#[derive(Clone, Debug, PartialEq)]
enum Token {
    /// The first page: no `pageToken`.
    First,
    /// The page at this token.
    At(String),
    /// The previous page named a next page that cannot be requested: why.
    Unusable(String),
}

impl Token {
    /// The `pageToken` to send, or the error that ends the stream.
    fn at(&self) -> Result<Option<&str>> {
        match self {
            Token::First => Ok(None),
            Token::At(token) => Ok(Some(token)),
            Token::Unusable(reason) => Err(Error::invalid_request(reason.clone())),
        }
    }

    /// The page fetched at `self`: its items and where to go next. An empty page,
    /// or one without a (non-empty) token, is the last; a token equal to the one
    /// just used cannot be followed (it would request the same page forever).
    fn next<T>(
        &self,
        items: Vec<T>,
        paging: Option<types::ForwardScrollingPager>,
    ) -> Page<T, Token> {
        let next = match paging.and_then(|p| p.next_page_token) {
            None => None,
            Some(_) if items.is_empty() => None,
            Some(next) if next.is_empty() => None,
            Some(next) if matches!(self, Token::At(used) if *used == next) => {
                Some(Token::Unusable(format!(
                    "Yandex Market returned the page token just used ({next:?}) as the next \
                     page; stopping instead of requesting the same page again"
                )))
            }
            Some(next) => Some(Token::At(next)),
        };
        Page { items, next }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pager(token: Option<&str>) -> Option<types::ForwardScrollingPager> {
        Some(types::ForwardScrollingPager {
            next_page_token: token.map(str::to_owned),
        })
    }

    #[test]
    fn the_next_token_is_followed_until_a_page_has_none() {
        let page = Token::First.next(vec![1], pager(Some("t2")));
        assert_eq!(page.next, Some(Token::At("t2".into())));
        assert_eq!(Token::At("t2".into()).next(vec![2], pager(None)).next, None);
        assert_eq!(Token::At("t2".into()).next(vec![2], None).next, None);
        assert_eq!(Token::First.next(vec![1], pager(Some(""))).next, None);
    }

    #[test]
    fn an_empty_page_ends_the_stream_even_with_a_token() {
        let page = Token::First.next(Vec::<u8>::new(), pager(Some("t2")));
        assert_eq!(page.next, None);
    }

    #[test]
    fn a_repeated_token_becomes_an_error_not_a_loop() {
        let page = Token::At("same".into()).next(vec![1], pager(Some("same")));
        let Some(next) = page.next else {
            panic!("expected an unusable token")
        };
        let err = next.at().unwrap_err();
        assert!(err.is_invalid_request());
        assert!(err.to_string().contains("\"same\""), "{err}");
    }

    #[test]
    fn ids_are_checked() {
        assert_eq!(id(7u64, "chatId").unwrap().get(), 7);
        assert!(id(0u64, "chatId").unwrap_err().contains("`chatId`"));
        assert_eq!(id(NonZeroU64::MIN, "businessId").unwrap(), NonZeroU64::MIN);
    }
}
