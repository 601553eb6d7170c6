//! A fixture prepared for running: loaded, checked against the spec, and turned
//! into a call. Fixture replay uses it as recorded; the fault-matrix tests use it
//! to run the same call against scripted failures.

use std::path::Path;
use std::time::Duration;

use crate::call::{Call, Outcome};
use marketplace_codegen::Spec;
use marketplace_codegen::spec::{operations, resolve};
use marketplace_runtime::RetryPolicy;
use serde_json::Value;
use wiremock::{Request, ResponseTemplate};

use marketplace_spec_check::{Fixture, FixtureFile, SpecSchemas, conforms, fixture_file};

use crate::marketplaces::{self, Marketplace, ReplayContext};
use crate::{replay, workspace_root};

/// A fixture ready to run through its client.
pub struct Scenario {
    /// Where the fixture is.
    pub file: FixtureFile,
    /// The recorded exchange.
    pub fixture: Fixture,
    /// The call built from the recorded request.
    pub call: Call,
    spec: Spec,
    base_path: String,
    marketplace: &'static Marketplace,
}

impl Scenario {
    /// Loads `tests/fixtures/<spec>/<operation>/<case>.json`, checks it conforms to the
    /// spec and builds the call; the error names the fixture and every problem.
    pub fn load(spec_name: &str, operation: &str, case: &str) -> Result<Scenario, String> {
        Scenario::load_in(&workspace_root(), spec_name, operation, case)
    }

    /// [`Scenario::load`] from the specs and fixtures under `root` (a workspace, or a
    /// copy of its `specs/` and `tests/fixtures/`).
    pub fn load_in(
        root: &Path,
        spec_name: &str,
        operation: &str,
        case: &str,
    ) -> Result<Scenario, String> {
        let file = fixture_file(root, spec_name, operation, case);
        let fail =
            |problems: Vec<String>| format!("{}:\n  {}", file.display(), problems.join("\n  "));
        let fixture = file.load()?;
        let spec = marketplace_spec_check::load(root, spec_name)?;
        let ops = operations(&spec.document);
        let op = ops.iter().find(|op| op.id() == operation).ok_or_else(|| {
            fail(vec![format!(
                "`{operation}` is not an operation of {}",
                spec.display_path
            )])
        })?;
        conforms(
            &spec.document,
            &SpecSchemas::new(&spec.document),
            op,
            &fixture,
        )
        .map_err(fail)?;
        let marketplace = marketplaces::find(spec_name)
            .ok_or_else(|| fail(vec![format!("no client is registered for `{spec_name}`")]))?;
        let base_path = base_path(&spec.document);
        let call =
            replay::call_for(&spec.document, op, &base_path, &fixture.request).map_err(fail)?;
        Ok(Scenario {
            file,
            fixture,
            call,
            spec,
            base_path,
            marketplace,
        })
    }

    /// The fixture's path and `problems`, as one message.
    pub fn fail(&self, problems: Vec<String>) -> String {
        format!("{}:\n  {}", self.file.display(), problems.join("\n  "))
    }

    /// Replays the recorded exchange on its own wiremock server (exact request, one
    /// request, no retries).
    pub async fn replay(&self) -> Result<Outcome, String> {
        replay::replay(
            self.marketplace,
            &self.fixture,
            &self.base_path,
            self.call.clone(),
        )
        .await
    }

    /// Runs the call against a server of the caller's (`server_uri` without the
    /// spec's base path), with `retry` and an optional overall timeout.
    pub async fn run_against(
        &self,
        server_uri: &str,
        retry: RetryPolicy,
        timeout: Option<Duration>,
    ) -> Outcome {
        let context = ReplayContext {
            base_url: format!("{server_uri}{}", self.base_path),
            now: self.fixture.now,
            retry,
            timeout,
        };
        (self.marketplace.replay)(context, self.call.clone()).await
    }

    /// Whether the client retries this call like a read, as the spec declares it:
    /// an idempotent method, or a POST marked `x-idempotent: true` (Yandex Market's
    /// `getChats`).
    pub fn is_idempotent(&self) -> bool {
        let declared = operations(&self.spec.document)
            .iter()
            .any(|op| op.id() == self.file.operation && op.is_declared_idempotent());
        let method = self
            .fixture
            .request
            .method
            .parse()
            .unwrap_or(reqwest::Method::POST);
        marketplace_runtime::is_retried_like_a_read(&method, declared)
    }

    /// The recorded JSON response body against the JSON Schema schemars derives for
    /// the generated type the spec documents for it ([`crate::generated_type_accepts`]);
    /// `Ok` when the response has no JSON body or the spec documents none.
    pub fn check_response_schema(&self) -> Result<(), String> {
        let Some(body) = &self.fixture.response.body else {
            return Ok(());
        };
        let status = self.fixture.response.status;
        match (self.marketplace.response_schema)(&self.file.operation, status) {
            Some((name, schema)) => crate::generated_type_accepts(name, &schema, body),
            None => Ok(()),
        }
    }

    /// The recorded response, as wiremock serves it.
    pub fn recorded_response(&self) -> ResponseTemplate {
        replay::response_template(&self.fixture)
    }

    /// A wiremock matcher for exactly the recorded request.
    pub fn recorded_request(&self) -> impl wiremock::Match + 'static {
        let expected = self.fixture.request.clone();
        move |request: &Request| replay::differences(&expected, request).is_empty()
    }

    /// The recorded response body with the first string-enum value it contains
    /// (following the spec's response schema) replaced by a value the spec does not
    /// list; returns the body and the new value.
    pub fn body_with_unknown_enum_value(&self) -> Option<(Value, String)> {
        let doc = &self.spec.document;
        let op = operations(doc)
            .into_iter()
            .find(|op| op.id() == self.file.operation)?;
        let status = self.fixture.response.status.to_string();
        let responses = &op.value["responses"];
        let response = resolve(doc, responses.get(&status)?);
        let schema = response["content"]
            .as_object()?
            .values()
            .next()?
            .get("schema")?;
        let mut body = self.fixture.response.body.clone()?;
        let value = "A_VALUE_FROM_THE_FUTURE".to_owned();
        replace_first_enum(doc, schema, &mut body, &value, 0).then_some((body, value))
    }
}

fn replace_first_enum(
    doc: &Value,
    schema: &Value,
    value: &mut Value,
    new: &str,
    depth: usize,
) -> bool {
    if depth > 32 {
        return false;
    }
    let schema = resolve(doc, schema);
    if schema["type"] == "string" && schema["enum"].is_array() && value.is_string() {
        *value = Value::String(new.to_owned());
        return true;
    }
    match value {
        Value::Object(map) => map.iter_mut().any(|(key, child)| {
            schema["properties"]
                .get(key)
                .is_some_and(|s| replace_first_enum(doc, s, child, new, depth + 1))
        }),
        Value::Array(items) => items.iter_mut().any(|child| {
            schema
                .get("items")
                .is_some_and(|s| replace_first_enum(doc, s, child, new, depth + 1))
        }),
        _ => false,
    }
}

/// The path part of the first server URL (`/api/v1`), which every request path starts with.
pub(crate) fn base_path(doc: &Value) -> String {
    let url = doc["servers"][0]["url"].as_str().unwrap_or_default();
    let after_scheme = url.split_once("://").map(|(_, rest)| rest).unwrap_or(url);
    after_scheme
        .find('/')
        .map(|i| after_scheme[i..].trim_end_matches('/').to_owned())
        .unwrap_or_default()
}
