//! The one spec model every tool shares: a spec file parsed once ([`Spec`]), its
//! operations ([`operations`]), `$ref` resolution for the JSON document and the
//! `openapiv3` model ([`resolve`], [`follow`]), and problems reported by JSON
//! pointer ([`Finding`]). The house rules, the generator, the spec checks, the
//! fixture replay and `cargo xtask diff` all read specs through it.

mod operations;
mod refs;

use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::Value;

pub use operations::{IDEMPOTENT, METHODS, MULTIPART, Operation, is_json_media_type, operations};
pub use refs::{
    Component, component_ref, follow, follow_ref, resolve, schema_name, schema_ref_name,
};

/// One spec file, parsed but not yet checked against the house rules.
#[derive(Clone, Debug)]
pub struct Spec {
    /// File stem, e.g. `lectronz`; also the crate suffix and fixture folder name.
    pub name: String,
    /// The path as given (used to read the file).
    pub path: PathBuf,
    /// The path shown in messages, e.g. `specs/lectronz.yaml`.
    pub display_path: String,
    /// The document as JSON (YAML response codes become string keys).
    pub document: Value,
}

/// A problem in a spec: which file, where (JSON pointer), which house rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The spec file, as shown to the user.
    pub file: String,
    /// JSON pointer into the document (`""` for the whole file).
    pub pointer: String,
    /// The rule's id, e.g. `one-success-schema`.
    pub rule: &'static str,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}#{}: [{}] {}",
            self.file, self.pointer, self.rule, self.message
        )
    }
}

impl Spec {
    /// Reads and parses `path` (YAML or JSON).
    pub fn load(path: &Path) -> Result<Spec, Finding> {
        let text = std::fs::read_to_string(path).map_err(|e| Finding {
            file: display_path(path),
            pointer: String::new(),
            rule: "readable",
            message: format!("cannot read {}: {e}", path.display()),
        })?;
        Spec::parse(path, &text)
    }

    /// Parses the text of the spec file at `path` (YAML or JSON); `path` names the
    /// spec (a file at another git revision is parsed from its text the same way).
    pub fn parse(path: &Path, text: &str) -> Result<Spec, Finding> {
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_owned();
        let display_path = display_path(path);
        let finding = |rule, message: String| Finding {
            file: display_path.clone(),
            pointer: String::new(),
            rule,
            message,
        };
        let yaml: serde_yaml::Value = serde_yaml::from_str(text)
            .map_err(|e| finding("valid-yaml", format!("not valid YAML: {e}")))?;
        let document = serde_json::to_value(yaml)
            .map_err(|e| finding("valid-yaml", format!("not representable as JSON: {e}")))?;
        Ok(Spec {
            name,
            path: path.to_owned(),
            display_path,
            document,
        })
    }

    /// A finding located at `pointer` in this spec.
    pub fn finding(
        &self,
        pointer: impl Into<String>,
        rule: &'static str,
        message: impl Into<String>,
    ) -> Finding {
        Finding {
            file: self.display_path.clone(),
            pointer: pointer.into(),
            rule,
            message: message.into(),
        }
    }

    /// The document as an `openapiv3` model (the one progenitor reads). A field of the
    /// wrong shape is reported at its JSON pointer.
    pub fn model(&self, document: &Value) -> Result<openapiv3::OpenAPI, Finding> {
        serde_path_to_error::deserialize(document).map_err(|e| {
            let pointer = path_to_pointer(e.path());
            self.finding(
                pointer,
                "openapi-3.0-shape",
                format!("does not match the OpenAPI 3.0 schema: {}", e.inner()),
            )
        })
    }
}

/// `specs/<file name>`, as findings show a spec file.
fn display_path(path: &Path) -> String {
    format!(
        "specs/{}",
        path.file_name()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
    )
}

fn path_to_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    path.iter()
        .filter_map(|segment| match segment {
            Segment::Seq { index } => Some(index.to_string()),
            Segment::Map { key } => Some(key.clone()),
            Segment::Enum { variant } => Some(variant.clone()),
            Segment::Unknown => None,
        })
        .map(|token| format!("/{}", escape(&token)))
        .collect()
}

/// Escapes one JSON-pointer reference token (RFC 6901).
pub fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Builds a JSON pointer from reference tokens.
pub fn pointer<'a>(tokens: impl IntoIterator<Item = &'a str>) -> String {
    tokens
        .into_iter()
        .map(|t| format!("/{}", escape(t)))
        .collect()
}
