//! How the generated API surface changed: `specs/<name>.api.snap` at the base
//! against the surface the working-tree spec generates now.
//!
//! The current side is generated on the spot (the same `marketplace_codegen::generate`
//! the build uses), so the diff is right even before `cargo xtask generate` has
//! rewritten the snapshot; a stale snapshot is pointed out.

use std::path::Path;

use marketplace_codegen::{Spec, generate};
use similar::TextDiff;

use super::git::Base;

/// The API-surface part of one spec's report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Surface {
    /// A unified diff (`None`: the surface did not change).
    pub diff: Option<String>,
    /// Caveats: a stale snapshot, a spec that does not generate.
    pub notes: Vec<String>,
}

/// The snapshot's content without insta's front matter (`---` … `---`).
pub fn snapshot_body(text: &str) -> &str {
    text.strip_prefix("---\n")
        .and_then(|rest| rest.split_once("\n---\n"))
        .map_or(text, |(_, body)| body)
}

/// Compares the surface of `specs/<name>.yaml` at `base` with the working tree's
/// (`spec`: the current spec, `None` if it was removed).
pub fn diff(root: &Path, base: &Base, name: &str, spec: Option<&Spec>) -> Surface {
    let file = format!("specs/{name}.api.snap");
    let mut notes = Vec::new();
    let old = match base.read(&file) {
        Ok(text) => text
            .as_deref()
            .map(snapshot_body)
            .unwrap_or_default()
            .trim_end()
            .to_owned(),
        Err(e) => {
            notes.push(format!("cannot read `{file}` at {}: {e}", base.label));
            String::new()
        }
    };
    let committed = std::fs::read_to_string(root.join(&file))
        .ok()
        .map(|t| snapshot_body(&t).trim_end().to_owned());
    let new = match spec.map(generated_surface) {
        None => String::new(),
        Some(Ok(surface)) => {
            if committed.as_deref().is_some_and(|c| c != surface) {
                notes.push(format!(
                    "`{file}` in the working tree is stale (the diff below is what the spec generates now): run `cargo xtask generate` and commit the snapshot"
                ));
            }
            surface
        }
        Some(Err(why)) => {
            notes.push(format!(
                "the working-tree spec does not generate ({why}); the surface is read from the snapshot file as it is"
            ));
            committed.unwrap_or_default()
        }
    };
    let diff = (old != new).then(|| {
        let lines = |text: &str| {
            if text.is_empty() {
                String::new()
            } else {
                format!("{text}\n")
            }
        };
        TextDiff::from_lines(&lines(&old), &lines(&new))
            .unified_diff()
            .context_radius(3)
            .header(&format!("a/{file}"), &format!("b/{file}"))
            .to_string()
    });
    Surface { diff, notes }
}

fn generated_surface(spec: &Spec) -> Result<String, String> {
    match generate(spec) {
        Ok(generated) => Ok(generated.surface.trim_end().to_owned()),
        Err(findings) => Err(match findings.as_slice() {
            [first] => first.to_string(),
            [first, ..] => format!("{first}, and {} more", findings.len() - 1),
            [] => "no reason given".into(),
        }),
    }
}
