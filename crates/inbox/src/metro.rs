//! METRO Markets: a thread is a chat about an order.
//!
//! What changed: `GET /chats` with `filters[lastMessage][from]` set to the start of
//! the previous pass less the clock-skew margin (unverified filter, can be switched
//! off), in pages of [`PAGE`]; a listed chat whose `lastMessageAt` differs from the
//! stored version has its history read. Reading a history marks the chat's buyer
//! messages seen at METRO, so nothing else reads one.

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use marketplace_inbox_store::{
    Attachment, AuthorRole, ItemVersion, Message, MessageId, OrderRef, OutboxEntry, Page, Status,
    StatusKind, Thread, ThreadId, VendorThread, awaiting_reply_since,
};
use marketplace_metro_message_center::{Client, types};
use marketplace_runtime::pagination::Page as ListPage;
use serde::{Deserialize, Serialize};

use crate::InboxError;
use crate::pass::{self, Ctx, last_activity, raw, version_of};
use crate::send::SendFailure;
use marketplace_inbox_store::Marketplace;

/// Chats per list page and messages per history page (METRO documents no maximum;
/// its example uses 15).
const PAGE: u64 = 100;

/// Where the account's METRO sync stands.
#[derive(Debug, Default, Serialize, Deserialize)]
struct State {
    /// Chats whose last message is older were all stored by a finished pass.
    since: Option<DateTime<Utc>>,
    /// The pass under way, if any.
    pass: Option<Pass>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Pass {
    /// When it started (less the clock-skew margin): the next pass's `since`.
    started: DateTime<Utc>,
    /// Chats of the filtered list already stored.
    offset: u64,
}

pub(crate) fn thread_id(account: &str, chat_id: &str) -> ThreadId {
    ThreadId {
        account: account.to_owned(),
        vendor: VendorThread::Metro {
            chat_id: chat_id.to_owned(),
        },
    }
}

/// A chat's version: its last message's time (a status change alone is picked up
/// with the next message).
fn version(chat: &types::Chat) -> (String, String) {
    (
        format!("chat:{}", chat.id),
        chat.last_message_at.map(version_of).unwrap_or_default(),
    )
}

pub(crate) async fn sync(ctx: &Ctx<'_>, client: &Client) -> Result<(), InboxError> {
    let state: State = ctx.checkpoint().await?.unwrap_or_default();
    let pass = state.pass.clone().unwrap_or_else(|| Pass {
        started: Utc::now() - ctx.settings().clock_skew,
        offset: 0,
    });
    let mut list = client.list_chats().limit(PAGE).offset(pass.offset);
    if let Some(since) = state
        .since
        .filter(|_| ctx.settings().metro_last_message_filter)
    {
        list = list
            .filters_last_message_from(since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    }
    let mut pages = list.by_page();
    let first = pages.try_next().await.map_err(|e| ctx.api(e))?;
    let account = ctx.account().clone();
    let read = move |page: ListPage<types::Chat>| async move {
        let offset = page.offset() + page.items().len() as u64;
        Ok((read_chats(ctx, client, page.into_items()).await?, offset))
    };
    let write = move |(read, offset): (Vec<ReadChat>, u64)| async move {
        let _unit = ctx.state.unit.lock().await;
        let page = chats_page(ctx, read).await?;
        let next = State {
            since: state.since,
            pass: Some(Pass {
                started: pass.started,
                offset,
            }),
        };
        ctx.apply(&page, &next).await?;
        Ok(true)
    };
    pass::each_page(&account, pages, first, true, read, write).await?;
    let done = State {
        since: Some(pass.started),
        pass: None,
    };
    ctx.apply(&Page::default(), &done).await?;
    Ok(())
}

/// A changed chat, its new version and its history.
type ReadChat = (types::Chat, ItemVersion, Vec<types::Message>);

/// The changed chats of a listed page, their histories read.
async fn read_chats(
    ctx: &Ctx<'_>,
    client: &Client,
    chats: Vec<types::Chat>,
) -> Result<Vec<ReadChat>, InboxError> {
    let changed = ctx.changed(chats, version).await?;
    ctx.read_each(changed, |(chat, version)| async move {
        let history = match chat.last_message_at {
            Some(_) => history(client, &chat.id).await?,
            None => Vec::new(),
        };
        Ok::<_, marketplace_runtime::Error>((chat, version, history))
    })
    .await
    .map_err(|e| ctx.api(e))
}

/// The page storing read chats, their summaries completed from what is stored.
async fn chats_page(ctx: &Ctx<'_>, read: Vec<ReadChat>) -> Result<Page, InboxError> {
    let mut page = Page::default();
    for (chat, version, history) in read {
        let (thread, messages) = map_chat(ctx.name(), &chat, history);
        page.threads.push(thread);
        page.messages.extend(messages);
        page.versions.push(version);
    }
    pass::complete_summaries(ctx, &mut page.threads, &page.messages, |_| true).await?;
    Ok(page)
}

async fn history(
    client: &Client,
    chat_id: &str,
) -> marketplace_runtime::Result<Vec<types::Message>> {
    client
        .list_chat_messages()
        .chat_id(chat_id)
        .limit(PAGE)
        .by_item()
        .try_collect()
        .await
}

fn status(status: &types::ChatStatus) -> Status {
    let raw = status.to_string();
    let kind = match raw.as_str() {
        "DRAFT" => StatusKind::Draft,
        "WAITING_FOR_BUYER" => StatusKind::AwaitingBuyer,
        // Guessed values [R-MC]; harmless if METRO never sends them.
        "WAITING_FOR_SELLER" => StatusKind::AwaitingSeller,
        "CLOSED" => StatusKind::Closed,
        _ => StatusKind::Unknown,
    };
    Status::new(kind, raw)
}

/// A chat and its whole history as the model's thread and messages. `unread` is
/// METRO's `isSeen` as listed (before this sync's read marked the messages seen).
fn map_chat(
    account: &str,
    chat: &types::Chat,
    history: Vec<types::Message>,
) -> (Thread, Vec<Message>) {
    let id = thread_id(account, &chat.id);
    let messages: Vec<Message> = history
        .into_iter()
        .map(|m| map_message(&id, chat.created_at, m))
        .collect();
    let thread = Thread {
        order: Some(OrderRef {
            id: Some(chat.order.id.clone()),
            number: Some(chat.order.order_number.clone()),
        }),
        subject: Some(
            chat.custom_subject
                .clone()
                .unwrap_or_else(|| chat.subject.clone()),
        ),
        status: status(&chat.status),
        unread: !chat.is_seen,
        last_activity: chat
            .last_message_at
            .or_else(|| last_activity(&messages))
            .or(Some(chat.created_at)),
        awaiting_reply_since: awaiting_reply_since(&messages),
        id,
    };
    (thread, messages)
}

/// A METRO message. `createdAt` is presumed by the spec; a message without one is
/// placed at its chat's creation (never "now": a re-read must give the same value).
pub(crate) fn map_message(
    thread: &ThreadId,
    chat_created: DateTime<Utc>,
    m: types::Message,
) -> Message {
    let author = match &m.sender_user_type {
        types::SenderUserType::Buyer => AuthorRole::Buyer,
        types::SenderUserType::Seller => AuthorRole::Seller,
        _ => AuthorRole::Unknown,
    };
    Message {
        id: MessageId::vendor(&m.id),
        thread: thread.clone(),
        author,
        text: Some(m.content.clone()).filter(|t| !t.is_empty()),
        attachments: m
            .attachments
            .iter()
            .map(|a| Attachment {
                name: Some(a.file_name.clone()),
                url: None,
                vendor_ref: Some(a.file_id.clone()),
                content_type: Some(a.file_type.to_string()),
                size: None,
            })
            .collect(),
        created_at: m.created_at.unwrap_or(chat_created),
        read_at: m.seen_at,
        raw: raw(&m),
    }
}

fn chat_id(thread: &ThreadId) -> Result<&str, InboxError> {
    match &thread.vendor {
        VendorThread::Metro { chat_id } => Ok(chat_id),
        _ => Err(pass::not_ours(thread, Marketplace::Metro)),
    }
}

/// Reads one chat (listing filtered by its id) and its history, and stores both:
/// METRO then marks its buyer messages seen, which is why only a reply's
/// reconciliation and `mark_read` call it.
pub(crate) async fn refresh(
    ctx: &Ctx<'_>,
    client: &Client,
    thread: &ThreadId,
    unread: Option<bool>,
) -> Result<(), InboxError> {
    let chat_id = chat_id(thread)?;
    let _unit = ctx.state.unit.lock().await;
    let listed = client
        .list_chats()
        .filters_chat_id(chat_id)
        .limit(1u64)
        .send()
        .await
        .map_err(|e| ctx.api(e))?
        .into_inner();
    let Some(chat) = listed.data.into_iter().find(|c| c.id == chat_id) else {
        return Err(InboxError::NotFound(thread.clone()));
    };
    let history = history(client, chat_id).await.map_err(|e| ctx.api(e))?;
    let (mut thread, messages) = map_chat(ctx.name(), &chat, history);
    if let Some(unread) = unread {
        thread.unread = unread;
    }
    let (item, version) = version(&chat);
    let page = Page {
        versions: vec![ItemVersion { item, version }],
        threads: vec![thread],
        messages,
    };
    ctx.apply_refresh(&page).await?;
    Ok(())
}

/// Sends a reply (uploading its files first); METRO answers with the message.
pub(crate) async fn send(
    client: &Client,
    thread: &ThreadId,
    order_id: Option<&str>,
    entry: &OutboxEntry,
) -> Result<Option<Message>, SendFailure> {
    let chat_id = chat_id(thread).map_err(SendFailure::Refused)?;
    let mut attachments = Vec::with_capacity(entry.attachments.len());
    for file in &entry.attachments {
        let order_id = order_id.ok_or_else(|| {
            SendFailure::Refused(InboxError::InvalidInput(format!(
                "{thread}: no order id stored, which METRO's upload needs"
            )))
        })?;
        let bytes = crate::send::read_attachment(file).map_err(SendFailure::Refused)?;
        let file_type = types::AttachmentFileType::from(file.content_type.as_str());
        let uploaded = client
            .upload_file(order_id, file.name.clone(), file_type, bytes)
            .await
            // An upload sends no message: whatever became of it, the reply was not sent.
            .map_err(SendFailure::NotSent)?;
        attachments.push(uploaded.into_inner().data);
    }
    let body = types::MessageCreate {
        content: entry.text.clone().unwrap_or_default(),
        attachments,
    };
    let sent = client
        .send_message()
        .chat_id(chat_id)
        .body(body)
        .send()
        .await
        .map_err(SendFailure::Send)?
        .into_inner();
    Ok(Some(map_message(
        thread,
        sent.data.created_at.unwrap_or_else(Utc::now),
        sent.data,
    )))
}

/// Opens a chat about order `order_id` with a seller subject code.
pub(crate) async fn start(
    ctx: &Ctx<'_>,
    client: &Client,
    order_id: &str,
    subject: Option<&str>,
) -> Result<Thread, InboxError> {
    let subject = subject.ok_or_else(|| {
        InboxError::InvalidInput(
            "METRO needs a subject to open a chat (a seller subject code such as \
             INVOICE_INSTRUCTIONS)"
                .into(),
        )
    })?;
    let (subject, custom) = match subject.split_once(':') {
        // `OTHERS:<text>`: a custom subject.
        Some((code, text)) => (code.to_owned(), Some(text.trim().to_owned())),
        None => (subject.to_owned(), None),
    };
    let chat = client
        .create_chat()
        .order_id(order_id)
        .body(types::ChatCreate {
            subject,
            custom_subject: custom,
        })
        .send()
        .await
        .map_err(|e| ctx.api(e))?
        .into_inner()
        .data;
    let (thread, _) = map_chat(ctx.name(), &chat, Vec::new());
    let page = Page {
        threads: vec![thread.clone()],
        ..Page::default()
    };
    ctx.apply_in("start", serde_json::Value::Null, &page)
        .await?;
    Ok(thread)
}
