//! The house spec rules, checked before progenitor sees a spec.
//!
//! progenitor 0.15 panics or silently mis-generates on several spec patterns (see
//! `ARCHITECTURE.md`, "House spec rules"). Each rule here turns one of those into a
//! finding that names the file, the JSON pointer and the rule, and some rules keep
//! the specs reviewable (descriptions, named schemas).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::spec::{Finding, Spec, pointer};

/// HTTP methods an OpenAPI path item may hold.
pub const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Media type of request bodies progenitor cannot generate; such operations are
/// written by hand in the client crate on top of the runtime's multipart sender.
pub const MULTIPART: &str = "multipart/form-data";

/// Operation extension declaring a POST or PATCH safe to repeat (it only reads), so
/// the runtime retries it on timeouts, 420/429 and 5xx like a GET.
pub const IDEMPOTENT: &str = "x-idempotent";

/// One operation of a spec, with where it sits.
#[derive(Clone, Debug)]
pub struct Operation<'a> {
    /// Path template, e.g. `/messages/{id}`.
    pub path: &'a str,
    /// Lower-case method.
    pub method: &'a str,
    /// The operation object.
    pub value: &'a Value,
    /// JSON pointer to the operation object.
    pub pointer: String,
}

impl Operation<'_> {
    /// The `operationId`, or `""`.
    pub fn id(&self) -> &str {
        self.value["operationId"].as_str().unwrap_or_default()
    }

    /// Whether the request body is multipart (hand-written operation).
    pub fn is_handwritten(&self) -> bool {
        self.value["requestBody"]["content"]
            .as_object()
            .is_some_and(|content| content.contains_key(MULTIPART))
    }

    /// Whether the spec declares this operation safe to repeat (`x-idempotent: true`):
    /// a POST that only reads, retried like a GET.
    pub fn is_declared_idempotent(&self) -> bool {
        self.value[IDEMPOTENT] == Value::Bool(true)
    }

    /// Path-item and operation parameters (`$ref`s resolved), with their pointers.
    pub fn parameters<'s>(&'s self, doc: &'s Value) -> Vec<(&'s Value, String)> {
        let item_pointer = pointer(["paths", self.path]);
        let mut out = Vec::new();
        for (list, base) in [
            (
                &doc["paths"][self.path]["parameters"],
                format!("{item_pointer}/parameters"),
            ),
            (
                &self.value["parameters"],
                format!("{}/parameters", self.pointer),
            ),
        ] {
            for (i, p) in list.as_array().into_iter().flatten().enumerate() {
                out.push((resolve(doc, p), format!("{base}/{i}")));
            }
        }
        out
    }
}

/// Every operation of the document, in path then method order.
pub fn operations(doc: &Value) -> Vec<Operation<'_>> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for method in METHODS {
            if let Some(op) = item.get(*method) {
                out.push(Operation {
                    path,
                    method,
                    value: op,
                    pointer: pointer(["paths", path.as_str(), method]),
                });
            }
        }
    }
    out
}

/// Follows a local `$ref` (`#/components/parameters/X`, `#/components/responses/X`);
/// anything else is returned as is.
pub fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix('#'))
    {
        Some(target) if !target.starts_with("/components/schemas/") => {
            doc.pointer(target).unwrap_or(value)
        }
        _ => value,
    }
}

/// `#/components/schemas/Name` → `Name`.
pub fn schema_ref_name(schema: &Value) -> Option<&str> {
    schema
        .get("$ref")?
        .as_str()?
        .strip_prefix("#/components/schemas/")
}

/// Checks every house rule; an empty result means progenitor can be called safely.
pub fn lint(spec: &Spec) -> Vec<Finding> {
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

    let mut seen_ids: BTreeMap<String, String> = BTreeMap::new();
    let mut seen_rust_names: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut error_schemas: BTreeMap<&str, Vec<String>> = BTreeMap::new();
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
    findings.extend(crate::pagination::lint(spec));
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
        f(format!("{at}/{}/schema", crate::spec::escape(media_type)), "named-schemas", "request body schemas are `$ref`s to `components/schemas` (inline schemas get unstable generated names)".into());
    }
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
            format!("{at}/content/{}/schema", crate::spec::escape(media_type)),
            "named-schemas",
            "response schemas are `$ref`s to `components/schemas`".into(),
        );
    }
    name
}

/// `application/json` or a structured-syntax `+json` type such as
/// `application/problem+json` (normalised to `application/json` for progenitor).
pub fn is_json_media_type(media_type: &str) -> bool {
    media_type == "application/json"
        || media_type
            .strip_prefix("application/")
            .is_some_and(|sub| sub.ends_with("+json"))
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
                format!("{at}/properties/{}", crate::spec::escape(name)),
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
            walk_schema(
                child,
                &format!("{at}/{key}/{}", crate::spec::escape(name)),
                false,
                f,
            );
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

/// Every `$ref` must point at something in `components` of this document.
fn walk_refs(
    doc: &Value,
    value: &Value,
    at: &str,
    f: &mut impl FnMut(String, &'static str, String),
) {
    match value {
        Value::Object(map) => {
            if let Some(target) = map.get("$ref").and_then(Value::as_str) {
                let resolves = target
                    .strip_prefix('#')
                    .filter(|t| t.starts_with("/components/"))
                    .is_some_and(|t| doc.pointer(t).is_some());
                if !resolves {
                    f(
                        at.to_owned(),
                        "refs-resolve",
                        format!(
                            "`$ref: {target}` does not point into this document's `components`"
                        ),
                    );
                }
            }
            for (k, v) in map {
                walk_refs(doc, v, &format!("{at}/{}", crate::spec::escape(k)), f);
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

fn is_snake_case(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn is_pascal_case(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_uppercase()) && s.chars().all(|c| c.is_ascii_alphanumeric())
}

/// The two name shapes progenitor and typify derive from spec names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Case {
    /// Methods, builder setters, struct fields.
    Snake,
    /// Types and builder structs.
    Pascal,
}

/// The Rust identifier progenitor 0.15 / typify 0.8 derive from a spec name
/// (`sanitize`: heck's word splitting, a `_` prefix before a leading digit, a `_`
/// suffix on keywords), so that two names colliding in Rust can be caught here.
pub fn rust_name(name: &str, case: Case) -> String {
    let words = words(&name.replace('\'', ""));
    let mut out: String = match case {
        Case::Snake => words
            .iter()
            .map(|w| w.to_lowercase())
            .collect::<Vec<_>>()
            .join("_"),
        Case::Pascal => words
            .iter()
            .map(|w| {
                let mut chars = w.chars();
                chars.next().map_or_else(String::new, |c| {
                    c.to_uppercase()
                        .chain(chars.flat_map(char::to_lowercase))
                        .collect()
                })
            })
            .collect(),
    };
    if out.is_empty() {
        out = if case == Case::Snake { "x" } else { "X" }.to_owned();
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    if RUST_KEYWORDS.contains(&out.as_str()) {
        out.push('_');
    }
    out
}

const RUST_KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type",
    "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "gen", "macro",
    "override", "priv", "try", "typeof", "unsized", "virtual", "yield",
];

/// heck 0.5's word boundaries: any non-alphanumeric character, a lower-case letter
/// followed by an upper-case one, and the last of a run of upper-case letters
/// followed by a lower-case one (`HTTPServer` → `HTTP`, `Server`).
fn words(s: &str) -> Vec<String> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mode {
        Boundary,
        Lower,
        Upper,
    }
    let mut out = Vec::new();
    for word in s.split(|c: char| !c.is_alphanumeric()) {
        let chars: Vec<(usize, char)> = word.char_indices().collect();
        let mut init = 0;
        let mut mode = Mode::Boundary;
        for (k, &(i, c)) in chars.iter().enumerate() {
            let Some(&(next_i, next)) = chars.get(k + 1) else {
                out.push(word[init..].to_owned());
                break;
            };
            let next_mode = if c.is_lowercase() {
                Mode::Lower
            } else if c.is_uppercase() {
                Mode::Upper
            } else {
                mode
            };
            if next_mode == Mode::Lower && next.is_uppercase() {
                out.push(word[init..next_i].to_owned());
                init = next_i;
                mode = Mode::Boundary;
            } else if mode == Mode::Upper && c.is_uppercase() && next.is_lowercase() {
                out.push(word[init..i].to_owned());
                init = i;
                mode = Mode::Boundary;
            } else {
                mode = next_mode;
            }
        }
    }
    out.retain(|w| !w.is_empty());
    out
}
