//! `$ref` resolution, written once for both models of a spec: the JSON document
//! (house rules, generator, fixture and example checks) and the `openapiv3` model
//! (the diff). Both read a reference the same way and follow chains of aliases
//! (`A: {$ref: B}`) to the end, so no tool sees a component another one misses.
//! References are local, into `components` (the `refs-resolve` rule).

use openapiv3::{Components, OpenAPI, Parameter, ReferenceOr, RequestBody, Response, Schema};
use serde_json::Value;

/// How many `$ref` hops are followed before giving up (a cycle of aliases, which
/// `refs-resolve` cannot see and no valid spec has).
const MAX_HOPS: usize = 16;

/// `#/components/<kind>/<name>` → `(kind, name)`.
pub fn component_ref(reference: &str) -> Option<(&str, &str)> {
    reference.strip_prefix("#/components/")?.split_once('/')
}

/// `#/components/schemas/Name` → `Name`.
pub fn schema_name(reference: &str) -> Option<&str> {
    match component_ref(reference)? {
        ("schemas", name) => Some(name),
        _ => None,
    }
}

/// The component name a schema `$ref`s (`{$ref: '#/components/schemas/Name'}` →
/// `Name`), without following it.
pub fn schema_ref_name(schema: &Value) -> Option<&str> {
    schema_name(schema.get("$ref")?.as_str()?)
}

/// What `value` stands for in `doc`: a `$ref` (or a chain of them) followed to the
/// object at its end; anything else as is. A reference that dangles stays the
/// `$ref` object (`refs-resolve` reports it).
pub fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    let mut current = value;
    for _ in 0..MAX_HOPS {
        let target = current
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(component_ref)
            .and_then(|(kind, name)| doc["components"][kind].get(name));
        match target {
            Some(target) => current = target,
            None => return current,
        }
    }
    current
}

/// A kind of component an `openapiv3` `ReferenceOr` can point at.
pub trait Component: Sized {
    /// Its folder in `components` (`schemas`, `parameters`, …).
    const KIND: &'static str;
    /// The component called `name`.
    fn get<'a>(components: &'a Components, name: &str) -> Option<&'a ReferenceOr<Self>>;
}

macro_rules! component {
    ($ty:ty, $kind:literal, $field:ident) => {
        impl Component for $ty {
            const KIND: &'static str = $kind;
            fn get<'a>(components: &'a Components, name: &str) -> Option<&'a ReferenceOr<Self>> {
                components.$field.get(name)
            }
        }
    };
}

component!(Schema, "schemas", schemas);
component!(Parameter, "parameters", parameters);
component!(RequestBody, "requestBodies", request_bodies);
component!(Response, "responses", responses);

/// Follows `reference` (through aliases) in the `openapiv3` model to its item,
/// with the name of the last component reached; `None` if it dangles.
pub fn follow_ref<'a, T: Component>(
    api: &'a OpenAPI,
    reference: &'a str,
) -> Option<(&'a str, &'a T)> {
    let components = api.components.as_ref()?;
    let mut reference = reference;
    for _ in 0..MAX_HOPS {
        let (kind, name) = component_ref(reference)?;
        if kind != T::KIND {
            return None;
        }
        match T::get(components, name)? {
            ReferenceOr::Item(item) => return Some((name, item)),
            ReferenceOr::Reference { reference: next } => reference = next,
        }
    }
    None
}

/// The item `value` stands for in the `openapiv3` model; `None` if it dangles.
pub fn follow<'a, T: Component>(api: &'a OpenAPI, value: &'a ReferenceOr<T>) -> Option<&'a T> {
    match value {
        ReferenceOr::Item(item) => Some(item),
        ReferenceOr::Reference { reference } => follow_ref(api, reference).map(|(_, item)| item),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc() -> Value {
        json!({
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "1"},
            "paths": {},
            "components": {
                "responses": {
                    "Alias": {"$ref": "#/components/responses/Error"},
                    "Error": {"description": "Any error."},
                    "Loop": {"$ref": "#/components/responses/Loop"}
                },
                "schemas": {"Id": {"$ref": "#/components/schemas/Key"}, "Key": {"type": "string"}}
            }
        })
    }

    #[test]
    fn both_models_follow_aliases_to_the_same_component() {
        let doc = doc();
        let alias = json!({"$ref": "#/components/responses/Alias"});
        assert_eq!(resolve(&doc, &alias)["description"], "Any error.");
        let api: OpenAPI = serde_json::from_value(doc.clone()).expect("model");
        let response = follow_ref::<Response>(&api, "#/components/responses/Alias");
        assert_eq!(
            response.map(|(name, r)| (name, r.description.as_str())),
            Some(("Error", "Any error."))
        );
        let schema = follow_ref::<Schema>(&api, "#/components/schemas/Id").map(|(name, _)| name);
        assert_eq!(schema, Some("Key"));
    }

    #[test]
    fn dangling_cyclic_and_foreign_refs_are_not_followed() {
        let doc = doc();
        let dangling = json!({"$ref": "#/components/responses/Missing"});
        assert_eq!(resolve(&doc, &dangling), &dangling);
        let cycle = json!({"$ref": "#/components/responses/Loop"});
        assert!(resolve(&doc, &cycle).get("$ref").is_some());
        let api: OpenAPI = serde_json::from_value(doc).expect("model");
        assert!(follow_ref::<Response>(&api, "#/components/responses/Loop").is_none());
        assert!(follow_ref::<Response>(&api, "#/components/schemas/Key").is_none());
        assert!(follow_ref::<Schema>(&api, "https://example.invalid/x.yaml").is_none());
    }
}
