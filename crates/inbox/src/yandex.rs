//! Yandex Market: a thread is a chat of a cabinet (`businessId`).
//!
//! What changed: `getChats` has no change filter, so every pass lists every chat
//! (20 a page) and compares its `updatedAt` (and status) with the stored version; a
//! changed chat's history is read from the last stored message on (`messageIdFrom`,
//! inclusive). Notifications (`CHAT_CREATED`, `CHAT_MESSAGE_SENT`) refresh one chat
//! between passes ([`refresh`]).

use std::num::{NonZeroU32, NonZeroU64};

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use marketplace_inbox_store::{
    Attachment, AuthorRole, ItemVersion, Message, MessageId, OrderRef, OutboxEntry, Page, Status,
    StatusKind, Thread, ThreadId, VendorThread,
};
use marketplace_runtime::pagination::Page as ListPage;
use marketplace_yandex_market_chats::{ChatFile, Client, types};
use serde::{Deserialize, Serialize};

use crate::InboxError;
use crate::pass::{self, Ctx, awaiting_after, last_activity, raw, version_of};
use crate::send::SendFailure;
use marketplace_inbox_store::Marketplace;

/// Chats per `getChats` page: Yandex's maximum.
const CHATS_PAGE: u32 = 20;
/// Messages per `getChatHistory` page: Yandex's maximum.
const HISTORY_PAGE: u32 = 100;

/// Where the account's Yandex sync stands.
#[derive(Debug, Default, Serialize, Deserialize)]
struct State {
    /// The pass under way: the page token of its next page (`None`: the first).
    pass: Option<Pass>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Pass {
    next: Option<String>,
}

pub(crate) fn thread_id(account: &str, business_id: NonZeroU64, chat_id: NonZeroU64) -> ThreadId {
    ThreadId {
        account: account.to_owned(),
        vendor: VendorThread::Yandex {
            business_id: business_id.get() as i64,
            chat_id: chat_id.get() as i64,
        },
    }
}

fn version(chat: &types::ChatInfo) -> (String, String) {
    (
        format!("chat:{}", chat.chat_id),
        format!("{}|{}", version_of(chat.updated_at), chat.status),
    )
}

pub(crate) async fn sync(
    ctx: &Ctx<'_>,
    client: &Client,
    business_id: NonZeroU64,
) -> Result<(), InboxError> {
    let state: State = ctx.checkpoint().await?.unwrap_or_default();
    let resume = state.pass.and_then(|p| p.next);
    let list = |token: Option<String>| {
        let mut list = client
            .get_chats()
            .business_id(business_id)
            .limit(NonZeroU32::new(CHATS_PAGE).expect("positive"))
            .body(types::GetChatsRequest::default());
        if let Some(token) = token {
            list = list.page_token(token);
        }
        list.by_page()
    };
    let mut pages = list(resume.clone());
    let first = match pages.try_next().await {
        // A page token may expire: a resumed pass whose token is refused starts over.
        Err(e) if resume.is_some() && e.status().is_some_and(|s| s.is_client_error()) => {
            tracing::info!(account = ?ctx.account(), "stored page token refused; starting the pass over");
            pages = list(None);
            pages.try_next().await
        }
        other => other,
    }
    .map_err(|e| ctx.api(e))?;
    let account = ctx.account().clone();
    let read = move |page: ListPage<types::ChatInfo>| async move {
        let next = page.next_token().map(str::to_owned);
        Ok((
            chats_page(ctx, client, business_id, page.into_items()).await?,
            next,
        ))
    };
    let write = move |(mut page, next): (Page, Option<String>)| async move {
        let _unit = ctx.state.unit.lock().await;
        pass::complete_summaries(ctx, &mut page.threads, &page.messages, |_| true).await?;
        for thread in &mut page.threads {
            thread.unread = thread.awaiting_reply_since.is_some();
        }
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

/// The changed chats of a listed page, read: their threads and new messages.
async fn chats_page(
    ctx: &Ctx<'_>,
    client: &Client,
    business_id: NonZeroU64,
    chats: Vec<types::ChatInfo>,
) -> Result<Page, InboxError> {
    let changed = ctx.changed(chats, version).await?;
    let read = ctx
        .read_each(changed, |(chat, version)| async move {
            let id = thread_id(ctx.name(), business_id, chat.chat_id);
            let (thread, messages) = read_chat(ctx, client, business_id, &id, chat).await?;
            Ok::<_, InboxError>((thread, messages, version))
        })
        .await?;
    let mut page = Page::default();
    for (thread, messages, version) in read {
        page.threads.push(thread);
        page.messages.extend(messages);
        page.versions.push(version);
    }
    Ok(page)
}

/// A chat's thread and its messages not stored yet (from the last stored one on).
async fn read_chat(
    ctx: &Ctx<'_>,
    client: &Client,
    business_id: NonZeroU64,
    id: &ThreadId,
    chat: types::ChatInfo,
) -> Result<(Thread, Vec<Message>), InboxError> {
    let old = ctx.store().thread(id).await?;
    let from = match &old {
        Some(_) => ctx
            .store()
            .last_message(id)
            .await?
            .and_then(|m| m.id.vendor_id().and_then(|v| v.parse::<u64>().ok()))
            .and_then(NonZeroU64::new),
        None => None,
    };
    let unchanged = old
        .as_ref()
        .is_some_and(|t| t.last_activity == Some(chat.updated_at));
    let messages = if unchanged {
        Vec::new()
    } else {
        history(client, business_id, chat.chat_id, from)
            .await
            .map_err(|e| ctx.api(e))?
            .into_iter()
            .map(|m| map_message(id, m))
            .collect()
    };
    let awaiting = awaiting_after(old.as_ref().and_then(|t| t.awaiting_reply_since), &messages);
    let thread = map_chat(id.clone(), &chat, awaiting, last_activity(&messages));
    Ok((thread, messages))
}

async fn history(
    client: &Client,
    business_id: NonZeroU64,
    chat_id: NonZeroU64,
    from: Option<NonZeroU64>,
) -> marketplace_runtime::Result<Vec<types::ChatMessage>> {
    let mut pages = client
        .get_chat_history()
        .business_id(business_id)
        .chat_id(chat_id)
        .limit(NonZeroU32::new(HISTORY_PAGE).expect("positive"))
        .body(types::GetChatHistoryRequest {
            message_id_from: from,
        })
        .by_page();
    let mut messages = Vec::new();
    while let Some(page) = pages.try_next().await? {
        messages.extend(page.into_items());
    }
    Ok(messages)
}

fn status(status: &types::ChatStatusType) -> Status {
    let raw = status.to_string();
    let kind = match raw.as_str() {
        "NEW" => StatusKind::New,
        "WAITING_FOR_PARTNER" => StatusKind::AwaitingSeller,
        "WAITING_FOR_CUSTOMER" => StatusKind::AwaitingBuyer,
        "WAITING_FOR_ARBITER" | "WAITING_FOR_MARKET" => StatusKind::AwaitingMarketplace,
        "FINISHED" => StatusKind::Closed,
        _ => StatusKind::Unknown,
    };
    Status::new(kind, raw)
}

/// A chat as the model's thread. Yandex documents no read state: a chat is unread
/// while a buyer message awaits the store's answer.
fn map_chat(
    id: ThreadId,
    chat: &types::ChatInfo,
    awaiting: Option<DateTime<Utc>>,
    newest: Option<DateTime<Utc>>,
) -> Thread {
    let context = &chat.context;
    let subject = match context.return_id {
        Some(return_id) => format!("{} {} {return_id}", chat.type_, context.type_),
        None => format!("{} {}", chat.type_, context.type_),
    };
    Thread {
        id,
        order: context.order_id.or(chat.order_id).map(|order| OrderRef {
            id: Some(order.to_string()),
            number: None,
        }),
        subject: Some(subject),
        status: status(&chat.status),
        unread: awaiting.is_some(),
        last_activity: Some(newest.map_or(chat.updated_at, |n| n.max(chat.updated_at))),
        awaiting_reply_since: awaiting,
    }
}

fn map_message(thread: &ThreadId, m: types::ChatMessage) -> Message {
    let author = match m.sender.to_string().as_str() {
        "CUSTOMER" => AuthorRole::Buyer,
        "PARTNER" => AuthorRole::Seller,
        "SUPPORT" => AuthorRole::MarketplaceSupport,
        "MARKET" => AuthorRole::System,
        _ => AuthorRole::Unknown,
    };
    Message {
        id: MessageId::vendor(m.message_id),
        thread: thread.clone(),
        author,
        text: m.message.clone(),
        attachments: m
            .payload
            .iter()
            .flatten()
            .map(|p| Attachment {
                name: Some(p.name.clone()),
                url: Some(p.url.to_string()),
                vendor_ref: None,
                content_type: None,
                size: u64::try_from(p.size).ok(),
            })
            .collect(),
        created_at: m.created_at,
        read_at: None,
        raw: raw(&m),
    }
}

fn ids(thread: &ThreadId) -> Result<(NonZeroU64, NonZeroU64), InboxError> {
    match thread.vendor {
        VendorThread::Yandex {
            business_id,
            chat_id,
        } => match (
            NonZeroU64::new(business_id as u64),
            NonZeroU64::new(chat_id as u64),
        ) {
            (Some(b), Some(c)) if business_id > 0 && chat_id > 0 => Ok((b, c)),
            _ => Err(InboxError::InvalidInput(format!(
                "{thread}: ids must be positive"
            ))),
        },
        _ => Err(pass::not_ours(thread, Marketplace::Yandex)),
    }
}

/// Reads one chat and its new messages and stores them: what a notification or a
/// reply's reconciliation triggers. `getChat` (1 000 an hour) only for a chat not
/// stored yet; a stored chat is refreshed from its history alone (10 000 an hour).
pub(crate) async fn refresh(
    ctx: &Ctx<'_>,
    client: &Client,
    thread: &ThreadId,
) -> Result<(), InboxError> {
    let (business_id, chat_id) = ids(thread)?;
    let _unit = ctx.state.unit.lock().await;
    let page = match ctx.store().thread(thread).await? {
        None => {
            let chat = client
                .get_chat()
                .business_id(business_id)
                .chat_id(chat_id)
                .send()
                .await
                .map_err(|e| ctx.api(e))?
                .into_inner()
                .result
                .ok_or_else(|| InboxError::NotFound(thread.clone()))?;
            let (item, version) = version(&chat);
            let (thread, messages) = read_chat(ctx, client, business_id, thread, chat).await?;
            Page {
                threads: vec![thread],
                messages,
                versions: vec![ItemVersion { item, version }],
            }
        }
        Some(mut old) => {
            let from = ctx
                .store()
                .last_message(thread)
                .await?
                .and_then(|m| m.id.vendor_id().and_then(|v| v.parse::<u64>().ok()))
                .and_then(NonZeroU64::new);
            let messages: Vec<Message> = history(client, business_id, chat_id, from)
                .await
                .map_err(|e| ctx.api(e))?
                .into_iter()
                .map(|m| map_message(thread, m))
                .collect();
            // The status is the one of the last pass: the history does not carry it.
            old.awaiting_reply_since = awaiting_after(old.awaiting_reply_since, &messages);
            old.unread = old.awaiting_reply_since.is_some();
            old.last_activity = old.last_activity.max(last_activity(&messages));
            Page {
                threads: vec![old],
                messages,
                versions: Vec::new(),
            }
        }
    };
    ctx.apply_refresh(&page).await?;
    Ok(())
}

/// Sends the text, then each file as a message of its own; Yandex answers no id.
/// A file failing after the text went is reported, the reply being sent.
pub(crate) async fn send(
    client: &Client,
    thread: &ThreadId,
    entry: &OutboxEntry,
) -> Result<Result<(), marketplace_runtime::Error>, SendFailure> {
    let (business_id, chat_id) = ids(thread).map_err(SendFailure::Refused)?;
    let files = entry
        .attachments
        .iter()
        .map(|file| {
            crate::send::read_attachment(file).map(|bytes| {
                ChatFile::new(file.name.clone(), bytes).with_content_type(file.content_type.clone())
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(SendFailure::Refused)?;
    client
        .send_message(business_id, chat_id, entry.text.clone().unwrap_or_default())
        .await
        .map_err(SendFailure::Send)?;
    for file in files {
        if let Err(e) = client.send_file_to_chat(business_id, chat_id, file).await {
            return Ok(Err(e));
        }
    }
    Ok(Ok(()))
}

/// Opens (or finds: Yandex returns the existing one) the chat of order `order`.
pub(crate) async fn start(
    ctx: &Ctx<'_>,
    client: &Client,
    business_id: NonZeroU64,
    order: &str,
) -> Result<ThreadId, InboxError> {
    let order_id = order
        .parse::<u64>()
        .ok()
        .and_then(NonZeroU64::new)
        .ok_or_else(|| {
            InboxError::InvalidInput(format!(
                "Yandex order ids are positive integers, not {order:?}"
            ))
        })?;
    let created = client
        .create_chat()
        .business_id(business_id)
        .body(types::CreateChatRequest {
            context: Some(types::ChatContext {
                id: order_id,
                type_: types::ChatContextIdentifiableType::Order,
            }),
            order_id: None,
        })
        .send()
        .await
        .map_err(|e| ctx.api(e))?
        .into_inner()
        .result
        .ok_or_else(|| {
            InboxError::InvalidInput(format!("Yandex opened no chat for order {order}"))
        })?;
    let id = thread_id(ctx.name(), business_id, created.chat_id);
    refresh(ctx, client, &id).await?;
    Ok(id)
}
