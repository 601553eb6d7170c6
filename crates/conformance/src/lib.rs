//! The replay stage of the CI gate, shared by `cargo xtask check|generate` (through
//! the `replay` binary) and `cargo test`.
//!
//! Every fixture replays through its generated client on wiremock: the client must
//! send exactly the recorded request, and the decoded result must match the snapshot
//! beside the fixture. Everything that needs only the spec (house rules, API-surface
//! snapshots, examples, fixture coverage and schemas) is the spec stage,
//! `marketplace-spec-check`, which this crate re-exports: it is built without the
//! clients, so a spec change that breaks a client's build cannot stop it.
//!
//! Regenerating and checking are the same code path: `cargo xtask generate` runs
//! these checks with insta allowed to rewrite snapshots, `cargo xtask check` and
//! `cargo test` with insta forbidden to (under `CI=true` it never writes).

mod call;
mod call_from_args;
mod handwritten;
mod marketplaces;
mod replay;
mod scenario;
pub mod signing;

use std::path::Path;

use marketplace_codegen::spec::operations;

use serde_json::{Value, json};

pub use call::{Call, FilePart, Location, Outcome};
pub use call_from_args::{call_from_args, run_call};
pub use marketplace_spec_check::{
    Direction, FIX_COMMAND, Fixture, FixtureFile, SpecReport, SpecSchemas, check_snapshot, counted,
    workspace_root,
};
pub use marketplaces::{LECTRONZ_FAKE_API_KEY, MARKETPLACES, Marketplace};
pub use scenario::Scenario;

/// Names of all specs (`specs/<name>.yaml`), sorted.
pub fn spec_names() -> Vec<String> {
    marketplace_spec_check::spec_names(&workspace_root())
}

/// All fixtures of a spec.
pub fn fixture_files(spec: &str) -> Vec<FixtureFile> {
    marketplace_spec_check::fixture_files(&workspace_root(), spec)
}

fn load(name: &str) -> Result<marketplace_codegen::Spec, String> {
    marketplace_spec_check::load(&workspace_root(), name)
}

/// For the fault matrix: the first success fixture of a GET operation, the first of
/// a POST or PATCH operation that is not declared idempotent (JSON bodies preferred),
/// and the first of a POST the spec declares idempotent (`x-idempotent: true`, retried
/// like a GET), where `spec` has one.
pub fn representative_fixtures(spec: &str) -> Vec<FixtureFile> {
    let declared: Vec<String> = load(spec)
        .map(|spec| {
            operations(&spec.document)
                .iter()
                .filter(|op| op.is_declared_idempotent())
                .map(|op| op.id().to_owned())
                .collect()
        })
        .unwrap_or_default();
    let loaded: Vec<(FixtureFile, Fixture)> = fixture_files(spec)
        .into_iter()
        .filter_map(|file| file.load().ok().map(|fixture| (file, fixture)))
        .filter(|(_, fixture)| (200..300).contains(&fixture.response.status))
        .collect();
    let is_write = |f: &Fixture| matches!(f.request.method.as_str(), "POST" | "PATCH");
    let read = loaded.iter().find(|(_, f)| f.request.method == "GET");
    let write = loaded
        .iter()
        .filter(|(file, f)| is_write(f) && !declared.contains(&file.operation))
        .min_by_key(|(_, f)| f.request.multipart.is_some());
    let declared_read = loaded
        .iter()
        .find(|(file, f)| is_write(f) && declared.contains(&file.operation));
    read.into_iter()
        .chain(write)
        .chain(declared_read)
        .map(|(file, _)| file.clone())
        .collect()
}

/// Replays the fixtures of `specs` (every spec when empty, which also reports a
/// spec without a client).
pub fn check_all(specs: &[String]) -> Vec<SpecReport> {
    let names = if specs.is_empty() {
        spec_names()
    } else {
        specs.to_vec()
    };
    names.iter().map(|name| check_spec(name)).collect()
}

/// Replays every fixture of one spec through its registered client.
pub fn check_spec(name: &str) -> SpecReport {
    let files = fixture_files(name);
    let mut problems: Vec<String> = registered(name).err().into_iter().collect();
    if problems.is_empty() {
        problems.extend(
            files
                .iter()
                .filter_map(|file| check_fixture(&file.spec, &file.operation, &file.case).err()),
        );
    }
    SpecReport {
        spec: format!("specs/{name}.yaml"),
        operations: load(name).map_or(0, |spec| operations(&spec.document).len()),
        fixtures: files.len(),
        problems,
    }
}

/// The spec stage (`marketplace_spec_check::check_spec`) plus a registered client:
/// what `cargo test` checks per spec besides replaying its fixtures.
pub fn check_spec_level(name: &str) -> Result<usize, (usize, Vec<String>)> {
    let mut report = marketplace_spec_check::check_spec(&workspace_root(), name);
    report.problems.extend(registered(name).err());
    if report.problems.is_empty() {
        Ok(report.operations)
    } else {
        Err((report.operations, report.problems))
    }
}

/// A spec needs a client in the umbrella crate to be replayed.
fn registered(name: &str) -> Result<(), String> {
    marketplaces::find(name).map(|_| ()).ok_or_else(|| {
        format!(
            "specs/{name}.yaml: the umbrella crate has no client `{name}`: add \
             `{name} = {{ package = \"marketplace-{name}\", path = \"crates/{name}\", optional = true }}` \
             to the root Cargo.toml's [dependencies] and `\"{name}\"` to its `clients` feature"
        )
    })
}

/// Checks one fixture: it conforms to the spec, its response body is accepted by
/// the schema of the generated type ([`generated_type_accepts`]), it replays
/// through the generated client (which must send exactly the recorded request), and
/// the decoded result matches the snapshot beside it (`<case>.snap`).
pub fn check_fixture(spec_name: &str, operation: &str, case: &str) -> Result<(), String> {
    check_fixture_in(&workspace_root(), spec_name, operation, case)
}

/// [`check_fixture`] for the specs and fixtures under `root` (a workspace, or a copy
/// of its `specs/` and `tests/fixtures/`); the snapshot is the one beside the fixture.
pub fn check_fixture_in(
    root: &Path,
    spec_name: &str,
    operation: &str,
    case: &str,
) -> Result<(), String> {
    check_scenario(&Scenario::load_in(root, spec_name, operation, case)?)
}

/// [`check_fixture`] of a loaded fixture.
pub fn check_scenario(scenario: &Scenario) -> Result<(), String> {
    scenario
        .check_response_schema()
        .map_err(|problem| scenario.fail(vec![problem]))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a tokio runtime: {e}"))?;
    let outcome = runtime
        .block_on(scenario.replay())
        .map_err(|e| scenario.fail(vec![e]))?;

    let fixture = &scenario.fixture;
    let expect_success = (200..300).contains(&fixture.response.status);
    let rendered = match (&outcome, expect_success) {
        (Outcome::Success { status, decoded }, true) => format!("status: {status}\n{decoded}"),
        (Outcome::Failure(error), false) => render_error(error),
        (Outcome::BadArguments(reason), _) => {
            return Err(scenario.fail(vec![format!(
                "the fixture's arguments do not fit the client: {reason}"
            )]));
        }
        (other, _) => {
            return Err(scenario.fail(vec![format!(
                "the recorded status {} should give a {}, but the client returned {other:?}",
                fixture.response.status,
                if expect_success { "success" } else { "failure" }
            )]));
        }
    };
    let path = &scenario.file.path;
    check_snapshot(
        path.parent().unwrap_or(Path::new(".")),
        &scenario.file.case,
        &rendered,
        &fixture.description,
        path,
    )
}

/// Whether `schema`, the JSON Schema schemars derives for the generated type
/// `type_name`, accepts a recorded response `body`. typify turns the spec into
/// types; were one stricter than what the marketplace sends (a field required that
/// the recorded traffic omits, a type narrower than a recorded value), this says
/// where, whatever the decoder's own tolerance hides.
pub fn generated_type_accepts(type_name: &str, schema: &Value, body: &Value) -> Result<(), String> {
    marketplace_spec_check::validate_draft7(schema, body).map_err(|violations| {
        format!(
            "the generated type `{type_name}` is stricter than the recorded response body \
             (its JSON Schema, derived by schemars, rejects it):\n    {}",
            violations.join("\n    ")
        )
    })
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

/// What application code can learn from an error, as the snapshot records it.
fn render_error(error: &marketplace_runtime::Error) -> String {
    pretty(&json!({
        "error": error.to_string(),
        "status": error.status().map(|s| s.as_u16()),
        "code": error.code(),
        "message": error.message(),
        "retry_after_secs": error.retry_after().map(|d| d.as_secs()),
        "request_id": error.request_id(),
        "is_rate_limited": error.is_rate_limited(),
        "is_not_found": error.is_not_found(),
        "is_auth": error.is_auth(),
        "body": error.body(),
    }))
}
