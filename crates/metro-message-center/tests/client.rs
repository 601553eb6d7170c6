//! The hand-written parts of the METRO Message Center client against a local mock:
//! constructors, the generated paging streams (signed like any call), the multipart upload and its signature, and that the
//! client secret never shows in `Debug` or errors.
//!
//! Expected signatures were computed independently with Python's `hmac`/`hashlib`
//! over `METHOD\nFULL_URL\nBODY\nTIMESTAMP` for METRO's sandbox host (the client
//! signs for it through `MetroHmac::signed_origin`, whatever the mock's port), e.g.
//! `hmac.new(b"fake-metro-client-secret", b"GET\nhttps://service-message-center.sandbox.infra.metro-markets.cloud/openapi/v1/chats?limit=2&offset=0\n\n1757581999", hashlib.sha256).hexdigest()`.

use futures::TryStreamExt;
use marketplace_metro_message_center::{
    Auth, Client, ClientBuilder, MetroHmac, PRODUCTION_BASE_URL, SANDBOX_BASE_URL, types,
};
use marketplace_metro_message_center::{ClientInfo, RetryPolicy};
use marketplace_runtime::FixedClock;
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const CLIENT_ID: &str = "fake-metro-client-id";
const SECRET: &str = "fake-metro-client-secret";
const NOW: i64 = 1_757_581_999;
const ORDER: &str = "9e159b23-5585-4482-b078-9a9e1db2b252";

/// A client of `server` that signs like METRO's sandbox would check, at `NOW`.
fn client(server: &MockServer) -> Client {
    let auth = MetroHmac::new(CLIENT_ID, SECRET)
        .clock(FixedClock(NOW))
        .signed_origin(SANDBOX_BASE_URL);
    ClientBuilder::<Client>::new(server.uri(), Auth::from(auth))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap()
}

fn chat(id: &str) -> Value {
    json!({
        "id": id, "subject": "SELLER.OTHERS", "customSubject": null, "status": "DRAFT",
        "lastMessageAt": null, "isSeen": true, "createdAt": "2025-09-11T09:13:19+00:00",
        "buyer": {"id": "b", "firstName": "Sibyl", "lastName": "Stark"},
        "seller": {"organization": {"id": "o", "shopName": "Shop"}, "accounts": []},
        "order": {"id": "i", "orderNumber": "O94-324386732", "salesChannel": "pt"}
    })
}

fn page(ids: &[&str], total: i64, offset: i64) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "status": "success",
        "message": format!("[{}] chats have been fetched successfully", ids.len()),
        "data": ids.iter().map(|id| chat(id)).collect::<Vec<_>>(),
        "metadata": {"total": total, "offset": offset, "limit": 2}
    }))
}

#[test]
fn constructors_point_at_the_named_hosts() {
    let sandbox = Client::sandbox(CLIENT_ID, SECRET).build().unwrap();
    assert_eq!(sandbox.baseurl(), SANDBOX_BASE_URL);
    assert_eq!(
        SANDBOX_BASE_URL,
        "https://service-message-center.sandbox.infra.metro-markets.cloud"
    );
    let production = Client::production(CLIENT_ID, SECRET).build().unwrap();
    assert_eq!(production.baseurl(), PRODUCTION_BASE_URL);
    let custom = Client::sandbox(CLIENT_ID, SECRET)
        .base_url("http://127.0.0.1:9/metro/")
        .build()
        .unwrap();
    assert_eq!(custom.baseurl(), "http://127.0.0.1:9/metro");
}

#[tokio::test]
async fn list_chats_by_item_streams_every_page_signed_and_stops_at_the_total() {
    let server = MockServer::start().await;
    for (offset, ids, signature) in [
        (
            "0",
            &["c1", "c2"][..],
            "48959dd2d31268038e78d9c64d4ca10169435f28737c36c5a3833597689993ba",
        ),
        (
            "2",
            &["c3"][..],
            "2a38bfdff269f1ea362429a42451e02c90b0bf502c2b21bbd7e68a2ee6844e8e",
        ),
    ] {
        Mock::given(method("GET"))
            .and(path("/openapi/v1/chats"))
            .and(query_param("limit", "2"))
            .and(query_param("offset", offset))
            .and(header("x-client-id", CLIENT_ID))
            .and(header("x-timestamp", "1757581999"))
            .and(header("x-signature", signature))
            .respond_with(page(ids, 3, offset.parse().unwrap()))
            .expect(1)
            .mount(&server)
            .await;
    }
    let client = client(&server);
    let chats: Vec<types::Chat> = client
        .list_chats()
        .limit(2u64)
        .by_item()
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<&str> = chats.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["c1", "c2", "c3"]);
}

#[tokio::test]
async fn list_chats_by_item_keeps_the_filter_and_stops_on_an_empty_page() {
    let server = MockServer::start().await;
    // The total claims more, but an empty page ends the stream (no endless loop).
    Mock::given(method("GET"))
        .and(path("/openapi/v1/chats"))
        .and(query_param("filters[isSeen]", "false"))
        .and(header(
            "x-signature",
            "0cd0380daeaa181147690e22c450099b7da4c835c389be3fded85222d0e19af2",
        ))
        .respond_with(page(&[], 5, 0))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let chats: Vec<types::Chat> = client
        .list_chats()
        .limit(2u64)
        .filters_is_seen(false)
        .by_item()
        .try_collect()
        .await
        .unwrap();
    assert!(chats.is_empty());
}

#[tokio::test]
async fn list_chat_messages_by_page_pages_one_chat_and_reports_the_total() {
    let server = MockServer::start().await;
    let message = |id: &str| json!({"id": id, "chatId": "c1", "senderId": "u1", "senderUserType": "BUYER", "content": "Hi"});
    for (offset, ids) in [("0", &["m1", "m2"][..]), ("2", &["m3"][..])] {
        Mock::given(method("GET"))
            .and(path("/openapi/v1/chats/c1/messages"))
            .and(query_param("limit", "2"))
            .and(query_param("offset", offset))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "status": "success", "message": "fetched",
                "data": ids.iter().map(|id| message(id)).collect::<Vec<_>>(),
                "metadata": {"total": 3, "offset": offset.parse::<i64>().unwrap(), "limit": 2}
            })))
            .expect(1)
            .mount(&server)
            .await;
    }
    let client = client(&server);
    let pages: Vec<_> = client
        .list_chat_messages()
        .chat_id("c1")
        .limit(2u64)
        .by_page()
        .try_collect()
        .await
        .unwrap();
    let seen: Vec<(u64, Option<u64>, Vec<&str>)> = pages
        .iter()
        .map(|p| {
            (
                p.offset(),
                p.total(),
                p.items().iter().map(|m| m.id.as_str()).collect(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [(0, Some(3), vec!["m1", "m2"]), (2, Some(3), vec!["m3"])]
    );
}

#[tokio::test]
async fn upload_file_sends_one_signed_multipart_part() {
    let server = MockServer::start().await;
    let reference = json!({
        "fileId": "files/a/b/c", "fileName": "invoice.pdf", "fileType": "application/pdf"
    });
    Mock::given(method("POST"))
        .and(path(format!("/openapi/v1/orders/{ORDER}/upload-file")))
        // Signed with an empty body: Python gives the same digest for "POST\n<url>\n\n<ts>".
        .and(header(
            "x-signature",
            "df3d03bccc765da5b765de75d55350c5c870a0d6e9ea01bc7cd190c96f2dfa14",
        ))
        .and(header("accept", "application/json"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "status": "success", "message": "File has been uploaded successfully",
            "data": reference, "metadata": []
        })))
        .expect(1)
        .mount(&server)
        .await;
    let uploaded = client(&server)
        .upload_file(
            ORDER,
            "invoice.pdf",
            types::AttachmentFileType::ApplicationPdf,
            b"%PDF-1.4 fake".to_vec(),
        )
        .await
        .unwrap()
        .into_inner();
    assert_eq!(uploaded.data.file_id, "files/a/b/c");
    assert_eq!(
        uploaded.data.file_type,
        types::AttachmentFileType::ApplicationPdf
    );

    let received = server.received_requests().await.unwrap();
    let content_type = received[0].headers["content-type"].to_str().unwrap();
    assert!(content_type.starts_with("multipart/form-data; boundary="));
    let body = String::from_utf8_lossy(&received[0].body);
    assert!(body.contains(
        "Content-Disposition: form-data; name=\"file\"; filename=\"invoice.pdf\"\r\n\
         Content-Type: application/pdf\r\n\r\n%PDF-1.4 fake\r\n"
    ));
}

#[tokio::test]
async fn the_secret_never_shows_in_debug_or_errors() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "status": "error", "message": "HMAC signature is invalid or missing"
        })))
        .mount(&server)
        .await;
    let client = client(&server);
    let builder = Client::sandbox(CLIENT_ID, SECRET);
    let mut seen = format!("{client:?}\n{builder:?}\n");

    let error = client.count_unseen_chats().send().await.unwrap_err();
    assert!(error.is_auth());
    assert_eq!(
        error.message(),
        Some("HMAC signature is invalid or missing")
    );
    seen.push_str(&format!("{error}\n{error:?}\n"));

    // A client id that cannot be a header fails before sending; the error names the
    // problem, not the credentials.
    let bad = ClientBuilder::<Client>::new(
        server.uri(),
        Auth::metro_hmac("fake-metro\nclient-id", SECRET),
    )
    .build()
    .unwrap();
    let error = bad.list_chats().send().await.unwrap_err();
    assert!(error.to_string().contains("METRO client id"), "{error}");
    seen.push_str(&format!("{error}\n{error:?}\n"));

    assert!(seen.contains(CLIENT_ID), "the client id is shown: {seen}");
    assert!(!seen.contains(SECRET), "the secret leaked: {seen}");
}
