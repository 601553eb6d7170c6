//! The METRO subscription client against a local mock: constructors, a signed PATCH
//! (the expected signature computed independently with Python's `hmac`/`hashlib`
//! over `PATCH\n<sandbox URL>\n{"isActive":false}\n1757581999`), and the error
//! message found in both shapes of `detail`.

use marketplace_metro_subscriptions::{
    Auth, Client, ClientBuilder, ClientInfo, MetroHmac, PRODUCTION_BASE_URL, RetryPolicy,
    SANDBOX_BASE_URL, types,
};
use marketplace_runtime::FixedClock;
use serde_json::json;
use wiremock::matchers::{body_string, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const CLIENT_ID: &str = "fake-metro-client-id";
const SECRET: &str = "fake-metro-client-secret";
const SUBSCRIPTION: &str = "c396bfde-5f5c-43a9-ac15-54111b36f31e";

fn client(server: &MockServer) -> Client {
    let auth = MetroHmac::new(CLIENT_ID, SECRET)
        .clock(FixedClock(1_757_581_999))
        .signed_origin(SANDBOX_BASE_URL);
    ClientBuilder::<Client>::new(server.uri(), Auth::from(auth))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap()
}

#[test]
fn constructors_point_at_the_named_hosts() {
    let sandbox = Client::sandbox(CLIENT_ID, SECRET).build().unwrap();
    assert_eq!(sandbox.baseurl(), SANDBOX_BASE_URL);
    assert_eq!(
        SANDBOX_BASE_URL,
        "https://service-subscription-settings.sandbox.infra.metro-markets.cloud"
    );
    let production = Client::production(CLIENT_ID, SECRET).build().unwrap();
    assert_eq!(production.baseurl(), PRODUCTION_BASE_URL);
}

#[tokio::test]
async fn a_patch_sends_only_the_fields_set_and_signs_that_body() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path(format!("/openapi/v1/subscriptions/{SUBSCRIPTION}")))
        .and(body_string(r#"{"isActive":false}"#))
        .and(header("content-type", "application/json"))
        .and(header("x-client-id", CLIENT_ID))
        .and(header("x-timestamp", "1757581999"))
        .and(header(
            "x-signature",
            "480ba97f60d632d72191c8558018b0a9af94206ea49d2067d91059411041607f",
        ))
        .respond_with(
            ResponseTemplate::new(202)
                .set_body_json(json!({"message": "Subscription successfully updated."})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let answer = client(&server)
        .update_subscription()
        .subscription_id(SUBSCRIPTION)
        .body(types::SubscriptionUpdate {
            is_active: Some(false),
            ..Default::default()
        })
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 202);
    assert_eq!(answer.message, "Subscription successfully updated.");
}

#[tokio::test]
async fn the_error_message_is_found_whether_detail_is_an_object_or_a_string() {
    for (status, body, message) in [
        (
            401,
            json!({"type": "authorization", "title": "Authorization error", "status": 401,
                   "detail": {"errors": ["Authentication openAPI key was not found"]}}),
            "Authentication openAPI key was not found",
        ),
        (
            412,
            json!({"type": "about:blank", "title": "Validation error", "status": 412,
                   "detail": "Validation error", "instance": null,
                   "invalidParams": [{"name": "url", "reason": "Server response is not valid"}]}),
            "Server response is not valid",
        ),
        (
            404,
            json!({"type": "about:blank", "title": "Subscription not found", "status": 404,
                   "detail": ""}),
            "Subscription not found",
        ),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("DELETE"))
            .respond_with(ResponseTemplate::new(status).set_body_raw(
                serde_json::to_vec(&body).unwrap(),
                "application/problem+json",
            ))
            .mount(&server)
            .await;
        let error = client(&server)
            .delete_subscription()
            .subscription_id(SUBSCRIPTION)
            .send()
            .await
            .unwrap_err();
        assert_eq!(error.status().map(|s| s.as_u16()), Some(status));
        assert_eq!(error.message(), Some(message), "{error:?}");
        assert_eq!(error.code(), body["title"].as_str());
        assert!(!format!("{error}{error:?}").contains(SECRET));
    }
}
