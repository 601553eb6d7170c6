//! Bodies of the `ClientHooks` implementation every generated client gets.
//!
//! The house code generator emits, for each client,
//! `impl ClientHooks<Runtime> for Client` whose methods call these functions, so
//! the behaviour is written once, here, and every client shares it.

use std::time::{Instant, SystemTime};

use backon::Retryable;
use progenitor_client::{Error as GeneratedError, OperationInfo};
use tracing::Instrument;

use crate::Runtime;
use crate::retry::{RetryPolicy, is_idempotent, is_retryable_error, is_retryable_status};

/// progenitor adds `api-version: <info.version>` to every request. No marketplace
/// defines that header, so it is removed rather than sent as noise (and recorded
/// fixtures stay exactly what the vendor documents).
const PROGENITOR_VERSION_HEADER: &str = "api-version";

/// The range the spec allows an integer query parameter (`minimum`/`maximum`,
/// inclusive), which the generated `pre` hook passes for each operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueryBound {
    /// The parameter's name on the wire.
    pub name: &'static str,
    /// The smallest value allowed.
    pub min: Option<i64>,
    /// The largest value allowed.
    pub max: Option<i64>,
}

impl QueryBound {
    fn check(&self, value: &str) -> Result<(), String> {
        // A value that is not an integer is not this check's business (the
        // generated setter's type decides what can be sent).
        let Ok(value) = value.parse::<i64>() else {
            return Ok(());
        };
        if let Some(min) = self.min.filter(|&min| value < min) {
            return Err(format!(
                "`{}` must be at least {min}; got {value}",
                self.name
            ));
        }
        if let Some(max) = self.max.filter(|&max| value > max) {
            return Err(format!(
                "`{}` must be at most {max}; got {value}",
                self.name
            ));
        }
        Ok(())
    }
}

/// Runs before each request: the spec's integer ranges on query parameters (a
/// violation fails the call before anything is sent), credentials and header hygiene.
pub async fn pre<E>(
    runtime: &Runtime,
    request: &mut reqwest::Request,
    _info: &OperationInfo,
    bounds: &[QueryBound],
) -> Result<(), GeneratedError<E>> {
    for bound in bounds {
        for (name, value) in request.url().query_pairs() {
            if name == bound.name {
                bound
                    .check(&value)
                    .map_err(GeneratedError::InvalidRequest)?;
            }
        }
    }
    request.headers_mut().remove(PROGENITOR_VERSION_HEADER);
    runtime
        .auth()
        .apply(request)
        .map_err(GeneratedError::Custom)
}

/// Why one attempt did not produce a final answer.
enum Failed {
    /// A response worth retrying; returned as is when the retries run out.
    Status(reqwest::Response),
    /// A transport error worth retrying.
    Transport(reqwest::Error),
    /// A transport error that must not be retried.
    Final(reqwest::Error),
}

impl Failed {
    fn is_retryable(&self) -> bool {
        !matches!(self, Failed::Final(_))
    }
}

/// Sends the request: client-side limits, the retry policy, one tracing span per call.
///
/// The span (`marketplace.call`) carries the marketplace, operation id, method, URL
/// path (never the query, which may hold personal data), attempt number, status and
/// duration. Headers are never recorded, so credentials cannot leak into traces.
/// See [`RetryPolicy`] for what is retried; `declared_idempotent` is the spec's
/// `x-idempotent: true` on a POST that only reads (Yandex Market's `getChats`), so
/// it is retried like a GET.
pub async fn exec(
    http: &reqwest::Client,
    runtime: &Runtime,
    request: reqwest::Request,
    info: &OperationInfo,
    declared_idempotent: bool,
) -> reqwest::Result<reqwest::Response> {
    let span = tracing::info_span!(
        "marketplace.call",
        marketplace = runtime.marketplace(),
        operation = info.operation_id,
        method = %request.method(),
        path = request.url().path(),
        attempt = tracing::field::Empty,
        status = tracing::field::Empty,
        duration_ms = tracing::field::Empty,
    );
    let policy = RetryPolicy::current(runtime.retry_policy());
    async move {
        let started = Instant::now();
        let idempotent = declared_idempotent || is_idempotent(request.method());
        let result = send_with_retries(http, runtime, request, idempotent, &policy).await;
        let span = tracing::Span::current();
        span.record("duration_ms", started.elapsed().as_millis() as u64);
        match &result {
            Ok(response) => {
                span.record("status", response.status().as_u16());
            }
            Err(error) => tracing::debug!(%error, "request failed"),
        }
        result
    }
    .instrument(span)
    .await
}

async fn send_with_retries(
    http: &reqwest::Client,
    runtime: &Runtime,
    request: reqwest::Request,
    idempotent: bool,
    policy: &RetryPolicy,
) -> reqwest::Result<reqwest::Response> {
    // Only a request that may be retried needs a copy kept back; a streamed body
    // cannot be copied (nor sent twice), so such requests get exactly one attempt.
    let replayable = policy.max_retries_value() > 0
        && request.body().is_none_or(|body| body.as_bytes().is_some());
    let mut original = Some(request);
    let mut attempt = 0u32;
    let send_once = || {
        attempt += 1;
        let this_attempt = attempt;
        let copy = replayable
            .then(|| original.as_ref().and_then(reqwest::Request::try_clone))
            .flatten();
        let request = match copy {
            Some(copy) => copy,
            None => original
                .take()
                .expect("a non-replayable request is sent once"),
        };
        async move {
            tracing::Span::current().record("attempt", this_attempt);
            let _permit = runtime.limiter().acquire(request.url()).await;
            match http.execute(request).await {
                Ok(response) if idempotent && is_retryable_status(response.status()) => {
                    Err(Failed::Status(response))
                }
                // Non-idempotent requests get their 5xx/429 back as is: never resent.
                Ok(response) => Ok(response),
                Err(error) if is_retryable_error(&error, idempotent) => {
                    Err(Failed::Transport(error))
                }
                Err(error) => Err(Failed::Final(error)),
            }
        }
    };
    let max_retry_after = policy.max_retry_after_value();
    let result = send_once
        .retry(policy.backoff_builder())
        .when(|failed: &Failed| replayable && failed.is_retryable())
        .adjust(move |failed: &Failed, backoff| match failed {
            Failed::Status(response) => {
                match crate::error::retry_after(response.headers(), SystemTime::now()) {
                    Some(wait) if wait > max_retry_after => None,
                    Some(wait) => backoff.map(|b| b.max(wait)),
                    None => backoff,
                }
            }
            _ => backoff,
        })
        .notify(|failed: &Failed, wait| match failed {
            Failed::Status(response) => {
                tracing::info!(
                    status = response.status().as_u16(),
                    wait_ms = wait.as_millis() as u64,
                    "retrying"
                )
            }
            Failed::Transport(error) | Failed::Final(error) => {
                tracing::info!(%error, wait_ms = wait.as_millis() as u64, "retrying")
            }
        })
        .await;
    match result {
        Ok(response) | Err(Failed::Status(response)) => Ok(response),
        Err(Failed::Transport(error) | Failed::Final(error)) => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use super::QueryBound;

    #[test]
    fn query_bounds_name_the_parameter_and_the_limit_crossed() {
        let limit = QueryBound {
            name: "limit",
            min: Some(1),
            max: Some(20),
        };
        for ok in ["1", "20", "not-a-number"] {
            assert_eq!(limit.check(ok), Ok(()), "{ok}");
        }
        assert_eq!(
            limit.check("0"),
            Err("`limit` must be at least 1; got 0".into())
        );
        assert_eq!(
            limit.check("21"),
            Err("`limit` must be at most 20; got 21".into())
        );
        let open = QueryBound {
            name: "offset",
            min: None,
            max: None,
        };
        assert_eq!(open.check("-5"), Ok(()));
    }
}
