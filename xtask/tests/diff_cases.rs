//! The spec-pair suite of `cargo xtask diff`: every folder of `tests/diff/` holds
//! `before.yaml` and/or `after.yaml` (a missing one: the spec is added or removed)
//! and `expected.txt`, one `<class> <rule> <subject>` line per expected change
//! (`#` lines are comments; none left means "no change at all"). The engine must
//! report exactly those changes, no more and no fewer.

use std::path::Path;

use xtask::diff::{compare, parse};

fn load(dir: &Path, file: &str) -> Option<openapiv3::OpenAPI> {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).ok()?;
    let parsed = parse("case", &text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Some(parsed.api)
}

#[test]
fn every_spec_pair_is_classified_as_expected() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/diff");
    let mut cases: Vec<_> = std::fs::read_dir(&root)
        .expect("tests/diff exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() >= 40, "only {} cases found", cases.len());

    let mut failures = Vec::new();
    for dir in &cases {
        let name = dir.file_name().unwrap().to_string_lossy();
        let (before, after) = (load(dir, "before.yaml"), load(dir, "after.yaml"));
        assert!(
            before.is_some() || after.is_some(),
            "{name}: no spec at all"
        );
        let expected_text = std::fs::read_to_string(dir.join("expected.txt"))
            .unwrap_or_else(|e| panic!("{name}/expected.txt: {e}"));
        let mut expected: Vec<String> = expected_text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_owned)
            .collect();
        let changes = compare(before.as_ref(), after.as_ref());
        let mut actual: Vec<String> = changes.iter().map(|c| c.key()).collect();
        expected.sort();
        actual.sort();
        if expected != actual {
            let detail: Vec<String> = changes
                .iter()
                .map(|c| format!("    {}: {}", c.key(), c.message))
                .collect();
            failures.push(format!(
                "{name}:\n  expected {expected:#?}\n  actual:\n{}",
                detail.join("\n")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn a_schema_change_lists_every_operation_it_reaches() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/diff/response-enum-value-added");
    let changes = compare(
        load(&root, "before.yaml").as_ref(),
        load(&root, "after.yaml").as_ref(),
    );
    let [change] = changes.as_slice() else {
        panic!("one change expected: {changes:#?}")
    };
    assert_eq!(
        change.operations,
        ["list_messages", "create_message", "get_message"]
    );
    assert!(change.message.contains("`archived`"), "{}", change.message);
    assert!(
        change.message.contains("`Other(String)`"),
        "{}",
        change.message
    );
}
