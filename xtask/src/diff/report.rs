//! The Markdown report, ready to paste into a pull request.

use std::fmt::Write;

use super::surface::Surface;
use super::{Change, Class};

/// Everything the report says about one spec.
#[derive(Clone, Debug, Default)]
pub struct SpecSection {
    /// `specs/<name>.yaml`.
    pub file: String,
    /// Classified changes, breaking first.
    pub changes: Vec<Change>,
    /// The API-surface diff (`None` when the spec could not be compared).
    pub surface: Option<Surface>,
    /// Why the spec could not be compared.
    pub errors: Vec<String>,
    /// Whether the file's text differs at all (an edit with no API effect is
    /// reported as such, not as "unchanged").
    pub edited: bool,
}

impl SpecSection {
    /// An empty section for `file`.
    pub fn new(file: &str) -> Self {
        SpecSection {
            file: file.to_owned(),
            ..Default::default()
        }
    }

    fn count(&self, class: Class) -> usize {
        self.changes.iter().filter(|c| c.class == class).count()
    }

    /// Nothing to show beyond "unchanged" (surface notes alone, such as a spec that
    /// does not generate, are `cargo xtask check`'s business).
    fn is_quiet(&self) -> bool {
        self.changes.is_empty()
            && self.errors.is_empty()
            && self.surface.as_ref().is_none_or(|s| s.diff.is_none())
    }
}

/// One bullet: `` - `subject`: message (`rule`; in `op`, `op2`) ``.
fn item(change: &Change) -> String {
    let mut line = format!(
        "- `{}`: {} (`{}`",
        change.subject, change.message, change.rule
    );
    if !change.operations.is_empty() {
        let ops: Vec<String> = change.operations.iter().map(|o| format!("`{o}`")).collect();
        let _ = write!(line, "; in {}", ops.join(", "));
    }
    line.push(')');
    line
}

/// Renders the report for every spec compared against `base` (a label).
pub fn render(base: &str, specs: &[SpecSection]) -> String {
    let mut out = String::new();
    let breaking: usize = specs.iter().map(|s| s.count(Class::Breaking)).sum();
    let non_breaking: usize = specs.iter().map(|s| s.count(Class::NonBreaking)).sum();
    let _ = writeln!(out, "## Spec changes against {base}\n");
    let failed = specs.iter().filter(|s| !s.errors.is_empty()).count();
    if failed > 0 {
        let _ = writeln!(
            out,
            "**{failed} spec(s) could not be compared** (see below).\n"
        );
    }
    let verdict = match (breaking, non_breaking) {
        (0, 0) => "No API changes.".to_owned(),
        (0, n) => format!("No breaking changes; {n} non-breaking."),
        (b, n) => format!("**{b} breaking change(s)**; {n} non-breaking."),
    };
    let _ = writeln!(out, "{verdict}\n");

    let (quiet, loud): (Vec<&SpecSection>, Vec<&SpecSection>) =
        specs.iter().partition(|s| s.is_quiet());
    if !loud.is_empty() {
        let _ = writeln!(out, "| spec | breaking | non-breaking |\n|---|---:|---:|");
        for s in &loud {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} |",
                s.file,
                s.count(Class::Breaking),
                s.count(Class::NonBreaking)
            );
        }
        out.push('\n');
    }
    let (edited, unchanged): (Vec<&SpecSection>, Vec<&SpecSection>) =
        quiet.iter().partition(|s| s.edited);
    let files = |specs: &[&SpecSection]| {
        let files: Vec<String> = specs.iter().map(|s| format!("`{}`", s.file)).collect();
        files.join(", ")
    };
    if !edited.is_empty() {
        let _ = writeln!(
            out,
            "Edited without an API change (descriptions, examples, layout or `$ref` structure): {}.\n",
            files(&edited)
        );
    }
    if !unchanged.is_empty() {
        let _ = writeln!(out, "Unchanged: {}.\n", files(&unchanged));
    }

    for s in loud {
        let _ = writeln!(out, "### `{}`\n", s.file);
        for error in &s.errors {
            let _ = writeln!(out, "- **error**: {error}");
        }
        if !s.errors.is_empty() {
            out.push('\n');
        }
        for (class, title) in [
            (Class::Breaking, "Breaking"),
            (Class::NonBreaking, "Non-breaking"),
        ] {
            let items: Vec<String> = s
                .changes
                .iter()
                .filter(|c| c.class == class)
                .map(item)
                .collect();
            if !items.is_empty() {
                let _ = writeln!(out, "**{title}**\n\n{}\n", items.join("\n"));
            }
        }
        if s.errors.is_empty() && s.changes.is_empty() {
            out.push_str("No API changes (descriptions or formatting only).\n\n");
        }
        if let Some(surface) = &s.surface {
            for note in &surface.notes {
                let _ = writeln!(out, "> {note}\n");
            }
            match &surface.diff {
                Some(diff) => {
                    let _ = writeln!(
                        out,
                        "<details><summary>Generated API surface</summary>\n\n```diff\n{}\n```\n\n</details>\n",
                        diff.trim_end()
                    );
                }
                None if !s.changes.is_empty() => {
                    out.push_str("The generated API surface is unchanged.\n\n");
                }
                None => {}
            }
        }
    }
    out.trim_end().to_owned() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(class: Class, rule: &'static str, subject: &str, ops: &[&str]) -> Change {
        Change {
            class,
            rule,
            subject: subject.into(),
            message: "what happened".into(),
            operations: ops.iter().map(|o| o.to_string()).collect(),
        }
    }

    #[test]
    fn groups_by_spec_and_class_and_lists_unchanged_specs() {
        let mut changed = SpecSection::new("specs/a.yaml");
        changed.changes = vec![
            change(Class::Breaking, "parameter-required", "list(limit)", &[]),
            change(
                Class::NonBreaking,
                "response-field-added",
                "Item.note",
                &["list", "get"],
            ),
        ];
        changed.surface = Some(Surface {
            diff: Some("--- a\n+++ b\n@@ -1 +1 @@\n-x\n+y\n".into()),
            notes: vec![],
        });
        let unchanged = SpecSection {
            surface: Some(Surface::default()),
            ..SpecSection::new("specs/b.yaml")
        };
        let reworded = SpecSection {
            surface: Some(Surface::default()),
            edited: true,
            ..SpecSection::new("specs/c.yaml")
        };
        let report = render("`HEAD~1` (abc)", &[changed, unchanged, reworded]);
        assert_eq!(
            report,
            "## Spec changes against `HEAD~1` (abc)\n\n\
             **1 breaking change(s)**; 1 non-breaking.\n\n\
             | spec | breaking | non-breaking |\n|---|---:|---:|\n| `specs/a.yaml` | 1 | 1 |\n\n\
             Edited without an API change (descriptions, examples, layout or `$ref` structure): `specs/c.yaml`.\n\n\
             Unchanged: `specs/b.yaml`.\n\n\
             ### `specs/a.yaml`\n\n\
             **Breaking**\n\n- `list(limit)`: what happened (`parameter-required`)\n\n\
             **Non-breaking**\n\n- `Item.note`: what happened (`response-field-added`; in `list`, `get`)\n\n\
             <details><summary>Generated API surface</summary>\n\n```diff\n--- a\n+++ b\n@@ -1 +1 @@\n-x\n+y\n```\n\n</details>\n"
        );
    }

    #[test]
    fn errors_are_shown_and_an_empty_comparison_says_so() {
        let mut broken = SpecSection::new("specs/a.yaml");
        broken
            .errors
            .push("specs/a.yaml at `HEAD` cannot be read".into());
        let report = render("`HEAD`", &[broken]);
        assert!(
            report.contains("- **error**: specs/a.yaml at `HEAD` cannot be read"),
            "{report}"
        );
        assert!(
            report.contains("**1 spec(s) could not be compared**"),
            "{report}"
        );
    }
}
