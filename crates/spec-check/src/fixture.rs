//! Recorded fixtures: one JSON file per exchange, `tests/fixtures/<spec>/<operation>/<case>.json`.
//! Serializing a [`Fixture`] writes the house format (fields in this order, absent
//! optional ones left out), as `cargo xtask record` does.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One recorded exchange.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Fixture {
    /// What this exchange shows, in one sentence.
    pub description: String,
    /// Where the payloads come from (a seed document, a vendor spec example), if verbatim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Unix time (seconds) the client's clock reads during the exchange; needed
    /// where requests are signed with a timestamp.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub now: Option<i64>,
    /// The request the client must send, exactly.
    pub request: RecordedRequest,
    /// The response the mock answers with.
    pub response: RecordedResponse,
}

/// A request as it travels on the wire.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RecordedRequest {
    /// Upper-case HTTP method.
    pub method: String,
    /// The full path as sent, percent-encoded (including the server's base path).
    pub path: String,
    /// Query parameters as sent (all of them: an extra one is a mismatch).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub query: BTreeMap<String, String>,
    /// Headers that matter (lower-case names); others the client sends are ignored.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// The JSON body, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// A `multipart/form-data` body, part by part, in order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multipart: Option<Vec<RecordedPart>>,
}

/// One part of a recorded `multipart/form-data` body.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RecordedPart {
    /// The form field name.
    pub name: String,
    /// The file name, for file parts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    /// The part's `Content-Type`, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// The part's content (UTF-8 text).
    pub content: String,
}

/// A response as the marketplace sent it.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RecordedResponse {
    /// HTTP status.
    pub status: u16,
    /// Response headers (lower-case names).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// A JSON body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// A non-JSON body (an HTML error page, a truncated body), sent verbatim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_body: Option<String>,
}

/// Where a fixture file sits, and its names.
#[derive(Clone, Debug)]
pub struct FixtureFile {
    /// The fixture file.
    pub path: PathBuf,
    /// Spec name (first folder).
    pub spec: String,
    /// Operation id (second folder).
    pub operation: String,
    /// Case name (file stem).
    pub case: String,
}

impl FixtureFile {
    /// Reads and parses the fixture.
    pub fn load(&self) -> Result<Fixture, String> {
        let text = std::fs::read_to_string(&self.path)
            .map_err(|e| format!("cannot read {}: {e}", self.path.display()))?;
        serde_json::from_str(&text)
            .map_err(|e| format!("{}: not a valid fixture: {e}", self.display()))
    }

    /// The path shown in messages, relative to the workspace.
    pub fn display(&self) -> String {
        format!(
            "tests/fixtures/{}/{}/{}.json",
            self.spec, self.operation, self.case
        )
    }
}

/// All fixture files of `spec`, sorted, plus stray files that are not fixtures.
pub fn list(fixtures_dir: &Path, spec: &str) -> (Vec<FixtureFile>, Vec<PathBuf>) {
    let mut fixtures = Vec::new();
    let mut strays = Vec::new();
    let spec_dir = fixtures_dir.join(spec);
    for operation_dir in sorted_entries(&spec_dir) {
        if !operation_dir.is_dir() {
            strays.push(operation_dir);
            continue;
        }
        let operation = file_name(&operation_dir);
        for path in sorted_entries(&operation_dir) {
            match path.extension().and_then(|e| e.to_str()) {
                Some("json") => fixtures.push(FixtureFile {
                    spec: spec.to_owned(),
                    operation: operation.clone(),
                    case: path
                        .file_stem()
                        .and_then(|s| s.to_str())
                        .unwrap_or_default()
                        .to_owned(),
                    path,
                }),
                Some("snap") => {
                    if !path.with_extension("json").exists() {
                        strays.push(path);
                    }
                }
                _ => strays.push(path),
            }
        }
    }
    (fixtures, strays)
}

fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| !file_name(p).ends_with(".snap.new"))
        .collect();
    entries.sort();
    entries
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .and_then(|s| s.to_str())
        .unwrap_or_default()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writing a fixture gives the house format: the fields in the documented order,
    /// absent optional ones left out, and it reads back as the same exchange (every
    /// fixture of the workspace).
    #[test]
    fn fixtures_are_written_in_the_house_format_and_read_back_unchanged() {
        let root = crate::workspace_root();
        let mut count = 0;
        for spec in crate::spec_names(&root) {
            for file in crate::fixture_files(&root, &spec) {
                let fixture = file.load().unwrap();
                let text = serde_json::to_string_pretty(&fixture).unwrap();
                let again: Fixture = serde_json::from_str(&text).unwrap();
                assert_eq!(
                    serde_json::to_value(&again).unwrap(),
                    serde_json::to_value(&fixture).unwrap(),
                    "{}",
                    file.display()
                );
                let order = [
                    "\"description\"",
                    "\"request\"",
                    "\"method\"",
                    "\"response\"",
                    "\"status\"",
                ];
                // Each key after the one before it.
                let mut from = 0;
                for key in order {
                    from += text[from..]
                        .find(key)
                        .unwrap_or_else(|| panic!("{key} in {text}"));
                }
                assert!(text.starts_with("{\n  \"description\""), "{text}");
                assert_eq!(text.contains("\"now\""), fixture.now.is_some());
                assert_eq!(text.contains("\"source\""), fixture.source.is_some());
                assert_eq!(
                    text.contains("\"multipart\""),
                    fixture.request.multipart.is_some()
                );
                count += 1;
            }
        }
        assert!(count > 100, "{count}");
    }
}
