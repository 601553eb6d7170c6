//! The list of changes both comparison levels (spec-level [`super::compare`] and
//! schema-level [`super::schema`]) add to, and how they name things in messages.

use super::{Change, Class};

/// Collects changes, merging the same schema change reached from several operations.
#[derive(Default)]
pub(super) struct Changes(pub Vec<Change>);

impl Changes {
    pub fn push(
        &mut self,
        class: Class,
        rule: &'static str,
        subject: impl Into<String>,
        message: impl Into<String>,
        operation: Option<&str>,
    ) {
        let (subject, message) = (subject.into(), message.into());
        let existing = self.0.iter_mut().find(|c| {
            c.class == class && c.rule == rule && c.subject == subject && c.message == message
        });
        let change = match existing {
            Some(change) => change,
            None => {
                self.0.push(Change {
                    class,
                    rule,
                    subject,
                    message,
                    operations: Vec::new(),
                });
                self.0.last_mut().expect("just pushed")
            }
        };
        // A parameter's or body's subject already names its operation.
        if let Some(op) = operation
            && !change.subject.starts_with(&format!("{op}("))
            && !change.subject.starts_with(&format!("{op} "))
            && !change.operations.iter().any(|o| o == op)
        {
            change.operations.push(op.to_owned());
        }
    }
}

/// `` `a`, `b` `` (or `none`).
pub(super) fn list<T: std::fmt::Display>(items: impl IntoIterator<Item = T>) -> String {
    let items: Vec<String> = items.into_iter().map(|i| format!("`{i}`")).collect();
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
}
