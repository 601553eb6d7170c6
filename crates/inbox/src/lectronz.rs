//! Lectronz: no thread object; a thread is an order's messages (`subject.id`).
//!
//! What changed: the message list is newest first and its summaries carry
//! `updated_at`. The first pass reads it whole (resumable by offset); later passes
//! read from the top and stop after the first page holding a message already stored
//! with the same `updated_at`. Each new or changed message is fetched (`GET
//! /messages/{id}`: the list has no text), the N+1 Lectronz's API imposes.

use std::collections::BTreeMap;

use futures::TryStreamExt;
use marketplace_inbox_store::{
    Attachment, AuthorRole, ItemVersion, Message, MessageFacts, MessageId, OrderRef, OutboxEntry,
    Page, Status, StatusKind, Thread, ThreadId, VendorThread, awaiting_reply_since,
};
use marketplace_lectronz::{Client, types};
use marketplace_runtime::pagination::Page as ListPage;
use serde::{Deserialize, Serialize};

use crate::InboxError;
use crate::pass::{self, Ctx, last_activity, raw, version_of};
use crate::send::SendFailure;
use marketplace_inbox_store::Marketplace;

/// Where the account's Lectronz sync stands.
#[derive(Debug, Default, Serialize, Deserialize)]
struct State {
    /// A first pass has read the whole list: later passes stop early.
    complete: bool,
    /// Summaries of the list already stored by the pass under way.
    offset: u64,
}

pub(crate) fn thread_id(account: &str, order: i64) -> ThreadId {
    ThreadId {
        account: account.to_owned(),
        vendor: VendorThread::Lectronz { order_id: order },
    }
}

fn version(summary: &types::MessageSummary) -> (String, String) {
    (
        format!("message:{}", summary.id),
        version_of(summary.updated_at),
    )
}

pub(crate) async fn sync(ctx: &Ctx<'_>, client: &Client) -> Result<(), InboxError> {
    let state: State = ctx.checkpoint().await?.unwrap_or_default();
    let complete = state.complete;
    let start = if complete { 0 } else { state.offset };
    pass(ctx, client, start, complete, |offset| {
        (
            "sync",
            serde_json::to_value(State { complete, offset }).expect("serializes"),
        )
    })
    .await?;
    ctx.apply(
        &Page::default(),
        &State {
            complete: true,
            offset: 0,
        },
    )
    .await?;
    Ok(())
}

/// Reads the list from `start`; with `stop_early`, stops after the first page holding
/// an unchanged stored message. Each page is stored with `checkpoint(offset)`.
async fn pass(
    ctx: &Ctx<'_>,
    client: &Client,
    start: u64,
    stop_early: bool,
    checkpoint: impl Fn(u64) -> (&'static str, serde_json::Value),
) -> Result<(), InboxError> {
    let size = ctx.settings().lectronz_page_size;
    let mut pages = client.list_messages().limit(size).offset(start).by_page();
    let first = pages.try_next().await.map_err(|e| ctx.api(e))?;
    let account = ctx.account().clone();
    let checkpoint = &checkpoint;
    let read = move |page: ListPage<types::MessageSummary>| async move {
        let listed = page.items().len();
        let offset = page.offset() + listed as u64;
        let changed = ctx.changed(page.into_items(), version).await?;
        let seen_stored = changed.len() < listed;
        let fetched: Vec<(types::Message, ItemVersion)> = ctx
            .read_each(changed, |(summary, version)| async move {
                let message = client
                    .get_message()
                    .id(summary.id)
                    .send()
                    .await?
                    .into_inner();
                Ok::<_, marketplace_runtime::Error>((message, version))
            })
            .await
            .map_err(|e| ctx.api(e))?;
        Ok((fetched, offset, seen_stored))
    };
    let write = move |(fetched, offset, seen_stored): (
        Vec<(types::Message, ItemVersion)>,
        u64,
        bool,
    )| async move {
        let _unit = ctx.state.unit.lock().await;
        let page = messages_page(ctx, fetched).await?;
        let (stream, value) = checkpoint(offset);
        ctx.apply_in(stream, value, &page).await?;
        Ok(!(stop_early && seen_stored))
    };
    // A pass that stops early reads no page beyond the one it stops at.
    pass::each_page(&account, pages, first, !stop_early, read, write).await
}

/// The page storing `fetched` messages (with their versions) and the threads they
/// touch, each summarized from all its messages (stored and new).
async fn messages_page(
    ctx: &Ctx<'_>,
    fetched: Vec<(types::Message, ItemVersion)>,
) -> Result<Page, InboxError> {
    let mut page = Page::default();
    let mut by_order: BTreeMap<i64, Vec<Message>> = BTreeMap::new();
    for (message, version) in fetched {
        let id = thread_id(ctx.name(), message.subject.id);
        by_order
            .entry(message.subject.id)
            .or_default()
            .push(map_message(&id, &message));
        page.versions.push(version);
    }
    let ids: Vec<ThreadId> = by_order.keys().map(|&o| thread_id(ctx.name(), o)).collect();
    let mut stored: BTreeMap<ThreadId, Vec<MessageFacts>> = BTreeMap::new();
    for facts in ctx.store().message_facts(&ids).await? {
        stored.entry(facts.thread.clone()).or_default().push(facts);
    }
    for (id, new) in ids.into_iter().zip(by_order.into_values()) {
        let mut all = stored.remove(&id).unwrap_or_default();
        all.retain(|m| !new.iter().any(|n| n.id == m.id));
        all.extend(new.iter().map(MessageFacts::from));
        page.threads.push(summarize(id, &all));
        page.messages.extend(new);
    }
    Ok(page)
}

/// An order's thread from all its messages.
fn summarize(id: ThreadId, messages: &[MessageFacts]) -> Thread {
    let order = match id.vendor {
        VendorThread::Lectronz { order_id } => order_id,
        _ => unreachable!("Lectronz thread ids are built here"),
    };
    Thread {
        order: Some(OrderRef {
            id: Some(order.to_string()),
            number: None,
        }),
        subject: Some(format!("order {order}")),
        // Lectronz has no thread status.
        status: Status::new(StatusKind::Open, None),
        unread: messages
            .iter()
            .any(|m| m.author == AuthorRole::Buyer && m.read_at.is_none()),
        last_activity: last_activity(messages),
        awaiting_reply_since: awaiting_reply_since(messages),
        id,
    }
}

fn map_message(thread: &ThreadId, m: &types::Message) -> Message {
    let author = match m.type_ {
        types::MessageType::CustomerOrderMessage => AuthorRole::Buyer,
        types::MessageType::SellerOrderMessage => AuthorRole::Seller,
        // Who sends refund messages is not documented: Lectronz's own notice.
        types::MessageType::RefundOrderMessage => AuthorRole::System,
        _ => AuthorRole::Unknown,
    };
    Message {
        id: MessageId::vendor(m.id),
        thread: thread.clone(),
        author,
        text: Some(m.content.clone()).filter(|t| !t.is_empty()),
        attachments: m
            .attachment
            .iter()
            .map(|a| Attachment {
                name: Some(a.filename.clone()),
                url: Some(a.url.clone()),
                vendor_ref: None,
                content_type: Some(a.content_type.clone()),
                size: None,
            })
            .collect(),
        created_at: m.created_at,
        read_at: m.read_at,
        raw: raw(m),
    }
}

fn order_of(thread: &ThreadId) -> Result<i64, InboxError> {
    match thread.vendor {
        VendorThread::Lectronz { order_id } => Ok(order_id),
        _ => Err(pass::not_ours(thread, Marketplace::Lectronz)),
    }
}

/// Lectronz has no per-order history: a refresh reads the list from the top until
/// it meets what is stored (as a later sync pass does), leaving the sync's
/// checkpoint alone.
pub(crate) async fn refresh(ctx: &Ctx<'_>, client: &Client) -> Result<(), InboxError> {
    pass(ctx, client, 0, true, |_| {
        (pass::REFRESH_STREAM, serde_json::Value::Null)
    })
    .await
}

/// Sends a `seller_order_message` on the thread's order; Lectronz answers with it.
pub(crate) async fn send(
    client: &Client,
    thread: &ThreadId,
    entry: &OutboxEntry,
) -> Result<(Message, ItemVersion), SendFailure> {
    let order = order_of(thread).map_err(SendFailure::Refused)?;
    let created = client
        .create_message()
        .body(types::MessageCreate {
            content: entry.text.clone().unwrap_or_default(),
            subject: types::MessageSubjectRef {
                id: order,
                type_: types::SubjectType::Order,
            },
            type_: types::MessageType::SellerOrderMessage,
        })
        .send()
        .await
        .map_err(SendFailure::Send)?
        .into_inner();
    let version = ItemVersion {
        item: format!("message:{}", created.id),
        version: version_of(created.updated_at),
    };
    Ok((map_message(thread, &created), version))
}

/// Marks every unread buyer message of the thread read, one request each.
pub(crate) async fn mark_read(
    ctx: &Ctx<'_>,
    client: &Client,
    thread: &ThreadId,
) -> Result<(), InboxError> {
    order_of(thread)?;
    let _unit = ctx.state.unit.lock().await;
    let stored = ctx.store().messages(thread).await?;
    let mut marked = Vec::new();
    for message in stored
        .iter()
        .filter(|m| m.author == AuthorRole::Buyer && m.read_at.is_none())
    {
        let Some(id) = message.id.vendor_id().and_then(|v| v.parse::<i64>().ok()) else {
            continue;
        };
        let read = client
            .mark_message_as_read()
            .id(id)
            .send()
            .await
            .map_err(|e| ctx.api(e))?
            .into_inner();
        let version = ItemVersion {
            item: format!("message:{}", read.id),
            version: version_of(read.updated_at),
        };
        marked.push((read, version));
    }
    let page = messages_page(ctx, marked).await?;
    ctx.apply_in("mark_read", serde_json::Value::Null, &page)
        .await?;
    Ok(())
}

/// The thread of an order, before its first message (the thread a reply needs).
pub(crate) async fn start(ctx: &Ctx<'_>, order: &str) -> Result<Thread, InboxError> {
    let order: i64 = order.parse().map_err(|_| {
        InboxError::InvalidInput(format!("Lectronz order ids are integers, not {order:?}"))
    })?;
    let id = thread_id(ctx.name(), order);
    if let Some(thread) = ctx.store().thread(&id).await? {
        return Ok(thread);
    }
    let thread = summarize(id, &[]);
    let page = Page {
        threads: vec![thread.clone()],
        ..Page::default()
    };
    ctx.apply_in("start", serde_json::Value::Null, &page)
        .await?;
    Ok(thread)
}
