//! Replays one fixture on wiremock and checks the client sent exactly the recorded request.

use std::collections::BTreeMap;

use crate::call::{Call, FilePart, Outcome};
use marketplace_codegen::spec::{Operation, resolve};
use marketplace_runtime::RetryPolicy;
use serde_json::{Map, Value, json};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::marketplaces::{Marketplace, ReplayContext};
use marketplace_spec_check::{Fixture, RecordedPart, RecordedRequest};

/// Builds the call arguments from the recorded request: path parameters are read
/// back from the path template, query and header parameters by name, typed by
/// their schemas. Also reports recorded parameters the spec does not declare.
pub fn call_for(
    doc: &Value,
    op: &Operation<'_>,
    base_path: &str,
    request: &RecordedRequest,
) -> Result<Call, Vec<String>> {
    let mut problems = Vec::new();
    let multipart = request
        .multipart
        .iter()
        .flatten()
        .map(|part| FilePart {
            name: part.name.clone(),
            filename: part.filename.clone(),
            content_type: part.content_type.clone(),
            content: part.content.clone().into_bytes(),
        })
        .collect();
    let mut call = Call {
        operation: op.id().to_owned(),
        body: request.body.clone(),
        multipart,
        ..Call::default()
    };

    let Some(relative) = request.path.strip_prefix(base_path) else {
        return Err(vec![format!(
            "path `{}` is not under the server's base path `{base_path}`",
            request.path
        )]);
    };
    let template: Vec<&str> = op.path.split('/').collect();
    let actual: Vec<&str> = relative.split('/').collect();
    if template.len() != actual.len() {
        return Err(vec![format!(
            "path `{relative}` does not match the template `{}`",
            op.path
        )]);
    }
    let params = op.parameters(doc);
    let schema_of = |location: &str, name: &str| parameter(&params, location, name);
    for (t, a) in template.iter().zip(&actual) {
        match t.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
            Some(name) => {
                let raw = percent_encoding::percent_decode_str(a)
                    .decode_utf8_lossy()
                    .into_owned();
                let schema = schema_of("path", name)
                    .map(|p| &p["schema"])
                    .unwrap_or(&Value::Null);
                match typed(doc, &raw, schema) {
                    Ok(value) => {
                        call.path.insert(name.to_owned(), value);
                    }
                    Err(e) => problems.push(format!("path parameter `{name}`: {e}")),
                }
            }
            None if t != a => problems.push(format!(
                "path segment `{a}` should be `{t}` (template `{}`)",
                op.path
            )),
            None => {}
        }
    }
    for (name, raw) in &request.query {
        match schema_of("query", name) {
            Some(p) => match typed(doc, raw, &p["schema"]) {
                Ok(value) => {
                    call.query
                        .insert(p["name"].as_str().unwrap_or(name).to_owned(), value);
                }
                Err(e) => problems.push(format!("query parameter `{name}`: {e}")),
            },
            None => problems.push(format!(
                "query parameter `{name}` is not declared by the operation"
            )),
        }
    }
    for (p, _) in &params {
        if p["in"] != "header" {
            continue;
        }
        let name = p["name"].as_str().unwrap_or_default();
        if let Some(raw) = request.headers.get(&name.to_ascii_lowercase()) {
            match typed(doc, raw, &p["schema"]) {
                Ok(value) => {
                    call.headers.insert(name.to_owned(), value);
                }
                Err(e) => problems.push(format!("header parameter `{name}`: {e}")),
            }
        }
    }
    if problems.is_empty() {
        Ok(call)
    } else {
        Err(problems)
    }
}

/// The parameter `name` (any case) at `location` among an operation's `params`.
pub(crate) fn parameter<'s>(
    params: &[(&'s Value, String)],
    location: &str,
    name: &str,
) -> Option<&'s Value> {
    params.iter().map(|(p, _)| *p).find(|p| {
        p["in"] == location
            && p["name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
    })
}

/// A parameter's text as the JSON value its schema describes.
pub(crate) fn typed(doc: &Value, raw: &str, schema: &Value) -> Result<Value, String> {
    let schema = resolve(doc, schema);
    match schema["type"].as_str() {
        Some("integer") => raw
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| format!("`{raw}` is not an integer")),
        Some("number") => raw
            .parse::<f64>()
            .map(|n| json!(n))
            .map_err(|_| format!("`{raw}` is not a number")),
        Some("boolean") => raw
            .parse::<bool>()
            .map(Value::from)
            .map_err(|_| format!("`{raw}` is not a boolean")),
        _ => Ok(Value::String(raw.to_owned())),
    }
}

/// Serves the recorded response to the recorded request only, runs the call, and
/// returns what the client produced, or a message naming what it actually sent.
pub async fn replay(
    marketplace: &Marketplace,
    fixture: &Fixture,
    base_path: &str,
    call: Call,
) -> Result<Outcome, String> {
    let server = MockServer::start().await;
    let expected = fixture.request.clone();
    Mock::given(move |request: &Request| differences(&expected, request).is_empty())
        .respond_with(response_template(fixture))
        .with_priority(1)
        .named("the recorded exchange")
        .mount(&server)
        .await;
    // Catch-all: anything else gets a 418 that no spec documents, and is named below.
    Mock::given(wiremock::matchers::any())
        .respond_with(
            ResponseTemplate::new(418).set_body_string("no recorded exchange matches this request"),
        )
        .with_priority(u8::MAX)
        .named("catch-all")
        .mount(&server)
        .await;

    let context = ReplayContext {
        base_url: format!("{}{base_path}", server.uri()),
        now: fixture.now,
        retry: RetryPolicy::none(),
        timeout: None,
    };
    let outcome = (marketplace.replay)(context, call).await;
    let received = server.received_requests().await.unwrap_or_default();
    match received.as_slice() {
        [only] if differences(&fixture.request, only).is_empty() => Ok(outcome),
        [] => Err(format!(
            "the client sent no request (expected {} {}); it returned: {outcome:?}",
            fixture.request.method, fixture.request.path
        )),
        sent if sent
            .iter()
            .all(|r| differences(&fixture.request, r).is_empty()) =>
        {
            Err(format!(
                "the client sent the recorded request {} times instead of once",
                sent.len()
            ))
        }
        sent => {
            let mut message = format!(
                "the client did not send exactly the recorded request.\nexpected: {}\n",
                describe_expected(&fixture.request)
            );
            for request in sent {
                message.push_str(&format!(
                    "client sent: {}\n",
                    describe_sent(request, &fixture.request)
                ));
                for difference in differences(&fixture.request, request) {
                    message.push_str(&format!("  - {difference}\n"));
                }
            }
            Err(message)
        }
    }
}

pub fn response_template(fixture: &Fixture) -> ResponseTemplate {
    let response = &fixture.response;
    let mut template = ResponseTemplate::new(response.status);
    let content_type = response.headers.get("content-type").cloned();
    for (name, value) in &response.headers {
        if name != "content-type" {
            template = template.insert_header(name.as_str(), value.as_str());
        }
    }
    if let Some(body) = &response.body {
        let bytes = serde_json::to_vec(body).unwrap_or_default();
        template =
            template.set_body_raw(bytes, content_type.as_deref().unwrap_or("application/json"));
    } else if let Some(raw) = &response.raw_body {
        template = template.set_body_raw(
            raw.clone().into_bytes(),
            content_type.as_deref().unwrap_or("text/plain"),
        );
    } else if let Some(content_type) = content_type {
        template = template.insert_header("content-type", content_type.as_str());
    }
    template
}

/// Every way `actual` differs from the recorded request (empty: an exact match).
pub fn differences(expected: &RecordedRequest, actual: &Request) -> Vec<String> {
    let mut out = Vec::new();
    if actual.method.as_str() != expected.method {
        out.push(format!(
            "method is {} instead of {}",
            actual.method, expected.method
        ));
    }
    if actual.url.path() != expected.path {
        out.push(format!(
            "path is `{}` instead of `{}`",
            actual.url.path(),
            expected.path
        ));
    }
    let mut sent: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in actual.url.query_pairs() {
        sent.entry(k.into_owned()).or_default().push(v.into_owned());
    }
    for (name, value) in &expected.query {
        match sent.remove(name) {
            Some(values) if values == [value.clone()] => {}
            Some(values) => out.push(format!("query `{name}` is {values:?} instead of {value:?}")),
            None => out.push(format!("query `{name}` is missing (expected {value:?})")),
        }
    }
    for (name, values) in sent {
        out.push(format!("unexpected query `{name}` = {values:?}"));
    }
    for (name, value) in &expected.headers {
        match actual
            .headers
            .get(name.as_str())
            .map(|v| v.to_str().unwrap_or("<non-UTF-8>"))
        {
            Some(v) if v == value => {}
            Some(v) => out.push(format!("header `{name}` is {v:?} instead of {value:?}")),
            None => out.push(format!("header `{name}` is missing (expected {value:?})")),
        }
    }
    match (&expected.body, &expected.multipart) {
        (_, Some(parts)) => match parse_multipart(actual) {
            Ok(sent) if &sent == parts => {}
            Ok(sent) => out.push(format!("multipart parts are {sent:?} instead of {parts:?}")),
            Err(e) => out.push(format!("body is not the expected multipart form: {e}")),
        },
        (Some(body), None) => match serde_json::from_slice::<Value>(&actual.body) {
            Ok(sent) if &sent == body => {}
            Ok(sent) => out.push(format!("body is {sent} instead of {body}")),
            Err(_) => out.push(format!(
                "body is not JSON: {:?} (expected {body})",
                String::from_utf8_lossy(&actual.body)
            )),
        },
        (None, None) if !actual.body.is_empty() => out.push(format!(
            "unexpected body {:?}",
            String::from_utf8_lossy(&actual.body)
        )),
        (None, None) => {}
    }
    out
}

fn describe_expected(request: &RecordedRequest) -> String {
    let query: Vec<String> = request
        .query
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let mut text = format!("{} {}", request.method, request.path);
    if !query.is_empty() {
        text.push_str(&format!("?{}", query.join("&")));
    }
    if let Some(body) = &request.body {
        text.push_str(&format!(" body {body}"));
    }
    text
}

/// What the client sent. Header values are shown only for the headers the fixture
/// records (fake credentials); other headers are listed by name only.
fn describe_sent(request: &Request, expected: &RecordedRequest) -> String {
    let headers: Map<String, Value> = request
        .headers
        .iter()
        .map(|(name, value)| {
            let shown = if expected.headers.contains_key(name.as_str()) {
                Value::String(value.to_str().unwrap_or("<non-UTF-8>").to_owned())
            } else {
                Value::String("…".into())
            };
            (name.as_str().to_owned(), shown)
        })
        .collect();
    let mut text = format!("{} {}", request.method, request.url.path());
    if let Some(query) = request.url.query() {
        text.push_str(&format!("?{query}"));
    }
    text.push_str(&format!(" headers {}", Value::Object(headers)));
    if !request.body.is_empty() {
        text.push_str(&format!(" body {}", String::from_utf8_lossy(&request.body)));
    }
    text
}

/// Parses a `multipart/form-data` request body into its parts.
fn parse_multipart(request: &Request) -> Result<Vec<RecordedPart>, String> {
    let content_type = request
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .ok_or("no content-type header")?;
    let boundary = content_type
        .strip_prefix("multipart/form-data")
        .and_then(|rest| {
            rest.split(';')
                .find_map(|p| p.trim().strip_prefix("boundary="))
        })
        .map(|b| b.trim_matches('"'))
        .ok_or_else(|| {
            format!("content-type is `{content_type}`, not multipart/form-data with a boundary")
        })?;
    let body = String::from_utf8_lossy(&request.body);
    let delimiter = format!("--{boundary}");
    let mut parts = Vec::new();
    for chunk in body.split(delimiter.as_str()).skip(1) {
        if chunk.starts_with("--") {
            break;
        }
        let chunk = chunk.strip_prefix("\r\n").unwrap_or(chunk);
        let (head, content) = chunk
            .split_once("\r\n\r\n")
            .ok_or("a part has no header/body separator")?;
        let content = content.strip_suffix("\r\n").unwrap_or(content);
        let mut part = RecordedPart {
            name: String::new(),
            filename: None,
            content_type: None,
            content: content.to_owned(),
        };
        for line in head.split("\r\n") {
            let Some((header, value)) = line.split_once(':') else {
                continue;
            };
            match header.trim().to_ascii_lowercase().as_str() {
                "content-disposition" => {
                    for param in value.split(';').map(str::trim) {
                        if let Some(v) = param.strip_prefix("name=") {
                            part.name = v.trim_matches('"').to_owned();
                        } else if let Some(v) = param.strip_prefix("filename=") {
                            part.filename = Some(v.trim_matches('"').to_owned());
                        }
                    }
                }
                "content-type" => part.content_type = Some(value.trim().to_owned()),
                _ => {}
            }
        }
        parts.push(part);
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// reqwest's real multipart encoding, as wiremock receives it, parses back into
    /// the recorded parts, and a different part is reported as a difference.
    #[tokio::test]
    async fn multipart_bodies_sent_by_reqwest_are_matched_part_by_part() {
        let server = MockServer::start().await;
        Mock::given(wiremock::matchers::any())
            .respond_with(ResponseTemplate::new(200))
            .mount(&server)
            .await;
        let form = reqwest::multipart::Form::new().text("chatId", "42").part(
            "file",
            reqwest::multipart::Part::text("hello\r\nworld")
                .file_name("note.txt")
                .mime_str("text/plain")
                .unwrap(),
        );
        reqwest::Client::new()
            .post(format!("{}/upload", server.uri()))
            .multipart(form)
            .send()
            .await
            .unwrap();
        let received = server.received_requests().await.unwrap();
        let parts = parse_multipart(&received[0]).unwrap();
        let expected = vec![
            RecordedPart {
                name: "chatId".into(),
                filename: None,
                content_type: None,
                content: "42".into(),
            },
            RecordedPart {
                name: "file".into(),
                filename: Some("note.txt".into()),
                content_type: Some("text/plain".into()),
                content: "hello\r\nworld".into(),
            },
        ];
        assert_eq!(parts, expected);

        let mut recorded = RecordedRequest {
            method: "POST".into(),
            path: "/upload".into(),
            query: BTreeMap::new(),
            headers: BTreeMap::new(),
            body: None,
            multipart: Some(expected),
        };
        assert!(differences(&recorded, &received[0]).is_empty());
        recorded.multipart.as_mut().unwrap()[1].content = "other".into();
        let found = differences(&recorded, &received[0]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("multipart parts are"), "{found:?}");
    }
}
