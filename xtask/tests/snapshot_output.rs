//! What `cargo xtask check` prints for a snapshot that does not match: insta's diff
//! and the harness's own verdict, but none of insta's hints (they name
//! `cargo insta`, which this workspace does not use, and claim to stop at the first
//! failure, once per snapshot). The check runs in a child process, because insta
//! reads its settings from the environment once per process.

use std::path::PathBuf;
use std::process::Command;

/// A fresh directory holding `case.snap` with the content `recorded`.
fn snapshot_dir(tag: &str, recorded: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("xtask-snapshot-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("case.snap"),
        format!("---\nsource: test\n---\n{recorded}\n"),
    )
    .unwrap();
    dir
}

/// Runs `child_checks_two_snapshots` in a child process with `update`; returns
/// its stdout and stderr.
fn run_child(update: &str, dirs: &[PathBuf]) -> String {
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_checks_two_snapshots",
            "--ignored",
            "--nocapture",
        ])
        .args(["--test-threads", "1"])
        .env("XTASK_TEST_UPDATE", update)
        .env("XTASK_TEST_DIRS", std::env::join_paths(dirs).unwrap())
        .env_remove("INSTA_UPDATE")
        .env_remove("INSTA_FORCE_PASS")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "the child failed:\n{text}");
    text
}

#[test]
fn check_prints_the_diff_and_its_verdict_without_insta_hints() {
    let dirs = [
        snapshot_dir("check-a", "old value"),
        snapshot_dir("check-b", "old value"),
    ];
    let output = run_child("no", &dirs);
    assert_eq!(output.matches("result: Err").count(), 2, "{output}");
    assert!(output.contains("new value"), "the diff is shown:\n{output}");
    assert!(output.contains("cargo xtask generate"), "{output}");
    assert!(!output.contains("cargo insta"), "{output}");
    assert!(!output.contains("Stopped on the first failure"), "{output}");
    for dir in &dirs {
        let on_disk = std::fs::read_to_string(dir.join("case.snap")).unwrap();
        assert!(on_disk.contains("old value"), "check never writes");
        std::fs::remove_dir_all(dir).unwrap();
    }
}

#[test]
fn generate_rewrites_and_accepts_the_snapshot() {
    let dirs = [snapshot_dir("generate", "old value")];
    let output = run_child("always", &dirs);
    assert_eq!(output.matches("result: Ok").count(), 1, "{output}");
    assert!(!output.contains("cargo insta"), "{output}");
    let on_disk = std::fs::read_to_string(dirs[0].join("case.snap")).unwrap();
    assert!(on_disk.contains("new value"), "{on_disk}");
    std::fs::remove_dir_all(&dirs[0]).unwrap();
}

/// The child half: configures insta as `cargo xtask check|generate` does and
/// checks `new value` against the snapshot in each directory.
#[test]
#[ignore = "run in a child process by the tests above"]
fn child_checks_two_snapshots() {
    let update = std::env::var("XTASK_TEST_UPDATE").expect("run by a parent test");
    // The only test of this process (--exact), and no thread has started yet
    // that reads the environment.
    unsafe { xtask::configure_insta(&update) };
    let dirs = std::env::var_os("XTASK_TEST_DIRS").expect("run by a parent test");
    for dir in std::env::split_paths(&dirs) {
        let result = marketplace_spec_check::check_snapshot(
            &dir,
            "case",
            "new value",
            "a test snapshot",
            &dir.join("case.json"),
        );
        println!("result: {result:?}");
    }
}
