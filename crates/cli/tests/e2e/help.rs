//! Every command has `--help` with an example; usage errors exit 2.

use crate::common::{Home, stderr, stdout};

const COMMANDS: &[&[&str]] = &[
    &["inbox"],
    &["show"],
    &["reply"],
    &["mark-read"],
    &["start"],
    &["sync"],
    &["serve"],
    &["trigger"],
    &["doctor"],
    &["subscriptions"],
    &["mock"],
    &["schema"],
    &["config"],
];

#[test]
fn every_command_has_help_with_an_example() {
    let home = Home::new();
    for command in COMMANDS {
        let output = home.mkt().args(*command).arg("--help").output().unwrap();
        let text = stdout(&output);
        assert!(output.status.success(), "{command:?}: {}", stderr(&output));
        assert!(
            text.contains("Example"),
            "`mkt {} --help` shows no example:\n{text}",
            command.join(" ")
        );
        // Every example names mkt itself.
        assert!(text.contains("mkt "), "{command:?}:\n{text}");
    }
    let top = stdout(&home.mkt().arg("--help").output().unwrap());
    for code in [
        "0  success",
        "2  usage error",
        "3  partial failure",
        "4  authentication failure",
    ] {
        assert!(
            top.contains(code),
            "exit code `{code}` undocumented:\n{top}"
        );
    }
}

#[test]
fn usage_errors_exit_2_and_name_the_problem() {
    let home = Home::new();
    let output = home.mkt().args(["show", "nowhere:x:1"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("nowhere"), "{}", stderr(&output));

    let output = home
        .mkt()
        .args(["inbox", "--marketplace", "ebay"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("unknown marketplace `ebay`"),
        "{}",
        stderr(&output)
    );

    // No configuration yet: a usage error that says what to do.
    let output = home.mkt().arg("inbox").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let text = stderr(&output);
    assert!(
        text.contains("mkt config init") && text.contains("--mock"),
        "{text}"
    );
}
