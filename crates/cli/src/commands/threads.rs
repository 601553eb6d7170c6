//! `mkt inbox`, `show`, `reply`, `mark-read`, `start`: the inbox library's reads and
//! writes, as tables or JSON.

use marketplace_inbox::{Message, OutboxEntry, Reply, Thread, ThreadFilter, ThreadId};
use marketplace_inbox_store::{AuthorRole, OutboxState};
use schemars::JsonSchema;
use serde::Serialize;

use super::{Context, inbox_error};
use crate::cli::{InboxArgs, ReplyArgs, StartArgs};
use crate::exit::{CliError, CliResult, Exit};
use crate::output::{ago, excerpt, when};

/// One line of `mkt inbox --json`: a thread awaiting a reply.
#[derive(Debug, Serialize, JsonSchema)]
pub struct InboxItem {
    /// The thread.
    #[serde(flatten)]
    pub thread: Thread,
    /// Seconds the oldest unanswered buyer message has waited.
    pub waiting_seconds: Option<i64>,
    /// The buyer's name, where the marketplace gives it with the messages.
    pub buyer: Option<String>,
    /// The last buyer message's text.
    pub last_buyer_message: Option<String>,
}

/// `mkt show --json`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Shown {
    /// The thread.
    pub thread: Thread,
    /// Its messages, oldest first.
    pub messages: Vec<Message>,
    /// Replies to it not confirmed sent (pending, unknown) or refused (failed).
    pub outbox: Vec<OutboxEntry>,
}

/// `mkt mark-read --json`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct MarkedRead {
    /// The thread.
    pub thread: ThreadId,
    /// Always true (a failure is an error).
    pub marked_read: bool,
}

fn thread_id(text: &str) -> CliResult<ThreadId> {
    text.parse().map_err(|e| {
        CliError::usage(format!("{e}")).hint("copy the id from `mkt inbox` (marketplace:account:…)")
    })
}

/// The buyer's name where a message's vendor value carries it (SkyHub `part.name`,
/// METRO and Lectronz do not name the buyer in messages).
fn buyer_name(messages: &[Message]) -> Option<String> {
    messages
        .iter()
        .filter(|m| m.author == AuthorRole::Buyer)
        .find_map(|m| {
            let raw = &m.raw;
            [
                &raw["part"]["name"],
                &raw["customer"]["name"],
                &raw["buyer"]["name"],
            ]
            .into_iter()
            .find_map(|v| v.as_str().filter(|s| !s.is_empty()).map(str::to_owned))
        })
}

pub async fn inbox(ctx: &Context, args: InboxArgs) -> CliResult {
    let session = ctx.session().await?;
    let inbox = session.inbox().await?;
    // A first sync that failed for some account leaves this list incomplete: the exit
    // code says so (partial), after the list of what the others had.
    let synced = super::sync::first_sync_if_needed(ctx, &session, &inbox).await?;
    let filter = ThreadFilter {
        marketplaces: args.marketplaces,
        unread: args.unread.then_some(true),
        statuses: args.statuses,
        limit: args.limit,
    };
    let threads = inbox.awaiting_reply(&filter).await.map_err(inbox_error)?;
    let mut items = Vec::with_capacity(threads.len());
    for thread in threads {
        let messages = inbox.messages(&thread.id).await.map_err(inbox_error)?;
        let last_buyer_message = messages
            .iter()
            .rev()
            .find(|m| m.author == AuthorRole::Buyer)
            .and_then(|m| m.text.clone());
        items.push(InboxItem {
            waiting_seconds: thread
                .awaiting_reply_since
                .map(|t| (ctx.out.now - t).num_seconds()),
            buyer: buyer_name(&messages),
            last_buyer_message,
            thread,
        });
    }
    if ctx.out.json {
        for item in &items {
            ctx.out.json(item)?;
        }
        return Ok(synced);
    }
    if items.is_empty() {
        ctx.out.line("Nobody is waiting for an answer.")?;
        return Ok(synced);
    }
    let rows = items
        .iter()
        .map(|item| {
            let t = &item.thread;
            vec![
                t.id.vendor.marketplace().to_string(),
                t.id.to_string(),
                order(t),
                item.buyer.clone().unwrap_or_default(),
                t.awaiting_reply_since
                    .map(|at| ago(ctx.out.now, at))
                    .unwrap_or_default(),
                item.last_buyer_message
                    .as_deref()
                    .map(|text| excerpt(text, 48))
                    .unwrap_or_default(),
            ]
        })
        .collect();
    ctx.out.table(
        &[
            "marketplace",
            "thread",
            "order",
            "buyer",
            "waiting",
            "last buyer message",
        ],
        rows,
    )?;
    let counts = inbox.unread_counts().await.map_err(inbox_error)?;
    let unread: Vec<String> = counts
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(m, n)| format!("{m} {n}"))
        .collect();
    let mut footer = format!("{} thread(s) awaiting a reply", items.len());
    if !unread.is_empty() {
        footer.push_str(&format!("; unread: {}", unread.join(", ")));
    }
    ctx.out
        .line(&format!("\n{footer}. `mkt show <thread>` to read one."))?;
    Ok(synced)
}

fn order(thread: &Thread) -> String {
    thread
        .order
        .as_ref()
        .and_then(|o| o.number.clone().or_else(|| o.id.clone()))
        .unwrap_or_default()
}

pub async fn show(ctx: &Context, thread: &str) -> CliResult {
    let id = thread_id(thread)?;
    let session = ctx.session().await?;
    let inbox = session.inbox().await?;
    super::sync::first_sync_if_needed(ctx, &session, &inbox).await?;
    let thread = inbox.thread(&id).await.map_err(inbox_error)?;
    let messages = inbox.messages(&id).await.map_err(inbox_error)?;
    let mut outbox = Vec::new();
    for state in [
        OutboxState::Pending,
        OutboxState::Unknown,
        OutboxState::Failed,
    ] {
        outbox.extend(
            inbox
                .outbox(state)
                .await
                .map_err(inbox_error)?
                .into_iter()
                .filter(|e| e.thread == id),
        );
    }
    let shown = Shown {
        thread,
        messages,
        outbox,
    };
    if ctx.out.json {
        ctx.out.json(&shown)?;
        return Ok(Exit::Success);
    }
    print_thread(ctx, &shown)?;
    Ok(Exit::Success)
}

fn print_thread(ctx: &Context, shown: &Shown) -> CliResult<()> {
    let t = &shown.thread;
    let status = match &t.status.raw {
        Some(raw) => format!("{} ({raw})", t.status.kind.as_str()),
        None => t.status.kind.as_str().to_owned(),
    };
    let mut head = format!("{}\n  status: {status}", t.id);
    let order = order(t);
    if !order.is_empty() {
        head.push_str(&format!("  order: {order}"));
    }
    if let Some(subject) = &t.subject {
        head.push_str(&format!("  subject: {subject}"));
    }
    if let Some(since) = t.awaiting_reply_since {
        head.push_str(&format!(
            "\n  awaiting your reply for {}",
            ago(ctx.out.now, since)
        ));
    }
    ctx.out.line(&head)?;
    let rows: Vec<Vec<String>> = shown
        .messages
        .iter()
        .map(|m| {
            let mut text = m.text.clone().unwrap_or_else(|| "(no text)".to_owned());
            for a in &m.attachments {
                let name = a.name.as_deref().or(a.url.as_deref()).unwrap_or("file");
                text.push_str(&format!("\n[attachment: {name}]"));
            }
            vec![when(m.created_at), author(m.author).to_owned(), text]
        })
        .collect();
    if rows.is_empty() {
        ctx.out.line("\n(no messages stored)")?;
    } else {
        ctx.out.line("")?;
        ctx.out.table(&["time", "from", "message"], rows)?;
    }
    for entry in &shown.outbox {
        ctx.out.line(&format!(
            "\n{} {}: {}{}",
            entry.id,
            entry.state.as_str(),
            entry.text.as_deref().unwrap_or(""),
            entry
                .error
                .as_deref()
                .map(|e| format!(" ({e})"))
                .unwrap_or_default()
        ))?;
    }
    if let Some(last) = shown.messages.last() {
        ctx.out.line(&format!(
            "\nReply: mkt reply {} \"…\" --last-seen {}",
            t.id, last.id
        ))?;
    }
    Ok(())
}

fn author(role: AuthorRole) -> &'static str {
    match role {
        AuthorRole::Buyer => "buyer",
        AuthorRole::Seller => "you",
        AuthorRole::MarketplaceSupport => "support",
        AuthorRole::System => "system",
        AuthorRole::Unknown => "?",
    }
}

pub async fn reply(ctx: &Context, args: ReplyArgs) -> CliResult {
    let id = thread_id(&args.thread)?;
    let mut attachments = Vec::new();
    for path in &args.attachments {
        attachments.push(marketplace_inbox::attachment_from_path(path).map_err(inbox_error)?);
    }
    let last_seen = args
        .last_seen
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(|e| CliError::usage(format!("--last-seen: {e}")))?;
    let session = ctx.session().await?;
    let inbox = session.inbox().await?;
    super::sync::first_sync_if_needed(ctx, &session, &inbox).await?;
    let entry = inbox
        .reply(Reply {
            thread: id.clone(),
            text: args.text,
            attachments,
            last_seen,
            force: args.force,
        })
        .await
        .map_err(inbox_error)?;
    if ctx.out.json {
        ctx.out.json(&entry)?;
    } else {
        let vendor = entry
            .vendor_message_id
            .as_ref()
            .map(|m| format!(" as message {m}"))
            .unwrap_or_default();
        ctx.out
            .line(&format!("Sent to {id}{vendor} ({}).", entry.id))?;
    }
    Ok(Exit::Success)
}

pub async fn mark_read(ctx: &Context, thread: &str) -> CliResult {
    let id = thread_id(thread)?;
    let session = ctx.session().await?;
    let inbox = session.inbox().await?;
    super::sync::first_sync_if_needed(ctx, &session, &inbox).await?;
    inbox.mark_read(&id).await.map_err(inbox_error)?;
    if ctx.out.json {
        ctx.out.json(&MarkedRead {
            thread: id,
            marked_read: true,
        })?;
    } else {
        ctx.out.line(&format!("Marked {id} read."))?;
    }
    Ok(Exit::Success)
}

pub async fn start(ctx: &Context, args: StartArgs) -> CliResult {
    let session = ctx.session().await?;
    let account =
        crate::clients::pick(&session.accounts, args.marketplace, args.account.as_deref())?;
    let account = marketplace_inbox::Account::new(args.marketplace, account.name.clone())
        .map_err(|e| CliError::usage(e.to_string()))?;
    let inbox = session.inbox().await?;
    let thread = inbox
        .start_thread(&account, &args.order, args.subject.as_deref(), &args.text)
        .await
        .map_err(inbox_error)?;
    if ctx.out.json {
        ctx.out.json(&thread)?;
    } else {
        ctx.out.line(&format!("Started {}.", thread.id))?;
    }
    Ok(Exit::Success)
}
