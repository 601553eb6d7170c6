//! Exactly-once hand-over: which deliveries the application already has.
//!
//! Marketplaces deliver again when they are not sure an event arrived (a timeout, a
//! non-200 answer), and sometimes for no visible reason. A receiver acknowledges every
//! copy but hands each event to the application once. The protocol, per delivery,
//! after the delivery was verified:
//!
//! 1. [`DedupeStore::claim`] the event's key, with the digest of its content.
//!    [`Claim::Done`]: acknowledge, do not hand over. [`Claim::Conflict`]: the same key
//!    was completed with other content (a sender reusing an id); acknowledge, do not
//!    hand over, log a warning naming the id. [`Claim::InProgress`]: another copy is
//!    being handled right now; answer with a retryable error (if that copy fails, this
//!    one must not have been acknowledged). [`Claim::New`]: the key is now in
//!    progress, hand the event over.
//! 2. The application's handler succeeded: [`DedupeStore::complete`] (the key and its
//!    content digest), acknowledge. It failed (or panicked): [`DedupeStore::release`],
//!    answer an error so the marketplace delivers again, and the next copy is handed
//!    over.
//!
//! # Keys and digests
//!
//! Both have a fixed size whatever the delivery: a key is `metro|<64 hex digits>` or
//! `yandex|<64 hex digits>` (the SHA-256 of the identifying fields: METRO's
//! `messageId`; a Yandex notification's type, ids and event time, see
//! [`Notification::dedupe_key`](crate::yandex::Notification::dedupe_key)), and a
//! content digest is 64 hex digits (the SHA-256 of the body as canonical JSON, so a
//! copy reformatted or with its keys reordered has the same digest). A database store
//! can therefore use `CHAR(71)` and `CHAR(64)` columns, and one store can serve both
//! receivers.
//!
//! The in-memory default, [`InMemoryDedupe`], remembers the most recently completed
//! keys up to a bound. Several receiver processes, or restarts, need a shared store
//! (a database table with a unique key, Redis `SET NX`): implement [`DedupeStore`].

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Mutex;

use futures::future::BoxFuture;
use sha2::{Digest, Sha256};

/// What a store knows about a key. Stores construct it; only the receivers match on
/// it, so new answers can be added without breaking stores.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Claim {
    /// Never seen (or forgotten): the caller now holds the key and must
    /// [`complete`](DedupeStore::complete) or [`release`](DedupeStore::release) it.
    New,
    /// Another copy of this event is being handled now.
    InProgress,
    /// The application already has this event, with the same content.
    Done,
    /// The application already has an event under this key, completed with another
    /// content digest: the sender reused an id for different content. It is not
    /// handed over again (the receivers log a warning naming the id).
    Conflict,
}

/// A store failed (connection lost, …). The receiver answers a retryable error and
/// hands nothing over.
#[derive(Debug)]
pub struct DedupeError(pub Box<dyn std::error::Error + Send + Sync>);

impl std::fmt::Display for DedupeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "dedupe store failed: {}", self.0)
    }
}

impl std::error::Error for DedupeError {}

/// Remembers which events the application already has, with a digest of each
/// event's content (see the [module docs](self) for the protocol and for the format
/// of keys and digests).
pub trait DedupeStore: Send + Sync + 'static {
    /// Atomically: `Done` if `key` was completed with `content`, `Conflict` if it was
    /// completed with another content digest, `InProgress` if claimed and not yet
    /// completed or released, else marks the key in progress and returns `New`.
    fn claim<'a>(
        &'a self,
        key: &'a str,
        content: &'a str,
    ) -> BoxFuture<'a, Result<Claim, DedupeError>>;

    /// The application has the event whose content digest is `content`: later claims
    /// of `key` return `Done` (same digest) or `Conflict` (another one).
    fn complete<'a>(
        &'a self,
        key: &'a str,
        content: &'a str,
    ) -> BoxFuture<'a, Result<(), DedupeError>>;

    /// The application could not take the event: forget the claim, so that the next
    /// copy is handed over.
    fn release<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), DedupeError>>;
}

/// What [`InMemoryDedupe`] keeps of a key or a content digest: the first 128 bits of
/// its SHA-256, so an entry's size does not depend on the strings it is given (a
/// collision among 10^5 keys has a probability near 10^-29).
type Id = [u8; 16];

fn id(text: &str) -> Id {
    let digest = Sha256::digest(text.as_bytes());
    let mut id = Id::default();
    id.copy_from_slice(&digest[..16]);
    id
}

/// The in-memory [`DedupeStore`]: remembers the `capacity` most recently completed
/// keys (least recently *seen* forgotten first: a key whose duplicates keep arriving
/// stays), plus the keys in progress. Lost on restart and not shared between
/// processes.
///
/// # Memory
///
/// Each key and content digest is kept as a 16-byte hash, whatever its length, so
/// the store's heap is bounded in bytes, not only in keys: at most
/// [`MAX_BYTES_PER_KEY`](Self::MAX_BYTES_PER_KEY) (192) bytes per remembered key,
/// growth slack of the hash table and of the recency queue included, i.e. at most
/// 19.2 MB (18.3 MiB) at the default capacity of 100 000 (measured: 17.0 MB;
/// `tests/dedupe_memory.rs` measures it with a counting allocator). Keys in progress
/// add up to 40 bytes each; there are as many as deliveries being handled at once.
#[derive(Debug)]
pub struct InMemoryDedupe {
    capacity: usize,
    state: Mutex<Lru>,
}

/// Completed keys with a recency stamp and their content; `order` holds
/// `(key, stamp)` in stamp order and may hold stale entries (an older stamp of a key
/// seen again), skipped when evicting and dropped when the queue grows past twice
/// the capacity.
#[derive(Debug, Default)]
struct Lru {
    done: HashMap<Id, Entry>,
    order: VecDeque<(Id, u64)>,
    in_progress: HashSet<Id>,
    clock: u64,
}

#[derive(Debug)]
struct Entry {
    stamp: u64,
    content: Id,
}

impl Lru {
    fn touch(&mut self, key: Id, content: Id) {
        self.clock += 1;
        let stamp = self.clock;
        self.done.insert(key, Entry { stamp, content });
        self.order.push_back((key, stamp));
    }

    fn evict_to(&mut self, capacity: usize) {
        while self.done.len() > capacity {
            let Some((key, stamp)) = self.order.pop_front() else {
                break;
            };
            if self.done.get(&key).map(|e| e.stamp) == Some(stamp) {
                self.done.remove(&key);
            }
        }
        if self.order.len() > capacity.saturating_mul(2).max(16) {
            let done = &self.done;
            self.order
                .retain(|(key, stamp)| done.get(key).map(|e| e.stamp) == Some(*stamp));
        }
    }
}

impl InMemoryDedupe {
    /// The default bound: 100 000 keys (at most 19.2 MB, see [Memory](Self#memory)).
    pub const DEFAULT_CAPACITY: usize = 100_000;

    /// The most heap the store holds per remembered key, in bytes: a hash-table slot
    /// (40 bytes, up to 2 × 8/7 slots per key after a doubling) and recency-queue
    /// entries (24 bytes, up to 2 × 2 per key), rounded up. Checked by
    /// `tests/dedupe_memory.rs`.
    pub const MAX_BYTES_PER_KEY: usize = 192;

    /// Remembers up to `capacity` completed keys (at least 1).
    pub fn new(capacity: usize) -> Self {
        InMemoryDedupe {
            capacity: capacity.max(1),
            state: Mutex::new(Lru::default()),
        }
    }

    /// The bound on completed keys.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// How many completed keys are remembered now.
    pub fn len(&self) -> usize {
        self.lock().done.len()
    }

    /// Whether no completed key is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Lru> {
        // A panic while holding the lock leaves consistent data (every mutation is a
        // single insert/remove), so a poisoned lock is still usable.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn claim_now(&self, key: &str, content: &str) -> Claim {
        let (key, content) = (id(key), id(content));
        let mut state = self.lock();
        if let Some(entry) = state.done.get(&key) {
            let stored = entry.content;
            // A duplicate makes the key recently seen; the first content is kept.
            state.touch(key, stored);
            let capacity = self.capacity;
            state.evict_to(capacity);
            if stored == content {
                Claim::Done
            } else {
                Claim::Conflict
            }
        } else if !state.in_progress.insert(key) {
            Claim::InProgress
        } else {
            Claim::New
        }
    }
}

impl Default for InMemoryDedupe {
    fn default() -> Self {
        InMemoryDedupe::new(Self::DEFAULT_CAPACITY)
    }
}

impl DedupeStore for InMemoryDedupe {
    fn claim<'a>(
        &'a self,
        key: &'a str,
        content: &'a str,
    ) -> BoxFuture<'a, Result<Claim, DedupeError>> {
        let claim = self.claim_now(key, content);
        Box::pin(async move { Ok(claim) })
    }

    fn complete<'a>(
        &'a self,
        key: &'a str,
        content: &'a str,
    ) -> BoxFuture<'a, Result<(), DedupeError>> {
        let (key, content) = (id(key), id(content));
        {
            let mut state = self.lock();
            state.in_progress.remove(&key);
            state.touch(key, content);
            let capacity = self.capacity;
            state.evict_to(capacity);
        }
        Box::pin(async { Ok(()) })
    }

    fn release<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), DedupeError>> {
        self.lock().in_progress.remove(&id(key));
        Box::pin(async { Ok(()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::FutureExt;

    /// The in-memory store's futures are ready at once.
    fn block_on<T>(future: BoxFuture<'_, T>) -> T {
        future.now_or_never().expect("ready at once")
    }

    fn claim(store: &InMemoryDedupe, key: &str) -> Claim {
        block_on(store.claim(key, "same")).unwrap()
    }

    fn deliver(store: &InMemoryDedupe, key: &str) {
        assert_eq!(claim(store, key), Claim::New, "{key}");
        block_on(store.complete(key, "same")).unwrap();
    }

    #[test]
    fn claim_complete_release() {
        let store = InMemoryDedupe::new(10);
        assert_eq!(claim(&store, "a"), Claim::New);
        assert_eq!(claim(&store, "a"), Claim::InProgress);
        block_on(store.release("a")).unwrap();
        assert_eq!(claim(&store, "a"), Claim::New);
        block_on(store.complete("a", "same")).unwrap();
        assert_eq!(claim(&store, "a"), Claim::Done);
        assert_eq!(claim(&store, "a"), Claim::Done);
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn at_the_bound_the_least_recently_seen_key_is_forgotten() {
        let store = InMemoryDedupe::new(3);
        for key in ["a", "b", "c"] {
            deliver(&store, key);
        }
        assert_eq!(store.len(), 3);
        // A duplicate of `a` makes it the most recently seen.
        assert_eq!(claim(&store, "a"), Claim::Done);
        deliver(&store, "d");
        assert_eq!(store.len(), 3, "never more than the capacity");
        assert_eq!(claim(&store, "a"), Claim::Done);
        assert_eq!(claim(&store, "c"), Claim::Done);
        assert_eq!(claim(&store, "d"), Claim::Done);
        // `b` was the least recently seen: forgotten, so a copy is new again.
        assert_eq!(claim(&store, "b"), Claim::New);
    }

    #[test]
    fn the_bound_holds_under_many_keys_and_many_duplicates() {
        let store = InMemoryDedupe::new(100);
        for i in 0..10_000 {
            deliver(&store, &format!("k{i}"));
            // Keep one key hot: it must survive all the evictions.
            assert_eq!(claim(&store, "k0"), Claim::Done);
            assert!(store.len() <= 100);
        }
        assert_eq!(store.len(), 100);
        assert_eq!(claim(&store, "k0"), Claim::Done);
        assert_eq!(claim(&store, "k9999"), Claim::Done);
        assert_eq!(claim(&store, "k5000"), Claim::New);
        let queue = store.lock().order.len();
        assert!(queue <= 200, "the recency queue stays bounded: {queue}");
    }

    #[test]
    fn a_completed_key_claimed_with_other_content_is_a_conflict() {
        let store = InMemoryDedupe::new(10);
        deliver(&store, "a");
        assert_eq!(
            block_on(store.claim("a", "other")).unwrap(),
            Claim::Conflict
        );
        // The first content stays the reference, and the key is still remembered.
        assert_eq!(claim(&store, "a"), Claim::Done);
        assert_eq!(
            block_on(store.claim("a", "other")).unwrap(),
            Claim::Conflict
        );
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn capacity_is_at_least_one() {
        let store = InMemoryDedupe::new(0);
        assert_eq!(store.capacity(), 1);
        deliver(&store, "a");
        deliver(&store, "b");
        assert_eq!(claim(&store, "b"), Claim::Done);
        assert_eq!(claim(&store, "a"), Claim::New);
    }
}
