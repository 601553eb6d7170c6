//! Retries as data: [`RetryPolicy`] says what is retried, how often and how long
//! to wait; the `exec` hook applies it to every call (with `backon`).
//!
//! What is retried:
//! * connect failures, for every method: the request provably never reached the
//!   server, so even a POST that sends a message cannot be duplicated;
//! * for idempotent methods only (GET, HEAD, PUT, DELETE, OPTIONS, and a POST the
//!   spec marks `x-idempotent: true` because it only reads): timeouts, other
//!   transport errors, and the retryable statuses (420, 429, 5xx except 501/505).
//!   Reading the body is part of such an attempt: a connection reset, closed short
//!   or stalled past the timeout mid-body is retried too.
//!
//! A POST or PATCH that timed out, was reset or got a 5xx is **never** retried: the
//! marketplace may have processed it, and a buyer must not receive a message twice
//! (its error says so: [`crate::Error::is_outcome_unknown`]). Waits follow
//! exponential backoff with jitter, or the server's `Retry-After` /
//! `X-RateLimit-Resource-Until` when it gives one (up to
//! [`RetryPolicy::max_retry_after`]; a longer requested wait ends the retries and
//! the caller gets the rate-limit error with [`crate::Error::retry_after`]).
//! Requests whose body is a stream cannot be replayed and are sent once.

use std::future::Future;
use std::time::Duration;

use reqwest::{Method, StatusCode};

/// How a client retries failed calls. Cheap to clone.
///
/// ```
/// use std::time::Duration;
/// use marketplace_runtime::RetryPolicy;
///
/// let patient = RetryPolicy::default()
///     .max_retries(5)
///     .backoff(Duration::from_millis(500), Duration::from_secs(30));
/// assert_eq!(patient.max_retries_value(), 5);
/// let never = RetryPolicy::none();
/// assert_eq!(never.max_retries_value(), 0);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct RetryPolicy {
    max_retries: usize,
    initial_backoff: Duration,
    max_backoff: Duration,
    jitter: bool,
    max_retry_after: Duration,
}

impl Default for RetryPolicy {
    /// 3 retries, backoff from 200 ms doubling up to 10 s with jitter, honouring
    /// server-requested waits of up to 60 s.
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            jitter: true,
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        }
    }

    /// Retries after the first attempt (0 disables retries).
    pub fn max_retries(mut self, retries: usize) -> Self {
        self.max_retries = retries;
        self
    }

    /// The configured number of retries.
    pub fn max_retries_value(&self) -> usize {
        self.max_retries
    }

    /// First wait and the cap of the exponential backoff.
    pub fn backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max.max(initial);
        self
    }

    /// Random jitter on each wait (on by default, so clients do not retry in lockstep).
    pub fn jitter(mut self, jitter: bool) -> Self {
        self.jitter = jitter;
        self
    }

    /// The longest server-requested wait (`Retry-After`) the client sleeps through
    /// before retrying; a longer one ends the retries.
    pub fn max_retry_after(mut self, max: Duration) -> Self {
        self.max_retry_after = max;
        self
    }

    pub(crate) fn max_retry_after_value(&self) -> Duration {
        self.max_retry_after
    }

    pub(crate) fn backoff_builder(&self) -> backon::ExponentialBuilder {
        let builder = backon::ExponentialBuilder::default()
            .with_min_delay(self.initial_backoff)
            .with_max_delay(self.max_backoff)
            .with_max_times(self.max_retries);
        if self.jitter {
            builder.with_jitter()
        } else {
            builder
        }
    }

    /// Runs `call` with this policy instead of the client's, for the calls made
    /// inside it (per-call override).
    ///
    /// ```no_run
    /// # async fn demo(send: impl std::future::Future<Output = ()>) {
    /// use marketplace_runtime::RetryPolicy;
    /// // e.g. a latency-sensitive read that should fail fast:
    /// RetryPolicy::none().scope(send).await;
    /// # }
    /// ```
    pub async fn scope<F: Future>(self, call: F) -> F::Output {
        CALL_POLICY.scope(self, call).await
    }

    /// The policy in force for the current call: a [`RetryPolicy::scope`] override,
    /// else the client's.
    pub(crate) fn current(client_policy: &RetryPolicy) -> RetryPolicy {
        CALL_POLICY
            .try_with(RetryPolicy::clone)
            .unwrap_or_else(|_| client_policy.clone())
    }
}

tokio::task_local! {
    static CALL_POLICY: RetryPolicy;
}

/// Whether the runtime retries a call like a read: `method` is one HTTP defines as
/// idempotent, or the spec declares the operation so (`x-idempotent: true`, which the
/// generated hooks pass as `declared_idempotent`). The `exec` hook applies exactly
/// this rule, so tests predict retries from the spec rather than from the method.
pub fn is_retried_like_a_read(method: &Method, declared_idempotent: bool) -> bool {
    declared_idempotent || is_idempotent(method)
}

/// GET, HEAD, PUT, DELETE, OPTIONS and TRACE can be repeated without changing the result.
fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS | Method::TRACE
    )
}

/// Statuses worth another attempt of an idempotent request.
pub(crate) fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 420 | 429)
        || (status.is_server_error()
            && status != StatusCode::NOT_IMPLEMENTED
            && status != StatusCode::HTTP_VERSION_NOT_SUPPORTED)
}

/// Whether a transport error may be retried for a request of this idempotency.
pub(crate) fn is_retryable_error(error: &reqwest::Error, idempotent: bool) -> bool {
    // A connect failure means nothing reached the server.
    error.is_connect() || (idempotent && (error.is_timeout() || error.is_request()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryable_statuses() {
        for s in [420, 429, 500, 502, 503, 504] {
            assert!(is_retryable_status(StatusCode::from_u16(s).unwrap()), "{s}");
        }
        for s in [200, 400, 401, 404, 422, 501, 505] {
            assert!(
                !is_retryable_status(StatusCode::from_u16(s).unwrap()),
                "{s}"
            );
        }
    }

    #[test]
    fn only_safe_methods_are_idempotent() {
        assert!(is_idempotent(&Method::GET) && is_idempotent(&Method::DELETE));
        assert!(!is_idempotent(&Method::POST) && !is_idempotent(&Method::PATCH));
        // A POST the spec declares `x-idempotent` is retried like a read; PATCH is not.
        assert!(is_retried_like_a_read(&Method::POST, true));
        assert!(!is_retried_like_a_read(&Method::PATCH, false));
        assert!(is_retried_like_a_read(&Method::GET, false));
    }

    #[tokio::test]
    async fn scope_overrides_the_client_policy_inside_only() {
        let client = RetryPolicy::default();
        let inside = RetryPolicy::none()
            .scope(async { RetryPolicy::current(&client) })
            .await;
        assert_eq!(inside, RetryPolicy::none());
        assert_eq!(RetryPolicy::current(&client), client);
    }
}
