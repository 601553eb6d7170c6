//! Secrets never leak: every fixture of every client is replayed (successes,
//! errors) plus a retried failure (a 503, then refused connections), with all
//! tracing captured at TRACE level (spans included, and the `Debug` of every client
//! and builder, which the replay harness logs), and every error's `Debug` and
//! `Display` collected. None of it may contain any of the fake secrets the clients
//! were given.

use std::io::Write;
use std::sync::{Arc, Mutex};

use marketplace_conformance::Outcome;
use marketplace_conformance::{MARKETPLACES, Scenario, fixture_files, representative_fixtures};
use marketplace_sdk::runtime::RetryPolicy;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::format::FmtSpan;

/// A `MakeWriter` that appends everything to one shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// A loopback server that answers one request `503` and stops listening as soon as
/// that connection is accepted, so every retry meets a refused connection. Returns
/// its URI; the task ends with the number of requests it answered.
async fn a_503_then_nothing() -> (String, tokio::task::JoinHandle<usize>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let uri = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let Ok((mut stream, _)) = listener.accept().await else {
            return 0;
        };
        drop(listener);
        let mut buffer = vec![0u8; 64 * 1024];
        let _ = tokio::time::timeout(
            std::time::Duration::from_millis(500),
            stream.read(&mut buffer),
        )
        .await;
        let answer =
            "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
        let _ = stream.write_all(answer.as_bytes()).await;
        let _ = stream.shutdown().await;
        1
    });
    (uri, task)
}

#[tokio::test]
async fn no_secret_appears_in_traces_debug_or_errors() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::FULL)
        .with_ansi(false)
        .with_writer(captured.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let mut seen = String::new();
    let mut replayed = 0;
    let mut retried_after_503 = 0;
    for marketplace in MARKETPLACES {
        for file in fixture_files(marketplace.name) {
            let scenario = Scenario::load(&file.spec, &file.operation, &file.case).unwrap();
            match scenario.replay().await.unwrap() {
                Outcome::Failure(error) => seen.push_str(&format!("{error}\n{error:?}\n")),
                other => seen.push_str(&format!("{other:?}\n")),
            }
            replayed += 1;
        }
        // A retried call through the retry path: a read that gets a 503, then a
        // refused connection on every retry. A spec with only writes (which are not
        // retried after a 503) gets refused connections only.
        let fast = RetryPolicy::default().backoff(
            std::time::Duration::from_millis(1),
            std::time::Duration::from_millis(2),
        );
        let scenarios: Vec<Scenario> = representative_fixtures(marketplace.name)
            .iter()
            .map(|file| Scenario::load(&file.spec, &file.operation, &file.case).unwrap())
            .collect();
        let scenario = scenarios
            .iter()
            .find(|scenario| scenario.is_idempotent())
            .unwrap_or(&scenarios[0]);
        let at = scenario.file.display();
        let (uri, server) = if scenario.is_idempotent() {
            let (uri, server) = a_503_then_nothing().await;
            (uri, Some(server))
        } else {
            // A port that was just free: nothing listens on it any more.
            let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let uri = format!("http://{}", closed.local_addr().unwrap());
            drop(closed);
            (uri, None)
        };
        match scenario.run_against(&uri, fast, None).await {
            Outcome::Failure(error) => {
                assert!(error.is_connect(), "{at}: {error:?}");
                seen.push_str(&format!("{error}\n{error:?}\n"));
            }
            other => panic!("{at}: expected a connect failure, got {other:?}"),
        }
        if let Some(server) = server {
            assert_eq!(server.await.unwrap(), 1, "{at}: the 503 was answered");
            retried_after_503 += 1;
        }
    }
    assert!(replayed > 0);
    assert!(
        retried_after_503 > 0,
        "no read went through a 503 and a retry"
    );

    let traces = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        traces.contains("marketplace.call"),
        "the call spans were captured"
    );
    assert!(
        traces.contains("client built for replay"),
        "client Debug output was captured"
    );
    let everything = format!("{traces}\n{seen}");
    for marketplace in MARKETPLACES {
        for secret in marketplace.secrets() {
            assert!(
                !everything.contains(secret),
                "{}: a secret leaked:\n{everything}",
                marketplace.name
            );
        }
    }
}

/// Query strings hold personal data (order numbers, chat ids, paging cursors): no
/// event at any level and no error's `Debug`/`Display` may contain one. Every
/// fixture whose request has a query is run against a closed port (connect
/// failures, retried: the `retrying` and `request failed` events) and against a
/// server that answers headers then resets (a body error), with tracing captured.
#[tokio::test]
async fn no_query_string_appears_in_traces_or_errors() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::FULL)
        .with_ansi(false)
        .with_writer(captured.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_uri = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let resetting = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let resetting_uri = format!("http://{}", resetting.local_addr().unwrap());
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut stream, _)) = resetting.accept().await {
            let mut buffer = vec![0u8; 64 * 1024];
            let _ = stream.read(&mut buffer).await;
            let head = "HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{";
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.set_zero_linger();
        }
    });
    let fast = RetryPolicy::default().backoff(
        std::time::Duration::from_millis(1),
        std::time::Duration::from_millis(2),
    );

    let mut seen = String::new();
    let mut values = Vec::new();
    for marketplace in MARKETPLACES {
        for file in fixture_files(marketplace.name) {
            let scenario = Scenario::load(&file.spec, &file.operation, &file.case).unwrap();
            let query = &scenario.fixture.request.query;
            if query.is_empty() {
                continue;
            }
            // Values long enough not to occur by chance (`2`, `false`).
            values.extend(
                query
                    .values()
                    .filter(|value| {
                        value.len() >= 6 && value.bytes().all(|b| b.is_ascii_alphanumeric())
                    })
                    .cloned(),
            );
            for uri in [&closed_uri, &resetting_uri] {
                match scenario.run_against(uri, fast.clone(), None).await {
                    Outcome::Failure(error) => seen.push_str(&format!("{error}\n{error:?}\n")),
                    other => panic!("{}: expected a failure, got {other:?}", file.display()),
                }
            }
        }
    }
    assert!(values.len() >= 5, "query values to look for: {values:?}");

    let traces = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        traces.contains("retrying"),
        "the retry events were captured"
    );
    assert!(
        traces.contains("request failed"),
        "the failure events were captured"
    );
    let everything = format!("{traces}\n{seen}");
    for value in values {
        assert!(
            !everything.contains(&value),
            "the query value {value:?} leaked:\n{everything}"
        );
    }
}

/// The call span records what it says it records (marketplace, operation, attempt,
/// status, duration) when a subscriber listens, and the query stays out of it; the
/// runtime skips the span's work only when it is disabled, which this checks is not
/// the case here.
#[tokio::test]
async fn the_call_span_records_the_attempt_status_and_duration() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_span_events(FmtSpan::CLOSE)
        .with_ansi(false)
        .with_writer(captured.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/messages"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/messages"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!(
            {"limit": 20, "offset": 0, "total_count": 0, "messages": []}
        )))
        .mount(&server)
        .await;
    let client = marketplace_sdk::lectronz::Client::builder("fake-span-key")
        .base_url(server.uri())
        .retry_policy(RetryPolicy::default().backoff(
            std::time::Duration::from_millis(1),
            std::time::Duration::from_millis(2),
        ))
        .build()
        .unwrap();
    client.list_messages().limit(20u64).send().await.unwrap();

    let traces = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let closed = traces
        .lines()
        .find(|line| line.contains("marketplace.call") && line.contains("close"))
        .unwrap_or_else(|| panic!("no closed call span in:\n{traces}"));
    for field in [
        "marketplace=\"lectronz\"",
        "operation=\"list_messages\"",
        "attempt=2",
        "status=200",
        "duration_ms=",
    ] {
        assert!(closed.contains(field), "{field} missing in {closed}");
    }
    assert!(!traces.contains("limit=20"), "the query leaked:\n{traces}");
}
