//! A fixture the client does not reproduce fails replay with a message that names
//! the request the client actually sent and every difference.

use marketplace_conformance::Scenario;

#[tokio::test]
async fn a_body_the_client_would_not_send_is_reported_with_what_it_sent() {
    let mut scenario = Scenario::load("lectronz", "create_message", "seller_message").unwrap();
    let body = scenario.fixture.request.body.as_mut().unwrap();
    body["note"] = "a field the spec does not have".into();
    let message = scenario.replay().await.unwrap_err();
    assert!(
        message.contains("client sent: POST /api/v1/messages"),
        "{message}"
    );
    assert!(message.contains("- body is {"), "{message}");
    assert!(
        message.contains("a field the spec does not have"),
        "{message}"
    );
}

#[tokio::test]
async fn a_header_and_a_query_parameter_the_client_would_not_send_are_reported() {
    let mut scenario =
        Scenario::load("lectronz", "list_messages", "first_page_with_unread").unwrap();
    scenario
        .fixture
        .request
        .headers
        .insert("x-extra".into(), "1".into());
    scenario
        .fixture
        .request
        .query
        .insert("limit".into(), "3".into());
    let message = scenario.replay().await.unwrap_err();
    assert!(
        message.contains("client sent: GET /api/v1/messages?"),
        "{message}"
    );
    assert!(message.contains("header `x-extra` is missing"), "{message}");
    assert!(
        message.contains("query `limit` is [\"2\"] instead of \"3\""),
        "{message}"
    );
}
