//! Every `example` in the vendor's spec excerpts for the chat methods
//! (`shared/refdocs/yandex-market/partner-api/openapi/**`, beside the workspace)
//! validates against our spec: against the schema that corresponds to the vendor
//! schema that holds it and, for examples of object properties, as part of a whole
//! object that must also decode into the generated Rust type.
//!
//! Where the reference documents are not present the test is compiled `#[ignore]`d
//! (see `build.rs`), so cargo reports it as ignored rather than passed; under CI
//! (`CI=true`) it runs and fails, naming the missing directory.

use std::path::{Path, PathBuf};

use marketplace_spec_check::{Direction, SpecSchemas};
use marketplace_yandex_market_chats::types;
use serde_json::{Value, json};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Decided by `build.rs`, which also decides whether the test below is ignored.
fn vendor_dir() -> PathBuf {
    PathBuf::from(env!("VENDOR_OPENAPI_DIR"))
}

fn yaml(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{} is not YAML: {e}", path.display()))
}

/// Where each vendor file's content sits in our spec (a JSON pointer). Vendor
/// schemas whose fields we merged (the `allOf` envelopes and the per-status error
/// schemas) point at our merged schema; vendor parameters at our parameter schemas.
fn counterpart(vendor_file: &str) -> Option<&'static str> {
    Some(match vendor_file {
        "components/schemas/ApiErrorDTO.yaml" => "/components/schemas/ApiError",
        "components/schemas/ApiErrorResponse.yaml"
        | "components/schemas/ApiClientDataErrorResponse.yaml"
        | "components/schemas/ApiForbiddenErrorResponse.yaml"
        | "components/schemas/ApiLimitErrorResponse.yaml"
        | "components/schemas/ApiNotFoundErrorResponse.yaml"
        | "components/schemas/ApiServerErrorResponse.yaml"
        | "components/schemas/ApiUnauthorizedErrorResponse.yaml" => {
            "/components/schemas/ApiErrorResponse"
        }
        "components/schemas/ApiResponse.yaml" | "components/schemas/EmptyApiResponse.yaml" => {
            "/components/schemas/EmptyApiResponse"
        }
        "components/schemas/ApiResponseStatusType.yaml" => {
            "/components/schemas/ApiResponseStatusType"
        }
        "components/schemas/CampaignId.yaml" => {
            "/components/schemas/ChatFullContext/properties/campaignId"
        }
        "components/schemas/ChatContextDTO.yaml" => "/components/schemas/ChatContext",
        "components/schemas/ChatContextIdentifiableType.yaml" => {
            "/components/schemas/ChatContextIdentifiableType"
        }
        "components/schemas/ChatContextType.yaml" => "/components/schemas/ChatContextType",
        "components/schemas/ChatCustomerDTO.yaml" => "/components/schemas/ChatCustomer",
        "components/schemas/ChatFullContextDTO.yaml" => "/components/schemas/ChatFullContext",
        "components/schemas/ChatMessageDTO.yaml" => "/components/schemas/ChatMessage",
        "components/schemas/ChatMessagePayloadDTO.yaml" => "/components/schemas/ChatMessagePayload",
        "components/schemas/ChatMessageSenderType.yaml" => {
            "/components/schemas/ChatMessageSenderType"
        }
        "components/schemas/ChatMessagesResultDTO.yaml" => "/components/schemas/ChatMessagesPage",
        "components/schemas/ChatStatusType.yaml" => "/components/schemas/ChatStatusType",
        "components/schemas/ChatType.yaml" => "/components/schemas/ChatType",
        "components/schemas/CreateChatRequest.yaml" => "/components/schemas/CreateChatRequest",
        "components/schemas/CreateChatResponse.yaml" => "/components/schemas/CreateChatResponse",
        "components/schemas/CreateChatResultDTO.yaml" => "/components/schemas/CreateChatResult",
        "components/schemas/GetChatHistoryRequest.yaml" => {
            "/components/schemas/GetChatHistoryRequest"
        }
        "components/schemas/GetChatHistoryResponse.yaml" => {
            "/components/schemas/GetChatHistoryResponse"
        }
        "components/schemas/GetChatInfoDTO.yaml" => "/components/schemas/ChatInfo",
        "components/schemas/GetChatMessageResponse.yaml" => {
            "/components/schemas/GetChatMessageResponse"
        }
        "components/schemas/GetChatResponse.yaml" => "/components/schemas/GetChatResponse",
        "components/schemas/GetChatsInfoDTO.yaml" => "/components/schemas/ChatsPage",
        "components/schemas/GetChatsRequest.yaml" => "/components/schemas/GetChatsRequest",
        "components/schemas/GetChatsResponse.yaml" => "/components/schemas/GetChatsResponse",
        "components/schemas/PackagingForwardScrollingPagerDTO.yaml" => {
            "/components/schemas/ForwardScrollingPager"
        }
        "components/schemas/SendFileToChatRequest.yaml" => {
            "/components/schemas/SendFileToChatRequest"
        }
        "components/schemas/SendMessageToChatRequest.yaml" => {
            "/components/schemas/SendMessageToChatRequest"
        }
        "components/schemas/Url.yaml" => "/components/schemas/ChatMessagePayload/properties/url",
        "components/parameters/BusinessId.yaml" => "/components/parameters/BusinessId",
        "components/parameters/ChatId.yaml" => "/components/parameters/ChatId",
        "components/parameters/AliasedPageToken.yaml" => "/components/parameters/PageToken",
        "components/parameters/MessageId.yaml" => {
            "/paths/~1v2~1businesses~1{businessId}~1chats~1message/get/parameters/2"
        }
        "components/parameters/PageLimit20.yaml" => {
            "/paths/~1v2~1businesses~1{businessId}~1chats/post/parameters/2"
        }
        "components/parameters/PageLimit100.yaml" => {
            "/paths/~1v2~1businesses~1{businessId}~1chats~1history/post/parameters/3"
        }
        _ => return None,
    })
}

/// One `example` found in a vendor file: the file (relative to `openapi/`), the
/// JSON pointer of the schema that carries it, and the value.
struct Example {
    file: String,
    schema_pointer: String,
    value: Value,
}

fn collect(value: &Value, pointer: &str, file: &str, out: &mut Vec<Example>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                if key == "example" {
                    out.push(Example {
                        file: file.to_owned(),
                        schema_pointer: pointer.to_owned(),
                        value: child.clone(),
                    });
                } else if key == "examples" {
                    // OpenAPI media-type examples: {name: {value: …}}.
                    for (name, example) in child.as_object().into_iter().flatten() {
                        out.push(Example {
                            file: file.to_owned(),
                            schema_pointer: format!("{pointer}/schema (example {name})"),
                            value: example.get("value").cloned().unwrap_or(Value::Null),
                        });
                    }
                } else {
                    let escaped = key.replace('~', "~0").replace('/', "~1");
                    collect(child, &format!("{pointer}/{escaped}"), file, out);
                }
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                collect(child, &format!("{pointer}/{i}"), file, out);
            }
        }
        _ => {}
    }
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml") {
            out.push(path);
        }
    }
}

/// Our schema for a vendor schema pointer: the counterpart of the file plus the
/// pointer inside it, without the vendor's `allOf/N` wrappers (our envelopes are
/// flat). Parameters hold their schema under `schema` in both specs.
fn our_pointer(example: &Example) -> Result<String, String> {
    let base = counterpart(&example.file).ok_or_else(|| {
        format!(
            "{}{}: an example in a vendor file this test does not map to our spec; \
             add it to `counterpart`",
            example.file, example.schema_pointer
        )
    })?;
    let mut inner = String::new();
    let mut segments = example.schema_pointer.split('/').skip(1).peekable();
    while let Some(segment) = segments.next() {
        if segment == "allOf" {
            segments.next();
            continue;
        }
        inner.push('/');
        inner.push_str(segment);
    }
    Ok(format!("{base}{inner}"))
}

/// Decodes a JSON value into one generated type, or says why it does not.
type Decoder = fn(Value) -> Result<(), String>;

/// A complete instance of our object schema `name`, valid without the property
/// an example replaces, and its decoder into the generated type.
fn whole_object(name: &str) -> Option<(Value, Decoder)> {
    fn decode<T: serde::de::DeserializeOwned>(value: Value) -> Result<(), String> {
        serde_json::from_value::<T>(value)
            .map(drop)
            .map_err(|e| e.to_string())
    }
    Some(match name {
        "ChatInfo" => (
            json!({
                "chatId": 1, "context": {"type": "ORDER"}, "type": "CHAT", "status": "NEW",
                "createdAt": "2024-01-01T00:00:00Z", "updatedAt": "2024-01-01T00:00:00Z"
            }),
            decode::<types::ChatInfo>,
        ),
        "ChatMessage" => (
            json!({"messageId": 1, "createdAt": "2024-01-01T00:00:00Z", "sender": "CUSTOMER"}),
            decode::<types::ChatMessage>,
        ),
        _ => return None,
    })
}

#[test]
#[cfg_attr(
    vendor_openapi_missing,
    ignore = "the vendor's spec excerpts (shared/refdocs beside the workspace) are missing"
)]
fn every_vendor_example_validates_against_our_spec() {
    let vendor = vendor_dir();
    assert!(
        vendor.is_dir(),
        "the vendor's spec excerpts are not at {} (they live in the shared reference \
         documents beside the workspace)",
        vendor.display()
    );
    let ours = yaml(&workspace_root().join("specs/yandex-market-chats.yaml"));
    let schemas = SpecSchemas::new(&ours);

    let mut files = Vec::new();
    yaml_files(&vendor, &mut files);
    let mut examples = Vec::new();
    for path in &files {
        let relative = path
            .strip_prefix(&vendor)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        collect(&yaml(path), "", &relative, &mut examples);
    }
    // The excerpts hold three examples today (ChatMessageDTO.createdAt,
    // GetChatInfoDTO.createdAt and .updatedAt); finding none would mean the walk
    // is broken, not that there is nothing to check.
    assert!(
        examples.len() >= 3,
        "only {} examples found",
        examples.len()
    );

    let mut problems = Vec::new();
    let mut checked = 0;
    for example in &examples {
        let pointer = match our_pointer(example) {
            Ok(pointer) => pointer,
            Err(problem) => {
                problems.push(problem);
                continue;
            }
        };
        let at = format!(
            "{}{} (ours: #{pointer})",
            example.file, example.schema_pointer
        );
        let mut target = pointer.clone();
        if target.starts_with("/paths/") || target.starts_with("/components/parameters/") {
            // Parameter examples are examples of the parameter's schema.
            if !target.contains("/schema") {
                target.push_str("/schema");
            }
        }
        if ours.pointer(&target).is_none() {
            problems.push(format!("{at}: our spec has nothing at #{target}"));
            continue;
        }
        let schema = json!({"$ref": format!("#{target}")});
        if let Err(errors) = schemas.validate(Direction::Response, &schema, &example.value) {
            problems.push(format!("{at}: {}", errors.join("; ")));
            continue;
        }
        // A property example: also valid, and decodable, inside a whole object.
        let parts: Vec<&str> = target.split('/').collect();
        if let ["", "components", "schemas", name, "properties", property] = parts.as_slice()
            && let Some((mut object, decode)) = whole_object(name)
        {
            object[*property] = example.value.clone();
            let whole = json!({"$ref": format!("#/components/schemas/{name}")});
            if let Err(errors) = schemas.validate(Direction::Response, &whole, &object) {
                problems.push(format!("{at}: in a whole {name}: {}", errors.join("; ")));
                continue;
            }
            if let Err(e) = decode(object) {
                problems.push(format!("{at}: a {name} with it does not decode: {e}"));
                continue;
            }
        }
        checked += 1;
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert_eq!(checked, examples.len());
    println!("{checked} vendor examples validate against specs/yandex-market-chats.yaml");
}

/// The check above is not vacuous: a value the vendor's `date-time` format does not
/// allow is rejected by the same validation (formats are checked).
#[test]
fn the_validation_rejects_a_non_rfc3339_date() {
    let ours = yaml(&workspace_root().join("specs/yandex-market-chats.yaml"));
    let schemas = SpecSchemas::new(&ours);
    let schema = json!({"$ref": "#/components/schemas/ChatInfo/properties/createdAt"});
    let valid = json!("2017-11-21T00:00:00+03:00");
    assert!(
        schemas
            .validate(Direction::Response, &schema, &valid)
            .is_ok()
    );
    for invalid in [json!("21.11.2017 00:00"), json!(20171121), json!(null)] {
        assert!(
            schemas
                .validate(Direction::Response, &schema, &invalid)
                .is_err(),
            "{invalid} was accepted"
        );
    }
}
