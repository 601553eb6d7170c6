//! `cargo xtask diff`: what a spec change means for callers of the generated client.
//!
//! Each spec in the working tree is compared with the same file at a base git
//! revision, on the parsed OpenAPI model (`openapiv3`, the model progenitor reads):
//! operations are matched by `operationId` (then by method and path), parameters by
//! name, schemas structurally and recursively with `$ref`s resolved. Every difference
//! that matters to a caller or to response decoding becomes a [`Change`], classified
//! [`Class::Breaking`] or [`Class::NonBreaking`]; descriptions, summaries and the
//! order of paths, properties or enum values never do.
//!
//! The classification follows one principle: what the client sends must still be
//! accepted (request side: narrowing is breaking), what the marketplace sends must
//! still decode (response side: widening is breaking), and the generated Rust API
//! must still compile for existing callers (a renamed method or type, a removed
//! builder setter, a field that changes between `T` and `Option<T>`). Two house
//! facts soften it: string enums are tolerant (an unknown value decodes into
//! `Other`, so a new response enum value is not breaking) and unknown response
//! fields are ignored. Request structs are meant to be built with their builders,
//! so a new optional request field is not breaking either.
//!
//! The Markdown report ([`report`]) also shows how the generated API surface
//! changed, as a unified diff of `specs/<name>.api.snap` ([`surface`]).

mod changes;
mod compare;
pub mod git;
mod marketplace;
pub mod report;
mod schema;
pub mod surface;

use std::fmt;
use std::path::Path;

use marketplace_codegen::Spec;
use openapiv3::OpenAPI;

pub use compare::compare;

/// A spec's text read once: the shared spec model (house rules, API surface) and
/// its `openapiv3` model (what the comparison walks).
pub struct Parsed {
    /// The spec, as the generator and the house rules read it.
    pub spec: Spec,
    /// The model progenitor reads, which the comparison walks.
    pub api: OpenAPI,
}

/// Parses `specs/<name>.yaml`'s text (YAML or JSON); errors name the JSON pointer
/// of the offending field.
pub fn parse(name: &str, text: &str) -> Result<Parsed, String> {
    let spec = Spec::parse(Path::new(&format!("specs/{name}.yaml")), text)
        .map_err(|finding| finding.to_string())?;
    let api = spec
        .model(&spec.document)
        .map_err(|finding| finding.to_string())?;
    Ok(Parsed { spec, api })
}

/// Whether a change breaks callers of the generated client or response decoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// Existing callers stop compiling, requests that worked are now rejected, or
    /// responses that decoded no longer do.
    Breaking,
    /// Nothing that worked stops working.
    NonBreaking,
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Class::Breaking => "breaking",
            Class::NonBreaking => "non-breaking",
        })
    }
}

/// One classified difference between two versions of a spec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// Breaking or not.
    pub class: Class,
    /// Stable rule id, e.g. `parameter-required` (listed in `ARCHITECTURE.md`).
    pub rule: &'static str,
    /// What changed, as the reader finds it: an operation (`list_messages`), a
    /// parameter (`list_messages(limit)`), a schema location (`Message.read_at`,
    /// `MessageList.messages[]`) or the spec itself.
    pub subject: String,
    /// What happened, in one sentence (Markdown).
    pub message: String,
    /// The operations a schema change reaches (empty for operation-level changes).
    pub operations: Vec<String>,
}

impl Change {
    /// `breaking parameter-required list_messages(limit)`: the line format of the
    /// spec-pair suite's `expected.txt` files.
    pub fn key(&self) -> String {
        format!("{} {} {}", self.class, self.rule, self.subject)
    }
}

/// The outcome of `cargo xtask diff`.
#[derive(Debug)]
pub struct Outcome {
    /// The Markdown report.
    pub report: String,
    /// Number of breaking changes over all specs.
    pub breaking: usize,
    /// Specs that could not be compared (unparseable at one side), with why.
    pub errors: Vec<String>,
}

/// Options of `cargo xtask diff`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// `--base <rev>`; `None` means the merge base with `main` (or `HEAD`).
    pub base: Option<String>,
    /// `--fail-on breaking`.
    pub fail_on_breaking: bool,
    /// Spec names (`lectronz`, `lectronz.yaml` or `specs/lectronz.yaml`); empty
    /// means every spec present at either side.
    pub specs: Vec<String>,
}

/// The usage text of `cargo xtask diff`.
pub const USAGE: &str =
    "usage: cargo xtask diff [--base <git rev>] [--fail-on breaking] [<spec>...]

Compares each spec (specs/*.yaml, or the named ones) in the working tree with the
same file at the base revision (default: `git merge-base HEAD main`, else HEAD) and
prints a Markdown report: every change classified breaking or non-breaking, and the
generated API-surface diff. --fail-on breaking exits with status 1 if any change is
breaking.";

impl Options {
    /// Parses the arguments after `diff`.
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Options, String> {
        let mut options = Options::default();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--base" => {
                    options.base = Some(args.next().ok_or("--base needs a git revision")?);
                }
                "--fail-on" => match args.next().as_deref() {
                    Some("breaking") => options.fail_on_breaking = true,
                    other => {
                        return Err(format!(
                            "--fail-on takes `breaking`, found {}",
                            other.map_or("nothing".into(), |o| format!("`{o}`"))
                        ));
                    }
                },
                flag if flag.starts_with("--") => {
                    if let Some(base) = flag.strip_prefix("--base=") {
                        options.base = Some(base.to_owned());
                    } else if flag == "--fail-on=breaking" {
                        options.fail_on_breaking = true;
                    } else {
                        return Err(format!("unknown option `{flag}`"));
                    }
                }
                spec => options.specs.push(spec_name(spec)),
            }
        }
        Ok(options)
    }
}

/// `specs/lectronz.yaml`, `lectronz.yaml`, `lectronz` → `lectronz`.
fn spec_name(arg: &str) -> String {
    let file = arg.rsplit('/').next().unwrap_or(arg);
    file.strip_suffix(".yaml").unwrap_or(file).to_owned()
}

/// Runs `cargo xtask diff` in the git work tree `root` (which holds `specs/`).
pub fn run(root: &Path, options: &Options) -> Result<Outcome, String> {
    let base = git::Base::resolve(root, options.base.as_deref())?;
    let names = if options.specs.is_empty() {
        let mut names = git::working_specs(root)?;
        names.extend(base.specs()?);
        names.sort();
        names.dedup();
        names
    } else {
        options.specs.clone()
    };

    let mut specs = Vec::new();
    let mut errors = Vec::new();
    for name in &names {
        let file = format!("specs/{name}.yaml");
        let old_text = base.read(&file)?;
        let new_text = std::fs::read_to_string(root.join(&file)).ok();
        if old_text.is_none() && new_text.is_none() {
            return Err(format!(
                "{file} exists neither in the working tree nor at {}",
                base.label
            ));
        }
        let old = old_text.as_deref().map(|t| parse(name, t));
        let new = new_text.as_deref().map(|t| parse(name, t));
        let mut section = report::SpecSection::new(&file);
        section.edited = old_text != new_text;
        match (old.transpose(), new.transpose()) {
            (Ok(old), Ok(new)) => {
                section.changes =
                    compare(old.as_ref().map(|p| &p.api), new.as_ref().map(|p| &p.api));
                section.surface = Some(surface::diff(
                    root,
                    &base,
                    name,
                    new.as_ref().map(|p| &p.spec),
                ));
            }
            (old, new) => {
                for (side, result) in [
                    (base.label.as_str(), old.err()),
                    ("working tree", new.err()),
                ] {
                    if let Some(e) = result {
                        let error = format!("{file} at {side} cannot be read as OpenAPI 3.0: {e}");
                        section.errors.push(error.clone());
                        errors.push(error);
                    }
                }
            }
        }
        specs.push(section);
    }
    let breaking = specs
        .iter()
        .flat_map(|s| &s.changes)
        .filter(|c| c.class == Class::Breaking)
        .count();
    Ok(Outcome {
        report: report::render(&base.label, &specs),
        breaking,
        errors,
    })
}
