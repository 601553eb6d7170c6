//! The transport path of every call, end to end on loopback servers:
//!
//! * credentials never leave for another origin: a redirect elsewhere is refused
//!   before anything is sent there; a same-origin redirect is followed for reads
//!   only, with the credentials applied afresh (METRO re-signed over the new URL),
//!   and a write is never re-sent by a redirect;
//! * every attempt of a METRO call is signed afresh (its own timestamp);
//! * reading the body is part of a read's attempt (a connection that breaks or
//!   stalls mid-body is retried), while a write whose answer is lost is sent once
//!   and its error says the outcome is unknown.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::time::Duration;

use marketplace_conformance::Outcome;
use marketplace_conformance::{MARKETPLACES, Scenario, representative_fixtures};
use marketplace_sdk::runtime::{Clock, MetroHmac, RetryPolicy};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const METRO_CLIENT_ID: &str = "fake-metro-client-id";
const METRO_SECRET: &str = "fake-metro-client-secret";

/// The clients that call a marketplace's API with credentials, and the headers that
/// carry them. (The webhook-delivery clients only exist for tests.)
const API_CLIENTS: &[(&str, &[&str])] = &[
    ("lectronz", &["authorization"]),
    ("skyhub-sac", &["x-api-key", "x-accountmanager-key"]),
    ("yandex-market-chats", &["api-key"]),
    ("metro-message-center", &["x-signature", "x-timestamp"]),
    ("metro-subscriptions", &["x-signature", "x-timestamp"]),
];

/// The origin METRO fixtures are signed for (`MetroHmac::signed_origin`).
fn metro_signed_origin(marketplace: &str) -> Option<&'static str> {
    match marketplace {
        "metro-message-center" => Some(marketplace_sdk::metro_message_center::SANDBOX_BASE_URL),
        "metro-subscriptions" => Some(marketplace_sdk::metro_subscriptions::SANDBOX_BASE_URL),
        _ => None,
    }
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .max_retries(3)
        .backoff(Duration::from_millis(1), Duration::from_millis(5))
}

struct Case {
    scenario: Scenario,
    credentials: &'static [&'static str],
    /// Retried and redirected like a read: a GET, or a POST the spec declares
    /// `x-idempotent` (Yandex Market's chat list); the writes are POST/PATCH.
    read: bool,
}

/// The representative reads and writes of each API client (their first success
/// fixtures; a declared-idempotent POST too where the spec has one).
fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for (name, credentials) in API_CLIENTS {
        assert!(MARKETPLACES.iter().any(|m| m.name == *name), "{name}");
        let files = representative_fixtures(name);
        let first = cases.len();
        for file in files {
            let scenario = Scenario::load(&file.spec, &file.operation, &file.case)
                .unwrap_or_else(|e| panic!("{e}"));
            let read = scenario.is_idempotent();
            cases.push(Case {
                scenario,
                credentials,
                read,
            });
        }
        let mine = &cases[first..];
        assert!(
            mine.iter().any(|c| c.read) && mine.iter().any(|c| !c.read),
            "{name}: a read and a write"
        );
    }
    cases
}

fn at(case: &Case) -> String {
    case.scenario.file.display()
}

/// Whether the success answer has a body the client reads.
fn decodes_a_body(scenario: &Scenario) -> bool {
    scenario.fixture.response.body.is_some() || scenario.fixture.response.raw_body.is_some()
}

fn error(outcome: Outcome, at: &str) -> marketplace_sdk::Error {
    match outcome {
        Outcome::Failure(error) => error,
        other => panic!("{at}: expected an error, got {other:?}"),
    }
}

fn success(outcome: Outcome, at: &str) {
    assert!(
        matches!(outcome, Outcome::Success { .. }),
        "{at}: expected a success, got {outcome:?}"
    );
}

async fn requests(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap_or_default()
}

#[tokio::test]
async fn a_redirect_to_another_origin_is_refused_and_nothing_is_sent_there() {
    for case in cases() {
        let at = at(&case);
        let elsewhere = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(200))
            .mount(&elsewhere)
            .await;
        let marketplace = MockServer::start().await;
        let port = marketplace.address().port();
        // Another port, and the same server under another host name: both are
        // other origins.
        for target in [elsewhere.uri(), format!("http://localhost:{port}")] {
            marketplace.reset().await;
            let location = format!("{target}/moved?order=ORDER-4711");
            Mock::given(any())
                .respond_with(ResponseTemplate::new(307).insert_header("location", location))
                .mount(&marketplace)
                .await;
            let err = error(
                case.scenario
                    .run_against(&marketplace.uri(), fast_retries(), None)
                    .await,
                &at,
            );
            assert_eq!(requests(&marketplace).await.len(), 1, "{at}: {err}");
            assert!(requests(&elsewhere).await.is_empty(), "{at}: {err}");
            assert!(err.is_redirect(), "{at}: {err}");
            assert!(!err.is_outcome_unknown(), "{at}: {err}");
            let text = format!("{err} {err:?}");
            assert!(text.contains("307"), "{at}: {text}");
            assert!(
                text.contains(&target),
                "{at}: names the target origin: {text}"
            );
            assert!(!text.contains("ORDER-4711"), "{at}: no query: {text}");
        }
    }
}

#[tokio::test]
async fn a_same_origin_redirect_is_followed_for_reads_with_fresh_credentials_never_for_writes() {
    for case in cases() {
        let at = at(&case);
        let server = moving_server(&case.scenario).await;
        let outcome = case
            .scenario
            .run_against(&server.uri(), fast_retries(), None)
            .await;
        let received = requests(&server).await;
        if !case.read {
            let err = error(outcome, &at);
            assert_eq!(received.len(), 1, "{at}: a write is never re-sent: {err}");
            assert_eq!(err.status().map(|s| s.as_u16()), Some(307), "{at}: {err}");
            assert!(err.is_redirect(), "{at}: {err}");
            continue;
        }
        success(outcome, &at);
        assert_eq!(received.len(), 2, "{at}");
        let moved = &received[1];
        assert!(
            moved.url.path().starts_with("/moved/"),
            "{at}: {}",
            moved.url
        );
        for name in case.credentials {
            assert!(moved.headers.contains_key(*name), "{at}: {name} missing");
        }
        if let Some(origin) = metro_signed_origin(&case.scenario.file.spec) {
            let query = moved.url.query().map(|q| format!("?{q}"));
            let full_url = format!("{origin}{}{}", moved.url.path(), query.unwrap_or_default());
            let header = |name: &str| moved.headers[name].to_str().unwrap().to_owned();
            let timestamp: i64 = header("x-timestamp").parse().unwrap();
            let text = MetroHmac::string_to_sign("GET", &full_url, &moved.body, timestamp);
            assert!(
                MetroHmac::new(METRO_CLIENT_ID, METRO_SECRET).verify(&text, &header("x-signature")),
                "{at}: the followed request is signed over {full_url}"
            );
        }
    }
}

/// A clock that moves 20 s forward each time it is read, like a client that waited
/// out two `Retry-After: 20`.
#[derive(Debug, Default)]
struct SteppingClock(AtomicI64);

impl Clock for SteppingClock {
    fn now_unix(&self) -> i64 {
        1_757_581_999 + self.0.fetch_add(20, Ordering::SeqCst)
    }
}

#[tokio::test]
async fn every_metro_attempt_is_signed_afresh() {
    use marketplace_sdk::metro_message_center::{Auth, Client, ClientBuilder, SANDBOX_BASE_URL};

    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(503).insert_header("retry-after", "0"))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "status": "success", "message": "found", "data": {"count": 3}, "metadata": []
        })))
        .mount(&server)
        .await;
    let signer = MetroHmac::new(METRO_CLIENT_ID, METRO_SECRET)
        .clock(SteppingClock::default())
        .signed_origin(SANDBOX_BASE_URL);
    let client = ClientBuilder::<Client>::new(server.uri(), Auth::from(signer))
        .retry_policy(fast_retries())
        .build()
        .unwrap();
    let count = client.count_unseen_chats().send().await.unwrap();
    assert_eq!(count.data.count, 3);

    let received = requests(&server).await;
    assert_eq!(received.len(), 3);
    let mut timestamps = Vec::new();
    for request in &received {
        let header = |name: &str| request.headers[name].to_str().unwrap().to_owned();
        let timestamp: i64 = header("x-timestamp").parse().unwrap();
        let full_url = format!("{SANDBOX_BASE_URL}{}", request.url.path());
        let text = MetroHmac::string_to_sign("GET", &full_url, b"", timestamp);
        assert!(
            MetroHmac::new(METRO_CLIENT_ID, METRO_SECRET).verify(&text, &header("x-signature")),
            "attempt at {timestamp} is signed for its own timestamp"
        );
        timestamps.push(timestamp);
    }
    timestamps.dedup();
    assert_eq!(
        timestamps.len(),
        3,
        "each attempt has its own timestamp: {timestamps:?}"
    );
}

#[tokio::test]
async fn a_metro_call_that_waited_for_a_slot_is_signed_after_the_wait() {
    use marketplace_sdk::metro_message_center::{Auth, Client, ClientBuilder, SANDBOX_BASE_URL};
    use marketplace_sdk::runtime::ConcurrencyLimit;

    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(200)
                .set_delay(Duration::from_millis(300))
                .set_body_json(serde_json::json!({
                    "status": "success", "message": "found", "data": {"count": 3}, "metadata": []
                })),
        )
        .mount(&server)
        .await;
    let signer = MetroHmac::new(METRO_CLIENT_ID, METRO_SECRET)
        .clock(SteppingClock::default())
        .signed_origin(SANDBOX_BASE_URL);
    let client = ClientBuilder::<Client>::new(server.uri(), Auth::from(signer))
        .concurrency_limit(ConcurrencyLimit::global(1))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    // The first call takes the only slot (signed at +0); the second is prepared at
    // +20, waits 300 ms for the slot, and must go out signed afresh (+40).
    let (first, second) = tokio::join!(
        client.count_unseen_chats().send(),
        client.count_unseen_chats().send()
    );
    first.unwrap();
    second.unwrap();
    let mut timestamps: Vec<i64> = requests(&server)
        .await
        .iter()
        .map(|request| {
            request.headers["x-timestamp"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    timestamps.sort();
    assert_eq!(timestamps, [1_757_581_999, 1_757_581_999 + 40]);
}

/// How the first connection breaks after sending the response headers.
#[derive(Clone, Copy, Debug)]
enum Break {
    /// Part of the body, then a TCP reset.
    Reset,
    /// Part of the body, then an orderly close before `Content-Length` is reached.
    ShortClose,
    /// Part of the body, then nothing (past the client's timeout).
    Stall,
}

/// A loopback server whose first connection answers `status`, headers and part of
/// a body, then breaks; later connections are relayed to `then` (a wiremock server
/// serving the recorded answer). Returns its URI and a connection counter.
async fn breaking_server(how: Break, status: u16, then: &MockServer) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let uri = format!("http://{}", listener.local_addr().unwrap());
    let then = *then.address();
    let connections = Arc::new(AtomicUsize::new(0));
    let counter = connections.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            if counter.fetch_add(1, Ordering::SeqCst) > 0 {
                tokio::spawn(async move {
                    let mut upstream = tokio::net::TcpStream::connect(then).await.unwrap();
                    let _ = tokio::io::copy_bidirectional(&mut stream, &mut upstream).await;
                });
                continue;
            }
            let mut buffer = vec![0u8; 64 * 1024];
            let _ =
                tokio::time::timeout(Duration::from_millis(200), stream.read(&mut buffer)).await;
            let head = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{{\"data\":["
            );
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.flush().await;
            match how {
                Break::Reset => {
                    let _ = stream.set_zero_linger();
                    drop(stream);
                }
                Break::ShortClose => drop(stream),
                Break::Stall => {
                    tokio::spawn(async move {
                        tokio::time::sleep(Duration::from_secs(10)).await;
                        drop(stream);
                    });
                }
            }
        }
    });
    (uri, connections)
}

#[tokio::test]
async fn a_body_broken_after_the_headers_is_retried_for_reads_and_unknown_for_writes() {
    for how in [Break::Reset, Break::ShortClose, Break::Stall] {
        for case in cases() {
            let at = format!("{} ({how:?})", at(&case));
            let recorded = MockServer::start().await;
            Mock::given(any())
                .respond_with(case.scenario.recorded_response())
                .mount(&recorded)
                .await;
            let status = case.scenario.fixture.response.status;
            let (uri, connections) = breaking_server(how, status, &recorded).await;
            let outcome = case
                .scenario
                .run_against(&uri, fast_retries(), Some(Duration::from_millis(700)))
                .await;
            if case.read {
                success(outcome, &at);
                assert_eq!(connections.load(Ordering::SeqCst), 2, "{at}");
                continue;
            }
            assert_eq!(connections.load(Ordering::SeqCst), 1, "{at}: sent once");
            if !decodes_a_body(&case.scenario) {
                // "Done, no body": the status is the whole answer.
                success(outcome, &at);
                continue;
            }
            let err = error(outcome, &at);
            assert!(err.is_outcome_unknown(), "{at}: {err}");
            assert!(!err.is_connect(), "{at}: {err}");
            if matches!(how, Break::Stall) {
                assert!(err.is_timeout(), "{at}: {err}");
            }
        }
    }
}

#[tokio::test]
async fn a_write_that_never_connected_is_not_sent_and_one_that_timed_out_may_have_been() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_uri = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    // Accepts, reads the request, never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_uri = format!("http://{}", silent.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = silent.accept().await {
            held.push(stream);
        }
    });
    for case in cases().into_iter().filter(|case| !case.read) {
        let at = at(&case);
        let err = error(
            case.scenario
                .run_against(&closed_uri, fast_retries(), None)
                .await,
            &at,
        );
        assert!(err.is_connect() && !err.is_outcome_unknown(), "{at}: {err}");
        let err = error(
            case.scenario
                .run_against(
                    &silent_uri,
                    fast_retries(),
                    Some(Duration::from_millis(300)),
                )
                .await,
            &at,
        );
        assert!(err.is_timeout() && err.is_outcome_unknown(), "{at}: {err}");
    }
}

/// Answers every request with a same-origin redirect to `/moved` plus its own path
/// and query, and `/moved…` with the scenario's recorded answer.
async fn moving_server(scenario: &Scenario) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(|request: &Request| request.url.path().starts_with("/moved"))
        .respond_with(scenario.recorded_response())
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(|request: &Request| {
            let query = request.url.query().map(|q| format!("?{q}"));
            let location = format!("/moved{}{}", request.url.path(), query.unwrap_or_default());
            ResponseTemplate::new(307).insert_header("location", location)
        })
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn a_read_sent_as_post_follows_a_same_origin_redirect_with_its_body() {
    // Yandex Market's `getChats` is `x-idempotent: true`.
    let scenario =
        Scenario::load("yandex-market-chats", "get_chats", "first_page_filtered").unwrap();
    let server = moving_server(&scenario).await;
    success(
        scenario
            .run_against(&server.uri(), fast_retries(), None)
            .await,
        "get_chats",
    );
    let received = requests(&server).await;
    assert_eq!(received.len(), 2);
    assert!(
        received[1].url.path().starts_with("/moved/"),
        "{}",
        received[1].url
    );
    assert_eq!(received[1].method.as_str(), "POST");
    assert_eq!(received[1].body, received[0].body);
    assert!(!received[1].body.is_empty());
    assert!(received[1].headers.contains_key("api-key"));
}

#[tokio::test]
async fn same_origin_redirects_stop_after_five_hops() {
    let case = cases().into_iter().find(|case| case.read).unwrap();
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(|request: &Request| {
            ResponseTemplate::new(302).insert_header("location", request.url.path())
        })
        .mount(&server)
        .await;
    let err = error(
        case.scenario
            .run_against(&server.uri(), fast_retries(), None)
            .await,
        &at(&case),
    );
    assert!(err.is_redirect(), "{err}");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(302), "{err}");
    assert_eq!(requests(&server).await.len(), 6, "the request and 5 hops");
}
