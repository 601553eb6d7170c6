//! A caller-configured HTTP client (`ClientBuilder::http_client`) cannot re-enable
//! reqwest's own redirect following: SkyHub's `X-Api-Key` and
//! `X-Accountmanager-Key` never reach another origin, whatever policy the caller's
//! `reqwest::ClientBuilder` had.

use marketplace_skyhub_sac::{Client, RateLimit, RetryPolicy};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn a_caller_configured_http_client_follows_no_redirect_to_another_origin() {
    let elsewhere = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"sacs": []})))
        .mount(&elsewhere)
        .await;
    let skyhub = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(307)
                .insert_header("location", format!("{}/sac", elsewhere.uri())),
        )
        .mount(&skyhub)
        .await;
    let client = Client::builder(
        "fake-seller@example.com",
        "fake-skyhub-api-key",
        "fake-skyhub-account-manager-key",
    )
    .base_url(skyhub.uri())
    .rate_limit(RateLimit::per_second(0.0))
    .retry_policy(RetryPolicy::none())
    .http_client(reqwest::Client::builder().redirect(reqwest::redirect::Policy::limited(10)))
    .build()
    .unwrap();

    let err = client.list_tickets().send().await.unwrap_err();
    assert!(err.is_redirect(), "{err}");
    let sent_elsewhere = elsewhere.received_requests().await.unwrap();
    assert!(sent_elsewhere.is_empty(), "{sent_elsewhere:?}");
    assert_eq!(skyhub.received_requests().await.unwrap().len(), 1);
}
