//! What the dedupe store keeps, in bytes, measured with a counting global allocator
//! (its own test binary: the allocator counts every allocation of the process). The
//! tests take one lock so that they do not count each other's allocations.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Mutex;
use std::sync::atomic::{AtomicIsize, Ordering};

use futures::FutureExt;
use marketplace_webhooks::yandex::{Notification, YandexReceiver};
use marketplace_webhooks::{DedupeStore, HandlerError, InMemoryDedupe};

/// Bytes allocated and not yet freed, by the whole process.
static LIVE: AtomicIsize = AtomicIsize::new(0);

struct Counting;

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::SeqCst);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::SeqCst);
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size as isize - layout.size() as isize, Ordering::SeqCst);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn live() -> isize {
    LIVE.load(Ordering::SeqCst)
}

/// Unsigned notifications of an unknown type, 128 KiB each, all different: before
/// keys were hashed, each one's whole JSON stayed in the store (twice).
#[test]
fn unknown_yandex_notifications_do_not_pin_their_bodies() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let receiver = YandexReceiver::new("fake-shop", "1.0.0").unwrap();
    let handler = |_: Notification| async { Ok::<(), HandlerError>(()) };
    let body = |i: usize| {
        format!(
            r#"{{"notificationType":"FAKE_NEW_TYPE","n":{i},"text":"{}"}}"#,
            "x".repeat(128 * 1024)
        )
    };
    let receive = |body: String| {
        let reply = receiver
            .receive(&http::HeaderMap::new(), None, body.as_bytes(), &handler)
            .now_or_never()
            .expect("the in-memory store and this handler are ready at once");
        assert_eq!(reply.status(), 200);
    };
    // Warm up (the store's first allocations), then measure 64 more.
    receive(body(0));
    let before = live();
    for i in 1..=64 {
        receive(body(i));
    }
    let grown = live() - before;
    assert!(
        grown < 64 * 1024,
        "64 notifications of 128 KiB kept {grown} bytes (the store must keep hashes, not bodies)"
    );
}

/// The bound the docs state: at most `MAX_BYTES_PER_KEY` bytes per remembered key,
/// here with long keys, evictions, duplicates and the recency queue at its longest.
#[test]
fn the_in_memory_store_holds_at_most_the_documented_bytes_per_key() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    // Capacities just past and just below the doubling of the tables, and the default.
    for capacity in [1_000, 28_673, 57_345, InMemoryDedupe::DEFAULT_CAPACITY] {
        let before = live();
        let store = InMemoryDedupe::new(capacity);
        let padding = "k".repeat(100);
        for i in 0..capacity * 2 {
            let key = format!("{padding}{i}");
            let claim = store
                .claim(&key, "content")
                .now_or_never()
                .unwrap()
                .unwrap();
            assert_eq!(claim, marketplace_webhooks::Claim::New);
            store
                .complete(&key, "content")
                .now_or_never()
                .unwrap()
                .unwrap();
            // A duplicate of a recent key keeps the recency queue growing between
            // compactions.
            let recent = format!("{padding}{}", i.saturating_sub(capacity / 4));
            let claim = store
                .claim(&recent, "content")
                .now_or_never()
                .unwrap()
                .unwrap();
            assert_eq!(claim, marketplace_webhooks::Claim::Done);
        }
        assert_eq!(store.len(), capacity);
        let held = usize::try_from(live() - before).unwrap();
        let bound = InMemoryDedupe::MAX_BYTES_PER_KEY * capacity;
        eprintln!(
            "capacity {capacity}: {held} bytes, {} per key",
            held / capacity
        );
        assert!(
            held <= bound,
            "capacity {capacity}: {held} bytes held, over the documented {bound}"
        );
        drop(store);
    }
}
