//! Rules on the document as a whole: the OpenAPI version, servers, the API's
//! description, descriptions that cite nothing outside the repository, inline path
//! items and `$ref`s that resolve.

use serde_json::Value;

use crate::spec::{Finding, Spec, component_ref, escape, pointer};

/// `openapi-3.0` (version), `servers`, `description` (of the API),
/// `docs-in-repository`, `path-item-ref`, `refs-resolve`.
pub(super) fn check(spec: &Spec) -> Vec<Finding> {
    let mut findings = Vec::new();
    let doc = &spec.document;
    let mut f = |pointer: String, rule: &'static str, message: String| {
        findings.push(spec.finding(pointer, rule, message))
    };
    match doc["openapi"].as_str() {
        Some(v) if v.starts_with("3.0.") => {}
        other => f(
            "/openapi".into(),
            "openapi-3.0",
            format!(
                "progenitor reads OpenAPI 3.0.x only; found {other:?} (write `openapi: 3.0.3`)"
            ),
        ),
    }
    if doc["servers"]
        .as_array()
        .is_none_or(|s| s.is_empty() || s.iter().any(|s| s["url"].as_str().is_none()))
    {
        f(
            "/servers".into(),
            "servers",
            "declare at least one server with a `url` (the first is the default base URL)".into(),
        );
    }
    if doc["info"]["description"]
        .as_str()
        .is_none_or(str::is_empty)
    {
        f(
            "/info/description".into(),
            "description",
            "describe the API in `info.description`".into(),
        );
    }

    outside_paths(doc, "", &mut f);
    walk_refs(doc, doc, "", &mut f);
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        if item.get("$ref").is_some() {
            f(
                pointer(["paths", path]),
                "path-item-ref",
                "path items cannot be `$ref`s: progenitor rejects them; write the operations inline".into(),
            );
        }
    }

    findings
}

/// What a path outside the repository looks like: the project's research copies
/// of the vendor documents.
const OUTSIDE_PATHS: &[&str] = &["../shared", "shared/", "seeds/", "refdocs"];

/// Every `description` becomes documentation of the generated client (the crate
/// docs on docs.rs): it names its sources, never a path a reader cannot open.
fn outside_paths(value: &Value, at: &str, f: &mut impl FnMut(String, &'static str, String)) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let here = format!("{at}/{}", escape(key));
                if let (true, Some(text)) = (key == "description", child.as_str())
                    && let Some(path) = OUTSIDE_PATHS.iter().find(|p| text.contains(**p))
                {
                    f(
                        here.clone(),
                        "docs-in-repository",
                        format!(
                            "the description cites `{path}…`, outside the repository; it \
                             becomes the client's docs: name the source instead (keep the \
                             path in a YAML comment)"
                        ),
                    );
                }
                outside_paths(child, &here, f);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                outside_paths(child, &format!("{at}/{i}"), f);
            }
        }
        _ => {}
    }
}

/// Every `$ref` must name a component of this document.
fn walk_refs(
    doc: &Value,
    value: &Value,
    at: &str,
    f: &mut impl FnMut(String, &'static str, String),
) {
    match value {
        Value::Object(map) => {
            if let Some(target) = map.get("$ref").and_then(Value::as_str) {
                // The references `spec::resolve` follows, and no others.
                let resolves = component_ref(target)
                    .is_some_and(|(kind, name)| doc["components"][kind].get(name).is_some());
                if !resolves {
                    f(
                        at.to_owned(),
                        "refs-resolve",
                        format!(
                            "`$ref: {target}` does not name a component of this document (`#/components/<kind>/<name>`)"
                        ),
                    );
                }
            }
            for (k, v) in map {
                walk_refs(doc, v, &format!("{at}/{}", escape(k)), f);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                walk_refs(doc, v, &format!("{at}/{i}"), f);
            }
        }
        _ => {}
    }
}
