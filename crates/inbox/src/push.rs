//! Push refresh: Yandex Market's chat notifications refresh that one chat at once.

use std::future::Future;
use std::num::NonZeroU64;
use std::sync::Arc;

use marketplace_webhooks::yandex::Notification;
use marketplace_webhooks::{Handler, HandlerError};

use crate::account::Connection;
use crate::pass::Ctx;
use crate::{Inner, SyncProgress};

/// The handler [`Inbox::yandex_notification_handler`](crate::Inbox::yandex_notification_handler)
/// returns, for `marketplace-webhooks`' Yandex receiver
/// (`webhooks::axum::yandex_router(receiver, handler)`).
///
/// `CHAT_CREATED` and `CHAT_MESSAGE_SENT` of a cabinet the inbox has an account for
/// read that chat (through the account's client and limits) and store it before the
/// receiver answers `200`; a failure answers an error, so Yandex delivers again.
/// Other notifications, and those of unknown cabinets, are acknowledged and ignored.
/// Sticker messages send no notification: the next sync pass picks them up.
#[derive(Clone)]
pub struct YandexNotificationHandler {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for YandexNotificationHandler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("YandexNotificationHandler")
            .finish_non_exhaustive()
    }
}

impl YandexNotificationHandler {
    pub(crate) fn new(inner: Arc<Inner>) -> Self {
        YandexNotificationHandler { inner }
    }

    /// Reads chat `chat_id` of cabinet `business_id` into the store; `false` if no
    /// account of the inbox is that cabinet.
    pub async fn refresh_chat(
        &self,
        business_id: NonZeroU64,
        chat_id: NonZeroU64,
    ) -> Result<bool, crate::InboxError> {
        let Some((state, client)) = self
            .inner
            .accounts
            .iter()
            .find_map(|a| match &a.connection {
                Connection::Yandex {
                    business_id: b,
                    client,
                } if *b == business_id => Some((a, client)),
                _ => None,
            })
        else {
            return Ok(false);
        };
        let thread = crate::yandex::thread_id(&state.account.name, business_id, chat_id);
        let progress = |_: SyncProgress| {};
        let ctx = Ctx::new(&self.inner, state, &progress);
        crate::yandex::refresh(&ctx, client, &thread).await?;
        Ok(true)
    }
}

impl Handler<Notification> for YandexNotificationHandler {
    #[allow(clippy::manual_async_fn)] // the trait's `+ Send` bound needs the explicit form
    fn handle(
        &self,
        notification: Notification,
    ) -> impl Future<Output = Result<(), HandlerError>> + Send {
        async move {
            let (business_id, chat_id) = match &notification {
                Notification::ChatCreated(n) => (n.business_id.0, n.chat_id),
                Notification::ChatMessageSent(n) => (n.business_id.0, n.chat_id),
                _ => return Ok(()),
            };
            let Some(chat_id) = u64::try_from(chat_id).ok().and_then(NonZeroU64::new) else {
                tracing::warn!(
                    chat_id,
                    "Yandex notification with a chat id below 1 ignored"
                );
                return Ok(());
            };
            if !self.refresh_chat(business_id, chat_id).await? {
                tracing::info!(%business_id, "Yandex notification of a cabinet this inbox does not sync");
            }
            Ok(())
        }
    }
}
