//! `list_messages().by_item()` / `by_page()` (generated from the spec's
//! `x-pagination`) page with limit/offset until `total_count`, lazily, keeping the
//! builder's parameters. The stop rules themselves are the runtime's
//! (`crates/runtime/tests/pagination.rs`).

use futures::StreamExt;
use marketplace_lectronz::{Client, RetryPolicy};
use serde_json::json;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn summary(id: i64) -> serde_json::Value {
    json!({"id": id, "type": "customer_order_message", "created_at": "2026-03-01T00:00:00Z", "updated_at": "2026-03-01T00:00:00Z"})
}

async fn client(server: &MockServer) -> Client {
    Client::builder("fake-lectronz-api-key")
        .base_url(server.uri())
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn three_pages_are_one_stream() {
    let server = MockServer::start().await;
    for (offset, ids) in [(0, vec![5, 4]), (2, vec![3, 2]), (4, vec![1])] {
        let messages: Vec<_> = ids.into_iter().map(summary).collect();
        Mock::given(method("GET"))
            .and(path("/api/v1/messages"))
            .and(query_param("limit", "2"))
            .and(query_param("offset", offset.to_string()))
            .respond_with(ResponseTemplate::new(200).set_body_json(
                json!({"limit": 2, "offset": offset, "total_count": 5, "messages": messages}),
            ))
            .expect(1)
            .mount(&server)
            .await;
    }
    let client = client(&server).await;
    // `Unpin`: no `pin!`.
    let mut stream = client.list_messages().limit(2u64).by_item();
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(stream.next().await.expect("five items").unwrap().id);
    }
    assert_eq!(ids, [5, 4, 3, 2, 1]);
    // The last page (offset 4 + 1 item = total_count) ends the stream: no fourth
    // request.
    assert!(stream.next().await.is_none());
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn an_empty_page_ends_the_stream_even_if_total_count_says_more() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"limit": 2, "offset": 0, "total_count": 10, "messages": []})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server).await;
    let mut stream = client.list_messages().limit(2u64).by_item();
    assert!(stream.next().await.is_none());
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn an_error_page_ends_the_stream_with_the_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"errors": [{"status": 401, "title": "Unauthorized"}]})),
        )
        .mount(&server)
        .await;
    let client = client(&server).await;
    let mut stream = client.list_messages().limit(2u64).by_item();
    let err = stream
        .next()
        .await
        .expect("the error is yielded")
        .unwrap_err();
    assert!(err.is_auth(), "{err}");
    // Then the stream is over: no retry of the failed page, no next page.
    assert!(stream.next().await.is_none());
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn the_page_stream_reports_the_total_and_each_page_offset() {
    let server = MockServer::start().await;
    for (offset, ids) in [(0, vec![3, 2]), (2, vec![1])] {
        let messages: Vec<_> = ids.into_iter().map(summary).collect();
        Mock::given(method("GET"))
            .and(query_param("offset", offset.to_string()))
            .respond_with(ResponseTemplate::new(200).set_body_json(
                json!({"limit": 2, "offset": offset, "total_count": 3, "messages": messages}),
            ))
            .mount(&server)
            .await;
    }
    let client = client(&server).await;
    let pages: Vec<_> = client
        .list_messages()
        .limit(2u64)
        .by_page()
        .map(Result::unwrap)
        .collect()
        .await;
    let seen: Vec<_> = pages
        .iter()
        .map(|p| (p.offset(), p.total(), p.items().len()))
        .collect();
    assert_eq!(seen, [(0, Some(3), 2), (2, Some(3), 1)]);
}
