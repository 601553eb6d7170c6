//! Every answer the mock gives — success and each documented error — validates
//! against the spec's schema for its operation and status (the conformance crate's
//! validator), and the rules the specs state are enforced.

mod common;

use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn lectronz_answers_conform() {
    let mock = common::small_mock().await;
    let lz = common::Checked::new("lectronz", &mock.lectronz().base_url, &[]);

    let page = lz.send(Method::GET, "/messages?limit=100", None).await;
    assert_eq!(page.status, 200);
    let list = page.body.unwrap();
    let summaries = list["messages"].as_array().unwrap();
    assert_eq!(summaries.len(), 80, "20 orders of 4 messages");
    let buyer_id = summaries
        .iter()
        .find(|m| m["type"] == "customer_order_message")
        .unwrap()["id"]
        .clone();
    let seller_id = summaries
        .iter()
        .find(|m| m["type"] == "seller_order_message")
        .unwrap()["id"]
        .clone();
    let message = lz
        .send(Method::GET, &format!("/messages/{buyer_id}"), None)
        .await;
    assert_eq!(message.status, 200);
    let order = message.body.unwrap()["subject"]["id"].clone();

    let read = lz
        .send(
            Method::POST,
            &format!("/messages/{buyer_id}/mark_as_read"),
            None,
        )
        .await;
    assert_eq!(read.status, 200);
    assert!(read.body.unwrap()["read_at"].is_string());

    let reply = json!({"content": "On its way", "type": "seller_order_message",
                       "subject": {"id": order, "type": "order"}});
    let created = lz
        .send(Method::POST, "/messages", Some(reply.clone()))
        .await;
    assert_eq!(created.status, 201);
    assert_eq!(created.body.unwrap()["content"], "On its way");

    // Errors, each in Lectronz's `{"errors": [...]}` shape with the status inside.
    let cases = [
        (Method::GET, "/messages?limit=0".to_owned(), None, 400),
        (Method::GET, "/messages?offset=-1".to_owned(), None, 400),
        (Method::GET, "/messages?limit=ten".to_owned(), None, 400),
        (Method::GET, "/messages/999999".to_owned(), None, 404),
        (Method::GET, "/messages/abc".to_owned(), None, 404),
        (
            Method::POST,
            "/messages/999999/mark_as_read".to_owned(),
            None,
            404,
        ),
        (
            Method::POST,
            format!("/messages/{seller_id}/mark_as_read"),
            None,
            422,
        ),
        (
            Method::POST,
            "/messages".to_owned(),
            Some(json!({"content": "x"})),
            400,
        ),
        (
            Method::POST,
            "/messages".to_owned(),
            Some(json!({"content": "x", "type": "customer_order_message",
                        "subject": {"id": order, "type": "order"}})),
            422,
        ),
        (
            Method::POST,
            "/messages".to_owned(),
            Some(json!({"content": "x", "type": "seller_order_message",
                        "subject": {"id": 1, "type": "order"}})),
            404,
        ),
    ];
    for (method, path, body, status) in cases {
        let answer = lz.send(method.clone(), &path, body).await;
        assert_eq!(answer.status, status, "{method} {path}");
        assert_eq!(answer.body.unwrap()["errors"][0]["status"], status);
    }
}

#[tokio::test]
async fn skyhub_answers_conform() {
    let mock = common::small_mock().await;
    let sk = common::Checked::new("skyhub-sac", &mock.skyhub().base_url, &[]);

    let page = sk.send(Method::GET, "/sac", None).await;
    assert_eq!(page.status, 200);
    let code = page.body.unwrap()["sacs"][0]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let encoded: String = form_encode(&code);
    let chats = sk
        .send(Method::GET, &format!("/sac/{encoded}/chats"), None)
        .await;
    assert_eq!(chats.status, 200);
    assert!(
        chats.body.unwrap().is_array(),
        "one chat per conversation pair"
    );

    let reply = json!({"deliveryId": "3", "identityId": "00007604079750",
                       "messageTo": "TO_CUSTOMER", "messageType": "TEXT_MESSAGE",
                       "orderId": "1234567", "message": "Olá"});
    let sent = sk
        .send(
            Method::POST,
            &format!("/sac/{encoded}/chats/CUSTOMER_SELLER"),
            Some(reply.clone()),
        )
        .await;
    assert_eq!(sent.status, 200);
    // Writing to the marketplace opens the B2W_SELLER conversation.
    let sent = sk
        .send(
            Method::POST,
            &format!("/sac/{encoded}/chats/B2W_SELLER"),
            Some(reply.clone()),
        )
        .await;
    assert_eq!(sent.status, 200);
    let archived = sk
        .send(
            Method::PATCH,
            &format!("/sac/{encoded}/chats/B2W_SELLER"),
            Some(json!({"status": "ARCHIVED"})),
        )
        .await;
    assert_eq!(archived.status, 204);
    let chats = sk
        .send(Method::GET, &format!("/sac/{encoded}/chats"), None)
        .await
        .body
        .unwrap();
    let b2w = chats
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["parts"] == "B2W_SELLER")
        .unwrap();
    assert_eq!(b2w["seller_status"], "ARCHIVED");
    assert_eq!(b2w["messages"][0]["content"], "Olá");

    let blank = json!({"deliveryId": "3", "identityId": "1", "messageTo": "TO_CUSTOMER",
                       "messageType": "TEXT_MESSAGE", "orderId": "1", "message": " "});
    let chat = |parts: &str| format!("/sac/{encoded}/chats/{parts}");
    let cases = [
        (Method::GET, "/sac?status=OPEN".to_owned(), None, 400),
        (
            Method::GET,
            "/sac?cursor=not-a-cursor".to_owned(),
            None,
            400,
        ),
        (Method::GET, "/sac/Nowhere-1/chats".to_owned(), None, 404),
        // SkyHub refuses a reply to the customer–marketplace conversation.
        (Method::POST, chat("CUSTOMER_B2W"), Some(reply.clone()), 422),
        (Method::POST, chat("SOMEONE"), Some(reply.clone()), 400),
        (Method::POST, chat("CUSTOMER_SELLER"), Some(blank), 422),
        (
            Method::POST,
            chat("CUSTOMER_SELLER"),
            Some(json!({"message": "x"})),
            400,
        ),
        (
            Method::POST,
            "/sac/Nowhere-1/chats/CUSTOMER_SELLER".to_owned(),
            Some(reply.clone()),
            404,
        ),
        (
            Method::PATCH,
            chat("CUSTOMER_B2W"),
            Some(json!({"status": "READ"})),
            422,
        ),
        (
            Method::PATCH,
            chat("CUSTOMER_SELLER"),
            Some(json!({"status": "DONE"})),
            400,
        ),
        (Method::PATCH, chat("CUSTOMER_SELLER"), Some(json!({})), 400),
        (
            Method::PATCH,
            "/sac/Nowhere-1/chats/CUSTOMER_SELLER".to_owned(),
            Some(json!({"status": "READ"})),
            404,
        ),
    ];
    for (method, path, body, status) in cases {
        let answer = sk.send(method.clone(), &path, body).await;
        assert_eq!(answer.status, status, "{method} {path}");
    }
}

/// Percent-encodes a ticket code for a path segment, as the client does.
fn form_encode(code: &str) -> String {
    code.replace(' ', "%20")
}

#[tokio::test]
async fn the_same_seed_builds_the_same_world() {
    use marketplace_mock::{MockConfig, MockMarketplace};
    let config = MockConfig {
        seed: 42,
        threads: 50,
        messages_per_thread: 3,
    };
    let snapshot = |mock: MockMarketplace| async move {
        let lz = common::Checked::new("lectronz", &mock.lectronz().base_url, &[]);
        let sk = common::Checked::new("skyhub-sac", &mock.skyhub().base_url, &[]);
        let mut seen = Vec::new();
        let list = lz
            .send(Method::GET, "/messages?limit=1000", None)
            .await
            .body
            .unwrap();
        for id in 1..=150 {
            let message = lz
                .send(Method::GET, &format!("/messages/{id}"), None)
                .await
                .body
                .unwrap();
            // Links name the host, whose port differs between runs.
            seen.push(message.to_string().replace(&mock.lectronz().host, "HOST"));
        }
        seen.push(list.to_string());
        let tickets = sk.send(Method::GET, "/sac", None).await.body.unwrap();
        seen.push(tickets["sacs"].to_string());
        seen
    };
    let a = snapshot(MockMarketplace::start(config.clone()).await.unwrap()).await;
    let b = snapshot(MockMarketplace::start(config.clone()).await.unwrap()).await;
    let c = snapshot(
        MockMarketplace::start(MockConfig { seed: 43, ..config })
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(a, b);
    assert_ne!(a, c);
}
