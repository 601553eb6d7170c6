//! How the generated types deserialize (issue 13, items 4–7): the shapes serde
//! buffers decode through the runtime's strict decoder, and `null` in an optional
//! collection is empty. Read from the code generated for a small spec.

use marketplace_codegen::{Options, Spec, generate_with};

const SPEC: &str = r##"
openapi: 3.0.3
info:
  title: Shop
  version: "1"
  description: A test API.
servers:
  - url: https://api.example.invalid
paths:
  /items:
    get:
      operationId: list_items
      summary: List items
      responses:
        "200":
          description: Items.
          content:
            application/json:
              schema:
                $ref: "#/components/schemas/Page"
        4XX:
          $ref: "#/components/responses/Error"
        5XX:
          $ref: "#/components/responses/Error"
components:
  responses:
    Error:
      description: Any error.
      content:
        application/json:
          schema:
            $ref: "#/components/schemas/Error"
  schemas:
    Page:
      description: A page.
      type: object
      required: [tags, found]
      properties:
        items:
          description: Optional items.
          type: array
          items:
            $ref: "#/components/schemas/Item"
        tags:
          description: Required tags.
          type: array
          items:
            type: string
        found:
          $ref: "#/components/schemas/ItemOrList"
        names:
          $ref: "#/components/schemas/Names"
        limit:
          description: Optional, with a default.
          type: integer
          default: 20
        labels:
          description: Optional, with a default.
          type: array
          items:
            type: string
          default: ["new"]
    ItemOrList:
      description: One item or several.
      oneOf:
        - $ref: "#/components/schemas/Item"
        - description: Several.
          type: array
          items:
            $ref: "#/components/schemas/Item"
    Names:
      description: A name per language.
      type: object
      properties:
        en:
          description: English.
          type: string
      additionalProperties:
        type: string
    Item:
      description: An item.
      type: object
      required: [id]
      properties:
        id:
          description: Its id.
          type: integer
        state:
          $ref: "#/components/schemas/State"
    State:
      description: Where an item is.
      type: string
      enum: [in_stock, sold]
    Error:
      description: The error body.
      type: object
      x-error-code: ["/code"]
      x-error-message: ["/message"]
      properties:
        code:
          description: The error code.
          type: string
        message:
          description: The error message.
          type: string
"##;

fn client() -> String {
    client_with(Options::default())
}

fn client_with(options: Options) -> String {
    let spec = Spec {
        name: "shop".into(),
        path: "specs/shop.yaml".into(),
        display_path: "specs/shop.yaml".into(),
        document: serde_yaml::from_str(SPEC).expect("YAML"),
    };
    generate_with(&spec, options)
        .unwrap_or_else(|f| panic!("{f:?}"))
        .client
}

/// The text of `pub struct|enum <name>` up to its closing brace at item level,
/// with the attributes above it.
fn item<'a>(client: &'a str, header: &str) -> &'a str {
    let at = client.find(header).unwrap_or_else(|| panic!("{header}"));
    let start = client[..at].rfind("///").unwrap_or(at);
    let end = at + client[at..].find("\n    }\n").expect("item end");
    &client[start..end]
}

/// `text` without whitespace, so that prettyplease's line breaks do not matter.
fn squash(text: &str) -> String {
    text.split_whitespace().collect()
}

#[test]
fn optional_collections_take_null_as_empty_and_required_ones_do_not() {
    let client = client();
    let page = item(&client, "pub struct Page {");
    let items = page.find("pub items:").unwrap();
    let tags = page.find("pub tags:").unwrap();
    let names = page.find("pub names:").unwrap();
    assert!(
        page[..items]
            .contains("deserialize_with = \"::marketplace_runtime::decode::null_as_default\""),
        "{page}"
    );
    assert!(!page[names..tags].contains("deserialize_with"), "{page}");
}

/// `null` for a field with the spec's own default decodes as that default, not as
/// the type's (`0`, empty).
#[test]
fn null_in_a_field_with_a_spec_default_is_that_default() {
    let client = client();
    let page = squash(item(&client, "pub struct Page {"));
    for (default, helper) in [
        ("defaults::page_labels", "Page::__labels_null_as_default"),
        (
            "defaults::default_u64::<i64,20>",
            "Page::__limit_null_as_default",
        ),
    ] {
        let attr = format!("default=\"{default}\",deserialize_with=\"{helper}\"");
        assert!(page.contains(&attr), "{attr}\n---\n{page}");
    }
    let helpers = squash(item(&client, "fn __labels_null_as_default"));
    for call in [
        "::marketplace_runtime::decode::null_or(deserializer,defaults::page_labels)",
        "::marketplace_runtime::decode::null_or(deserializer,defaults::default_u64::<i64,20>,)",
    ] {
        assert!(helpers.contains(call), "{call}\n---\n{helpers}");
    }
}

#[test]
fn an_untagged_enum_decodes_through_the_runtime() {
    let client = client();
    let found = item(&client, "pub enum ItemOrList {");
    assert!(found.contains("#[serde(untagged)]"), "{found}");
    assert!(!found.contains("Deserialize"), "{found}");
    let decode = item(
        &client,
        "impl<'de> ::serde::Deserialize<'de> for ItemOrList {",
    );
    let expected = [
        "::marketplace_runtime::decode::Untagged::read(deserializer, \"ItemOrList\")?",
        ".variant(Self::Item)",
        ".variant(Self::Array)",
        ".finish()",
    ];
    let mut rest = decode;
    for part in expected {
        let at = rest
            .find(part)
            .unwrap_or_else(|| panic!("{part}\n---\n{decode}"));
        rest = &rest[at + part.len()..];
    }
}

#[test]
fn a_flattened_catch_all_map_is_lenient() {
    let client = client();
    let names = item(&client, "pub struct Names {");
    assert!(
        squash(names).contains(&squash(
            "#[serde(flatten, deserialize_with = \"::marketplace_runtime::decode::lenient_map\")]"
        )),
        "{names}"
    );
}

/// With the runtime's `json-schema` feature (the conformance harness), every type
/// derives `JsonSchema` through the runtime's schemars, and each field the decoder
/// reads tolerantly has a schema exactly that tolerant; without it, nothing.
#[test]
fn json_schema_derives_are_as_tolerant_as_the_decoder_and_only_on_request() {
    let product = client();
    assert!(!product.contains("schemars"), "{product}");

    let client = client_with(Options { json_schema: true });
    assert!(
        client.contains("use ::marketplace_runtime::__schemars as schemars;"),
        "{client}"
    );
    let page = squash(item(&client, "pub struct Page {"));
    assert!(page.contains("schemars::JsonSchema"), "{page}");
    // `null` decodes as the default in each optional field: its schema is the
    // field's own or null. A required field stays as it is.
    for (field, ty) in [
        ("items", "::std::vec::Vec<Item>"),
        ("labels", "::std::vec::Vec<::std::string::String>"),
        ("limit", "i64"),
    ] {
        let with = squash(&format!(
            "#[schemars(with = \"::std::option::Option<{ty}>\")] pub {field}:"
        ));
        assert!(page.contains(&with), "{with}\n---\n{page}");
    }
    assert_eq!(page.matches("schemars(with").count(), 3, "{page}");

    // An unexpected entry of a flattened map is skipped: any value is accepted.
    let names = squash(item(&client, "pub struct Names {"));
    let any_value = squash(
        "#[schemars(with = \"::serde_json::Map<::std::string::String, ::serde_json::Value>\")]",
    );
    assert!(names.contains(&any_value), "{names}");

    // A tolerant enum decodes any string (an unknown one is `Other`).
    let state = squash(item(&client, "impl schemars::JsonSchema for State {"));
    assert!(
        state.contains(&squash(
            "<::std::string::String as schemars::JsonSchema>::json_schema(generator)"
        )),
        "{state}"
    );
}
