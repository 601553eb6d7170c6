//! `mkt sync`: one marketplace failing is a partial failure; the others are synced.

use marketplace_mock::{Api, Faults};

use crate::common::{Home, json_lines, mock, stderr, stdout};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_marketplace_down_is_a_partial_failure_and_the_others_sync() {
    let mock = mock().await;
    mock.set_faults(
        Api::SkyhubSac,
        Faults {
            outage: true,
            ..Faults::default()
        },
    );
    let home = Home::new();
    home.configure(&mock, "");

    let output = home.run(&["sync", "--json"]).await;
    assert_eq!(
        output.status.code(),
        Some(3),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
    let report = &json_lines(&output)[0];
    for account in report["accounts"].as_array().unwrap() {
        let marketplace = account["account"]["marketplace"].as_str().unwrap();
        if marketplace == "skyhub" {
            assert_eq!(account["error"]["status"], 503, "{account}");
        } else {
            assert!(account["error"].is_null(), "{account}");
            assert!(account["messages_new"].as_u64().unwrap() > 0, "{account}");
        }
    }

    // The table says the same to a person; SkyHub back, the next sync completes it.
    mock.set_faults(Api::SkyhubSac, Faults::default());
    let output = home.run(&["sync"]).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    let skyhub = text.lines().find(|l| l.contains("skyhub:t")).unwrap();
    assert!(skyhub.trim_end().ends_with("ok"), "{text}");
    // Nothing new elsewhere: an incremental sync.
    let lectronz = text.lines().find(|l| l.contains("lectronz:t")).unwrap();
    assert!(lectronz.split_whitespace().nth(3) == Some("0"), "{text}");

    // A person's view of a partial sync.
    mock.set_faults(
        Api::YandexMarketChats,
        Faults {
            outage: true,
            ..Faults::default()
        },
    );
    let output = home.run(&["sync"]).await;
    assert_eq!(output.status.code(), Some(3));
    let yandex = stdout(&output)
        .lines()
        .find(|l| l.contains("yandex:t"))
        .unwrap()
        .to_owned();
    assert!(yandex.contains("503"), "{yandex}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_syncs_again_each_interval_until_ctrl_c() {
    let mock = mock().await;
    let home = Home::new();
    home.configure(&mock, "");
    let mut watch =
        crate::common::Running::start(&home, &["sync", "--watch", "--interval", "1", "--json"]);
    let first: serde_json::Value = serde_json::from_str(&watch.wait_for("accounts")).unwrap();
    assert!(
        first["accounts"][0]["messages_new"].as_u64().unwrap() > 0,
        "{first}"
    );
    // A buyer writes between two passes: the next pass stores exactly that message.
    mock.buyer_writes(Api::Lectronz, "100003", "Still waiting for an answer.")
        .unwrap();
    let mut new = 0;
    for _ in 0..5 {
        let before = watch.seen().len();
        let line = watch.wait_next();
        assert!(watch.seen().len() > before);
        let report: serde_json::Value = serde_json::from_str(&line).unwrap();
        new += report["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["messages_new"].as_u64().unwrap())
            .sum::<u64>();
        if new > 0 {
            break;
        }
    }
    assert_eq!(new, 1);
    let (_, code) = watch.interrupt();
    assert_eq!(code, Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inbox_whose_first_sync_partly_failed_says_so() {
    let mock = mock().await;
    mock.set_faults(
        Api::MetroMessageCenter,
        Faults {
            outage: true,
            ..Faults::default()
        },
    );
    let home = Home::new();
    home.configure(&mock, "");
    let output = home.run(&["inbox"]).await;
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("warning: metro:t did not sync"),
        "{}",
        stderr(&output)
    );
    let text = stdout(&output);
    assert!(
        text.contains("lectronz:t:") && !text.contains("metro:t:"),
        "{text}"
    );
}

/// No secret in any output or log line, at the most verbose level, on success and on
/// refused credentials.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_output_or_logs() {
    let mock = mock().await;
    let home = Home::new();
    home.configure(&mock, "");
    let secrets = [
        mock.lectronz().api_key.clone(),
        mock.metro().client_secret.clone(),
        mock.skyhub().api_key.clone(),
        mock.skyhub().account_manager_key.clone(),
        mock.yandex().api_key.clone(),
    ];
    let mut seen = String::new();
    for args in [
        &["-vv", "sync"][..],
        &["-vv", "inbox", "--json"],
        &["-vv", "doctor"],
        &["config", "show", "--json"],
    ] {
        let output = home.run(args).await;
        seen.push_str(&stdout(&output));
        seen.push_str(&stderr(&output));
    }
    // Refused: the error names the variable, never the value.
    let config = std::fs::read_to_string(home.config_path()).unwrap();
    std::fs::write(
        home.config_path(),
        config.replace(&mock.metro().client_secret, "wrong-secret-value"),
    )
    .unwrap();
    let output = home.run(&["-vv", "sync"]).await;
    assert_eq!(output.status.code(), Some(3));
    seen.push_str(&stdout(&output));
    seen.push_str(&stderr(&output));
    assert!(seen.contains("DEBUG"), "-vv logs at debug level");
    for secret in secrets
        .iter()
        .map(String::as_str)
        .chain(["wrong-secret-value"])
    {
        assert!(!seen.contains(secret), "`{secret}` was printed");
    }
}
