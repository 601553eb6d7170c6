//! Each marketplace checks credentials its own way and refuses in its own error shape
//! (validated against its spec); each unconfirmed vendor fact runs under its
//! alternative too.

mod common;

use common::{Checked, Credentials, checked, credentials};
use marketplace_mock::{MockConfig, MockMarketplace, SignatureEncoding, YandexOAuthForm};
use marketplace_runtime::{Auth, Error, MetroHmac, RateLimit, RetryPolicy};
use reqwest::Method;
use serde_json::json;

fn headers(pairs: &[(&str, &str)]) -> Credentials {
    Credentials::Headers(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    )
}

#[tokio::test]
async fn lectronz_wants_its_bearer_key() {
    let mock = common::small_mock().await;
    let base = &mock.lectronz().api_url;
    for credentials in [
        Credentials::None,
        headers(&[("authorization", "Bearer not-the-key")]),
        // The key itself, without the scheme.
        headers(&[("authorization", &mock.lectronz().api_key)]),
    ] {
        let answer = Checked::new("lectronz", base, credentials)
            .send(Method::GET, "/messages", None)
            .await;
        assert_eq!(answer.status, 401);
        assert_eq!(answer.body.unwrap()["errors"][0]["status"], 401);
    }
    // Through the client: a wrong key is an auth error.
    let client = marketplace_lectronz::Client::builder("wrong")
        .base_url(&mock.lectronz().base_url)
        .build()
        .unwrap();
    let err = client.get_message().id(1).send().await.unwrap_err();
    assert!(err.is_auth(), "{err}");
    assert_eq!(
        checked(&mock, "lectronz")
            .send(Method::GET, "/messages/1", None)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn skyhub_wants_its_three_headers() {
    let mock = common::small_mock().await;
    let s = mock.skyhub();
    let all = [
        ("x-user-email", s.user_email.as_str()),
        ("x-api-key", s.api_key.as_str()),
        ("x-accountmanager-key", s.account_manager_key.as_str()),
    ];
    for missing in 0..3 {
        let some: Vec<_> = all
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != missing)
            .map(|(_, h)| *h)
            .collect();
        let answer = Checked::new("skyhub-sac", &s.base_url, headers(&some))
            .send(Method::GET, "/sac", None)
            .await;
        assert_eq!(answer.status, 401, "without {}", all[missing].0);
        assert!(answer.body.unwrap()["error"].is_string());
    }
    let mut wrong = all;
    wrong[1].1 = "not-the-key";
    let answer = Checked::new("skyhub-sac", &s.base_url, headers(&wrong))
        .send(Method::GET, "/sac", None)
        .await;
    assert_eq!(answer.status, 401);
    assert_eq!(
        Checked::new("skyhub-sac", &s.base_url, headers(&all))
            .send(Method::GET, "/sac", None)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn yandex_wants_an_api_key_or_an_oauth_token() {
    let mock = common::small_mock().await;
    let y = mock.yandex();
    let path = format!("/v2/businesses/{}/chat?chatId=1", y.business_id);
    let status = |credentials: Credentials| {
        let checked = Checked::new("yandex-market-chats", &y.base_url, credentials);
        let path = path.clone();
        async move {
            let answer = checked.send(Method::GET, &path, None).await;
            if answer.status != 200 {
                assert_eq!(answer.body.as_ref().unwrap()["status"], "ERROR");
            }
            answer.status
        }
    };
    // Without credentials 401, with wrong ones 403 (the spec's two statuses).
    assert_eq!(status(Credentials::None).await, 401);
    assert_eq!(status(headers(&[("api-key", "wrong")])).await, 403);
    assert_eq!(
        status(headers(&[("authorization", "Bearer wrong")])).await,
        403
    );
    assert_eq!(status(headers(&[("api-key", &y.api_key)])).await, 200);
    assert_eq!(
        status(headers(&[(
            "authorization",
            &format!("Bearer {}", y.oauth_token)
        )]))
        .await,
        200
    );

    // The SDK's OAuth builder works against the default (its assumption).
    let client = marketplace_yandex_market_chats::Client::builder_oauth(&y.oauth_token)
        .base_url(&y.base_url)
        .build()
        .unwrap();
    client
        .get_chat()
        .business_id(y.business_id)
        .chat_id(1u64)
        .send()
        .await
        .unwrap();
}

/// `Authorization: OAuth <token>`: the alternative form, through the SDK's switch
/// (`Auth::custom`).
#[derive(Debug)]
struct OAuthHeader(String);

impl marketplace_runtime::Authenticate for OAuthHeader {
    fn authenticate(&self, request: &mut reqwest::Request) -> Result<(), String> {
        let value = format!("OAuth {}", self.0)
            .parse()
            .map_err(|_| "bad token".to_owned())?;
        request
            .headers_mut()
            .insert(reqwest::header::AUTHORIZATION, value);
        Ok(())
    }
}

#[tokio::test]
async fn yandex_oauth_form_alternative() {
    let mut config = common::config();
    config.unconfirmed.yandex_oauth = YandexOAuthForm::OAuth;
    let mock = MockMarketplace::start(config).await.unwrap();
    let y = mock.yandex();
    // The SDK's default form is not taken: no credentials recognised.
    let bearer = marketplace_yandex_market_chats::Client::builder_oauth(&y.oauth_token)
        .base_url(&y.base_url)
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let err = bearer
        .get_chat()
        .business_id(y.business_id)
        .chat_id(1u64)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    // The SDK's switch sends the other form, which works.
    let custom =
        marketplace_runtime::ClientBuilder::<marketplace_yandex_market_chats::Client>::new(
            &y.base_url,
            Auth::custom(OAuthHeader(y.oauth_token.clone())),
        )
        .build()
        .unwrap();
    custom
        .get_chat()
        .business_id(y.business_id)
        .chat_id(1u64)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn metro_checks_the_signature_over_the_url_as_received() {
    let mock = common::small_mock().await;
    let m = mock.metro();
    let signed = |client_id: &str, secret: &str| Credentials::Metro {
        client_id: client_id.to_owned(),
        signer: Box::new(MetroHmac::new(&m.client_id, secret)),
    };
    for (spec, base) in [
        ("metro-message-center", &m.message_center_url),
        ("metro-subscriptions", &m.subscriptions_url),
    ] {
        let path = if spec == "metro-subscriptions" {
            "/openapi/v1/subscriptions"
        } else {
            "/openapi/v1/chats?limit=5"
        };
        for credentials in [
            Credentials::None,
            signed(&m.client_id, "wrong-secret"),
            signed("another-client", &m.client_secret),
        ] {
            let answer = Checked::new(spec, base, credentials)
                .send(Method::GET, path, None)
                .await;
            assert_eq!(answer.status, 401, "{spec}");
        }
        assert_eq!(
            Checked::new(spec, base, credentials(&mock, spec))
                .send(Method::GET, path, None)
                .await
                .status,
            200
        );
    }

    // The SDK client signs every request (its default hex encoding is the mock's).
    let client = marketplace_metro_message_center::Client::sandbox(&m.client_id, &m.client_secret)
        .base_url(&m.message_center_url)
        .build()
        .unwrap();
    client.count_unseen_chats().send().await.unwrap();
    // Signed for METRO's sandbox host, not for the URL the mock received: refused.
    let elsewhere =
        marketplace_runtime::ClientBuilder::<marketplace_metro_message_center::Client>::new(
            &m.message_center_url,
            Auth::from(
                MetroHmac::new(&m.client_id, &m.client_secret)
                    .signed_origin(marketplace_metro_message_center::SANDBOX_BASE_URL),
            ),
        )
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let err = elsewhere.count_unseen_chats().send().await.unwrap_err();
    assert!(err.is_auth(), "{err}");
    assert_eq!(err.message(), Some("HMAC signature is invalid or missing"));
    // A timestamp outside METRO's ±5 minutes: refused; inside: accepted.
    for (skew, status) in [(-301, 401), (301, 401), (-290, 200)] {
        let clock = marketplace_runtime::FixedClock(chrono::Utc::now().timestamp() + skew);
        let skewed =
            marketplace_runtime::ClientBuilder::<marketplace_metro_message_center::Client>::new(
                &m.message_center_url,
                Auth::from(MetroHmac::new(&m.client_id, &m.client_secret).clock(clock)),
            )
            .retry_policy(RetryPolicy::none())
            .build()
            .unwrap();
        let result = skewed.count_unseen_chats().send().await;
        assert_eq!(result.is_ok(), status == 200, "skew {skew} s");
    }
    // A signed body that is not the one sent: refused.
    let tampered = Checked::new(
        "metro-message-center",
        &m.message_center_url,
        credentials(&mock, "metro-message-center"),
    );
    let chats = tampered
        .send(Method::GET, "/openapi/v1/chats?limit=1", None)
        .await
        .body
        .unwrap();
    let chat_id = chats["data"][0]["id"].as_str().unwrap();
    let url = format!(
        "{}/openapi/v1/chats/{chat_id}/messages",
        m.message_center_url
    );
    let ts = chrono::Utc::now().timestamp();
    let signature = MetroHmac::new(&m.client_id, &m.client_secret).signature(
        "POST",
        &url,
        br#"{"content":"a"}"#,
        ts,
    );
    let response = reqwest::Client::new()
        .post(&url)
        .header("x-client-id", &m.client_id)
        .header("x-timestamp", ts.to_string())
        .header("x-signature", signature)
        .header("content-type", "application/json")
        .body(r#"{"content":"b"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn metro_signature_encoding_alternative() {
    let mut config = common::config();
    config.unconfirmed.metro_signature_encoding = SignatureEncoding::Base64;
    let mock = MockMarketplace::start(config).await.unwrap();
    let m = mock.metro();
    let client = |encoding| {
        marketplace_runtime::ClientBuilder::<marketplace_metro_message_center::Client>::new(
            &m.message_center_url,
            Auth::from(MetroHmac::new(&m.client_id, &m.client_secret).encoding(encoding)),
        )
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap()
    };
    // The SDK's default (hex) is refused where METRO wants base64; its switch works.
    let hex = client(SignatureEncoding::Hex)
        .count_unseen_chats()
        .send()
        .await
        .unwrap_err();
    assert!(hex.is_auth(), "{hex}");
    client(SignatureEncoding::Base64)
        .count_unseen_chats()
        .send()
        .await
        .unwrap();
    // And the other way round under the default.
    let mock = common::small_mock().await;
    let m = mock.metro();
    let base64 =
        marketplace_runtime::ClientBuilder::<marketplace_metro_message_center::Client>::new(
            &m.message_center_url,
            Auth::from(
                MetroHmac::new(&m.client_id, &m.client_secret).encoding(SignatureEncoding::Base64),
            ),
        )
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    assert!(
        base64
            .count_unseen_chats()
            .send()
            .await
            .unwrap_err()
            .is_auth()
    );
}

#[tokio::test]
async fn skyhub_rate_limit_assumed_and_alternative() {
    let client = |s: &marketplace_mock::SkyhubAccess, rate: Option<f64>| {
        let builder = marketplace_skyhub_sac::Client::builder(
            &s.user_email,
            &s.api_key,
            &s.account_manager_key,
        )
        .base_url(&s.base_url)
        .retry_policy(RetryPolicy::none());
        match rate {
            Some(rate) => builder.rate_limit(RateLimit::per_second(rate)),
            None => builder,
        }
        .build()
        .unwrap()
    };
    let statuses = |results: Vec<Result<(), Error>>| -> Vec<u16> {
        results
            .into_iter()
            .map(|r| r.map_or_else(|e| e.status().map_or(0, |s| s.as_u16()), |()| 200))
            .collect()
    };
    let send = |c: &marketplace_skyhub_sac::Client| {
        let c = c.clone();
        async move { c.list_tickets().send().await.map(drop) }
    };

    // Default: the SDK's assumed 1 request/s. The SDK's own spacing stays within it ...
    let mock = MockMarketplace::start(MockConfig::default()).await.unwrap();
    let paced = client(mock.skyhub(), None);
    let mut results = Vec::new();
    for _ in 0..4 {
        results.push(send(&paced).await);
    }
    assert_eq!(statuses(results), [200; 4]);
    // ... a client that does not space its requests is refused with 429.
    let mock = MockMarketplace::start(MockConfig::default()).await.unwrap();
    let eager = client(mock.skyhub(), Some(1000.0));
    let results = futures::future::join_all((0..5).map(|_| send(&eager))).await;
    let statuses = statuses(results);
    assert!(statuses.contains(&429), "{statuses:?}");

    // Alternative: SAC allows less than the SDK assumes (one request per 4 s): the
    // SDK's default spacing is then refused.
    let mut config = common::config();
    config.unconfirmed.skyhub_requests_per_second = Some(0.25);
    let mock = MockMarketplace::start(config).await.unwrap();
    let paced = client(mock.skyhub(), None);
    let mut refused = false;
    for _ in 0..4 {
        let result = send(&paced).await;
        refused |= result.is_err_and(|e| e.is_rate_limited());
    }
    assert!(refused);
}

#[tokio::test]
async fn skyhub_chat_time_zone_assumed_and_alternative() {
    use futures::TryStreamExt;
    // The generated tickets' `updated_at` is their last message's instant when they
    // have one chat. Read back with the SDK's Sao Paulo presumption, the chat time
    // gives that instant under the default, and is 3 h off under UTC.
    for (offset, expected_shift_hours) in [(-3, 0), (0, 3)] {
        let mut config = common::config();
        config.unconfirmed.skyhub_utc_offset_hours = offset;
        let mock = MockMarketplace::start(config).await.unwrap();
        let s = mock.skyhub();
        let client = marketplace_skyhub_sac::Client::builder(
            &s.user_email,
            &s.api_key,
            &s.account_manager_key,
        )
        .base_url(&s.base_url)
        .rate_limit(RateLimit::per_second(1000.0))
        .build()
        .unwrap();
        let tickets: Vec<_> = client.list_tickets().by_item().try_collect().await.unwrap();
        let mut compared = 0;
        for ticket in &tickets {
            let chats = client.chats(&ticket.code).await.unwrap();
            if chats.len() != 1 {
                continue;
            }
            let last = chats[0]
                .messages
                .last()
                .unwrap()
                .created_at
                .to_datetime()
                .unwrap();
            let shift = last.with_timezone(&chrono::Utc) - ticket.updated_at;
            assert_eq!(shift.num_hours(), expected_shift_hours, "{}", ticket.code);
            compared += 1;
        }
        assert!(compared > 0);
    }
}

#[tokio::test]
async fn rejected_requests_change_nothing() {
    // A write refused for its credentials leaves the world as it was.
    let mock = common::small_mock().await;
    let lz = checked(&mock, "lectronz");
    let before = lz.send(Method::GET, "/messages", None).await.body.unwrap()["total_count"].clone();
    let anonymous = Checked::new("lectronz", &mock.lectronz().api_url, Credentials::None);
    let refused = anonymous
        .send(
            Method::POST,
            "/messages",
            Some(json!({"content": "x", "type": "seller_order_message", "subject": {"id": 100000, "type": "order"}})),
        )
        .await;
    assert_eq!(refused.status, 401);
    let after = lz.send(Method::GET, "/messages", None).await.body.unwrap()["total_count"].clone();
    assert_eq!(before, after);
}
