//! Every answer the mock gives — success and each documented error — validates
//! against the spec's schema for its operation and status (the conformance crate's
//! validator), and the rules the specs state are enforced.

mod common;

use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn lectronz_answers_conform() {
    let mock = common::small_mock().await;
    let lz = common::checked(&mock, "lectronz");

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
    let sk = common::checked(&mock, "skyhub-sac");

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
        ..common::config()
    };
    let snapshot = |mock: MockMarketplace| async move {
        let lz = common::checked(&mock, "lectronz");
        let sk = common::checked(&mock, "skyhub-sac");
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
            seen.push(
                message
                    .to_string()
                    .replace(&mock.lectronz().base_url, "HOST"),
            );
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

#[tokio::test]
async fn yandex_answers_conform() {
    let mock = common::small_mock().await;
    let access = mock.yandex();
    let ym = common::checked(&mock, "yandex-market-chats");
    let b = format!("/v2/businesses/{}", access.business_id);

    let page = ym
        .send(
            Method::POST,
            &format!("{b}/chats?limit=20"),
            Some(json!({})),
        )
        .await;
    assert_eq!(page.status, 200);
    let chats = page.body.unwrap()["result"]["chats"]
        .as_array()
        .unwrap()
        .clone();
    let chat_id = chats[0]["chatId"].as_u64().unwrap();
    let other_chat = chats[1]["chatId"].as_u64().unwrap();
    let chat = ym
        .send(Method::GET, &format!("{b}/chat?chatId={chat_id}"), None)
        .await;
    assert_eq!(chat.status, 200);
    let history = ym
        .send(
            Method::POST,
            &format!("{b}/chats/history?chatId={chat_id}"),
            Some(json!({})),
        )
        .await;
    assert_eq!(history.status, 200);
    let message_id = history.body.unwrap()["result"]["messages"][0]["messageId"]
        .as_u64()
        .unwrap();
    let message = ym
        .send(
            Method::GET,
            &format!("{b}/chats/message?chatId={chat_id}&messageId={message_id}"),
            None,
        )
        .await;
    assert_eq!(message.status, 200);
    let sent = ym
        .send(
            Method::POST,
            &format!("{b}/chats/message?chatId={chat_id}"),
            Some(json!({"message": "Добрый день"})),
        )
        .await;
    assert_eq!(sent.status, 200);
    assert_eq!(sent.body.unwrap(), json!({"status": "OK"}));
    let file = common::multipart_file("file", "a.png", "image/png", b"\x89PNG");
    let sent = ym
        .send_bytes(
            Method::POST,
            &format!("{b}/chats/file/send?chatId={chat_id}"),
            Some(file),
        )
        .await;
    assert_eq!(sent.status, 200);
    let created = ym
        .send(
            Method::POST,
            &format!("{b}/chats/new"),
            Some(json!({"orderId": 50_000_000})),
        )
        .await;
    assert_eq!(created.status, 200);
    assert!(created.body.unwrap()["result"]["chatId"].as_u64().is_some());

    let too_big = common::multipart_file(
        "file",
        "big.bin",
        "application/octet-stream",
        &vec![0; 5 * 1024 * 1024 + 1],
    );
    let cases: Vec<(Method, String, Option<Body>, u16)> = vec![
        (
            Method::POST,
            format!("{b}/chats?limit=21"),
            jsonb(json!({})),
            400,
        ),
        (
            Method::POST,
            format!("{b}/chats?pageToken=nope"),
            jsonb(json!({})),
            400,
        ),
        (
            Method::POST,
            format!("{b}/chats"),
            jsonb(json!({"statuses": []})),
            400,
        ),
        (
            Method::POST,
            format!("{b}/chats"),
            jsonb(json!({"statuses": ["NEW", "NEW"]})),
            400,
        ),
        (
            Method::POST,
            format!("{b}/chats"),
            jsonb(json!({"types": ["GROUP"]})),
            400,
        ),
        (
            Method::POST,
            "/v2/businesses/1/chats".into(),
            jsonb(json!({})),
            403,
        ),
        (Method::GET, format!("{b}/chat"), None, 400),
        (Method::GET, format!("{b}/chat?chatId=0"), None, 400),
        (Method::GET, format!("{b}/chat?chatId=999999"), None, 404),
        (
            Method::POST,
            format!("{b}/chats/history?chatId={chat_id}&limit=101"),
            jsonb(json!({})),
            400,
        ),
        (
            Method::GET,
            format!("{b}/chats/message?chatId={other_chat}&messageId={message_id}"),
            None,
            404,
        ),
        (
            Method::GET,
            format!("{b}/chats/message?chatId={chat_id}"),
            None,
            400,
        ),
        (
            Method::POST,
            format!("{b}/chats/message?chatId={chat_id}"),
            jsonb(json!({"message": ""})),
            400,
        ),
        (
            Method::POST,
            format!("{b}/chats/message?chatId={chat_id}"),
            jsonb(json!({"message": "я".repeat(4097)})),
            400,
        ),
        (
            Method::POST,
            format!("{b}/chats/message?chatId=999999"),
            jsonb(json!({"message": "x"})),
            404,
        ),
        (
            Method::POST,
            format!("{b}/chats/file/send?chatId={chat_id}"),
            Some(too_big),
            400,
        ),
        (
            Method::POST,
            format!("{b}/chats/file/send?chatId={chat_id}"),
            jsonb(json!({})),
            400,
        ),
        (
            Method::POST,
            format!("{b}/chats/new"),
            jsonb(json!({})),
            400,
        ),
        (
            Method::POST,
            format!("{b}/chats/new"),
            jsonb(json!({"context": {"type": "ORDER", "id": 1}})),
            404,
        ),
        (
            Method::POST,
            format!("{b}/chats/new"),
            jsonb(json!({"context": {"type": "RETURN", "id": 1}})),
            404,
        ),
    ];
    for (method, path, body, status) in cases {
        let answer = ym.send_bytes(method.clone(), &path, body).await;
        assert_eq!(answer.status, status, "{method} {path}");
        assert_eq!(answer.body.unwrap()["status"], "ERROR");
    }
    // 4,096 characters (of two bytes each) are accepted: the limit is in characters.
    let longest = ym
        .send(
            Method::POST,
            &format!("{b}/chats/message?chatId={chat_id}"),
            Some(json!({"message": "я".repeat(4096)})),
        )
        .await;
    assert_eq!(longest.status, 200);
}

/// A request body: content type and bytes.
type Body = (String, Vec<u8>);

fn jsonb(value: serde_json::Value) -> Option<Body> {
    Some((
        "application/json".into(),
        serde_json::to_vec(&value).unwrap(),
    ))
}

#[tokio::test]
async fn metro_message_center_answers_conform() {
    let mock = common::small_mock().await;
    let mc = common::checked(&mock, "metro-message-center");
    for path in [
        "/openapi/v1/chat-categories",
        "/openapi/v1/chat-subjects",
        "/openapi/v1/chats/unseen",
    ] {
        assert_eq!(mc.send(Method::GET, path, None).await.status, 200, "{path}");
    }
    let chats = mc
        .send(Method::GET, "/openapi/v1/chats?limit=100", None)
        .await
        .body
        .unwrap();
    let chat = &chats["data"][0];
    let (chat_id, order_id) = (
        chat["id"].as_str().unwrap(),
        chat["order"]["id"].as_str().unwrap(),
    );
    let number = chat["order"]["orderNumber"].as_str().unwrap();
    let ok = [
        (Method::GET, format!("/openapi/v1/orders/{number}/emails-exist"), None, 200),
        (Method::GET, format!("/openapi/v1/chats/{chat_id}/messages?limit=1&offset=1"), None, 200),
        (Method::GET, "/openapi/v1/chats?filters[isSeen]=true&filters[lastMessage][from]=2020-01-01T00:00:00Z".into(), None, 200),
        (Method::POST, format!("/openapi/v1/orders/{order_id}/chats"), jsonb(json!({"subject": "INVOICE_INSTRUCTIONS"})), 201),
        (Method::POST, format!("/openapi/v1/chats/{chat_id}/messages"), jsonb(json!({"content": "Hallo"})), 201),
        (
            Method::POST,
            format!("/openapi/v1/orders/{order_id}/upload-file"),
            Some(common::multipart_file("file", "a.png", "image/png", b"\x89PNG")),
            201,
        ),
    ];
    for (method, path, body, status) in ok {
        assert_eq!(
            mc.send_bytes(method.clone(), &path, body).await.status,
            status,
            "{method} {path}"
        );
    }
    let big = common::multipart_file(
        "file",
        "big.pdf",
        "application/pdf",
        &vec![0; 10 * 1024 * 1024 + 1],
    );
    let zip = common::multipart_file("file", "a.zip", "application/zip", b"PK");
    let eleven: Vec<_> = (0..11)
        .map(|i| json!({"fileId": format!("files/x/{i}"), "fileName": "a.pdf", "fileType": "application/pdf"}))
        .collect();
    let cases: Vec<(Method, String, Option<Body>, u16)> = vec![
        (Method::GET, "/openapi/v1/chats?limit=0".into(), None, 422),
        (
            Method::GET,
            "/openapi/v1/chats?filters[isSeen]=maybe".into(),
            None,
            422,
        ),
        (
            Method::GET,
            "/openapi/v1/chats?filters[lastMessage][from]=last%20week".into(),
            None,
            422,
        ),
        (
            Method::GET,
            "/openapi/v1/chats/nope/messages".into(),
            None,
            404,
        ),
        (
            Method::GET,
            "/openapi/v1/orders/O25-0/emails-exist".into(),
            None,
            404,
        ),
        (
            Method::POST,
            "/openapi/v1/orders/nope/chats".into(),
            jsonb(json!({"subject": "INVOICES"})),
            404,
        ),
        (
            Method::POST,
            format!("/openapi/v1/orders/{order_id}/chats"),
            jsonb(json!({"subject": "OTHERS"})),
            422,
        ),
        (
            Method::POST,
            format!("/openapi/v1/orders/{order_id}/chats"),
            jsonb(json!({"subject": "NOPE"})),
            422,
        ),
        (
            Method::POST,
            format!("/openapi/v1/orders/{order_id}/chats"),
            jsonb(json!({})),
            422,
        ),
        (
            Method::POST,
            format!("/openapi/v1/chats/{chat_id}/messages"),
            jsonb(json!({"content": " "})),
            422,
        ),
        (
            Method::POST,
            format!("/openapi/v1/chats/{chat_id}/messages"),
            jsonb(json!({"content": "x", "attachments": eleven})),
            422,
        ),
        (
            Method::POST,
            format!("/openapi/v1/chats/{chat_id}/messages"),
            jsonb(
                json!({"content": "x", "attachments": [{"fileId": "files/never/uploaded", "fileName": "a.pdf", "fileType": "application/pdf"}]}),
            ),
            422,
        ),
        (
            Method::POST,
            "/openapi/v1/chats/nope/messages".into(),
            jsonb(json!({"content": "x"})),
            404,
        ),
        (
            Method::POST,
            format!("/openapi/v1/orders/{order_id}/upload-file"),
            Some(zip),
            422,
        ),
        (
            Method::POST,
            format!("/openapi/v1/orders/{order_id}/upload-file"),
            Some(big),
            422,
        ),
        (
            Method::POST,
            format!("/openapi/v1/orders/{order_id}/upload-file"),
            jsonb(json!({})),
            422,
        ),
        (
            Method::POST,
            "/openapi/v1/orders/nope/upload-file".into(),
            Some(common::multipart_file("file", "a.png", "image/png", b"x")),
            404,
        ),
    ];
    for (method, path, body, status) in cases {
        let answer = mc.send_bytes(method.clone(), &path, body).await;
        assert_eq!(answer.status, status, "{method} {path}");
        let body = answer.body.unwrap();
        assert_eq!(body["status"], "error");
        if status == 422 {
            assert!(
                body["errors"].as_object().is_some_and(|e| e.len() == 1),
                "{body}"
            );
        }
    }
}

#[tokio::test]
async fn metro_subscriptions_answers_conform() {
    let mock = common::small_mock().await;
    let ms = common::checked(&mock, "metro-subscriptions");
    let (url, _) = common::metro_receiver(&mock).await;
    let (other_url, _) = common::metro_receiver(&mock).await;
    let create = json!({"url": url, "event": "order_line_cancelled",
                        "fallbackEmail": "ops@shop.example.com", "isActive": true});
    let created = ms
        .send(
            Method::POST,
            "/openapi/v1/subscriptions",
            Some(create.clone()),
        )
        .await;
    assert_eq!(created.status, 201);
    let id = created.body.unwrap()["id"].as_str().unwrap().to_owned();
    let listed = ms
        .send(Method::GET, "/openapi/v1/subscriptions", None)
        .await;
    assert_eq!(listed.body.unwrap()[0]["event"], "order_line_cancelled");
    let path = format!("/openapi/v1/subscriptions/{id}");
    let patched = ms
        .send(Method::PATCH, &path, Some(json!({"url": other_url})))
        .await;
    assert_eq!(patched.status, 202);
    let listed = ms
        .send(Method::GET, "/openapi/v1/subscriptions", None)
        .await;
    assert_eq!(listed.body.unwrap()[0]["url"], other_url.as_str());

    let with = |field: &str, value: serde_json::Value| {
        let mut body = create.clone();
        body[field] = value;
        Some(body)
    };
    let cases = [
        (
            Method::POST,
            "/openapi/v1/subscriptions".to_owned(),
            with("url", json!("not a url")),
            412,
            "url",
        ),
        (
            Method::POST,
            "/openapi/v1/subscriptions".to_owned(),
            with("fallbackEmail", json!("ops")),
            412,
            "fallbackEmail",
        ),
        (
            Method::POST,
            "/openapi/v1/subscriptions".to_owned(),
            with("event", json!("test_connection")),
            412,
            "event",
        ),
        (
            Method::POST,
            "/openapi/v1/subscriptions".to_owned(),
            with("event", json!("order_returned")),
            412,
            "event",
        ),
        (
            Method::POST,
            "/openapi/v1/subscriptions".to_owned(),
            Some(json!({"url": "https://a.example"})),
            412,
            "body",
        ),
        // METRO's PATCH needs at least one field.
        (Method::PATCH, path.clone(), Some(json!({})), 412, "body"),
        (
            Method::PATCH,
            path.clone(),
            Some(json!({"fallbackEmail": "x"})),
            412,
            "fallbackEmail",
        ),
        (
            Method::PATCH,
            "/openapi/v1/subscriptions/nope".to_owned(),
            Some(json!({"isActive": false})),
            404,
            "",
        ),
        (
            Method::DELETE,
            "/openapi/v1/subscriptions/nope".to_owned(),
            None,
            404,
            "",
        ),
    ];
    for (method, path, body, status, field) in cases {
        let answer = ms.send(method.clone(), &path, body).await;
        assert_eq!(answer.status, status, "{method} {path}");
        let body = answer.body.unwrap();
        if status == 412 {
            assert_eq!(body["invalidParams"][0]["name"], field, "{body}");
        } else {
            assert_eq!(body["title"], "Subscription not found");
        }
    }
    assert_eq!(ms.send(Method::DELETE, &path, None).await.status, 202);
}
