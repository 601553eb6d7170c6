//! Faults on demand, one test per kind, per marketplace and reproducible from the seed.

mod common;

use std::time::{Duration, Instant};

use marketplace_mock::{Api, Faults, Latency, MockConfig, MockMarketplace};
use marketplace_runtime::RetryPolicy;
use reqwest::Method;

fn lectronz(mock: &MockMarketplace) -> marketplace_lectronz::Client {
    marketplace_lectronz::Client::builder(&mock.lectronz().api_key)
        .base_url(&mock.lectronz().base_url)
        .retry_policy(RetryPolicy::none())
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap()
}

#[tokio::test]
async fn an_outage_takes_down_one_marketplace_only() {
    let mock = common::small_mock().await;
    mock.set_faults(
        Api::SkyhubSac,
        Faults {
            outage: true,
            ..Faults::default()
        },
    );
    let sk = common::checked(&mock, "skyhub-sac");
    let down = sk.send(Method::GET, "/sac", None).await;
    assert_eq!(down.status, 503);
    assert!(
        down.body.unwrap()["errors"]["detail"].is_string(),
        "SkyHub's own error shape"
    );
    for spec in [
        "lectronz",
        "yandex-market-chats",
        "metro-message-center",
        "metro-subscriptions",
    ] {
        let path = match spec {
            "lectronz" => "/messages".to_owned(),
            "yandex-market-chats" => {
                format!("/v2/businesses/{}/chat?chatId=1", mock.yandex().business_id)
            }
            "metro-message-center" => "/openapi/v1/chats".to_owned(),
            _ => "/openapi/v1/subscriptions".to_owned(),
        };
        assert_eq!(
            common::checked(&mock, spec)
                .send(Method::GET, &path, None)
                .await
                .status,
            200,
            "{spec}"
        );
    }
    mock.set_faults(Api::SkyhubSac, Faults::default());
    assert_eq!(sk.send(Method::GET, "/sac", None).await.status, 200);
}

/// The statuses of 30 requests to Lectronz with half of them failing.
async fn half_failing(seed: u64) -> Vec<u16> {
    let mock = MockMarketplace::start(MockConfig {
        seed,
        ..common::config()
    })
    .await
    .unwrap();
    mock.set_faults(
        Api::Lectronz,
        Faults {
            error_percent: 50,
            ..Faults::default()
        },
    );
    let lz = common::checked(&mock, "lectronz");
    let mut statuses = Vec::new();
    for _ in 0..30 {
        let answer = lz.send(Method::GET, "/messages/1", None).await;
        if answer.status == 500 {
            assert_eq!(answer.body.unwrap()["errors"][0]["status"], 500);
        }
        statuses.push(answer.status);
    }
    statuses
}

#[tokio::test]
async fn a_share_of_5xx_reproducible_from_the_seed() {
    let first = half_failing(7).await;
    assert!(first.contains(&500) && first.contains(&200), "{first:?}");
    assert_eq!(
        first,
        half_failing(7).await,
        "the same seed fails the same requests"
    );
    assert_ne!(first, half_failing(8).await);

    // The SDK retries a read through them.
    let mock = common::small_mock().await;
    mock.set_faults(
        Api::Lectronz,
        Faults {
            error_percent: 50,
            ..Faults::default()
        },
    );
    let client = marketplace_lectronz::Client::builder(&mock.lectronz().api_key)
        .base_url(&mock.lectronz().base_url)
        .retry_policy(RetryPolicy::default().max_retries(10))
        .build()
        .unwrap();
    for id in 1..=5 {
        client.get_message().id(id).send().await.unwrap();
    }
    assert!(mock.journal().iter().any(|e| e.status == 500));
}

#[tokio::test]
async fn connection_resets() {
    let mock = common::small_mock().await;
    mock.set_faults(
        Api::Lectronz,
        Faults {
            reset_percent: 100,
            ..Faults::default()
        },
    );
    let err = lectronz(&mock)
        .get_message()
        .id(1)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), None, "no answer at all: {err}");
    assert!(!err.is_timeout(), "{err}");
    // Recorded, without a status.
    let entry = mock.journal_of(Api::Lectronz).pop().unwrap();
    assert_eq!(
        (entry.request_line().as_str(), entry.status),
        ("GET /api/v1/messages/1", 0)
    );
    // The other APIs and, once lifted, Lectronz itself answer.
    mock.set_faults(Api::Lectronz, Faults::default());
    lectronz(&mock).get_message().id(1).send().await.unwrap();
}

#[tokio::test]
async fn stalled_bodies() {
    let mock = common::small_mock().await;
    mock.set_faults(
        Api::Lectronz,
        Faults {
            stall_percent: 100,
            ..Faults::default()
        },
    );
    // The status and headers arrive; the body never ends.
    let url = format!("{}/messages/1", mock.lectronz().api_url);
    let response = reqwest::Client::new()
        .get(&url)
        .bearer_auth(&mock.lectronz().api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body = tokio::time::timeout(Duration::from_millis(500), response.bytes()).await;
    assert!(body.is_err(), "the body stalls");
    // The SDK reads the body within its timeout and reports a timeout.
    let err = lectronz(&mock)
        .get_message()
        .id(1)
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
}

#[tokio::test]
async fn added_latency_fixed_and_drawn() {
    let mock = common::small_mock().await;
    let client = lectronz(&mock);
    mock.set_faults(
        Api::Lectronz,
        Faults {
            latency: Latency::Fixed(Duration::from_millis(300)),
            ..Faults::default()
        },
    );
    let started = Instant::now();
    client.get_message().id(1).send().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));
    mock.set_faults(
        Api::Lectronz,
        Faults {
            latency: Latency::Uniform(Duration::from_millis(100), Duration::from_millis(200)),
            ..Faults::default()
        },
    );
    for _ in 0..3 {
        let started = Instant::now();
        client.get_message().id(1).send().await.unwrap();
        assert!(started.elapsed() >= Duration::from_millis(100));
    }
}

#[tokio::test]
async fn faults_over_http() {
    let mock = common::small_mock().await;
    let http = reqwest::Client::new();
    let admin = format!(
        "{}{}/faults",
        mock.metro().message_center_url,
        marketplace_mock::ADMIN_PREFIX
    );
    let put = |body: serde_json::Value| http.put(&admin).json(&body).send();
    assert_eq!(
        put(serde_json::json!({"outage": true}))
            .await
            .unwrap()
            .status(),
        204
    );
    let mc = common::checked(&mock, "metro-message-center");
    let down = mc.send(Method::GET, "/openapi/v1/chats/unseen", None).await;
    assert_eq!(down.status, 503);
    assert_eq!(down.body.unwrap()["status"], "error");
    // Admin calls are not subject to the faults they set.
    assert_eq!(
        put(serde_json::json!({"latency_ms": [10, 20]}))
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(
        mc.send(Method::GET, "/openapi/v1/chats/unseen", None)
            .await
            .status,
        200
    );
    assert_eq!(
        put(serde_json::json!({"outrage": true}))
            .await
            .unwrap()
            .status(),
        400
    );
    assert_eq!(put(serde_json::json!({})).await.unwrap().status(), 204);
}
