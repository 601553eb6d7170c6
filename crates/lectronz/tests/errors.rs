//! What a caller sees when a call fails and its error is converted with `?` into
//! something else (`Box<dyn Error>`, `anyhow`): the marketplace's status, code and
//! message, never a rebuilt `Response { url: "http://no.url.provided.local/", … }`.

use marketplace_lectronz::{Client, RetryPolicy, types};
use serde_json::json;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn answering(response: ResponseTemplate) -> (MockServer, Client) {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(response)
        .mount(&server)
        .await;
    let client = Client::builder("fake-lectronz-api-key")
        .base_url(server.uri())
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    (server, client)
}

/// How application code typically calls: `?` into a boxed error.
async fn get_message(client: &Client) -> Result<(), Box<dyn std::error::Error>> {
    client.get_message().id(7).send().await?;
    Ok(())
}

fn assert_readable(text: &str) {
    for noise in ["no.url.provided", "Response {", "Unexpected Response"] {
        assert!(!text.contains(noise), "{noise:?} in {text:?}");
    }
}

#[tokio::test]
async fn a_body_that_does_not_decode_reads_as_status_and_reason_through_box_dyn_error() {
    let (_server, client) =
        answering(ResponseTemplate::new(200).set_body_string("<html>maintenance</html>")).await;
    let text = get_message(&client).await.unwrap_err().to_string();
    assert_readable(&text);
    assert!(text.contains("200 OK"), "{text}");
    assert!(text.contains("<html>maintenance</html>"), "{text}");
}

#[tokio::test]
async fn an_undocumented_status_reads_as_that_status_through_box_dyn_error() {
    let (_server, client) = answering(ResponseTemplate::new(304)).await;
    let text = get_message(&client).await.unwrap_err().to_string();
    assert_readable(&text);
    assert_eq!(
        text,
        "marketplace answered with undocumented status 304 Not Modified"
    );
}

#[tokio::test]
async fn an_api_error_reads_as_status_code_and_message_through_box_dyn_error() {
    let body = json!({"errors": [{"status": 404, "title": "Not Found", "detail": "No message 7"}]});
    let (_server, client) = answering(ResponseTemplate::new(404).set_body_json(body)).await;
    let text = get_message(&client).await.unwrap_err().to_string();
    assert_eq!(
        text,
        "marketplace answered 404 Not Found [Not Found]: No message 7"
    );
}

#[tokio::test]
async fn the_typed_error_body_stays_reachable() {
    let body = json!({"errors": [
        {"status": 422, "title": "Unprocessable Entity", "detail": "content is blank"},
        {"status": 422, "title": "Unprocessable Entity", "detail": "type is invalid"}
    ]});
    let (_server, client) = answering(ResponseTemplate::new(422).set_body_json(body)).await;
    let err = client.get_message().id(7).send().await.unwrap_err();
    let typed: types::ErrorResponse = err.body_as().expect("the spec's error body");
    let details: Vec<_> = typed
        .errors
        .iter()
        .filter_map(|e| e.detail.as_deref())
        .collect();
    assert_eq!(details, ["content is blank", "type is invalid"]);
    assert!(err.body_as::<Vec<u8>>().is_none(), "another shape is None");
}
