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
//! For [`yandex::IpAllowlist`](crate::yandex::IpAllowlist) the router must know the
//! peer address: serve it with
//! `app.into_make_service_with_connect_info::<std::net::SocketAddr>()`.

use std::net::SocketAddr;
use std::sync::Arc;

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
                let limit = receiver.limit();
                let body = match read_body(&parts.headers, body, limit).await {
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
                let limit = receiver.limit();
                let body = match read_body(&parts.headers, body, limit).await {
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

/// Reads the body, refusing to buffer more than `limit` bytes.
async fn read_body(
    headers: &axum::http::HeaderMap,
    body: Body,
    limit: usize,
) -> Result<bytes::Bytes, Precheck> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(Precheck::TooLarge { limit });
    }
    axum::body::to_bytes(body, limit).await.map_err(|e| {
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
