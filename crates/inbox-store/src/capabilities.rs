//! What each marketplace can do, as data, and the typed error for what it cannot.
//!
//! Every value cites its source key from the project's inbox mapping note (kept
//! outside the repository; §2 and §5): `[S0]`–`[S4]` vendor pages, `[MC]`,
//! `[SK]`, `[LZ]`, `[YC]` the project's specs, `[R-…]` research notes, `[V-PA:…]`/`[V-NA:…]`
//! Yandex's own OpenAPI. "Not documented" is `None` (limits) or `false` (actions).

use schemars::JsonSchema;
use serde::Serialize;

use crate::id::Marketplace;

/// An action the inbox may be asked to perform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Open a new thread with a buyer.
    StartThread,
    /// Reply with text.
    ReplyText,
    /// Send a file.
    SendAttachment,
    /// Mark a buyer's messages read explicitly.
    MarkRead,
    /// Mark a thread unread again.
    MarkUnread,
    /// Change a thread's status (archive).
    ChangeStatus,
    /// Receive pushed chat events instead of polling.
    PushNotifications,
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Action::StartThread => "start a thread",
            Action::ReplyText => "reply with text",
            Action::SendAttachment => "send an attachment",
            Action::MarkRead => "mark read",
            Action::MarkUnread => "mark unread",
            Action::ChangeStatus => "change a thread's status",
            Action::PushNotifications => "push chat notifications",
        })
    }
}

/// How (if at all) the seller's read state can be set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MarkRead {
    /// No documented way.
    No,
    /// Only as a side effect: reading a thread's history (or replying) marks every
    /// buyer message seen. A sync must not read histories it does not need.
    Implicit,
    /// Explicitly, per thread.
    PerThread,
    /// Explicitly, per message.
    PerMessage,
}

/// Sending attachments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub struct AttachmentCapabilities {
    /// Whether the seller can send files at all.
    pub send: bool,
    /// Largest file in bytes (`None`: not documented).
    pub max_bytes: Option<u64>,
    /// Most files per message (`None`: not documented).
    pub max_per_message: Option<u32>,
    /// Accepted media types (`None`: not documented).
    pub content_types: Option<&'static [&'static str]>,
    /// Whether a file is a message of its own, separate from the text.
    pub separate_message: bool,
    /// Whether received messages can carry attachments (documented field).
    pub receive: bool,
}

/// One marketplace's documented capabilities. Query with [`Capabilities::of`].
///
/// ```
/// use marketplace_inbox_store::{Action, Capabilities, Marketplace};
///
/// let yandex = Capabilities::of(Marketplace::Yandex);
/// assert_eq!(yandex.text_max_chars, Some(4096));
/// assert!(yandex.supports(Action::PushNotifications));
///
/// let err = Capabilities::of(Marketplace::Skyhub).check(Action::StartThread).unwrap_err();
/// assert_eq!(err.to_string(), "skyhub cannot start a thread (not offered by its API)");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Capabilities {
    /// The marketplace.
    pub marketplace: Marketplace,
    /// Whether the seller can open a thread.
    pub start_thread: bool,
    /// Whether the seller can reply with text.
    pub reply_text: bool,
    /// Longest text in characters (`None`: not documented).
    pub text_max_chars: Option<u32>,
    /// Sending files.
    pub attachments: AttachmentCapabilities,
    /// Setting the seller's read state.
    pub mark_read: MarkRead,
    /// Whether a thread can be marked unread again.
    pub mark_unread: bool,
    /// Whether the seller can change a thread's status (archive).
    pub change_status: bool,
    /// Whether the marketplace pushes chat events (new thread, new message).
    pub push_notifications: bool,
    /// Whether the seller receives read receipts for its own messages.
    pub read_receipts: bool,
}

/// METRO's accepted attachment types [R-MC, MC].
const METRO_TYPES: &[&str] = &[
    "image/png",
    "image/jpg",
    "image/jpeg",
    "application/pdf",
    "application/vnd.ms-excel",
    "application/msword",
    "application/vnd.ms-word",
    "text/plain",
];

const LECTRONZ: Capabilities = Capabilities {
    marketplace: Marketplace::Lectronz,
    // Implicitly: create_message on an order (seller_order_message) [S4, LZ, R-LZ].
    start_thread: true,
    // create_message, 201 [S4].
    reply_text: true,
    // Max length not documented [S4].
    text_max_chars: None,
    attachments: AttachmentCapabilities {
        // "It is currently not possible to add an attachment to a message" [S4].
        send: false,
        max_bytes: None,
        max_per_message: None,
        content_types: None,
        separate_message: false,
        // One optional `attachment {url, filename, content_type}` per message [S4].
        receive: true,
    },
    // mark_message_as_read, per message, only customer_order_message [S4].
    mark_read: MarkRead::PerMessage,
    // Mark unread: not documented [S4].
    mark_unread: false,
    // Archive: not documented [S4].
    change_status: false,
    // "No webhooks or push notifications are documented" [R-LZ].
    push_notifications: false,
    // read_at on a seller_order_message is the buyer's read receipt [S4].
    read_receipts: true,
};

const METRO: Capabilities = Capabilities {
    marketplace: Marketplace::Metro,
    // create_chat (POST /openapi/v1/orders/{orderId}/chats), DRAFT until the first message [S0, MC].
    start_thread: true,
    // send_message, 201 returns the Message [MC].
    reply_text: true,
    // Max length not documented [MC].
    text_max_chars: None,
    attachments: AttachmentCapabilities {
        // upload_file, then send_message with attachments [R-MC, MC].
        send: true,
        // At most 10 MB per file [R-MC, MC].
        max_bytes: Some(10 * 1024 * 1024),
        // At most 10 attachments per message [R-MC, MC].
        max_per_message: Some(10),
        // Eight allowed types [R-MC, MC].
        content_types: Some(METRO_TYPES),
        // Files ride on the text message [MC].
        separate_message: false,
        // Messages carry `attachments` [MC].
        receive: true,
    },
    // Implicit only: list_chat_messages/send_message mark all BUYER messages seen [R-MC] (M3).
    mark_read: MarkRead::Implicit,
    // No mark-unread [R-MC].
    mark_unread: false,
    // Archive/close: not documented [R-MC, MC].
    change_status: false,
    // Only order events, no chat events [S2, R-ES].
    push_notifications: false,
    // Message `seenAt` [S0, R-MC].
    read_receipts: true,
};

const SKYHUB: Capabilities = Capabilities {
    marketplace: Marketplace::Skyhub,
    // Starting a ticket or chat: not documented [S1].
    start_thread: false,
    // reply_to_chat on CUSTOMER_SELLER or B2W_SELLER (CUSTOMER_B2W is read-only) [S1, SK].
    reply_text: true,
    // Max length not documented [S1].
    text_max_chars: None,
    attachments: AttachmentCapabilities {
        // Only messageType TEXT_MESSAGE is documented [S1].
        send: false,
        max_bytes: None,
        max_per_message: None,
        content_types: None,
        separate_message: false,
        // Received messages have no attachment field [S1].
        receive: false,
    },
    // update_chat_status {status: READ} per parts, 204 [S1].
    mark_read: MarkRead::PerThread,
    // update_chat_status {status: UNREAD} [S1].
    mark_unread: true,
    // update_chat_status {status: ARCHIVED} [S1].
    change_status: true,
    // No push documented [R-SK].
    push_notifications: false,
    // No read field on messages [S1].
    read_receipts: false,
};

const YANDEX: Capabilities = Capabilities {
    marketplace: Marketplace::Yandex,
    // createChat (ORDER or RETURN context; returns the existing chat), 1000/h [S3, V-PA].
    start_thread: true,
    // sendMessageToChat, 1000/h, answer {status: OK} with no messageId [V-PA].
    reply_text: true,
    // 1–4096 characters [V-PA:SendMessageToChatRequest].
    text_max_chars: Some(4096),
    attachments: AttachmentCapabilities {
        // sendFileToChat, one multipart file per call [V-PA:SendFileToChatRequest].
        send: true,
        // At most 5 MB per file [V-PA:SendFileToChatRequest].
        max_bytes: Some(5 * 1024 * 1024),
        // One file per call, each its own message [V-PA].
        max_per_message: Some(1),
        // Allowed file types: not documented.
        content_types: None,
        // Text and file are separate calls, so separate messages [V-PA].
        separate_message: true,
        // payload[] {name, url, size} [V-PA:ChatMessagePayloadDTO].
        receive: true,
    },
    // Read state: not documented, nothing settable [V-PA paths].
    mark_read: MarkRead::No,
    mark_unread: false,
    // Market sets `status`; nothing settable [V-PA paths].
    change_status: false,
    // CHAT_CREATED, CHAT_MESSAGE_SENT (not for stickers), CHAT_ARBITRAGE_* [V-NA].
    push_notifications: true,
    // No read field documented [V-PA].
    read_receipts: false,
};

/// Why an action cannot be done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum UnsupportedReason {
    /// The marketplace's API offers no such action.
    NotOffered,
    /// This thread is read-only for the seller (SkyHub `CUSTOMER_B2W`).
    ReadOnlyThread,
    /// The text is empty.
    EmptyText,
    /// The text is longer than the marketplace accepts.
    TextTooLong {
        /// Characters given.
        chars: usize,
        /// Characters accepted.
        max: u32,
    },
    /// A file is larger than the marketplace accepts.
    FileTooLarge {
        /// Bytes given.
        bytes: u64,
        /// Bytes accepted.
        max: u64,
    },
    /// A file's media type is not accepted.
    ContentType {
        /// The type given.
        content_type: String,
    },
    /// More files than one message may carry.
    TooManyAttachments {
        /// Files given.
        count: usize,
        /// Files accepted.
        max: u32,
    },
}

impl std::fmt::Display for UnsupportedReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UnsupportedReason::NotOffered => f.write_str("not offered by its API"),
            UnsupportedReason::ReadOnlyThread => f.write_str("the thread is read-only"),
            UnsupportedReason::EmptyText => f.write_str("the text is empty"),
            UnsupportedReason::TextTooLong { chars, max } => {
                write!(f, "{chars} characters, at most {max} accepted")
            }
            UnsupportedReason::FileTooLarge { bytes, max } => {
                write!(f, "{bytes} bytes, at most {max} accepted")
            }
            UnsupportedReason::ContentType { content_type } => {
                write!(f, "media type `{content_type}` not accepted")
            }
            UnsupportedReason::TooManyAttachments { count, max } => {
                write!(f, "{count} files, at most {max} per message")
            }
        }
    }
}

/// An action a marketplace cannot do: never a silent no-op.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema, thiserror::Error)]
#[error("{marketplace} cannot {action} ({reason})")]
pub struct Unsupported {
    /// The marketplace.
    pub marketplace: Marketplace,
    /// The action asked for.
    pub action: Action,
    /// Why not.
    pub reason: UnsupportedReason,
}

impl Capabilities {
    /// The capabilities of one marketplace.
    pub const fn of(marketplace: Marketplace) -> &'static Capabilities {
        match marketplace {
            Marketplace::Lectronz => &LECTRONZ,
            Marketplace::Metro => &METRO,
            Marketplace::Skyhub => &SKYHUB,
            Marketplace::Yandex => &YANDEX,
        }
    }

    /// Whether the action is documented as possible.
    pub fn supports(&self, action: Action) -> bool {
        match action {
            Action::StartThread => self.start_thread,
            Action::ReplyText => self.reply_text,
            Action::SendAttachment => self.attachments.send,
            Action::MarkRead => {
                matches!(self.mark_read, MarkRead::PerThread | MarkRead::PerMessage)
            }
            Action::MarkUnread => self.mark_unread,
            Action::ChangeStatus => self.change_status,
            Action::PushNotifications => self.push_notifications,
        }
    }

    fn refuse(&self, action: Action, reason: UnsupportedReason) -> Unsupported {
        Unsupported {
            marketplace: self.marketplace,
            action,
            reason,
        }
    }

    /// `Ok` if the action is possible, else [`Unsupported`] with `NotOffered`.
    pub fn check(&self, action: Action) -> Result<(), Unsupported> {
        if self.supports(action) {
            Ok(())
        } else {
            Err(self.refuse(action, UnsupportedReason::NotOffered))
        }
    }

    /// Checks a reply's text: replies possible, not empty, within the documented length
    /// (counted in Unicode scalar values, as Yandex's "characters").
    pub fn check_text(&self, text: &str) -> Result<(), Unsupported> {
        self.check(Action::ReplyText)?;
        if text.trim().is_empty() {
            return Err(self.refuse(Action::ReplyText, UnsupportedReason::EmptyText));
        }
        let chars = text.chars().count();
        match self.text_max_chars {
            Some(max) if chars > max as usize => Err(self.refuse(
                Action::ReplyText,
                UnsupportedReason::TextTooLong { chars, max },
            )),
            _ => Ok(()),
        }
    }

    /// Checks files to send with one reply: `(media type, size in bytes)` each.
    pub fn check_attachments<'a>(
        &self,
        files: impl IntoIterator<Item = (&'a str, u64)>,
    ) -> Result<(), Unsupported> {
        let files: Vec<(&str, u64)> = files.into_iter().collect();
        if files.is_empty() {
            return Ok(());
        }
        self.check(Action::SendAttachment)?;
        let caps = &self.attachments;
        if let Some(max) = caps.max_per_message {
            // Yandex sends each file as its own message: the per-call limit is not a
            // per-reply limit there.
            if !caps.separate_message && files.len() > max as usize {
                return Err(self.refuse(
                    Action::SendAttachment,
                    UnsupportedReason::TooManyAttachments {
                        count: files.len(),
                        max,
                    },
                ));
            }
        }
        for (content_type, bytes) in files {
            if let Some(max) = caps.max_bytes
                && bytes > max
            {
                return Err(self.refuse(
                    Action::SendAttachment,
                    UnsupportedReason::FileTooLarge { bytes, max },
                ));
            }
            if let Some(types) = caps.content_types {
                let essence = content_type
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                if !types.contains(&essence.as_str()) {
                    return Err(self.refuse(
                        Action::SendAttachment,
                        UnsupportedReason::ContentType {
                            content_type: content_type.to_owned(),
                        },
                    ));
                }
            }
        }
        Ok(())
    }

    /// Checks that the seller can reply in this thread (SkyHub `CUSTOMER_B2W` is
    /// read-only [S1, SK]).
    pub fn check_reply_in(&self, thread: &crate::ThreadId) -> Result<(), Unsupported> {
        self.check(Action::ReplyText)?;
        match &thread.vendor {
            crate::VendorThread::Skyhub { parts, .. }
                if parts != "CUSTOMER_SELLER" && parts != "B2W_SELLER" =>
            {
                Err(self.refuse(Action::ReplyText, UnsupportedReason::ReadOnlyThread))
            }
            _ => Ok(()),
        }
    }

    /// All four marketplaces' capabilities.
    pub fn all() -> [&'static Capabilities; 4] {
        Marketplace::ALL.map(Capabilities::of)
    }
}
