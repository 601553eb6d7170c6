//! Validates fixture payloads against a spec's schemas.
//!
//! OpenAPI 3.0 schemas are JSON Schema draft 4 plus a few keywords. The one that
//! matters for validation is `nullable`, which draft 4 does not know: it is rewritten
//! into a `"null"` type before compiling, so a `null` the spec allows is accepted and
//! one it does not allow is rejected.
//!
//! Responses follow the clients' decoding rule (`marketplace_runtime::decode`): a
//! property an object does not require may be `null`, which decodes as the property
//! left out. Requests do not: the clients never send `null` for an optional field.

use serde_json::{Map, Value, json};

/// A spec prepared for validating payloads.
pub struct SpecSchemas {
    strict: Value,
    open_enums: Value,
}

/// Which direction a payload travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Sent by the client: enums are closed (the client must send documented values).
    Request,
    /// Sent by the marketplace: string enums are open, because the clients decode
    /// unknown values into `Other` by design (forward compatibility).
    Response,
}

impl SpecSchemas {
    /// Prepares `document` (the whole spec, as JSON).
    pub fn new(document: &Value) -> Self {
        let strict = without_nullable(document);
        let mut open_enums = without_nullable(&optional_nullable(document));
        if let Some(schemas) = open_enums
            .pointer_mut("/components/schemas")
            .and_then(Value::as_object_mut)
        {
            for schema in schemas.values_mut() {
                if schema["type"] == "string"
                    && let Some(schema) = schema.as_object_mut()
                {
                    schema.remove("enum");
                }
            }
        }
        SpecSchemas { strict, open_enums }
    }

    /// Validates `instance` against `schema` (a schema object of the spec, usually a
    /// `$ref`); returns one line per violation, with the JSON path that failed.
    pub fn validate(
        &self,
        direction: Direction,
        schema: &Value,
        instance: &Value,
    ) -> Result<(), Vec<String>> {
        let (mut root, schema) = match direction {
            Direction::Request => (self.strict.clone(), without_nullable(schema)),
            Direction::Response => (
                self.open_enums.clone(),
                without_nullable(&optional_nullable(schema)),
            ),
        };
        // `$ref`s inside `schema` resolve against the whole document, which is the root.
        if let (Some(root), Some(schema)) = (root.as_object_mut(), schema.as_object()) {
            for (key, value) in schema {
                root.insert(key.clone(), value.clone());
            }
        }
        let validator = jsonschema::draft4::new(&root)
            .map_err(|e| vec![format!("schema does not compile: {e}")])?;
        violations(&validator, instance)
    }
}

/// Validates `instance` against a JSON Schema draft 7 document, such as the one
/// schemars derives for a generated type; one line per violation, with the JSON
/// path that failed. The replay stage checks every recorded response body with it,
/// so a generated type stricter than the recorded traffic is reported.
pub fn validate_draft7(schema: &Value, instance: &Value) -> Result<(), Vec<String>> {
    let validator = jsonschema::draft7::new(schema)
        .map_err(|e| vec![format!("schema does not compile: {e}")])?;
    violations(&validator, instance)
}

fn violations(validator: &jsonschema::Validator, instance: &Value) -> Result<(), Vec<String>> {
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| {
            let at = e.instance_path().to_string();
            format!("at `{}`: {e}", if at.is_empty() { "/" } else { &at })
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Marks every property an object schema does not list in `required` as
/// `nullable`, recursively (before [`without_nullable`] rewrites that).
fn optional_nullable(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut out: Map<String, Value> = map
                .iter()
                .map(|(k, v)| (k.clone(), optional_nullable(v)))
                .collect();
            let required: Vec<&str> = map
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            if map.get("properties").is_some_and(Value::is_object)
                && let Some(Value::Object(properties)) = out.get_mut("properties")
            {
                for (name, schema) in properties.iter_mut() {
                    if !required.contains(&name.as_str())
                        && let Some(schema) = schema.as_object_mut()
                    {
                        schema.insert("nullable".into(), Value::Bool(true));
                    }
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(optional_nullable).collect()),
        other => other.clone(),
    }
}

/// Rewrites OpenAPI 3.0 `nullable: true` into draft-4 terms, recursively.
fn without_nullable(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut out: Map<String, Value> = map
                .iter()
                .filter(|(k, _)| *k != "nullable")
                .map(|(k, v)| (k.clone(), without_nullable(v)))
                .collect();
            if map.get("nullable") == Some(&Value::Bool(true)) {
                match out.get("type").cloned() {
                    Some(Value::String(t)) => {
                        out.insert("type".into(), json!([t, "null"]));
                        if let Some(Value::Array(values)) = out.get_mut("enum") {
                            values.push(Value::Null);
                        }
                    }
                    _ => return json!({"anyOf": [{"type": "null"}, Value::Object(out)]}),
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(without_nullable).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> SpecSchemas {
        SpecSchemas::new(&json!({
            "components": {"schemas": {
                "Message": {
                    "type": "object",
                    "required": ["id", "read_at"],
                    "properties": {
                        "id": {"type": "integer"},
                        "status": {"$ref": "#/components/schemas/Status"},
                        "read_at": {"type": "string", "format": "date-time", "nullable": true},
                        "note": {"type": "string"}
                    }
                },
                "Status": {"type": "string", "enum": ["OPEN", "CLOSED"]}
            }}
        }))
    }

    #[test]
    fn enums_are_closed_for_requests_and_open_for_responses() {
        let schema = json!({"$ref": "#/components/schemas/Message"});
        let new_status = json!({"id": 1, "read_at": null, "status": "ESCALATED"});
        assert!(
            spec()
                .validate(Direction::Response, &schema, &new_status)
                .is_ok()
        );
        let errors = spec()
            .validate(Direction::Request, &schema, &new_status)
            .unwrap_err();
        assert!(errors[0].contains("/status"), "{errors:?}");
        let not_a_string = json!({"id": 1, "read_at": null, "status": 3});
        assert!(
            spec()
                .validate(Direction::Response, &schema, &not_a_string)
                .is_err()
        );
    }

    #[test]
    fn nullable_fields_accept_null_and_required_ones_do_not() {
        let schema = json!({"$ref": "#/components/schemas/Message"});
        for direction in [Direction::Request, Direction::Response] {
            assert!(
                spec()
                    .validate(direction, &schema, &json!({"id": 1, "read_at": null}))
                    .is_ok()
            );
            let errors = spec()
                .validate(direction, &schema, &json!({"id": null, "read_at": null}))
                .unwrap_err();
            assert!(errors[0].contains("/id"), "{errors:?}");
        }
    }

    /// The clients decode `null` in an optional field as the field left out, so a
    /// recorded response with one conforms; a request the client sends never has one.
    #[test]
    fn optional_fields_may_be_null_in_responses_only() {
        let spec = SpecSchemas::new(&json!({
            "components": {"schemas": {
                "Message": {
                    "type": "object",
                    "required": ["id"],
                    "properties": {
                        "id": {"type": "integer"},
                        "note": {"type": "string"},
                        "attachments": {"type": "array", "items": {"$ref": "#/components/schemas/File"}},
                        "status": {"$ref": "#/components/schemas/Status"}
                    }
                },
                "File": {"type": "object", "properties": {"name": {"type": "string"}}},
                "Status": {"type": "string", "enum": ["OPEN", "CLOSED"]}
            }}
        }));
        let message = json!({"$ref": "#/components/schemas/Message"});
        let nulls = json!({"id": 1, "note": null, "attachments": null, "status": null});
        assert_eq!(spec.validate(Direction::Response, &message, &nulls), Ok(()));
        let inline = json!({"type": "array", "items": {"$ref": "#/components/schemas/File"}});
        assert_eq!(
            spec.validate(Direction::Response, &inline, &json!([{"name": null}])),
            Ok(())
        );
        let errors = spec
            .validate(Direction::Request, &message, &nulls)
            .unwrap_err()
            .join("\n");
        for field in ["/note", "/attachments", "/status"] {
            assert!(errors.contains(field), "{field}: {errors}");
        }
        let wrong = json!({"id": 1, "attachments": [{"name": 7}]});
        let errors = spec
            .validate(Direction::Response, &message, &wrong)
            .unwrap_err();
        assert!(errors[0].contains("/attachments/0/name"), "{errors:?}");
    }

    #[test]
    fn violations_name_the_failing_path() {
        let schema = json!({"$ref": "#/components/schemas/Message"});
        let errors = spec()
            .validate(
                Direction::Response,
                &schema,
                &json!({"id": "one", "read_at": "yesterday"}),
            )
            .unwrap_err();
        let text = errors.join("\n");
        assert!(text.contains("at `/id`"), "{text}");
        assert!(text.contains("at `/read_at`"), "{text}");
    }
}
