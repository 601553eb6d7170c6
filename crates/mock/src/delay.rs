//! Added latency as asked, to a fraction of a millisecond.
//!
//! Tokio's timer counts in whole milliseconds: a sleep's deadline is rounded up to the
//! next tick and the runtime parks for whole milliseconds, so `sleep(5 ms)` lasts
//! about 6 ms and even `sleep(0)` about 1 ms. Injected latency goes through one timer
//! thread instead, which waits on a condition-variable timeout (nanoseconds on Linux)
//! and wakes each delayed answer through a oneshot channel.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::collections::binary_heap::PeekMut;
use std::sync::OnceLock;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

/// Waits `delay` (nothing for zero).
pub(crate) async fn sleep(delay: Duration) {
    if delay.is_zero() {
        return;
    }
    let (wake, woken) = oneshot::channel();
    let at = Instant::now() + delay;
    if timer().send(Wake { at, wake }).is_err() {
        // The timer thread could not start (see `timer`): Tokio's timer will do.
        tokio::time::sleep_until(at.into()).await;
        return;
    }
    // An error means the timer thread is gone; the deadline has passed or never will.
    let _ = woken.await;
}

/// One delayed answer: when to wake it.
struct Wake {
    at: Instant,
    wake: oneshot::Sender<()>,
}

impl PartialEq for Wake {
    fn eq(&self, other: &Self) -> bool {
        self.at == other.at
    }
}

impl Eq for Wake {}

impl PartialOrd for Wake {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Wake {
    fn cmp(&self, other: &Self) -> Ordering {
        self.at.cmp(&other.at)
    }
}

/// The timer thread's queue, started on first use; one for the process (every mock
/// in it shares it).
fn timer() -> &'static Sender<Wake> {
    static TIMER: OnceLock<Sender<Wake>> = OnceLock::new();
    TIMER.get_or_init(|| {
        let (sender, receiver) = mpsc::channel();
        // If the thread cannot be spawned, the receiver is dropped with the closure
        // and every send fails: `sleep` falls back to Tokio's timer.
        let _ = std::thread::Builder::new()
            .name("mock-latency".into())
            .spawn(move || run(receiver));
        sender
    })
}

/// Wakes each queued answer at its time, earliest first.
fn run(queue: Receiver<Wake>) {
    let mut due: BinaryHeap<Reverse<Wake>> = BinaryHeap::new();
    loop {
        let now = Instant::now();
        while let Some(next) = due.peek_mut() {
            if next.0.at > now {
                break;
            }
            let Reverse(next) = PeekMut::pop(next);
            // The answer's request may be gone (client hung up): nothing to wake.
            let _ = next.wake.send(());
        }
        let queued = match due.peek() {
            Some(Reverse(next)) => queue.recv_timeout(next.at - now),
            None => queue.recv().map_err(|_| RecvTimeoutError::Disconnected),
        };
        match queued {
            Ok(wake) => due.push(Reverse(wake)),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn answers_wake_in_the_order_of_their_deadlines_whatever_the_order_queued() {
        let order = std::sync::Mutex::new(Vec::new());
        let wait = |ms: u64| {
            let order = &order;
            async move {
                sleep(Duration::from_millis(ms)).await;
                order.lock().unwrap().push(ms);
            }
        };
        let started = Instant::now();
        futures::join!(wait(30), wait(10), wait(0), wait(20));
        assert_eq!(*order.lock().unwrap(), [0, 10, 20, 30]);
        // Never early: a lower bound, not a timing target.
        assert!(started.elapsed() >= Duration::from_millis(30));
    }
}
