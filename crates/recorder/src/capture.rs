//! A captured exchange in the fixture house format (`marketplace_spec_check::Fixture`,
//! as JSON), before scrubbing.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::proxy::{ReceivedResponse, SentRequest};
use crate::rules::Rules;

/// The fixture for `request` and `response`, with the headers `rules` record.
/// Fails on what the house format cannot hold: a query parameter given twice, a
/// request body that is not JSON, a header or response body that is not UTF-8.
pub fn fixture(
    request: &SentRequest,
    response: &ReceivedResponse,
    rules: &Rules,
    description: &str,
) -> Result<Value, String> {
    let mut query = BTreeMap::new();
    for (name, value) in form_urlencoded::parse(request.query.as_deref().unwrap_or("").as_bytes()) {
        if query.insert(name.to_string(), value.to_string()).is_some() {
            return Err(format!(
                "the query parameter `{name}` was sent twice: a fixture records one value per parameter"
            ));
        }
    }
    let request_body = if request.body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&request.body).map_err(|_| {
            "the request body is not JSON: only JSON bodies can be recorded".to_owned()
        })?
    };
    let mut fixture = json!({
        "description": description,
        "source": format!("cargo xtask record, scrubbed by {}", crate::rules::RULES_FILE),
        "request": {
            "method": request.method,
            "path": request.path,
            "query": query,
            "headers": headers(&request.headers, |name| !rules.drop_request_headers.iter().any(|d| d == name), "request")?,
        },
        "response": {
            "status": response.status,
            "headers": headers(&response.headers, |name| rules.keeps_response_header(name), "response")?,
        },
    });
    if !request_body.is_null() {
        fixture["request"]["body"] = request_body;
    }
    if !response.body.is_empty() {
        let json_type = response.headers.iter().any(|(name, value)| {
            name == "content-type" && String::from_utf8_lossy(value).contains("json")
        });
        let (key, body) = match serde_json::from_slice::<Value>(&response.body) {
            // `null` is kept as text: the fixture would read it as "no body".
            Ok(body) if json_type && !body.is_null() => ("body", body),
            _ => match String::from_utf8(response.body.clone()) {
                Ok(text) => ("raw_body", Value::String(text)),
                Err(_) => return Err("the response body is neither JSON nor UTF-8 text".into()),
            },
        };
        fixture["response"][key] = body;
    }
    Ok(fixture)
}

fn headers(
    headers: &[(String, Vec<u8>)],
    recorded: impl Fn(&str) -> bool,
    side: &str,
) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for (name, value) in headers {
        let name = name.to_ascii_lowercase();
        if !recorded(&name) {
            continue;
        }
        let value = String::from_utf8(value.clone())
            .map_err(|_| format!("the {side} header `{name}` is not UTF-8"))?;
        if out.insert(name.clone(), value).is_some() {
            return Err(format!(
                "the {side} header `{name}` came more than once: a fixture records one value per header"
            ));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> Rules {
        serde_yaml::from_str(
            "now: 2026-01-15T12:00:00Z\ndrop_request_headers: [user-agent]\nkeep_response_headers: [content-type, x-ratelimit-*]\n",
        )
        .unwrap()
    }

    fn request(query: Option<&str>, body: &[u8]) -> SentRequest {
        SentRequest {
            method: "GET".into(),
            path: "/sac/Lojas%20Americanas-1/chats".into(),
            query: query.map(str::to_owned),
            headers: vec![
                ("accept".into(), b"application/json".to_vec()),
                ("user-agent".into(), b"marketplace-sdk/0.1.0".to_vec()),
            ],
            body: body.to_vec(),
        }
    }

    fn response(content_type: &str, body: &[u8]) -> ReceivedResponse {
        ReceivedResponse {
            status: 200,
            headers: vec![
                ("content-type".into(), content_type.as_bytes().to_vec()),
                ("date".into(), b"Tue, 01 Dec 2026 16:27:47 GMT".to_vec()),
                ("x-ratelimit-resource-remaining".into(), b"99".to_vec()),
            ],
            body: body.to_vec(),
        }
    }

    #[test]
    fn an_exchange_becomes_a_fixture_without_the_dropped_headers() {
        let fixture = fixture(
            &request(Some("status=UNREAD&platform=B%32w"), b""),
            &response("application/json", br#"{"sacs":[]}"#),
            &rules(),
            "A page.",
        )
        .unwrap();
        assert_eq!(
            fixture,
            json!({
                "description": "A page.",
                "source": "cargo xtask record, scrubbed by tests/fixtures/scrub-rules.yaml",
                "request": {"method": "GET", "path": "/sac/Lojas%20Americanas-1/chats",
                    "query": {"status": "UNREAD", "platform": "B2w"},
                    "headers": {"accept": "application/json"}},
                "response": {"status": 200,
                    "headers": {"content-type": "application/json", "x-ratelimit-resource-remaining": "99"},
                    "body": {"sacs": []}},
            })
        );
    }

    #[test]
    fn what_the_format_cannot_hold_is_refused() {
        let ok = response("application/json", b"{}");
        let error = fixture(&request(Some("a=1&a=2"), b""), &ok, &rules(), "x").unwrap_err();
        assert!(error.contains("`a` was sent twice"), "{error}");
        let error = fixture(&request(None, b"--boundary"), &ok, &rules(), "x").unwrap_err();
        assert!(error.contains("not JSON"), "{error}");
        let html = fixture(
            &request(None, b""),
            &response("text/html", b"<h1>502</h1>"),
            &rules(),
            "x",
        )
        .unwrap();
        assert_eq!(html["response"]["raw_body"], "<h1>502</h1>");
        let error = fixture(
            &request(None, b""),
            &response("image/png", &[0xff, 0xfe]),
            &rules(),
            "x",
        )
        .unwrap_err();
        assert!(error.contains("neither JSON nor UTF-8"), "{error}");
    }
}
