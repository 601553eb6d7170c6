//! `mkt serve` + `mkt trigger`: a triggered METRO event and Yandex notification are
//! received, verified and logged once each; the Yandex one refreshes its chat; the
//! metrics count them; Ctrl-C stops the process cleanly.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use marketplace_mock::Api;
use serde_json::Value;

use crate::common::{Home, json_lines, mock, stderr, stdout};

/// A running `mkt serve` and the lines it printed so far.
struct Serve {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Serve {
    fn start(home: &Home) -> Self {
        let mut command = crate::common::std_command_in(home.path());
        let mut child = command
            .arg("--config")
            .arg(home.config_path())
            .args(["serve", "--listen", "127.0.0.1:0", "--interval", "3600"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("mkt serve starts");
        let out = child.stdout.take().unwrap();
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    return;
                }
            }
        });
        Serve {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits (at most 30 s) for a line containing `text`; returns it.
    fn wait_for(&mut self, text: &str) -> String {
        if let Some(line) = self.seen.iter().find(|l| l.contains(text)) {
            return line.clone();
        }
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(30))
                .unwrap_or_else(|_| {
                    panic!(
                        "serve never printed `{text}`; it printed:\n{}",
                        self.seen.join("\n")
                    )
                });
            self.seen.push(line.clone());
            if line.contains(text) {
                return line;
            }
        }
    }

    /// Ctrl-C, then everything it printed and its exit code.
    fn interrupt(mut self) -> (Vec<String>, Option<i32>) {
        let pid = self.child.id().to_string();
        let killed = std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap();
        assert!(killed.success());
        let status = self.child.wait().unwrap();
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.seen.push(line);
        }
        (self.seen, status.code())
    }
}

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

    let mut serve = Serve::start(&home);
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
