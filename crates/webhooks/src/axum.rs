//! The axum adapter: a [`Router`] per marketplace, to mount under the URL registered
//! with the marketplace.
//!
//! * [`metro_router`] serves `POST /events` (mount it so that `<base>/events` is the
//!   subscription's `url`, the same URL the [`MetroReceiver`] is configured with).
//! * [`yandex_router`] serves `POST /notification` (Yandex Market appends
//!   `/notification` to the base URL entered in the seller cabinet).
//!
//! The body is read up to the receiver's limit (a larger one is answered `413`
//! without reading the rest) and the rest is the framework-free pipeline
//! ([`MetroReceiver::receive`], [`YandexReceiver::receive`]), run in its own task:
//! when the marketplace hangs up mid-request the handler still runs to completion and
//! its outcome is recorded, instead of being cancelled halfway.
//!
//! The body must arrive within the receiver's `body_read_timeout` (default
//! [`DEFAULT_BODY_READ_TIMEOUT`](crate::DEFAULT_BODY_READ_TIMEOUT), then `408`), counted
//! from the end of the headers as a whole, not per read: a client sending one byte a
//! second is cut off too.
//!
//! # Serving
//!
//! Serve the routers with [`serve`]: `axum::serve` has no header-read timeout and no
//! connection limit, so a few hundred clients that open connections and send half a
//! request hold them for as long as they like. [`serve`] closes a connection whose
//! request headers are not complete within [`ServeLimits::header_read_timeout`]
//! (hyper's own timeout; it also bounds idle keep-alive connections) and accepts at
//! most [`ServeLimits::max_connections`] at once (others wait in the listener's
//! backlog). It also gives the routers the peer address, which
//! [`yandex::IpAllowlist`](crate::yandex::IpAllowlist) needs (with `axum::serve`, use
//! `app.into_make_service_with_connect_info::<std::net::SocketAddr>()`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Request, Response, StatusCode, header};
use axum::routing::post;

use crate::handover::Handler;
use crate::metro::{Delivery, MetroReceiver};
use crate::reply::{Precheck, Reply};
use crate::yandex::{Notification, YandexReceiver};

/// The path [`metro_router`] serves (the spec's `/events`).
pub const METRO_PATH: &str = "/events";
/// The path [`yandex_router`] serves (the vendor's `/notification`).
pub const YANDEX_PATH: &str = "/notification";

/// `POST /events`: METRO Markets deliveries, verified by `receiver`, handed to
/// `handler` once each.
pub fn metro_router<H: Handler<Delivery>>(receiver: MetroReceiver, handler: H) -> Router {
    let receiver = Arc::new(receiver);
    let handler = Arc::new(handler);
    Router::new().route(
        METRO_PATH,
        post(move |request: Request<Body>| {
            let (receiver, handler) = (receiver.clone(), handler.clone());
            async move {
                let (parts, body) = request.into_parts();
                let (limit, timeout) = (receiver.limit(), receiver.read_timeout());
                let body = match read_body(&parts.headers, body, limit, timeout).await {
                    Ok(body) => body,
                    Err(problem) => return respond(Some(receiver.refuse(problem).into_reply())),
                };
                let task = tokio::spawn(async move {
                    receiver.receive(&parts.headers, &body, &*handler).await
                });
                respond(task.await.ok())
            }
        }),
    )
}

/// `POST /notification`: Yandex Market notifications, checked by `receiver`, handed
/// to `handler` once each (`PING` is answered without it).
pub fn yandex_router<H: Handler<Notification>>(receiver: YandexReceiver, handler: H) -> Router {
    let receiver = Arc::new(receiver);
    let handler = Arc::new(handler);
    Router::new().route(
        YANDEX_PATH,
        post(move |request: Request<Body>| {
            let (receiver, handler) = (receiver.clone(), handler.clone());
            async move {
                let (parts, body) = request.into_parts();
                let peer = parts
                    .extensions
                    .get::<ConnectInfo<SocketAddr>>()
                    .map(|ConnectInfo(addr)| addr.ip());
                if let Err(rejection) = receiver.check_source(&parts.headers, peer) {
                    return respond(Some(rejection.into_reply()));
                }
                let (limit, timeout) = (receiver.limit(), receiver.read_timeout());
                let body = match read_body(&parts.headers, body, limit, timeout).await {
                    Ok(body) => body,
                    Err(problem) => return respond(Some(receiver.refuse(problem).into_reply())),
                };
                let task = tokio::spawn(async move {
                    receiver
                        .receive(&parts.headers, peer, &body, &*handler)
                        .await
                });
                respond(task.await.ok())
            }
        }),
    )
}

/// Reads the body within `timeout`, refusing to buffer more than `limit` bytes.
async fn read_body(
    headers: &axum::http::HeaderMap,
    body: Body,
    limit: usize,
    timeout: Duration,
) -> Result<bytes::Bytes, Precheck> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(Precheck::TooLarge { limit });
    }
    // One deadline for the whole body: a per-read idle timeout (tower-http's
    // `TimeoutBody`) restarts with every byte, so it does not stop a dribble.
    let read = tokio::time::timeout(timeout, axum::body::to_bytes(body, limit))
        .await
        .map_err(|_| Precheck::TimedOut { after: timeout })?;
    read.map_err(|e| {
        // `to_bytes` reports the limit through its error's source chain.
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
        while let Some(error) = source {
            if error.to_string().contains("length limit exceeded") {
                return Precheck::TooLarge { limit };
            }
            source = error.source();
        }
        Precheck::Unreadable
    })
}

fn respond(reply: Option<Reply>) -> Response<Body> {
    let (status, body) = match reply {
        Some(reply) => (reply.status(), reply.body().clone()),
        // The pipeline never panics; if its task still ends abnormally, the delivery
        // must not be acknowledged.
        None => (
            StatusCode::INTERNAL_SERVER_ERROR,
            bytes::Bytes::from_static(
                b"{\"error\":{\"type\":\"UNKNOWN\",\"message\":\"internal error\"}}",
            ),
        ),
    };
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// What [`serve`] allows each connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServeLimits {
    header_read_timeout: Duration,
    max_connections: usize,
}

impl ServeLimits {
    /// Default time for a request's headers to arrive: 10 seconds.
    pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
    /// Default number of connections served at once: 1024.
    pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;

    /// A connection whose request headers are not complete `timeout` after the
    /// server starts reading them (after accepting, or after the previous answer on a
    /// kept-alive connection) is closed.
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// At most `connections` (at least 1) are served at once; further ones are
    /// accepted only as others close.
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.max_connections = connections.max(1);
        self
    }
}

impl Default for ServeLimits {
    fn default() -> Self {
        ServeLimits {
            header_read_timeout: Self::DEFAULT_HEADER_READ_TIMEOUT,
            max_connections: Self::DEFAULT_MAX_CONNECTIONS,
        }
    }
}

/// Serves `app` (HTTP/1) on `listener` until the task is dropped, with `limits`: a
/// header-read timeout and a connection limit (see the [module docs](self)); the
/// body timeout is the routers' own. Each request carries
/// `ConnectInfo<SocketAddr>`, so peer-address checks work. Accept errors (too many
/// open files, …) are logged and retried after a pause, as `axum::serve` does.
///
/// ```no_run
/// # async fn run(app: axum::Router) -> std::io::Result<()> {
/// use marketplace_webhooks::axum::{ServeLimits, serve};
///
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
/// serve(listener, app, ServeLimits::default()).await;
/// # Ok(())
/// # }
/// ```
pub async fn serve(listener: tokio::net::TcpListener, app: Router, limits: ServeLimits) {
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    loop {
        // Take a slot before accepting, so that connections over the limit wait in
        // the kernel's backlog instead of holding a task and a buffer here.
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return; // never closed
        };
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::warn!(%error, "accepting a connection failed; retrying in 1 s");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let app = app.clone();
        tokio::spawn(async move {
            let service =
                hyper::service::service_fn(move |request: Request<hyper::body::Incoming>| {
                    let mut request = request.map(Body::new);
                    request.extensions_mut().insert(ConnectInfo(peer));
                    tower_service::Service::call(&mut app.clone(), request)
                });
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(limits.header_read_timeout)
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            if let Err(error) = connection.await {
                tracing::debug!(%peer, %error, "webhook connection closed with an error");
            }
            drop(slot);
        });
    }
}
