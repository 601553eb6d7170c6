//! Pushed webhooks, end to end into receivers built with `marketplace-webhooks`:
//! METRO's signed `test_connection` on subscribe and its order events to the
//! subscribed URLs, and Yandex Market notifications when a buyer acts (retried with
//! backoff, several receivers round-robin).

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use marketplace_mock::{
    Api, MetroDeliverySigning, MetroEvent, MockConfig, MockMarketplace, Webhooks,
};
use marketplace_webhooks::{HandlerError, axum as hooks, metro, yandex};
use reqwest::Method;
use serde_json::json;

type Received = Arc<Mutex<Vec<yandex::Notification>>>;

/// A Yandex notification receiver on loopback that fails its first `failures`
/// deliveries (500); returns its base URL and what it was handed.
async fn yandex_receiver(failures: usize) -> (String, Received) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/yandex-market", listener.local_addr().unwrap());
    let received: Received = Arc::default();
    let log = received.clone();
    let left = Arc::new(Mutex::new(failures));
    let receiver = yandex::YandexReceiver::new("mock-test", "1.0.0").unwrap();
    let app = axum::Router::new().nest(
        "/yandex-market",
        hooks::yandex_router(receiver, move |n: yandex::Notification| {
            let (log, left) = (log.clone(), left.clone());
            async move {
                let mut left = left.lock().unwrap();
                if *left > 0 {
                    *left -= 1;
                    return Err(HandlerError::from("not now"));
                }
                log.lock().unwrap().push(n);
                Ok::<(), HandlerError>(())
            }
        }),
    );
    tokio::spawn(hooks::serve(listener, app, hooks::ServeLimits::default()));
    (base, received)
}

async fn wait_for(received: &Received, count: usize) {
    for _ in 0..100 {
        if received.lock().unwrap().len() >= count {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "{} of {count} notifications arrived",
        received.lock().unwrap().len()
    );
}

#[tokio::test]
async fn yandex_notifications_reach_receivers_once_round_robin_with_retries() {
    let (first, first_received) = yandex_receiver(1).await; // fails once: retried
    let (second, second_received) = yandex_receiver(0).await;
    let mock = MockMarketplace::start(MockConfig {
        webhooks: Webhooks {
            yandex_notification_urls: vec![first, second],
            retries: 3,
            backoff: Duration::from_millis(50),
        },
        ..common::config()
    })
    .await
    .unwrap();
    let business_id = mock.yandex().business_id;

    // A message in chat 1 goes to the first receiver (after one retry) ...
    let done = mock
        .buyer_writes(Api::YandexMarketChats, "1", "Где мой заказ?")
        .unwrap();
    wait_for(&first_received, 1).await;
    match &first_received.lock().unwrap()[0] {
        yandex::Notification::ChatMessageSent(n) => {
            assert_eq!(
                (n.chat_id, n.message_id.as_str()),
                (1, done.message.as_str())
            );
            assert_eq!(n.business_id.0.get(), business_id);
        }
        other => panic!("{other:?}"),
    }
    // ... a new chat's two notifications to the second, then the first again.
    let opened = mock
        .buyer_opens_chat(Api::YandexMarketChats, None, "Здравствуйте")
        .unwrap();
    wait_for(&second_received, 1).await;
    wait_for(&first_received, 2).await;
    let chat_id: i64 = opened.thread.parse().unwrap();
    assert!(
        matches!(&second_received.lock().unwrap()[0], yandex::Notification::ChatCreated(n) if n.chat_id == chat_id)
    );
    assert!(
        matches!(&first_received.lock().unwrap()[1], yandex::Notification::ChatMessageSent(n) if n.chat_id == chat_id)
    );
    // Each was handed over once.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        first_received.lock().unwrap().len() + second_received.lock().unwrap().len(),
        3
    );
}

#[tokio::test]
async fn metro_subscribing_delivers_a_signed_test_connection() {
    let mock = common::small_mock().await;
    let ms = common::checked(&mock, "metro-subscriptions");
    let (url, received) = common::metro_receiver(&mock).await;
    let create = json!({"url": url, "event": "order_created", "fallbackEmail": "ops@shop.example.com", "isActive": true});
    let created = ms
        .send(
            Method::POST,
            "/openapi/v1/subscriptions",
            Some(create.clone()),
        )
        .await;
    // Created: the receiver verified the signature (over its own URL, with the
    // seller's key pair) and answered `200 {"status":"OK"}`; it answers
    // `test_connection` itself, without handing it to the application.
    assert_eq!(created.status, 201);
    assert!(received.lock().unwrap().is_empty());

    // A URL that does not answer as METRO requires is refused, as METRO does.
    let mut dead = create.clone();
    dead["url"] = json!("http://127.0.0.1:9/metro-markets/events");
    let refused = ms
        .send(Method::POST, "/openapi/v1/subscriptions", Some(dead))
        .await;
    assert_eq!(refused.status, 412);
    assert_eq!(
        refused.body.unwrap()["invalidParams"][0]["reason"],
        "Server response is not valid"
    );

    // A receiver with another key pair rejects the signature: refused too.
    let mut config = common::config();
    config.seed = 99;
    let stranger = MockMarketplace::start(config).await.unwrap();
    let refused = common::checked(&stranger, "metro-subscriptions")
        .send(Method::POST, "/openapi/v1/subscriptions", Some(create))
        .await;
    assert_eq!(refused.status, 412, "signed with another seller's key");
}

#[tokio::test]
async fn metro_delivery_signing_alternative() {
    // If METRO does not sign deliveries, the SDK receiver's default scheme refuses
    // them, and subscribing fails: the assumption is visible, not silently proved.
    let mut config = common::config();
    config.unconfirmed.metro_delivery_signing = MetroDeliverySigning::Unsigned;
    let mock = MockMarketplace::start(config).await.unwrap();
    let (url, received) = common::metro_receiver(&mock).await;
    let refused = common::checked(&mock, "metro-subscriptions")
        .send(
            Method::POST,
            "/openapi/v1/subscriptions",
            Some(json!({"url": url, "event": "order_created", "fallbackEmail": "ops@shop.example.com", "isActive": true})),
        )
        .await;
    assert_eq!(refused.status, 412);
    assert!(received.lock().unwrap().is_empty());
}

/// A METRO receiver on loopback (the seller's key pair) whose handler fails its first
/// `failures` events (500); returns its URL and the deliveries it was handed.
async fn metro_receiver(
    mock: &MockMarketplace,
    failures: usize,
) -> (String, Arc<Mutex<Vec<metro::Delivery>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/metro-markets/events",
        listener.local_addr().unwrap()
    );
    let receiver =
        metro::MetroReceiver::new(&url, &mock.metro().client_id, &mock.metro().client_secret)
            .unwrap();
    let received = Arc::new(Mutex::new(Vec::new()));
    let (log, left) = (received.clone(), Arc::new(Mutex::new(failures)));
    let app = axum::Router::new().nest(
        "/metro-markets",
        hooks::metro_router(receiver, move |delivery: metro::Delivery| {
            let (log, left) = (log.clone(), left.clone());
            async move {
                let mut left = left.lock().unwrap();
                if *left > 0 {
                    *left -= 1;
                    return Err(HandlerError::from("not now"));
                }
                log.lock().unwrap().push(delivery);
                Ok::<(), HandlerError>(())
            }
        }),
    );
    tokio::spawn(hooks::serve(listener, app, hooks::ServeLimits::default()));
    (url, received)
}

#[tokio::test]
async fn metro_order_events_reach_the_subscribed_receiver_once_signed_and_retried() {
    let mut config = common::config();
    config.webhooks.backoff = Duration::from_millis(50);
    let mock = MockMarketplace::start(config).await.unwrap();
    let ms = common::checked(&mock, "metro-subscriptions");
    // One receiver subscribed to order_created (its handler fails once: 500, so METRO
    // delivers again), another to order_line_shipped.
    let (created_url, created) = metro_receiver(&mock, 1).await;
    let (shipped_url, shipped) = metro_receiver(&mock, 0).await;
    for (url, event) in [
        (&created_url, "order_created"),
        (&shipped_url, "order_line_shipped"),
    ] {
        let subscribe = json!({"url": url, "event": event,
            "fallbackEmail": "ops@shop.example.com", "isActive": true});
        let answer = ms
            .send(Method::POST, "/openapi/v1/subscriptions", Some(subscribe))
            .await;
        assert_eq!(answer.status, 201, "{event}");
    }

    let queued = mock.metro_event(MetroEvent::OrderCreated {
        order_id: "7f1c6f4e-0b8e-4a43-9a8e-2b7e1a3c5d01".into(),
        order_number: "O25-568200129071".into(),
    });
    assert_eq!(queued, 1, "one subscription to order_created");
    for _ in 0..100 {
        if !created.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Give a duplicate time to arrive, if one were sent.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let deliveries = created.lock().unwrap().clone();
    assert_eq!(deliveries.len(), 1, "handed over once: {deliveries:?}");
    match &deliveries[0].event {
        metro::Event::OrderCreated(order) => {
            assert_eq!(order.order_number, "O25-568200129071");
            assert_eq!(order.order_id, "7f1c6f4e-0b8e-4a43-9a8e-2b7e1a3c5d01");
        }
        other => panic!("expected order_created, got {other:?}"),
    }
    assert!(shipped.lock().unwrap().is_empty(), "not subscribed to it");

    // Over HTTP, on the Subscriptions server's admin prefix.
    let admin = format!("{}/__mock/metro/events", mock.metro().subscriptions_url);
    let http = reqwest::Client::new();
    let answer: serde_json::Value = http
        .post(&admin)
        .json(&json!({"event": "order_line_shipped", "order_line_id": "line-1"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer, json!({"queued": 1}));
    for _ in 0..100 {
        if !shipped.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let deliveries = shipped.lock().unwrap().clone();
    assert_eq!(deliveries.len(), 1, "{deliveries:?}");
    assert!(
        matches!(&deliveries[0].event, metro::Event::OrderLineShipped(line) if line.order_line_id == "line-1"),
        "{:?}",
        deliveries[0].event
    );
    let bad = http
        .post(&admin)
        .json(&json!({"event": "order_exploded"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);

    // A deactivated subscription gets nothing.
    let list = ms
        .send(Method::GET, "/openapi/v1/subscriptions", None)
        .await;
    let id = list
        .body
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["event"] == "order_line_shipped")
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .unwrap();
    let off = ms
        .send(
            Method::PATCH,
            &format!("/openapi/v1/subscriptions/{id}"),
            Some(json!({"isActive": false})),
        )
        .await;
    assert!(off.status < 300, "{}", off.status);
    assert_eq!(
        mock.metro_event(MetroEvent::OrderLineShipped {
            order_line_id: "line-1".into()
        }),
        0
    );
}
