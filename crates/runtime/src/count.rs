//! Counting the HTTP requests a piece of work sends, whatever client sends them.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Counts the HTTP requests sent by calls made inside [`RequestCounter::scope`]: every
/// attempt (retries included) and every followed redirect, of any client. Calls made
/// outside the scope (another task) are not counted, so two pieces of work sharing
/// one client are told apart.
///
/// Cheap to clone (one `Arc`); clones count into the same total.
///
/// ```
/// # use marketplace_runtime::RequestCounter;
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let counter = RequestCounter::new();
/// let answer = counter.scope(async { 42 }).await; // calls made in here are counted
/// assert_eq!((answer, counter.get()), (42, 0));
/// # }
/// ```
#[derive(Clone, Debug, Default)]
pub struct RequestCounter(Arc<AtomicU64>);

impl RequestCounter {
    /// A counter at 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// Requests counted so far.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    /// Runs `work`, counting the requests its calls send. An inner scope counts
    /// into its own counter only.
    pub async fn scope<F: Future>(&self, work: F) -> F::Output {
        CURRENT.scope(self.clone(), work).await
    }

    /// Counts one request in the current scope, if any (the hooks call it just
    /// before each request goes out).
    pub(crate) fn count_one() {
        let _ = CURRENT.try_with(|counter| counter.0.fetch_add(1, Ordering::Relaxed));
    }
}

tokio::task_local! {
    static CURRENT: RequestCounter;
}

#[cfg(test)]
mod tests {
    use super::RequestCounter;

    #[tokio::test]
    async fn counts_inside_its_scope_only_and_inner_scopes_keep_their_own() {
        let outer = RequestCounter::new();
        let inner = RequestCounter::new();
        RequestCounter::count_one();
        outer
            .scope(async {
                RequestCounter::count_one();
                inner.scope(async { RequestCounter::count_one() }).await;
                RequestCounter::count_one();
            })
            .await;
        assert_eq!((outer.get(), inner.get()), (2, 1));
    }
}
