//! `mkt doctor` on a wrong credential and on a skewed clock; METRO subscription URLs.

/// `path` as a regular expression.
fn regex_path(path: &std::path::Path) -> &'static str {
    let escaped: String = path
        .display()
        .to_string()
        .chars()
        .flat_map(|c| {
            if c.is_ascii_alphanumeric() || c == '/' {
                vec![c]
            } else {
                vec!['\\', c]
            }
        })
        .collect();
    Box::leak(escaped.into_boxed_str())
}

use crate::common::{Home, accepting_receiver, json_lines, mock, stderr, stdout};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_credential_is_an_auth_failure_naming_the_variable_to_fix() {
    let mock = mock().await;
    let home = Home::new();
    home.configure(&mock, "");
    let config = std::fs::read_to_string(home.config_path()).unwrap();
    let wrong = config.replace(&mock.lectronz().api_key, "a-wrong-key");
    std::fs::write(home.config_path(), wrong).unwrap();

    let output = home.run(&["doctor"]).await;
    assert_eq!(
        output.status.code(),
        Some(4),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
    let text = stdout(&output);
    assert!(!text.contains("a-wrong-key"), "{text}");
    insta::with_settings!({filters => vec![
        (regex_path(home.path()), "<home>"),
        // The skew is measured in whole seconds: 0 or 1 on this machine.
        (r"\(\+?-?\d+s\)", "(<skew>)"),
    ]}, {
        insta::assert_snapshot!("doctor_wrong_credential", text);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_skewed_clock_is_reported_with_what_it_breaks() {
    let mock = mock().await;
    let home = Home::new();
    home.configure(
        &mock,
        "\n[serve]\npublic_url = \"https://shop.example.com\"\n",
    );
    // This machine's clock 15 minutes ahead: METRO refuses the signatures.
    let output = home
        .run_with(&["doctor", "--json"], &[("MKT_CLOCK_OFFSET_SECS", "900")])
        .await;
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    let checks = json_lines(&output);
    let find = |account: &str, check: &str| {
        checks
            .iter()
            .find(|c| c["account"] == account && c["check"] == check)
            .unwrap_or_else(|| panic!("no {check} check of {account}: {checks:?}"))
            .clone()
    };
    let clock = find("metro:t", "clock");
    assert_eq!(clock["ok"], false);
    let detail = clock["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("this machine's clock is 15m ahead"),
        "{detail}"
    );
    assert!(
        detail.contains("METRO refuses every signed request"),
        "{detail}"
    );
    let credentials = find("metro:t", "credentials");
    assert_eq!(credentials["ok"], false);
    assert!(
        credentials["fix"]
            .as_str()
            .unwrap()
            .contains("fix the clock first"),
        "{credentials}"
    );
    // Lectronz does not sign with time: its credentials pass, its clock is flagged.
    assert_eq!(find("lectronz:t", "credentials")["ok"], true);
    assert_eq!(find("lectronz:t", "clock")["ok"], false);

    // The right clock: everything passes but METRO has no subscription to serve's URL.
    let output = home.run(&["doctor", "--json"]).await;
    let checks = json_lines(&output);
    assert!(
        checks
            .iter()
            .filter(|c| c["check"] != "subscriptions")
            .all(|c| c["ok"] == true),
        "{checks:?}"
    );
    let subscriptions = checks
        .iter()
        .find(|c| c["check"] == "subscriptions")
        .unwrap();
    assert_eq!(
        subscriptions["fix"],
        "mkt subscriptions add --event order_created --url https://shop.example.com/hooks/metro-markets/events --fallback-email <you>"
    );
    assert_eq!(output.status.code(), Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscription_to_another_url_is_the_401_invalid_signature_explained() {
    let mock = mock().await;
    let home = Home::new();
    let receiver = accepting_receiver().await;
    let public = receiver.uri();
    home.configure(&mock, &format!("\n[serve]\npublic_url = \"{public}\"\n"));
    let url = format!("{public}/hooks/metro-markets/events");
    let slashed = format!("{url}/");
    // Subscribed with a trailing slash: METRO would sign another URL than serve checks.
    let add = home
        .run(&[
            "subscriptions",
            "add",
            "--event",
            "order_created",
            "--url",
            &slashed,
            "--fallback-email",
            "ops@example.com",
        ])
        .await;
    assert!(add.status.success(), "{}", stderr(&add));
    let list = home.run(&["subscriptions", "list", "--json"]).await;
    let rows = json_lines(&list);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["url"], slashed.as_str());
    let id = rows[0]["id"].as_str().unwrap().to_owned();

    let output = home.run(&["doctor", "--json"]).await;
    let checks = json_lines(&output);
    let check = checks
        .iter()
        .find(|c| c["check"] == "subscriptions")
        .unwrap();
    assert_eq!(check["ok"], false);
    assert!(
        check["detail"]
            .as_str()
            .unwrap()
            .contains("401 invalid_signature"),
        "{check}"
    );
    assert!(
        check["fix"].as_str().unwrap().starts_with(&format!(
            "mkt subscriptions remove {id} && mkt subscriptions add"
        )),
        "{check}"
    );

    // Fixed as told: doctor passes.
    let remove = home.run(&["subscriptions", "remove", &id]).await;
    assert!(remove.status.success(), "{}", stderr(&remove));
    let add = home
        .run(&[
            "subscriptions",
            "add",
            "--event",
            "order_created",
            "--url",
            &url,
            "--fallback-email",
            "ops@example.com",
        ])
        .await;
    assert!(add.status.success(), "{}", stderr(&add));
    let output = home.run(&["doctor"]).await;
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
}
