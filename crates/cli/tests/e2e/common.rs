//! Shared by the end-to-end tests: a home of its own for each test (configuration,
//! data, `--mock` state), the built `mkt` binary with a pinned "now", and a mock
//! marketplace held by the test so that it can read the mock's journal and set faults.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use marketplace_mock::{MockConfig, MockMarketplace};
use serde_json::Value;

/// The "now" every test runs at (`MKT_NOW`): waiting times are computed from it, so
/// tables are the same on every run. The mock's world ends on 2026-01-01.
pub const NOW: &str = "2026-01-02T12:00:00Z";

/// A home directory, a configuration path and an environment of their own.
pub struct Home {
    pub dir: tempfile::TempDir,
}

impl Home {
    pub fn new() -> Self {
        Home {
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn config_path(&self) -> PathBuf {
        self.path().join("config.toml")
    }

    /// `mkt` with this home (see [`mkt_in`]).
    pub fn mkt(&self) -> assert_cmd::Command {
        mkt_in(self.path())
    }

    /// Writes a configuration pointing at `mock` with the credentials it accepts
    /// (each account named `t`) and the store inside this home, plus `extra` TOML.
    pub fn configure(&self, mock: &MockMarketplace, extra: &str) {
        let store = self.path().join("inbox.sqlite");
        let text = config_for(mock).replace("{STORE}", &store.display().to_string());
        std::fs::write(self.config_path(), format!("{text}{extra}")).expect("config written");
    }

    /// `mkt --config <this home's config> args…`, run while the test's mock keeps
    /// serving on the runtime's other threads.
    pub async fn run(&self, args: &[&str]) -> Output {
        self.run_with(args, &[]).await
    }

    /// `mkt --config <this home's config> args…` when no mock is involved.
    pub fn run_blocking(&self, args: &[&str]) -> Output {
        let mut command = self.mkt();
        command.arg("--config").arg(self.config_path()).args(args);
        command.output().expect("mkt runs")
    }

    /// [`Home::run`] with extra environment variables.
    pub async fn run_with(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut command = self.mkt();
        command.arg("--config").arg(self.config_path()).args(args);
        for (k, v) in env {
            command.env(k, v);
        }
        tokio::task::spawn_blocking(move || command.output().expect("mkt runs"))
            .await
            .expect("the blocking task ends")
    }
}

/// `mkt` living in `home`: its own configuration and data directories, no colours,
/// the pinned now, nothing inherited that would change its behaviour.
pub fn mkt_in(home: &Path) -> assert_cmd::Command {
    assert_cmd::Command::from_std(std_command_in(home))
}

/// [`mkt_in`] as a `std` command, for a process the test keeps running (`serve`).
pub fn std_command_in(home: &Path) -> std::process::Command {
    let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("mkt"));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("MKT_NOW", NOW)
        .env("NO_COLOR", "1");
    command
}

/// A configuration for `mock`: one account `t` per marketplace.
pub fn config_for(mock: &MockMarketplace) -> String {
    let (lz, metro, sky, ya) = (mock.lectronz(), mock.metro(), mock.skyhub(), mock.yandex());
    format!(
        r#"[store]
path = "{{STORE}}"

[lectronz.t]
api_key = "{}"
base_url = "{}"

[metro.t]
client_key = "{}"
client_secret = "{}"
message_center_url = "{}"
subscriptions_url = "{}"

[skyhub.t]
user_email = "{}"
identity_id = "00007604079750"
api_key = "{}"
account_manager_key = "{}"
requests_per_second = 0
base_url = "{}"

[yandex.t]
business_id = {}
api_key = "{}"
base_url = "{}"
"#,
        lz.api_key,
        lz.base_url,
        metro.client_id,
        metro.client_secret,
        metro.message_center_url,
        metro.subscriptions_url,
        sky.user_email,
        sky.api_key,
        sky.account_manager_key,
        sky.base_url,
        mock.yandex().business_id,
        ya.api_key,
        ya.base_url,
    )
}

/// A small world (4 threads per marketplace), SkyHub unthrottled.
pub async fn mock() -> MockMarketplace {
    let mut config = MockConfig {
        threads: 4,
        ..MockConfig::default()
    };
    config.unconfirmed.skyhub_requests_per_second = None;
    MockMarketplace::start(config)
        .await
        .expect("loopback ports bind")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The JSON lines of an output.
pub fn json_lines(output: &Output) -> Vec<Value> {
    stdout(output)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {e}: {l}")))
        .collect()
}

/// A receiver that answers every METRO delivery as METRO requires (`200
/// {"status":"OK"}`), so that subscriptions to it pass METRO's `test_connection`.
pub async fn accepting_receiver() -> wiremock::MockServer {
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(
            wiremock::ResponseTemplate::new(200).set_body_json(serde_json::json!({"status": "OK"})),
        )
        .mount(&server)
        .await;
    server
}

/// A `mkt` the test keeps running (`serve`, `sync --watch`), and the lines it printed so far.
pub struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Running {
    /// `mkt --config <home's config> args…`, stdout piped.
    pub fn start(home: &Home, args: &[&str]) -> Self {
        let mut command = std_command_in(home.path());
        let mut child = command
            .arg("--config")
            .arg(home.config_path())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("mkt starts");
        let out = child.stdout.take().unwrap();
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    return;
                }
            }
        });
        Running {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits (at most 30 s) for a line containing `text`; returns it.
    pub fn wait_for(&mut self, text: &str) -> String {
        if let Some(line) = self.seen.iter().find(|l| l.contains(text)) {
            return line.clone();
        }
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(30))
                .unwrap_or_else(|_| {
                    panic!(
                        "mkt never printed `{text}`; it printed:\n{}",
                        self.seen.join("\n")
                    )
                });
            self.seen.push(line.clone());
            if line.contains(text) {
                return line;
            }
        }
    }

    /// The next line it prints (at most 30 s).
    pub fn wait_next(&mut self) -> String {
        let line = self
            .lines
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| {
                panic!("mkt printed nothing more after:\n{}", self.seen.join("\n"))
            });
        self.seen.push(line.clone());
        line
    }

    /// Every line so far.
    pub fn seen(&self) -> &[String] {
        &self.seen
    }

    /// Ctrl-C, then everything it printed and its exit code.
    pub fn interrupt(mut self) -> (Vec<String>, Option<i32>) {
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
        (std::mem::take(&mut self.seen), status.code())
    }
}

impl Drop for Running {
    /// A test that fails midway leaves no `mkt` behind.
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
