//! Reading a spec's text into the `openapiv3` model, and resolving local `$ref`s.

use openapiv3::{OpenAPI, Parameter, ReferenceOr, RequestBody, Response, Schema};

use marketplace_codegen::Spec;

/// Parses a spec (YAML or JSON) into the model progenitor reads. `name` only labels
/// errors, which name the JSON pointer of the offending field.
pub fn parse(name: &str, text: &str) -> Result<OpenAPI, String> {
    let yaml: serde_yaml::Value =
        serde_yaml::from_str(text).map_err(|e| format!("not valid YAML: {e}"))?;
    let document =
        serde_json::to_value(yaml).map_err(|e| format!("not representable as JSON: {e}"))?;
    let spec = Spec {
        name: name.to_owned(),
        path: format!("specs/{name}.yaml").into(),
        display_path: format!("specs/{name}.yaml"),
        document,
    };
    spec.model(&spec.document)
        .map_err(|finding| finding.to_string())
}

/// How many `$ref` hops are followed before giving up (a `$ref` cycle between
/// components, which no valid spec has).
const MAX_HOPS: usize = 16;

/// `#/components/schemas/Name` → `Name`.
pub fn schema_name(reference: &str) -> Option<&str> {
    reference.strip_prefix("#/components/schemas/")
}

/// Follows a schema `$ref` (through chains of aliases) to its schema; the name is
/// that of the last component reached.
pub fn schema<'a>(api: &'a OpenAPI, reference: &'a str) -> Option<(&'a str, &'a Schema)> {
    let mut name = schema_name(reference)?;
    for _ in 0..MAX_HOPS {
        match api.components.as_ref()?.schemas.get(name)? {
            ReferenceOr::Item(schema) => return Some((name, schema)),
            ReferenceOr::Reference { reference } => name = schema_name(reference)?,
        }
    }
    None
}

macro_rules! resolver {
    ($fn:ident, $ty:ty, $field:ident, $prefix:literal) => {
        /// Resolves a local `$ref` into `components`; `None` if it dangles.
        pub fn $fn<'a>(api: &'a OpenAPI, value: &'a ReferenceOr<$ty>) -> Option<&'a $ty> {
            let mut value = value;
            for _ in 0..MAX_HOPS {
                match value {
                    ReferenceOr::Item(item) => return Some(item),
                    ReferenceOr::Reference { reference } => {
                        let name = reference.strip_prefix($prefix)?;
                        value = api.components.as_ref()?.$field.get(name)?;
                    }
                }
            }
            None
        }
    };
}

resolver!(parameter, Parameter, parameters, "#/components/parameters/");
resolver!(
    request_body,
    RequestBody,
    request_bodies,
    "#/components/requestBodies/"
);
resolver!(response, Response, responses, "#/components/responses/");
