//! The house spec rules, checked before progenitor sees a spec.
//!
//! progenitor 0.15 panics or silently mis-generates on several spec patterns (see
//! `ARCHITECTURE.md`, "House spec rules"). Each rule here turns one of those into a
//! finding that names the file, the JSON pointer and the rule, and some rules keep
//! the specs reviewable (descriptions, named schemas). One module per concern, each
//! a `fn(&Spec) -> Vec<Finding>` listed in [`RULES`]; the spec model they read
//! (operations, `$ref` resolution) is [`crate::spec`].

mod document;
mod operations;
mod responses;
mod schemas;

use crate::spec::{Finding, Spec};

pub use crate::names::{Case, rust_name};
// The spec model, where the rules' callers have always found it.
pub use crate::spec::{
    IDEMPOTENT, METHODS, MULTIPART, Operation, is_json_media_type, operations, resolve,
    schema_ref_name,
};

/// Every house rule, in the order its findings are reported. A new rule is one
/// more line here.
const RULES: &[fn(&Spec) -> Vec<Finding>] = &[
    document::check,
    schemas::check,
    operations::check,
    responses::check,
    crate::pagination::lint,
    crate::marketplace::lint,
];

/// Checks every house rule; an empty result means progenitor can be called safely.
pub fn lint(spec: &Spec) -> Vec<Finding> {
    RULES.iter().flat_map(|rule| rule(spec)).collect()
}
