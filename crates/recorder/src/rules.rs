//! The scrubbing rules: one reviewable file, `tests/fixtures/scrub-rules.yaml`, with
//! the clock every recorded fixture is pinned to, the headers never recorded, and
//! per spec the fields that hold personal data.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Deserialize;

/// Where the rules are, under the workspace root.
pub const RULES_FILE: &str = "tests/fixtures/scrub-rules.yaml";

/// The rules file, as written.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// The clock of every recorded fixture (its `now`): the auth timestamp, and the
    /// instant the recording's own time is moved to (every time in the exchange moves
    /// by the same amount).
    pub now: DateTime<Utc>,
    /// Request headers never recorded (lower case): set by the HTTP library, not by
    /// the operation. Every other header the client sent is recorded (and the
    /// replay requires it).
    pub drop_request_headers: Vec<String>,
    /// The only response headers recorded (lower case; a trailing `*` matches any
    /// rest): what a client reads. Anything else a marketplace sends (cookies,
    /// tracing ids, caching) stays out.
    pub keep_response_headers: Vec<String>,
    /// Personal data, per spec name.
    #[serde(default)]
    pub specs: BTreeMap<String, PersonalData>,
}

/// The fields of one spec that hold personal data, by kind.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonalData {
    /// People's names: `Person 1`, `Person 2`, …
    #[serde(default)]
    pub names: Vec<FieldPath>,
    /// E-mail addresses: `person-1@example.invalid`, …
    #[serde(default)]
    pub emails: Vec<FieldPath>,
    /// Phone numbers: `+12025550101`, … (a fictional range).
    #[serde(default)]
    pub phones: Vec<FieldPath>,
    /// Free text people wrote (messages, subjects): `Text 1`, …
    #[serde(default)]
    pub text: Vec<FieldPath>,
}

/// What a personal-data field holds, which decides its placeholder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// A person's name.
    Name,
    /// An e-mail address.
    Email,
    /// A phone number.
    Phone,
    /// Free text.
    Text,
}

impl Kind {
    /// The `n`-th (from 1) placeholder of this kind.
    pub fn placeholder(self, n: usize) -> String {
        match self {
            Kind::Name => format!("Person {n}"),
            Kind::Email => format!("person-{n}@{PLACEHOLDER_EMAIL_DOMAIN}"),
            Kind::Phone => format!("+1202555{:04}", 100 + n),
            Kind::Text => format!("Text {n}"),
        }
    }
}

/// The domain of every placeholder e-mail address (RFC 2606: never resolves).
pub const PLACEHOLDER_EMAIL_DOMAIN: &str = "example.invalid";

impl PersonalData {
    /// Every rule with its kind.
    pub fn rules(&self) -> impl Iterator<Item = (Kind, &FieldPath)> {
        let kinds = [
            (Kind::Name, &self.names),
            (Kind::Email, &self.emails),
            (Kind::Phone, &self.phones),
            (Kind::Text, &self.text),
        ];
        kinds
            .into_iter()
            .flat_map(|(kind, paths)| paths.iter().map(move |path| (kind, path)))
    }
}

/// Which values a rule applies to: a path of JSON keys, `*` for any one key or
/// array index. `customer/name` matches a `name` inside a `customer` object anywhere
/// in a body (or a query parameter `name` for a one-segment path); `/message` only
/// the body's own top-level `message`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct FieldPath {
    anchored: bool,
    segments: Vec<String>,
}

impl TryFrom<String> for FieldPath {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        let anchored = text.starts_with('/');
        let segments: Vec<String> = text
            .trim_start_matches('/')
            .split('/')
            .map(str::to_owned)
            .collect();
        if segments.iter().any(String::is_empty) {
            return Err(format!(
                "field path {text:?}: empty segment (write `customer/name`, `/message` or `messages/*/content`)"
            ));
        }
        Ok(FieldPath { anchored, segments })
    }
}

impl FieldPath {
    /// Whether the value at `path` (keys and array indices from the body's root) is
    /// one this rule names.
    pub fn matches(&self, path: &[String]) -> bool {
        let n = self.segments.len();
        if path.len() < n || (self.anchored && path.len() != n) {
            return false;
        }
        self.segments
            .iter()
            .zip(&path[path.len() - n..])
            .all(|(rule, key)| rule == "*" || rule == key)
    }
}

impl Rules {
    /// Reads the rules of the workspace at `root`, checking that every spec they name
    /// exists under `root/specs`.
    pub fn load(root: &Path) -> Result<Rules, String> {
        let path = root.join(RULES_FILE);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", shown(&path, root)))?;
        let rules: Rules =
            serde_yaml::from_str(&text).map_err(|e| format!("{}: {e}", shown(&path, root)))?;
        for spec in rules.specs.keys() {
            if !root.join("specs").join(format!("{spec}.yaml")).is_file() {
                return Err(format!(
                    "{}: `specs.{spec}` names no spec (specs/{spec}.yaml does not exist)",
                    shown(&path, root)
                ));
            }
        }
        Ok(rules)
    }

    /// Whether the response header `name` (lower case) is recorded.
    pub fn keeps_response_header(&self, name: &str) -> bool {
        self.keep_response_headers
            .iter()
            .any(|kept| match kept.strip_suffix('*') {
                Some(prefix) => name.starts_with(prefix),
                None => name == kept,
            })
    }

    /// The personal-data rules of `spec` (none if the file lists none).
    pub fn personal_data(&self, spec: &str) -> PersonalData {
        self.specs.get(spec).cloned().unwrap_or_default()
    }
}

fn shown(path: &Path, root: &Path) -> String {
    path.strip_prefix(root)
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| PathBuf::from(path))
        .display()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(text: &str) -> FieldPath {
        FieldPath::try_from(text.to_owned()).unwrap()
    }

    fn keys(text: &str) -> Vec<String> {
        text.split('/').map(str::to_owned).collect()
    }

    #[test]
    fn field_paths_match_a_suffix_or_the_whole_path_when_anchored() {
        assert!(path("customer/name").matches(&keys("result/chats/0/context/customer/name")));
        assert!(!path("customer/name").matches(&keys("result/chats/0/context/name")));
        assert!(path("messages/*/content").matches(&keys("messages/3/content")));
        assert!(!path("messages/*/content").matches(&keys("messages/content")));
        assert!(path("/message").matches(&keys("message")));
        assert!(!path("/message").matches(&keys("errors/0/message")));
        assert!(path("message").matches(&keys("errors/0/message")));
        assert!(FieldPath::try_from("a//b".to_owned()).is_err());
        assert!(FieldPath::try_from("/".to_owned()).is_err());
    }

    #[test]
    fn the_workspace_rules_load_and_name_existing_specs() {
        let root = marketplace_conformance::workspace_root();
        let rules = Rules::load(&root).unwrap();
        assert!(rules.drop_request_headers.iter().any(|h| h == "user-agent"));
        assert!(rules.keeps_response_header("x-ratelimit-resource-until"));
        assert!(rules.keeps_response_header("content-type"));
        assert!(!rules.keeps_response_header("set-cookie"));
        assert!(rules.personal_data("skyhub-sac").rules().count() >= 3);
    }

    #[test]
    fn a_rule_for_an_unknown_spec_or_kind_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("tests/fixtures")).unwrap();
        std::fs::create_dir_all(dir.path().join("specs")).unwrap();
        let write = |text: &str| std::fs::write(dir.path().join(RULES_FILE), text).unwrap();
        let head =
            "now: 2026-01-15T12:00:00Z\ndrop_request_headers: []\nkeep_response_headers: []\n";
        write(&format!("{head}specs:\n  lectronx:\n    text: [content]\n"));
        let error = Rules::load(dir.path()).unwrap_err();
        assert!(error.contains("`specs.lectronx` names no spec"), "{error}");
        std::fs::write(dir.path().join("specs/lectronz.yaml"), "").unwrap();
        write(&format!(
            "{head}specs:\n  lectronz:\n    addresses: [street]\n"
        ));
        let error = Rules::load(dir.path()).unwrap_err();
        assert!(error.contains("unknown field `addresses`"), "{error}");
    }

    #[test]
    fn placeholders_are_numbered_per_kind() {
        assert_eq!(Kind::Name.placeholder(2), "Person 2");
        assert_eq!(Kind::Email.placeholder(1), "person-1@example.invalid");
        assert_eq!(Kind::Phone.placeholder(1), "+12025550101");
        assert_eq!(Kind::Text.placeholder(3), "Text 3");
    }
}
