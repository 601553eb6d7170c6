//! Rules on each operation: its id and summary, `x-idempotent`, its parameters and
//! its request body.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::names::{Case, is_snake_case, rust_name};
use crate::spec::{
    Finding, IDEMPOTENT, MULTIPART, Operation, Spec, escape, operations, schema_ref_name,
};

/// `operation-id`, `description` (summaries, parameters), `idempotent-flag`,
/// `parameter-location`, `path-parameters`, `parameter-names`, `parameter-schema`,
/// `one-request-media-type`, `request-media-type`, `named-schemas` (request bodies).
pub(super) fn check(spec: &Spec) -> Vec<Finding> {
    let mut findings = Vec::new();
    let doc = &spec.document;
    let mut f = |pointer: String, rule: &'static str, message: String| {
        findings.push(spec.finding(pointer, rule, message))
    };
    let mut seen_ids: BTreeMap<String, String> = BTreeMap::new();
    let mut seen_rust_names: BTreeMap<String, (String, String)> = BTreeMap::new();
    for op in operations(doc) {
        let at = &op.pointer;
        let id = op.id();
        if id.is_empty() {
            f(
                at.clone(),
                "operation-id",
                "every operation needs an `operationId` (it names the Rust method)".into(),
            );
        } else if !is_snake_case(id) {
            f(
                format!("{at}/operationId"),
                "operation-id",
                format!("operationIds are snake_case; `{id}` is not"),
            );
        } else if let Some(first) = seen_ids.insert(id.to_owned(), at.clone()) {
            f(
                format!("{at}/operationId"),
                "operation-id",
                format!("`{id}` is already used at {first}"),
            );
        } else {
            // progenitor names the method `snake(id)` and its builder `Pascal(id)`.
            for (case, what) in [(Case::Snake, "method"), (Case::Pascal, "builder type")] {
                let rust = rust_name(id, case);
                if let Some((other, first)) =
                    seen_rust_names.insert(format!("{what} {rust}"), (id.to_owned(), at.clone()))
                {
                    f(
                        format!("{at}/operationId"),
                        "operation-id",
                        format!(
                            "`{id}` and `{other}` (at {first}) both become the {what} `{rust}`: progenitor generates one, merged"
                        ),
                    );
                    break;
                }
            }
        }
        if op.value["summary"].as_str().is_none_or(str::is_empty) {
            f(
                at.clone(),
                "description",
                "every operation needs a `summary`".into(),
            );
        }
        match op.value.get(IDEMPOTENT) {
            None => {}
            Some(Value::Bool(_)) if matches!(op.method, "post" | "patch") => {}
            Some(Value::Bool(_)) => f(
                format!("{at}/{IDEMPOTENT}"),
                "idempotent-flag",
                format!(
                    "`{IDEMPOTENT}` is for POST and PATCH operations; a {} is already retried as idempotent or not by its method",
                    op.method.to_uppercase()
                ),
            ),
            Some(other) => f(
                format!("{at}/{IDEMPOTENT}"),
                "idempotent-flag",
                format!("`{IDEMPOTENT}` is `true` or `false`; found {other}"),
            ),
        }
        lint_parameters(doc, &op, &mut f);
        lint_request_body(&op, &mut f);
    }

    findings
}

fn lint_parameters(
    doc: &Value,
    op: &Operation<'_>,
    f: &mut impl FnMut(String, &'static str, String),
) {
    let params = op.parameters(doc);
    let mut declared_path = BTreeSet::new();
    // Builder setter names: the JSON body's setters, then each parameter's (an
    // operation-level parameter overrides a path-level one of the same name and place).
    let mut setters: BTreeMap<String, String> = BTreeMap::new();
    if op.value["requestBody"]["content"]
        .get("application/json")
        .is_some()
    {
        for setter in ["body", "body_map"] {
            setters.insert(setter.to_owned(), "the request body".to_owned());
        }
    }
    for (i, (param, at)) in params.iter().enumerate() {
        let name = param["name"].as_str().unwrap_or_default();
        match param["in"].as_str() {
            Some("cookie") => f(
                at.clone(),
                "parameter-location",
                format!("cookie parameter `{name}`: progenitor cannot send cookies"),
            ),
            Some("path") => {
                declared_path.insert(name);
                if param["required"] != true {
                    f(
                        at.clone(),
                        "path-parameters",
                        format!(
                            "path parameter `{name}` needs `required: true` (progenitor asserts it)"
                        ),
                    );
                }
            }
            _ => {}
        }
        let overridden = params[i + 1..]
            .iter()
            .any(|(later, _)| later["name"] == param["name"] && later["in"] == param["in"]);
        let setter = rust_name(name, Case::Snake);
        if !overridden
            && let Some(first) = setters.insert(setter.clone(), format!("parameter `{name}`"))
        {
            f(
                at.clone(),
                "parameter-names",
                format!(
                    "parameter `{name}` and {first} both become the builder setter `{setter}`: the generated code does not compile"
                ),
            );
        }
        if param.get("schema").is_none() {
            f(
                at.clone(),
                "parameter-schema",
                format!("parameter `{name}` needs a `schema` (`content` is not supported)"),
            );
        }
        if param["description"].as_str().is_none_or(str::is_empty) {
            f(
                at.clone(),
                "description",
                format!("parameter `{name}` needs a description"),
            );
        }
    }
    for segment in op.path.split('/') {
        if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}'))
            && !declared_path.contains(name)
        {
            f(
                op.pointer.clone(),
                "path-parameters",
                format!("path template `{{{name}}}` has no `in: path` parameter"),
            );
        }
    }
}

fn lint_request_body(op: &Operation<'_>, f: &mut impl FnMut(String, &'static str, String)) {
    let Some(content) = op.value["requestBody"].get("content") else {
        return;
    };
    let at = format!("{}/requestBody/content", op.pointer);
    let media: Vec<&String> = content
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, _)| k)
        .collect();
    if media.len() != 1 {
        f(
            at,
            "one-request-media-type",
            format!("exactly one request media type is supported; found {media:?}"),
        );
        return;
    }
    let media_type = media[0].as_str();
    if media_type != "application/json" && media_type != MULTIPART {
        f(
            at.clone(),
            "request-media-type",
            format!(
                "request bodies are `application/json` (or `{MULTIPART}`, written by hand); found `{media_type}`"
            ),
        );
    }
    if media_type == "application/json" && schema_ref_name(&content[media_type]["schema"]).is_none()
    {
        f(format!("{at}/{}/schema", escape(media_type)), "named-schemas", "request body schemas are `$ref`s to `components/schemas` (inline schemas get unstable generated names)".into());
    }
}
