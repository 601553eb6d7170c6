//! Bodies of the `ClientHooks` implementation every generated client gets.
//!
//! The house code generator emits, for each client,
//! `impl ClientHooks<Runtime> for Client` whose methods call these functions, so
//! the behaviour is written once, here, and every client shares it.

use std::task::Poll;
use std::time::{Instant, SystemTime};

use backon::Retryable;
use progenitor_client::{Error as GeneratedError, OperationInfo};
use reqwest::header::LOCATION;
use reqwest::{Method, StatusCode};
use tracing::Instrument;

use crate::Runtime;
use crate::decode::BufferedBody;
use crate::error::without_query;
use crate::retry::{RetryPolicy, is_retried_like_a_read, is_retryable_error, is_retryable_status};

/// A request URL from its pieces (the base URL, literal path segments, encoded
/// path parameters), in one allocation of the exact size: the generated code calls
/// it where progenitor wrote `format!`.
///
/// ```
/// use marketplace_runtime::hooks::join_url;
///
/// assert_eq!(join_url(&["http://127.0.0.1:8080", "/chats/", "a%2Fb", "/messages"]),
///            "http://127.0.0.1:8080/chats/a%2Fb/messages");
/// ```
pub fn join_url(parts: &[&str]) -> String {
    let mut url = String::with_capacity(parts.iter().map(|part| part.len()).sum());
    for part in parts {
        url.push_str(part);
    }
    url
}

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
/// violation fails the call before anything is sent) and a first
/// application of the credentials, so that one that cannot be applied fails the
/// call here, before anything is sent. [`exec`] applies them again wherever they
/// would otherwise go out stale (see there).
pub async fn pre<E>(
    runtime: &Runtime,
    request: &mut reqwest::Request,
    _info: &OperationInfo,
    bounds: &[QueryBound],
) -> Result<(), GeneratedError<E>> {
    check_query_bounds(request.url(), bounds).map_err(GeneratedError::InvalidRequest)?;
    runtime
        .auth()
        .apply(request)
        .map_err(GeneratedError::Custom)
}

/// Checks every query parameter that has a bound. A query without `%` or `+` is
/// read as it stands (nothing to decode, nothing allocated); one with them is
/// decoded first, so an encoded name or value is checked all the same.
fn check_query_bounds(url: &reqwest::Url, bounds: &[QueryBound]) -> Result<(), String> {
    let Some(query) = url.query().filter(|_| !bounds.is_empty()) else {
        return Ok(());
    };
    let check = |name: &str, value: &str| {
        bounds
            .iter()
            .filter(|bound| bound.name == name)
            .try_for_each(|bound| bound.check(value))
    };
    if query.contains(['%', '+']) {
        return url
            .query_pairs()
            .try_for_each(|(name, value)| check(&name, &value));
    }
    query
        .split('&')
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
        .try_for_each(|(name, value)| check(name, value))
}

/// The most same-origin redirects one attempt of a read follows.
const MAX_REDIRECTS: usize = 5;

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

    /// A transport error, its URL without the query (it goes into events and errors).
    fn transport(error: reqwest::Error, idempotent: bool) -> Failed {
        let error = without_query(error);
        if is_retryable_error(&error, idempotent) {
            Failed::Transport(error)
        } else {
            Failed::Final(error)
        }
    }

    fn into_result(
        result: Result<reqwest::Response, Failed>,
    ) -> reqwest::Result<reqwest::Response> {
        match result {
            Ok(response) | Err(Failed::Status(response)) => Ok(response),
            Err(Failed::Transport(error) | Failed::Final(error)) => Err(error),
        }
    }
}

/// Sends the request: client-side limits, credentials, same-origin redirects of
/// reads, the retry policy, one tracing span per call.
///
/// The span (`marketplace.call`) carries the marketplace, operation id, method, URL
/// path (never the query, which may hold personal data), attempt number, status and
/// duration. Headers are never recorded, so credentials cannot leak into traces, and
/// the URL of a transport error in an event or error has no query either. When no
/// subscriber enables the span, the call neither enters it nor reads the clock.
///
/// * **Attempts.** See [`RetryPolicy`] for what is retried; `declared_idempotent` is
///   the spec's `x-idempotent: true` on a POST that only reads (Yandex Market's
///   `getChats`), so it is retried like a GET. A read's attempt includes reading its
///   body: a connection that breaks or stalls mid-body is retried like one that broke
///   before the status. The response handed on is the real one with its body read:
///   the bytes are in its extensions, where [`crate::decode::from_response`] (every
///   generated `send()`) takes them from; `bytes()` on it would find nothing. A
///   write's body is read afterwards, so an answer lost mid-body fails with
///   [`crate::Error::is_outcome_unknown`].
/// * **Credentials** are applied to every further attempt and every followed
///   redirect just before it is sent (a new METRO `X-Timestamp`/`X-Signature` over
///   the URL it goes to), and to the first one again if the client-side limits
///   made it wait; the first send otherwise carries those [`pre`] applied a moment
///   earlier.
/// * **Redirects** (see [`crate::redirect_policy`]): one to another origin has
///   already failed in reqwest, before anything is sent there. A same-origin one is
///   followed for reads, up to 5 hops; for a write (never re-sent), a `303` of a
///   read sent as POST, or past the limit, the redirect is the answer, which the
///   caller gets as an error with [`crate::Error::is_redirect`].
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
    let idempotent = is_retried_like_a_read(request.method(), declared_idempotent);
    if span.is_disabled() {
        // No subscriber records this span: nothing to enter, no clock to read.
        let mut result =
            send_with_retries(http, runtime, request, idempotent, &policy, &span).await;
        tag_for_drift(&mut result, runtime, info);
        log_failure(&result);
        return result;
    }
    let recorded = span.clone();
    async move {
        let started = Instant::now();
        let mut result =
            send_with_retries(http, runtime, request, idempotent, &policy, &recorded).await;
        recorded.record("duration_ms", started.elapsed().as_millis() as u64);
        if let Ok(response) = &result {
            recorded.record("status", response.status().as_u16());
        }
        tag_for_drift(&mut result, runtime, info);
        log_failure(&result);
        result
    }
    .instrument(span)
    .await
}

/// Names the call on its response for the decode span, so that drift (an enum value
/// decoded as `Other`, an unknown field) is reported per operation — only when a
/// subscriber listens for drift, as it costs an extensions entry.
fn tag_for_drift(
    result: &mut reqwest::Result<reqwest::Response>,
    runtime: &Runtime,
    info: &OperationInfo,
) {
    if let Ok(response) = result
        && tracing::enabled!(target: crate::decode::DRIFT_TARGET, tracing::Level::INFO)
    {
        response.extensions_mut().insert(crate::decode::CallInfo {
            marketplace: runtime.marketplace(),
            operation: info.operation_id,
        });
    }
}

fn log_failure(result: &reqwest::Result<reqwest::Response>) {
    if let Err(error) = result {
        tracing::debug!(%error, "request failed");
    }
}

async fn send_with_retries(
    http: &reqwest::Client,
    runtime: &Runtime,
    request: reqwest::Request,
    idempotent: bool,
    policy: &RetryPolicy,
    span: &tracing::Span,
) -> reqwest::Result<reqwest::Response> {
    // A streamed body cannot be copied (nor sent twice): such a request (a multipart
    // upload, always a write) gets exactly one attempt. So does a write without
    // retries: it needs no copy, as its redirects are not followed.
    let replayable = request.body().is_none_or(|body| body.as_bytes().is_some());
    if !replayable || (!idempotent && policy.max_retries_value() == 0) {
        span.record("attempt", 1);
        return Failed::into_result(attempt(http, runtime, request, None, idempotent, true).await);
    }
    let template = &request;
    let mut attempts = 0u32;
    let send_once = || {
        attempts += 1;
        let this_attempt = attempts;
        async move {
            span.record("attempt", this_attempt);
            let copy = copy_request(template).expect("a request with a byte body can be copied");
            attempt(
                http,
                runtime,
                copy,
                Some(template),
                idempotent,
                this_attempt == 1,
            )
            .await
        }
    };
    let max_retry_after = policy.max_retry_after_value();
    let result = send_once
        .retry(policy.backoff_builder())
        .when(Failed::is_retryable)
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
    Failed::into_result(result)
}

/// One attempt: wait for the client-side limits, (re-)apply the credentials, send,
/// follow same-origin redirects of a read (`template` is the request to copy for
/// them), and read a read's body. `signed` says whether `request` carries
/// credentials applied a moment ago (by `pre`, for the first attempt).
async fn attempt(
    http: &reqwest::Client,
    runtime: &Runtime,
    mut request: reqwest::Request,
    template: Option<&reqwest::Request>,
    idempotent: bool,
    mut signed: bool,
) -> Result<reqwest::Response, Failed> {
    let mut hops = 0;
    loop {
        let _permit = {
            let mut acquire = std::pin::pin!(runtime.limiter().acquire(request.url()));
            match futures::poll!(acquire.as_mut()) {
                Poll::Ready(permit) => permit,
                Poll::Pending => {
                    // A wait (a rate-limit slot, a queue) may be long: METRO rejects
                    // a timestamp more than 5 minutes old.
                    signed = false;
                    acquire.await
                }
            }
        };
        if !signed {
            apply_credentials(runtime, &mut request);
        }
        crate::RequestCounter::count_one();
        let response = http
            .execute(request)
            .await
            .map_err(|error| Failed::transport(error, idempotent))?;
        let followed = template.filter(|_| idempotent);
        if let Some(next) = followed.and_then(|template| redirect(&response, template, hops)) {
            request = next;
            hops += 1;
            signed = false;
            continue;
        }
        if !idempotent {
            // A write gets its 5xx/429 back as is: never re-sent.
            return Ok(response);
        }
        if is_retryable_status(response.status()) {
            return Err(Failed::Status(response));
        }
        // Any failure reading the body is worth another attempt of a read. Boxed:
        // its future (it holds the response) would otherwise make every layer
        // above it, the retries and the span, that much larger to move, for
        // writes too.
        return Box::pin(read_body(response))
            .await
            .map_err(|error| Failed::Transport(without_query(error)));
    }
}

/// Applies the credentials again (after `pre` did once, successfully). Only a
/// custom scheme can fail now; the request then keeps the credentials from `pre`.
fn apply_credentials(runtime: &Runtime, request: &mut reqwest::Request) {
    if let Err(reason) = runtime.auth().apply(request) {
        tracing::warn!(%reason, "credentials could not be applied again; sending the earlier ones");
    }
}

/// A copy of `template` to send, `None` for a streamed body. reqwest's `try_clone`
/// copies the per-request timeout slot too, allocating it even when no timeout is
/// set (two allocations per call); a request without a body or timeout, every read
/// the generated code builds, is copied field by field instead.
fn copy_request(template: &reqwest::Request) -> Option<reqwest::Request> {
    if template.body().is_some() || template.timeout().is_some() {
        return template.try_clone();
    }
    let mut copy = reqwest::Request::new(template.method().clone(), template.url().clone());
    *copy.headers_mut() = template.headers().clone();
    *copy.version_mut() = template.version();
    Some(copy)
}

/// The request to send next when `response` is a same-origin redirect of a read
/// (`template` is the read) within the hop limit.
fn redirect(
    response: &reqwest::Response,
    template: &reqwest::Request,
    hops: usize,
) -> Option<reqwest::Request> {
    let status = response.status();
    let keeps_method = matches!(
        status,
        StatusCode::MOVED_PERMANENTLY
            | StatusCode::FOUND
            | StatusCode::TEMPORARY_REDIRECT
            | StatusCode::PERMANENT_REDIRECT
    );
    // 303 means "GET the answer there": the same request only for a GET or HEAD.
    let see_other =
        status == StatusCode::SEE_OTHER && matches!(*template.method(), Method::GET | Method::HEAD);
    if !(keeps_method || see_other) || hops >= MAX_REDIRECTS {
        return None;
    }
    let location = response.headers().get(LOCATION)?.to_str().ok()?;
    let target = response.url().join(location).ok()?;
    // The redirect policy has refused other origins already; checked again because
    // a client from `from_parts` may have another policy.
    if target.origin() != template.url().origin() {
        return None;
    }
    let mut next = copy_request(template)?;
    *next.url_mut() = target;
    Some(next)
}

/// Reads the body into memory inside the attempt, so a body that breaks or stalls
/// fails the attempt. The response itself is handed on (its body now read): the
/// bytes travel in its extensions as a [`BufferedBody`]. One chunk, the usual case,
/// is kept as it came; more are joined.
async fn read_body(mut response: reqwest::Response) -> reqwest::Result<reqwest::Response> {
    let mut body = bytes::Bytes::new();
    let mut joined: Option<bytes::BytesMut> = None;
    while let Some(chunk) = response.chunk().await? {
        match &mut joined {
            Some(joined) => joined.extend_from_slice(&chunk),
            None if body.is_empty() => body = chunk,
            None => {
                let mut both = bytes::BytesMut::with_capacity(body.len() + chunk.len());
                both.extend_from_slice(&body);
                both.extend_from_slice(&chunk);
                joined = Some(both);
            }
        }
    }
    let body = joined.map_or(body, bytes::BytesMut::freeze);
    response.extensions_mut().insert(BufferedBody(body));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::{QueryBound, check_query_bounds, read_body};
    use crate::decode::BufferedBody;

    #[test]
    fn a_copy_keeps_method_url_headers_version_timeout_and_body() {
        let http = reqwest::Client::new();
        let get = http
            .get("http://127.0.0.1:1/x?limit=20")
            .header("authorization", "Bearer fake")
            .version(reqwest::Version::HTTP_2)
            .build()
            .unwrap();
        let timed = http
            .delete("http://127.0.0.1:1/y")
            .timeout(std::time::Duration::from_secs(3))
            .build()
            .unwrap();
        let post = http
            .post("http://127.0.0.1:1/z")
            .body("{}")
            .build()
            .unwrap();
        for template in [get, timed, post] {
            let copy = super::copy_request(&template).unwrap();
            assert_eq!(copy.method(), template.method());
            assert_eq!(copy.url(), template.url());
            assert_eq!(copy.headers(), template.headers());
            assert_eq!(copy.version(), template.version());
            assert_eq!(copy.timeout(), template.timeout());
            assert_eq!(
                copy.body().and_then(reqwest::Body::as_bytes),
                template.body().and_then(reqwest::Body::as_bytes)
            );
        }
    }

    /// A response whose body arrives in `chunks`.
    fn response_in(chunks: &[&'static str]) -> reqwest::Response {
        let chunks: Vec<Result<bytes::Bytes, std::io::Error>> = chunks
            .iter()
            .map(|c| Ok(bytes::Bytes::from_static(c.as_bytes())))
            .collect();
        let body = reqwest::Body::wrap_stream(futures::stream::iter(chunks));
        reqwest::Response::from(http::Response::new(body))
    }

    #[tokio::test]
    async fn a_read_body_is_buffered_whole_however_it_arrives() {
        for chunks in [
            &[][..],
            &[r#"{"messages":[]}"#],
            &[r#"{"messa"#, r#"ges":"#, r#"[]}"#],
            &["", r#"{"messages""#, r#":[]}"#],
        ] {
            let mut response = read_body(response_in(chunks)).await.unwrap();
            let buffered = response.extensions_mut().remove::<BufferedBody>().unwrap();
            assert_eq!(buffered.0, chunks.concat(), "{chunks:?}");
        }
    }

    #[tokio::test]
    async fn a_body_that_breaks_fails_the_read() {
        let chunks: Vec<Result<bytes::Bytes, std::io::Error>> = vec![
            Ok(bytes::Bytes::from_static(b"{\"messa")),
            Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "reset",
            )),
        ];
        let body = reqwest::Body::wrap_stream(futures::stream::iter(chunks));
        let response = reqwest::Response::from(http::Response::new(body));
        assert!(read_body(response).await.is_err());
    }

    #[test]
    fn query_bounds_are_checked_in_plain_and_encoded_queries() {
        let bounds = [
            QueryBound {
                name: "limit",
                min: Some(1),
                max: Some(20),
            },
            QueryBound {
                name: "filters[page]",
                min: Some(0),
                max: None,
            },
        ];
        let check = |query: &str| {
            let url = reqwest::Url::parse(&format!("http://127.0.0.1/x?{query}")).unwrap();
            check_query_bounds(&url, &bounds)
        };
        assert_eq!(check("offset=7&limit=20&flag"), Ok(()));
        assert_eq!(
            check("offset=7&limit=21"),
            Err("`limit` must be at most 20; got 21".into())
        );
        // Encoded names and values are decoded before the check.
        assert_eq!(
            check("filters%5Bpage%5D=%2D1"),
            Err("`filters[page]` must be at least 0; got -1".into())
        );
        assert_eq!(
            check("q=a+b&limit=0"),
            Err("`limit` must be at least 1; got 0".into())
        );
        assert_eq!(
            check_query_bounds(&"http://127.0.0.1/x?limit=99".parse().unwrap(), &[]),
            Ok(())
        );
    }

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
