//! The unified inbox's model and storage interface.
//!
//! One model for the seller-to-buyer conversations of Lectronz, METRO Markets,
//! SkyHub/Americanas and Yandex Market ([`Thread`], [`Message`], [`ThreadId`],
//! [`MessageId`]), what each marketplace can do ([`Capabilities`], [`Unsupported`]), and
//! the [`Store`] trait its backends implement (`marketplace-inbox-sqlite` is the
//! embedded one). This crate depends on no client crate: mapping client types into the
//! model is the sync engine's job.
//!
//! Every value is `serde` (de)serializable and has a JSON Schema:
//!
//! ```
//! let schema = schemars::schema_for!(marketplace_inbox_store::Thread);
//! let json = serde_json::to_value(&schema).unwrap();
//! assert_eq!(json["definitions"]["ThreadId"]["type"], "string");
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod capabilities;
mod id;
mod model;
mod store;

pub use capabilities::{
    Action, AttachmentCapabilities, Capabilities, MarkRead, Unsupported, UnsupportedReason,
};
pub use id::{Account, IdError, Marketplace, MessageId, ThreadId, VendorThread};
pub use model::{
    Attachment, AuthorRole, Authored, Message, MessageFacts, OrderRef, Status, StatusKind, Thread,
    awaiting_reply_since,
};
pub use store::{
    ApplyReport, Change, ChangeKind, Checkpoint, ItemVersion, NewReply, OutboxEntry, OutboxId,
    OutboxState, OutgoingAttachment, Page, PurgeReport, Result, Retention, Store, StoreError,
    ThreadFilter,
};
