//! The METRO Markets receiver over real HTTP: the axum router served on 127.0.0.1,
//! deliveries signed like METRO's API requests (the runtime's `MetroHmac`), each case
//! asserting the status, the body and what the application received.

mod common;

use std::time::Duration;

use common::{Behaviour, Logs, Recorder, answer, fixtures, serve};
use marketplace_runtime::{FixedClock, MetroHmac, SignatureEncoding};
use marketplace_webhooks::metro::{Delivery, Event, MetroReceiver, SigningScheme, types};
use marketplace_webhooks::{DEFAULT_BODY_LIMIT, axum::metro_router};
use serde_json::{Value, json};

const KEY: &str = "fake-metro-client-key";
const SECRET: &str = "fake-metro-client-secret";
/// 2026-03-03T09:31:00Z, the receiver's clock.
const NOW: i64 = 1_772_530_260;

/// A running receiver: its URL (what the subscription registers and the receiver is
/// configured with) and the application behind it.
struct Receiver {
    url: String,
    app: Recorder<Delivery>,
}

async fn start(configure: impl FnOnce(MetroReceiver) -> MetroReceiver) -> Receiver {
    let app = Recorder::default();
    // The URL is only known once the port is: bind first, then configure.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let url = format!("http://{addr}/metro-markets/events");
    let receiver = configure(
        MetroReceiver::new(&url, KEY, SECRET)
            .unwrap()
            .clock(FixedClock(NOW)),
    );
    let router = axum::Router::new().nest("/metro-markets", metro_router(receiver, app.clone()));
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    tokio::spawn(marketplace_webhooks::axum::serve(
        listener,
        router,
        marketplace_webhooks::axum::ServeLimits::default(),
    ));
    Receiver { url, app }
}

/// Sends `body` as METRO would: signed for `url` at `timestamp` with `secret`.
async fn deliver_signed(url: &str, body: &str, timestamp: i64, secret: &str) -> (u16, Value) {
    let signature = MetroHmac::new(KEY, secret).signature("POST", url, body.as_bytes(), timestamp);
    deliver_with_signature(url, body, timestamp, signature).await
}

/// POSTs `body` to `url` with `timestamp` and `signature`, whatever text it was made over.
async fn deliver_with_signature(
    url: &str,
    body: &str,
    timestamp: i64,
    signature: String,
) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .header("x-client", KEY)
        .header("x-timestamp", timestamp.to_string())
        .header("x-signature", signature)
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    answer(response).await
}

async fn deliver(url: &str, body: &str) -> (u16, Value) {
    deliver_signed(url, body, NOW, SECRET).await
}

fn ok() -> Value {
    json!({"status": "OK"})
}

fn rejected(code: &str, message: &str) -> Value {
    json!({"code": code, "message": message})
}

// The seed's examples (shared/seeds/002_ca836472f1d073b0.txt), byte for byte in their
// field order, with the placeholders (`<uuid4>`, `<uniq_message_id>`,
// `<date-rfc-3339>`, `<enum:…>`) and the HTML comments filled in.

const SEED_TEST_CONNECTION: &str = r#"{
"messageId": "5d0c3f9e-0d5f-4b0e-9a43-0d5c2e7f1a11",
"event": "test_connection",
"payload": {
"foo": "bar"
}
}"#;

const SEED_ORDER_CREATED: &str = r#"{
"messageId": "0b8f2a57-6a3e-4c39-9a8e-1f2d3c4b5a69",
"event": "order_created",
"payload": {
"orderId": "7f0c5a0e-3b4d-4d6e-8f1a-2b3c4d5e6f70",
"orderNumber": "O21-370758965005",
"organizationId": "c2a9e1f4-5b6d-4e7f-8a9b-0c1d2e3f4a5b",
"status": 1,
"createdAt": "2026-03-03T09:30:58+01:00"
}
}"#;

const SEED_ORDER_LINE_SHIPPED: &str = r#"{
"messageId": "3e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b7",
"event": "order_line_shipped",
"payload": {
"orderLineId": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
"trackings": [
{
"trackingId": "JJD000390007826546",
"carrier": "dhl",
"customCarrier": null,
"country": "DE"
}
],
"statusChanged": true
},
"emittedAt": "2026-03-03T09:30:59Z"
}"#;

const SEED_ORDER_LINE_CANCELED: &str = r#"{
"messageId": "9c8b7a6f-5e4d-4c3b-2a19-087f6e5d4c3b",
"event": "order_line_canceled",
"emittedAt": "2026-03-03T09:30:59Z",
"payload": {
"orderLineId": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
"cancellationReason": 2
}
}"#;

#[tokio::test]
async fn test_connection_from_the_seed_is_answered_ok_and_not_handed_over() {
    let receiver = start(|r| r).await;
    let (status, body) = deliver(&receiver.url, SEED_TEST_CONNECTION).await;
    assert_eq!((status, body), (200, ok()));
    assert!(
        receiver.app.received().is_empty(),
        "a connection check is not an event"
    );
}

#[tokio::test]
async fn order_created_from_the_seed_is_typed_and_answered_ok() {
    let receiver = start(|r| r).await;
    let (status, body) = deliver(&receiver.url, SEED_ORDER_CREATED).await;
    assert_eq!((status, body), (200, ok()));
    let received = receiver.app.received();
    let [delivery] = received.as_slice() else {
        panic!("{received:?}")
    };
    assert_eq!(delivery.message_id, "0b8f2a57-6a3e-4c39-9a8e-1f2d3c4b5a69");
    assert_eq!(delivery.name, types::EventName::OrderCreated);
    assert_eq!(delivery.client, KEY);
    assert_eq!(
        delivery.emitted_at, None,
        "the seed's order_created has no emittedAt"
    );
    let Event::OrderCreated(order) = &delivery.event else {
        panic!("{delivery:?}")
    };
    assert_eq!(order.order_id, "7f0c5a0e-3b4d-4d6e-8f1a-2b3c4d5e6f70");
    assert_eq!(order.order_number, "O21-370758965005");
    assert_eq!(
        order.organization_id.as_deref(),
        Some("c2a9e1f4-5b6d-4e7f-8a9b-0c1d2e3f4a5b")
    );
    assert_eq!(order.status, Some(1));
    assert_eq!(
        order.created_at.map(|t| t.to_rfc3339()).as_deref(),
        Some("2026-03-03T08:30:58+00:00")
    );
}

#[tokio::test]
async fn order_line_shipped_from_the_seed_is_typed_and_answered_ok() {
    let receiver = start(|r| r).await;
    let (status, body) = deliver(&receiver.url, SEED_ORDER_LINE_SHIPPED).await;
    assert_eq!((status, body), (200, ok()));
    let received = receiver.app.received();
    let [delivery] = received.as_slice() else {
        panic!("{received:?}")
    };
    assert_eq!(
        delivery.emitted_at.map(|t| t.to_rfc3339()).as_deref(),
        Some("2026-03-03T09:30:59+00:00")
    );
    let Event::OrderLineShipped(shipped) = &delivery.event else {
        panic!("{delivery:?}")
    };
    assert_eq!(
        shipped.order_line_id,
        "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
    );
    assert_eq!(shipped.status_changed, Some(true));
    assert_eq!(
        shipped.trackings,
        vec![types::Tracking {
            tracking_id: Some("JJD000390007826546".into()),
            carrier: Some(types::Carrier::Dhl),
            custom_carrier: None,
            country: Some("DE".into()),
        }]
    );
}

#[tokio::test]
async fn order_line_canceled_from_the_seed_is_typed_under_both_spellings() {
    let receiver = start(|r| r).await;
    let (status, body) = deliver(&receiver.url, SEED_ORDER_LINE_CANCELED).await;
    assert_eq!((status, body), (200, ok()));
    let british = SEED_ORDER_LINE_CANCELED
        .replace("order_line_canceled", "order_line_cancelled")
        .replace("9c8b7a6f", "9c8b7a70")
        .replace("\"cancellationReason\": 2", "\"cancellationReason\": null");
    let (status, body) = deliver(&receiver.url, &british).await;
    assert_eq!((status, body), (200, ok()));

    let received = receiver.app.received();
    let [canceled, cancelled] = received.as_slice() else {
        panic!("{received:?}")
    };
    assert_eq!(canceled.name, types::EventName::OrderLineCanceled);
    assert_eq!(cancelled.name, types::EventName::OrderLineCancelled);
    let (Event::OrderLineCanceled(first), Event::OrderLineCanceled(second)) =
        (&canceled.event, &cancelled.event)
    else {
        panic!("{received:?}")
    };
    assert_eq!(first.order_line_id, "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d");
    assert_eq!(first.cancellation_reason, Some(2));
    assert_eq!(second.cancellation_reason, None, "null: no reason given");
}

#[tokio::test]
async fn every_recorded_delivery_sent_by_the_generated_client_gets_its_recorded_answer() {
    // The fixtures are signed for the spec's placeholder URL: this is a receiver
    // behind a proxy, configured with its public URL, and a METRO that signs for it.
    let app = Recorder::<Delivery>::default();
    let receiver = MetroReceiver::new(
        "https://seller.example.invalid/metro-markets/events",
        "fake-metro-events-client-key",
        "fake-metro-events-client-secret",
    )
    .unwrap()
    .clock(FixedClock(NOW));
    app.script(&[]);
    let addr =
        serve(axum::Router::new().nest("/metro-markets", metro_router(receiver, app.clone())))
            .await;

    let mut handed_over = 0;
    for (case, request, status, response) in fixtures("metro-events", "send_event") {
        let secret = if case == "invalid_signature" {
            "fake-another-client-secret"
        } else {
            "fake-metro-events-client-secret"
        };
        let timestamp = if case == "stale_timestamp" {
            NOW - 600
        } else {
            NOW
        };
        if case == "handler_failed" {
            app.script(&[Behaviour::Fail]);
        }
        let signer = MetroHmac::new("fake-metro-events-client-key", secret)
            .clock(FixedClock(timestamp))
            .signed_origin("https://seller.example.invalid");
        let client =
            marketplace_metro_events::ClientBuilder::<marketplace_metro_events::Client>::new(
                format!("http://{addr}/metro-markets"),
                marketplace_metro_events::Auth::from(
                    marketplace_metro_events::DeliverySigning::new(signer),
                ),
            )
            .retry_policy(marketplace_metro_events::RetryPolicy::none())
            .build()
            .unwrap();
        let envelope: types::EventEnvelope = serde_json::from_value(request).unwrap();
        let result = client.send_event().body(envelope).send().await;
        match result {
            Ok(accepted) => {
                assert_eq!(status, 200, "{case}");
                assert_eq!(
                    serde_json::to_value(&*accepted).unwrap(),
                    response,
                    "{case}"
                );
                if case != "test_connection" {
                    handed_over += 1;
                }
            }
            Err(error) => {
                assert_eq!(error.status().map(|s| s.as_u16()), Some(status), "{case}");
                assert_eq!(error.body(), Some(&response), "{case}");
            }
        }
        assert_eq!(app.received().len(), handed_over, "{case}");
    }
    assert_eq!(
        handed_over, 4,
        "order_created, shipped, canceled under both spellings"
    );
}

#[tokio::test]
async fn a_forged_signature_is_refused_before_anything_is_read() {
    let receiver = start(|r| r).await;
    let (status, body) = deliver_signed(
        &receiver.url,
        SEED_ORDER_CREATED,
        NOW,
        "fake-guessed-secret",
    )
    .await;
    assert_eq!(
        (status, body),
        (
            401,
            rejected("invalid_signature", "x-signature does not match")
        )
    );
    // A correct signature over another body does not carry over.
    let signature = MetroHmac::new(KEY, SECRET).signature("POST", &receiver.url, b"{}", NOW);
    assert_eq!(
        deliver_with_signature(&receiver.url, SEED_ORDER_CREATED, NOW, signature).await,
        (
            401,
            rejected("invalid_signature", "x-signature does not match")
        )
    );
    // Nor does one made for another receiver URL.
    let other_url = receiver.url.replace("/events", "/other");
    let signature = MetroHmac::new(KEY, SECRET).signature(
        "POST",
        &other_url,
        SEED_ORDER_CREATED.as_bytes(),
        NOW,
    );
    assert_eq!(
        deliver_with_signature(&receiver.url, SEED_ORDER_CREATED, NOW, signature)
            .await
            .0,
        401
    );
    assert!(receiver.app.received().is_empty());
}

#[tokio::test]
async fn missing_headers_and_unknown_clients_are_refused() {
    let receiver = start(|r| r).await;
    let response = reqwest::Client::new()
        .post(&receiver.url)
        .header("content-type", "application/json")
        .body(SEED_ORDER_CREATED)
        .send()
        .await
        .unwrap();
    assert_eq!(
        answer(response).await,
        (
            401,
            rejected(
                "missing_signature",
                "x-client, x-timestamp and x-signature are required"
            )
        )
    );
    let signature = MetroHmac::new("fake-other-key", SECRET).signature(
        "POST",
        &receiver.url,
        SEED_ORDER_CREATED.as_bytes(),
        NOW,
    );
    let response = reqwest::Client::new()
        .post(&receiver.url)
        .header("x-client", "fake-other-key")
        .header("x-timestamp", NOW.to_string())
        .header("x-signature", signature)
        .body(SEED_ORDER_CREATED)
        .send()
        .await
        .unwrap();
    assert_eq!(
        answer(response).await,
        (
            401,
            rejected("unknown_client", "x-client is not a configured client key")
        )
    );
    assert!(receiver.app.received().is_empty());
}

#[tokio::test]
async fn stale_and_future_timestamps_are_refused_at_the_window_edge() {
    let receiver = start(|r| r).await;
    for (offset, expected) in [(-301, 401), (301, 401), (-300, 200), (300, 200)] {
        // A distinct message per attempt, so acceptance is not deduplication.
        let body = SEED_ORDER_CREATED.replace("0b8f2a57", &format!("0b8f{:04}", offset + 1000));
        let (status, answer) = deliver_signed(&receiver.url, &body, NOW + offset, SECRET).await;
        assert_eq!(status, expected, "offset {offset}: {answer}");
        if expected == 401 {
            assert_eq!(answer["code"], "stale_timestamp", "{answer}");
            assert_eq!(
                answer["message"],
                format!(
                    "x-timestamp is {} seconds from the receiver's clock; the window is ±300 s",
                    -offset
                )
            );
        }
    }
    assert_eq!(
        receiver.app.received().len(),
        2,
        "only the two inside the window"
    );

    // The window is configurable.
    let strict = start(|r| r.timestamp_window(Duration::from_secs(30))).await;
    let (status, body) = deliver_signed(&strict.url, SEED_ORDER_CREATED, NOW - 31, SECRET).await;
    assert_eq!((status, &body["code"]), (401, &json!("stale_timestamp")));
    assert!(strict.app.received().is_empty());
}

#[tokio::test]
async fn a_replayed_message_id_is_acknowledged_and_handed_over_once() {
    let receiver = start(|r| r).await;
    for _ in 0..3 {
        assert_eq!(
            deliver(&receiver.url, SEED_ORDER_CREATED).await,
            (200, ok())
        );
    }
    // A redelivery signed later (a new timestamp, a new signature) is the same event.
    assert_eq!(
        deliver_signed(&receiver.url, SEED_ORDER_CREATED, NOW + 60, SECRET).await,
        (200, ok())
    );
    let received = receiver.app.received();
    assert_eq!(received.len(), 1, "{received:?}");
    assert_eq!(
        received[0].message_id,
        "0b8f2a57-6a3e-4c39-9a8e-1f2d3c4b5a69"
    );
}

#[tokio::test]
async fn an_oversize_body_is_refused_with_413_with_or_without_a_length() {
    let receiver = start(|r| r).await;
    let padding = " ".repeat(DEFAULT_BODY_LIMIT);
    let big = format!("{SEED_ORDER_CREATED}{padding}");
    let (status, body) = deliver(&receiver.url, &big).await;
    assert_eq!(
        (status, body),
        (
            413,
            rejected(
                "payload_too_large",
                "the body is larger than the receiver's limit of 1048576 bytes"
            )
        )
    );
    // Streamed without Content-Length: the limit still holds while reading.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..17).map(|_| Ok(vec![b' '; 64 * 1024])).collect();
    let response = reqwest::Client::new()
        .post(&receiver.url)
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
        .send()
        .await
        .unwrap();
    assert_eq!(answer(response).await.0, 413);
    // Exactly at the limit is fine (and then the signature decides).
    let at_limit = format!(
        "{SEED_ORDER_CREATED}{}",
        " ".repeat(DEFAULT_BODY_LIMIT - SEED_ORDER_CREATED.len())
    );
    assert_eq!(deliver(&receiver.url, &at_limit).await, (200, ok()));
    assert_eq!(receiver.app.received().len(), 1);

    let small = start(|r| r.body_limit(100)).await;
    let (status, body) = deliver(&small.url, SEED_ORDER_CREATED).await;
    assert_eq!((status, &body["code"]), (413, &json!("payload_too_large")));
    assert!(small.app.received().is_empty());
}

#[tokio::test]
async fn malformed_json_and_mismatched_payloads_are_refused_with_400() {
    let receiver = start(|r| r).await;
    let (status, body) = deliver(&receiver.url, r#"{"messageId": "m1", "event": "#).await;
    assert_eq!(status, 400);
    assert_eq!(body["code"], "malformed_event");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("not JSON: EOF while parsing"),
        "{body}"
    );
    let (status, body) = deliver(
        &receiver.url,
        r#"{"messageId":"m2","event":"order_created","payload":{"orderNumber":5}}"#,
    )
    .await;
    assert_eq!(
        (status, body),
        (
            400,
            rejected(
                "malformed_event",
                "not a valid `order_created` payload: at `orderNumber`: invalid type: integer `5`, expected a string"
            )
        )
    );
    let (status, body) = deliver(&receiver.url, r#"{"event":"order_created","payload":{}}"#).await;
    assert_eq!(
        (status, body),
        (
            400,
            rejected(
                "malformed_event",
                "not a METRO event envelope: missing field `messageId`"
            )
        )
    );
    assert!(receiver.app.received().is_empty());
}

#[tokio::test]
async fn a_body_that_is_not_json_by_its_media_type_is_refused_with_415() {
    let receiver = start(|r| r).await;
    let signature = MetroHmac::new(KEY, SECRET).signature(
        "POST",
        &receiver.url,
        SEED_ORDER_CREATED.as_bytes(),
        NOW,
    );
    let response = reqwest::Client::new()
        .post(&receiver.url)
        .header("content-type", "text/plain")
        .header("x-client", KEY)
        .header("x-timestamp", NOW.to_string())
        .header("x-signature", signature)
        .body(SEED_ORDER_CREATED)
        .send()
        .await
        .unwrap();
    assert_eq!(
        answer(response).await,
        (
            415,
            rejected(
                "unsupported_media_type",
                "the body must be JSON (Content-Type: application/json)"
            )
        )
    );
    assert!(receiver.app.received().is_empty());
}

#[tokio::test]
async fn an_unknown_event_type_is_handed_over_as_other_with_its_raw_json() {
    let receiver = start(|r| r).await;
    let body = r#"{"messageId":"u1","event":"order_return_requested","emittedAt":"2026-03-03T09:31:00Z","payload":{"orderLineId":"x","reason":"damaged"}}"#;
    assert_eq!(deliver(&receiver.url, body).await, (200, ok()));
    let received = receiver.app.received();
    let [delivery] = received.as_slice() else {
        panic!("{received:?}")
    };
    assert_eq!(
        delivery.name,
        types::EventName::Other("order_return_requested".into())
    );
    let Event::Other { event, raw } = &delivery.event else {
        panic!("{delivery:?}")
    };
    assert_eq!(event, "order_return_requested");
    assert_eq!(raw, &serde_json::from_str::<Value>(body).unwrap());
}

#[tokio::test]
async fn a_failing_handler_gets_no_ok_and_the_redelivery_is_handed_over() {
    let receiver = start(|r| r).await;
    receiver.app.script(&[Behaviour::Fail, Behaviour::Panic]);
    let failed = rejected(
        "handler_failed",
        "the event could not be processed; deliver it again later",
    );
    assert_eq!(
        deliver(&receiver.url, SEED_ORDER_LINE_CANCELED).await,
        (500, failed.clone())
    );
    assert!(receiver.app.received().is_empty());
    // A panicking handler is a failed handler too; the receiver keeps serving.
    assert_eq!(
        deliver(&receiver.url, SEED_ORDER_LINE_CANCELED).await,
        (500, failed)
    );
    assert!(receiver.app.received().is_empty());
    // Nothing was remembered: METRO's next delivery of the same message is taken.
    assert_eq!(
        deliver(&receiver.url, SEED_ORDER_LINE_CANCELED).await,
        (200, ok())
    );
    assert_eq!(
        deliver(&receiver.url, SEED_ORDER_LINE_CANCELED).await,
        (200, ok())
    );
    let received = receiver.app.received();
    assert_eq!(received.len(), 1, "{received:?}");
    assert_eq!(
        received[0].message_id,
        "9c8b7a6f-5e4d-4c3b-2a19-087f6e5d4c3b"
    );
}

#[tokio::test]
async fn a_copy_arriving_while_the_first_is_handled_is_told_to_come_back() {
    let receiver = start(|r| r).await;
    let gate = receiver.app.hold();
    let url = receiver.url.clone();
    let first = tokio::spawn(async move { deliver(&url, SEED_ORDER_CREATED).await });
    receiver.app.wait_entered(1).await;
    assert_eq!(
        deliver(&receiver.url, SEED_ORDER_CREATED).await,
        (
            503,
            rejected(
                "in_progress",
                "this messageId is being processed; deliver it again later"
            )
        )
    );
    gate.add_permits(1);
    assert_eq!(first.await.unwrap(), (200, ok()));
    gate.add_permits(10);
    assert_eq!(
        deliver(&receiver.url, SEED_ORDER_CREATED).await,
        (200, ok())
    );
    assert_eq!(receiver.app.received().len(), 1);
}

#[tokio::test]
async fn the_marketplace_hanging_up_does_not_cancel_the_hand_over() {
    let receiver = start(|r| r).await;
    let gate = receiver.app.hold();
    let url = receiver.url.clone();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let signature =
        MetroHmac::new(KEY, SECRET).signature("POST", &url, SEED_ORDER_CREATED.as_bytes(), NOW);
    let timed_out = client
        .post(&url)
        .header("x-client", KEY)
        .header("x-timestamp", NOW.to_string())
        .header("x-signature", signature)
        .body(SEED_ORDER_CREATED)
        .send()
        .await;
    assert!(timed_out.is_err(), "the client gave up");
    receiver.app.wait_entered(1).await;
    gate.add_permits(10);
    for _ in 0..500 {
        if !receiver.app.received().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(receiver.app.received().len(), 1, "the handler still ran");
    // So the redelivery METRO sends after its timeout is acknowledged, not handed over.
    assert_eq!(
        deliver(&receiver.url, SEED_ORDER_CREATED).await,
        (200, ok())
    );
    assert_eq!(receiver.app.received().len(), 1);
}

#[tokio::test]
async fn base64_signatures_and_a_custom_scheme_are_accepted_when_configured() {
    let receiver = start(|r| r).await;
    let base64 = MetroHmac::new(KEY, SECRET)
        .encoding(SignatureEncoding::Base64)
        .signature("POST", &receiver.url, SEED_ORDER_CREATED.as_bytes(), NOW);
    let response = reqwest::Client::new()
        .post(&receiver.url)
        .header("x-client", KEY)
        .header("x-timestamp", NOW.to_string())
        .header("x-signature", base64)
        .body(SEED_ORDER_CREATED)
        .send()
        .await
        .unwrap();
    assert_eq!(answer(response).await, (200, ok()));

    // Should real deliveries turn out to sign `<body>\n<timestamp>` only:
    let custom = start(|r| {
        r.signing_scheme(SigningScheme::custom(|parts| {
            [parts.body, b"\n", parts.timestamp.as_bytes()].concat()
        }))
    })
    .await;
    let text = [
        SEED_ORDER_CREATED.as_bytes(),
        b"\n",
        NOW.to_string().as_bytes(),
    ]
    .concat();
    let mac = {
        use hmac::Mac;
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
        mac.update(&text);
        hex::encode(mac.finalize().into_bytes())
    };
    let response = reqwest::Client::new()
        .post(&custom.url)
        .header("x-client", KEY)
        .header("x-timestamp", NOW.to_string())
        .header("x-signature", mac)
        .body(SEED_ORDER_CREATED)
        .send()
        .await
        .unwrap();
    assert_eq!(answer(response).await, (200, ok()));
    // The default scheme's signature no longer passes there.
    assert_eq!(deliver(&custom.url, SEED_ORDER_CREATED).await.0, 401);
    assert_eq!(custom.app.received().len(), 1);
}

/// SEED_ORDER_CREATED's `messageId` with another order in it.
const SAME_ID_OTHER_ORDER: &str = r#"{
"messageId": "0b8f2a57-6a3e-4c39-9a8e-1f2d3c4b5a69",
"event": "order_created",
"payload": {
"orderId": "11111111-3b4d-4d6e-8f1a-2b3c4d5e6f70",
"orderNumber": "O21-999999999999",
"organizationId": "c2a9e1f4-5b6d-4e7f-8a9b-0c1d2e3f4a5b",
"status": 1,
"createdAt": "2026-03-03T09:30:58+01:00"
}
}"#;

#[tokio::test]
async fn the_same_message_id_with_other_content_is_not_handed_over_and_warns() {
    let (logs, _guard) = Logs::capture();
    let receiver = start(|r| r).await;
    assert_eq!(
        deliver(&receiver.url, SEED_ORDER_CREATED).await,
        (200, ok())
    );
    // The same content, reformatted and reordered: a plain duplicate, no warning.
    let reformatted: Value = serde_json::from_str(SEED_ORDER_CREATED).unwrap();
    let reformatted = serde_json::to_string(&reformatted).unwrap();
    assert_eq!(deliver(&receiver.url, &reformatted).await, (200, ok()));
    assert!(logs.lines_with(&["WARN"]).is_empty(), "{}", logs.text());
    // Other content under the same id: acknowledged, not handed over, and a WARN
    // naming the id says the content differed.
    assert_eq!(
        deliver(&receiver.url, SAME_ID_OTHER_ORDER).await,
        (200, ok())
    );
    assert_eq!(receiver.app.received().len(), 1);
    let warnings = logs.lines_with(&[
        "WARN",
        "0b8f2a57-6a3e-4c39-9a8e-1f2d3c4b5a69",
        "different content",
    ]);
    assert_eq!(warnings.len(), 1, "{}", logs.text());
}

#[tokio::test]
async fn a_copy_told_to_come_back_is_logged() {
    let (logs, _guard) = Logs::capture();
    let receiver = start(|r| r).await;
    let gate = receiver.app.hold();
    let url = receiver.url.clone();
    let first = tokio::spawn(async move { deliver(&url, SEED_ORDER_CREATED).await });
    receiver.app.wait_entered(1).await;
    assert_eq!(deliver(&receiver.url, SEED_ORDER_CREATED).await.0, 503);
    gate.add_permits(1);
    assert_eq!(first.await.unwrap(), (200, ok()));
    let lines = logs.lines_with(&[
        "WARN",
        "0b8f2a57-6a3e-4c39-9a8e-1f2d3c4b5a69",
        "503",
        "in progress",
    ]);
    assert_eq!(lines.len(), 1, "{}", logs.text());
}

#[tokio::test]
async fn a_signature_made_for_another_url_logs_the_url_it_was_checked_against() {
    let (logs, _guard) = Logs::capture();
    let receiver = start(|r| r).await;
    // METRO signs the URL it was given: here https and a trailing slash.
    let registered = format!("{}/", receiver.url.replacen("http://", "https://", 1));
    let headers = MetroHmac::new(KEY, SECRET).signature(
        "POST",
        &registered,
        SEED_ORDER_CREATED.as_bytes(),
        NOW,
    );
    assert_eq!(
        deliver_with_signature(&receiver.url, SEED_ORDER_CREATED, NOW, headers).await,
        (
            401,
            rejected("invalid_signature", "x-signature does not match")
        )
    );
    let lines = logs.lines_with(&[
        "DEBUG",
        &format!("receiver_url=\"{}\"", receiver.url),
        "URL",
    ]);
    assert_eq!(lines.len(), 1, "{}", logs.text());
}

#[tokio::test]
async fn signed_test_headers_make_a_delivery_the_receiver_accepts() {
    let receiver = start(|r| r).await;
    let headers = marketplace_webhooks::metro::signed_test_headers(
        SEED_ORDER_CREATED.as_bytes(),
        &receiver.url,
        KEY,
        SECRET,
        NOW,
    );
    assert_eq!(headers.len(), 4, "{headers:?}");
    let response = reqwest::Client::new()
        .post(&receiver.url)
        .headers(headers.clone())
        .body(SEED_ORDER_CREATED)
        .send()
        .await
        .unwrap();
    assert_eq!(answer(response).await, (200, ok()));
    assert_eq!(receiver.app.received().len(), 1);
    // The same headers verify through the framework-free core, and fail for another body.
    let core = MetroReceiver::new(&receiver.url, KEY, SECRET).unwrap();
    assert!(
        core.verify(&headers, SEED_ORDER_CREATED.as_bytes(), NOW)
            .is_ok()
    );
    assert_eq!(
        core.verify(&headers, SAME_ID_OTHER_ORDER.as_bytes(), NOW)
            .unwrap_err()
            .status(),
        401
    );
}

#[tokio::test]
async fn during_a_key_rotation_both_pairs_are_accepted() {
    const NEW_KEY: &str = "fake-metro-client-key-2";
    const NEW_SECRET: &str = "fake-metro-client-secret-2";
    let receiver = start(|r| {
        r.also_accept(KEY, NEW_SECRET)
            .unwrap()
            .also_accept(NEW_KEY, NEW_SECRET)
            .unwrap()
    })
    .await;
    let send = |key: &'static str, secret: &'static str, body: &'static str| {
        let url = receiver.url.clone();
        async move {
            let headers = marketplace_webhooks::metro::signed_test_headers(
                body.as_bytes(),
                &url,
                key,
                secret,
                NOW,
            );
            answer(
                reqwest::Client::new()
                    .post(&url)
                    .headers(headers)
                    .body(body)
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }
    };
    // The old pair, the old key with a new secret, and a new pair all verify.
    assert_eq!(send(KEY, SECRET, SEED_ORDER_CREATED).await, (200, ok()));
    assert_eq!(
        send(KEY, NEW_SECRET, SEED_ORDER_LINE_SHIPPED).await,
        (200, ok())
    );
    assert_eq!(
        send(NEW_KEY, NEW_SECRET, SEED_ORDER_LINE_CANCELED).await,
        (200, ok())
    );
    let clients: Vec<String> = receiver
        .app
        .received()
        .into_iter()
        .map(|d| d.client)
        .collect();
    assert_eq!(clients, [KEY, KEY, NEW_KEY]);
    // A pair that was never configured still fails.
    assert_eq!(
        send(NEW_KEY, SECRET, SEED_TEST_CONNECTION).await,
        (
            401,
            rejected("invalid_signature", "x-signature does not match")
        )
    );
}
