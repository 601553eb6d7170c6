//! Any 2xx is success, for every operation of every client, whichever 2xx the spec
//! documents: a write answered `200` instead of its documented `201`/`202` must not
//! be reported as failed, or the caller sends the message again.
//!
//! Each success fixture is replayed with its recorded request and body under other
//! 2xx statuses; a 2xx whose body does not decode is an error that says the request
//! succeeded.

use marketplace_conformance::Outcome;
use marketplace_conformance::{MARKETPLACES, Scenario, fixture_files};
use marketplace_sdk::runtime::RetryPolicy;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Every success fixture of every client.
fn success_scenarios() -> Vec<Scenario> {
    let mut out = Vec::new();
    for marketplace in MARKETPLACES {
        for file in fixture_files(marketplace.name) {
            let scenario = Scenario::load(&file.spec, &file.operation, &file.case)
                .unwrap_or_else(|e| panic!("{e}"));
            if (200..300).contains(&scenario.fixture.response.status) {
                out.push(scenario);
            }
        }
    }
    assert!(out.len() > 20, "only {} success fixtures found", out.len());
    out
}

/// The recorded response's headers with `status` and `body` instead.
fn answer(scenario: &Scenario, status: u16, body: Option<&[u8]>) -> ResponseTemplate {
    let mut template = ResponseTemplate::new(status);
    for (name, value) in &scenario.fixture.response.headers {
        template = template.insert_header(name.as_str(), value.as_str());
    }
    match body {
        Some(body) => template.set_body_raw(body.to_vec(), "application/json"),
        None => template,
    }
}

fn recorded_body(scenario: &Scenario) -> Option<Vec<u8>> {
    let response = &scenario.fixture.response;
    match (&response.body, &response.raw_body) {
        (Some(json), _) => Some(serde_json::to_vec(json).unwrap()),
        (None, Some(raw)) => Some(raw.clone().into_bytes()),
        (None, None) => None,
    }
}

async fn run(scenario: &Scenario, template: ResponseTemplate) -> (Outcome, usize) {
    let server = MockServer::start().await;
    Mock::given(scenario.recorded_request())
        .respond_with(template)
        .mount(&server)
        .await;
    let outcome = scenario
        .run_against(&server.uri(), RetryPolicy::none(), None)
        .await;
    let received = server.received_requests().await.map_or(0, |r| r.len());
    (outcome, received)
}

#[tokio::test]
async fn every_operation_accepts_any_2xx_with_its_documented_body() {
    for scenario in success_scenarios() {
        let body = recorded_body(&scenario);
        for status in [200, 201, 202, 203, 299] {
            let at = format!("{} answered {status}", scenario.file.display());
            let (outcome, received) =
                run(&scenario, answer(&scenario, status, body.as_deref())).await;
            assert_eq!(received, 1, "{at}");
            match outcome {
                Outcome::Success { status: got, .. } => assert_eq!(got, status, "{at}"),
                other => panic!("{at}: expected a success, got {other:?}"),
            }
        }
    }
}

#[tokio::test]
async fn a_write_without_a_documented_body_accepts_204_and_a_2xx_with_a_body() {
    let empty: Vec<Scenario> = success_scenarios()
        .into_iter()
        .filter(|s| recorded_body(s).is_none())
        .collect();
    assert!(!empty.is_empty(), "no success fixture without a body");
    for scenario in empty {
        for (status, body) in [
            (204, None),
            (200, Some(&br#"{"result":"ok"}"#[..])),
            (201, Some(&b"<html>created</html>"[..])),
        ] {
            let at = format!("{} answered {status}", scenario.file.display());
            let (outcome, _) = run(&scenario, answer(&scenario, status, body)).await;
            assert!(
                matches!(outcome, Outcome::Success { status: got, .. } if got == status),
                "{at}: {outcome:?}"
            );
        }
    }
}

#[tokio::test]
async fn a_2xx_whose_body_does_not_decode_says_the_request_succeeded() {
    for scenario in success_scenarios()
        .into_iter()
        .filter(|s| recorded_body(s).is_some())
    {
        for status in [200, 201, 202] {
            let at = format!("{} answered {status}", scenario.file.display());
            let (outcome, received) = run(
                &scenario,
                answer(&scenario, status, Some(b"<html>accepted</html>")),
            )
            .await;
            assert_eq!(received, 1, "{at}: never resent");
            let Outcome::Failure(err) = outcome else {
                panic!("{at}: expected an error, got {outcome:?}");
            };
            assert!(err.succeeded(), "{at}: {err}");
            assert!(err.is_decode(), "{at}: {err}");
            assert_eq!(err.status().map(|s| s.as_u16()), Some(status), "{at}");
            assert!(
                err.to_string().contains("do not send it again"),
                "{at}: {err}"
            );
        }
    }
}
