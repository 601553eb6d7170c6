//! `cargo xtask record`: a fixture recorded from a live API instead of typed from
//! documentation, scrubbed by rule so that no secret, signature or buyer's personal
//! data reaches the repository.
//!
//! One operation is called through its generated client, built as the conformance
//! harness builds it for a replay (its fake credentials, the fixture's clock); the
//! client talks to a loopback [recording proxy](proxy), which applies the live
//! credentials (read from `MKT_<MARKETPLACE>_<ACCOUNT>_<FIELD>`, see [`credentials`])
//! on the way to the marketplace and keeps the exchange. The exchange is written in
//! the house format ([`capture`]), [scrubbed](scrub) by the rules of
//! `tests/fixtures/scrub-rules.yaml` ([`rules`]), refused if anything live is left
//! ([`guard`]), then checked like `cargo xtask check` checks it — against the spec
//! and replayed through the client, in a scratch tree — before it and its snapshot
//! are written.
//!
//! ```no_run
//! use marketplace_recorder::{Credentials, Recording, record, write};
//!
//! # async fn run() -> Result<(), String> {
//! let recording = Recording {
//!     root: marketplace_conformance::workspace_root(),
//!     spec: "lectronz".into(),
//!     operation: "get_message".into(),
//!     case: "recorded_message".into(),
//!     base_url: "https://lectronz.com".into(),
//!     args: vec![("id".into(), "1043".into())],
//!     body: None,
//!     description: None,
//!     force: false,
//! };
//! let credentials = Credentials::from_env("lectronz", "DEFAULT", |n| std::env::var(n).ok())?;
//! let recorded = record(&recording, credentials).await?;
//! // Outside the async runtime (the check replays on one of its own); the snapshot
//! // is written only where insta may write (`INSTA_UPDATE=always`, as `record` sets).
//! # Ok(()) }
//! # fn later(recording: marketplace_recorder::Recording, recorded: marketplace_recorder::Recorded) -> Result<(), String> {
//! let path = write(&recording, &recorded)?;
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

pub mod capture;
pub mod credentials;
pub mod guard;
pub mod proxy;
pub mod rules;
pub mod scrub;

use std::path::{Path, PathBuf};

use marketplace_conformance::{Fixture, Outcome, call_from_args, check_fixture_in, run_call};
use serde_json::Value;

pub use credentials::Credentials;
pub use rules::Rules;

/// What to record, and where the fixture goes.
#[derive(Clone, Debug)]
pub struct Recording {
    /// The workspace (or a copy of its `specs/` and `tests/fixtures/`).
    pub root: PathBuf,
    /// The spec (`specs/<spec>.yaml`).
    pub spec: String,
    /// The operation id.
    pub operation: String,
    /// The case name: the fixture is `tests/fixtures/<spec>/<operation>/<case>.json`.
    pub case: String,
    /// The marketplace: `scheme://host[:port]`, like a client's base URL.
    pub base_url: String,
    /// The operation's path, query and header parameters, by name, as text.
    pub args: Vec<(String, String)>,
    /// The JSON request body, if the operation takes one.
    pub body: Option<Value>,
    /// What the exchange shows, in one sentence (a default names the operation and
    /// the status).
    pub description: Option<String>,
    /// Replace an existing fixture of that name.
    pub force: bool,
}

impl Recording {
    /// Where the fixture is written.
    pub fn fixture_path(&self) -> PathBuf {
        marketplace_spec_check::fixture_file(&self.root, &self.spec, &self.operation, &self.case)
            .path
    }
}

/// A scrubbed fixture, checked for live data, not yet written.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// The fixture, as the file will hold it.
    pub text: String,
    /// What scrubbing changed.
    pub report: scrub::Report,
}

/// Calls the operation through the recording proxy, then captures, scrubs and
/// guards the exchange. Nothing is written. Fails before contacting the marketplace
/// on bad input (case name, existing fixture without `force`, arguments the
/// operation does not take, the rules file), and after it when the exchange cannot
/// become a fixture or still holds live data.
pub async fn record(what: &Recording, credentials: Credentials) -> Result<Recorded, String> {
    if what.case.is_empty()
        || !what
            .case
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(format!(
            "--case {:?}: use lower-case letters, digits and `_` (the file name)",
            what.case
        ));
    }
    let rules = Rules::load(&what.root)?;
    let call = call_from_args(
        &what.root,
        &what.spec,
        &what.operation,
        &what.args,
        what.body.clone(),
    )?;
    let path = what.fixture_path();
    if path.exists() && !what.force {
        return Err(format!(
            "{} exists: choose another --case, or pass --force to replace it",
            shown(&path, &what.root)
        ));
    }
    let spec = marketplace_spec_check::load(&what.root, &what.spec)?;
    let spec_origin = origin(
        spec.document["servers"][0]["url"]
            .as_str()
            .unwrap_or_default(),
    )
    .ok_or_else(|| format!("{} has no default server URL", spec.display_path))?;
    let live_origin = origin(&what.base_url)
        .ok_or_else(|| format!("--base-url {:?} is not an http(s) URL", what.base_url))?;

    let (auth, secrets) = credentials.into_parts();
    let proxy = proxy::Proxy::start(&what.base_url, auth).await?;
    let now = rules.now.timestamp();
    let outcome = run_call(&what.root, &what.spec, proxy.uri(), Some(now), call).await?;
    let exchanges = proxy.exchanges();
    drop(proxy);
    let exchange = match exchanges.as_slice() {
        [one] => one,
        [] => {
            let why = match outcome {
                Outcome::BadArguments(why) => why,
                other => format!("{other:?}"),
            };
            return Err(format!("the client sent no request: {why}"));
        }
        many => {
            return Err(format!(
                "the operation made {} requests; a fixture records exactly one",
                many.len()
            ));
        }
    };
    let response = exchange.response.as_ref().map_err(Clone::clone)?;
    let description = what.description.clone().unwrap_or_else(|| {
        format!(
            "Recorded with `cargo xtask record`: `{}` answered {}.",
            what.operation, response.status
        )
    });
    let mut fixture = capture::fixture(&exchange.request, response, &rules, &description)?;

    let mut report = scrub::Report {
        addresses_rewritten: scrub::rewrite_origin(&mut fixture, &live_origin, &spec_origin),
        shift_seconds: now - exchange.sent_at,
        ..scrub::Report::default()
    };
    report.times_shifted = scrub::shift_times(&mut fixture, report.shift_seconds);
    report.placeholders =
        scrub::personal_data(&mut fixture, &rules.personal_data(&what.spec)).counts();
    fixture["now"] = now.into();
    marketplace_conformance::signing::sign_fixture(&what.spec, &mut fixture)?;

    let found = guard::findings(&fixture, &secrets, &exchange.credential_headers);
    if !found.is_empty() {
        let list: Vec<String> = found.iter().map(|f| format!("  - {f}")).collect();
        return Err(format!(
            "refusing to write {}: after scrubbing it still holds\n{}\nAdd rules for these fields to {} (specs.{}), then record again.",
            shown(&path, &what.root),
            list.join("\n"),
            rules::RULES_FILE,
            what.spec
        ));
    }
    let fixture: Fixture = serde_json::from_value(fixture)
        .map_err(|e| format!("the recorded fixture is not in the house format: {e}"))?;
    let text = serde_json::to_string_pretty(&fixture).map_err(|e| e.to_string())? + "\n";
    Ok(Recorded { text, report })
}

/// Checks the recorded fixture in a scratch copy of its spec — the spec stage's
/// schema checks and a replay through the client, as `cargo xtask check` runs them —
/// and returns what it decodes to (its snapshot's content). Nothing is written under
/// [`Recording::root`].
pub fn dry_run(what: &Recording, recorded: &Recorded) -> Result<String, String> {
    let scratch = tempfile::tempdir().map_err(|e| format!("a scratch directory: {e}"))?;
    let copy = Recording {
        root: scratch.path().to_owned(),
        ..what.clone()
    };
    let specs = scratch.path().join("specs");
    std::fs::create_dir_all(&specs).map_err(|e| format!("{}: {e}", specs.display()))?;
    let spec_file = format!("{}.yaml", what.spec);
    std::fs::copy(
        what.root.join("specs").join(&spec_file),
        specs.join(&spec_file),
    )
    .map_err(|e| format!("specs/{spec_file}: {e}"))?;
    write_checked(&copy, recorded)?;
    let snapshot = copy.fixture_path().with_extension("snap");
    let text =
        std::fs::read_to_string(&snapshot).map_err(|e| format!("{}: {e}", snapshot.display()))?;
    // The content only: the header names the scratch directory.
    Ok(text.splitn(3, "---\n").nth(2).unwrap_or(&text).to_owned())
}

/// Checks the fixture in a scratch tree ([`dry_run`]), then writes it and its
/// snapshot under [`Recording::root`]; returns the fixture's path. If the check in
/// the real tree fails after all, the files are put back as they were.
pub fn write(what: &Recording, recorded: &Recorded) -> Result<PathBuf, String> {
    dry_run(what, recorded)?;
    write_checked(what, recorded)?;
    Ok(what.fixture_path())
}

/// Writes the fixture and checks it where it is, which writes its snapshot; on
/// failure restores both files.
fn write_checked(what: &Recording, recorded: &Recorded) -> Result<(), String> {
    let path = what.fixture_path();
    let snapshot = path.with_extension("snap");
    let before = (read(&path), read(&snapshot));
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    std::fs::write(&path, &recorded.text).map_err(|e| format!("{}: {e}", path.display()))?;
    let checked = check_fixture_in(&what.root, &what.spec, &what.operation, &what.case);
    if let Err(problem) = checked {
        restore(&path, before.0);
        restore(&snapshot, before.1);
        return Err(format!(
            "the recorded fixture does not pass the checks, so it was not written:\n{problem}"
        ));
    }
    Ok(())
}

fn read(path: &Path) -> Option<Vec<u8>> {
    std::fs::read(path).ok()
}

/// Puts a file back as it was (`None`: it did not exist). Best effort: the error
/// already being reported is the one that matters.
fn restore(path: &Path, contents: Option<Vec<u8>>) {
    let _ = match contents {
        Some(contents) => std::fs::write(path, contents),
        None => std::fs::remove_file(path),
    };
}

/// `scheme://host[:port]` of an http(s) URL.
fn origin(url: &str) -> Option<String> {
    reqwest::Url::parse(url)
        .ok()
        .filter(|url| matches!(url.scheme(), "http" | "https") && url.has_host())
        .map(|url| url.origin().ascii_serialization())
}

fn shown(path: &Path, root: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}
