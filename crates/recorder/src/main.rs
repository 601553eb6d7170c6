//! `record`: one operation called against a live API, written as a scrubbed fixture.
//! Run it as `cargo xtask record …` (see `--help`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use marketplace_recorder::{Credentials, Recording, dry_run, record, write};
use serde_json::Value;

/// Records one operation of a marketplace API as a fixture:
/// tests/fixtures/<SPEC>/<OPERATION>/<CASE>.json and its snapshot.
///
/// The operation goes through its generated client and a loopback recording proxy,
/// which adds the live credentials from the environment on the way out
/// (MKT_<MARKETPLACE>_<ACCOUNT>_<FIELD>: MKT_LECTRONZ_DEFAULT_API_KEY,
/// MKT_SKYHUB_DEFAULT_USER_EMAIL / _API_KEY / _ACCOUNT_MANAGER_KEY,
/// MKT_YANDEX_DEFAULT_API_KEY, MKT_METRO_DEFAULT_CLIENT_KEY / _CLIENT_SECRET). The
/// exchange is scrubbed by tests/fixtures/scrub-rules.yaml, refused if a credential
/// or a real e-mail address is left, and checked like `cargo xtask check` checks it
/// before anything is written.
#[derive(Debug, Parser)]
#[command(bin_name = "cargo xtask record", version, after_help = EXAMPLES)]
struct Cli {
    /// The spec: lectronz, skyhub-sac, yandex-market-chats, metro-message-center or
    /// metro-subscriptions.
    spec: String,
    /// The operation id, e.g. get_message.
    operation: String,
    /// The case name: the fixture's file name (lower case, digits, `_`).
    #[arg(long)]
    case: String,
    /// The marketplace's base URL, scheme://host[:port] (a sandbox, or the mock).
    #[arg(long)]
    base_url: String,
    /// A path, query or header parameter of the operation: NAME=VALUE (repeat it).
    #[arg(long = "arg", value_name = "NAME=VALUE", value_parser = name_value)]
    args: Vec<(String, String)>,
    /// The JSON request body, or @FILE to read it from a file.
    #[arg(long, value_name = "JSON|@FILE")]
    body: Option<String>,
    /// The account whose credentials are used (<ACCOUNT> in the variable names).
    #[arg(long, default_value = "DEFAULT")]
    account: String,
    /// What the exchange shows, in one sentence (the fixture's description).
    #[arg(long)]
    description: Option<String>,
    /// Print the scrubbed fixture and what it decodes to; write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Replace an existing fixture with the same case name.
    #[arg(long)]
    force: bool,
    /// The workspace to write into (default: this one); a copy of its specs/ and
    /// tests/fixtures/ will do.
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
}

const EXAMPLES: &str = "Examples:
  MKT_LECTRONZ_DEFAULT_API_KEY=… cargo xtask record lectronz get_message \\
      --case unread_customer_message --base-url https://lectronz.com --arg id=1043
  cargo xtask record yandex-market-chats get_chats --case first_page --dry-run \\
      --base-url https://api.partner.market.yandex.ru --arg businessId=12345 --body '{}'

  Try it on the mock: `cargo xtask mock` prints a base URL and credentials for each API.";

fn name_value(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .filter(|(name, _)| !name.is_empty())
        .ok_or_else(|| format!("{text:?} is not NAME=VALUE"))
}

fn main() -> ExitCode {
    // Before any thread starts: insta writes the new fixture's snapshot (the
    // verdict is the harness's own, see `marketplace_spec_check::check_snapshot`),
    // quietly: `--dry-run` prints what it decodes to, and a written snapshot is new.
    unsafe {
        std::env::set_var("INSTA_UPDATE", "always");
        std::env::set_var("INSTA_FORCE_PASS", "1");
        std::env::set_var("INSTA_OUTPUT", "none");
    }
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), String> {
    let body = cli.body.as_deref().map(read_body).transpose()?;
    let credentials =
        Credentials::from_env(&cli.spec, &cli.account, |name| std::env::var(name).ok())?;
    let recording = Recording {
        root: cli
            .root
            .unwrap_or_else(marketplace_conformance::workspace_root),
        spec: cli.spec,
        operation: cli.operation,
        case: cli.case,
        base_url: cli.base_url,
        args: cli.args,
        body,
        description: cli.description,
        force: cli.force,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a tokio runtime: {e}"))?;
    let recorded = runtime.block_on(record(&recording, credentials))?;
    drop(runtime);
    eprintln!("scrubbed: {}", recorded.report);
    if cli.dry_run {
        let decoded = dry_run(&recording, &recorded)?;
        print!("{}", recorded.text);
        println!("\n# what the client decodes it to (the snapshot):\n{decoded}");
        eprintln!("dry run: nothing written");
        return Ok(());
    }
    let path = write(&recording, &recorded)?;
    println!(
        "wrote {} and its snapshot; it passes the spec checks and replays",
        path.strip_prefix(&recording.root)
            .unwrap_or(&path)
            .display()
    );
    Ok(())
}

fn read_body(text: &str) -> Result<Value, String> {
    let json = match text.strip_prefix('@') {
        Some(file) => std::fs::read_to_string(file).map_err(|e| format!("--body @{file}: {e}"))?,
        None => text.to_owned(),
    };
    serde_json::from_str(&json).map_err(|e| format!("--body is not JSON: {e}"))
}
