//! Rules on each operation's responses and on the spec's one error schema.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::spec::{
    Finding, Operation, Spec, escape, is_json_media_type, operations, pointer, resolve,
    schema_ref_name,
};

/// `no-default-response`, `status-codes`, `one-success-schema`, `errors-documented`,
/// `one-error-schema`, `one-response-media-type`, `response-media-type`,
/// `named-schemas` (responses), `description` (of responses), `shared-error-schema`,
/// `error-schema`.
pub(super) fn check(spec: &Spec) -> Vec<Finding> {
    let mut findings = Vec::new();
    let doc = &spec.document;
    let mut f = |pointer: String, rule: &'static str, message: String| {
        findings.push(spec.finding(pointer, rule, message))
    };
    let mut error_schemas: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for op in operations(doc) {
        if let Some(name) = lint_responses(doc, &op, &mut f) {
            error_schemas
                .entry(name)
                .or_default()
                .push(op.pointer.clone());
        }
    }

    // One error schema per spec: the runtime reads the marketplace's code and
    // message through it, and callers match one error type per client.
    if let Some((shared, _)) = error_schemas.iter().max_by_key(|(_, ops)| ops.len()) {
        for (name, ops) in error_schemas.iter().filter(|(name, _)| *name != shared) {
            for at in ops {
                f(
                    format!("{at}/responses"),
                    "shared-error-schema",
                    format!(
                        "errors are documented with `{name}`, but the spec's shared error schema is `{shared}`: every operation documents its errors with the same schema"
                    ),
                );
            }
        }
    }

    for name in error_schemas.keys() {
        let at = pointer(["components", "schemas", name]);
        for key in ["x-error-code", "x-error-message"] {
            let ok = doc["components"]["schemas"][name][key]
                .as_array()
                .is_some_and(|ptrs| {
                    ptrs.iter().all(|p| {
                        p.as_str()
                            .is_some_and(|p| p.is_empty() || p.starts_with('/'))
                    })
                });
            if !ok {
                f(
                    at.clone(),
                    "error-schema",
                    format!(
                        "error schema `{name}` needs `{key}`: a list of JSON pointers into the body (may be empty) telling the runtime where the marketplace puts its error code and message"
                    ),
                );
            }
        }
    }
    findings
}

/// Checks the responses; returns the shared error schema name if there is one.
fn lint_responses<'a>(
    doc: &'a Value,
    op: &Operation<'a>,
    f: &mut impl FnMut(String, &'static str, String),
) -> Option<&'a str> {
    let responses = op.value["responses"].as_object();
    let at = format!("{}/responses", op.pointer);
    let mut success: BTreeSet<Option<&str>> = BTreeSet::new();
    let mut errors: BTreeSet<Option<&str>> = BTreeSet::new();
    let (mut has_4xx, mut has_5xx) = (false, false);
    for (code, response) in responses.into_iter().flatten() {
        let at = format!("{at}/{code}");
        if code == "default" {
            f(
                at,
                "no-default-response",
                "`default` counts as both success and error for progenitor; use `4XX`/`5XX`".into(),
            );
            continue;
        }
        let schema = response_schema(resolve(doc, response), &at, f);
        match code.chars().next() {
            Some('2') => {
                success.insert(schema);
            }
            Some(c @ ('4' | '5')) => {
                has_4xx |= c == '4';
                has_5xx |= c == '5';
                errors.insert(schema);
            }
            _ => f(
                at,
                "status-codes",
                format!("only 2xx, 4xx and 5xx responses are modelled; found `{code}`"),
            ),
        }
    }
    if success.len() != 1 {
        f(
            at.clone(),
            "one-success-schema",
            format!(
                "all 2xx responses must share one schema (or all be empty): the client decodes any 2xx answer, documented or not, as that schema, and progenitor panics otherwise; found {success:?}"
            ),
        );
    }
    if !(has_4xx && has_5xx) {
        f(at.clone(), "errors-documented", "document errors with `4XX` and `5XX` (or specific codes) pointing at the spec's error schema".into());
    }
    match errors.iter().collect::<Vec<_>>().as_slice() {
        [Some(name)] => Some(name),
        [] => None,
        found => {
            f(
                at,
                "one-error-schema",
                format!(
                    "all error responses must share one `$ref` schema, none without a body: progenitor panics otherwise; found {found:?}"
                ),
            );
            None
        }
    }
}

/// The response's schema name (`None` for no body); reports inline schemas and
/// non-JSON media types.
fn response_schema<'a>(
    response: &'a Value,
    at: &str,
    f: &mut impl FnMut(String, &'static str, String),
) -> Option<&'a str> {
    if response["description"].as_str().is_none() {
        f(
            at.to_owned(),
            "description",
            "every response needs a description".into(),
        );
    }
    let content = response.get("content")?.as_object()?;
    if content.len() != 1 {
        f(
            format!("{at}/content"),
            "one-response-media-type",
            "exactly one media type per response".into(),
        );
    }
    let (media_type, media) = content.iter().next()?;
    if !is_json_media_type(media_type) {
        f(
            format!("{at}/content"),
            "response-media-type",
            format!(
                "responses are JSON (`application/json` or `application/*+json`); found `{media_type}`"
            ),
        );
    }
    let name = schema_ref_name(&media["schema"]);
    if name.is_none() {
        f(
            format!("{at}/content/{}/schema", escape(media_type)),
            "named-schemas",
            "response schemas are `$ref`s to `components/schemas`".into(),
        );
    }
    name
}
