//! What a sync and a reconciliation report, and the progress a sync tells as it goes.

use marketplace_inbox_store::{Account, OutboxId};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::AccountError;

/// The result of [`Inbox::sync`](crate::Inbox::sync): one entry per account, in the
/// order the accounts were added.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SyncReport {
    /// Per account.
    pub accounts: Vec<AccountSyncReport>,
}

impl SyncReport {
    /// Whether every account synced without error.
    pub fn is_ok(&self) -> bool {
        self.accounts.iter().all(|a| a.error.is_none())
    }
}

/// One account's sync.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AccountSyncReport {
    /// The account.
    pub account: Account,
    /// Threads stored for the first time.
    pub threads_new: u64,
    /// Threads already stored and updated.
    pub threads_updated: u64,
    /// Messages stored for the first time.
    pub messages_new: u64,
    /// HTTP requests sent for this sync (every attempt, retries included).
    pub requests: u64,
    /// Why the sync stopped early; what was stored before stays stored, and the next
    /// sync resumes from the last stored page.
    pub error: Option<AccountError>,
    /// Wall time of the account's sync, in milliseconds.
    pub elapsed_ms: u64,
}

/// Progress of a sync, per account (for a progress bar per marketplace).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum SyncProgress {
    /// The account's sync started.
    Started {
        /// The account.
        account: Account,
    },
    /// A page was stored; the counts are the account's totals so far.
    Page {
        /// The account.
        account: Account,
        /// Threads stored (new or updated) so far.
        threads: u64,
        /// Messages stored (new or updated) so far.
        messages: u64,
    },
    /// The account's sync ended (with or without error).
    Finished {
        /// Its report.
        report: AccountSyncReport,
    },
}

/// What [`Inbox::reconcile_outbox`](crate::Inbox::reconcile_outbox) did with the
/// replies whose fate was open.
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct ReconcileReport {
    /// Found in the thread's history: now `sent`.
    pub confirmed: Vec<OutboxId>,
    /// Not found and older than the reconcile window: now `unknown` (surface them to
    /// the user; never re-sent automatically).
    pub unknown: Vec<OutboxId>,
    /// Not found yet, still within the window: left `pending`.
    pub waiting: Vec<OutboxId>,
    /// Entries whose thread could not be read, with the reason.
    pub errors: Vec<(OutboxId, String)>,
}
