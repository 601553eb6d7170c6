//! Rules on the component schemas and everything inside them.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::names::{Case, is_pascal_case, rust_name};
use crate::spec::{Finding, Spec, escape, pointer};

/// `schema-name`, `description` (of schemas), and inside every schema
/// `openapi-3.0` (single type), `string-enums`, `named-enums`, `open-objects`,
/// `property-names`.
pub(super) fn check(spec: &Spec) -> Vec<Finding> {
    let mut findings = Vec::new();
    let doc = &spec.document;
    let mut f = |pointer: String, rule: &'static str, message: String| {
        findings.push(spec.finding(pointer, rule, message))
    };
    let schemas = doc["components"]["schemas"].as_object();
    let mut type_names: BTreeMap<String, &str> = BTreeMap::new();
    for (name, schema) in schemas.into_iter().flatten() {
        let at = pointer(["components", "schemas", name]);
        if let Some(first) = type_names.insert(rust_name(name, Case::Pascal), name) {
            f(
                at.clone(),
                "schema-name",
                format!(
                    "`{name}` and `{first}` both become the Rust type `{}`: typify keeps one and points both at it",
                    rust_name(name, Case::Pascal)
                ),
            );
        }
        if !is_pascal_case(name) {
            f(
                at.clone(),
                "schema-name",
                format!(
                    "schema names are PascalCase (they become Rust type names); `{name}` is not"
                ),
            );
        }
        if schema["description"].as_str().is_none_or(str::is_empty) {
            f(
                at.clone(),
                "description",
                format!("schema `{name}` needs a description"),
            );
        }
        walk_schema(schema, &at, true, &mut f);
    }
    findings
}

/// Rules inside schemas: no 3.1 type arrays, string enums only as named schemas.
fn walk_schema(
    schema: &Value,
    at: &str,
    is_component_root: bool,
    f: &mut impl FnMut(String, &'static str, String),
) {
    let Some(object) = schema.as_object() else {
        return;
    };
    if let Some(t) = object.get("type")
        && !t.is_string()
    {
        f(format!("{at}/type"), "openapi-3.0", "`type` is a single string in OpenAPI 3.0; use `nullable: true` instead of a type array".into());
    }
    if object.contains_key("enum") {
        if object.get("type").and_then(Value::as_str) != Some("string") {
            f(
                format!("{at}/enum"),
                "string-enums",
                "only `type: string` enums are supported (they become tolerant enums)".into(),
            );
        } else if !is_component_root {
            f(format!("{at}/enum"), "named-enums", "declare string enums as their own schema in `components/schemas` and `$ref` them: only named enums become forward-compatible Rust enums".into());
        }
    }
    if object.get("additionalProperties") == Some(&Value::Bool(false)) {
        f(
            format!("{at}/additionalProperties"),
            "open-objects",
            "`additionalProperties: false` makes the generated type reject unknown fields, so any field a marketplace adds breaks decoding; leave objects open".into(),
        );
    }
    let mut fields: BTreeMap<String, &str> = BTreeMap::new();
    for name in object
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|p| p.keys())
    {
        let field = rust_name(name, Case::Snake);
        if let Some(first) = fields.insert(field.clone(), name) {
            f(
                format!("{at}/properties/{}", escape(name)),
                "property-names",
                format!(
                    "properties `{first}` and `{name}` both become the Rust field `{field}`: the generated struct does not compile"
                ),
            );
        }
    }
    for key in ["properties", "patternProperties"] {
        for (name, child) in object
            .get(key)
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            walk_schema(child, &format!("{at}/{key}/{}", escape(name)), false, f);
        }
    }
    for key in ["items", "additionalProperties", "not"] {
        if let Some(child) = object.get(key) {
            walk_schema(child, &format!("{at}/{key}"), false, f);
        }
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        for (i, child) in object
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            walk_schema(child, &format!("{at}/{key}/{i}"), false, f);
        }
    }
}
