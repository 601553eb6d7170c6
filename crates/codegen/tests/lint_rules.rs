//! One test per house rule (`marketplace_codegen::lint`): a small spec that passes
//! every rule, changed in one place, must produce exactly the one finding of that
//! rule, at the JSON pointer of the change.

use marketplace_codegen::lint::{Case, lint, rust_name};
use marketplace_codegen::{Finding, Spec};
use serde_json::{Value, json};

const BASE: &str = r##"
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
      parameters:
        - name: limit
          in: query
          required: false
          description: Page size.
          schema:
            type: integer
      responses:
        "200":
          description: Items.
          content:
            application/json:
              schema:
                $ref: "#/components/schemas/ItemList"
        4XX:
          $ref: "#/components/responses/Error"
        5XX:
          $ref: "#/components/responses/Error"
    post:
      operationId: create_item
      summary: Create an item
      requestBody:
        required: true
        content:
          application/json:
            schema:
              $ref: "#/components/schemas/Item"
      responses:
        "201":
          description: Created.
          content:
            application/json:
              schema:
                $ref: "#/components/schemas/Item"
        4XX:
          $ref: "#/components/responses/Error"
        5XX:
          $ref: "#/components/responses/Error"
  /items/{id}:
    get:
      operationId: get_item
      summary: Get an item
      parameters:
        - name: id
          in: path
          required: true
          description: The item's id.
          schema:
            type: integer
      responses:
        "200":
          description: The item.
          content:
            application/json:
              schema:
                $ref: "#/components/schemas/Item"
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
    Item:
      description: An item.
      type: object
      required: [id]
      properties:
        id:
          description: Its id.
          type: integer
        status:
          $ref: "#/components/schemas/Status"
    ItemList:
      description: Some items.
      type: object
      properties:
        items:
          description: The items.
          type: array
          items:
            $ref: "#/components/schemas/Item"
    Status:
      description: An item's status.
      type: string
      enum: [open, closed]
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

fn base() -> Value {
    serde_yaml::from_str(BASE).expect("the base spec is YAML")
}

fn shop(document: Value) -> Spec {
    Spec {
        name: "shop".into(),
        path: "specs/shop.yaml".into(),
        display_path: "specs/shop.yaml".into(),
        document,
    }
}

fn findings(document: Value) -> Vec<Finding> {
    lint(&shop(document))
}

/// Lints the changed spec and requires exactly one finding: `rule` at `pointer`.
#[track_caller]
fn only(document: Value, rule: &str, pointer: &str) {
    let found = findings(document);
    let listed: Vec<(&str, &str)> = found.iter().map(|f| (f.rule, f.pointer.as_str())).collect();
    assert_eq!(listed, [(rule, pointer)], "findings: {found:#?}");
    let shown = found[0].to_string();
    assert!(
        shown.starts_with(&format!("specs/shop.yaml#{pointer}: [{rule}] ")),
        "{shown}"
    );
}

/// JSON-pointer access for changing the base spec.
fn at<'a>(doc: &'a mut Value, pointer: &str) -> &'a mut Value {
    doc.pointer_mut(pointer)
        .unwrap_or_else(|| panic!("{pointer} is not in the base spec"))
}

fn remove(doc: &mut Value, pointer: &str) {
    let (parent, key) = pointer.rsplit_once('/').expect("a pointer");
    let key = key.replace("~1", "/").replace("~0", "~");
    match at(doc, parent) {
        Value::Object(map) => {
            map.remove(&key).expect("the key exists");
        }
        Value::Array(items) => {
            items.remove(key.parse::<usize>().expect("an index"));
        }
        _ => panic!("{parent} holds nothing to remove"),
    }
}

/// Of two keys added to the same object, the one a map iterates second (where the
/// "already used" finding lands, whatever serde_json's map order is).
fn second_of(doc: &Value, object: &str, a: &str, b: &str) -> String {
    let keys: Vec<&String> = doc
        .pointer(object)
        .and_then(Value::as_object)
        .expect("an object")
        .keys()
        .filter(|k| *k == a || *k == b)
        .collect();
    keys[1].clone()
}

const LIST: &str = "/paths/~1items/get";
const CREATE: &str = "/paths/~1items/post";
const GET: &str = "/paths/~1items~1{id}/get";

#[test]
fn the_base_spec_passes_every_rule() {
    assert_eq!(findings(base()), []);
}

#[test]
fn openapi_3_0_version() {
    let mut doc = base();
    doc["openapi"] = json!("3.1.0");
    only(doc, "openapi-3.0", "/openapi");
}

#[test]
fn openapi_3_0_single_type() {
    let mut doc = base();
    *at(&mut doc, "/components/schemas/Item/properties/id/type") = json!(["integer", "null"]);
    only(
        doc,
        "openapi-3.0",
        "/components/schemas/Item/properties/id/type",
    );
}

#[test]
fn servers() {
    let mut doc = base();
    remove(&mut doc, "/servers");
    only(doc, "servers", "/servers");
}

#[test]
fn description_of_the_api() {
    let mut doc = base();
    remove(&mut doc, "/info/description");
    only(doc, "description", "/info/description");
}

#[test]
fn docs_in_repository() {
    for (pointer, text) in [
        (
            "/info/description",
            "A test API (see shared/seeds/001_x.txt).",
        ),
        (
            "/components/schemas/Item/properties/id/description",
            "Its id, as in ../shared/refdocs/shop.md.",
        ),
    ] {
        let mut doc = base();
        *at(&mut doc, pointer) = json!(text);
        only(doc, "docs-in-repository", pointer);
    }
}

#[test]
fn description_of_a_schema() {
    let mut doc = base();
    remove(&mut doc, "/components/schemas/Item/description");
    only(doc, "description", "/components/schemas/Item");
}

#[test]
fn description_of_an_operation() {
    let mut doc = base();
    remove(&mut doc, &format!("{GET}/summary"));
    only(doc, "description", GET);
}

#[test]
fn description_of_a_parameter() {
    let mut doc = base();
    remove(&mut doc, &format!("{LIST}/parameters/0/description"));
    only(doc, "description", &format!("{LIST}/parameters/0"));
}

#[test]
fn description_of_a_response() {
    let mut doc = base();
    remove(&mut doc, &format!("{LIST}/responses/200/description"));
    only(doc, "description", &format!("{LIST}/responses/200"));
}

#[test]
fn schema_name_is_pascal_case() {
    let mut doc = base();
    at(&mut doc, "/components/schemas")
        .as_object_mut()
        .unwrap()
        .insert(
            "item_tag".into(),
            json!({"description": "A tag.", "type": "string"}),
        );
    only(doc, "schema-name", "/components/schemas/item_tag");
}

#[test]
fn schema_names_stay_distinct_as_rust_types() {
    let mut doc = base();
    // `ITEM` is PascalCase by the letter but typify names it `Item`, like `Item`.
    at(&mut doc, "/components/schemas")
        .as_object_mut()
        .unwrap()
        .insert(
            "ITEM".into(),
            json!({"description": "Shouting.", "type": "string"}),
        );
    let second = second_of(&doc, "/components/schemas", "ITEM", "Item");
    only(doc, "schema-name", &format!("/components/schemas/{second}"));
}

#[test]
fn string_enums_only() {
    let mut doc = base();
    *at(&mut doc, "/components/schemas/Item/properties/id") =
        json!({"description": "Its id.", "type": "integer", "enum": [1, 2]});
    only(
        doc,
        "string-enums",
        "/components/schemas/Item/properties/id/enum",
    );
}

#[test]
fn named_enums_only() {
    let mut doc = base();
    at(&mut doc, "/components/schemas/Item/properties")
        .as_object_mut()
        .unwrap()
        .insert(
            "kind".into(),
            json!({"description": "Kind.", "type": "string", "enum": ["a", "b"]}),
        );
    only(
        doc,
        "named-enums",
        "/components/schemas/Item/properties/kind/enum",
    );
}

#[test]
fn refs_resolve() {
    let mut doc = base();
    at(&mut doc, "/components/schemas/Item/properties")
        .as_object_mut()
        .unwrap()
        .insert(
            "owner".into(),
            json!({"$ref": "#/components/schemas/Owner"}),
        );
    only(
        doc,
        "refs-resolve",
        "/components/schemas/Item/properties/owner",
    );
}

#[test]
fn path_items_are_not_refs() {
    let mut doc = base();
    at(&mut doc, "/paths").as_object_mut().unwrap().insert(
        "/other".into(),
        json!({"$ref": "#/components/schemas/Item"}),
    );
    only(doc, "path-item-ref", "/paths/~1other");
}

#[test]
fn operation_id_present() {
    let mut doc = base();
    remove(&mut doc, &format!("{GET}/operationId"));
    only(doc, "operation-id", GET);
}

#[test]
fn operation_id_snake_case() {
    let mut doc = base();
    *at(&mut doc, &format!("{GET}/operationId")) = json!("getItem");
    only(doc, "operation-id", &format!("{GET}/operationId"));
}

#[test]
fn operation_id_unique() {
    let mut doc = base();
    *at(&mut doc, &format!("{GET}/operationId")) = json!("list_items");
    only(doc, "operation-id", &format!("{GET}/operationId"));
}

#[test]
fn operation_ids_stay_distinct_as_rust_methods() {
    let mut doc = base();
    // snake_case by the letter, but progenitor drops the trailing underscore.
    *at(&mut doc, &format!("{GET}/operationId")) = json!("list_items_");
    only(doc, "operation-id", &format!("{GET}/operationId"));
}

#[test]
fn operation_ids_stay_distinct_as_builder_types() {
    let mut doc = base();
    // Different methods (`item2`, `item_2`), one builder struct `Item2`.
    *at(&mut doc, &format!("{CREATE}/operationId")) = json!("item2");
    *at(&mut doc, &format!("{GET}/operationId")) = json!("item_2");
    only(doc, "operation-id", &format!("{GET}/operationId"));
}

#[test]
fn parameter_location() {
    let mut doc = base();
    *at(&mut doc, &format!("{LIST}/parameters/0/in")) = json!("cookie");
    only(doc, "parameter-location", &format!("{LIST}/parameters/0"));
}

#[test]
fn parameter_schema() {
    let mut doc = base();
    remove(&mut doc, &format!("{LIST}/parameters/0/schema"));
    at(&mut doc, &format!("{LIST}/parameters/0"))
        .as_object_mut()
        .unwrap()
        .insert(
            "content".into(),
            json!({"application/json": {"schema": {"type": "integer"}}}),
        );
    only(doc, "parameter-schema", &format!("{LIST}/parameters/0"));
}

#[test]
fn path_parameters_declared() {
    let mut doc = base();
    *at(&mut doc, &format!("{GET}/parameters/0/name")) = json!("item_id");
    only(doc, "path-parameters", GET);
}

#[test]
fn path_parameters_required() {
    let mut doc = base();
    *at(&mut doc, &format!("{GET}/parameters/0/required")) = json!(false);
    only(doc, "path-parameters", &format!("{GET}/parameters/0"));
}

#[test]
fn parameter_names_stay_distinct_as_setters() {
    let mut doc = base();
    at(&mut doc, &format!("{LIST}/parameters"))
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "Limit", "in": "header", "description": "Also a limit.", "schema": {"type": "string"}}));
    only(doc, "parameter-names", &format!("{LIST}/parameters/1"));
}

#[test]
fn parameter_names_leave_body_to_the_body() {
    let mut doc = base();
    at(&mut doc, CREATE).as_object_mut().unwrap().insert(
        "parameters".into(),
        json!([{"name": "body", "in": "query", "description": "Confusing.", "schema": {"type": "string"}}]),
    );
    only(doc, "parameter-names", &format!("{CREATE}/parameters/0"));
}

#[test]
fn one_request_media_type() {
    let mut doc = base();
    at(&mut doc, &format!("{CREATE}/requestBody/content"))
        .as_object_mut()
        .unwrap()
        .insert(
            "application/xml".into(),
            json!({"schema": {"$ref": "#/components/schemas/Item"}}),
        );
    only(
        doc,
        "one-request-media-type",
        &format!("{CREATE}/requestBody/content"),
    );
}

#[test]
fn request_media_type() {
    let mut doc = base();
    *at(&mut doc, &format!("{CREATE}/requestBody/content")) =
        json!({"text/plain": {"schema": {"type": "string"}}});
    only(
        doc,
        "request-media-type",
        &format!("{CREATE}/requestBody/content"),
    );
}

#[test]
fn named_request_schemas() {
    let mut doc = base();
    *at(
        &mut doc,
        &format!("{CREATE}/requestBody/content/application~1json/schema"),
    ) = json!({"description": "Inline.", "type": "object"});
    only(
        doc,
        "named-schemas",
        &format!("{CREATE}/requestBody/content/application~1json/schema"),
    );
}

#[test]
fn named_response_schemas() {
    let mut doc = base();
    *at(
        &mut doc,
        &format!("{LIST}/responses/200/content/application~1json/schema"),
    ) = json!({"description": "Inline.", "type": "object"});
    only(
        doc,
        "named-schemas",
        &format!("{LIST}/responses/200/content/application~1json/schema"),
    );
}

#[test]
fn no_default_response() {
    let mut doc = base();
    at(&mut doc, &format!("{GET}/responses"))
        .as_object_mut()
        .unwrap()
        .insert(
            "default".into(),
            json!({"$ref": "#/components/responses/Error"}),
        );
    only(
        doc,
        "no-default-response",
        &format!("{GET}/responses/default"),
    );
}

#[test]
fn status_codes() {
    let mut doc = base();
    at(&mut doc, &format!("{GET}/responses"))
        .as_object_mut()
        .unwrap()
        .insert("302".into(), json!({"description": "Moved."}));
    only(doc, "status-codes", &format!("{GET}/responses/302"));
}

#[test]
fn one_success_schema() {
    let mut doc = base();
    at(&mut doc, &format!("{CREATE}/responses")).as_object_mut().unwrap().insert(
        "200".into(),
        json!({"description": "Listed.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ItemList"}}}}),
    );
    only(doc, "one-success-schema", &format!("{CREATE}/responses"));
}

#[test]
fn errors_documented() {
    let mut doc = base();
    remove(&mut doc, &format!("{GET}/responses/5XX"));
    only(doc, "errors-documented", &format!("{GET}/responses"));
}

#[test]
fn one_error_schema() {
    let mut doc = base();
    at(&mut doc, &format!("{GET}/responses"))
        .as_object_mut()
        .unwrap()
        .insert("404".into(), json!({"description": "No body."}));
    only(doc, "one-error-schema", &format!("{GET}/responses"));
}

#[test]
fn shared_error_schema() {
    let mut doc = base();
    at(&mut doc, "/components/schemas").as_object_mut().unwrap().insert(
        "Problem".into(),
        json!({"description": "Another error body.", "type": "object", "x-error-code": [], "x-error-message": ["/title"],
               "properties": {"title": {"description": "Title.", "type": "string"}}}),
    );
    let problem = json!({"description": "Any error.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}}});
    *at(&mut doc, &format!("{GET}/responses/4XX")) = problem.clone();
    *at(&mut doc, &format!("{GET}/responses/5XX")) = problem;
    only(doc, "shared-error-schema", &format!("{GET}/responses"));
}

#[test]
fn one_response_media_type() {
    let mut doc = base();
    at(&mut doc, &format!("{LIST}/responses/200/content"))
        .as_object_mut()
        .unwrap()
        .insert(
            "application/xml".into(),
            json!({"schema": {"$ref": "#/components/schemas/ItemList"}}),
        );
    only(
        doc,
        "one-response-media-type",
        &format!("{LIST}/responses/200/content"),
    );
}

#[test]
fn response_media_type() {
    let mut doc = base();
    *at(&mut doc, &format!("{LIST}/responses/200/content")) =
        json!({"text/csv": {"schema": {"$ref": "#/components/schemas/ItemList"}}});
    only(
        doc,
        "response-media-type",
        &format!("{LIST}/responses/200/content"),
    );
}

#[test]
fn problem_json_is_json() {
    let mut doc = base();
    let content = at(&mut doc, "/components/responses/Error/content")
        .as_object_mut()
        .unwrap();
    let media = content.remove("application/json").unwrap();
    content.insert("application/problem+json".into(), media);
    assert_eq!(findings(doc), []);
}

#[test]
fn error_schema() {
    let mut doc = base();
    remove(&mut doc, "/components/schemas/Error/x-error-code");
    only(doc, "error-schema", "/components/schemas/Error");
}

#[test]
fn idempotent_flag() {
    let mut doc = base();
    let post = at(&mut doc, "/paths/~1items/post").as_object_mut().unwrap();
    post.insert("x-idempotent".into(), json!(true));
    assert_eq!(findings(doc.clone()), [], "a boolean on a POST is the rule");

    let mut on_get = doc.clone();
    at(&mut on_get, "/paths/~1items/get")
        .as_object_mut()
        .unwrap()
        .insert("x-idempotent".into(), json!(true));
    only(on_get, "idempotent-flag", "/paths/~1items/get/x-idempotent");

    at(&mut doc, "/paths/~1items/post")
        .as_object_mut()
        .unwrap()
        .insert("x-idempotent".into(), json!("yes"));
    only(doc, "idempotent-flag", "/paths/~1items/post/x-idempotent");
}

#[test]
fn open_objects() {
    let mut doc = base();
    at(&mut doc, "/components/schemas/Item")
        .as_object_mut()
        .unwrap()
        .insert("additionalProperties".into(), json!(false));
    only(
        doc,
        "open-objects",
        "/components/schemas/Item/additionalProperties",
    );
}

#[test]
fn property_names_stay_distinct_as_fields() {
    let mut doc = base();
    at(&mut doc, "/components/schemas/Item/properties")
        .as_object_mut()
        .unwrap()
        .insert(
            "ID".into(),
            json!({"description": "Shouting.", "type": "string"}),
        );
    let second = second_of(&doc, "/components/schemas/Item/properties", "ID", "id");
    only(
        doc,
        "property-names",
        &format!("/components/schemas/Item/properties/{second}"),
    );
}

#[test]
fn rust_names_follow_progenitor() {
    for (name, snake, pascal) in [
        ("list_messages", "list_messages", "ListMessages"),
        ("list_messages_", "list_messages", "ListMessages"),
        ("X-Request-Id", "x_request_id", "XRequestId"),
        ("userId", "user_id", "UserId"),
        ("HTTPServer", "http_server", "HttpServer"),
        ("ItemID", "item_id", "ItemId"),
        ("v2Api", "v2_api", "V2Api"),
        ("item_2", "item_2", "Item2"),
        ("type", "type_", "Type"),
        ("self", "self_", "Self_"),
        ("2fa", "_2fa", "_2fa"),
        ("don't", "dont", "Dont"),
        ("", "x", "X"),
    ] {
        assert_eq!(rust_name(name, Case::Snake), snake, "snake of {name:?}");
        assert_eq!(rust_name(name, Case::Pascal), pascal, "Pascal of {name:?}");
    }
}

/// The base list with an `offset` parameter, a `total`, and `x-pagination`.
fn paginated(pagination: Value) -> Value {
    let mut doc = base();
    at(&mut doc, &format!("{LIST}/parameters"))
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "offset", "in": "query", "required": false,
            "description": "Items to skip.", "schema": {"type": "integer"}}));
    at(&mut doc, "/components/schemas/ItemList/properties")
        .as_object_mut()
        .unwrap()
        .insert(
            "total".into(),
            json!({"description": "All items.", "type": "integer"}),
        );
    at(&mut doc, LIST)
        .as_object_mut()
        .unwrap()
        .insert("x-pagination".into(), pagination);
    doc
}

#[test]
fn pagination() {
    let offset = json!({"style": "offset", "items": "/items", "total": "/total",
        "page-size": "limit", "offset": "offset"});
    assert_eq!(
        findings(paginated(offset.clone())),
        [],
        "a valid offset list"
    );

    let at_extension = "/paths/~1items/get/x-pagination";
    let changed = |key: &str, value: Value| {
        let mut p = offset.clone();
        match value {
            Value::Null => p.as_object_mut().unwrap().remove(key),
            value => p.as_object_mut().unwrap().insert(key.into(), value),
        };
        paginated(p)
    };
    let message = |doc: Value| findings(doc).pop().map(|f| f.message).unwrap_or_default();
    for (doc, says) in [
        (
            changed("offset", Value::Null),
            "style `offset` needs `offset`",
        ),
        (
            changed("style", json!("pages")),
            "`style` is `offset`, `page-token` or `cursor-url`",
        ),
        (
            changed("page-size", json!("size")),
            "no query parameter `size`",
        ),
        (changed("items", json!("/entries")), "no property `entries`"),
        (
            changed("total", json!("/items")),
            "`/items` is not of type integer",
        ),
        (
            changed("next", json!("/total")),
            "style `offset` has no `next`",
        ),
        (changed("cursor", json!("c")), "unknown key `cursor`"),
    ] {
        assert!(
            message(doc.clone()).contains(says),
            "{says}: {:#?}",
            findings(doc.clone())
        );
        only(doc, "pagination", at_extension);
    }

    // The token styles need the next page's pointer and a string token parameter.
    let token = json!({"style": "page-token", "items": "/items", "token": "limit"});
    let doc = paginated(token);
    assert!(
        message(doc.clone()).contains("needs `next`"),
        "{:#?}",
        findings(doc.clone())
    );
    only(doc, "pagination", at_extension);
    let token =
        json!({"style": "cursor-url", "items": "/items", "next": "/items/x", "token": "offset"});
    let found: Vec<String> = findings(paginated(token))
        .iter()
        .map(|f| f.message.clone())
        .collect();
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(
        found[0].contains("`offset` is not of type string"),
        "{found:#?}"
    );
    assert!(found[1].contains("no property `x`"), "{found:#?}");

    // A pager repeats its request: not on a write.
    let mut doc = base();
    at(&mut doc, CREATE).as_object_mut().unwrap().insert(
        "x-pagination".into(),
        json!({"style": "offset", "items": "/id", "page-size": "limit", "offset": "offset"}),
    );
    let found = findings(doc);
    assert!(
        found
            .iter()
            .all(|f| f.rule == "pagination" && f.pointer == "/paths/~1items/post/x-pagination"),
        "{found:#?}"
    );
    assert!(
        found
            .iter()
            .any(|f| f.message.contains("a pager repeats the request")),
        "{found:#?}"
    );
}

/// A `$ref` to a component that is itself a `$ref` (an alias) is followed to the
/// end, as the diff and the generator follow it: one resolution for every tool.
#[test]
fn refs_to_aliases_are_followed_to_the_end() {
    let mut doc = base();
    at(&mut doc, "/components/responses")["ServerError"] =
        json!({"$ref": "#/components/responses/Error"});
    at(&mut doc, &format!("{LIST}/responses"))["5XX"] =
        json!({"$ref": "#/components/responses/ServerError"});
    at(&mut doc, "/components")["parameters"] = json!({
        "Limit": {"$ref": "#/components/parameters/PageSize"},
        "PageSize": {
            "name": "limit", "in": "query", "required": false,
            "description": "Page size.", "schema": {"type": "integer"}
        }
    });
    at(&mut doc, &format!("{LIST}/parameters"))[0] =
        json!({"$ref": "#/components/parameters/Limit"});
    assert_eq!(findings(doc.clone()), []);
    marketplace_codegen::generate(&shop(doc)).expect("the generator follows them too");
}

/// `refs-resolve` accepts exactly the references every tool follows: a whole
/// component, not a place inside one (which the generator would not resolve).
#[test]
fn refs_resolve_to_whole_components_only() {
    let mut doc = base();
    at(&mut doc, "/components/schemas/ItemList/properties/items")["items"] =
        json!({"$ref": "#/components/schemas/Item/properties/id"});
    only(
        doc,
        "refs-resolve",
        "/components/schemas/ItemList/properties/items/items",
    );
}

/// The base spec with a well-formed `x-marketplace`: one bearer constructor on the
/// default server, a rate limit and a per-shop concurrency limit.
fn described() -> Value {
    let mut doc = base();
    doc["x-marketplace"] = json!({
        "summary": "Shop API: items",
        "constructors": [{
            "name": "builder",
            "base-url": "DEFAULT_BASE_URL",
            "auth": "bearer",
            "parameters": ["api_key"],
            "description": "A builder for the shop's API."
        }],
        "rate-limit": {
            "per-second": 2.0,
            "rust-const": "DEFAULT_REQUESTS_PER_SECOND",
            "description": "Two a second."
        },
        "concurrency-limit": {
            "per-path-segment-after": "shops",
            "requests": 4,
            "rust-const": "MAX_PARALLEL_REQUESTS_PER_SHOP",
            "description": "Four per shop."
        }
    });
    doc
}

#[test]
fn marketplace() {
    assert_eq!(findings(described()), []);
    const C: &str = "/x-marketplace/constructors";
    let cases: &[(&str, Value, &str, &str)] = &[
        (
            "/x-marketplace/constructors/0/auth",
            json!("oauth2"),
            "/x-marketplace/constructors/0/auth",
            "`auth` is one of bearer, skyhub, yandex-api-key, yandex-oauth, metro-hmac, metro-delivery, unsigned",
        ),
        (
            "/x-marketplace/constructors/0/parameters",
            json!(["api_key", "secret"]),
            "/x-marketplace/constructors/0/parameters",
            "scheme `bearer` takes 1 credential(s); 2 named",
        ),
        (
            "/x-marketplace/constructors/0/base-url",
            json!("SANDBOX_BASE_URL"),
            "/x-marketplace/constructors/0/base-url",
            "`SANDBOX_BASE_URL` is not a server constant (known: DEFAULT_BASE_URL)",
        ),
        (
            "/x-marketplace/constructors/0/name",
            json!("list_items"),
            "/x-marketplace/constructors/0/name",
            "`list_items` is also an operation: both would be `Client::list_items`",
        ),
        (
            "/x-marketplace/constructors/0/name",
            json!("Builder"),
            "/x-marketplace/constructors/0/name",
            "`Builder` is not a Snake Rust identifier",
        ),
        (C, json!([]), C, "`constructors` is a non-empty list"),
        (
            "/x-marketplace/rate-limit/per-second",
            json!(0),
            "/x-marketplace/rate-limit/per-second",
            "`per-second` is a positive number",
        ),
        (
            "/x-marketplace/concurrency-limit/rust-const",
            json!("maxPerShop"),
            "/x-marketplace/concurrency-limit/rust-const",
            "`maxPerShop` is not a Constant Rust identifier",
        ),
    ];
    for (change, value, pointer, message) in cases {
        let mut doc = described();
        *at(&mut doc, change) = value.clone();
        let found = findings(doc);
        let listed: Vec<(&str, &str, &str)> = found
            .iter()
            .map(|f| (f.rule, f.pointer.as_str(), f.message.as_str()))
            .collect();
        assert_eq!(listed, [("marketplace", *pointer, *message)], "{change}");
    }

    // Two constructors of one name; a key the descriptor does not know.
    let mut doc = described();
    let first = doc.pointer(&format!("{C}/0")).unwrap().clone();
    at(&mut doc, C).as_array_mut().unwrap().push(first);
    only(doc, "marketplace", C);
    let mut doc = described();
    at(&mut doc, "/x-marketplace")
        .as_object_mut()
        .unwrap()
        .insert("retries".into(), json!(3));
    let found = findings(doc);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].pointer, "/x-marketplace/retries");
    assert!(
        found[0]
            .message
            .starts_with("unknown key `retries` (known: summary, constructors"),
        "{}",
        found[0]
    );
}
