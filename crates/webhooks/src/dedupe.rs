//! Exactly-once hand-over: which deliveries the application already has.
//!
//! Marketplaces deliver again when they are not sure an event arrived (a timeout, a
//! non-200 answer), and sometimes for no visible reason. A receiver acknowledges every
//! copy but hands each event to the application once. The protocol, per delivery,
//! after the delivery was verified:
//!
//! 1. [`DedupeStore::claim`] the event's key. [`Claim::Done`]: acknowledge, do not
//!    hand over. [`Claim::InProgress`]: another copy is being handled right now; answer
//!    with a retryable error (if that copy fails, this one must not have been
//!    acknowledged). [`Claim::New`]: the key is now in progress, hand the event over.
//! 2. The application's handler succeeded: [`DedupeStore::complete`], acknowledge. It
//!    failed (or panicked): [`DedupeStore::release`], answer an error so the
//!    marketplace delivers again, and the next copy is handed over.
//!
//! The in-memory default, [`InMemoryDedupe`], remembers the most recently completed
//! keys up to a bound. Several receiver processes, or restarts, need a shared store
//! (a database table with a unique key, Redis `SET NX`): implement [`DedupeStore`].

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Mutex;

use futures::future::BoxFuture;

/// What a store knows about a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claim {
    /// Never seen (or forgotten): the caller now holds the key and must
    /// [`complete`](DedupeStore::complete) or [`release`](DedupeStore::release) it.
    New,
    /// Another copy of this event is being handled now.
    InProgress,
    /// The application already has this event.
    Done,
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

/// Remembers which events the application already has (see the [module docs](self)).
///
/// Keys are short strings built by the receivers (`metro:<messageId>`,
/// `yandex:<type>:<ids>:<time>`), so one store can serve several receivers.
pub trait DedupeStore: Send + Sync + 'static {
    /// Atomically: `Done` if completed, `InProgress` if claimed and not yet completed
    /// or released, else marks the key in progress and returns `New`.
    fn claim<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Claim, DedupeError>>;

    /// The application has the event: later claims return `Done`.
    fn complete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), DedupeError>>;

    /// The application could not take the event: forget the claim, so that the next
    /// copy is handed over.
    fn release<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), DedupeError>>;
}

/// The in-memory [`DedupeStore`]: remembers the `capacity` most recently completed
/// keys (least recently *seen* forgotten first: a key whose duplicates keep arriving
/// stays), plus the keys in progress. Lost on restart and not shared between
/// processes.
#[derive(Debug)]
pub struct InMemoryDedupe {
    capacity: usize,
    state: Mutex<Lru>,
}

/// Completed keys with a recency stamp; `order` holds `(key, stamp)` in stamp order
/// and may hold stale entries (an older stamp of a key seen again), skipped when
/// evicting and dropped when the queue grows past twice the capacity.
#[derive(Debug, Default)]
struct Lru {
    done: HashMap<String, u64>,
    order: VecDeque<(String, u64)>,
    in_progress: HashSet<String>,
    clock: u64,
}

impl Lru {
    fn touch(&mut self, key: &str) {
        self.clock += 1;
        self.done.insert(key.to_owned(), self.clock);
        self.order.push_back((key.to_owned(), self.clock));
    }

    fn evict_to(&mut self, capacity: usize) {
        while self.done.len() > capacity {
            let Some((key, stamp)) = self.order.pop_front() else {
                break;
            };
            if self.done.get(&key) == Some(&stamp) {
                self.done.remove(&key);
            }
        }
        if self.order.len() > capacity.saturating_mul(2).max(16) {
            let done = &self.done;
            self.order
                .retain(|(key, stamp)| done.get(key) == Some(stamp));
        }
    }
}

impl InMemoryDedupe {
    /// The default bound: 100 000 keys (a few MiB).
    pub const DEFAULT_CAPACITY: usize = 100_000;

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

    fn claim_now(&self, key: &str) -> Claim {
        let mut state = self.lock();
        if state.done.contains_key(key) {
            state.touch(key);
            let capacity = self.capacity;
            state.evict_to(capacity);
            Claim::Done
        } else if !state.in_progress.insert(key.to_owned()) {
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
    fn claim<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Claim, DedupeError>> {
        let claim = self.claim_now(key);
        Box::pin(async move { Ok(claim) })
    }

    fn complete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), DedupeError>> {
        {
            let mut state = self.lock();
            state.in_progress.remove(key);
            state.touch(key);
            let capacity = self.capacity;
            state.evict_to(capacity);
        }
        Box::pin(async { Ok(()) })
    }

    fn release<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), DedupeError>> {
        self.lock().in_progress.remove(key);
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
        block_on(store.claim(key)).unwrap()
    }

    fn deliver(store: &InMemoryDedupe, key: &str) {
        assert_eq!(claim(store, key), Claim::New, "{key}");
        block_on(store.complete(key)).unwrap();
    }

    #[test]
    fn claim_complete_release() {
        let store = InMemoryDedupe::new(10);
        assert_eq!(claim(&store, "a"), Claim::New);
        assert_eq!(claim(&store, "a"), Claim::InProgress);
        block_on(store.release("a")).unwrap();
        assert_eq!(claim(&store, "a"), Claim::New);
        block_on(store.complete("a")).unwrap();
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
    fn capacity_is_at_least_one() {
        let store = InMemoryDedupe::new(0);
        assert_eq!(store.capacity(), 1);
        deliver(&store, "a");
        deliver(&store, "b");
        assert_eq!(claim(&store, "b"), Claim::Done);
        assert_eq!(claim(&store, "a"), Claim::New);
    }
}
