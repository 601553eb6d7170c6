//! The fault matrix: for one GET and one POST/PATCH of every client, and one POST
//! the spec declares idempotent where there is one (their first success fixtures),
//! the ordinary ways marketplaces fail, each asserting the outcome *and* how many
//! requests the server received.
//!
//! Reads (GETs and POSTs marked `x-idempotent: true`) are retried (5xx, 420/429
//! honouring the server's wait, timeouts, resets); a write that timed out, was reset
//! or got a 5xx is sent exactly once, so a buyer never gets a message twice. Bodies
//! that do not decode (HTML, empty, invalid) are errors with their status, and a
//! truncated body a transport error, never panics; unknown enum values and unknown
//! fields decode.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use marketplace_conformance::Outcome;
use marketplace_conformance::{MARKETPLACES, Scenario, representative_fixtures};
use marketplace_sdk::runtime::RetryPolicy;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Fast retries so the matrix runs in seconds.
fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .max_retries(3)
        .backoff(Duration::from_millis(1), Duration::from_millis(5))
}

/// Every client's representative scenarios, with whether the spec declares them
/// idempotent (so the client retries them like reads).
fn scenarios() -> Vec<(Scenario, bool)> {
    let mut out = Vec::new();
    for marketplace in MARKETPLACES {
        let files = representative_fixtures(marketplace.name);
        assert!(
            !files.is_empty(),
            "{}: no success fixtures to run the matrix on",
            marketplace.name
        );
        for file in files {
            let scenario = Scenario::load(&file.spec, &file.operation, &file.case)
                .unwrap_or_else(|e| panic!("{e}"));
            let idempotent = scenario.is_idempotent();
            out.push((scenario, idempotent));
        }
    }
    out
}

fn name(scenario: &Scenario) -> String {
    scenario.file.display()
}

/// Whether the operation's success response has a body the client decodes. A
/// write documented as "200, no body" is accepted whatever bytes follow: reporting
/// it as failed would invite the caller to send the message again.
fn decodes_a_body(scenario: &Scenario) -> bool {
    scenario.fixture.response.body.is_some() || scenario.fixture.response.raw_body.is_some()
}

/// Serves `responses` in order, one each, to the recorded request; then counts.
async fn serve(scenario: &Scenario, responses: Vec<ResponseTemplate>) -> MockServer {
    let server = MockServer::start().await;
    for (i, response) in responses.into_iter().enumerate() {
        Mock::given(scenario.recorded_request())
            .respond_with(response)
            .up_to_n_times(1)
            .with_priority(u8::try_from(i + 1).expect("few responses"))
            .mount(&server)
            .await;
    }
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(418).set_body_string("unexpected request"))
        .with_priority(u8::MAX)
        .mount(&server)
        .await;
    server
}

async fn received(server: &MockServer) -> usize {
    server.received_requests().await.map_or(0, |r| r.len())
}

fn error(outcome: Outcome, at: &str) -> marketplace_sdk::Error {
    match outcome {
        Outcome::Failure(error) => error,
        other => panic!("{at}: expected an error, got {other:?}"),
    }
}

fn decoded(outcome: Outcome, at: &str) -> String {
    match outcome {
        Outcome::Success { decoded, .. } => decoded,
        other => panic!("{at}: expected a success, got {other:?}"),
    }
}

#[tokio::test]
async fn server_errors_are_retried_for_reads_and_never_for_writes() {
    for (scenario, idempotent) in scenarios() {
        let at = name(&scenario);
        let server = serve(
            &scenario,
            vec![
                ResponseTemplate::new(500),
                ResponseTemplate::new(502).set_body_string("<html>Bad Gateway</html>"),
                ResponseTemplate::new(503),
                scenario.recorded_response(),
            ],
        )
        .await;
        let outcome = scenario
            .run_against(&server.uri(), fast_retries(), None)
            .await;
        if idempotent {
            decoded(outcome, &at);
            assert_eq!(received(&server).await, 4, "{at}");
        } else {
            let err = error(outcome, &at);
            assert_eq!(err.status().map(|s| s.as_u16()), Some(500), "{at}: {err}");
            assert_eq!(
                received(&server).await,
                1,
                "{at}: a write must be sent once"
            );
        }
    }
}

#[tokio::test]
async fn rate_limits_wait_for_retry_after_in_seconds() {
    for (scenario, idempotent) in scenarios() {
        let at = name(&scenario);
        let server = serve(
            &scenario,
            vec![
                ResponseTemplate::new(429).insert_header("retry-after", "1"),
                scenario.recorded_response(),
            ],
        )
        .await;
        let started = Instant::now();
        let outcome = scenario
            .run_against(&server.uri(), fast_retries(), None)
            .await;
        if idempotent {
            decoded(outcome, &at);
            assert!(
                started.elapsed() >= Duration::from_secs(1),
                "{at}: waited {:?}",
                started.elapsed()
            );
            assert_eq!(received(&server).await, 2, "{at}");
        } else {
            let err = error(outcome, &at);
            assert!(err.is_rate_limited(), "{at}: {err}");
            assert_eq!(err.retry_after(), Some(Duration::from_secs(1)), "{at}");
            assert_eq!(received(&server).await, 1, "{at}");
        }
    }
}

/// The server's clock as an HTTP date (whole seconds), and the date `wait` later.
fn http_dates(wait: chrono::Duration) -> (String, String) {
    let format = "%a, %d %b %Y %H:%M:%S GMT";
    let now = chrono::Utc::now();
    (
        now.format(format).to_string(),
        (now + wait).format(format).to_string(),
    )
}

#[tokio::test]
async fn status_420_waits_for_an_http_date_retry_after() {
    for (scenario, idempotent) in scenarios() {
        let at = name(&scenario);
        // The runtime measures a date against the response's `Date`, so the wait is
        // exactly one second however the local clock's fraction of a second falls.
        let (date, in_a_second) = http_dates(chrono::Duration::seconds(1));
        let server = serve(
            &scenario,
            vec![
                ResponseTemplate::new(420)
                    .insert_header("date", date.as_str())
                    .insert_header("retry-after", in_a_second.as_str()),
                scenario.recorded_response(),
            ],
        )
        .await;
        let started = Instant::now();
        let outcome = scenario
            .run_against(&server.uri(), fast_retries(), None)
            .await;
        let waited = started.elapsed();
        if idempotent {
            decoded(outcome, &at);
            assert!(waited >= Duration::from_secs(1), "{at}: waited {waited:?}");
            assert_eq!(received(&server).await, 2, "{at}");
        } else {
            let err = error(outcome, &at);
            assert!(err.is_rate_limited(), "{at}: {err}");
            assert_eq!(err.retry_after(), Some(Duration::from_secs(1)), "{at}");
            assert_eq!(
                received(&server).await,
                1,
                "{at}: a write must be sent once"
            );
        }
    }
}

#[tokio::test]
async fn a_wait_longer_than_the_policy_allows_is_handed_to_the_caller() {
    for (scenario, _) in scenarios() {
        let at = name(&scenario);
        let server = serve(
            &scenario,
            vec![ResponseTemplate::new(429).insert_header("retry-after", "3600")],
        )
        .await;
        let err = error(
            scenario
                .run_against(&server.uri(), fast_retries(), None)
                .await,
            &at,
        );
        assert!(err.is_rate_limited(), "{at}: {err}");
        assert_eq!(err.retry_after(), Some(Duration::from_secs(3600)), "{at}");
        assert_eq!(received(&server).await, 1, "{at}");
    }
}

#[tokio::test]
async fn slow_responses_time_out_and_a_timed_out_write_is_sent_once() {
    for (scenario, idempotent) in scenarios() {
        let at = name(&scenario);
        let slow = scenario
            .recorded_response()
            .set_delay(Duration::from_secs(2));
        let server = serve(
            &scenario,
            vec![slow.clone(), slow.clone(), slow.clone(), slow],
        )
        .await;
        let timeout = Some(Duration::from_millis(150));
        let err = error(
            scenario
                .run_against(&server.uri(), fast_retries(), timeout)
                .await,
            &at,
        );
        assert!(err.is_timeout(), "{at}: {err}");
        assert_eq!(
            received(&server).await,
            if idempotent { 4 } else { 1 },
            "{at}"
        );
    }
}

#[tokio::test]
async fn bodies_that_do_not_decode_are_errors_with_their_status() {
    let bad_bodies = [
        (
            "an HTML page",
            "text/html",
            "<html><body>Maintenance</body></html>",
        ),
        ("an empty body", "application/json", ""),
        (
            "invalid JSON",
            "application/json",
            "{\"status\": \"success\", ",
        ),
    ];
    for (scenario, _) in scenarios() {
        let at = name(&scenario);
        for (what, content_type, body) in bad_bodies {
            let status = scenario.fixture.response.status;
            let response =
                ResponseTemplate::new(status).set_body_raw(body.as_bytes().to_vec(), content_type);
            let server = serve(&scenario, vec![response]).await;
            let outcome = scenario
                .run_against(&server.uri(), fast_retries(), None)
                .await;
            if decodes_a_body(&scenario) {
                let err = error(outcome, &at);
                assert!(err.is_decode(), "{at}, {what}: {err}");
                assert_eq!(
                    err.status().map(|s| s.as_u16()),
                    Some(status),
                    "{at}, {what}"
                );
            } else {
                decoded(outcome, &at);
            }
            assert_eq!(received(&server).await, 1, "{at}, {what}");
        }
    }
}

#[tokio::test]
async fn unknown_enum_values_and_unknown_fields_decode() {
    let mut enums_tried = 0;
    for (scenario, _) in scenarios() {
        let at = name(&scenario);
        let server = serve(&scenario, vec![scenario.recorded_response()]).await;
        let baseline = decoded(
            scenario
                .run_against(&server.uri(), fast_retries(), None)
                .await,
            &at,
        );

        if let Some(body) = scenario
            .fixture
            .response
            .body
            .clone()
            .filter(serde_json::Value::is_object)
        {
            let mut extended = body;
            extended["a_field_from_the_future"] = serde_json::json!({"nested": [1, 2, 3]});
            let response =
                ResponseTemplate::new(scenario.fixture.response.status).set_body_json(extended);
            let server = serve(&scenario, vec![response]).await;
            let with_extra = decoded(
                scenario
                    .run_against(&server.uri(), fast_retries(), None)
                    .await,
                &at,
            );
            assert_eq!(with_extra, baseline, "{at}: unknown fields must be ignored");
        }

        if let Some((body, value)) = scenario.body_with_unknown_enum_value() {
            enums_tried += 1;
            let response =
                ResponseTemplate::new(scenario.fixture.response.status).set_body_json(body);
            let server = serve(&scenario, vec![response]).await;
            let decoded = decoded(
                scenario
                    .run_against(&server.uri(), fast_retries(), None)
                    .await,
                &at,
            );
            assert!(decoded.contains("Other("), "{at}: {decoded}");
            assert!(decoded.contains(&format!("\"{value}\"")), "{at}: {decoded}");
        }
    }
    assert!(enums_tried > 0, "no scenario had an enum in its response");
}

/// What a raw TCP server does with each connection.
#[derive(Clone, Copy)]
enum Misbehaviour {
    /// Reads the request, then resets the connection without answering.
    Reset,
    /// Answers with this status, `Content-Length: 100` and 10 bytes, then closes.
    TruncatedBody(u16),
}

/// A loopback server that misbehaves; returns its URI and a connection counter.
async fn misbehaving_server(misbehaviour: Misbehaviour) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let uri = format!("http://{}", listener.local_addr().unwrap());
    let connections = Arc::new(AtomicUsize::new(0));
    let counter = connections.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            let mut buffer = vec![0u8; 64 * 1024];
            let _ =
                tokio::time::timeout(Duration::from_millis(200), stream.read(&mut buffer)).await;
            match misbehaviour {
                Misbehaviour::Reset => {
                    let _ = stream.set_zero_linger();
                }
                Misbehaviour::TruncatedBody(status) => {
                    let head = format!(
                        "HTTP/1.1 {status} Whatever\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n"
                    );
                    let _ = stream.write_all(head.as_bytes()).await;
                    let _ = stream.write_all(b"{\"status\":").await;
                    let _ = stream.flush().await;
                }
            }
            drop(stream);
        }
    });
    (uri, connections)
}

#[tokio::test]
async fn connection_resets_are_retried_for_reads_only() {
    for (scenario, idempotent) in scenarios() {
        let at = name(&scenario);
        let (uri, connections) = misbehaving_server(Misbehaviour::Reset).await;
        let err = error(scenario.run_against(&uri, fast_retries(), None).await, &at);
        assert!(err.status().is_none(), "{at}: {err}");
        assert_eq!(
            connections.load(Ordering::SeqCst),
            if idempotent { 4 } else { 1 },
            "{at}: {err}"
        );
    }
}

#[tokio::test]
async fn truncated_bodies_are_errors_retried_for_reads_only() {
    for (scenario, idempotent) in scenarios() {
        let at = name(&scenario);
        // The documented success status, so only the body is at fault.
        let status = scenario.fixture.response.status;
        let (uri, connections) = misbehaving_server(Misbehaviour::TruncatedBody(status)).await;
        let outcome = scenario.run_against(&uri, fast_retries(), None).await;
        if decodes_a_body(&scenario) {
            // The connection broke while the body was read: a transport error that
            // keeps its cause, not a decode error of a body that never arrived, nor
            // a failure to connect or a rejection before sending.
            let err = error(outcome, &at);
            assert_eq!(err.status(), None, "{at}: {err}");
            assert!(!err.is_decode(), "{at}: {err}");
            assert!(!err.is_connect(), "{at}: {err}");
            assert!(!err.is_timeout(), "{at}: {err}");
            assert!(!err.is_invalid_request(), "{at}: {err}");
            assert!(
                std::error::Error::source(&err).is_some(),
                "{at}: the transport cause is kept: {err:?}"
            );
            // A write whose answer was lost may have been processed: the caller must
            // be told, so that it does not blindly send the message again.
            if !idempotent {
                assert!(err.is_outcome_unknown(), "{at}: {err:?}");
            }
        } else {
            decoded(outcome, &at);
        }
        // Reading a read's body is part of its attempt (every attempt is cut short here).
        let attempts = if idempotent { 4 } else { 1 };
        assert_eq!(connections.load(Ordering::SeqCst), attempts, "{at}");
    }
}

#[tokio::test]
async fn connect_failures_are_reported_as_such() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let uri = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    for (scenario, _) in scenarios() {
        let at = name(&scenario);
        let err = error(scenario.run_against(&uri, fast_retries(), None).await, &at);
        assert!(err.is_connect(), "{at}: {err}");
    }
}
