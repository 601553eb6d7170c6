//! What the marketplaces' send functions share: how a send fails, and reading the
//! bytes of a file to send.

use marketplace_inbox_store::OutgoingAttachment;

use crate::InboxError;

/// Why a send did not go through.
pub(crate) enum SendFailure {
    /// Refused before anything was sent (bad input, unreadable file).
    Refused(InboxError),
    /// A step that sends no message failed (a METRO upload): not sent.
    NotSent(marketplace_runtime::Error),
    /// The call that sends failed: whether the message went out depends on how.
    Send(marketplace_runtime::Error),
}

/// Reads the bytes of a file to send.
pub(crate) fn read_attachment(file: &OutgoingAttachment) -> Result<Vec<u8>, InboxError> {
    std::fs::read(&file.location)
        .map_err(|e| InboxError::InvalidInput(format!("attachment {:?}: {e}", file.name)))
}
