//! The application side: the [`Handler`] trait and the exactly-once hand-over.

use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures::FutureExt;

use crate::dedupe::{Claim, DedupeStore};

/// Why the application could not take an event. The receiver answers an error (so the
/// marketplace delivers again) and logs the message.
pub type HandlerError = Box<dyn std::error::Error + Send + Sync>;

/// The application: takes one verified event, typed.
///
/// Return `Ok` only once the event is safe (stored, queued): the receiver then
/// acknowledges it and remembers it, and later copies are not handed over again.
/// Return `Err` (or panic) and the receiver answers an error without remembering it,
/// so the marketplace's next delivery is handed over. Keep it quick: Yandex Market
/// waits 10 seconds at most; long work belongs in the application's own queue. While
/// a call has not returned, its event is *in progress*: copies that arrive meanwhile
/// are answered with a retryable error, never handed over a second time (so a handler
/// that never returns blocks its event; there is deliberately no timeout that would
/// cancel a handler halfway through storing).
///
/// Any `Fn(E) -> impl Future<Output = Result<(), HandlerError>>` closure is a handler:
///
/// ```
/// use marketplace_webhooks::{Handler, HandlerError, yandex::Notification};
///
/// fn assert_handler(_: impl Handler<Notification>) {}
/// assert_handler(|notification: Notification| async move {
///     println!("{notification:?}");
///     Ok::<(), HandlerError>(())
/// });
/// ```
pub trait Handler<E>: Send + Sync + 'static {
    /// Takes `event`.
    fn handle(&self, event: E) -> impl Future<Output = Result<(), HandlerError>> + Send;
}

impl<E, F, Fut> Handler<E> for F
where
    F: Fn(E) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), HandlerError>> + Send,
{
    fn handle(&self, event: E) -> impl Future<Output = Result<(), HandlerError>> + Send {
        self(event)
    }
}

/// What became of one verified delivery.
#[derive(Debug)]
pub(crate) enum HandOver {
    /// The handler took it.
    Taken,
    /// The application already had it: acknowledged, not handed over.
    Duplicate,
    /// The application already had an event under this key with other content:
    /// acknowledged, not handed over, worth a warning.
    Conflict,
    /// Another copy is being handled right now.
    InProgress,
    /// The handler failed or panicked; nothing was remembered.
    HandlerFailed(String),
    /// The dedupe store failed before the hand-over; nothing was handed over.
    StoreFailed(String),
}

/// Claims `key` (with `content`, the event's content digest), hands `event` to
/// `handler` when it is new, and completes or releases the claim. A handler panic is caught and treated as a failure, so a key
/// is never left in progress.
pub(crate) async fn hand_over<E, H: Handler<E> + ?Sized>(
    store: &dyn DedupeStore,
    key: &str,
    content: &str,
    event: E,
    handler: &H,
) -> HandOver {
    match store.claim(key, content).await {
        Ok(Claim::New) => {}
        Ok(Claim::Done) => return HandOver::Duplicate,
        Ok(Claim::Conflict) => return HandOver::Conflict,
        Ok(Claim::InProgress) => return HandOver::InProgress,
        Err(e) => return HandOver::StoreFailed(e.to_string()),
    }
    let result = AssertUnwindSafe(handler.handle(event)).catch_unwind().await;
    match result {
        Ok(Ok(())) => {
            if let Err(e) = store.complete(key, content).await {
                // The application has the event; failing now would only make the
                // marketplace send it again. A later copy may then be handed over
                // twice: logged, and the lesser harm.
                tracing::error!(key, error = %e, "could not record a delivered event; a redelivery would be handed over again");
            }
            HandOver::Taken
        }
        failed => {
            let reason = match failed {
                Ok(Err(e)) => e.to_string(),
                _ => "the handler panicked".to_owned(),
            };
            if let Err(e) = store.release(key).await {
                tracing::error!(key, error = %e, "could not release a failed event's claim");
            }
            HandOver::HandlerFailed(reason)
        }
    }
}
