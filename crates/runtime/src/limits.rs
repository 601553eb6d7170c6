//! Client-side rate limiting: callers queue instead of receiving 420/429.
//!
//! Two limits, either or both per client:
//! * [`ConcurrencyLimit`]: at most N requests in flight, globally or per key
//!   (Yandex Market: 4 per business, the key being the `businesses/{id}` path segment);
//! * [`RateLimit`]: at most R requests per second, spaced evenly (SkyHub).
//!
//! Both apply to every attempt, retries included.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

type KeyFn = Arc<dyn Fn(&reqwest::Url) -> Option<String> + Send + Sync>;

/// At most `max_in_flight` concurrent requests per key.
#[derive(Clone)]
pub struct ConcurrencyLimit {
    max_in_flight: usize,
    key: KeyFn,
}

impl std::fmt::Debug for ConcurrencyLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConcurrencyLimit")
            .field("max_in_flight", &self.max_in_flight)
            .finish_non_exhaustive()
    }
}

/// `max_in_flight` of [`ConcurrencyLimit::none`]: the limiter skips such a limit.
const UNLIMITED: usize = usize::MAX;

impl ConcurrencyLimit {
    /// No cap on requests in flight: switches off a limit a client sets by default
    /// (Yandex Market's 4 per business).
    ///
    /// ```
    /// # use marketplace_runtime::{Auth, ClientBuilder, ConcurrencyLimit, GeneratedClient, Runtime};
    /// # struct Client;
    /// # impl GeneratedClient for Client {
    /// #     const MARKETPLACE: &'static str = "example";
    /// #     fn from_parts(_: &str, _: reqwest::Client, _: Runtime) -> Self { Client }
    /// # }
    /// let client: Client = ClientBuilder::new("http://127.0.0.1:8080", Auth::bearer("fake-key"))
    ///     .concurrency_limit(ConcurrencyLimit::none())
    ///     .build()?;
    /// # Ok::<(), marketplace_runtime::ConfigError>(())
    /// ```
    pub fn none() -> Self {
        ConcurrencyLimit {
            max_in_flight: UNLIMITED,
            key: Arc::new(|_| None),
        }
    }

    /// At most `max_in_flight` requests at once for the whole client.
    pub fn global(max_in_flight: usize) -> Self {
        ConcurrencyLimit {
            max_in_flight: max_in_flight.max(1),
            key: Arc::new(|_| None),
        }
    }

    /// At most `max_in_flight` requests at once per value of the path segment that
    /// follows `segment`: `per_path_segment_after("businesses", 4)` limits
    /// `/v2/businesses/{id}/…` per business id. Requests without that segment share
    /// one global limit.
    pub fn per_path_segment_after(segment: &'static str, max_in_flight: usize) -> Self {
        ConcurrencyLimit {
            max_in_flight: max_in_flight.max(1),
            key: Arc::new(move |url: &reqwest::Url| {
                let mut segments = url.path_segments()?;
                segments.find(|s| *s == segment)?;
                segments.next().map(str::to_owned)
            }),
        }
    }
}

/// At most `per_second` requests per second, spaced evenly.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateLimit {
    interval: Duration,
}

impl RateLimit {
    /// No rate limit: switches off a limit a client sets by default (SkyHub's
    /// one request per second).
    ///
    /// ```
    /// # use marketplace_runtime::{Auth, ClientBuilder, GeneratedClient, RateLimit, Runtime};
    /// # struct Client;
    /// # impl GeneratedClient for Client {
    /// #     const MARKETPLACE: &'static str = "example";
    /// #     fn from_parts(_: &str, _: reqwest::Client, _: Runtime) -> Self { Client }
    /// # }
    /// let client: Client = ClientBuilder::new("http://127.0.0.1:8080", Auth::bearer("fake-key"))
    ///     .rate_limit(RateLimit::none())
    ///     .build()?;
    /// # Ok::<(), marketplace_runtime::ConfigError>(())
    /// ```
    pub fn none() -> Self {
        RateLimit {
            interval: Duration::ZERO,
        }
    }

    /// `per_second` requests per second (values ≤ 0 are treated as
    /// [`RateLimit::none`]).
    pub fn per_second(per_second: f64) -> Self {
        let interval = if per_second > 0.0 && per_second.is_finite() {
            Duration::from_secs_f64(1.0 / per_second)
        } else {
            Duration::ZERO
        };
        RateLimit { interval }
    }
}

/// Above this many per-key semaphores, idle ones are dropped on the next acquire: a
/// key (a Yandex business id) seen once must not hold memory for the client's
/// lifetime, as it would in a multi-tenant proxy.
const PRUNE_ABOVE: usize = 64;

/// The limiter state a client shares across clones.
#[derive(Debug, Default)]
pub(crate) struct Limiter {
    concurrency: Option<ConcurrencyLimit>,
    semaphores: Mutex<HashMap<Option<String>, Arc<Semaphore>>>,
    rate: Option<RateLimit>,
    next_slot: Mutex<Option<Instant>>,
}

impl Limiter {
    pub(crate) fn new(concurrency: Option<ConcurrencyLimit>, rate: Option<RateLimit>) -> Self {
        Limiter {
            concurrency: concurrency.filter(|c| c.max_in_flight != UNLIMITED),
            rate,
            ..Limiter::default()
        }
    }

    /// Waits for a concurrency slot (held until the permit drops) and for the rate
    /// limit's next slot.
    pub(crate) async fn acquire(&self, url: &reqwest::Url) -> Option<OwnedSemaphorePermit> {
        let permit = match &self.concurrency {
            Some(limit) => {
                let key = (limit.key)(url);
                let semaphore = {
                    let mut map = self.semaphores.lock().unwrap_or_else(|e| e.into_inner());
                    if map.len() > PRUNE_ABOVE {
                        // Only the map holds an idle semaphore: no permit is out and no
                        // caller waits (a waiter holds a clone of the `Arc`).
                        map.retain(|_, semaphore| Arc::strong_count(semaphore) > 1);
                    }
                    map.entry(key)
                        .or_insert_with(|| Arc::new(Semaphore::new(limit.max_in_flight)))
                        .clone()
                };
                // The semaphore is never closed, so acquiring cannot fail.
                semaphore.acquire_owned().await.ok()
            }
            None => None,
        };
        if let Some(rate) = self.rate.filter(|r| !r.interval.is_zero()) {
            let slot = {
                let mut next = self.next_slot.lock().unwrap_or_else(|e| e.into_inner());
                let now = Instant::now();
                let slot = next.map_or(now, |n| n.max(now));
                *next = Some(slot + rate.interval);
                (slot > now).then_some(slot)
            };
            // A slot that is already due is taken without a timer (whose first poll
            // would yield to the scheduler for nothing).
            if let Some(slot) = slot {
                tokio::time::sleep_until(slot).await;
            }
        }
        permit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn business_key_is_the_segment_after_businesses() {
        let limit = ConcurrencyLimit::per_path_segment_after("businesses", 4);
        let url = "https://x.test/v2/businesses/777/chats?limit=5"
            .parse()
            .unwrap();
        assert_eq!((limit.key)(&url), Some("777".to_owned()));
        let other = "https://x.test/v2/campaigns".parse().unwrap();
        assert_eq!((limit.key)(&other), None);
    }

    #[tokio::test(start_paused = true)]
    async fn concurrency_is_capped_per_key() {
        let limiter = Arc::new(Limiter::new(
            Some(ConcurrencyLimit::per_path_segment_after("businesses", 2)),
            None,
        ));
        let a: reqwest::Url = "http://h/v2/businesses/1/chats".parse().unwrap();
        let b: reqwest::Url = "http://h/v2/businesses/2/chats".parse().unwrap();
        let p1 = limiter.acquire(&a).await;
        let p2 = limiter.acquire(&a).await;
        // A third request for business 1 waits; business 2 is unaffected.
        let third = tokio::time::timeout(Duration::from_millis(10), limiter.acquire(&a)).await;
        assert!(third.is_err(), "business 1 is at its limit");
        assert!(limiter.acquire(&b).await.is_some());
        drop(p1);
        assert!(limiter.acquire(&a).await.is_some());
        drop(p2);
    }

    #[tokio::test(start_paused = true)]
    async fn idle_per_key_semaphores_are_pruned() {
        let limiter = Limiter::new(
            Some(ConcurrencyLimit::per_path_segment_after("businesses", 2)),
            None,
        );
        // A multi-tenant proxy sees many businesses over its lifetime.
        for business in 0..10_000 {
            let url: reqwest::Url = format!("http://h/v2/businesses/{business}/chats")
                .parse()
                .unwrap();
            drop(limiter.acquire(&url).await);
        }
        let kept = limiter.semaphores.lock().unwrap().len();
        assert!(kept <= PRUNE_ABOVE + 1, "{kept} semaphores kept");
        // A key in use is never pruned: its limit still holds.
        let busy: reqwest::Url = "http://h/v2/businesses/busy/chats".parse().unwrap();
        let held = (limiter.acquire(&busy).await, limiter.acquire(&busy).await);
        for business in 0..1_000 {
            let url: reqwest::Url = format!("http://h/v2/businesses/{business}/chats")
                .parse()
                .unwrap();
            drop(limiter.acquire(&url).await);
        }
        let third = tokio::time::timeout(Duration::from_millis(10), limiter.acquire(&busy)).await;
        assert!(third.is_err(), "the busy business is still at its limit");
        drop(held);
    }

    #[tokio::test(start_paused = true)]
    async fn none_switches_each_limit_off() {
        let limiter = Limiter::new(Some(ConcurrencyLimit::none()), Some(RateLimit::none()));
        let url: reqwest::Url = "http://h/sac".parse().unwrap();
        let start = Instant::now();
        // Held permits would block a capped limiter; none() hands out no permit at all.
        let held: Vec<_> =
            futures::future::join_all((0..1000).map(|_| limiter.acquire(&url))).await;
        assert!(held.iter().all(Option::is_none));
        assert_eq!(start.elapsed(), Duration::ZERO, "no spacing");
        assert_eq!(RateLimit::none(), RateLimit::per_second(0.0));
    }

    #[tokio::test(start_paused = true)]
    async fn rate_limit_spaces_requests_evenly() {
        let limiter = Limiter::new(None, Some(RateLimit::per_second(4.0)));
        let url: reqwest::Url = "http://h/sac".parse().unwrap();
        let start = Instant::now();
        for _ in 0..5 {
            limiter.acquire(&url).await;
        }
        // 5 requests at 4/s: the first immediately, the fifth after 4 × 250 ms.
        assert_eq!(start.elapsed(), Duration::from_millis(1000));
    }
}
