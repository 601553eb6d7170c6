//! Every example documented inside a spec validates against its schema.
//!
//! Examples are documentation readers copy from, so a wrong one misleads as much
//! as a wrong type. Checked: `example` on any schema (components and inline, at
//! any depth), and `example` / `examples` (with `$ref`s into
//! `components/examples`) on parameters, headers and media types of request
//! bodies and responses. Each failure is reported as
//! `specs/<name>.yaml#/json/pointer: [example] …` at the example itself. Enums are
//! closed here (an example shows documented values), `nullable` is honoured.
//! Examples given only as `externalValue` cannot be checked and are skipped.

use marketplace_codegen::Spec;
use marketplace_codegen::spec::{METHODS, escape, resolve};
use serde_json::Value;

use crate::schema::{Direction, SpecSchemas};

/// Every failing example of `spec`, one line each.
pub fn check(spec: &Spec) -> Vec<String> {
    let mut walk = Walk {
        spec,
        schemas: SpecSchemas::new(&spec.document),
        problems: Vec::new(),
    };
    walk.document();
    walk.problems
}

struct Walk<'a> {
    spec: &'a Spec,
    schemas: SpecSchemas,
    problems: Vec<String>,
}

/// The entries of an object member, with their pointers.
fn entries<'v>(value: &'v Value, key: &str, at: &str) -> Vec<(&'v Value, String)> {
    value
        .get(key)
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(k, v)| (v, format!("{at}/{key}/{}", escape(k))))
        .collect()
}

fn items<'v>(value: &'v Value, key: &str, at: &str) -> Vec<(&'v Value, String)> {
    value
        .get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, v)| (v, format!("{at}/{key}/{i}")))
        .collect()
}

fn is_ref(value: &Value) -> bool {
    value.get("$ref").is_some()
}

impl<'a> Walk<'a> {
    fn document(&mut self) {
        let doc = &self.spec.document;
        let components = &doc["components"];
        for (schema, at) in entries(components, "schemas", "/components") {
            self.schema(schema, &at);
        }
        for (parameter, at) in entries(components, "parameters", "/components")
            .into_iter()
            .chain(entries(components, "headers", "/components"))
        {
            self.parameter(parameter, &at);
        }
        for (body, at) in entries(components, "requestBodies", "/components")
            .into_iter()
            .chain(entries(components, "responses", "/components"))
        {
            self.body(body, &at);
        }
        for (item, at) in entries(doc, "paths", "") {
            if is_ref(item) {
                continue;
            }
            for (parameter, at) in items(item, "parameters", &at) {
                self.parameter(parameter, &at);
            }
            for method in METHODS {
                let Some(op) = item.get(*method) else {
                    continue;
                };
                let at = format!("{at}/{method}");
                for (parameter, at) in items(op, "parameters", &at) {
                    self.parameter(parameter, &at);
                }
                if let Some(body) = op.get("requestBody") {
                    self.body(body, &format!("{at}/requestBody"));
                }
                for (response, at) in entries(op, "responses", &at) {
                    self.body(response, &at);
                }
            }
        }
    }

    /// A request body or a response: its media types and (responses) headers.
    fn body(&mut self, body: &Value, at: &str) {
        if is_ref(body) {
            return;
        }
        for (media, at) in entries(body, "content", at) {
            self.examples_of(media, &at);
        }
        for (header, at) in entries(body, "headers", at) {
            self.parameter(header, &at);
        }
    }

    /// A parameter or header: `schema` with examples, or `content`.
    fn parameter(&mut self, parameter: &Value, at: &str) {
        if is_ref(parameter) {
            return;
        }
        self.examples_of(parameter, at);
        for (media, at) in entries(parameter, "content", at) {
            self.examples_of(media, &at);
        }
    }

    /// An object with a `schema` and maybe `example` / `examples` (parameter,
    /// header, media type); also walks the schema's own examples.
    fn examples_of(&mut self, holder: &Value, at: &str) {
        let Some(schema) = holder.get("schema") else {
            return;
        };
        self.schema(schema, &format!("{at}/schema"));
        if let Some(example) = holder.get("example") {
            self.validate(schema, example, &format!("{at}/example"));
        }
        for (example, at) in entries(holder, "examples", at) {
            let example = resolve(&self.spec.document, example);
            if let Some(value) = example.get("value") {
                self.validate(schema, value, &format!("{at}/value"));
            }
        }
    }

    /// A schema's `example`, then its subschemas'.
    fn schema(&mut self, schema: &Value, at: &str) {
        if is_ref(schema) || !schema.is_object() {
            return;
        }
        if let Some(example) = schema.get("example") {
            self.validate(schema, example, &format!("{at}/example"));
        }
        for (child, at) in entries(schema, "properties", at) {
            self.schema(child, &at);
        }
        for key in ["items", "additionalProperties", "not"] {
            if let Some(child) = schema.get(key) {
                self.schema(child, &format!("{at}/{key}"));
            }
        }
        for key in ["allOf", "oneOf", "anyOf"] {
            for (child, at) in items(schema, key, at) {
                self.schema(child, &at);
            }
        }
    }

    fn validate(&mut self, schema: &Value, example: &Value, at: &str) {
        if let Err(errors) = self.schemas.validate(Direction::Request, schema, example) {
            for error in errors {
                self.problems.push(format!(
                    "{}#{at}: [example] the example does not match its schema: {error}",
                    self.spec.display_path
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(yaml: &str) -> Vec<String> {
        let document: Value = serde_yaml::from_str(yaml).expect("YAML");
        check(&Spec {
            name: "shop".into(),
            path: "specs/shop.yaml".into(),
            display_path: "specs/shop.yaml".into(),
            document,
        })
    }

    const SPEC: &str = r##"
openapi: 3.0.3
paths:
  /items/{id}:
    parameters:
      - name: id
        in: path
        required: true
        schema: {type: integer}
        example: 7
    get:
      parameters:
        - name: state
          in: query
          schema: {$ref: "#/components/schemas/State"}
          examples:
            open: {value: open}
            closed: {$ref: "#/components/examples/Closed"}
      responses:
        "200":
          description: ok
          headers:
            X-Count:
              schema: {type: integer}
              example: 3
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Item"}
              example: {id: 1, note: null, tags: [a]}
components:
  examples:
    Closed: {value: closed}
  parameters:
    Limit:
      name: limit
      in: query
      schema: {type: integer, minimum: 1}
      example: 20
  schemas:
    State: {type: string, enum: [open, closed], example: open}
    Item:
      type: object
      required: [id]
      example: {id: 2}
      properties:
        id: {type: integer, example: 5}
        note: {type: string, nullable: true, example: null}
        tags:
          type: array
          items: {type: string, example: a}
"##;

    #[test]
    fn correct_examples_everywhere_pass() {
        assert_eq!(problems(SPEC), Vec::<String>::new());
    }

    #[test]
    fn every_kind_of_wrong_example_is_reported_at_its_pointer() {
        let broken = SPEC
            .replace("example: 7", "example: seven")
            .replace("open: {value: open}", "open: {value: opened}")
            .replace("Closed: {value: closed}", "Closed: {value: 0}")
            .replace("example: 3", "example: [3]")
            .replace(
                "example: {id: 1, note: null, tags: [a]}",
                "example: {note: 1}",
            )
            .replace("example: 20", "example: 0")
            .replace("example: open}", "example: ajar}")
            .replace("example: {id: 2}", "example: {id: two}")
            .replace(
                "id: {type: integer, example: 5}",
                "id: {type: integer, example: 5.5}",
            )
            .replace(
                "items: {type: string, example: a}",
                "items: {type: string, example: 1}",
            );
        let found = problems(&broken);
        let pointers: std::collections::BTreeSet<&str> = found
            .iter()
            .map(|p| {
                p.strip_prefix("specs/shop.yaml#")
                    .and_then(|p| p.split(": [example] ").next())
                    .unwrap_or_else(|| panic!("badly formatted: {p}"))
            })
            .collect();
        let expected = [
            "/components/parameters/Limit/example",
            "/components/schemas/Item/example",
            "/components/schemas/Item/properties/id/example",
            "/components/schemas/Item/properties/tags/items/example",
            "/components/schemas/State/example",
            "/paths/~1items~1{id}/get/parameters/0/examples/closed/value",
            "/paths/~1items~1{id}/get/parameters/0/examples/open/value",
            "/paths/~1items~1{id}/get/responses/200/content/application~1json/example",
            "/paths/~1items~1{id}/get/responses/200/headers/X-Count/example",
            "/paths/~1items~1{id}/parameters/0/example",
        ];
        assert_eq!(
            pointers.into_iter().collect::<Vec<_>>(),
            expected,
            "{found:#?}"
        );
        // The response example misses `id` and has a number for a string.
        let response: Vec<&String> = found
            .iter()
            .filter(|p| p.contains("/responses/200/content/"))
            .collect();
        assert_eq!(response.len(), 2, "{response:#?}");
        assert!(
            response
                .iter()
                .any(|p| p.contains("\"id\" is a required property")),
            "{response:#?}"
        );
        assert!(
            response.iter().any(|p| p.contains("at `/note`")),
            "{response:#?}"
        );
    }

    #[test]
    fn external_examples_are_skipped() {
        let spec = r##"
openapi: 3.0.3
paths: {}
components:
  parameters:
    P:
      name: p
      in: query
      schema: {type: integer}
      examples:
        remote: {externalValue: "https://example.invalid/p.json"}
"##;
        assert_eq!(problems(spec), Vec::<String>::new());
    }
}
