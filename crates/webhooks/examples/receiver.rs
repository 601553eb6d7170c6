//! Runs both receivers on 127.0.0.1 and logs every typed event.
//!
//! ```sh
//! cargo run -p marketplace-webhooks --example receiver
//! ```
//!
//! Settings (environment variables, all optional):
//!
//! | variable | default |
//! |---|---|
//! | `PORT` | `8080` |
//! | `METRO_RECEIVER_URL` | `http://127.0.0.1:$PORT/metro-markets/events`: the subscription's `url` (signed) |
//! | `METRO_CLIENT_KEY`, `METRO_CLIENT_SECRET` | `fake-metro-client-key`, `fake-metro-client-secret` |
//! | `YANDEX_INTEGRATION_NAME`, `YANDEX_INTEGRATION_VERSION` | `example-receiver`, the crate version |
//!
//! Endpoints: `POST /metro-markets/events` and `POST /yandex-market/notification`.
//! In production, put it behind HTTPS (both marketplaces deliver to HTTPS URLs only)
//! and set `METRO_RECEIVER_URL` to the public URL registered with METRO.

use std::net::SocketAddr;

use marketplace_webhooks::HandlerError;
use marketplace_webhooks::axum::{ServeLimits, metro_router, serve, yandex_router};
use marketplace_webhooks::metro::{Delivery, Event, MetroReceiver};
use marketplace_webhooks::yandex::{Notification, YandexReceiver};

fn setting(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

/// The application: here it only logs. A real one stores the event (or queues it)
/// before returning `Ok`, and returns `Err` when it cannot, so the marketplace
/// delivers again.
async fn on_metro(delivery: Delivery) -> Result<(), HandlerError> {
    let id = &delivery.message_id;
    match &delivery.event {
        Event::OrderCreated(order) => tracing::info!(
            message_id = id,
            order_id = order.order_id,
            order_number = order.order_number,
            "METRO order created"
        ),
        Event::OrderLineShipped(line) => tracing::info!(
            message_id = id,
            order_line_id = line.order_line_id,
            parcels = line.trackings.len(),
            "METRO order line shipped"
        ),
        Event::OrderLineCanceled(line) => tracing::info!(
            message_id = id,
            order_line_id = line.order_line_id,
            reason = ?line.cancellation_reason,
            "METRO order line cancelled"
        ),
        // Bodies are never logged whole: they carry buyers' data and can be large.
        Event::Other { event, .. } => tracing::warn!(
            message_id = id,
            event,
            "METRO event this SDK does not know yet"
        ),
        _ => tracing::info!(message_id = id, event = %delivery.name, "METRO event"),
    }
    Ok(())
}

async fn on_yandex(notification: Notification) -> Result<(), HandlerError> {
    match &notification {
        Notification::ChatCreated(chat) => tracing::info!(
            chat_id = chat.chat_id,
            business_id = chat.business_id.get(),
            "Yandex Market chat created"
        ),
        Notification::ChatMessageSent(message) => tracing::info!(
            chat_id = message.chat_id,
            message_id = message.message_id,
            "Yandex Market chat message"
        ),
        Notification::OrderCreated(order) => tracing::info!(
            order_id = order.order_id,
            items = order.items.len(),
            "Yandex Market order created"
        ),
        Notification::OrderStatusUpdated(order) => tracing::info!(
            order_id = order.order_id,
            status = %order.status,
            substatus = %order.substatus,
            "Yandex Market order status"
        ),
        // Bodies are never logged whole: they carry buyers' data and can be large.
        Notification::Other {
            notification_type, ..
        } => tracing::warn!(
            notification_type,
            "Yandex Market notification this SDK does not know yet"
        ),
        other => tracing::info!(
            notification_type = %other.notification_type(),
            "Yandex Market notification"
        ),
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt().with_target(false).init();

    let port: u16 = setting("PORT", "8080").parse()?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let metro_url = setting(
        "METRO_RECEIVER_URL",
        &format!("http://{addr}/metro-markets/events"),
    );
    let metro = MetroReceiver::new(
        &metro_url,
        &setting("METRO_CLIENT_KEY", "fake-metro-client-key"),
        &setting("METRO_CLIENT_SECRET", "fake-metro-client-secret"),
    )?;
    let yandex = YandexReceiver::new(
        &setting("YANDEX_INTEGRATION_NAME", "example-receiver"),
        &setting("YANDEX_INTEGRATION_VERSION", env!("CARGO_PKG_VERSION")),
    )?;

    let app = axum::Router::new()
        .nest("/metro-markets", metro_router(metro, on_metro))
        .nest("/yandex-market", yandex_router(yandex, on_yandex));
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(
        %addr,
        metro_url,
        yandex_url = format!("http://{addr}/yandex-market/notification"),
        "receiving webhooks"
    );
    // Header and body read timeouts and a connection limit: slow clients cannot
    // hold connections open.
    serve(listener, app, ServeLimits::default()).await;
    Ok(())
}
