//! The Yandex Market receiver over real HTTP: the axum router served on 127.0.0.1,
//! notifications delivered by the generated client (as Yandex Market does) or as raw
//! bytes, each case asserting the status, the body and what the application received.

mod common;

use std::sync::Arc;

use common::{Behaviour, Logs, Recorder, answer, fixtures, serve};
use marketplace_runtime::FixedClock;
use marketplace_webhooks::axum::yandex_router;
use marketplace_webhooks::yandex::{IpAllowlist, Notification, YandexReceiver, types};
use marketplace_webhooks::{DEFAULT_BODY_LIMIT, InMemoryDedupe};
use serde_json::{Value, json};

/// 2026-03-03T09:31:01Z, the receiver's clock.
const NOW: i64 = 1_772_530_261;

fn receiver() -> YandexReceiver {
    YandexReceiver::new("fake-shop-integration", "1.4.2")
        .unwrap()
        .clock(FixedClock(NOW))
}

fn accepted() -> Value {
    json!({"version": "1.4.2", "name": "fake-shop-integration", "time": "2026-03-03T09:31:01Z"})
}

fn error(kind: &str, message: &str) -> Value {
    json!({"error": {"type": kind, "message": message}})
}

struct Running {
    base: String,
    app: Recorder<Notification>,
}

async fn start(receiver: YandexReceiver) -> Running {
    let app = Recorder::default();
    let addr =
        serve(axum::Router::new().nest("/yandex-market", yandex_router(receiver, app.clone())))
            .await;
    Running {
        base: format!("http://{addr}/yandex-market"),
        app,
    }
}

async fn post(
    running: &Running,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}/notification", running.base))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    answer(response).await
}

async fn post_json(running: &Running, body: &Value) -> (u16, Value) {
    post(
        running,
        "application/json",
        serde_json::to_vec(body).unwrap(),
    )
    .await
}

fn client(running: &Running) -> marketplace_yandex_market_notifications::Client {
    marketplace_yandex_market_notifications::Client::builder(&running.base)
        .retry_policy(marketplace_yandex_market_notifications::RetryPolicy::none())
        .build()
        .unwrap()
}

/// The variant each recorded example must decode to, with one field checked.
fn check(case: &str, notification: &Notification) {
    use Notification as N;
    let ok = match (case, notification) {
        ("order_created", N::OrderCreated(n)) => {
            n.order_id == 51_234_567_890
                && n.campaign_id.get() == 21_000_001
                && n.items.len() == 2
                && *n.items[0].offer_id == "SKU-100-blue"
                && n.items[0].count == 2
        }
        ("order_cancelled", N::OrderCancelled(n)) => n.items[0].count == 2,
        ("order_status_updated", N::OrderStatusUpdated(n)) => {
            n.status == types::OrderStatusType::Processing
                && n.substatus == types::OrderSubstatusType::ReadyToShip
        }
        ("order_return_created", N::OrderReturnCreated(n)) => {
            n.return_id == 9001 && n.return_type == types::ReturnType::Return
        }
        ("order_cancellation_request", N::OrderCancellationRequest(n)) => {
            n.order_id == 51_234_567_890
        }
        ("order_return_status_updated", N::OrderReturnStatusUpdated(n)) => {
            n.statuses.refund_status == Some(types::RefundStatusType::Refunded)
                && n.statuses.shipment_status.is_none()
        }
        ("order_updated", N::OrderUpdated(n)) => {
            n.update_type == types::OrderUpdateType::DeliveryDateUpdated
        }
        ("goods_feedback_created", N::GoodsFeedbackCreated(n)) => {
            n.feedback_id == 700_001 && n.created_at < n.published_at
        }
        ("goods_feedback_comment_created", N::GoodsFeedbackCommentCreated(n)) => {
            n.comment_id == 800_001
        }
        ("chat_created", N::ChatCreated(n)) => {
            n.chat_id == 4_400_001 && n.business_id.get() == 3_100_001
        }
        ("chat_message_sent", N::ChatMessageSent(n)) => n.message_id == "1550000042",
        ("chat_arbitrage_started", N::ChatArbitrageStarted(n)) => {
            n.started_at.to_rfc3339() == "2026-03-03T09:30:59.213+00:00"
        }
        ("chat_arbitrage_finished", N::ChatArbitrageFinished(n)) => n.chat_id == 4_400_001,
        ("question_created", N::QuestionCreated(n)) => n.question_id == 600_001,
        ("question_answer_created", N::QuestionAnswerCreated(n)) => n.answer_id == 610_001,
        ("question_comment_created", N::QuestionCommentCreated(n)) => {
            n.answer_id == 610_001 && n.comment_id == 620_001
        }
        (
            "unknown_notification_type",
            N::Other {
                notification_type,
                raw,
            },
        ) => notification_type == "PRICE_CHANGED" && raw["offerId"] == "SKU-100-blue",
        _ => false,
    };
    assert!(ok, "{case}: {notification:?}");
}

#[tokio::test]
async fn every_notification_example_delivered_by_the_generated_client_gets_its_answer() {
    let running = start(receiver()).await;
    let client = client(&running);
    let mut expected = 0;
    let examples = fixtures("yandex-market-notifications", "send_notification");
    assert!(examples.len() >= 20, "17 types, an unknown one and errors");
    for (case, request, status, response) in examples {
        if case == "handler_failed" {
            running.app.script(&[Behaviour::Fail]);
        }
        let body: types::SendNotificationRequest = serde_json::from_value(request).unwrap();
        match client.send_notification().body(body).send().await {
            Ok(answer) => {
                assert_eq!(status, 200, "{case}");
                assert_eq!(serde_json::to_value(&*answer).unwrap(), response, "{case}");
                if case != "ping" {
                    expected += 1;
                    let received = running.app.received();
                    assert_eq!(received.len(), expected, "{case}");
                    check(&case, &received[expected - 1]);
                }
            }
            Err(e) => {
                assert_eq!(e.status().map(|s| s.as_u16()), Some(status), "{case}");
                assert_eq!(e.body(), Some(&response), "{case}");
                assert_eq!(
                    running.app.received().len(),
                    expected,
                    "{case}: nothing handed over"
                );
            }
        }
    }
    assert_eq!(
        expected, 17,
        "16 known types besides PING, and the unknown one"
    );
}

#[tokio::test]
async fn ping_is_answered_at_once_and_never_handed_over() {
    let running = start(receiver()).await;
    running.app.script(&[Behaviour::Fail]);
    for _ in 0..2 {
        let answer = post_json(
            &running,
            &json!({"notificationType": "PING", "time": "2026-03-03T09:31:00Z"}),
        )
        .await;
        assert_eq!(answer, (200, accepted()));
    }
    // Even a PING without a time (the schema requires nothing else).
    assert_eq!(
        post_json(&running, &json!({"notificationType": "PING"})).await,
        (200, accepted())
    );
    assert!(running.app.received().is_empty());
}

#[tokio::test]
async fn a_duplicate_notification_is_acknowledged_and_handed_over_once() {
    let running = start(receiver()).await;
    let message = json!({"notificationType": "CHAT_MESSAGE_SENT", "chatId": 1, "messageId": "77",
                         "businessId": 2, "sentAt": "2026-03-03T09:30:59.213Z"});
    // The same notification with its keys in another order is the same notification.
    let reordered = json!({"sentAt": "2026-03-03T09:30:59.213Z", "businessId": 2, "messageId": "77",
                           "chatId": 1, "notificationType": "CHAT_MESSAGE_SENT"});
    for body in [&message, &message, &reordered] {
        assert_eq!(post_json(&running, body).await, (200, accepted()));
    }
    // A later message in the same chat is another notification.
    let next = json!({"notificationType": "CHAT_MESSAGE_SENT", "chatId": 1, "messageId": "78",
                      "businessId": 2, "sentAt": "2026-03-03T09:31:00Z"});
    assert_eq!(post_json(&running, &next).await, (200, accepted()));
    let received = running.app.received();
    assert_eq!(received.len(), 2, "{received:?}");
    let ids: Vec<&str> = received
        .iter()
        .map(|n| match n {
            Notification::ChatMessageSent(m) => m.message_id.as_str(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(ids, ["77", "78"]);
}

#[tokio::test]
async fn malformed_json_and_malformed_notifications_are_answered_400_wrong_event_format() {
    let running = start(receiver()).await;
    let (status, body) = post(&running, "application/json", "{\"notificationType\": ").await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["type"], "WRONG_EVENT_FORMAT");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("not JSON: EOF while parsing"),
        "{body}"
    );
    let cases = [
        (json!({"chatId": 1}), "`notificationType` is missing"),
        (
            json!({"notificationType": 7}),
            "`notificationType` is not a string",
        ),
        (json!([1, 2]), "`notificationType` is missing"),
        (
            json!({"notificationType": "CHAT_CREATED", "chatId": "one", "businessId": 2, "createdAt": "2026-03-03T09:31:00Z"}),
            "not a valid CHAT_CREATED notification: at `chatId`: invalid type: string \"one\", expected i64",
        ),
        (
            json!({"notificationType": "CHAT_CREATED", "chatId": 1, "businessId": 0, "createdAt": "2026-03-03T09:31:00Z"}),
            "not a valid CHAT_CREATED notification: at `businessId`: invalid value: integer `0`, expected a nonzero u64",
        ),
        (
            json!({"notificationType": "ORDER_UPDATED", "orderId": 1, "campaignId": 2, "updateType": "UNKNOWN", "updatedAt": "yesterday"}),
            "not a valid ORDER_UPDATED notification: at `updatedAt`: input contains invalid characters",
        ),
    ];
    for (body, message) in cases {
        assert_eq!(
            post_json(&running, &body).await,
            (400, error("WRONG_EVENT_FORMAT", message)),
            "{body}"
        );
    }
    assert!(running.app.received().is_empty());
}

#[tokio::test]
async fn an_oversize_body_is_413_and_a_non_json_media_type_is_415() {
    let running = start(receiver()).await;
    let big = format!(
        "{{\"notificationType\":\"PING\",\"pad\":\"{}\"}}",
        "x".repeat(DEFAULT_BODY_LIMIT)
    );
    assert_eq!(
        post(&running, "application/json", big).await,
        (
            413,
            error(
                "WRONG_EVENT_FORMAT",
                "the body is larger than the receiver's limit of 1048576 bytes"
            )
        )
    );
    assert_eq!(
        post(
            &running,
            "application/x-www-form-urlencoded",
            "notificationType=PING"
        )
        .await,
        (
            415,
            error(
                "WRONG_EVENT_FORMAT",
                "the body must be JSON (Content-Type: application/json)"
            )
        )
    );
    assert!(running.app.received().is_empty());
}

#[tokio::test]
async fn an_unknown_notification_type_is_handed_over_as_other_with_its_raw_json() {
    let running = start(receiver()).await;
    let body = json!({"notificationType": "PRICE_CHANGED", "offerId": "SKU-1", "nested": {"b": 1, "a": [true]}});
    assert_eq!(post_json(&running, &body).await, (200, accepted()));
    assert_eq!(
        running.app.received(),
        vec![Notification::Other {
            notification_type: "PRICE_CHANGED".into(),
            raw: body.clone(),
        }]
    );
    // Deduplicated by its whole content.
    assert_eq!(post_json(&running, &body).await, (200, accepted()));
    assert_eq!(running.app.received().len(), 1);
}

#[tokio::test]
async fn a_failing_handler_gets_500_and_the_redelivery_is_handed_over() {
    let running = start(receiver()).await;
    running.app.script(&[Behaviour::Fail, Behaviour::Panic]);
    let chat = json!({"notificationType": "CHAT_CREATED", "chatId": 5, "businessId": 2,
                      "createdAt": "2026-03-03T09:31:00Z"});
    let failed = error(
        "UNKNOWN",
        "the notification could not be processed; deliver it again later",
    );
    assert_eq!(post_json(&running, &chat).await, (500, failed.clone()));
    assert_eq!(post_json(&running, &chat).await, (500, failed));
    assert!(running.app.received().is_empty());
    assert_eq!(post_json(&running, &chat).await, (200, accepted()));
    assert_eq!(post_json(&running, &chat).await, (200, accepted()));
    assert_eq!(running.app.received().len(), 1);
}

#[tokio::test]
async fn the_optional_source_check_refuses_other_addresses_with_403() {
    // Yandex Market's documented ranges: loopback is not among them.
    let guarded = start(receiver().source_check(IpAllowlist::yandex_market())).await;
    let chat = json!({"notificationType": "CHAT_CREATED", "chatId": 5, "businessId": 2,
                      "createdAt": "2026-03-03T09:31:00Z"});
    assert_eq!(
        post_json(&guarded, &chat).await,
        (
            403,
            error(
                "UNKNOWN",
                "the request does not come from an allowed source"
            )
        )
    );
    assert!(guarded.app.received().is_empty());

    let local = start(receiver().source_check(IpAllowlist::new(["127.0.0.0/8"]).unwrap())).await;
    assert_eq!(post_json(&local, &chat).await, (200, accepted()));
    assert_eq!(local.app.received().len(), 1);

    // A closure over the headers: a shared secret a proxy adds.
    let secret = start(receiver().source_check(|headers: &http::HeaderMap, _peer| {
        headers
            .get("x-fake-shared-secret")
            .is_some_and(|v| v == "fake-shared-secret")
    }))
    .await;
    assert_eq!(post_json(&secret, &chat).await.0, 403);
    let response = reqwest::Client::new()
        .post(format!("{}/notification", secret.base))
        .header("x-fake-shared-secret", "fake-shared-secret")
        .json(&chat)
        .send()
        .await
        .unwrap();
    assert_eq!(answer(response).await, (200, accepted()));
}

#[tokio::test]
async fn a_shared_dedupe_store_spans_receivers() {
    let store = Arc::new(InMemoryDedupe::new(10));
    let first = start(receiver().dedupe_store(store.clone())).await;
    let second = start(receiver().dedupe_store(store.clone())).await;
    let chat = json!({"notificationType": "CHAT_ARBITRAGE_STARTED", "chatId": 5, "businessId": 2,
                      "startedAt": "2026-03-03T09:31:00Z"});
    assert_eq!(post_json(&first, &chat).await, (200, accepted()));
    assert_eq!(post_json(&second, &chat).await, (200, accepted()));
    assert_eq!(first.app.received().len() + second.app.received().len(), 1);
    assert_eq!(store.len(), 1);
}

#[tokio::test]
async fn other_methods_and_paths_are_not_served() {
    let running = start(receiver()).await;
    let response = reqwest::Client::new()
        .get(format!("{}/notification", running.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 405);
    let response = reqwest::Client::new()
        .post(format!("{}/notifications", running.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);
}

#[tokio::test]
async fn the_same_notification_key_with_other_content_is_not_handed_over_and_warns() {
    let (logs, _guard) = Logs::capture();
    let running = start(receiver()).await;
    let order = json!({"notificationType": "ORDER_CREATED", "campaignId": 1, "orderId": 42,
                       "createdAt": "2026-03-03T09:30:59Z", "items": [{"offerId": "SKU-1", "count": 1}]});
    let other = json!({"notificationType": "ORDER_CREATED", "campaignId": 1, "orderId": 42,
                       "createdAt": "2026-03-03T09:30:59Z", "items": [{"offerId": "SKU-2", "count": 3}]});
    assert_eq!(post_json(&running, &order).await, (200, accepted()));
    assert_eq!(post_json(&running, &order).await, (200, accepted()));
    assert!(logs.lines_with(&["WARN"]).is_empty(), "{}", logs.text());
    assert_eq!(post_json(&running, &other).await, (200, accepted()));
    assert_eq!(running.app.received().len(), 1);
    let warnings = logs.lines_with(&["WARN", "ORDER_CREATED", "different content"]);
    assert_eq!(warnings.len(), 1, "{}", logs.text());
}

#[tokio::test]
async fn a_concurrent_copy_answered_500_is_logged() {
    let (logs, _guard) = Logs::capture();
    let running = start(receiver()).await;
    let gate = running.app.hold();
    let chat = json!({"notificationType": "CHAT_CREATED", "chatId": 1, "businessId": 2,
                      "createdAt": "2026-03-03T09:31:00Z"});
    let first = {
        let (base, chat) = (running.base.clone(), chat.clone());
        tokio::spawn(async move {
            let response = reqwest::Client::new()
                .post(format!("{base}/notification"))
                .json(&chat)
                .send()
                .await
                .unwrap();
            answer(response).await.0
        })
    };
    running.app.wait_entered(1).await;
    assert_eq!(post_json(&running, &chat).await.0, 500);
    gate.add_permits(1);
    assert_eq!(first.await.unwrap(), 200);
    let lines = logs.lines_with(&["WARN", "CHAT_CREATED", "500", "in progress"]);
    assert_eq!(lines.len(), 1, "{}", logs.text());
}
