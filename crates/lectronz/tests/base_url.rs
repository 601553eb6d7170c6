//! The base URL is `scheme://host[:port]` like every other client's: the spec's
//! paths carry Lectronz's `/api/v1` prefix.

use marketplace_lectronz::{Client, ClientInfo, DEFAULT_BASE_URL, RetryPolicy};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[test]
fn the_default_base_url_is_the_bare_host() {
    assert_eq!(DEFAULT_BASE_URL, "https://lectronz.com");
}

#[tokio::test]
async fn requests_go_to_the_api_v1_paths_under_a_bare_host() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/messages/7"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": 7,
            "type": "customer_order_message",
            "content": "Where is my parcel?",
            "subject": {"id": 12345, "type": "order", "link": "https://lectronz.com/api/v1/orders/12345"},
            "created_at": "2026-03-01T00:00:00Z",
            "updated_at": "2026-03-01T00:00:00Z"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let client = Client::builder("fake-lectronz-api-key")
        .base_url(server.uri())
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    assert_eq!(client.baseurl(), &server.uri());
    let message = client.get_message().id(7).send().await.unwrap();
    assert_eq!(message.id, 7);
}
