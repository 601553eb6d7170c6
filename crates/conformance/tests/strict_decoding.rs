//! Strict and tolerant decoding through the generated clients and the receivers:
//! a JSON array is never read as an object (issue 13, item 4), `null` in an
//! optional field is "none" (item 5), one odd value in a map of display strings
//! does not fail the call (item 6), and SkyHub's object-or-list answer keeps the
//! JSON path of a field error (item 7).

use marketplace_conformance::Outcome;
use marketplace_conformance::{MARKETPLACES, Scenario, representative_fixtures};
use marketplace_sdk::runtime::RetryPolicy;
use serde_json::{Value, json};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Runs `scenario` against a server answering its recorded request with the
/// recorded status and `body`; no retries.
async fn answer(scenario: &Scenario, body: &Value) -> Outcome {
    let server = MockServer::start().await;
    Mock::given(scenario.recorded_request())
        .respond_with(ResponseTemplate::new(scenario.fixture.response.status).set_body_json(body))
        .mount(&server)
        .await;
    scenario
        .run_against(&server.uri(), RetryPolicy::default().max_retries(0), None)
        .await
}

fn load(spec: &str, operation: &str, case: &str) -> (Scenario, Value) {
    let scenario = Scenario::load(spec, operation, case).unwrap_or_else(|e| panic!("{e}"));
    let body = scenario
        .fixture
        .response
        .body
        .clone()
        .expect("a JSON response body");
    (scenario, body)
}

fn decode_error(outcome: Outcome, at: &str) -> String {
    match outcome {
        Outcome::Failure(error) if error.is_decode() => error.to_string(),
        other => panic!("{at}: expected a decode error, got {other:?}"),
    }
}

fn decoded(outcome: Outcome, at: &str) -> String {
    match outcome {
        Outcome::Success { decoded, .. } => decoded,
        other => panic!("{at}: expected a success, got {other:?}"),
    }
}

/// Every non-empty object below the root: its JSON pointer and its path written
/// the way decode errors write it (`data[0].buyer`).
fn nested_objects(value: &Value, pointer: &str, path: &str, out: &mut Vec<(String, String)>) {
    let children: Vec<(String, String, &Value)> = match value {
        Value::Object(map) => map
            .iter()
            .map(|(key, child)| {
                let path = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                (format!("{pointer}/{key}"), path, child)
            })
            .collect(),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, child)| (format!("{pointer}/{i}"), format!("{path}[{i}]"), child))
            .collect(),
        _ => Vec::new(),
    };
    for (pointer, path, child) in children {
        if child.as_object().is_some_and(|o| !o.is_empty()) {
            out.push((pointer.clone(), path.clone()));
        }
        nested_objects(child, &pointer, &path, out);
    }
}

/// Item 4: in every client's representative success body, each nested object sent
/// as the array of its values (what serde's derived `Deserialize` accepts for a
/// struct) is a decode error naming that object's path. SkyHub's `list_chats` (an
/// untagged enum) and METRO's translations (a flattened map) are among them.
#[tokio::test]
async fn an_array_where_the_spec_says_object_is_a_decode_error_naming_its_path() {
    let mut checked = 0;
    for marketplace in MARKETPLACES {
        for file in representative_fixtures(marketplace.name) {
            let scenario = Scenario::load(&file.spec, &file.operation, &file.case)
                .unwrap_or_else(|e| panic!("{e}"));
            let Some(body) = scenario.fixture.response.body.clone() else {
                continue;
            };
            let mut objects = Vec::new();
            nested_objects(&body, "", "", &mut objects);
            for (pointer, path) in objects {
                let at = format!("{} at {pointer}", scenario.file.display());
                let mut body = body.clone();
                let object = body.pointer_mut(&pointer).unwrap();
                let values = object.as_object().unwrap().values().cloned().collect();
                *object = Value::Array(values);
                let error = decode_error(answer(&scenario, &body).await, &at);
                assert!(error.contains(&format!("at `{path}`")), "{at}: {error}");
                checked += 1;
            }
        }
    }
    assert!(checked >= 13, "only {checked} nested objects");
}

/// Item 4, inside an untagged enum's other variant: SkyHub's answer as a list of
/// chats, one of them with an object sent as an array.
#[tokio::test]
async fn an_array_is_not_the_object_variant_of_an_untagged_enum() {
    let (scenario, mut body) = load("skyhub-sac", "list_chats", "several_chats_as_a_list");
    body[1]["messages"][0]["part"] = json!(["B2W", "Americanas", null, null]);
    let error = decode_error(answer(&scenario, &body).await, "list");
    assert!(error.contains("at `[1].messages[0].part`"), "{error}");
}

/// Item 5: `null` for an optional array or object decodes like the field left out.
#[tokio::test]
async fn null_in_an_optional_field_decodes_as_absent() {
    let (scenario, body) = load(
        "metro-message-center",
        "list_chat_messages",
        "buyer_then_seller",
    );
    let mut with_null = body.clone();
    let mut without = body.clone();
    with_null["data"][1]["attachments"] = Value::Null;
    without["data"][1]
        .as_object_mut()
        .unwrap()
        .remove("attachments");
    assert_eq!(
        decoded(answer(&scenario, &with_null).await, "attachments: null"),
        decoded(answer(&scenario, &without).await, "attachments left out"),
    );

    let (scenario, body) = load(
        "metro-message-center",
        "list_chat_categories",
        "category_tree",
    );
    let mut with_null = body.clone();
    let mut without = body.clone();
    for field in ["children", "translations"] {
        with_null["data"][0][field] = Value::Null;
        without["data"][0].as_object_mut().unwrap().remove(field);
    }
    assert_eq!(
        decoded(answer(&scenario, &with_null).await, "children: null"),
        decoded(answer(&scenario, &without).await, "children left out"),
    );
}

/// Item 5: a required field that is not nullable still fails on `null`, naming it.
#[tokio::test]
async fn null_in_a_required_field_is_still_an_error() {
    let (scenario, mut body) = load(
        "metro-message-center",
        "list_chat_categories",
        "category_tree",
    );
    body["data"][0]["key"] = Value::Null;
    let error = decode_error(answer(&scenario, &body).await, "key: null");
    assert!(error.contains("at `data[0].key`"), "{error}");
}

/// Item 6: a language whose text is not a string is left out of the translations
/// (the others are kept) instead of failing the whole list; a documented language
/// of the wrong type is an error naming its key.
#[tokio::test]
async fn an_odd_value_in_a_map_of_display_strings_is_skipped_and_named_when_documented() {
    let (scenario, body) = load(
        "metro-message-center",
        "list_chat_categories",
        "category_tree",
    );
    let mut odd = body.clone();
    odd["data"][0]["translations"][0]["fr"] = json!({"short": "Commande"});
    odd["data"][0]["translations"][0]["es"] = json!("Pedido");
    let text = decoded(answer(&scenario, &odd).await, "odd language");
    assert!(text.contains("\"es\": \"Pedido\""), "{text}");
    assert!(!text.contains("Commande"), "{text}");
    assert!(text.contains("\"Bestellung\""), "{text}");

    let mut documented = body;
    documented["data"][0]["translations"][0]["en"] = json!(7);
    let error = decode_error(answer(&scenario, &documented).await, "en: 7");
    assert!(error.contains("at `data[0].translations[0].en`"), "{error}");
}

/// Item 7: a field error in SkyHub's `list_chats` keeps its JSON path, whichever
/// shape (one chat or a list) the answer has.
#[tokio::test]
async fn skyhub_list_chats_errors_keep_their_json_path() {
    let (scenario, mut body) = load("skyhub-sac", "list_chats", "seed_example");
    body["messages"][0]["created_at"] = json!(5);
    let error = decode_error(answer(&scenario, &body).await, "one chat");
    assert!(error.contains("at `messages[0].created_at`"), "{error}");

    let (scenario, mut body) = load("skyhub-sac", "list_chats", "several_chats_as_a_list");
    body[1]["status"] = json!(["ACTIVE"]);
    let error = decode_error(answer(&scenario, &body).await, "a list");
    assert!(error.contains("at `[1].status`"), "{error}");
}

/// Item 4, receivers: a METRO delivery whose envelope is an array, and a Yandex
/// notification whose item is an array, are refused.
#[test]
fn receivers_refuse_an_array_where_the_spec_says_object() {
    use marketplace_webhooks::{metro, yandex};
    let array = br#"[null, "SOMETHING_NEW", "m-1", {}]"#;
    assert!(metro::Delivery::from_json(array).is_err());
    let object = br#"{"event": "SOMETHING_NEW", "messageId": "m-1", "payload": {}}"#;
    assert!(metro::Delivery::from_json(object).is_ok());

    let notification = json!({"notificationType": "ORDER_CREATED", "orderId": 51234567890_u64,
        "campaignId": 21000001, "items": [[2, "SKU-100-blue"]],
        "createdAt": "2026-03-03T09:30:59.213Z"});
    let error = yandex::Notification::from_json(notification.to_string().as_bytes())
        .expect_err("an item as an array");
    assert!(error.contains("items[0]"), "{error}");
}

/// Item 4, receivers: a correctly signed METRO delivery whose body is an array is
/// refused as malformed (400) after the signature check, never handed over.
#[test]
fn a_signed_metro_delivery_whose_body_is_an_array_is_refused() {
    use axum::http::{HeaderMap, HeaderValue, StatusCode};
    use marketplace_sdk::runtime::MetroHmac;
    use marketplace_webhooks::metro::MetroReceiver;
    const URL: &str = "http://127.0.0.1:9/metro-markets/events";
    const NOW: i64 = 1_772_530_260;
    let receiver = MetroReceiver::new(URL, "fake-metro-client-key", "fake-metro-client-secret")
        .expect("receiver");
    let signed = |body: &str| {
        let signature = MetroHmac::new("fake-metro-client-key", "fake-metro-client-secret")
            .signature("POST", URL, body.as_bytes(), NOW);
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("content-type", "application/json".to_owned()),
            ("x-client", "fake-metro-client-key".to_owned()),
            ("x-timestamp", NOW.to_string()),
            ("x-signature", signature),
        ] {
            headers.insert(name, HeaderValue::from_str(&value).unwrap());
        }
        receiver.verify(&headers, body.as_bytes(), NOW)
    };
    let object = r#"{"event": "SOMETHING_NEW", "messageId": "m-1", "payload": {}}"#;
    assert!(signed(object).is_ok());
    let rejection = signed(r#"[null, "SOMETHING_NEW", "m-1", {}]"#).expect_err("an array");
    assert_eq!(rejection.status(), StatusCode::BAD_REQUEST);
}
