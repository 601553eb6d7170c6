//! The spec tools keep working exactly when a spec change is breaking: `cargo xtask
//! diff` and the spec stage of `cargo xtask check` are built from the specs and the
//! code generator only, so a spec that breaks a client crate's build (a changed type
//! its hand-written code uses, a house-rule violation its build script refuses)
//! cannot make them unbuildable.

mod scratch;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use scratch::Repo;
use xtask::check::spec_stage;
use xtask::diff::{Options, run};

/// Workspace crates xtask may be built from: none of them is a client (or the
/// runtime every client builds on).
const ALLOWED: &[&str] = &["xtask", "marketplace-codegen", "marketplace-spec-check"];

#[test]
fn xtask_is_built_without_any_client_crate() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["tree", "--offline", "-p", "xtask", "-e", "normal,build"])
        .args(["--prefix", "none", "--format", "{p}"])
        .output()
        .expect("cargo tree runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let workspace: BTreeSet<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        // Workspace members are the packages with a local path: `name v0.1.0 (/path)`.
        .filter(|line| line.contains(" (/"))
        .filter_map(|line| line.split_whitespace().next().map(str::to_owned))
        .collect();
    let forbidden: Vec<&String> = workspace
        .iter()
        .filter(|name| !ALLOWED.contains(&name.as_str()))
        .collect();
    assert!(
        forbidden.is_empty(),
        "xtask is built from workspace crates a spec change can break: {forbidden:?}"
    );
}

/// A scratch git repository holding a committed copy of the workspace's specs, API
/// surfaces and fixtures.
fn workspace_copy(name: &str) -> Repo {
    let repo = Repo::new(name);
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for folder in ["specs", "tests/fixtures"] {
        copy_dir(&workspace.join(folder), &repo.path().join(folder));
    }
    repo.commit();
    repo
}

/// Replaces the first `old` after `anchor` in `specs/<spec>.yaml` with `new`.
fn edit(repo: &Repo, spec: &str, anchor: &str, old: &str, new: &str) {
    let file = format!("specs/{spec}.yaml");
    let text = std::fs::read_to_string(repo.path().join(&file)).expect("spec");
    let start = text.find(anchor).expect("anchor in the spec");
    let at = start + text[start..].find(old).expect("text after the anchor");
    repo.write(
        &file,
        &format!("{}{new}{}", &text[..at], &text[at + old.len()..]),
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            copy_dir(&path, &to.join(entry.file_name()));
        } else {
            std::fs::copy(&path, to.join(entry.file_name())).expect("copy file");
        }
    }
}

/// The two edits of the issue, one breaking type change and one house-rule
/// violation: `MessageList.limit` becomes a string in the Lectronz spec (the issue
/// used `total_count`, which is now the list's `x-pagination` total, so the change
/// would also break the pagination rule and hide the surface diff), and a METRO
/// subscriptions schema is closed with `additionalProperties: false` (its client's
/// build script refuses the spec).
fn broken_copy(name: &str) -> Repo {
    let copy = workspace_copy(&format!("spec-tools-{name}"));
    edit(
        &copy,
        "lectronz",
        "    MessageList:",
        "        limit:\n          description: The page size used.\n          type: integer\n          format: int64\n",
        "        limit:\n          description: The page size used.\n          type: string\n",
    );
    edit(
        &copy,
        "metro-subscriptions",
        "    SubscriptionCreate:",
        "      type: object\n",
        "      type: object\n      additionalProperties: false\n",
    );
    copy
}

#[test]
fn diff_classifies_a_breaking_change_and_a_rule_violation() {
    let copy = broken_copy("diff");
    let options = Options::parse(["--base".into(), "HEAD".into()]).expect("options");
    let outcome = run(copy.path(), &options).expect("diff runs");
    let report = &outcome.report;
    assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
    assert!(outcome.breaking >= 1, "{report}");
    contains_all(
        report,
        &[
            "### `specs/lectronz.yaml`",
            "- `MessageList.limit`: the type is now `string` (was `integer`) (`type-changed`; in `list_messages`)",
            // The API-surface diff shows the new Rust type of the field.
            "+    limit: String,",
            // The violation is classified too, and the report says why no surface is shown.
            "### `specs/metro-subscriptions.yaml`",
            "- `SubscriptionCreate`: `additionalProperties: false`",
            "(`constraint-tightened`; in `create_subscription`)",
            "does not generate (specs/metro-subscriptions.yaml#/components/schemas/SubscriptionCreate/additionalProperties: [open-objects]",
        ],
    );
}

#[test]
fn check_prints_every_specs_line_with_the_broken_ones_findings() {
    let copy = broken_copy("check");
    let stage = spec_stage(copy.path());
    let specs: Vec<String> = std::fs::read_dir(copy.path().join("specs"))
        .expect("specs")
        .flatten()
        .filter_map(|e| {
            e.file_name()
                .to_str()?
                .strip_suffix(".yaml")
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(stage.lines.len(), specs.len(), "{:#?}", stage.lines);
    for line in &stage.lines {
        let broken = line.contains("lectronz") || line.contains("metro-subscriptions");
        assert_eq!(line.contains("FAILED"), broken, "{line}");
        assert_eq!(line.ends_with("ok"), !broken, "{line}");
    }
    contains_all(
        &stage.problems.join("\n"),
        &[
            "specs/metro-subscriptions.yaml#/components/schemas/SubscriptionCreate/additionalProperties: [open-objects]",
            // The Lectronz fixtures record a number where the spec now says string,
            // and the API surface no longer matches its snapshot.
            "tests/fixtures/lectronz/list_messages/",
            "lectronz.api.snap does not match",
        ],
    );
}

#[track_caller]
fn contains_all(text: &str, expected: &[&str]) {
    for part in expected {
        assert!(text.contains(part), "{part:?} is not in:\n{text}");
    }
}
