//! The `record` binary end to end, against the embedded mock marketplace (and a
//! wiremock server where a marketplace must misbehave), writing into a scratch copy
//! of the workspace's `specs/` and `tests/fixtures/`: one operation of every client
//! is recorded, scrubbed, and passes the spec stage and the replay of `cargo xtask
//! check`; live credentials and real e-mail addresses are refused.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use marketplace_mock::{Api, MockConfig, MockMarketplace};
use tempfile::TempDir;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Environment variables for the child: the credentials.
type Env = Vec<(&'static str, String)>;

/// The mock and the servers a test needs, on their own runtime: the test thread
/// stays outside it, where the checks start runtimes of their own.
struct World {
    runtime: tokio::runtime::Runtime,
    mock: MockMarketplace,
}

impl World {
    fn start() -> World {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let mock = runtime
            .block_on(MockMarketplace::start(MockConfig::default()))
            .unwrap();
        World { runtime, mock }
    }

    fn lectronz_env(&self) -> Env {
        vec![(
            "MKT_LECTRONZ_DEFAULT_API_KEY",
            self.mock.lectronz().api_key.clone(),
        )]
    }

    fn metro_env(&self) -> Env {
        let metro = self.mock.metro();
        vec![
            ("MKT_METRO_DEFAULT_CLIENT_KEY", metro.client_id.clone()),
            (
                "MKT_METRO_DEFAULT_CLIENT_SECRET",
                metro.client_secret.clone(),
            ),
        ]
    }
}

/// A scratch copy of the workspace's specs and fixtures.
fn scratch_tree() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    let workspace = marketplace_conformance::workspace_root();
    for folder in ["specs", "tests/fixtures"] {
        copy_dir(&workspace.join(folder), &dir.path().join(folder));
    }
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            copy_dir(&path, &to.join(entry.file_name()));
        } else {
            std::fs::copy(&path, to.join(entry.file_name())).unwrap();
        }
    }
}

/// Runs `record <args> --root <tree>` with exactly the credentials in `env` (any
/// `MKT_*` of the test's own environment removed).
fn record(tree: &Path, env: &[(&str, String)], args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_record"));
    for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("MKT_")) {
        command.env_remove(name);
    }
    command
        .args(args)
        .arg("--root")
        .arg(tree)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap()
}

fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[track_caller]
fn succeeded(output: &Output) {
    let (stdout, stderr) = text(output);
    assert!(
        output.status.success(),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
}

fn fixture_path(tree: &Path, spec: &str, operation: &str, case: &str) -> PathBuf {
    tree.join(format!("tests/fixtures/{spec}/{operation}/{case}.json"))
}

/// The written fixture passes what `cargo xtask check` runs on it: the spec stage
/// of its spec (house rules, surfaces, coverage, every fixture's schemas) and its
/// replay through the generated client against its snapshot.
#[track_caller]
fn passes_check(tree: &Path, spec: &str, operation: &str, case: &str) -> String {
    let report = marketplace_spec_check::check_spec(tree, spec);
    assert!(report.problems.is_empty(), "{:#?}", report.problems);
    marketplace_conformance::check_fixture_in(tree, spec, operation, case).unwrap();
    let snapshot = fixture_path(tree, spec, operation, case).with_extension("snap");
    assert!(snapshot.is_file(), "no snapshot beside the fixture");
    std::fs::read_to_string(fixture_path(tree, spec, operation, case)).unwrap()
}

/// Every live value the mock's credentials hold.
fn live_values(world: &World) -> Vec<String> {
    let mock = &world.mock;
    vec![
        mock.lectronz().api_key.clone(),
        mock.skyhub().user_email.clone(),
        mock.skyhub().api_key.clone(),
        mock.skyhub().account_manager_key.clone(),
        mock.yandex().api_key.clone(),
        mock.metro().client_id.clone(),
        mock.metro().client_secret.clone(),
    ]
}

#[test]
fn one_operation_of_every_client_is_recorded_scrubbed_and_passes_the_checks() {
    let world = World::start();
    let tree = scratch_tree();
    let root = tree.path();
    let mock = &world.mock;
    let skyhub = mock.skyhub();
    let yandex = mock.yandex();

    // A receiver that answers METRO's test delivery, so the subscription is created.
    let receiver = world.runtime.block_on(async {
        let server = MockServer::start().await;
        Mock::given(wiremock::matchers::any())
            .respond_with(
                ResponseTemplate::new(200).set_body_json(serde_json::json!({"status": "OK"})),
            )
            .mount(&server)
            .await;
        server
    });
    let subscription = serde_json::json!({
        "url": format!("{}/hooks/metro", receiver.uri()),
        "event": "order_created",
        "fallbackEmail": "ops.lead@shop-corp.de",
        "isActive": true,
    })
    .to_string();

    let strings = |list: &[&str]| {
        list.iter()
            .map(|s| (*s).to_owned())
            .collect::<Vec<String>>()
    };
    let cases: Vec<(&str, &str, Env, Vec<String>)> = vec![
        (
            "lectronz",
            "get_message",
            world.lectronz_env(),
            strings(&["--arg", "id=1"]),
        ),
        (
            "skyhub-sac",
            "list_chats",
            vec![
                ("MKT_SKYHUB_DEFAULT_USER_EMAIL", skyhub.user_email.clone()),
                ("MKT_SKYHUB_DEFAULT_API_KEY", skyhub.api_key.clone()),
                (
                    "MKT_SKYHUB_DEFAULT_ACCOUNT_MANAGER_KEY",
                    skyhub.account_manager_key.clone(),
                ),
            ],
            strings(&["--arg", "code=Lojas Americanas-9999900001"]),
        ),
        (
            "yandex-market-chats",
            "get_chats",
            vec![("MKT_YANDEX_DEFAULT_API_KEY", yandex.api_key.clone())],
            strings(&[
                "--arg",
                &format!("businessId={}", yandex.business_id),
                "--arg",
                "limit=2",
                "--body",
                "{}",
            ]),
        ),
        (
            "metro-message-center",
            "list_chats",
            world.metro_env(),
            strings(&["--arg", "limit=2"]),
        ),
        (
            "metro-subscriptions",
            "create_subscription",
            world.metro_env(),
            strings(&["--body", &subscription]),
        ),
    ];
    let base_urls = [
        mock.lectronz().base_url.clone(),
        skyhub.base_url.clone(),
        yandex.base_url.clone(),
        mock.metro().message_center_url.clone(),
        mock.metro().subscriptions_url.clone(),
    ];
    let live = live_values(&world);
    for ((spec, operation, env, args), base_url) in cases.iter().zip(&base_urls) {
        let mut all = vec![
            *spec,
            *operation,
            "--case",
            "recorded",
            "--base-url",
            base_url,
        ];
        all.extend(args.iter().map(String::as_str));
        let output = record(root, env, &all);
        succeeded(&output);
        let fixture = passes_check(root, spec, operation, "recorded");
        for value in &live {
            assert!(
                !fixture.contains(value.as_str()),
                "{spec}: a live credential in\n{fixture}"
            );
        }
        assert!(
            !fixture.contains(base_url.as_str()),
            "{spec}: the mock's address in\n{fixture}"
        );
        assert!(fixture.contains("\"now\": 1768478400"), "{spec}: {fixture}");
        let parsed: serde_json::Value = serde_json::from_str(&fixture).unwrap();
        let status = parsed["response"]["status"].as_u64().unwrap();
        assert!((200..300).contains(&status), "{spec}: {fixture}");
        // What each marketplace's answer held of people is placeholders now.
        let expected: &[&str] = match *spec {
            "lectronz" => &["\"content\": \"Text 1\""],
            "skyhub-sac" => &[
                "\"name\": \"Person 1\"",
                "\"email\": \"person-1@example.invalid\"",
                "\"content\": \"Text 1\"",
            ],
            "yandex-market-chats" => &["\"name\": \"Person 1\""],
            "metro-message-center" => {
                &["\"firstName\": \"Person 1\"", "\"lastName\": \"Person 2\""]
            }
            _ => &["\"fallbackEmail\": \"person-1@example.invalid\""],
        };
        for part in expected {
            assert!(fixture.contains(part), "{spec}: {part} not in\n{fixture}");
        }
    }
    // The METRO subscription's body changed (its e-mail), so it was signed again:
    // the replay above checked that signature against the runtime's signer.
    let subscription = std::fs::read_to_string(fixture_path(
        root,
        "metro-subscriptions",
        "create_subscription",
        "recorded",
    ))
    .unwrap();
    assert!(!subscription.contains("shop-corp.de"), "{subscription}");
}

#[test]
fn a_secret_and_an_email_in_a_response_are_refused_and_nothing_is_written() {
    let tree = scratch_tree();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let live_key = "live-lectronz-key-5f3a";
    // A marketplace that echoes the key it was given, and names a person to write to.
    let server = runtime.block_on(async {
        let server = MockServer::start().await;
        Mock::given(wiremock::matchers::path("/api/v1/messages/7"))
            .respond_with(ResponseTemplate::new(401).set_body_json(serde_json::json!({
                "errors": [{"status": 401, "title": "Unauthorized",
                    "detail": format!("key {live_key} is revoked; write to jane.doe@corp-mail.de")}],
            })))
            .mount(&server)
            .await;
        server
    });
    let uri = server.uri();
    let run = |extra: &[&str]| {
        let mut args = vec!["lectronz", "get_message", "--case", "echoed_key"];
        args.extend(["--base-url", &uri, "--arg", "id=7"]);
        args.extend(extra);
        record(
            tree.path(),
            &[("MKT_LECTRONZ_DEFAULT_API_KEY", live_key.to_owned())],
            &args,
        )
    };
    let output = run(&[]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    for part in [
        "refusing to write tests/fixtures/lectronz/get_message/echoed_key.json",
        "the value of MKT_LECTRONZ_DEFAULT_API_KEY at /response/body/errors/0/detail",
        "an e-mail address that is not a placeholder at /response/body/errors/0/detail",
        "tests/fixtures/scrub-rules.yaml (specs.lectronz)",
    ] {
        assert!(stderr.contains(part), "{part:?} not in:\n{stderr}");
    }
    let shown = format!("{stdout}{stderr}");
    assert!(
        !shown.contains(live_key) && !shown.contains("jane.doe"),
        "{shown}"
    );
    assert!(!fixture_path(tree.path(), "lectronz", "get_message", "echoed_key").exists());
    // The marketplace did receive the live key (the proxy added it on the way out).
    let received = runtime.block_on(server.received_requests()).unwrap();
    assert_eq!(
        received[0].headers["authorization"],
        format!("Bearer {live_key}")
    );

    // --dry-run refuses the same way: it would print the secret.
    let output = run(&["--dry-run"]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.is_empty() && !stderr.contains(live_key),
        "{stdout}{stderr}"
    );
}

/// A buyer writes the store's key and an e-mail address into a message on the
/// mock; without the rule for message text the recorder refuses, with the
/// workspace's rules the text becomes a placeholder.
#[test]
fn a_secret_planted_in_the_mock_is_refused_until_a_rule_scrubs_its_field() {
    let world = World::start();
    let tree = scratch_tree();
    let key = world.mock.lectronz().api_key.clone();
    let planted = world
        .mock
        .buyer_writes(
            Api::Lectronz,
            "100001",
            &format!("my key is {key}, mail me: ana.lima@mail.example.org"),
        )
        .unwrap();
    let args = |case: &'static str| {
        vec![
            "lectronz".to_owned(),
            "get_message".into(),
            "--case".into(),
            case.into(),
            "--base-url".into(),
            world.mock.lectronz().base_url.clone(),
            "--arg".into(),
            format!("id={}", planted.message),
        ]
    };
    let rules_path = tree.path().join("tests/fixtures/scrub-rules.yaml");
    let rules = std::fs::read_to_string(&rules_path).unwrap();
    let without_text_rule = rules.replace("    text: [content]\n", "    text: []\n");
    assert_ne!(
        rules, without_text_rule,
        "the Lectronz rule moved: update this test"
    );
    std::fs::write(&rules_path, &without_text_rule).unwrap();

    let refused = args("planted");
    let refused: Vec<&str> = refused.iter().map(String::as_str).collect();
    let output = record(tree.path(), &world.lectronz_env(), &refused);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("the value of MKT_LECTRONZ_DEFAULT_API_KEY at /response/body/content")
            && stderr
                .contains("an e-mail address that is not a placeholder at /response/body/content"),
        "{stderr}"
    );
    assert!(!stderr.contains(&key), "{stderr}");
    assert!(!fixture_path(tree.path(), "lectronz", "get_message", "planted").exists());

    std::fs::write(&rules_path, &rules).unwrap();
    let output = record(tree.path(), &world.lectronz_env(), &refused);
    succeeded(&output);
    let fixture = passes_check(tree.path(), "lectronz", "get_message", "planted");
    assert!(fixture.contains("\"content\": \"Text 1\""), "{fixture}");
    assert!(
        !fixture.contains(&key) && !fixture.contains("ana.lima"),
        "{fixture}"
    );
}

#[test]
fn dry_run_prints_the_fixture_and_what_it_decodes_to_and_writes_nothing() {
    let world = World::start();
    let tree = scratch_tree();
    let base_url = world.mock.lectronz().base_url.clone();
    let output = record(
        tree.path(),
        &world.lectronz_env(),
        &[
            "lectronz",
            "list_messages",
            "--case",
            "first_page",
            "--base-url",
            &base_url,
            "--arg",
            "limit=2",
            "--dry-run",
        ],
    );
    succeeded(&output);
    let (stdout, stderr) = text(&output);
    let (fixture, decoded) = stdout
        .split_once("\n# what the client decodes it to (the snapshot):\n")
        .unwrap_or_else(|| panic!("{stdout}"));
    let fixture: serde_json::Value = serde_json::from_str(fixture).unwrap();
    assert_eq!(
        fixture["request"]["query"],
        serde_json::json!({"limit": "2"})
    );
    assert_eq!(
        fixture["request"]["headers"]["authorization"],
        "Bearer fake-lectronz-api-key"
    );
    assert!(
        decoded.starts_with("status: 200\nMessageList {"),
        "{decoded}"
    );
    assert!(stderr.contains("dry run: nothing written"), "{stderr}");
    let written = tree
        .path()
        .join("tests/fixtures/lectronz/list_messages/first_page.json");
    assert!(!written.exists() && !written.with_extension("snap").exists());
}

#[test]
fn bad_input_is_refused_before_anything_is_sent() {
    let tree = scratch_tree();
    // Nothing listens here: each refusal must come before a request would.
    let nowhere = "http://127.0.0.1:9";
    let cases: Vec<(Env, Vec<&str>, &str)> = vec![
        (
            vec![],
            vec![
                "lectronz",
                "get_message",
                "--case",
                "x",
                "--base-url",
                nowhere,
                "--arg",
                "id=1",
            ],
            "set MKT_LECTRONZ_DEFAULT_API_KEY (the live credentials of account `DEFAULT` for lectronz)",
        ),
        (
            vec![("MKT_LECTRONZ_DEFAULT_API_KEY", "k".into())],
            vec![
                "lectronz",
                "get_message",
                "--case",
                "x",
                "--base-url",
                nowhere,
                "--arg",
                "id=1",
                "--account",
                "shop-2",
            ],
            "set MKT_LECTRONZ_SHOP_2_API_KEY (the live credentials of account `shop-2` for lectronz)",
        ),
        (
            vec![("MKT_LECTRONZ_DEFAULT_API_KEY", "k".into())],
            vec![
                "lectronz",
                "get_message",
                "--case",
                "Bad/Case",
                "--base-url",
                nowhere,
                "--arg",
                "id=1",
            ],
            "--case \"Bad/Case\": use lower-case letters, digits and `_`",
        ),
        (
            vec![("MKT_LECTRONZ_DEFAULT_API_KEY", "k".into())],
            vec![
                "lectronz",
                "get_message",
                "--case",
                "unread_customer_message",
                "--base-url",
                nowhere,
                "--arg",
                "id=1",
            ],
            "tests/fixtures/lectronz/get_message/unread_customer_message.json exists: choose another --case, or pass --force",
        ),
        (
            vec![("MKT_LECTRONZ_DEFAULT_API_KEY", "k".into())],
            vec![
                "lectronz",
                "get_message",
                "--case",
                "x",
                "--base-url",
                nowhere,
            ],
            "the path parameter `id` is required: add `--arg id=<value>`",
        ),
        (
            vec![
                ("MKT_METRO_DEFAULT_CLIENT_KEY", "k".into()),
                ("MKT_METRO_DEFAULT_CLIENT_SECRET", "s".into()),
            ],
            vec![
                "metro-events",
                "send_event",
                "--case",
                "x",
                "--base-url",
                nowhere,
            ],
            "metro-events cannot be recorded",
        ),
    ];
    for (env, args, expected) in cases {
        let output = record(tree.path(), &env, &args);
        let (_, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains(expected),
            "{args:?}: {expected:?} not in {stderr}"
        );
        assert!(
            !stderr.contains("did not answer"),
            "{args:?} sent a request: {stderr}"
        );
    }
}

#[test]
fn an_unreachable_marketplace_is_reported_and_nothing_is_written() {
    let tree = scratch_tree();
    // A port nobody listens on any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base_url = format!("http://127.0.0.1:{port}");
    let output = record(
        tree.path(),
        &[("MKT_LECTRONZ_DEFAULT_API_KEY", "k".into())],
        &[
            "lectronz",
            "get_message",
            "--case",
            "x",
            "--base-url",
            &base_url,
            "--arg",
            "id=1",
        ],
    );
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("{base_url} did not answer: error sending request")),
        "{stderr}"
    );
    assert!(!fixture_path(tree.path(), "lectronz", "get_message", "x").exists());
}
