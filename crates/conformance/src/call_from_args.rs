//! One call through a registered client outside any fixture: its arguments given by
//! name as text (`cargo xtask record … --arg id=7`), typed by the spec as a fixture's
//! recorded request would be, and run with the harness's fake credentials against a
//! server of the caller's, as a replay runs.

use std::path::Path;

use crate::call::{Call, Outcome};
use marketplace_codegen::spec::{MULTIPART, operations};
use marketplace_runtime::RetryPolicy;
use serde_json::Value;

use crate::marketplaces::{self, ReplayContext};
use crate::replay::{parameter, typed};
use crate::scenario::base_path;

/// The call of `operation` of `specs/<spec_name>.yaml` under `root` with `args`
/// (`(parameter name, text)`: path, query and header parameters, typed by their
/// schemas) and a JSON request `body`. The error lists every problem: an unknown
/// operation or parameter (naming the known ones), a value of the wrong type, a
/// required parameter or body missing, a body the operation does not take.
pub fn call_from_args(
    root: &Path,
    spec_name: &str,
    operation: &str,
    args: &[(String, String)],
    body: Option<Value>,
) -> Result<Call, String> {
    let spec = marketplace_spec_check::load(root, spec_name)?;
    let doc = &spec.document;
    let ops = operations(doc);
    let Some(op) = ops.iter().find(|op| op.id() == operation) else {
        let known: Vec<&str> = ops.iter().map(|op| op.id()).collect();
        return Err(format!(
            "`{operation}` is not an operation of {} (its operations: {})",
            spec.display_path,
            known.join(", ")
        ));
    };
    let params = op.parameters(doc);
    let mut call = Call {
        operation: operation.to_owned(),
        ..Call::default()
    };
    let mut problems = Vec::new();
    let mut given = std::collections::BTreeSet::new();
    for (name, raw) in args {
        let found = ["path", "query", "header"]
            .into_iter()
            .find_map(|location| Some((location, parameter(&params, location, name)?)));
        let Some((location, p)) = found else {
            problems.push(format!(
                "`{name}` is not a parameter of `{operation}` (its parameters: {})",
                names(&params).join(", ")
            ));
            continue;
        };
        let declared = p["name"].as_str().unwrap_or(name).to_owned();
        if !given.insert(declared.clone()) {
            problems.push(format!("`{declared}` is given more than once"));
            continue;
        }
        let value = match typed(doc, raw, &p["schema"]) {
            Ok(value) => value,
            Err(e) => {
                problems.push(format!("{location} parameter `{declared}`: {e}"));
                continue;
            }
        };
        let map = match location {
            "path" => &mut call.path,
            "query" => &mut call.query,
            _ => &mut call.headers,
        };
        map.insert(declared, value);
    }
    for (p, _) in &params {
        let name = p["name"].as_str().unwrap_or_default();
        if (p["required"] == true || p["in"] == "path") && !given.contains(name) {
            problems.push(format!(
                "the {} parameter `{name}` is required: add `--arg {name}=<value>`",
                p["in"].as_str().unwrap_or("?")
            ));
        }
    }
    let request_body = &op.value["requestBody"];
    if request_body["content"].get(MULTIPART).is_some() {
        problems.push(format!(
            "`{operation}` sends a multipart/form-data body, which cannot be recorded yet"
        ));
    } else {
        match (&body, request_body["content"].get("application/json")) {
            (Some(_), None) => problems.push(format!("`{operation}` takes no request body")),
            (None, Some(_)) if request_body["required"] == true => problems.push(format!(
                "`{operation}` requires a JSON request body: add `--body <JSON>`"
            )),
            _ => call.body = body,
        }
    }
    if problems.is_empty() {
        Ok(call)
    } else {
        Err(problems.join("\n"))
    }
}

fn names(params: &[(&Value, String)]) -> Vec<String> {
    params
        .iter()
        .map(|(p, _)| {
            format!(
                "{} ({})",
                p["name"].as_str().unwrap_or("?"),
                p["in"].as_str().unwrap_or("?")
            )
        })
        .collect()
}

/// Runs `call` once (no retries) through the client registered for `spec_name`,
/// built exactly as for a replay: the harness's fake credentials, METRO requests
/// signed at `now` for METRO's sandbox host, the base URL `server_uri` plus the
/// spec's base path. Returns what the client produced.
pub async fn run_call(
    root: &Path,
    spec_name: &str,
    server_uri: &str,
    now: Option<i64>,
    call: Call,
) -> Result<Outcome, String> {
    let marketplace = marketplaces::find(spec_name)
        .ok_or_else(|| format!("no client is registered for `{spec_name}`"))?;
    let spec = marketplace_spec_check::load(root, spec_name)?;
    let context = ReplayContext {
        base_url: format!("{server_uri}{}", base_path(&spec.document)),
        now,
        retry: RetryPolicy::none(),
        timeout: None,
    };
    Ok((marketplace.replay)(context, call).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn root() -> std::path::PathBuf {
        crate::workspace_root()
    }

    #[test]
    fn arguments_are_typed_by_the_spec_and_placed_by_location() {
        let call = call_from_args(
            &root(),
            "yandex-market-chats",
            "get_chats",
            &args(&[("businessId", "12345"), ("limit", "2")]),
            Some(serde_json::json!({})),
        )
        .unwrap();
        assert_eq!(call.path["businessId"], 12345);
        assert_eq!(call.query["limit"], 2);
        assert_eq!(call.body, Some(serde_json::json!({})));
    }

    #[test]
    fn every_problem_is_named() {
        let error = call_from_args(
            &root(),
            "lectronz",
            "get_message",
            &args(&[("ids", "1"), ("limit", "x")]),
            Some(Value::Null),
        )
        .unwrap_err();
        for part in [
            "`ids` is not a parameter of `get_message` (its parameters: id (path))",
            "`limit` is not a parameter",
            "the path parameter `id` is required: add `--arg id=<value>`",
            "`get_message` takes no request body",
        ] {
            assert!(error.contains(part), "{part:?} not in {error}");
        }
        let error = call_from_args(
            &root(),
            "lectronz",
            "get_message",
            &args(&[("id", "seven")]),
            None,
        )
        .unwrap_err();
        assert_eq!(error, "path parameter `id`: `seven` is not an integer");
        let error = call_from_args(&root(), "lectronz", "get_messages", &[], None).unwrap_err();
        assert!(error.contains("its operations: list_messages"), "{error}");
    }

    #[test]
    fn multipart_operations_are_refused() {
        let error = call_from_args(
            &root(),
            "yandex-market-chats",
            "send_file_to_chat",
            &args(&[("businessId", "1"), ("chatId", "2")]),
            None,
        )
        .unwrap_err();
        assert!(error.contains("multipart/form-data"), "{error}");
    }
}
