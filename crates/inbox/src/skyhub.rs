//! SkyHub (Americanas): a thread is one conversation (`parts`) of a SAC ticket.
//!
//! What changed: `GET /sac` has no change filter, so every pass lists every ticket
//! (SkyHub's page size, 25 in the mock) and compares its `updated_at` with the stored
//! version; a changed ticket's chats are read (`GET /sac/{code}/chats`, every
//! conversation with its whole history). Messages have no ids: they get synthetic
//! ones (see [`MessageId::synthetic`]).

use chrono::{DateTime, FixedOffset, Utc};
use futures::TryStreamExt;
use marketplace_inbox_store::{
    AuthorRole, ItemVersion, Message, MessageId, OrderRef, OutboxEntry, Page, Status, StatusKind,
    Thread, ThreadId, VendorThread, awaiting_reply_since,
};
use marketplace_runtime::pagination::Page as ListPage;
use marketplace_skyhub_sac::{Client, types};
use serde::{Deserialize, Serialize};

use crate::InboxError;
use crate::pass::{self, Ctx, last_activity, raw, version_of};
use crate::send::SendFailure;
use marketplace_inbox_store::Marketplace;

/// Where the account's SkyHub sync stands.
#[derive(Debug, Default, Serialize, Deserialize)]
struct State {
    /// The pass under way: the cursor of its next page (`None`: the first).
    pass: Option<Pass>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Pass {
    next: Option<String>,
}

pub(crate) fn thread_id(account: &str, code: &str, parts: &str) -> ThreadId {
    ThreadId {
        account: account.to_owned(),
        vendor: VendorThread::Skyhub {
            code: code.to_owned(),
            parts: parts.to_owned(),
        },
    }
}

fn version(ticket: &types::Ticket) -> (String, String) {
    (
        format!("ticket:{}", ticket.code),
        version_of(ticket.updated_at),
    )
}

pub(crate) async fn sync(ctx: &Ctx<'_>, client: &Client) -> Result<(), InboxError> {
    let state: State = ctx.checkpoint().await?.unwrap_or_default();
    let mut list = client.list_tickets();
    if let Some(cursor) = state.pass.and_then(|p| p.next) {
        list = list.cursor(cursor);
    }
    let mut pages = list.by_page();
    let first = pages.try_next().await.map_err(|e| ctx.api(e))?;
    let account = ctx.account().clone();
    let read = move |page: ListPage<types::Ticket>| async move {
        let next = page.next_token().map(str::to_owned);
        let changed = ctx.changed(page.into_items(), version).await?;
        let read: Vec<ReadTicket> = ctx
            .read_each(changed, |(ticket, version)| async move {
                let chats = client.chats(&ticket.code).await?;
                Ok::<_, marketplace_runtime::Error>((ticket, version, chats))
            })
            .await
            .map_err(|e| ctx.api(e))?;
        Ok((read, next))
    };
    let write = move |(read, next): (Vec<ReadTicket>, Option<String>)| async move {
        let _unit = ctx.state.unit.lock().await;
        let offset = ctx.settings().skyhub_offset;
        let mut page = Page::default();
        for (ticket, version, chats) in read {
            for chat in chats {
                let (thread, messages) =
                    map_chat(ctx.name(), &ticket.code, &ticket.order_code, chat, offset);
                page.threads.push(thread);
                page.messages.extend(messages);
            }
            page.versions.push(version);
        }
        pass::complete_summaries(ctx, &mut page.threads, &page.messages, can_await).await?;
        let state = State {
            pass: next.map(|next| Pass { next: Some(next) }),
        };
        ctx.apply(&page, &state).await?;
        Ok(true)
    };
    pass::each_page(&account, pages, first, true, read, write).await?;
    ctx.apply(&Page::default(), &State::default()).await?;
    Ok(())
}

/// A changed ticket, its new version and its chats.
type ReadTicket = (types::Ticket, ItemVersion, Vec<types::Chat>);

/// The seller cannot answer in a read-only conversation (`CUSTOMER_B2W`), so it never
/// awaits the seller.
fn can_await(thread: &ThreadId) -> bool {
    match &thread.vendor {
        VendorThread::Skyhub { parts, .. } => types::ChatParts::from(parts.as_str())
            .answerable()
            .is_some(),
        _ => false,
    }
}

/// A SkyHub chat time at `offset` (its text has none), or the Unix epoch for a text
/// that is not a time (kept in the raw value): never "now", so a re-read gives the
/// same message id.
fn instant(at: &types::LocalDateTime, offset: FixedOffset) -> DateTime<Utc> {
    at.to_datetime_in(offset)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

fn status(chat: &types::Chat) -> Status {
    let raw = chat.seller_status.as_ref().map(ToString::to_string);
    let kind = match raw.as_deref() {
        Some("ARCHIVED") => StatusKind::Archived,
        Some("UNREAD" | "READ") => StatusKind::Open,
        _ => StatusKind::Unknown,
    };
    Status::new(kind, raw)
}

/// SkyHub documents only the `CUSTOMER` role. The other party of a conversation is
/// the seller in `CUSTOMER_SELLER` and the marketplace in `CUSTOMER_B2W`; in
/// `B2W_SELLER` a `SELLER` role is the seller, anything else the marketplace.
fn author(role: &types::PartRole, parts: &str) -> AuthorRole {
    match role {
        types::PartRole::Customer => AuthorRole::Buyer,
        other if other.to_string().eq_ignore_ascii_case("SELLER") => AuthorRole::Seller,
        _ if parts == "CUSTOMER_SELLER" => AuthorRole::Seller,
        _ => AuthorRole::MarketplaceSupport,
    }
}

/// One conversation of ticket `code` (about order `order_code`) as the model's
/// thread and messages.
fn map_chat(
    account: &str,
    code: &str,
    order_code: &str,
    chat: types::Chat,
    offset: FixedOffset,
) -> (Thread, Vec<Message>) {
    let parts = chat.parts.to_string();
    let id = thread_id(account, code, &parts);
    let mut seen: Vec<(DateTime<Utc>, String, String)> = Vec::new();
    let messages: Vec<Message> = chat
        .messages
        .iter()
        .map(|m| {
            let at = instant(&m.created_at, offset);
            let role = m.part.role.to_string();
            // Identical messages (same time, role and text) are told apart by their
            // order in the history, which SkyHub only appends to.
            let key = (at, role.clone(), m.content.clone());
            let occurrence = seen.iter().filter(|k| **k == key).count() as u32;
            seen.push(key);
            Message {
                id: MessageId::synthetic(&id, at, &role, &m.content, occurrence),
                thread: id.clone(),
                author: author(&m.part.role, &parts),
                text: Some(m.content.clone()),
                attachments: Vec::new(),
                created_at: at,
                read_at: None,
                raw: raw(m),
            }
        })
        .collect();
    let mut thread = Thread {
        order: Some(OrderRef {
            id: Some(order_code.to_owned()),
            number: None,
        }),
        subject: Some(format!("{code} {parts}")),
        status: status(&chat),
        unread: chat.seller_status.as_ref() == Some(&types::SellerStatus::Unread),
        last_activity: chat
            .last_message
            .as_ref()
            .map(|t| instant(t, offset))
            .or_else(|| last_activity(&messages)),
        awaiting_reply_since: None,
        id,
    };
    thread.awaiting_reply_since = can_await(&thread.id)
        .then(|| awaiting_reply_since(&messages))
        .flatten();
    (thread, messages)
}

fn code_and_parts(thread: &ThreadId) -> Result<(&str, &str), InboxError> {
    match &thread.vendor {
        VendorThread::Skyhub { code, parts } => Ok((code, parts)),
        _ => Err(pass::not_ours(thread, Marketplace::Skyhub)),
    }
}

/// Reads the ticket's chats and stores every conversation of it. The ticket's
/// version is left alone (its `updated_at` is not read), so the next pass reads the
/// ticket again if it changed meanwhile.
pub(crate) async fn refresh(
    ctx: &Ctx<'_>,
    client: &Client,
    thread: &ThreadId,
    order: Option<OrderRef>,
) -> Result<(), InboxError> {
    let (code, _) = code_and_parts(thread)?;
    let _unit = ctx.state.unit.lock().await;
    let chats = client.chats(code).await.map_err(|e| ctx.api(e))?;
    let order_code = order.and_then(|o| o.id).unwrap_or_default();
    let mut page = Page::default();
    for chat in chats {
        let offset = ctx.settings().skyhub_offset;
        let (thread, messages) = map_chat(ctx.name(), code, &order_code, chat, offset);
        page.threads.push(thread);
        page.messages.extend(messages);
    }
    ctx.apply_refresh(&page).await?;
    Ok(())
}

/// Sends a text reply (SkyHub answers no body, so no id). `deliveryId` and
/// `orderId` are the ticket's order code and `identityId` the account's setting:
/// SkyHub documents the fields, not their source. `messageTo` is `TO_CUSTOMER`, the
/// only documented value, also in `B2W_SELLER` (unconfirmed).
pub(crate) async fn send(
    client: &Client,
    thread: &ThreadId,
    order_code: &str,
    identity_id: &str,
    entry: &OutboxEntry,
) -> Result<(), SendFailure> {
    let (code, parts) = code_and_parts(thread).map_err(SendFailure::Refused)?;
    let reply = types::ChatReply {
        delivery_id: order_code.to_owned(),
        identity_id: identity_id.to_owned(),
        message_to: types::MessageTo::ToCustomer,
        message_type: types::MessageType::TextMessage,
        order_id: order_code.to_owned(),
        message: entry.text.clone().unwrap_or_default(),
    };
    client
        .reply(code, &types::ChatParts::from(parts), reply)
        .await
        .map_err(SendFailure::Send)
}

/// Sets the conversation `READ` and stores the thread read.
pub(crate) async fn mark_read(
    ctx: &Ctx<'_>,
    client: &Client,
    thread: &ThreadId,
) -> Result<(), InboxError> {
    let (code, parts) = code_and_parts(thread)?;
    let answerable =
        types::ChatParts::from(parts)
            .answerable()
            .ok_or(marketplace_inbox_store::Unsupported {
                marketplace: marketplace_inbox_store::Marketplace::Skyhub,
                action: marketplace_inbox_store::Action::MarkRead,
                reason: marketplace_inbox_store::UnsupportedReason::ReadOnlyThread,
            })?;
    let _unit = ctx.state.unit.lock().await;
    client
        .update_chat_status()
        .code(code)
        .parts(answerable)
        .body(types::ChatStatusUpdate {
            status: types::SellerStatus::Read,
        })
        .send()
        .await
        .map_err(|e| ctx.api(e))?;
    let Some(mut stored) = ctx.store().thread(thread).await? else {
        return Ok(());
    };
    stored.unread = false;
    stored.status = Status::new(StatusKind::Open, "READ".to_owned());
    let page = Page {
        threads: vec![stored],
        ..Page::default()
    };
    ctx.apply_in("mark_read", serde_json::Value::Null, &page)
        .await?;
    Ok(())
}
