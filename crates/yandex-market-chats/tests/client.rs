//! The client against wiremock (loopback): the generated page-token streams over
//! two pages (a POST with the filter in the body, the token in the query), checks that reject a request before anything is sent (the mock must
//! receive zero requests), the 420 rate-limit wait, both credential headers, and the
//! multipart file upload.

use std::num::NonZeroU64;
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use marketplace_yandex_market_chats::handwritten::MAX_FILE_BYTES;
use marketplace_yandex_market_chats::{ChatFile, Client, Error, RetryPolicy, types};
use serde_json::json;
use wiremock::matchers::{
    any, body_json, header, header_exists, method, path, query_param, query_param_is_missing,
};
use wiremock::{Mock, MockServer, ResponseTemplate};

const API_KEY: &str = "fake-yandex-market-api-key";
const BUSINESS: u64 = 12345;

/// The crate's own constructor, pointed at the mock, without retries.
fn client(server: &MockServer) -> Client {
    Client::builder(API_KEY)
        .base_url(server.uri())
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap()
}

fn chat(id: u64) -> serde_json::Value {
    json!({
        "chatId": id,
        "context": {"type": "ORDER", "orderId": id * 10, "campaignId": 21000111},
        "type": "CHAT",
        "status": "WAITING_FOR_PARTNER",
        "createdAt": "2024-05-14T10:02:11+03:00",
        "updatedAt": "2024-05-14T10:15:40+03:00"
    })
}

fn message(id: u64) -> serde_json::Value {
    json!({
        "messageId": id,
        "createdAt": "2024-05-14T10:02:11+03:00",
        "sender": "CUSTOMER",
        "message": format!("message {id}")
    })
}

fn ok(result: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"status": "OK", "result": result}))
}

/// A mock that answers 200 to anything, so that a request that should never have
/// been sent cannot fail for another reason; each test asserts none arrived.
async fn nothing_expected() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status": "OK"})))
        .expect(0)
        .mount(&server)
        .await;
    server
}

async fn assert_nothing_sent(server: &MockServer) {
    let received = server.received_requests().await.unwrap();
    assert!(received.is_empty(), "requests were sent: {received:?}");
}

fn assert_invalid(result: Result<impl std::fmt::Debug, Error>, mentions: &str) {
    let err = result.expect_err("the request should be rejected before sending");
    assert!(err.is_invalid_request(), "{err:?}");
    assert_eq!(err.status(), None);
    assert!(err.to_string().contains(mentions), "{err}");
}

/// Every chat of the cabinet, 20 per page.
fn all_chats(client: &Client) -> marketplace_yandex_market_chats::builder::GetChats<'_> {
    client
        .get_chats()
        .business_id(BUSINESS)
        .limit(20u32)
        .body(types::GetChatsRequest::default())
}

/// The history of chat `chat_id` from the beginning.
fn history_of(
    client: &Client,
    chat_id: u64,
) -> marketplace_yandex_market_chats::builder::GetChatHistory<'_> {
    client
        .get_chat_history()
        .business_id(BUSINESS)
        .chat_id(chat_id)
        .body(types::GetChatHistoryRequest::default())
}

#[tokio::test]
async fn two_pages_of_chats_are_one_stream_in_order() {
    let server = MockServer::start().await;
    let filter = json!({"statuses": ["WAITING_FOR_PARTNER"]});
    Mock::given(method("POST"))
        .and(path("/v2/businesses/12345/chats"))
        .and(query_param("limit", "2"))
        .and(query_param_is_missing("pageToken"))
        .and(header("api-key", API_KEY))
        .and(body_json(&filter))
        .respond_with(ok(json!({
            "chats": [chat(1), chat(2)],
            "paging": {"nextPageToken": "page-2"}
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/businesses/12345/chats"))
        .and(query_param("limit", "2"))
        .and(query_param("pageToken", "page-2"))
        .and(body_json(&filter))
        .respond_with(ok(json!({"chats": [chat(3)], "paging": {}})))
        .expect(1)
        .mount(&server)
        .await;

    let client = client(&server);
    let waiting = types::GetChatsRequest {
        statuses: Some(vec![types::ChatStatusType::WaitingForPartner]),
        ..Default::default()
    };
    let chats: Vec<types::ChatInfo> = client
        .get_chats()
        .business_id(BUSINESS)
        .limit(2u32)
        .body(waiting)
        .by_item()
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<u64> = chats.iter().map(|c| c.chat_id.get()).collect();
    assert_eq!(ids, [1, 2, 3]);
}

#[tokio::test]
async fn two_pages_of_history_are_one_stream_fetched_lazily() {
    let server = MockServer::start().await;
    let start = json!({"messageIdFrom": 101});
    Mock::given(method("POST"))
        .and(path("/v2/businesses/12345/chats/history"))
        .and(query_param("chatId", "42"))
        .and(query_param("limit", "100"))
        .and(query_param_is_missing("pageToken"))
        .and(body_json(&start))
        .respond_with(ok(json!({
            "context": {"type": "ORDER", "orderId": 7},
            "messages": [message(101), message(102)],
            "paging": {"nextPageToken": "h2"}
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/businesses/12345/chats/history"))
        .and(query_param("chatId", "42"))
        .and(query_param("pageToken", "h2"))
        .and(body_json(&start))
        .respond_with(ok(json!({
            "context": {"type": "ORDER", "orderId": 7},
            "messages": [message(103)]
        })))
        .expect(1)
        .mount(&server)
        .await;

    let client = client(&server);
    let since = types::GetChatHistoryRequest {
        message_id_from: Some(NonZeroU64::new(101).unwrap()),
    };
    // `Unpin`: no `pin!`.
    let mut history = client
        .get_chat_history()
        .business_id(BUSINESS)
        .chat_id(42u64)
        .limit(100u32)
        .body(since)
        .by_item();
    let first = history.try_next().await.unwrap().unwrap();
    assert_eq!(first.message.as_deref(), Some("message 101"));
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        1,
        "only the first page so far"
    );
    let rest: Vec<types::ChatMessage> = history.try_collect().await.unwrap();
    let ids: Vec<u64> = rest.iter().map(|m| m.message_id.get()).collect();
    assert_eq!(ids, [102, 103]);
}

#[tokio::test]
async fn a_repeated_page_token_ends_the_stream_with_an_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/businesses/12345/chats"))
        .respond_with(ok(
            json!({"chats": [chat(1)], "paging": {"nextPageToken": "same"}}),
        ))
        .expect(2)
        .mount(&server)
        .await;
    let client = client(&server);
    let results: Vec<_> = all_chats(&client).by_item().collect().await;
    assert_eq!(results.len(), 3, "two pages of one chat, then the error");
    assert!(results[0].is_ok() && results[1].is_ok());
    let err = results[2].as_ref().unwrap_err();
    assert!(err.is_invalid_request(), "{err}");
    assert!(err.to_string().contains("page already read"), "{err}");
}

#[tokio::test]
async fn a_page_without_result_ends_the_stream() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status": "OK"})))
        .expect(1)
        .mount(&server)
        .await;
    let chats: Vec<_> = all_chats(&client(&server))
        .by_item()
        .try_collect()
        .await
        .unwrap();
    assert!(chats.is_empty());
}

#[tokio::test]
async fn page_sizes_out_of_range_are_rejected_before_sending() {
    let server = nothing_expected().await;
    let client = client(&server);
    // 0 is refused by the generated setter (NonZeroU32), 21 and 101 by the range
    // the spec gives `limit` (checked in the runtime's `pre` hook).
    for (size, why) in [(0u32, "limit"), (21, "`limit` must be at most 20; got 21")] {
        let mut chats = all_chats(&client).limit(size).by_item();
        assert_invalid(chats.next().await.unwrap(), why);
        assert!(chats.next().await.is_none(), "the error ends the stream");
    }
    for (size, why) in [
        (0u32, "limit"),
        (101, "`limit` must be at most 100; got 101"),
    ] {
        let mut history = history_of(&client, 42u64).limit(size).by_item();
        assert_invalid(history.next().await.unwrap(), why);
        assert!(history.next().await.is_none(), "the error ends the stream");
    }
    // The generated builders themselves, outside the streams.
    for (size, why) in [(0u32, "limit"), (21, "at most 20")] {
        let result = client
            .get_chats()
            .business_id(BUSINESS)
            .limit(size)
            .body(types::GetChatsRequest::default())
            .send()
            .await;
        assert_invalid(result, why);
    }
    assert_nothing_sent(&server).await;
}

#[tokio::test]
async fn ids_of_zero_are_rejected_before_sending() {
    let server = nothing_expected().await;
    let client = client(&server);
    assert_invalid(client.send_message(0u64, 42u64, "hi").await, "businessId");
    assert_invalid(client.send_message(BUSINESS, 0u64, "hi").await, "chatId");
    let mut chats = all_chats(&client).business_id(0u64).by_item();
    assert_invalid(chats.next().await.unwrap(), "business_id");
    let mut history = history_of(&client, 0u64).by_item();
    assert_invalid(history.next().await.unwrap(), "chat_id");
    let file = ChatFile::new("a.txt", b"a".to_vec());
    assert_invalid(
        client.send_file_to_chat(BUSINESS, 0u64, file).await,
        "chatId",
    );
    assert_nothing_sent(&server).await;
}

#[tokio::test]
async fn messages_of_wrong_length_are_rejected_before_sending() {
    let server = nothing_expected().await;
    let client = client(&server);
    let too_long = "я".repeat(4097);
    assert_invalid(client.send_message(BUSINESS, 42u64, "").await, "1 to 4096");
    assert_invalid(
        client.send_message(BUSINESS, 42u64, too_long.clone()).await,
        "this one has 4097",
    );
    // Through the generated builder too: typify's constrained string refuses it.
    let result = client
        .send_message_to_chat()
        .business_id(BUSINESS)
        .chat_id(42u64)
        .body(types::SendMessageToChatRequest::builder().message(too_long))
        .send()
        .await;
    assert_invalid(result, "longer than 4096 characters");
    let result = client
        .send_message_to_chat()
        .business_id(BUSINESS)
        .chat_id(42u64)
        .body(types::SendMessageToChatRequest::builder().message(""))
        .send()
        .await;
    assert_invalid(result, "shorter than 1 characters");
    assert_nothing_sent(&server).await;
}

#[tokio::test]
async fn the_longest_message_is_sent_whole() {
    let server = MockServer::start().await;
    // 4096 characters of 2 bytes each: the limit counts characters, not bytes.
    let longest = "я".repeat(4096);
    Mock::given(method("POST"))
        .and(path("/v2/businesses/12345/chats/message"))
        .and(query_param("chatId", "42"))
        .and(header("api-key", API_KEY))
        .and(body_json(json!({"message": longest})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status": "OK"})))
        .expect(1)
        .mount(&server)
        .await;
    client(&server)
        .send_message(BUSINESS, 42u64, longest)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_file_over_5_mib_is_rejected_before_sending() {
    let server = nothing_expected().await;
    let big = ChatFile::new("scan.pdf", vec![0u8; MAX_FILE_BYTES + 1]);
    let result = client(&server)
        .send_file_to_chat(BUSINESS, 42u64, big)
        .await;
    assert_invalid(result, "5242881 bytes");
    assert_nothing_sent(&server).await;
}

#[tokio::test]
async fn a_file_of_exactly_5_mib_is_sent_as_the_file_part() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/businesses/12345/chats/file/send"))
        .and(query_param("chatId", "42"))
        .and(header("api-key", API_KEY))
        .and(header_exists("content-type"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status": "OK"})))
        .expect(1)
        .mount(&server)
        .await;
    let file = ChatFile::new("photo.PNG", vec![7u8; MAX_FILE_BYTES]);
    let answer = client(&server)
        .send_file_to_chat(BUSINESS, 42u64, file)
        .await
        .unwrap();
    assert_eq!(answer.status, types::ApiResponseStatusType::Ok);

    let received = server.received_requests().await.unwrap();
    let request = &received[0];
    let content_type = request.headers["content-type"].to_str().unwrap();
    assert!(
        content_type.starts_with("multipart/form-data; boundary="),
        "{content_type}"
    );
    let head = String::from_utf8_lossy(&request.body[..300.min(request.body.len())]);
    assert!(
        head.contains("Content-Disposition: form-data; name=\"file\"; filename=\"photo.PNG\""),
        "{head}"
    );
    assert!(head.contains("Content-Type: image/png"), "{head}");
    assert!(request.body.len() > MAX_FILE_BYTES);
}

#[tokio::test]
async fn a_420_with_the_quota_used_up_says_when_to_retry() {
    let server = MockServer::start().await;
    let until = chrono::Utc::now() + chrono::Duration::seconds(600);
    Mock::given(method("GET"))
        .and(path("/v2/businesses/12345/chat"))
        .respond_with(
            ResponseTemplate::new(420)
                .insert_header("x-ratelimit-resource-limit", "1000")
                .insert_header("x-ratelimit-resource-remaining", "0")
                .insert_header(
                    "x-ratelimit-resource-until",
                    until.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
                )
                .set_body_json(json!({
                    "status": "ERROR",
                    "errors": [{
                        "code": "HIT_RATE_LIMIT",
                        "message": "Hit rate limit of 1000 requests per 1 hour for resource 249"
                    }]
                })),
        )
        // A GET is retried on 420, but not when the server asks for a longer wait
        // than the policy allows (60 s by default): one request, then the error.
        .expect(1)
        .mount(&server)
        .await;
    let client = Client::builder(API_KEY)
        .base_url(server.uri())
        .build()
        .unwrap();
    let err = client
        .get_chat()
        .business_id(BUSINESS)
        .chat_id(42u64)
        .send()
        .await
        .unwrap_err();
    assert!(err.is_rate_limited());
    assert_eq!(err.code(), Some("HIT_RATE_LIMIT"));
    let wait = err.retry_after().expect("a wait");
    assert!(
        (Duration::from_secs(590)..=Duration::from_secs(600)).contains(&wait),
        "{wait:?}"
    );
}

/// A 420 that asks for a one-second wait (`Retry-After`), as Yandex's proxy may.
fn rate_limited() -> ResponseTemplate {
    ResponseTemplate::new(420)
        .insert_header("retry-after", "1")
        .set_body_json(json!({
            "status": "ERROR",
            "errors": [{"code": "HIT_RATE_LIMIT", "message": "Hit rate limit"}]
        }))
}

/// The crate's constructor with retries on and no jitter, pointed at the mock.
fn retrying_client(server: &MockServer) -> Client {
    Client::builder(API_KEY)
        .base_url(server.uri())
        .retry_policy(
            RetryPolicy::default()
                .max_retries(2)
                .backoff(Duration::from_millis(1), Duration::from_millis(1))
                .jitter(false),
        )
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_chat_list_read_by_post_is_retried_after_a_420() {
    // getChats is a POST only because its filters travel in the body; the spec
    // marks it `x-idempotent: true`, so it is retried like a GET.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/businesses/12345/chats"))
        .respond_with(rate_limited())
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/businesses/12345/chats"))
        .respond_with(ok(json!({"chats": [chat(7)], "paging": {}})))
        .expect(1)
        .mount(&server)
        .await;

    let started = std::time::Instant::now();
    let chats: Vec<types::ChatInfo> = all_chats(&retrying_client(&server))
        .by_item()
        .try_collect()
        .await
        .unwrap();
    // The retry came after the second the 420 asked for, not after the 1 ms backoff.
    let waited = started.elapsed();
    assert!(waited >= Duration::from_secs(1), "waited {waited:?}");
    assert_eq!(chats.len(), 1);
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_read_after_a_420_waits_until_the_quota_resets() {
    // The quota used up, and `X-RateLimit-Resource-Until` one second after the
    // response's `Date`: the runtime measures it against that `Date`, so the wait
    // is exactly one second.
    let format = "%a, %d %b %Y %H:%M:%S GMT";
    let now = chrono::Utc::now();
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/businesses/12345/chat"))
        .respond_with(
            ResponseTemplate::new(420)
                .insert_header("date", now.format(format).to_string())
                .insert_header("x-ratelimit-resource-remaining", "0")
                .insert_header(
                    "x-ratelimit-resource-until",
                    (now + chrono::Duration::seconds(1))
                        .format(format)
                        .to_string(),
                )
                .set_body_json(json!({
                    "status": "ERROR",
                    "errors": [{"code": "HIT_RATE_LIMIT", "message": "Hit rate limit"}]
                })),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/businesses/12345/chat"))
        .respond_with(ok(chat(42)))
        .expect(1)
        .mount(&server)
        .await;

    let started = std::time::Instant::now();
    let chat = retrying_client(&server)
        .get_chat()
        .business_id(BUSINESS)
        .chat_id(42u64)
        .send()
        .await
        .unwrap()
        .into_inner();
    let waited = started.elapsed();
    assert!(waited >= Duration::from_secs(1), "waited {waited:?}");
    assert_eq!(
        chat.result.map(|c| c.chat_id.to_string()).as_deref(),
        Some("42")
    );
}

#[tokio::test]
async fn a_message_is_not_resent_after_a_420() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/businesses/12345/chats/message"))
        .respond_with(rate_limited())
        .expect(1)
        .mount(&server)
        .await;

    let err = retrying_client(&server)
        .send_message(BUSINESS, 42u64, "Hello")
        .await
        .unwrap_err();
    assert!(err.is_rate_limited(), "{err:?}");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(1)));
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn the_oauth_builder_sends_a_bearer_token_and_no_api_key() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/businesses/12345/chats/message"))
        .and(query_param("chatId", "42"))
        .and(query_param("messageId", "7"))
        .and(header("authorization", "Bearer fake-yandex-oauth-token"))
        .respond_with(ok(message(7)))
        .expect(1)
        .mount(&server)
        .await;
    let client = Client::builder_oauth("fake-yandex-oauth-token")
        .base_url(server.uri())
        .build()
        .unwrap();
    let answer = client
        .get_chat_message()
        .business_id(BUSINESS)
        .chat_id(42u64)
        .message_id(7u64)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.result.as_ref().unwrap().message_id.get(), 7);
    let received = server.received_requests().await.unwrap();
    assert!(received[0].headers.get("api-key").is_none());
    let shown = format!("{client:?}");
    assert!(!shown.contains("fake-yandex-oauth-token"), "{shown}");
}
