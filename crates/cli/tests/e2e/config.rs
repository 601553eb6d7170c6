//! `mkt config init|show|path`: the template, redaction, secrets from the environment.

use crate::common::{Home, stderr, stdout};

#[test]
fn init_writes_a_template_that_show_reads_back_redacted() {
    let home = Home::new();
    let path = home.mkt().args(["config", "path"]).output().unwrap();
    let path = stdout(&path).trim().to_owned();
    assert_eq!(
        path,
        home.path()
            .join("config/mkt/config.toml")
            .display()
            .to_string()
    );

    let init = home.mkt().args(["config", "init"]).output().unwrap();
    assert!(init.status.success(), "{}", stderr(&init));
    let template = std::fs::read_to_string(&path).unwrap();
    assert!(template.contains("MKT_<MARKETPLACE>_<ACCOUNT>_<FIELD>"));
    // A second init refuses to overwrite.
    let again = home.mkt().args(["config", "init"]).output().unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr(&again).contains("--force"));

    // An account whose secrets are split between the file and the environment.
    std::fs::write(
        &path,
        format!(
            "{template}\n[skyhub.americanas]\nuser_email = \"seller@example.com\"\nidentity_id = \"1\"\napi_key = \"file-secret-value\"\n"
        ),
    )
    .unwrap();
    let shown = home
        .mkt()
        .args(["config", "show"])
        .env(
            "MKT_SKYHUB_AMERICANAS_ACCOUNT_MANAGER_KEY",
            "env-secret-value",
        )
        .output()
        .unwrap();
    let text = stdout(&shown);
    assert!(shown.status.success(), "{}", stderr(&shown));
    assert!(
        !text.contains("file-secret-value") && !text.contains("env-secret-value"),
        "{text}"
    );
    assert!(text.contains("api_key = \"<redacted>\""), "{text}");
    assert!(
        text.contains("account_manager_key = \"<redacted>\""),
        "{text}"
    );
    assert!(text.contains("[skyhub.americanas]"), "{text}");

    // Without the variable, show says which one to set.
    let shown = home.mkt().args(["config", "show"]).output().unwrap();
    assert!(
        stdout(&shown).contains("<not set: MKT_SKYHUB_AMERICANAS_ACCOUNT_MANAGER_KEY>"),
        "{}",
        stdout(&shown)
    );
}

#[test]
fn a_malformed_file_names_the_line_never_the_secret() {
    let home = Home::new();
    std::fs::write(
        home.config_path(),
        "[lectronz.shop]\napi_key = \"s3cret-value\" oops\n",
    )
    .unwrap();
    let output = home.run_blocking(&["config", "show"]);
    assert_eq!(output.status.code(), Some(2));
    let text = stderr(&output);
    assert!(text.contains("line 2"), "{text}");
    assert!(!text.contains("s3cret-value"), "{text}");
}
