//! `--json` of every command validates against `mkt schema <command>`.

use serde_json::Value;

use crate::common::{Home, accepting_receiver, json_lines, mock, stderr, stdout};

/// Checks every line against `mkt schema <command>`.
pub fn validate(home: &Home, command: &str, lines: &[Value]) {
    let schema = home.run_blocking(&["schema", command]);
    let schema: Value = serde_json::from_str(&stdout(&schema)).expect("a schema");
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    assert!(!lines.is_empty(), "{command}: no output to validate");
    for line in lines {
        let errors: Vec<String> = validator
            .iter_errors(line)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{command}: {line}\n{errors:#?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_commands_json_matches_its_schema() {
    let mock = mock().await;
    let home = Home::new();
    let receiver = accepting_receiver().await;
    let public = receiver.uri();
    home.configure(&mock, &format!("\n[serve]\npublic_url = \"{public}\"\n"));

    let sync = home.run(&["sync", "--json"]).await;
    assert!(sync.status.success(), "{}", stderr(&sync));
    validate(&home, "sync", &json_lines(&sync));

    let inbox = json_lines(&home.run(&["inbox", "--json"]).await);
    validate(&home, "inbox", &inbox);
    let thread = |m: &str| {
        inbox
            .iter()
            .map(|t| t["id"].as_str().unwrap().to_owned())
            .find(|id| id.starts_with(m))
            .unwrap()
    };

    let show = home.run(&["show", &thread("skyhub"), "--json"]).await;
    validate(&home, "show", &json_lines(&show));

    let reply = home
        .run(&["reply", &thread("yandex"), "On its way.", "--json"])
        .await;
    assert!(reply.status.success(), "{}", stderr(&reply));
    validate(&home, "reply", &json_lines(&reply));

    let metro_order = inbox
        .iter()
        .find(|t| t["id"].as_str().unwrap().starts_with("metro:"))
        .and_then(|t| t["order"]["id"].as_str())
        .unwrap()
        .to_owned();
    let start = home
        .run(&[
            "start",
            "metro",
            &metro_order,
            "--subject",
            "INVOICE_INSTRUCTIONS",
            "--text",
            "Hello.",
            "--json",
        ])
        .await;
    assert!(start.status.success(), "{}", stderr(&start));
    validate(&home, "start", &json_lines(&start));

    let read = home
        .run(&["mark-read", &thread("lectronz"), "--json"])
        .await;
    validate(&home, "mark-read", &json_lines(&read));

    let doctor = home.run(&["doctor", "--json"]).await;
    validate(&home, "doctor", &json_lines(&doctor));

    let add = home
        .run(&[
            "subscriptions",
            "add",
            "--event",
            "order_created",
            "--url",
            &format!("{public}/hooks/metro-markets/events"),
            "--fallback-email",
            "ops@example.com",
            "--json",
        ])
        .await;
    validate(&home, "subscriptions", &json_lines(&add));
    let list = home.run(&["subscriptions", "list", "--json"]).await;
    validate(&home, "subscriptions", &json_lines(&list));

    let trigger = home
        .run(&[
            "trigger",
            "yandex",
            "ping",
            "--to",
            "http://127.0.0.1:9",
            "--json",
        ])
        .await;
    assert_eq!(trigger.status.code(), Some(1), "nothing listens there");
    validate(&home, "trigger", &json_lines(&trigger));

    let config = home.run(&["config", "show", "--json"]).await;
    validate(&home, "config", &json_lines(&config));

    let reset = home.run(&["mock", "--reset", "--json"]).await;
    validate(&home, "mock", &json_lines(&reset));

    // Errors too, on stderr.
    let error = home.run(&["show", "lectronz:t:999999", "--json"]).await;
    assert_eq!(error.status.code(), Some(1));
    let line: Value = serde_json::from_str(stderr(&error).trim()).expect("a JSON error");
    validate(&home, "error", &[line]);
}

#[test]
fn the_schema_command_lists_every_command() {
    let home = Home::new();
    let all: Value = serde_json::from_str(&stdout(&home.run_blocking(&["schema"]))).unwrap();
    let names: Vec<&String> = all.as_object().unwrap().keys().collect();
    insta::assert_snapshot!(format!("{names:?}"), @r#"["config", "doctor", "error", "inbox", "mark-read", "mock", "reply", "serve", "show", "start", "subscriptions", "sync", "trigger"]"#);
}
