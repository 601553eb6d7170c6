//! Faults on demand, per API: added latency, a share of 5xx answers, connection
//! resets, stalled bodies, and an outage switch. Which request gets which fault is
//! drawn from the world's seed, so a run is reproducible (for the same sequence of
//! requests).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use bytes::Bytes;
use futures::StreamExt as _;
use http::StatusCode;
use tokio::sync::Notify;

use crate::rng::Rng;

/// The faults one API shows; the default is none.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Faults {
    /// Added before every answer.
    pub latency: Latency,
    /// Percentage of requests answered 500 in the marketplace's error shape.
    pub error_percent: u8,
    /// Percentage of requests whose connection is reset (TCP RST) without an answer.
    pub reset_percent: u8,
    /// Percentage of requests answered with the status, the headers and half the
    /// body, after which the body stalls (never ends).
    pub stall_percent: u8,
    /// Every request answered 503 in the marketplace's error shape.
    pub outage: bool,
}

/// Latency added to an API's answers.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Latency {
    /// None.
    #[default]
    None,
    /// Always this long.
    Fixed(Duration),
    /// Uniformly between the two (drawn from the seed).
    Uniform(Duration, Duration),
}

/// Builds an answer in an API's own error shape.
pub(crate) type ErrorBody = fn(StatusCode, &str) -> Response;

/// One API's faults and the draws that apply them.
pub(crate) struct FaultState {
    faults: Mutex<Faults>,
    rng: Mutex<Rng>,
    error_body: ErrorBody,
}

impl FaultState {
    pub(crate) fn new(seed: u64, stream: &str, error_body: ErrorBody) -> Self {
        FaultState {
            faults: Mutex::new(Faults::default()),
            rng: Mutex::new(Rng::new(seed, stream)),
            error_body,
        }
    }

    pub(crate) fn set(&self, faults: Faults) {
        *self
            .faults
            .lock()
            .expect("no panic while holding the faults") = faults;
    }
}

/// Set on every request by the connection loop: notifying it drops the connection.
#[derive(Clone)]
pub(crate) struct Kill(pub(crate) Arc<Notify>);

enum Fault {
    Reset,
    Stall,
    Error,
}

pub(crate) async fn inject(
    State(state): State<Arc<FaultState>>,
    request: Request,
    next: Next,
) -> Response {
    if request
        .uri()
        .path()
        .starts_with(crate::http_util::ADMIN_PREFIX)
    {
        return next.run(request).await;
    }
    let faults = state
        .faults
        .lock()
        .expect("no panic while holding the faults")
        .clone();
    if faults == Faults::default() {
        return next.run(request).await;
    }
    if faults.outage {
        return (state.error_body)(StatusCode::SERVICE_UNAVAILABLE, "service unavailable");
    }
    let (delay, fault) = {
        let mut rng = state
            .rng
            .lock()
            .expect("no panic while holding the faults' generator");
        let delay = match faults.latency {
            Latency::None => Duration::ZERO,
            Latency::Fixed(delay) => delay,
            Latency::Uniform(low, high) => {
                let span = high.saturating_sub(low).as_micros().max(1) as u64;
                low + Duration::from_micros(rng.below(span))
            }
        };
        let roll = rng.below(100);
        let (reset, stall, error) = (
            u64::from(faults.reset_percent),
            u64::from(faults.stall_percent),
            u64::from(faults.error_percent),
        );
        let fault = if roll < reset {
            Some(Fault::Reset)
        } else if roll < reset + stall {
            Some(Fault::Stall)
        } else if roll < reset + stall + error {
            Some(Fault::Error)
        } else {
            None
        };
        (delay, fault)
    };
    crate::delay::sleep(delay).await;
    match fault {
        None => next.run(request).await,
        Some(Fault::Error) => {
            (state.error_body)(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        }
        Some(Fault::Reset) => {
            if let Some(Kill(kill)) = request.extensions().get::<Kill>() {
                kill.notify_one();
            }
            // The connection task drops this future with the connection.
            std::future::pending().await
        }
        Some(Fault::Stall) => {
            let response = next.run(request).await;
            let (parts, body) = response.into_parts();
            let Ok(bytes) = axum::body::to_bytes(body, crate::BODY_LIMIT).await else {
                return (state.error_body)(StatusCode::INTERNAL_SERVER_ERROR, "internal error");
            };
            // Half the body, then nothing: `Content-Length` still promises all of it.
            let half = bytes.slice(..bytes.len() / 2);
            let stalled = futures::stream::once(async move { Ok::<Bytes, std::io::Error>(half) })
                .chain(futures::stream::pending());
            let mut response = Response::from_parts(parts, Body::from_stream(stalled));
            response.headers_mut().insert(
                http::header::CONTENT_LENGTH,
                http::HeaderValue::from(bytes.len()),
            );
            response
        }
    }
}
