//! The CI gate, shared by `cargo xtask check|generate` and `cargo test`.
//!
//! For every spec in `specs/`: the house rules pass and the client generates; the
//! API-surface snapshot matches; every operation has a success and an error fixture;
//! every fixture conforms to the spec's schemas; and every fixture replays through
//! the generated client on wiremock, with the client sending exactly the recorded
//! request and the decoded result matching its snapshot.
//!
//! Regenerating and checking are the same code path: `cargo xtask generate` runs
//! these checks with insta allowed to rewrite snapshots, `cargo xtask check` and
//! `cargo test` with insta forbidden to (under `CI=true` it never writes).

mod examples;
mod fixture;
mod marketplaces;
mod replay;
mod scenario;
mod schema;

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use marketplace_codegen::lint::{Operation, operations};
use marketplace_codegen::{Spec, generate};
use marketplace_runtime::replay::Outcome;
use serde_json::{Value, json};

pub use fixture::{Fixture, FixtureFile};
pub use marketplaces::{LECTRONZ_FAKE_API_KEY, MARKETPLACES};
pub use scenario::Scenario;
pub use schema::{Direction, SpecSchemas};

/// The command that rewrites generated snapshots after an intended change.
pub const FIX_COMMAND: &str = "cargo xtask generate";

/// The workspace root (this crate lives in `crates/conformance`).
pub fn workspace_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.canonicalize().unwrap_or(root)
}

fn specs_dir() -> PathBuf {
    workspace_root().join("specs")
}

fn fixtures_dir() -> PathBuf {
    workspace_root().join("tests/fixtures")
}

/// Names of all specs (`specs/<name>.yaml`), sorted.
pub fn spec_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(specs_dir())
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok()?.path().to_str().map(str::to_owned))
        .filter_map(|p| {
            p.strip_suffix(".yaml")
                .map(|p| p.rsplit('/').next().unwrap_or(p).to_owned())
        })
        .collect();
    names.sort();
    names
}

/// All fixtures of a spec.
pub fn fixture_files(spec: &str) -> Vec<FixtureFile> {
    fixture::list(&fixtures_dir(), spec).0
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

/// The outcome of checking one spec.
#[derive(Debug)]
pub struct SpecReport {
    /// `specs/<name>.yaml`.
    pub spec: String,
    /// Operations in the spec.
    pub operations: usize,
    /// Fixtures replayed.
    pub fixtures: usize,
    /// Everything wrong, one entry each; empty means the spec passes.
    pub problems: Vec<String>,
}

impl SpecReport {
    /// One line: `specs/x.yaml  4 operations  9 fixtures  ok`, the spec name padded
    /// to `width` so the lines of several specs align.
    pub fn summary(&self, width: usize) -> String {
        let result = if self.problems.is_empty() {
            "ok".to_owned()
        } else {
            format!("FAILED ({})", counted(self.problems.len(), "problem"))
        };
        // Padded to the plural's length, so the columns align either way.
        format!(
            "{:<width$} {:>2} {:<10} {:>3} {:<8}  {result}",
            self.spec,
            self.operations,
            counted_noun(self.operations, "operation"),
            self.fixtures,
            counted_noun(self.fixtures, "fixture"),
        )
    }
}

/// `noun`, plural unless `count` is 1.
fn counted_noun(count: usize, noun: &str) -> String {
    if count == 1 {
        noun.to_owned()
    } else {
        format!("{noun}s")
    }
}

/// `1 problem`, `3 problems`: for summaries (xtask's too).
pub fn counted(count: usize, noun: &str) -> String {
    format!("{count} {}", counted_noun(count, noun))
}

/// Checks every spec; also reports registered clients whose spec is missing.
pub fn check_all() -> Vec<SpecReport> {
    let names = spec_names();
    let mut reports: Vec<SpecReport> = names.iter().map(|name| check_spec(name)).collect();
    for m in MARKETPLACES
        .iter()
        .filter(|m| !names.iter().any(|n| n == m.name))
    {
        reports.push(SpecReport {
            spec: format!("specs/{}.yaml", m.name),
            operations: 0,
            fixtures: 0,
            problems: vec![format!(
                "a client is registered for `{}` but the spec file is missing",
                m.name
            )],
        });
    }
    reports
}

/// Checks one spec completely: rules, surface, coverage and every fixture.
pub fn check_spec(name: &str) -> SpecReport {
    let (operations, mut problems) = match check_spec_level(name) {
        Ok(count) => (count, Vec::new()),
        Err((count, problems)) => (count, problems),
    };
    let files = fixture_files(name);
    if operations > 0 {
        for file in &files {
            if let Err(problem) = check_fixture(&file.spec, &file.operation, &file.case) {
                problems.push(problem);
            }
        }
    }
    SpecReport {
        spec: format!("specs/{name}.yaml"),
        operations,
        fixtures: files.len(),
        problems,
    }
}

/// Everything about a spec except replaying its fixtures: house rules and
/// generation, the API-surface snapshot, the spec's own examples, a registered
/// client, fixture coverage (a success and an error case for every operation) and
/// stray files.
/// Returns the number of operations, or the problems.
pub fn check_spec_level(name: &str) -> Result<usize, (usize, Vec<String>)> {
    let spec = load(name).map_err(|p| (0, vec![p]))?;
    let generated = generate(&spec)
        .map_err(|findings| (0, findings.iter().map(ToString::to_string).collect()))?;
    let mut problems = Vec::new();

    if let Err(p) = check_snapshot(
        &specs_dir(),
        &format!("{name}.api"),
        &generated.surface,
        &format!(
            "API surface of the client generated from {}",
            spec.display_path
        ),
        &spec.path,
    ) {
        problems.push(p);
    }
    // Every example documented in the spec validates against its schema.
    problems.extend(examples::check(&spec));
    if marketplaces::find(name).is_none() {
        problems.push(format!(
            "{}: no client is registered for `{name}` in crates/conformance/src/marketplaces.rs",
            spec.display_path
        ));
    }

    let (files, strays) = fixture::list(&fixtures_dir(), name);
    for stray in strays {
        problems.push(format!(
            "{}: not a fixture (or a snapshot whose fixture is gone); remove it",
            stray.display()
        ));
    }
    for op in operations(&spec.document) {
        let id = op.id();
        let statuses: Vec<u16> = files
            .iter()
            .filter(|f| f.operation == id)
            .filter_map(|f| f.load().ok())
            .map(|f| f.response.status)
            .collect();
        if !statuses.iter().any(|s| (200..300).contains(s)) {
            problems.push(format!(
                "{}: operation `{id}` has no success fixture in tests/fixtures/{name}/{id}/",
                spec.display_path
            ));
        }
        if !statuses.iter().any(|s| *s >= 400) {
            problems.push(format!(
                "{}: operation `{id}` has no error fixture in tests/fixtures/{name}/{id}/",
                spec.display_path
            ));
        }
    }
    for file in &files {
        if !operations(&spec.document)
            .iter()
            .any(|op| op.id() == file.operation)
        {
            problems.push(format!(
                "{}: `{}` is not an operation of {}",
                file.display(),
                file.operation,
                spec.display_path
            ));
        }
    }
    if problems.is_empty() {
        Ok(generated.operations)
    } else {
        Err((generated.operations, problems))
    }
}

fn load(name: &str) -> Result<Spec, String> {
    Spec::load(&specs_dir().join(format!("{name}.yaml"))).map_err(|f| f.to_string())
}

/// Checks one fixture: it conforms to the spec, replays through the generated
/// client (which must send exactly the recorded request), and the decoded result
/// matches the snapshot beside it (`<case>.snap`).
pub fn check_fixture(spec_name: &str, operation: &str, case: &str) -> Result<(), String> {
    let scenario = Scenario::load(spec_name, operation, case)?;
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
        case,
        &rendered,
        &fixture.description,
        path,
    )
}

/// The fixture's method, request body, status and response body agree with the spec.
fn conforms(
    doc: &Value,
    schemas: &SpecSchemas,
    op: &Operation<'_>,
    fixture: &Fixture,
) -> Result<(), Vec<String>> {
    let mut problems = Vec::new();
    if !fixture.request.method.eq_ignore_ascii_case(op.method) {
        problems.push(format!(
            "method {} but the operation is {}",
            fixture.request.method,
            op.method.to_uppercase()
        ));
    }
    let request_schema = op.value["requestBody"]["content"]["application/json"].get("schema");
    match (&fixture.request.body, request_schema) {
        (Some(body), Some(schema)) => {
            if let Err(errors) = schemas.validate(Direction::Request, schema, body) {
                problems.extend(errors.into_iter().map(|e| format!("request body {e}")));
            }
        }
        (Some(_), None) if !op.is_handwritten() => {
            problems.push("the request has a body but the operation takes none".into())
        }
        (None, Some(_)) if op.value["requestBody"]["required"] == true => {
            problems.push("the operation requires a request body".into())
        }
        _ => {}
    }

    let multipart_schema =
        op.value["requestBody"]["content"][marketplace_codegen::lint::MULTIPART].get("schema");
    match (&fixture.request.multipart, multipart_schema) {
        (Some(parts), Some(schema)) => {
            let schema = marketplace_codegen::lint::schema_ref_name(schema)
                .and_then(|name| doc["components"]["schemas"].get(name))
                .unwrap_or(schema);
            for part in parts {
                if schema["properties"].get(&part.name).is_none() {
                    problems.push(format!(
                        "multipart part `{}` is not a property of the operation's form schema",
                        part.name
                    ));
                }
            }
            for required in schema["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                if !parts.iter().any(|p| p.name == required) {
                    problems.push(format!(
                        "multipart part `{required}` is required by the spec but missing"
                    ));
                }
            }
        }
        (Some(_), None) => {
            problems.push("the request has a multipart body but the operation takes none".into())
        }
        (None, Some(_)) => problems
            .push("the operation takes a multipart body but the fixture records none".into()),
        (None, None) => {}
    }

    let status = fixture.response.status.to_string();
    let range = format!("{}XX", &status[..1]);
    let responses = &op.value["responses"];
    let Some(response) = responses.get(&status).or_else(|| responses.get(&range)) else {
        problems.push(format!(
            "status {status} is not documented for `{}`",
            op.id()
        ));
        return Err(problems);
    };
    let response = marketplace_codegen::lint::resolve(doc, response);
    let schema = response["content"]
        .as_object()
        .and_then(|c| c.values().next())
        .map(|m| &m["schema"]);
    match (&fixture.response.body, schema) {
        (Some(body), Some(schema)) => {
            if let Err(errors) = schemas.validate(Direction::Response, schema, body) {
                problems.extend(errors.into_iter().map(|e| format!("response body {e}")));
            }
        }
        (Some(_), None) => problems.push(format!(
            "status {status} has no body in the spec, but the fixture has one"
        )),
        (None, Some(_)) if fixture.response.raw_body.is_none() => problems.push(format!(
            "status {status} has a body in the spec, but the fixture has none"
        )),
        _ => {}
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
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

/// Asserts `content` against the insta snapshot `<dir>/<name>.snap`: insta prints
/// the diff of a mismatch, and whether it may write is insta's `INSTA_UPDATE` (xtask
/// sets it). The verdict is the harness's own, not insta's panic, so that it holds
/// with `INSTA_FORCE_PASS=1` (which xtask sets to keep insta's own hints, about a
/// tool this workspace does not use, out of its output): a snapshot is accepted
/// when it matched, or when insta rewrote it to match (`INSTA_UPDATE=always`).
pub fn check_snapshot(
    dir: &Path,
    name: &str,
    content: &str,
    description: &str,
    input: &Path,
) -> Result<(), String> {
    let verdict = Arc::new(Mutex::new(None));
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(dir);
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.set_description(description);
    settings.set_input_file(input);
    settings.set_comparator(Box::new(RecordingComparator(verdict.clone())));
    let panicked = std::panic::catch_unwind(AssertUnwindSafe(|| {
        settings.bind(|| insta::assert_snapshot!(name, content));
    }))
    .is_err();
    let path = dir.join(format!("{name}.snap"));
    let on_disk = insta::Snapshot::from_file(&path).ok();
    let accepted = !panicked
        && match (verdict.lock().map(|mut v| v.take()), on_disk) {
            (Ok(Some((true, _))), _) => true,
            // A mismatch is accepted only if insta rewrote the file to match.
            (Ok(Some((false, Some(new)))), Some(on_disk)) => {
                on_disk.contents() == &insta::internals::SnapshotContents::from(new)
            }
            // No snapshot to compare with: accepted only if insta wrote one.
            (Ok(None), on_disk) => on_disk.is_some(),
            _ => false,
        };
    if accepted {
        return Ok(());
    }
    Err(format!(
        "{}/{name}.snap does not match (diff printed above). If the change is intended, run `{FIX_COMMAND}` and review the snapshot diff.",
        dir.strip_prefix(workspace_root()).unwrap_or(dir).display()
    ))
}

/// insta's own comparison, remembering its verdict and the new (text) content for
/// [`check_snapshot`].
type Verdict = Arc<Mutex<Option<(bool, Option<insta::internals::TextSnapshotContents>)>>>;

struct RecordingComparator(Verdict);

impl insta::Comparator for RecordingComparator {
    fn matches(&self, reference: &insta::Snapshot, test: &insta::Snapshot) -> bool {
        let matched = insta::DefaultComparator.matches(reference, test);
        if let Ok(mut verdict) = self.0.lock() {
            *verdict = Some((matched, test.as_text().cloned()));
        }
        matched
    }

    fn dyn_clone(&self) -> Box<dyn insta::Comparator> {
        Box::new(RecordingComparator(self.0.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(operations: usize, fixtures: usize, problems: usize) -> SpecReport {
        SpecReport {
            spec: "specs/x.yaml".into(),
            operations,
            fixtures,
            problems: vec!["a problem".into(); problems],
        }
    }

    #[test]
    fn summaries_count_in_the_singular_and_plural_and_stay_aligned() {
        assert_eq!(
            report(1, 1, 1).summary(12),
            "specs/x.yaml  1 operation    1 fixture   FAILED (1 problem)"
        );
        assert_eq!(
            report(4, 12, 0).summary(12),
            "specs/x.yaml  4 operations  12 fixtures  ok"
        );
        assert_eq!(
            report(0, 0, 2).summary(12),
            "specs/x.yaml  0 operations   0 fixtures  FAILED (2 problems)"
        );
    }
}
