//! Yandex Market's per-method quotas: 420 with the `X-RateLimit-Resource-*` headers,
//! then success once the window the headers name is over.

mod common;

use std::time::{Duration, Instant};

use futures::StreamExt as _;
use marketplace_mock::{Api, MockConfig, MockMarketplace, YandexQuotas};
use reqwest::Method;

#[tokio::test]
async fn a_quota_answers_420_then_the_sdk_waits_for_the_window() {
    let mock = MockMarketplace::start(MockConfig {
        yandex_quotas: YandexQuotas {
            // Long enough that the requests before the SDK's all fall in the first window.
            window: Duration::from_secs(4),
            limit: Some(2),
        },
        ..common::config()
    })
    .await
    .unwrap();
    let y = mock.yandex();
    let ym = common::checked(&mock, "yandex-market-chats");
    let path = format!("/v2/businesses/{}/chat?chatId=1", y.business_id);
    for remaining in ["1", "0"] {
        let answer = ym.send(Method::GET, &path, None).await;
        assert_eq!(answer.status, 200);
        assert_eq!(answer.headers["x-ratelimit-resource-limit"], "2");
        assert_eq!(answer.headers["x-ratelimit-resource-remaining"], remaining);
    }
    let refused = ym.send(Method::GET, &path, None).await;
    assert_eq!(refused.status, 420);
    assert_eq!(refused.body.unwrap()["errors"][0]["code"], "LIMIT_EXCEEDED");
    assert_eq!(refused.headers["x-ratelimit-resource-remaining"], "0");
    let until = refused.headers["x-ratelimit-resource-until"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        chrono::DateTime::parse_from_rfc2822(&until).is_ok(),
        "{until}"
    );
    // Quotas are per method: another method still answers.
    let history = format!("/v2/businesses/{}/chats/history?chatId=1", y.business_id);
    assert_eq!(
        ym.send(Method::POST, &history, Some(serde_json::json!({})))
            .await
            .status,
        200
    );

    // The SDK retries the read after the time the headers name, and succeeds.
    let client = marketplace_yandex_market_chats::Client::builder(&y.api_key)
        .base_url(&y.base_url)
        .build()
        .unwrap();
    let started = Instant::now();
    client
        .get_chat()
        .business_id(y.business_id)
        .chat_id(1u64)
        .send()
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
    let statuses: Vec<u16> = mock
        .journal_of(Api::YandexMarketChats)
        .iter()
        .filter(|e| e.path.ends_with("/chat"))
        .map(|e| e.status)
        .collect();
    assert_eq!(statuses, [200, 200, 420, 420, 200]);
}

#[tokio::test]
async fn documented_quotas_by_default() {
    let mock = common::small_mock().await;
    let ym = common::checked(&mock, "yandex-market-chats");
    let b = format!("/v2/businesses/{}", mock.yandex().business_id);
    for (method, path, limit) in [
        (Method::POST, format!("{b}/chats"), "5000"),
        (Method::GET, format!("{b}/chat?chatId=1"), "1000"),
        (Method::POST, format!("{b}/chats/history?chatId=1"), "10000"),
    ] {
        let body = (method == Method::POST).then(|| serde_json::json!({}));
        let answer = ym.send(method, &path, body).await;
        assert_eq!(
            answer.headers["x-ratelimit-resource-limit"], limit,
            "{path}"
        );
    }
}

#[tokio::test]
async fn more_than_four_requests_in_flight_get_420() {
    // Without the journal, which reads each body before the API sees the request,
    // a slow body keeps its request in flight at the API.
    let mock = MockMarketplace::start(MockConfig {
        journal_capacity: 0,
        ..common::config()
    })
    .await
    .unwrap();
    let y = mock.yandex();
    let url = format!("{}/v2/businesses/{}/chats", y.base_url, y.business_id);
    let http = reqwest::Client::new();
    // Four requests whose bodies take half a second to arrive hold the four slots.
    let slow: Vec<_> = (0..4)
        .map(|_| {
            let body = futures::stream::iter([Ok::<_, std::io::Error>("{")]).chain(
                futures::stream::once(async {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    Ok("}")
                }),
            );
            http.post(&url)
                .header("api-key", &y.api_key)
                .header("content-type", "application/json")
                .body(reqwest::Body::wrap_stream(body))
                .send()
        })
        .collect();
    let slow = tokio::spawn(futures::future::join_all(slow));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let ym = common::checked(&mock, "yandex-market-chats");
    let fifth = ym
        .send(
            Method::POST,
            &format!("/v2/businesses/{}/chats", y.business_id),
            Some(serde_json::json!({})),
        )
        .await;
    assert_eq!(fifth.status, 420);
    for answer in slow.await.unwrap() {
        assert_eq!(answer.unwrap().status(), 200);
    }
    // Once they are answered, the cabinet has its slots back.
    let after = ym
        .send(
            Method::POST,
            &format!("/v2/businesses/{}/chats", y.business_id),
            Some(serde_json::json!({})),
        )
        .await;
    assert_eq!(after.status, 200);
}
