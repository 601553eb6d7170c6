//! `cargo xtask diff` end to end in a scratch git repository: the base revision is
//! read with git, added and removed specs are recognised, the report is Markdown
//! and `--fail-on breaking` is honoured through `Outcome::breaking`.

mod scratch;

use std::path::Path;

use scratch::Repo;
use xtask::diff::{Options, run};

fn case(name: &str, file: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/diff")
        .join(name)
        .join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn compares_the_working_tree_with_the_base_revision() {
    let repo = Repo::new("diff-base");
    repo.write(
        "specs/shop.yaml",
        &case("parameter-made-required", "before.yaml"),
    );
    repo.write("specs/old.yaml", &case("spec-removed", "before.yaml"));
    repo.commit();
    // Working tree: one spec edited, one deleted, one new.
    repo.write(
        "specs/shop.yaml",
        &case("parameter-made-required", "after.yaml"),
    );
    std::fs::remove_file(repo.path().join("specs/old.yaml")).expect("remove");
    repo.write("specs/new.yaml", &case("spec-added", "after.yaml"));

    let outcome = run(repo.path(), &Options::default()).expect("diff runs");
    let report = &outcome.report;
    assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
    assert_eq!(outcome.breaking, 2, "{report}");
    assert!(report.starts_with("## Spec changes against `"), "{report}");
    assert!(
        report.contains("**2 breaking change(s)**; 1 non-breaking."),
        "{report}"
    );
    assert!(
        report.contains("- `list_messages(limit)`: query parameter is now required: calls that do not set it fail (`parameter-required`)"),
        "{report}"
    );
    assert!(report.contains("### `specs/old.yaml`"), "{report}");
    assert!(report.contains("(`spec-removed`)"), "{report}");
    assert!(report.contains("### `specs/new.yaml`"), "{report}");
    assert!(report.contains("(`spec-added`)"), "{report}");
    // These toy specs do not pass the house rules, so no surface is generated; the
    // report says so instead of failing.
    assert!(report.contains("does not generate"), "{report}");

    // Only the named spec, against an explicit base; committed, nothing differs.
    repo.commit();
    let options = Options::parse(["--base".into(), "HEAD".into(), "specs/shop.yaml".into()])
        .expect("options");
    let outcome = run(repo.path(), &options).expect("diff runs");
    assert_eq!(outcome.breaking, 0);
    assert!(
        outcome.report.contains("No API changes."),
        "{}",
        outcome.report
    );
    assert!(
        outcome.report.contains("Unchanged: `specs/shop.yaml`."),
        "{}",
        outcome.report
    );

    // HEAD~1 still has the old version.
    let options = Options::parse(["--base=HEAD~1".into(), "shop".into()]).expect("options");
    assert_eq!(run(repo.path(), &options).expect("diff runs").breaking, 1);
}

#[test]
fn an_unreadable_spec_is_an_error_not_a_silent_pass() {
    let repo = Repo::new("diff-broken");
    repo.write(
        "specs/shop.yaml",
        &case("parameter-made-required", "before.yaml"),
    );
    repo.commit();
    repo.write("specs/shop.yaml", "openapi: 3.0.3\npaths: [not, a, map]\n");
    let outcome = run(repo.path(), &Options::default()).expect("diff runs");
    assert_eq!(outcome.errors.len(), 1, "{:?}", outcome.errors);
    assert!(
        outcome.errors[0].contains("specs/shop.yaml at working tree"),
        "{:?}",
        outcome.errors
    );
    assert!(
        outcome.report.contains("- **error**:"),
        "{}",
        outcome.report
    );
}

#[test]
fn bad_arguments_and_unknown_revisions_are_reported() {
    assert!(Options::parse(["--fail-on".into(), "everything".into()]).is_err());
    assert!(Options::parse(["--base".into()]).is_err());
    assert!(Options::parse(["--frobnicate".into()]).is_err());
    let options =
        Options::parse(["--fail-on".into(), "breaking".into(), "a.yaml".into()]).expect("valid");
    assert!(options.fail_on_breaking);
    assert_eq!(options.specs, ["a"]);

    let repo = Repo::new("diff-revs");
    repo.write(
        "specs/shop.yaml",
        &case("parameter-made-required", "before.yaml"),
    );
    repo.commit();
    let options = Options::parse(["--base".into(), "no-such-rev".into()]).expect("options");
    let error = run(repo.path(), &options).unwrap_err();
    assert!(error.contains("`no-such-rev` is not a commit"), "{error}");
    let options = Options::parse(["missing".into()]).expect("options");
    let error = run(repo.path(), &options).unwrap_err();
    assert!(
        error.contains("specs/missing.yaml exists neither"),
        "{error}"
    );
}
