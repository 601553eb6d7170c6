//! What can go wrong, for a caller (`InboxError`) and in a sync report (`AccountError`).

use marketplace_inbox_store::{Account, MessageId, OutboxEntry, StoreError, ThreadId, Unsupported};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// An inbox operation failed.
///
/// Ask it with the predicates ([`is_unsupported`](Self::is_unsupported),
/// [`is_auth`](Self::is_auth), …): a CLI maps them to exit codes.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InboxError {
    /// The marketplace cannot do this (start a SkyHub thread, mark a Yandex chat read,
    /// a text too long…): nothing was sent.
    #[error(transparent)]
    Unsupported(#[from] Unsupported),
    /// A colleague answered after the message the reply's author last saw: the reply
    /// was not recorded nor sent (send it with `force` to override).
    #[error(
        "{}: {} seller message(s) or reply(ies) since {}; not sent (force to override)",
        .0.thread, .0.answered_since.len(), .0.last_seen
    )]
    Conflict(Box<ReplyConflict>),
    /// No such thread in the store (sync first).
    #[error("no thread {0} in the inbox")]
    NotFound(ThreadId),
    /// The inbox has no account of that name on that marketplace.
    #[error("no {} account named {:?} in this inbox", .0.marketplace, .0.name)]
    UnknownAccount(Account),
    /// The marketplace refused or failed the call.
    #[error("{} account {:?}: {error}", account.marketplace, account.name)]
    Api {
        /// The account whose call failed.
        account: Account,
        /// The client's error (status, the marketplace's code and message).
        error: Box<marketplace_runtime::Error>,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A reply may or may not have reached the marketplace and could not be confirmed
    /// from the thread's history yet: it stays in the outbox (`pending`, later
    /// `unknown`) and is **never re-sent automatically**; `reconcile_outbox` confirms it
    /// later.
    #[error("{}: the reply may have been sent; not confirmed yet, not re-sent ({reason})", entry.id)]
    OutcomeUnknown {
        /// The outbox entry, as it stands.
        entry: Box<OutboxEntry>,
        /// What happened.
        reason: String,
    },
    /// The reply's text was sent, a file of it was not (Yandex sends files
    /// separately): the entry is `sent`, the file must be sent again by hand.
    #[error("{}: the text was sent, a file was not: {error}", entry.id)]
    AttachmentFailed {
        /// The outbox entry (`sent`).
        entry: Box<OutboxEntry>,
        /// Why the file failed.
        error: Box<marketplace_runtime::Error>,
    },
    /// An argument the marketplace would not take (an order id that is not a number
    /// on Yandex, a missing METRO subject, an unreadable attachment file…).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The builder's settings are inconsistent (two accounts with one name…).
    #[error("inbox configuration: {0}")]
    Config(String),
    /// An [`Interrupt`](crate::Interrupt) hook stopped the operation at this point, as
    /// a crash would have (crash tests).
    #[error("interrupted at {0}")]
    Interrupted(String),
}

impl InboxError {
    pub(crate) fn api(account: &Account, error: marketplace_runtime::Error) -> Self {
        InboxError::Api {
            account: account.clone(),
            error: Box::new(error),
        }
    }

    /// The marketplace cannot do what was asked.
    pub fn is_unsupported(&self) -> bool {
        matches!(self, InboxError::Unsupported(_))
    }

    /// The marketplace refused the credentials (401 or 403).
    pub fn is_auth(&self) -> bool {
        matches!(self, InboxError::Api { error, .. } if error.is_auth())
    }

    /// The thread or account is not known.
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            InboxError::NotFound(_) | InboxError::UnknownAccount(_)
        )
    }

    /// A colleague answered since (see [`InboxError::Conflict`]).
    pub fn is_conflict(&self) -> bool {
        matches!(self, InboxError::Conflict(_))
    }

    /// A reply may have been sent: check the outbox before doing anything.
    pub fn is_outcome_unknown(&self) -> bool {
        matches!(self, InboxError::OutcomeUnknown { .. })
    }

    /// The marketplace's error, if this is one.
    pub fn api_error(&self) -> Option<&marketplace_runtime::Error> {
        match self {
            InboxError::Api { error, .. } | InboxError::AttachmentFailed { error, .. } => {
                Some(&**error)
            }
            _ => None,
        }
    }
}

/// What [`InboxError::Conflict`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ReplyConflict {
    /// The thread.
    pub thread: ThreadId,
    /// The message the author saw last.
    pub last_seen: MessageId,
    /// What was written since: seller messages (their ids) and replies still in the
    /// outbox or not yet read back (`outbox#<id>`).
    pub answered_since: Vec<String>,
}

/// Why one account's sync failed, as a report carries it (serializable).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AccountError {
    /// What failed: `api`, `auth`, `rate_limited`, `store`, `interrupted`, `other`.
    pub kind: String,
    /// The HTTP status, if the marketplace answered.
    pub status: Option<u16>,
    /// The marketplace's error code, if it gave one.
    pub code: Option<String>,
    /// What happened (the marketplace's message, or the error's text; never a
    /// credential).
    pub message: String,
}

impl From<&InboxError> for AccountError {
    fn from(error: &InboxError) -> Self {
        let (kind, status, code) = match error {
            InboxError::Api { error: e, .. } => (
                if e.is_auth() {
                    "auth"
                } else if e.is_rate_limited() {
                    "rate_limited"
                } else {
                    "api"
                },
                e.status().map(|s| s.as_u16()),
                e.code().map(str::to_owned),
            ),
            InboxError::Store(_) => ("store", None, None),
            InboxError::Interrupted(_) => ("interrupted", None, None),
            _ => ("other", None, None),
        };
        AccountError {
            kind: kind.to_owned(),
            status,
            code,
            message: error.to_string(),
        }
    }
}
