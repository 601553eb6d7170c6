//! Typed client for [METRO Markets](https://developer.metro-selleroffice.com)' Message
//! Center: the chats between a seller and the buyers of its orders.
//!
//! Generated at build time from `specs/metro-message-center.yaml`; this file adds the
//! METRO constructors (sandbox, production, signed requests), and [`handwritten`]
//! adds the file upload (a multipart request, which the generator does not
//! produce). Every operation is a builder: `client.<operation>()`, then its
//! parameters, then `.send().await`; the lists (`list_chats`, `list_chat_messages`)
//! also stream every page (`.by_page()`) or every item (`.by_item()`), with the
//! builder's filters.
//!
//! ```no_run
//! use futures::TryStreamExt;
//! use marketplace_metro_message_center::{Client, types};
//!
//! # async fn demo() -> Result<(), marketplace_metro_message_center::Error> {
//! let client = Client::sandbox("my-client-key", "my-client-secret").build()?;
//!
//! // Chats with a buyer message the seller has not seen yet.
//! let unseen = client.count_unseen_chats().send().await?;
//! println!("{} chats to answer", unseen.data.count);
//!
//! let mut chats = client.list_chats().limit(50u64).by_item();
//! while let Some(chat) = chats.try_next().await? {
//!     if chat.is_seen {
//!         continue;
//!     }
//!     // Reading the messages marks the buyer's messages as seen.
//!     let messages = client.list_chat_messages().chat_id(&chat.id).send().await?;
//!     println!("{}: {} messages", chat.order.order_number, messages.data.len());
//!
//!     // Attach a file: upload it first, then send its reference.
//!     let invoice = client
//!         .upload_file(
//!             &chat.order.id,
//!             "invoice.pdf",
//!             types::AttachmentFileType::ApplicationPdf,
//!             std::fs::read("invoice.pdf").unwrap_or_default(),
//!         )
//!         .await?
//!         .into_inner()
//!         .data;
//!     client
//!         .send_message()
//!         .chat_id(&chat.id)
//!         .body(types::MessageCreate {
//!             content: "Here is your invoice.".into(),
//!             attachments: vec![invoice],
//!         })
//!         .send()
//!         .await?;
//! }
//!
//! // Open a chat about an order (its id, not its number).
//! let chat = client
//!     .create_chat()
//!     .order_id("9e159b23-5585-4482-b078-9a9e1db2b252")
//!     .body(types::ChatCreate {
//!         subject: "OTHERS".into(),
//!         custom_subject: Some("Your delivery".into()),
//!     })
//!     .send()
//!     .await?;
//! assert_eq!(chat.data.status, types::ChatStatus::Draft);
//! # Ok(())
//! # }
//! ```
//!
//! **Hosts.** [`SANDBOX_BASE_URL`] (confirmed by METRO's examples, and the default),
//! [`PRODUCTION_BASE_URL`] (inferred from METRO's host naming: METRO sends the
//! production endpoints after the sandbox certification; check it against them) and
//! [`PREPRODUCTION_BASE_URL`]; any other with [`ClientBuilder::base_url`].
//!
//! **Signing.** Every request carries `X-Client-Id`, `X-Timestamp` and `X-Signature`
//! (see [`MetroHmac`]). Signatures are lower-case hex by default; METRO's prose says
//! base64 while its own sample and the production clients use hex. To switch, or to
//! inject a clock:
//!
//! ```
//! use marketplace_metro_message_center::{
//!     Auth, Client, ClientBuilder, MetroHmac, SANDBOX_BASE_URL, SignatureEncoding,
//! };
//!
//! let auth = MetroHmac::new("my-client-key", "my-client-secret").encoding(SignatureEncoding::Base64);
//! let client: Client = ClientBuilder::new(SANDBOX_BASE_URL, Auth::from(auth)).build()?;
//! # Ok::<(), marketplace_metro_message_center::ConfigError>(())
//! ```
//!
//! **Envelope.** Every answer is `{status, message, data, metadata}`; the generated
//! types keep it (`response.data` is the payload). `metadata` is
//! [`types::EmptyMetadata`] (`[]`) on single objects and
//! [`types::PaginationMetadata`] on lists.
//!
//! **Errors.** Every call's error converts into [`Error`]: 401 (signature invalid or
//! missing: [`Error::is_auth`]), 404 (unknown chat or order), 422 (validation, the
//! per-field messages in [`Error::body`]). [`Error::message`] is METRO's `message`;
//! METRO sends no error codes, so [`Error::code`] is `None`.

marketplace_runtime::include_generated_client!();

pub mod handwritten;

pub use marketplace_runtime::{
    Auth, ClientBuilder, ConfigError, Error, MetroHmac, Result, RetryPolicy, SignatureEncoding,
};
