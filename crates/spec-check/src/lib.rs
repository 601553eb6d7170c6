//! The spec stage of the CI gate, shared by `cargo xtask check|generate` and
//! `cargo test`.
//!
//! For every spec in `specs/`: the house rules pass and the client generates; the
//! API-surface snapshot matches; every example in the spec validates; every
//! operation has a success and an error fixture; and every fixture's bodies conform
//! to the spec's schemas. Replaying the fixtures through the generated clients is
//! the other stage (`marketplace-conformance`).
//!
//! This crate is built from the specs and the code generator only, never from a
//! client crate: a spec change that breaks a client's build (a type its hand-written
//! code uses, a house rule its build script enforces) must not stop the tools that
//! review that change. Every spec is checked on its own, so one broken spec never
//! hides the findings of the others.

mod examples;
mod fixture;
mod schema;

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use marketplace_codegen::spec::{MULTIPART, Operation, operations, resolve};
use marketplace_codegen::{Spec, generate};
use serde_json::Value;

pub use fixture::{Fixture, FixtureFile, RecordedPart, RecordedRequest, RecordedResponse};
pub use schema::{Direction, SpecSchemas, validate_draft7};

/// The command that rewrites generated snapshots after an intended change.
pub const FIX_COMMAND: &str = "cargo xtask generate";

/// The workspace root (this crate lives in `crates/spec-check`).
pub fn workspace_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.canonicalize().unwrap_or(root)
}

/// Names of all specs (`<root>/specs/<name>.yaml`), sorted.
pub fn spec_names(root: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root.join("specs"))
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

fn fixtures_dir(root: &Path) -> PathBuf {
    root.join("tests/fixtures")
}

/// All fixtures of a spec (`<root>/tests/fixtures/<spec>/<operation>/<case>.json`).
pub fn fixture_files(root: &Path, spec: &str) -> Vec<FixtureFile> {
    fixture::list(&fixtures_dir(root), spec).0
}

/// The fixture file `<root>/tests/fixtures/<spec>/<operation>/<case>.json`.
pub fn fixture_file(root: &Path, spec: &str, operation: &str, case: &str) -> FixtureFile {
    FixtureFile {
        path: fixtures_dir(root)
            .join(spec)
            .join(operation)
            .join(format!("{case}.json")),
        spec: spec.to_owned(),
        operation: operation.to_owned(),
        case: case.to_owned(),
    }
}

/// Loads `<root>/specs/<name>.yaml`; the error is the finding, as text.
pub fn load(root: &Path, name: &str) -> Result<Spec, String> {
    Spec::load(&root.join("specs").join(format!("{name}.yaml"))).map_err(|f| f.to_string())
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

/// The spec stage for every spec under `root`: one report each, in name order,
/// however broken any of them is.
pub fn check_specs(root: &Path) -> Vec<SpecReport> {
    spec_names(root)
        .iter()
        .map(|name| check_spec(root, name))
        .collect()
}

/// The spec stage for one spec: house rules and generation, the API-surface
/// snapshot, the spec's own examples, fixture coverage (a success and an error case
/// for every operation), stray files, and every fixture's bodies against the spec's
/// schemas. A spec that does not generate is still checked for everything that does
/// not need the generated code, so its report lists all its findings at once.
pub fn check_spec(root: &Path, name: &str) -> SpecReport {
    let (files, strays) = fixture::list(&fixtures_dir(root), name);
    let mut report = SpecReport {
        spec: format!("specs/{name}.yaml"),
        operations: 0,
        fixtures: files.len(),
        problems: Vec::new(),
    };
    let spec = match load(root, name) {
        Ok(spec) => spec,
        Err(problem) => {
            report.problems.push(problem);
            return report;
        }
    };
    let ops = operations(&spec.document);
    report.operations = ops.len();
    let problems = &mut report.problems;
    // The specs are the registry of marketplaces: each describes its own.
    if let Err(missing) = marketplace_codegen::marketplace::Marketplace::of(&spec)
        && spec
            .document
            .get(marketplace_codegen::marketplace::EXTENSION)
            .is_none()
    {
        problems.extend(
            missing
                .into_iter()
                .map(|(_, m)| format!("{}: [marketplace] {m}", spec.display_path)),
        );
    }

    match generate(&spec) {
        Ok(generated) => {
            if let Err(p) = check_snapshot(
                &root.join("specs"),
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
        }
        Err(findings) => problems.extend(findings.iter().map(ToString::to_string)),
    }
    problems.extend(examples::check(&spec));

    for stray in strays {
        problems.push(format!(
            "{}: not a fixture (or a snapshot whose fixture is gone); remove it",
            stray.display()
        ));
    }
    let loaded: Vec<(&FixtureFile, Result<Fixture, String>)> =
        files.iter().map(|file| (file, file.load())).collect();
    for op in &ops {
        let id = op.id();
        let statuses: Vec<u16> = loaded
            .iter()
            .filter(|(file, _)| file.operation == id)
            .filter_map(|(_, fixture)| fixture.as_ref().ok())
            .map(|fixture| fixture.response.status)
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
    let schemas = SpecSchemas::new(&spec.document);
    for (file, fixture) in &loaded {
        let fixture = match fixture {
            Ok(fixture) => fixture,
            Err(problem) => {
                problems.push(problem.clone());
                continue;
            }
        };
        match ops.iter().find(|op| op.id() == file.operation) {
            Some(op) => {
                if let Err(found) = conforms(&spec.document, &schemas, op, fixture) {
                    problems.push(format!("{}:\n  {}", file.display(), found.join("\n  ")));
                }
            }
            None => problems.push(format!(
                "{}: `{}` is not an operation of {}",
                file.display(),
                file.operation,
                spec.display_path
            )),
        }
    }
    report
}

/// The fixture's method, request body, status and response body agree with the spec
/// (`schemas` is the spec's [`SpecSchemas`]); one line per disagreement.
pub fn conforms(
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

    let multipart_schema = op.value["requestBody"]["content"][MULTIPART].get("schema");
    match (&fixture.request.multipart, multipart_schema) {
        (Some(parts), Some(schema)) => {
            let schema = resolve(doc, schema);
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
    let response = resolve(doc, response);
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
