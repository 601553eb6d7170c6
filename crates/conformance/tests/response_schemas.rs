//! The replay stage's check that the JSON Schema schemars derives for each generated
//! response type accepts every recorded response body (issue 14, item 8): typify
//! can never be stricter than the recorded traffic unnoticed.

use marketplace_conformance::{MARKETPLACES, Scenario, check_scenario, generated_type_accepts};
use serde_json::{Value, json};

/// Two versions of one response type: the one a too-strict generator would write
/// (`read_at` required, a string) and the one the spec means (optional, nullable).
#[allow(dead_code)]
mod types {
    #[derive(schemars::JsonSchema)]
    pub struct StrictMessage {
        pub id: i64,
        pub content: String,
        pub read_at: String,
    }

    #[derive(schemars::JsonSchema)]
    pub struct Message {
        pub id: i64,
        pub content: String,
        pub read_at: Option<String>,
    }
}

fn schema<T: schemars::JsonSchema>() -> Value {
    serde_json::to_value(schemars::schema_for!(T)).expect("a schema is JSON")
}

#[test]
fn a_type_stricter_than_a_recorded_body_fails_the_check_naming_the_type_and_path() {
    // An unread message: the marketplace sends `read_at: null`.
    let recorded = json!({"id": 7, "content": "Is it in stock?", "read_at": null});

    let problem = generated_type_accepts(
        "StrictMessage",
        &schema::<types::StrictMessage>(),
        &recorded,
    )
    .expect_err("a required string field rejects the recorded null");
    assert!(
        problem.contains("`StrictMessage` is stricter than the recorded response body"),
        "{problem}"
    );
    assert!(
        problem.contains("at `/read_at`: null is not of type \"string\""),
        "{problem}"
    );

    // Left out entirely, the strict type rejects it as missing.
    let problem = generated_type_accepts(
        "StrictMessage",
        &schema::<types::StrictMessage>(),
        &json!({"id": 7, "content": "Is it in stock?"}),
    )
    .expect_err("a required field rejects its absence");
    assert!(
        problem.contains("\"read_at\" is a required property"),
        "{problem}"
    );

    // The type the spec means accepts both.
    for body in [recorded, json!({"id": 7, "content": "Is it in stock?"})] {
        generated_type_accepts("Message", &schema::<types::Message>(), &body)
            .unwrap_or_else(|p| panic!("{p}"));
    }
}

#[test]
fn every_fixture_is_checked_against_the_schema_of_its_generated_type() {
    let scenario = Scenario::load("lectronz", "get_message", "unread_customer_message")
        .unwrap_or_else(|e| panic!("{e}"));
    scenario
        .check_response_schema()
        .unwrap_or_else(|p| panic!("{p}"));

    let lectronz = MARKETPLACES
        .iter()
        .find(|m| m.name == "lectronz")
        .expect("the harness has the Lectronz client");
    // The success type and the error type, each derived from the generated code.
    let (name, message) = (lectronz.response_schema)("get_message", 200).expect("documented");
    assert_eq!(name, "Message");
    let (error_name, _) = (lectronz.response_schema)("get_message", 404).expect("documented");
    assert_eq!(error_name, "ErrorResponse");
    assert!((lectronz.response_schema)("no_such_operation", 200).is_none());

    // The generated `Message` requires `created_at` and types `id` as an integer:
    // a recorded body without the one or with a text id is reported.
    let mut body = scenario.fixture.response.body.clone().expect("a JSON body");
    body.as_object_mut().unwrap().remove("created_at");
    body["id"] = json!("12");
    let problem = generated_type_accepts(name, &message, &body).expect_err("stricter");
    assert!(
        problem.contains("\"created_at\" is a required property"),
        "{problem}"
    );
    assert!(
        problem.contains("at `/id`: \"12\" is not of type \"integer\""),
        "{problem}"
    );
}

#[test]
fn null_where_the_decoder_reads_the_default_is_accepted_by_the_schema() {
    // METRO sends `null` for empty lists; the generated decoder reads it as empty
    // (`null_as_default`), so the derived schema accepts it too.
    let scenario = Scenario::load(
        "metro-message-center",
        "list_chat_categories",
        "null_for_empty_lists",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    scenario
        .check_response_schema()
        .unwrap_or_else(|p| panic!("{p}"));
    let body = scenario
        .fixture
        .response
        .body
        .as_ref()
        .expect("a JSON body");
    assert_eq!(
        body.pointer("/data/1/children"),
        Some(&Value::Null),
        "the fixture still records a null"
    );
}

#[test]
fn the_fixture_check_runs_the_schema_check_first() {
    let mut scenario = Scenario::load("lectronz", "get_message", "unread_customer_message")
        .unwrap_or_else(|e| panic!("{e}"));
    check_scenario(&scenario).unwrap_or_else(|p| panic!("{p}"));

    let body = scenario
        .fixture
        .response
        .body
        .as_mut()
        .expect("a JSON body");
    body["id"] = json!("12");
    let problem = check_scenario(&scenario).expect_err("a text id is not the generated i64");
    assert!(
        problem
            .contains("the generated type `Message` is stricter than the recorded response body"),
        "{problem}"
    );
}
