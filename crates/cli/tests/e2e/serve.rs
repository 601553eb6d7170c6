//! `mkt serve` + `mkt trigger`: a triggered METRO event and Yandex notification are
//! received, verified and logged once each; the Yandex one refreshes its chat; the
//! metrics count them; Ctrl-C stops the process cleanly.

use marketplace_mock::Api;
use serde_json::Value;

use crate::common::{Home, Running, json_lines, mock, stderr, stdout};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn triggered_deliveries_are_received_and_logged_once() {
    let mock = mock().await;
    let home = Home::new();
    home.configure(&mock, "");
    // The inbox first, so that the Yandex chat below is known.
    let inbox = json_lines(&home.run(&["inbox", "--json"]).await);
    let chat: i64 = inbox
        .iter()
        .filter_map(|t| t["id"].as_str())
        .find_map(|id| id.strip_prefix("yandex:t:"))
        .and_then(|rest| rest.split(':').nth(1))
        .and_then(|chat| chat.parse().ok())
        .expect("a Yandex thread");

    let mut serve = Running::start(
        &home,
        &["serve", "--listen", "127.0.0.1:0", "--interval", "3600"],
    );
    let listening = serve.wait_for("listening");
    let base = listening
        .split_whitespace()
        .nth(2)
        .expect("the URL it listens at")
        .to_owned();
    // The sync at start-up ran.
    serve.wait_for("sync       lectronz lectronz:t");

    // A buyer writes in the Yandex chat; the notification makes serve fetch it.
    let buyer = mock
        .buyer_writes(
            Api::YandexMarketChats,
            &chat.to_string(),
            "Is it shipped yet?",
        )
        .expect("the chat exists");
    let message_id = buyer.message;

    let metro = home
        .run(&[
            "trigger",
            "metro",
            "order_created",
            "--to",
            &format!("{base}/hooks/metro-markets/events"),
        ])
        .await;
    assert!(
        metro.status.success(),
        "{}{}",
        stdout(&metro),
        stderr(&metro)
    );
    let yandex = home
        .run(&[
            "trigger",
            "yandex",
            "chat_message_sent",
            "--to",
            &format!("{base}/hooks/yandex-market"),
            "--chat-id",
            &chat.to_string(),
            "--message-id",
            &message_id,
        ])
        .await;
    assert!(
        yandex.status.success(),
        "{}{}",
        stdout(&yandex),
        stderr(&yandex)
    );

    let metro_line = serve.wait_for("webhook    metro order_created");
    assert!(
        metro_line.contains("order O25-568200129071 (7f1c6f4e-0b8e-4a43-9a8e-2b7e1a3c5d01)"),
        "{metro_line}"
    );
    serve.wait_for("webhook    yandex CHAT_MESSAGE_SENT");

    // A forged METRO delivery is refused, and counted by reason.
    let http = reqwest::Client::new();
    let forged = http
        .post(format!("{base}/hooks/metro-markets/events"))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);
    let metrics = http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in [
        "mkt_webhook_events_total{marketplace=\"metro\",event=\"order_created\"} 1",
        "mkt_webhook_events_total{marketplace=\"yandex\",event=\"CHAT_MESSAGE_SENT\"} 1",
        "mkt_webhook_rejections_total{marketplace=\"metro\",reason=\"missing_signature\"} 1",
        "mkt_outbox_replies{state=\"unknown\"} 0",
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "no `{line}` in\n{metrics}"
        );
    }
    assert!(
        metrics.contains("mkt_oldest_unanswered_seconds{marketplace=\"yandex\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("mkt_sync_lag_seconds{account=\"metro:t\"}"),
        "{metrics}"
    );

    // The pushed message is in the store without a sync.
    let thread = format!("yandex:t:{}:{chat}", mock.yandex().business_id);
    let show = home.run(&["show", &thread, "--json"]).await;
    let shown: Value = serde_json::from_str(&stdout(&show)).unwrap();
    assert!(
        shown["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["text"] == "Is it shipped yet?"),
        "{shown}"
    );

    let (lines, code) = serve.interrupt();
    assert_eq!(code, Some(0), "{lines:#?}");
    let count = |text: &str| lines.iter().filter(|l| l.contains(text)).count();
    assert_eq!(count("webhook    metro order_created"), 1, "{lines:#?}");
    assert_eq!(
        count("webhook    yandex CHAT_MESSAGE_SENT"),
        1,
        "{lines:#?}"
    );
    assert!(lines.last().unwrap().ends_with("stopped"), "{lines:#?}");
}

/// A marketplace that adds a field this SDK does not know: the answer still decodes,
/// and `/metrics` counts the drift for that operation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drift_in_an_answer_shows_in_the_metrics() {
    let lectronz = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::path("/api/v1/messages"))
        .respond_with(
            wiremock::ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "limit": 25, "offset": 0, "total_count": 0, "messages": [],
                "next_cursor": "a field added by the vendor"
            })),
        )
        .mount(&lectronz)
        .await;
    let home = Home::new();
    std::fs::write(
        home.config_path(),
        format!(
            "[store]\npath = \"{}\"\n[lectronz.t]\napi_key = \"fake-key\"\nbase_url = \"{}\"\n",
            home.path().join("inbox.sqlite").display(),
            lectronz.uri()
        ),
    )
    .unwrap();
    // With --json: one event a line, each valid against `mkt schema serve`.
    let mut serve = Running::start(
        &home,
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--interval",
            "3600",
            "--json",
        ],
    );
    let listening: Value = serde_json::from_str(&serve.wait_for("\"listening\"")).unwrap();
    let base = listening["subject"].as_str().unwrap().to_owned();
    serve.wait_for("\"sync\"");
    let metrics = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let line = "mkt_decode_drift_total{marketplace=\"lectronz\",operation=\"list_messages\",kind=\"unknown_field\"} 1";
    assert!(
        metrics.lines().any(|l| l == line),
        "no `{line}` in\n{metrics}"
    );
    let (lines, code) = serve.interrupt();
    assert_eq!(code, Some(0));
    let events: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    crate::json::validate(&home, "serve", &events);
    let kinds: Vec<&str> = events.iter().filter_map(|e| e["kind"].as_str()).collect();
    assert_eq!(kinds.first(), Some(&"listening"), "{kinds:?}");
    assert_eq!(kinds.last(), Some(&"shutdown"), "{kinds:?}");
}

/// `mkt mock` serves until Ctrl-C and prints a configuration that works as it is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mkt_mock_prints_a_configuration_that_works() {
    let home = Home::new();
    let mut mock = Running::start(&home, &["mock", "--json"]);
    let info: Value = serde_json::from_str(&mock.wait_for("config_toml")).unwrap();
    let config = info["config_toml"].as_str().unwrap();
    assert!(
        config.contains("[metro.demo]") && config.contains("client_secret = \"mock-metro-"),
        "{config}"
    );
    std::fs::write(home.config_path(), config).unwrap();
    let inbox = home.run(&["inbox", "--json"]).await;
    assert!(inbox.status.success(), "{}", stderr(&inbox));
    assert!(json_lines(&inbox).len() >= 4, "{}", stdout(&inbox));
    let (_, code) = mock.interrupt();
    assert_eq!(code, Some(0));
}
