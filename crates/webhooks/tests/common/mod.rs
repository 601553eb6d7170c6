//! Shared by the HTTP tests: a recording application and a loopback server.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use marketplace_webhooks::{Handler, HandlerError};

/// What the application does with the next event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    Accept,
    Fail,
    Panic,
}

/// The application: records every event it accepted; fails or panics on demand.
#[derive(Clone)]
pub struct Recorder<E> {
    received: Arc<Mutex<Vec<E>>>,
    script: Arc<Mutex<VecDeque<Behaviour>>>,
    gate: Arc<Mutex<Option<Arc<tokio::sync::Semaphore>>>>,
    entered: Arc<std::sync::atomic::AtomicUsize>,
}

impl<E> Default for Recorder<E> {
    fn default() -> Self {
        Recorder {
            received: Arc::default(),
            script: Arc::default(),
            gate: Arc::default(),
            entered: Arc::default(),
        }
    }
}

impl<E: Clone> Recorder<E> {
    /// The next events get these behaviours, in order; then `Accept`.
    pub fn script(&self, behaviours: &[Behaviour]) {
        self.script
            .lock()
            .unwrap()
            .extend(behaviours.iter().copied());
    }

    /// Every event the application accepted, in order.
    pub fn received(&self) -> Vec<E> {
        self.received.lock().unwrap().clone()
    }

    /// Waits (up to 10 s) until the handler has been called `n` times in all.
    pub async fn wait_entered(&self, n: usize) {
        for _ in 0..1000 {
            if self.entered.load(std::sync::atomic::Ordering::SeqCst) >= n {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("the handler was not called {n} times");
    }

    /// Makes the handler wait for a permit of the returned semaphore before deciding.
    pub fn hold(&self) -> Arc<tokio::sync::Semaphore> {
        let gate = Arc::new(tokio::sync::Semaphore::new(0));
        *self.gate.lock().unwrap() = Some(gate.clone());
        gate
    }
}

impl<E: Clone + Send + 'static> Handler<E> for Recorder<E> {
    async fn handle(&self, event: E) -> Result<(), HandlerError> {
        self.entered
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let gate = self.gate.lock().unwrap().clone();
        if let Some(gate) = gate {
            gate.acquire().await.expect("gate open").forget();
        }
        let next = self.script.lock().unwrap().pop_front();
        match next.unwrap_or(Behaviour::Accept) {
            Behaviour::Accept => {
                self.received.lock().unwrap().push(event);
                Ok(())
            }
            Behaviour::Fail => Err("the application's database is down".into()),
            Behaviour::Panic => panic!("the application panicked"),
        }
    }
}

/// Serves `app` on 127.0.0.1 with the crate's `serve` (which gives handlers the peer
/// address); returns its address. The server lives as long as the test's runtime.
pub async fn serve(app: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(marketplace_webhooks::axum::serve(
        listener,
        app,
        marketplace_webhooks::axum::ServeLimits::default(),
    ));
    addr
}

/// Status and JSON body of a response.
pub async fn answer(response: reqwest::Response) -> (u16, serde_json::Value) {
    let status = response.status().as_u16();
    assert_eq!(
        response.headers()["content-type"],
        "application/json",
        "every answer is JSON"
    );
    let body = response.bytes().await.unwrap();
    let json = serde_json::from_slice(&body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&body)));
    (status, json)
}

/// A fixture's request body and recorded response (`tests/fixtures/<spec>/<op>/`).
pub fn fixtures(
    spec: &str,
    operation: &str,
) -> Vec<(String, serde_json::Value, u16, serde_json::Value)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(spec)
        .join(operation);
    let mut out = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    for path in paths {
        let fixture: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        out.push((
            path.file_stem().unwrap().to_string_lossy().into_owned(),
            fixture["request"]["body"].clone(),
            u16::try_from(fixture["response"]["status"].as_u64().unwrap()).unwrap(),
            fixture["response"]["body"].clone(),
        ));
    }
    out
}

/// Everything logged on this thread while the guard lives, as text (one event a
/// line, `LEVEL target: message fields`). The tests run on tokio's current-thread
/// runtime, so the server's tasks log on the test's thread too. One global subscriber
/// writes to the current thread's capture: per-thread subscribers (`set_default`)
/// race with callsite-interest caching when tests run in parallel.
#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<u8>>>);

thread_local! {
    static CAPTURE: std::cell::RefCell<Option<Logs>> = const { std::cell::RefCell::new(None) };
}

/// Stops the capture on drop.
pub struct Capturing;

impl Drop for Capturing {
    fn drop(&mut self) {
        CAPTURE.with(|c| c.borrow_mut().take());
    }
}

/// Writes to the current thread's capture, if any.
struct ThreadWriter;

impl std::io::Write for ThreadWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        CAPTURE.with(|c| {
            if let Some(logs) = &*c.borrow() {
                logs.0.lock().unwrap().extend_from_slice(buf);
            }
        });
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    pub fn capture() -> (Logs, Capturing) {
        static INSTALL: std::sync::Once = std::sync::Once::new();
        INSTALL.call_once(|| {
            tracing_subscriber::fmt()
                .with_max_level(tracing::Level::DEBUG)
                .without_time()
                .with_writer(|| ThreadWriter)
                .init();
        });
        let logs = Logs::default();
        CAPTURE.with(|c| *c.borrow_mut() = Some(logs.clone()));
        (logs, Capturing)
    }

    /// The captured lines that contain every one of `needles`.
    pub fn lines_with(&self, needles: &[&str]) -> Vec<String> {
        self.text()
            .lines()
            .filter(|line| needles.iter().all(|n| line.contains(n)))
            .map(str::to_owned)
            .collect()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}
