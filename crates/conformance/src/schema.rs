//! Validates fixture payloads against a spec's schemas.
//!
//! OpenAPI 3.0 schemas are JSON Schema draft 4 plus a few keywords. The one that
//! matters for validation is `nullable`, which draft 4 does not know: it is rewritten
//! into a `"null"` type before compiling, so a `null` the spec allows is accepted and
//! one it does not allow is rejected.

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
        let mut open_enums = strict.clone();
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
        let mut root = match direction {
            Direction::Request => self.strict.clone(),
            Direction::Response => self.open_enums.clone(),
        };
        // `$ref`s inside `schema` resolve against the whole document, which is the root.
        if let (Some(root), Some(schema)) =
            (root.as_object_mut(), without_nullable(schema).as_object())
        {
            for (key, value) in schema {
                root.insert(key.clone(), value.clone());
            }
        }
        let validator = jsonschema::draft4::new(&root)
            .map_err(|e| vec![format!("schema does not compile: {e}")])?;
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
    fn nullable_fields_accept_null_and_others_do_not() {
        let schema = json!({"$ref": "#/components/schemas/Message"});
        assert!(
            spec()
                .validate(
                    Direction::Response,
                    &schema,
                    &json!({"id": 1, "read_at": null})
                )
                .is_ok()
        );
        let errors = spec()
            .validate(
                Direction::Response,
                &schema,
                &json!({"id": 1, "read_at": null, "note": null}),
            )
            .unwrap_err();
        assert!(errors[0].contains("/note"), "{errors:?}");
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
