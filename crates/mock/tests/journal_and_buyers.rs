//! The request journal (library and `/__mock/journal`), and buyers acting through the
//! admin calls (library and HTTP), their effects visible through the clients.

mod common;

use marketplace_mock::{ADMIN_PREFIX, Api, JournalEntry, MockConfig, MockMarketplace, REDACTED};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn the_journal_is_a_bounded_ring_readable_over_http() {
    let mock = MockMarketplace::start(MockConfig {
        journal_capacity: 3,
        ..common::config()
    })
    .await
    .unwrap();
    let lz = common::checked(&mock, "lectronz");
    for id in 1..=5 {
        lz.send(Method::GET, &format!("/messages/{id}"), None).await;
    }
    let lines: Vec<String> = mock
        .journal()
        .iter()
        .map(JournalEntry::request_line)
        .collect();
    assert_eq!(
        lines,
        [
            "GET /api/v1/messages/3",
            "GET /api/v1/messages/4",
            "GET /api/v1/messages/5"
        ]
    );

    // Over HTTP: the same entries (admin calls themselves are not journaled).
    let url = format!("{}{ADMIN_PREFIX}/journal", mock.lectronz().base_url);
    let http = reqwest::Client::new();
    let served: Value = http.get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(
        served,
        serde_json::to_value(mock.journal_of(Api::Lectronz)).unwrap()
    );
    assert_eq!(served[0]["api"], "lectronz");
    assert_eq!(
        served[0]["headers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h[0] == "authorization")
            .unwrap()[1],
        REDACTED
    );
    // Each API's server shows its own entries.
    let other: Value = http
        .get(format!("{}{ADMIN_PREFIX}/journal", mock.yandex().base_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(other, json!([]));
    assert_eq!(http.delete(&url).send().await.unwrap().status(), 204);
    assert!(mock.journal().is_empty());
}

#[tokio::test]
async fn the_journal_can_be_switched_off() {
    let mock = MockMarketplace::start(MockConfig {
        journal_capacity: 0,
        ..common::config()
    })
    .await
    .unwrap();
    let lz = common::checked(&mock, "lectronz");
    assert_eq!(lz.send(Method::GET, "/messages", None).await.status, 200);
    assert!(mock.journal().is_empty());
}

#[tokio::test]
async fn every_api_redacts_its_credentials() {
    let mock = common::small_mock().await;
    for (spec, path, secrets) in [
        ("lectronz", "/messages", &["authorization"][..]),
        (
            "skyhub-sac",
            "/sac",
            &["x-api-key", "x-accountmanager-key"][..],
        ),
        (
            "yandex-market-chats",
            "/v2/businesses/1/chat?chatId=1",
            &["api-key"][..],
        ),
        (
            "metro-message-center",
            "/openapi/v1/chats",
            &["x-signature"][..],
        ),
        (
            "metro-subscriptions",
            "/openapi/v1/subscriptions",
            &["x-signature"][..],
        ),
    ] {
        mock.clear_journal();
        common::checked(&mock, spec)
            .send(Method::GET, path, None)
            .await;
        let entry = mock.journal().pop().unwrap();
        for secret in secrets {
            assert_eq!(entry.header(secret), Some(REDACTED), "{spec} {secret}");
        }
    }
}

#[tokio::test]
async fn buyers_write_and_open_chats_through_the_library() {
    let mock = common::small_mock().await;

    // Lectronz: a new unread customer message on the order, newest first.
    let lz = common::checked(&mock, "lectronz");
    let done = mock
        .buyer_writes(Api::Lectronz, "100003", "Where is my parcel?")
        .unwrap();
    let newest = lz
        .send(Method::GET, "/messages?limit=1", None)
        .await
        .body
        .unwrap();
    assert_eq!(newest["messages"][0]["id"].to_string(), done.message);
    let message = lz
        .send(Method::GET, &format!("/messages/{}", done.message), None)
        .await
        .body
        .unwrap();
    assert_eq!(
        (message["type"].as_str(), message["subject"]["id"].as_i64()),
        (Some("customer_order_message"), Some(100_003))
    );
    assert!(message.get("read_at").is_none_or(Value::is_null));
    let opened = mock.buyer_opens_chat(Api::Lectronz, None, "Hello").unwrap();
    assert_ne!(opened.thread, "100003");
    assert!(mock.buyer_writes(Api::Lectronz, "42", "x").is_err());

    // SkyHub: the ticket becomes UNREAD and its chat shows the message.
    let sk = common::checked(&mock, "skyhub-sac");
    let code = sk.send(Method::GET, "/sac", None).await.body.unwrap()["sacs"][0]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    mock.buyer_writes(Api::SkyhubSac, &code, "Olá?").unwrap();
    let unread = sk
        .send(Method::GET, "/sac?status=UNREAD", None)
        .await
        .body
        .unwrap();
    assert!(
        unread["sacs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["code"] == code.as_str())
    );
    let opened = mock
        .buyer_opens_chat(Api::SkyhubSac, None, "Novo pedido")
        .unwrap();
    let chats = sk
        .send(
            Method::GET,
            &format!("/sac/{}/chats", opened.thread.replace(' ', "%20")),
            None,
        )
        .await
        .body
        .unwrap();
    assert_eq!(chats[0]["messages"][0]["content"], "Novo pedido");

    // Yandex: the chat waits for the store again; a buyer-started chat is DIRECT.
    let ym = common::checked(&mock, "yandex-market-chats");
    let b = format!("/v2/businesses/{}", mock.yandex().business_id);
    let done = mock
        .buyer_writes(Api::YandexMarketChats, "1", "Здравствуйте")
        .unwrap();
    let chat = ym
        .send(Method::GET, &format!("{b}/chat?chatId=1"), None)
        .await
        .body
        .unwrap();
    assert_eq!(chat["result"]["status"], "WAITING_FOR_PARTNER");
    let message = ym
        .send(
            Method::GET,
            &format!("{b}/chats/message?chatId=1&messageId={}", done.message),
            None,
        )
        .await
        .body
        .unwrap();
    assert_eq!(message["result"]["sender"], "CUSTOMER");
    let opened = mock
        .buyer_opens_chat(Api::YandexMarketChats, None, "Вопрос")
        .unwrap();
    let chat = ym
        .send(
            Method::GET,
            &format!("{b}/chat?chatId={}", opened.thread),
            None,
        )
        .await
        .body
        .unwrap();
    assert_eq!(chat["result"]["context"]["type"], "DIRECT");

    // METRO: one more unseen chat.
    let mc = common::checked(&mock, "metro-message-center");
    let before = unseen(&mc).await;
    let seen = mc
        .send(
            Method::GET,
            "/openapi/v1/chats?filters[isSeen]=true&limit=1",
            None,
        )
        .await
        .body
        .unwrap();
    let chat = &seen["data"][0];
    mock.buyer_writes(
        Api::MetroMessageCenter,
        chat["id"].as_str().unwrap(),
        "Hallo?",
    )
    .unwrap();
    assert_eq!(unseen(&mc).await, before + 1);
    let opened = mock
        .buyer_opens_chat(
            Api::MetroMessageCenter,
            chat["order"]["id"].as_str(),
            "Rechnung fehlt",
        )
        .unwrap();
    assert_eq!(unseen(&mc).await, before + 2);
    let listed = mc
        .send(
            Method::GET,
            &format!("/openapi/v1/chats?filters[chatId]={}", opened.thread),
            None,
        )
        .await
        .body
        .unwrap();
    assert_eq!(listed["data"][0]["subject"], "BUYER.INVOICES");
    assert!(
        mock.buyer_opens_chat(Api::MetroMessageCenter, None, "x")
            .is_err()
    );
    assert!(
        mock.buyer_writes(Api::MetroSubscriptions, "x", "x")
            .is_err()
    );
}

#[tokio::test]
async fn buyers_act_over_http() {
    let mock = common::small_mock().await;
    let http = reqwest::Client::new();
    let post = |url: String, body: Value| {
        let http = http.clone();
        async move {
            let response = http.post(url).json(&body).send().await.unwrap();
            (
                response.status().as_u16(),
                response.json::<Value>().await.unwrap(),
            )
        }
    };
    let base = &mock.yandex().base_url;
    let (status, done) = post(
        format!("{base}{ADMIN_PREFIX}/buyer/messages"),
        json!({"thread": "2", "text": "Привет"}),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(done["thread"], "2");
    let ym = common::checked(&mock, "yandex-market-chats");
    let b = format!("/v2/businesses/{}", mock.yandex().business_id);
    let message = ym
        .send(
            Method::GET,
            &format!(
                "{b}/chats/message?chatId=2&messageId={}",
                done["message"].as_str().unwrap()
            ),
            None,
        )
        .await;
    assert_eq!(message.body.unwrap()["result"]["message"], "Привет");
    let (status, opened) = post(
        format!("{base}{ADMIN_PREFIX}/buyer/chats"),
        json!({"text": "Hi"}),
    )
    .await;
    assert_eq!(status, 201);
    assert!(opened["thread"].as_str().unwrap().parse::<u64>().is_ok());
    let (status, _) = post(
        format!("{base}{ADMIN_PREFIX}/buyer/messages"),
        json!({"thread": "999999", "text": "x"}),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = post(
        format!("{base}{ADMIN_PREFIX}/buyer/messages"),
        json!({"text": "x"}),
    )
    .await;
    assert_eq!(status, 400);
    let subscriptions = &mock.metro().subscriptions_url;
    let (status, _) = post(
        format!("{subscriptions}{ADMIN_PREFIX}/buyer/chats"),
        json!({"text": "x"}),
    )
    .await;
    assert_eq!(status, 404);
    // Admin calls are not journaled.
    assert!(
        mock.journal()
            .iter()
            .all(|e| !e.path.starts_with(ADMIN_PREFIX))
    );
}

async fn unseen(mc: &common::Checked) -> i64 {
    let body = mc
        .send(Method::GET, "/openapi/v1/chats/unseen", None)
        .await
        .body
        .unwrap();
    body["data"]["count"].as_i64().unwrap()
}
