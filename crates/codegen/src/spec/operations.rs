//! The operations of a spec document, as every tool walks them.

use serde_json::Value;

use super::{pointer, resolve};

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

/// `application/json` or a structured-syntax `+json` type such as
/// `application/problem+json` (normalised to `application/json` for progenitor).
pub fn is_json_media_type(media_type: &str) -> bool {
    media_type == "application/json"
        || media_type
            .strip_prefix("application/")
            .is_some_and(|sub| sub.ends_with("+json"))
}
