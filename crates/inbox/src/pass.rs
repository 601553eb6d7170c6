//! What every marketplace's pass shares: the account's checkpoint, telling what
//! changed, storing a page with its checkpoint, completing thread summaries, the
//! pipelined walk over a list, and small mapping helpers.

use std::collections::HashMap;
use std::pin::pin;

use chrono::{DateTime, Utc};
use futures::future::{self, Either, TryFutureExt};
use futures::{StreamExt, TryStreamExt, stream};
use marketplace_inbox_store::{
    Account, ApplyReport, AuthorRole, Authored, Checkpoint, ItemVersion, Marketplace, Message,
    MessageFacts, Page, Store, Thread, ThreadId, awaiting_reply_since,
};
use marketplace_runtime::pagination::{Page as ListPage, Pages};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::account::AccountState;
use crate::report::SyncProgress;
use crate::{InboxError, Inner, Interrupt, Settings};

/// The checkpoint stream of an account's sync passes.
pub(crate) const SYNC_STREAM: &str = "sync";
/// The stream a one-thread refresh (a push, a reply's reconciliation) writes.
pub(crate) const REFRESH_STREAM: &str = "refresh";

/// What one account's work reads and writes, with counts for its report.
pub(crate) struct Ctx<'a> {
    pub(crate) inner: &'a Inner,
    pub(crate) state: &'a AccountState,
    progress: &'a (dyn Fn(SyncProgress) + Send + Sync),
    /// Pages stored by this unit of work (for the interrupt points), and counts of
    /// what they stored: one lock, taken only to add to them.
    totals: std::sync::Mutex<Totals>,
}

/// Counts of what a sync stored.
#[derive(Default, Clone, Copy)]
pub(crate) struct Totals {
    pub(crate) pages: u64,
    pub(crate) threads_new: u64,
    pub(crate) threads_updated: u64,
    pub(crate) messages_new: u64,
    pub(crate) messages_updated: u64,
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(
        inner: &'a Inner,
        state: &'a AccountState,
        progress: &'a (dyn Fn(SyncProgress) + Send + Sync),
    ) -> Self {
        Ctx {
            inner,
            state,
            progress,
            totals: std::sync::Mutex::default(),
        }
    }

    pub(crate) fn account(&self) -> &Account {
        &self.state.account
    }

    pub(crate) fn store(&self) -> &dyn Store {
        &*self.inner.store
    }

    pub(crate) fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// The account's name (every thread id carries it).
    pub(crate) fn name(&self) -> &str {
        &self.state.account.name
    }

    /// A client error of this account.
    pub(crate) fn api(&self, error: marketplace_runtime::Error) -> InboxError {
        InboxError::api(&self.state.account, error)
    }

    /// The state of the account's sync, as the last stored page left it; `None`
    /// before the first page, or if it does not read back (a pass then starts over,
    /// which upserts make harmless).
    pub(crate) async fn checkpoint<T: DeserializeOwned>(&self) -> Result<Option<T>, InboxError> {
        let Some(value) = self.store().checkpoint(self.account(), SYNC_STREAM).await? else {
            return Ok(None);
        };
        match serde_json::from_value(value) {
            Ok(state) => Ok(Some(state)),
            Err(e) => {
                tracing::warn!(account = ?self.account(), error = %e, "sync checkpoint unreadable; starting a new pass");
                Ok(None)
            }
        }
    }

    /// Stores a sync page with the account's new sync state, in one transaction.
    pub(crate) async fn apply(
        &self,
        page: &Page,
        state: &impl Serialize,
    ) -> Result<ApplyReport, InboxError> {
        let value = serde_json::to_value(state).expect("sync states serialize");
        self.apply_in(SYNC_STREAM, value, page).await
    }

    /// Stores what a refresh of one thread read; a refresh has no position to keep,
    /// so its stream's checkpoint is `null` and the sync's checkpoint is left alone.
    pub(crate) async fn apply_refresh(&self, page: &Page) -> Result<ApplyReport, InboxError> {
        self.apply_in(REFRESH_STREAM, serde_json::Value::Null, page)
            .await
    }

    /// What this unit of work stored so far.
    pub(crate) fn totals(&self) -> Totals {
        *self.totals.lock().expect("no panic while counting")
    }

    /// Stores a page outside a sync pass (a push refresh, a reply), with `stream`'s
    /// checkpoint: the sync's own stays as it is.
    pub(crate) async fn apply_in(
        &self,
        stream: &str,
        value: serde_json::Value,
        page: &Page,
    ) -> Result<ApplyReport, InboxError> {
        let number = {
            let mut totals = self.totals.lock().expect("no panic while counting");
            totals.pages += 1;
            totals.pages
        };
        self.settings().interrupted(Interrupt::BeforePage {
            account: self.account().clone(),
            page: number,
        })?;
        let checkpoint = Checkpoint {
            stream: stream.to_owned(),
            value,
        };
        let report = self
            .store()
            .apply_page(self.account(), page, &checkpoint)
            .await?;
        let t = {
            let mut totals = self.totals.lock().expect("no panic while counting");
            totals.threads_new += report.threads_inserted;
            totals.threads_updated += report.threads_updated;
            totals.messages_new += report.messages_inserted;
            totals.messages_updated += report.messages_updated;
            *totals
        };
        if report.changes > 0 {
            self.inner.changes.send_modify(|n| *n += 1);
        }
        if !page.threads.is_empty() || !page.messages.is_empty() {
            (self.progress)(SyncProgress::Page {
                account: self.state.account.clone(),
                threads: t.threads_new + t.threads_updated,
                messages: t.messages_new + t.messages_updated,
            });
        }
        Ok(report)
    }

    /// Reads each item with `read`, in order, at most the inbox's concurrency of them
    /// in flight for the account (however many pages a pass reads at once).
    pub(crate) async fn read_each<I, O, E, Read>(
        &self,
        items: Vec<I>,
        read: impl Fn(I) -> Read,
    ) -> Result<Vec<O>, E>
    where
        Read: Future<Output = Result<O, E>>,
    {
        read_limited(&self.state.reads, self.settings().concurrency, items, read).await
    }

    /// The items whose version differs from the stored one, each with its new
    /// version; `key` gives an item's key and current version.
    pub(crate) async fn changed<T>(
        &self,
        items: Vec<T>,
        key: impl Fn(&T) -> (String, String),
    ) -> Result<Vec<(T, ItemVersion)>, InboxError> {
        let keyed: Vec<(T, ItemVersion)> = items
            .into_iter()
            .map(|item| {
                let (item_key, version) = key(&item);
                (
                    item,
                    ItemVersion {
                        item: item_key,
                        version,
                    },
                )
            })
            .collect();
        let keys: Vec<String> = keyed.iter().map(|(_, v)| v.item.clone()).collect();
        let stored = self.store().item_versions(self.account(), &keys).await?;
        Ok(keyed
            .into_iter()
            .zip(stored)
            .filter(|((_, version), stored)| stored.as_deref() != Some(version.version.as_str()))
            .map(|(pair, _)| pair)
            .collect())
    }
}

/// Reads each item with `read`, in order, each holding one of `permits` (`limit` in
/// all) while it runs: reads of several pages share the permits, oldest first.
async fn read_limited<I, O, E, Read>(
    permits: &tokio::sync::Semaphore,
    limit: usize,
    items: Vec<I>,
    read: impl Fn(I) -> Read,
) -> Result<Vec<O>, E>
where
    Read: Future<Output = Result<O, E>>,
{
    stream::iter(items)
        .map(|item| {
            let read = read(item);
            async move {
                let _permit = permits.acquire().await.expect("never closed");
                read.await
            }
        })
        .buffered(limit)
        .try_collect()
        .await
}

/// Pages a pass reads while it stores an earlier one. Their reads share the account's
/// permits (oldest page first), so the account keeps its reads in flight across page
/// boundaries instead of draining them at the end of each page.
const READ_AHEAD: usize = 3;

/// Runs a pass over a list: `read` reads a listed page's changed items from the
/// marketplace (no lock, no store write), `write` stores what was read (it takes the
/// account's unit lock and says whether to go on). With `prefetch`, up to
/// [`READ_AHEAD`] pages are listed and read while the page before them is stored, so
/// round trips and commits overlap; without it (a pass that may stop early) nothing
/// is read that is not stored. `first` is the list's first page, already read
/// (`None`: an empty list). Pages are stored in list order; a failure stops the pass
/// with the pages before it stored.
///
/// `read` and `write` are closures returning futures rather than async closures: the
/// future of an `AsyncFn` borrows the closure for any lifetime, and rustc then cannot
/// prove the pass `Send`, which would make `Inbox::sync` unspawnable.
pub(crate) async fn each_page<T, R, Read, Write>(
    account: &Account,
    mut pages: Pages<'_, T>,
    first: Option<ListPage<T>>,
    prefetch: bool,
    read: impl Fn(ListPage<T>) -> Read + Sync,
    write: impl Fn(R) -> Write,
) -> Result<(), InboxError>
where
    T: Send,
    R: Send,
    Read: Future<Output = Result<R, InboxError>> + Send,
    Write: Future<Output = Result<bool, InboxError>>,
{
    let api = |e| InboxError::api(account, e);
    let Some(first) = first else {
        return Ok(());
    };
    if !prefetch {
        let mut next = Some(first);
        while let Some(page) = next {
            if !write(read(page).await?).await? {
                return Ok(());
            }
            next = pages.try_next().await.map_err(api)?;
        }
        return Ok(());
    }
    // Every page listed and not yet stored holds one of these permits: read-ahead
    // stops at the bound, not in the middle of a page's reads. A read must never wait
    // on the writer (it may hold a store connection the writer needs), so the pages
    // go to the writer unbounded, in list order, a failed read after the pages
    // before it; the writer stopping (done, or a failure) drops the reads under way.
    let unstored = tokio::sync::Semaphore::new(READ_AHEAD + 1);
    let unstored = &unstored;
    let (to_store, mut read_pages) = tokio::sync::mpsc::unbounded_channel();
    let read = &read;
    // Boxed: with its combinators' closure types erased, rustc can prove the pass
    // `Send` (it cannot through closures borrowing for any lifetime, rust#102211).
    let mut reads = stream::once(async { Ok(first) })
        .chain(pages.map_err(api))
        .and_then(move |page| async move {
            let permit = unstored.acquire().await.expect("never closed");
            Ok((permit, page))
        })
        .map_ok(move |(permit, page)| read(page).map_ok(|read| (permit, read)))
        .try_buffered(READ_AHEAD)
        .boxed();
    let reading = async move {
        while let Some(read) = reads.next().await {
            let failed = read.is_err();
            if to_store.send(read).is_err() || failed {
                return;
            }
        }
    };
    let storing = async {
        while let Some(read) = read_pages.recv().await {
            let (_permit, read) = read?;
            if !write(read).await? {
                break;
            }
        }
        Ok(())
    };
    match future::select(pin!(storing), pin!(reading)).await {
        Either::Left((stored, _reads_under_way)) => stored,
        Either::Right(((), storing)) => storing.await,
    }
}

/// Completes the summaries of `threads` (their awaiting time and last activity) from
/// their stored messages and the page's `messages`, which win. Called while storing,
/// under the unit lock: what was stored since the page was read (a reply, a push
/// refresh) counts, so an older read never rolls a thread back. `can_await` says
/// whether a thread can await the seller at all.
pub(crate) async fn complete_summaries(
    ctx: &Ctx<'_>,
    threads: &mut [Thread],
    messages: &[Message],
    can_await: impl Fn(&ThreadId) -> bool,
) -> Result<(), InboxError> {
    let ids: Vec<ThreadId> = threads.iter().map(|t| t.id.clone()).collect();
    let mut history: HashMap<ThreadId, Vec<MessageFacts>> = HashMap::new();
    for stored in ctx.store().message_facts(&ids).await? {
        if !messages
            .iter()
            .any(|m| m.id == stored.id && m.thread == stored.thread)
        {
            history
                .entry(stored.thread.clone())
                .or_default()
                .push(stored);
        }
    }
    for message in messages {
        history
            .entry(message.thread.clone())
            .or_default()
            .push(message.into());
    }
    for thread in threads {
        let all = history.remove(&thread.id).unwrap_or_default();
        thread.awaiting_reply_since = if can_await(&thread.id) {
            awaiting_reply_since(&all)
        } else {
            None
        };
        thread.last_activity = thread.last_activity.max(last_activity(&all));
    }
    Ok(())
}

/// When the oldest unanswered buyer message arrived, once `new` (the tail of the
/// thread's history, possibly overlapping what is stored) is added to a thread that
/// awaited since `old`.
pub(crate) fn awaiting_after(old: Option<DateTime<Utc>>, new: &[Message]) -> Option<DateTime<Utc>> {
    let in_new = awaiting_reply_since(new);
    if new.iter().any(|m| m.author == AuthorRole::Seller) {
        in_new
    } else {
        match (old, in_new) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// The newest message time.
pub(crate) fn last_activity(messages: &[impl Authored]) -> Option<DateTime<Utc>> {
    messages.iter().map(Authored::created_at).max()
}

/// A thread id of another marketplace handed to a marketplace's module.
pub(crate) fn not_ours(thread: &ThreadId, marketplace: Marketplace) -> InboxError {
    InboxError::InvalidInput(format!("{thread} is not a {marketplace} thread"))
}

/// A vendor value as JSON for [`Message::raw`].
pub(crate) fn raw(value: &impl Serialize) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

/// A time as an item version (RFC 3339, UTC, to the nanosecond).
pub(crate) fn version_of(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use marketplace_inbox_store::MessageId;
    use marketplace_runtime::pagination::{At, Fetched, Style};
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// An offset list of the numbers `0..total`, `size` a page.
    fn numbers(total: u64, size: u64) -> Pages<'static, u64> {
        Pages::new(Style::Offset, Some(size), move |at| {
            let start = match at {
                At::Offset(offset) => offset,
                _ => 0,
            };
            Box::pin(async move {
                Ok(Fetched {
                    items: (start..total.min(start + size)).collect(),
                    total: Some(total),
                    next: None,
                })
            })
        })
    }

    /// Reads in flight now and at most.
    #[derive(Default)]
    struct InFlight {
        now: AtomicUsize,
        peak: AtomicUsize,
    }

    impl InFlight {
        /// One read: counted while it runs, which spans a few scheduler turns so
        /// that reads overlap; fails on `fail_at`.
        async fn read(&self, item: u64, fail_at: Option<u64>) -> Result<u64, InboxError> {
            let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
            self.peak.fetch_max(now, Ordering::SeqCst);
            for _ in 0..3 {
                tokio::task::yield_now().await;
            }
            self.now.fetch_sub(1, Ordering::SeqCst);
            if Some(item) == fail_at {
                return Err(InboxError::InvalidInput(format!("read {item} failed")));
            }
            Ok(item)
        }
    }

    /// Runs a prefetching pass over `numbers(total, size)`, reads limited to `limit`;
    /// returns the pages stored, in order, and the pass's result.
    async fn run_pass(
        total: u64,
        size: u64,
        limit: usize,
        fail_at: Option<u64>,
        in_flight: &InFlight,
    ) -> (Vec<Vec<u64>>, Result<(), InboxError>) {
        let account = Account::new(Marketplace::Lectronz, "a").unwrap();
        let permits = tokio::sync::Semaphore::new(limit);
        let stored = Mutex::new(Vec::new());
        let mut pages = numbers(total, size);
        let first = pages.try_next().await.unwrap();
        let result = each_page(
            &account,
            pages,
            first,
            true,
            |page: ListPage<u64>| {
                read_limited(&permits, limit, page.into_items(), |item| {
                    in_flight.read(item, fail_at)
                })
            },
            |read: Vec<u64>| {
                stored.lock().unwrap().push(read);
                async { Ok(true) }
            },
        )
        .await;
        (stored.into_inner().unwrap(), result)
    }

    #[tokio::test]
    async fn a_pass_keeps_its_reads_in_flight_across_pages_within_the_limit() {
        let in_flight = InFlight::default();
        // Pages of 3 with 5 reads allowed: only reads of several pages at once can
        // fill the 5.
        let (stored, result) = run_pass(40, 3, 5, None, &in_flight).await;
        assert!(result.is_ok());
        assert_eq!(stored.concat(), (0..40).collect::<Vec<_>>());
        assert!(stored.iter().all(|page| page.len() <= 3));
        assert_eq!(in_flight.peak.load(Ordering::SeqCst), 5);
    }

    #[tokio::test]
    async fn a_failed_read_stops_the_pass_with_the_pages_before_it_stored() {
        let in_flight = InFlight::default();
        let (stored, result) = run_pass(40, 4, 6, Some(21), &in_flight).await;
        assert!(matches!(result, Err(InboxError::InvalidInput(m)) if m == "read 21 failed"));
        // Pages 0..5 (items 0..20) stored in order; the failing page and every page
        // after it not.
        assert_eq!(stored.concat(), (0..20).collect::<Vec<_>>());
    }

    fn msg(author: AuthorRole, hour: u32) -> Message {
        Message {
            id: MessageId::vendor(hour),
            thread: "lectronz:a:1".parse().unwrap(),
            author,
            text: None,
            attachments: vec![],
            created_at: at(hour),
            read_at: None,
            raw: serde_json::Value::Null,
        }
    }

    fn at(hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 2, hour, 0, 0).unwrap()
    }

    #[test]
    fn awaiting_after_keeps_the_old_wait_until_the_seller_answers() {
        use AuthorRole::*;
        // Still waiting since 8: a further buyer message does not reset the wait.
        assert_eq!(awaiting_after(Some(at(8)), &[msg(Buyer, 10)]), Some(at(8)));
        // The stored last message comes again (inclusive cursors): no change.
        assert_eq!(awaiting_after(Some(at(8)), &[msg(Buyer, 8)]), Some(at(8)));
        // Nothing awaited; a buyer writes.
        assert_eq!(
            awaiting_after(None, &[msg(Buyer, 9), msg(Buyer, 10)]),
            Some(at(9))
        );
        // The seller answered: only what came after the answer waits.
        assert_eq!(awaiting_after(Some(at(8)), &[msg(Seller, 9)]), None);
        assert_eq!(
            awaiting_after(Some(at(8)), &[msg(Seller, 9), msg(Buyer, 11)]),
            Some(at(11))
        );
        // System and support messages answer nothing.
        assert_eq!(awaiting_after(Some(at(8)), &[msg(System, 9)]), Some(at(8)));
    }
}
