//! The client against wiremock (loopback): the generated cursor-URL stream
//! (`list_tickets().by_item()`), both shapes of the chats answer, and replies (`CUSTOMER_B2W` refused
//! before anything is sent).

use futures::{StreamExt, TryStreamExt};
use marketplace_skyhub_sac::{Client, RateLimit, RetryPolicy, types};
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

const EMAIL: &str = "fake-seller@example.com";
const API_KEY: &str = "fake-skyhub-api-key";
const ACCOUNT_MANAGER_KEY: &str = "fake-skyhub-account-manager-key";

/// The crate's own constructor, pointed at the mock, without the 1 request/s pace.
fn client(server: &MockServer) -> Client {
    Client::builder(EMAIL, API_KEY, ACCOUNT_MANAGER_KEY)
        .base_url(server.uri())
        .rate_limit(RateLimit::per_second(0.0))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap()
}

/// The same, with the default retry policy: what an application gets.
fn default_retries_client(server: &MockServer) -> Client {
    Client::builder(EMAIL, API_KEY, ACCOUNT_MANAGER_KEY)
        .base_url(server.uri())
        .rate_limit(RateLimit::per_second(0.0))
        .build()
        .unwrap()
}

/// Matches a request that carries all three SkyHub credential headers.
fn with_credentials(mock: wiremock::MockBuilder) -> wiremock::MockBuilder {
    mock.and(header("x-user-email", EMAIL))
        .and(header("x-api-key", API_KEY))
        .and(header("x-accountmanager-key", ACCOUNT_MANAGER_KEY))
}

fn ticket(code: &str) -> serde_json::Value {
    json!({
        "code": code,
        "created_at": "2020-06-10T10:00:00-03:00",
        "mediation": false,
        "order_code": code.rsplit('-').next().unwrap(),
        "platform": "B2w",
        "status": "UNREAD",
        "updated_at": "2020-06-10T11:30:00-03:00",
        "warehouse": "SP-01"
    })
}

fn page(codes: &[&str], next_page: serde_json::Value) -> ResponseTemplate {
    let sacs: Vec<_> = codes.iter().map(|c| ticket(c)).collect();
    ResponseTemplate::new(200).set_body_json(json!({"sacs": sacs, "next_page": next_page}))
}

fn codes(tickets: &[types::Ticket]) -> Vec<&str> {
    tickets.iter().map(|t| t.code.as_str()).collect()
}

#[tokio::test]
async fn three_cursor_pages_are_one_stream_in_order() {
    let server = MockServer::start().await;
    let next = |cursor: &str| json!(format!("{}/sac?cursor={cursor}", server.uri()));
    // Page 1: the filters, the credentials, no cursor.
    Mock::given(method("GET"))
        .and(path("/sac"))
        .and(query_param("status", "UNREAD"))
        .and(query_param("platform", "B2w"))
        .and(query_param_is_missing("cursor"))
        .and(header("x-user-email", EMAIL))
        .and(header("x-api-key", API_KEY))
        .and(header("x-accountmanager-key", ACCOUNT_MANAGER_KEY))
        .and(header("accept", "application/json"))
        .and(header("content-type", "application/json"))
        .respond_with(page(
            &["Lojas Americanas-1", "Lojas Americanas-2"],
            next("c2"),
        ))
        .expect(1)
        .mount(&server)
        .await;
    // Page 2: the cursor beside the builder's filters (SkyHub ignores filters next
    // to a cursor: the cursor keeps them). Its next cursor is a base64-like value
    // with a `+`, `/` and `=`, escaped in the URL.
    with_credentials(Mock::given(method("GET")))
        .and(path("/sac"))
        .and(query_param("cursor", "c2"))
        .and(query_param("status", "UNREAD"))
        .and(query_param("platform", "B2w"))
        .respond_with(page(
            &["Submarino-3", "Submarino-4"],
            next("eyJpZCI6NH0%2B%2F%3D"),
        ))
        .expect(1)
        .mount(&server)
        .await;
    // Page 3, the last: no next_page.
    with_credentials(Mock::given(method("GET")))
        .and(path("/sac"))
        .and(query_param("cursor", "eyJpZCI6NH0+/="))
        .respond_with(page(&["Shoptime-5"], json!(null)))
        .expect(1)
        .mount(&server)
        .await;

    let client = client(&server);
    let tickets: Vec<types::Ticket> = client
        .list_tickets()
        .status(types::SellerStatus::Unread)
        .platform("B2w")
        .by_item()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        codes(&tickets),
        [
            "Lojas Americanas-1",
            "Lojas Americanas-2",
            "Submarino-3",
            "Submarino-4",
            "Shoptime-5"
        ]
    );
    assert_eq!(tickets[4].status, types::SellerStatus::Unread);
    assert_eq!(
        tickets[0].created_at.to_rfc3339(),
        "2020-06-10T13:00:00+00:00",
        "the offset is honoured"
    );
    // Exactly three requests: the stream stopped after the last page.
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn pages_are_fetched_lazily() {
    let server = MockServer::start().await;
    with_credentials(Mock::given(query_param_is_missing("cursor")))
        .respond_with(page(
            &["A-1", "A-2"],
            json!("https://api.skyhub.com.br/sac?cursor=next"),
        ))
        .mount(&server)
        .await;
    with_credentials(Mock::given(query_param("cursor", "next")))
        .respond_with(page(&["A-3"], json!("")))
        .mount(&server)
        .await;
    let client = client(&server);
    // `Unpin`: no `pin!`.
    let mut stream = client.list_tickets().by_item();
    assert_eq!(stream.next().await.unwrap().unwrap().code, "A-1");
    assert_eq!(stream.next().await.unwrap().unwrap().code, "A-2");
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
    // The absolute next_page names production, but only its cursor is used: the
    // second request goes to the client's base URL (the mock), with the credentials.
    assert_eq!(stream.next().await.unwrap().unwrap().code, "A-3");
    // An empty next_page ends the stream.
    assert!(stream.next().await.is_none());
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_repeated_cursor_ends_the_stream_with_an_error_instead_of_looping() {
    let server = MockServer::start().await;
    Mock::given(query_param_is_missing("cursor"))
        .respond_with(page(&["A-1"], json!("/sac?cursor=same")))
        .mount(&server)
        .await;
    Mock::given(query_param("cursor", "same"))
        .respond_with(page(&["A-2"], json!("/sac?cursor=same")))
        .mount(&server)
        .await;
    let client = client(&server);
    let results: Vec<_> = client.list_tickets().by_item().collect().await;
    assert_eq!(results.len(), 3, "{results:?}");
    assert_eq!(results[0].as_ref().unwrap().code, "A-1");
    assert_eq!(results[1].as_ref().unwrap().code, "A-2");
    let err = results[2].as_ref().unwrap_err();
    assert!(err.is_invalid_request(), "{err}");
    assert!(err.to_string().contains("page already read"), "{err}");
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn an_empty_page_ends_the_stream_even_with_a_next_page() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(page(&[], json!("/sac?cursor=more")))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let all: Vec<_> = client.list_tickets().by_item().try_collect().await.unwrap();
    assert!(all.is_empty());
}

#[tokio::test]
async fn an_error_page_is_yielded_with_the_marketplace_message() {
    let server = MockServer::start().await;
    Mock::given(query_param_is_missing("cursor"))
        .respond_with(page(&["A-1"], json!("/sac?cursor=two")))
        .mount(&server)
        .await;
    Mock::given(query_param("cursor", "two"))
        .respond_with(
            ResponseTemplate::new(429).set_body_json(json!({"error": "Too many requests"})),
        )
        .mount(&server)
        .await;
    let client = client(&server);
    let results: Vec<_> = client.list_tickets().by_item().collect().await;
    assert_eq!(results.len(), 2);
    let err = results[1].as_ref().unwrap_err();
    assert!(err.is_rate_limited(), "{err}");
    assert_eq!(err.message(), Some("Too many requests"));
}

/// The document's example chat (one object).
fn chat_object() -> serde_json::Value {
    json!({
        "status": "ACTIVE",
        "seller_status": "UNREAD",
        "parts": "CUSTOMER_SELLER",
        "messages": [{
            "replyed_at": "2019-10-03T14:20:41",
            "part": {"role": "CUSTOMER", "name": "John John", "email": "john@skyhub.com.br", "code": 123456},
            "created_at": "2019-10-02T11:39:23",
            "content": "Bom dia! Produto não chegou!"
        }],
        "last_message": "2019-10-07T18:56:22"
    })
}

#[tokio::test]
async fn chats_are_a_list_whether_skyhub_answers_an_object_or_an_array() {
    let server = MockServer::start().await;
    let b2w = json!({"status": "ACTIVE", "seller_status": "READ", "parts": "CUSTOMER_B2W", "messages": []});
    Mock::given(method("GET"))
        .and(path("/sac/Lojas%20Americanas-9999900001/chats"))
        .respond_with(ResponseTemplate::new(200).set_body_json(chat_object()))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/sac/Submarino-9999900002/chats"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([chat_object(), b2w])))
        .mount(&server)
        .await;
    let client = client(&server);

    let one = client.chats("Lojas Americanas-9999900001").await.unwrap();
    assert_eq!(one.len(), 1);
    let message = &one[0].messages[0];
    assert_eq!(message.part.role, types::PartRole::Customer);
    assert_eq!(message.part.code, Some(123456));
    let replied = message.replied_at().unwrap();
    assert_eq!(replied.as_str(), "2019-10-03T14:20:41");
    assert_eq!(
        replied.to_datetime().unwrap().to_rfc3339(),
        "2019-10-03T14:20:41-03:00"
    );

    let two = client.chats("Submarino-9999900002").await.unwrap();
    let parts: Vec<_> = two.iter().map(|c| c.parts.clone()).collect();
    assert_eq!(
        parts,
        [
            types::ChatParts::CustomerSeller,
            types::ChatParts::CustomerB2W
        ]
    );
    assert_eq!(two[0], one[0]);
}

fn reply() -> types::ChatReply {
    types::ChatReply {
        delivery_id: "3".into(),
        identity_id: "00007604079750".into(),
        message_to: types::MessageTo::ToCustomer,
        message_type: types::MessageType::TextMessage,
        order_id: "1234567".into(),
        message: "Tralalá trililí".into(),
    }
}

#[tokio::test]
async fn replying_to_customer_b2w_is_refused_before_anything_is_sent() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let client = client(&server);
    for parts in [
        types::ChatParts::CustomerB2W,
        types::ChatParts::Other("CUSTOMER_B2W".into()),
    ] {
        let err = client
            .reply("Lojas Americanas-9999900001", &parts, reply())
            .await
            .unwrap_err();
        assert!(err.is_invalid_request(), "{err}");
        let text = err.to_string();
        assert!(text.contains("CUSTOMER_B2W"), "{text}");
        assert!(text.contains("nothing was sent"), "{text}");
    }
    for code in ["", ".", ".."] {
        let err = client
            .reply(code, &types::ChatParts::CustomerSeller, reply())
            .await
            .unwrap_err();
        assert!(err.is_invalid_request(), "{code:?}: {err}");
        assert!(
            client.chats(code).await.unwrap_err().is_invalid_request(),
            "{code:?}"
        );
    }
    assert_eq!(server.received_requests().await.unwrap().len(), 0);
}

#[tokio::test]
async fn a_reply_goes_to_the_encoded_code_and_the_chat_parts() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/sac/Lojas%20Americanas-9999900001/chats/B2W_SELLER"))
        .and(header("x-api-key", API_KEY))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({
            "deliveryId": "3",
            "identityId": "00007604079750",
            "messageTo": "TO_CUSTOMER",
            "messageType": "TEXT_MESSAGE",
            "orderId": "1234567",
            "message": "Tralalá trililí"
        })))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    // A code with a `/` stays one path segment.
    Mock::given(method("POST"))
        .and(path("/sac/Loja%2FTeste-1/chats/CUSTOMER_SELLER"))
        .respond_with(ResponseTemplate::new(201))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    client
        .reply(
            "Lojas Americanas-9999900001",
            &types::ChatParts::B2WSeller,
            reply(),
        )
        .await
        .unwrap();
    // Any 2xx is a success: an accepted message is never reported as failed.
    client
        .reply("Loja/Teste-1", &types::ChatParts::CustomerSeller, reply())
        .await
        .unwrap();
}

#[tokio::test]
async fn a_rejected_reply_exposes_both_error_shapes_messages() {
    let server = MockServer::start().await;
    Mock::given(path("/sac/A-1/chats/CUSTOMER_SELLER"))
        .respond_with(
            ResponseTemplate::new(500)
                .set_body_json(json!({"errors": {"detail": "Error message"}})),
        )
        .mount(&server)
        .await;
    Mock::given(path("/sac/A-2/chats/CUSTOMER_SELLER"))
        .respond_with(
            ResponseTemplate::new(422).set_body_json(json!({"error": "message is required"})),
        )
        .mount(&server)
        .await;
    // The default policy retries a read's 5xx; a write's must still be sent once.
    let client = default_retries_client(&server);
    let parts = types::ChatParts::CustomerSeller;
    let err = client.reply("A-1", &parts, reply()).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(500));
    assert_eq!(err.message(), Some("Error message"));
    assert_eq!(err.code(), None);
    let err = client.reply("A-2", &parts, reply()).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(422));
    assert_eq!(err.message(), Some("message is required"));
    // A write is sent once, never retried on a 5xx.
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn the_page_stream_names_each_next_cursor() {
    let server = MockServer::start().await;
    Mock::given(query_param_is_missing("cursor"))
        .respond_with(page(&["A-1"], json!("/sac?cursor=b%2B1")))
        .mount(&server)
        .await;
    Mock::given(query_param("cursor", "b+1"))
        .respond_with(page(&["A-2"], json!(null)))
        .mount(&server)
        .await;
    let pages: Vec<_> = client(&server)
        .list_tickets()
        .by_page()
        .try_collect()
        .await
        .unwrap();
    let cursors: Vec<Option<&str>> = pages.iter().map(|p| p.next_token()).collect();
    assert_eq!(cursors, [Some("b+1"), None]);
}
