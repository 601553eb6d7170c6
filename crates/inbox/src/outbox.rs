//! Replies sent exactly once, marking read and starting threads: the operations that
//! write to a marketplace.

use std::collections::BTreeMap;

use chrono::Utc;
use marketplace_inbox_store::{
    Action, AuthorRole, Capabilities, ItemVersion, MarkRead, Marketplace, Message, MessageId,
    NewReply, OutboxEntry, OutboxState, Page, StoreError, Thread, ThreadId, Unsupported,
    UnsupportedReason,
};

use crate::account::{AccountState, Connection};
use crate::error::ReplyConflict;
use crate::pass::{Ctx, awaiting_after};
use crate::report::ReconcileReport;
use crate::send::SendFailure;
use crate::{Account, InboxError, Inner, Interrupt, Reply};

/// What a send achieved.
#[derive(Default)]
struct Sent {
    /// The message as the marketplace answered it (METRO, Lectronz).
    message: Option<Message>,
    /// Its version, where the sync keeps one per message (Lectronz).
    version: Option<ItemVersion>,
    /// A file that failed after the text went (Yandex).
    file_error: Option<marketplace_runtime::Error>,
}

/// What a failed sending call means for the reply.
enum Outcome {
    /// The marketplace has it (a 2xx whose body did not decode).
    Sent,
    /// It was never sent, or the marketplace refused it.
    NotSent,
    /// It may have gone out.
    Unknown,
}

fn outcome(error: &marketplace_runtime::Error) -> Outcome {
    if error.succeeded() {
        Outcome::Sent
    } else if error.is_invalid_request() || error.is_connect() || error.is_redirect() {
        Outcome::NotSent
    } else {
        match error.status() {
            // The marketplace refused it (rate limits included); 408 says nothing.
            Some(status) if status.is_client_error() && status.as_u16() != 408 => Outcome::NotSent,
            _ => Outcome::Unknown,
        }
    }
}

fn no_progress(_: crate::SyncProgress) {}

pub(crate) async fn reply(inner: &Inner, reply: Reply) -> Result<OutboxEntry, InboxError> {
    let id = &reply.thread;
    let state = inner.account(&id.account())?;
    let caps = Capabilities::of(id.marketplace());
    caps.check_reply_in(id)?;
    caps.check_text(&reply.text)?;
    caps.check_attachments(
        reply
            .attachments
            .iter()
            .map(|a| (a.content_type.as_str(), a.size)),
    )?;
    let thread = inner
        .store
        .thread(id)
        .await?
        .ok_or_else(|| InboxError::NotFound(id.clone()))?;
    if let (Some(last_seen), false) = (&reply.last_seen, reply.force) {
        // A colleague may have answered from another inbox or in the marketplace's
        // own tools: the check reads what the buyer sees, not only what was synced.
        refresh(&Ctx::new(inner, state, &no_progress), &thread).await?;
        check_conflict(inner, id, last_seen).await?;
    }
    let entry = inner
        .store
        .enqueue_reply(&NewReply {
            thread: id.clone(),
            text: reply.text,
            attachments: reply.attachments,
            last_seen: reply.last_seen,
        })
        .await?;
    deliver(inner, state, &thread, entry).await
}

/// Refuses a reply whose author missed a colleague's answer: a seller message after
/// `last_seen`, or another reply of the thread still in the outbox.
async fn check_conflict(
    inner: &Inner,
    thread: &ThreadId,
    last_seen: &MessageId,
) -> Result<(), InboxError> {
    let messages = inner.store.messages(thread).await?;
    let Some(position) = messages.iter().position(|m| m.id == *last_seen) else {
        return Err(InboxError::InvalidInput(format!(
            "{last_seen} is not a message of {thread}"
        )));
    };
    let seen_at = messages[position].created_at;
    let mut since: Vec<String> = messages[position + 1..]
        .iter()
        .filter(|m| m.author == AuthorRole::Seller)
        .map(|m| m.id.to_string())
        .collect();
    for state in [
        OutboxState::Pending,
        OutboxState::Unknown,
        OutboxState::Sent,
    ] {
        for entry in inner.store.thread_outbox(thread, state).await? {
            let not_in_history = entry.vendor_message_id.is_none();
            if entry.created_at > seen_at && not_in_history {
                since.push(entry.id.to_string());
            }
        }
    }
    if since.is_empty() {
        Ok(())
    } else {
        Err(InboxError::Conflict(Box::new(ReplyConflict {
            thread: thread.clone(),
            last_seen: last_seen.clone(),
            answered_since: since,
        })))
    }
}

/// Sends a recorded (`pending`) reply and records what became of it.
async fn deliver(
    inner: &Inner,
    state: &AccountState,
    thread: &Thread,
    entry: OutboxEntry,
) -> Result<OutboxEntry, InboxError> {
    let order_id = thread.order.as_ref().and_then(|o| o.id.clone());
    let result = match &state.connection {
        Connection::Metro(client) => {
            crate::metro::send(client, &thread.id, order_id.as_deref(), &entry)
                .await
                .map(|message| Sent {
                    message,
                    ..Sent::default()
                })
        }
        Connection::Yandex { client, .. } => crate::yandex::send(client, &thread.id, &entry)
            .await
            .map(|files| Sent {
                file_error: files.err(),
                ..Sent::default()
            }),
        Connection::Skyhub {
            client,
            identity_id,
        } => crate::skyhub::send(
            client,
            &thread.id,
            order_id.as_deref().unwrap_or_default(),
            identity_id,
            &entry,
        )
        .await
        .map(|()| Sent::default()),
        Connection::Lectronz(client) => crate::lectronz::send(client, &thread.id, &entry)
            .await
            .map(|(message, version)| Sent {
                message: Some(message),
                version: Some(version),
                file_error: None,
            }),
    };
    // A crash here leaves the reply `pending`: the case reconciliation exists for.
    inner
        .settings
        .interrupted(Interrupt::AfterSend { outbox: entry.id })?;
    let account = &state.account;
    match result {
        Ok(sent) => {
            let id = sent.message.as_ref().map(|m| m.id.clone());
            let mut recorded = mark_sent(inner, &entry, id).await?;
            let ctx = Ctx::new(inner, state, &no_progress);
            match sent.message {
                Some(message) => record(&ctx, &entry, message, sent.version).await?,
                // No id in the answer (Yandex, SkyHub): read it back from the history.
                None => match confirm(&ctx, thread, &recorded).await {
                    Ok(true) => recorded = reload(inner, &entry).await?,
                    Ok(false) => {}
                    Err(e) => {
                        tracing::info!(outbox = %entry.id, error = %e, "sent; its id is read at the next sync")
                    }
                },
            }
            match sent.file_error {
                Some(error) => Err(InboxError::AttachmentFailed {
                    entry: Box::new(recorded),
                    error: Box::new(error),
                }),
                None => Ok(recorded),
            }
        }
        Err(SendFailure::Refused(error)) => {
            inner
                .store
                .mark_failed(entry.id, &error.to_string())
                .await?;
            Err(error)
        }
        Err(SendFailure::NotSent(error)) => {
            inner
                .store
                .mark_failed(entry.id, &error.to_string())
                .await?;
            Err(InboxError::api(account, error))
        }
        Err(SendFailure::Send(error)) => match outcome(&error) {
            Outcome::Sent => {
                let recorded = mark_sent(inner, &entry, None).await?;
                let ctx = Ctx::new(inner, state, &no_progress);
                if let Err(e) = confirm(&ctx, thread, &recorded).await {
                    tracing::info!(outbox = %entry.id, error = %e, "sent; its id is read at the next sync");
                }
                reload(inner, &entry).await
            }
            Outcome::NotSent => {
                inner
                    .store
                    .mark_failed(entry.id, &error.to_string())
                    .await?;
                Err(InboxError::api(account, error))
            }
            Outcome::Unknown => {
                let ctx = Ctx::new(inner, state, &no_progress);
                if let Ok(true) = confirm(&ctx, thread, &entry).await {
                    return reload(inner, &entry).await;
                }
                Err(InboxError::OutcomeUnknown {
                    entry: Box::new(reload(inner, &entry).await?),
                    reason: error.to_string(),
                })
            }
        },
    }
}

/// `pending` → `sent`; a reconciliation that got there first is fine.
async fn mark_sent(
    inner: &Inner,
    entry: &OutboxEntry,
    id: Option<MessageId>,
) -> Result<OutboxEntry, InboxError> {
    match inner.store.mark_sent(entry.id, id).await {
        Ok(entry) => Ok(entry),
        Err(StoreError::IllegalTransition {
            from: OutboxState::Sent,
            ..
        }) => reload(inner, entry).await,
        Err(e) => Err(e.into()),
    }
}

async fn reload(inner: &Inner, entry: &OutboxEntry) -> Result<OutboxEntry, InboxError> {
    Ok(inner
        .store
        .outbox_entry(entry.id)
        .await?
        .unwrap_or_else(|| entry.clone()))
}

/// Stores a sent message the marketplace answered with, and its thread's new state.
async fn record(
    ctx: &Ctx<'_>,
    entry: &OutboxEntry,
    message: Message,
    version: Option<ItemVersion>,
) -> Result<(), InboxError> {
    let _unit = ctx.state.unit.lock().await;
    let Some(mut thread) = ctx.store().thread(&message.thread).await? else {
        return Ok(());
    };
    thread.awaiting_reply_since =
        awaiting_after(thread.awaiting_reply_since, std::slice::from_ref(&message));
    thread.last_activity = thread.last_activity.max(Some(message.created_at));
    if thread.id.marketplace() == Marketplace::Metro {
        // Sending marks every buyer message of the chat seen at METRO.
        thread.unread = false;
    }
    let page = Page {
        threads: vec![thread],
        messages: vec![message],
        versions: version.into_iter().collect(),
    };
    ctx.apply_in("outbox", serde_json::json!(entry.id), &page)
        .await?;
    Ok(())
}

/// Reads the thread from the marketplace into the store.
async fn refresh(ctx: &Ctx<'_>, thread: &Thread) -> Result<(), InboxError> {
    match &ctx.state.connection {
        Connection::Metro(client) => crate::metro::refresh(ctx, client, &thread.id, None).await,
        Connection::Yandex { client, .. } => crate::yandex::refresh(ctx, client, &thread.id).await,
        Connection::Skyhub { client, .. } => {
            crate::skyhub::refresh(ctx, client, &thread.id, thread.order.clone()).await
        }
        Connection::Lectronz(client) => crate::lectronz::refresh(ctx, client).await,
    }
}

/// Looks for `entry` in its thread's stored history (read `fresh`ly or not): a seller
/// message with its text, written from the clock-skew margin before the reply was
/// recorded to the reconcile window after, not already another reply's. Records the
/// match (`sent` with its id) and says whether there was one.
async fn find(ctx: &Ctx<'_>, entry: &OutboxEntry) -> Result<bool, InboxError> {
    let Some(text) = entry.text.as_deref() else {
        return Ok(false);
    };
    let settings = ctx.settings();
    let window =
        chrono::Duration::from_std(settings.reconcile_window).unwrap_or(chrono::Duration::MAX);
    let from = entry.created_at - settings.clock_skew;
    let until = entry
        .created_at
        .checked_add_signed(window)
        .unwrap_or(entry.created_at);
    let claimed: Vec<MessageId> = ctx
        .store()
        .thread_outbox(&entry.thread, OutboxState::Sent)
        .await?
        .into_iter()
        .filter(|e| e.id != entry.id)
        .filter_map(|e| e.vendor_message_id)
        .collect();
    let found = ctx
        .store()
        .messages(&entry.thread)
        .await?
        .into_iter()
        .find(|m| {
            m.author == AuthorRole::Seller
                && m.text.as_deref().map(str::trim) == Some(text.trim())
                && (from..=until).contains(&m.created_at)
                && !claimed.contains(&m.id)
        });
    match found {
        Some(message) => {
            ctx.store().mark_sent(entry.id, Some(message.id)).await?;
            Ok(true)
        }
        None => Ok(false),
    }
}

/// Reads the thread and looks for `entry` in it (see [`find`]).
async fn confirm(ctx: &Ctx<'_>, thread: &Thread, entry: &OutboxEntry) -> Result<bool, InboxError> {
    refresh(ctx, thread).await?;
    find(ctx, entry).await
}

pub(crate) async fn reconcile(inner: &Inner) -> Result<ReconcileReport, InboxError> {
    let mut open: BTreeMap<ThreadId, Vec<OutboxEntry>> = BTreeMap::new();
    for state in [OutboxState::Pending, OutboxState::Unknown] {
        for entry in inner.store.outbox(state).await? {
            open.entry(entry.thread.clone()).or_default().push(entry);
        }
    }
    let mut report = ReconcileReport::default();
    let now = Utc::now();
    let window = chrono::Duration::from_std(inner.settings.reconcile_window)
        .unwrap_or(chrono::Duration::MAX);
    for (thread_id, entries) in open {
        let read = async {
            let state = inner.account(&thread_id.account())?;
            let thread = inner
                .store
                .thread(&thread_id)
                .await?
                .ok_or_else(|| InboxError::NotFound(thread_id.clone()))?;
            let ctx = Ctx::new(inner, state, &no_progress);
            refresh(&ctx, &thread).await?;
            let mut found = Vec::new();
            for entry in &entries {
                found.push(find(&ctx, entry).await?);
            }
            Ok::<_, InboxError>(found)
        };
        let found = match read.await {
            Ok(found) => found,
            Err(e) => {
                for entry in &entries {
                    report.errors.push((entry.id, e.to_string()));
                }
                continue;
            }
        };
        for (entry, found) in entries.into_iter().zip(found) {
            if found {
                report.confirmed.push(entry.id);
            } else if entry.state == OutboxState::Unknown {
                report.unknown.push(entry.id);
            } else if now - entry.created_at > window {
                inner.store.mark_unknown(entry.id).await?;
                report.unknown.push(entry.id);
            } else {
                report.waiting.push(entry.id);
            }
        }
    }
    Ok(report)
}

pub(crate) async fn mark_read(inner: &Inner, id: &ThreadId) -> Result<(), InboxError> {
    let state = inner.account(&id.account())?;
    inner
        .store
        .thread(id)
        .await?
        .ok_or_else(|| InboxError::NotFound(id.clone()))?;
    let caps = Capabilities::of(id.marketplace());
    let ctx = Ctx::new(inner, state, &no_progress);
    match (&state.connection, caps.mark_read) {
        (_, MarkRead::No) => Err(caps.check(Action::MarkRead).unwrap_err().into()),
        (Connection::Metro(client), _) => {
            crate::metro::refresh(&ctx, client, id, Some(false)).await
        }
        (Connection::Skyhub { client, .. }, _) => crate::skyhub::mark_read(&ctx, client, id).await,
        (Connection::Lectronz(client), _) => crate::lectronz::mark_read(&ctx, client, id).await,
        (Connection::Yandex { .. }, _) => Err(Unsupported {
            marketplace: Marketplace::Yandex,
            action: Action::MarkRead,
            reason: UnsupportedReason::NotOffered,
        }
        .into()),
    }
}

pub(crate) async fn start_thread(
    inner: &Inner,
    account: &Account,
    order: &str,
    subject: Option<&str>,
    text: &str,
) -> Result<Thread, InboxError> {
    let state = inner.account(account)?;
    let caps = Capabilities::of(account.marketplace);
    caps.check(Action::StartThread)?;
    caps.check_text(text)?;
    let ctx = Ctx::new(inner, state, &no_progress);
    let id = match &state.connection {
        Connection::Metro(client) => crate::metro::start(&ctx, client, order, subject).await?.id,
        Connection::Yandex {
            client,
            business_id,
        } => crate::yandex::start(&ctx, client, *business_id, order).await?,
        Connection::Lectronz(_) => crate::lectronz::start(&ctx, order).await?.id,
        Connection::Skyhub { .. } => {
            return Err(caps.check(Action::StartThread).unwrap_err().into());
        }
    };
    reply(inner, Reply::text(id.clone(), text)).await?;
    inner
        .store
        .thread(&id)
        .await?
        .ok_or_else(|| InboxError::NotFound(id))
}
