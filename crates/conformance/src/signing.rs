//! The signature headers every signed METRO fixture must record, computed with the
//! runtime's own signer (`MetroHmac`), and a command that writes them:
//! `cargo run -p marketplace-conformance --bin sign-fixtures [-- --write]`.
//!
//! A fixture is signed for the host it stands for, not for the replay server's
//! address (which changes on every run): METRO's sandbox for the API clients, the
//! placeholder receiver origin for event deliveries. The signed `FULL_URL` is that
//! origin, the recorded path and the query as the client sends it (parameters in
//! name order, form-urlencoded); `BODY` is the recorded JSON body as serde_json
//! writes it (compact, keys in name order), or empty (no body, a multipart upload);
//! `TIMESTAMP` is the fixture's `now`. The replay then proves that the generated
//! client sends exactly these headers.

use std::path::{Path, PathBuf};

use marketplace_runtime::MetroHmac;
use serde_json::Value;

use crate::marketplaces::{
    MARKETPLACES, METRO_EVENTS_FAKE_CLIENT_KEY, METRO_EVENTS_FAKE_CLIENT_SECRET,
    METRO_FAKE_CLIENT_ID, METRO_FAKE_CLIENT_SECRET,
};

/// How the fixtures of one spec are signed.
struct Signing {
    spec: &'static str,
    origin: &'static str,
    /// The header that names the client key.
    key_header: &'static str,
    key: &'static str,
    secret: &'static str,
}

/// Every spec whose client signs like METRO (its `x-marketplace` auth scheme), with
/// the fake key pair of that scheme and its first server's origin.
fn signed_specs() -> Vec<Signing> {
    MARKETPLACES
        .iter()
        .filter_map(|m| {
            let (key_header, key, secret) = match m.auth {
                "metro-hmac" => (
                    "x-client-id",
                    METRO_FAKE_CLIENT_ID,
                    METRO_FAKE_CLIENT_SECRET,
                ),
                "metro-delivery" => (
                    "x-client",
                    METRO_EVENTS_FAKE_CLIENT_KEY,
                    METRO_EVENTS_FAKE_CLIENT_SECRET,
                ),
                _ => return None,
            };
            Some(Signing {
                spec: m.name,
                origin: m.signed_origin,
                key_header,
                key,
                secret,
            })
        })
        .collect()
}

/// One signed fixture and the headers it must record.
#[derive(Debug)]
pub struct SignedFixture {
    /// The fixture file.
    pub path: PathBuf,
    /// `(header, value)` pairs: the client key, `x-timestamp` and `x-signature`.
    pub expected: Vec<(&'static str, String)>,
    /// The headers that differ from what the fixture records, with the recorded value.
    pub wrong: Vec<(&'static str, Option<String>)>,
}

/// Every signed fixture under `root/tests/fixtures`, with the headers it must record.
pub fn signed_fixtures(root: &Path) -> Result<Vec<SignedFixture>, String> {
    let mut out = Vec::new();
    for signing in &signed_specs() {
        let paths = marketplace_spec_check::fixture_files(root, signing.spec)
            .into_iter()
            .map(|file| file.path);
        for path in paths {
            let text =
                std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let fixture: Value =
                serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            let expected = expected_headers(signing, &fixture)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            let recorded = &fixture["request"]["headers"];
            let wrong = expected
                .iter()
                .filter(|(name, value)| recorded[*name].as_str() != Some(value.as_str()))
                .map(|(name, _)| (*name, recorded[*name].as_str().map(str::to_owned)))
                .collect();
            out.push(SignedFixture {
                path,
                expected,
                wrong,
            });
        }
    }
    Ok(out)
}

/// Writes the expected headers into every fixture that records others, changing
/// only those values in the file's text (the rest of the file stays byte for byte).
/// Returns the fixtures written.
pub fn write_signatures(root: &Path) -> Result<Vec<PathBuf>, String> {
    let mut written = Vec::new();
    for fixture in signed_fixtures(root)? {
        if fixture.wrong.is_empty() {
            continue;
        }
        let mut text = std::fs::read_to_string(&fixture.path)
            .map_err(|e| format!("{}: {e}", fixture.path.display()))?;
        for (name, recorded) in &fixture.wrong {
            let value = &fixture
                .expected
                .iter()
                .find(|(n, _)| n == name)
                .expect("a wrong header is an expected one")
                .1;
            let Some(recorded) = recorded else {
                return Err(format!(
                    "{}: the request records no `{name}` header; add it (any value), then run this again",
                    fixture.path.display()
                ));
            };
            let old = format!("\"{name}\": \"{recorded}\"");
            if text.matches(&old).count() != 1 {
                return Err(format!(
                    "{}: `{old}` is not written exactly once; fix the header by hand",
                    fixture.path.display()
                ));
            }
            text = text.replace(&old, &format!("\"{name}\": \"{value}\""));
        }
        std::fs::write(&fixture.path, text)
            .map_err(|e| format!("{}: {e}", fixture.path.display()))?;
        written.push(fixture.path);
    }
    Ok(written)
}

/// Sets the signature headers of `fixture` (a fixture as JSON) to the ones computed
/// for it, if `spec` is signed: after anything in its request changed. Returns
/// whether the spec is signed.
pub fn sign_fixture(spec: &str, fixture: &mut Value) -> Result<bool, String> {
    let Some(signing) = signed_specs().into_iter().find(|s| s.spec == spec) else {
        return Ok(false);
    };
    let expected = expected_headers(&signing, fixture)?;
    let headers = fixture["request"]["headers"]
        .as_object_mut()
        .ok_or("the fixture's request has no `headers` object")?;
    for (name, value) in expected {
        headers.insert(name.to_owned(), Value::String(value));
    }
    Ok(true)
}

fn expected_headers(
    signing: &Signing,
    fixture: &Value,
) -> Result<Vec<(&'static str, String)>, String> {
    let request = &fixture["request"];
    let now = fixture["now"]
        .as_i64()
        .ok_or("a signed fixture needs `now` (the signing time)")?;
    let method = request["method"].as_str().ok_or("no request method")?;
    let path = request["path"].as_str().ok_or("no request path")?;
    let mut url = reqwest::Url::parse(&format!("{}{path}", signing.origin))
        .map_err(|e| format!("request path {path:?}: {e}"))?;
    if let Some(query) = request["query"].as_object().filter(|q| !q.is_empty()) {
        // serde_json's map is ordered by name: the order progenitor sends them in.
        let mut pairs = url.query_pairs_mut();
        for (name, value) in query {
            let value = match value {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            pairs.append_pair(name, &value);
        }
    }
    let body = match &request["body"] {
        Value::Null => Vec::new(),
        body => serde_json::to_vec(body).map_err(|e| e.to_string())?,
    };
    let signature =
        MetroHmac::new(signing.key, signing.secret).signature(method, url.as_str(), &body, now);
    Ok(vec![
        (signing.key_header, signing.key.to_owned()),
        ("x-timestamp", now.to_string()),
        ("x-signature", signature),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_signed_fixture_records_the_signature_the_runtime_computes() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let fixtures = signed_fixtures(&root).unwrap();
        // 23 Message Center, 10 subscriptions, 10 event deliveries today.
        assert!(fixtures.len() >= 40, "{}", fixtures.len());
        let wrong: Vec<_> = fixtures.iter().filter(|f| !f.wrong.is_empty()).collect();
        assert!(
            wrong.is_empty(),
            "run `cargo run -p marketplace-conformance --bin sign-fixtures -- --write`: {wrong:#?}"
        );
    }

    #[test]
    fn sign_fixture_writes_the_headers_the_check_expects_and_only_for_signed_specs() {
        let mut fixture = serde_json::json!({
            "now": 1_757_581_999,
            "request": {"method": "GET", "path": "/openapi/v1/chats", "query": {"limit": "2"},
                "headers": {"accept": "application/json", "x-signature": "stale"}}
        });
        assert!(sign_fixture("metro-message-center", &mut fixture).unwrap());
        let message_center = signed_specs()
            .into_iter()
            .find(|s| s.spec == "metro-message-center")
            .unwrap();
        let expected = expected_headers(&message_center, &fixture).unwrap();
        for (name, value) in &expected {
            assert_eq!(fixture["request"]["headers"][*name], *value, "{name}");
        }
        assert_eq!(fixture["request"]["headers"]["accept"], "application/json");
        let unsigned = fixture.clone();
        let mut lectronz = unsigned.clone();
        assert!(!sign_fixture("lectronz", &mut lectronz).unwrap());
        assert_eq!(lectronz, unsigned);
    }

    #[test]
    fn a_changed_body_changes_the_expected_signature() {
        let fixture = serde_json::json!({
            "now": 1_757_581_999,
            "request": {"method": "POST", "path": "/openapi/v1/chats", "body": {"b": 1, "a": "x y"},
                "query": {"z": "1", "a": "x y"}, "headers": {}}
        });
        let signing = &signed_specs()[0];
        let expected = expected_headers(signing, &fixture).unwrap();
        let mut other = fixture.clone();
        other["request"]["body"]["b"] = 2.into();
        assert_ne!(expected, expected_headers(signing, &other).unwrap());
        // The signed text is the documented one: sorted query, form-urlencoded, compact body.
        let text = MetroHmac::string_to_sign(
            "POST",
            &format!("{}/openapi/v1/chats?a=x+y&z=1", signing.origin),
            br#"{"a":"x y","b":1}"#,
            1_757_581_999,
        );
        let signer = MetroHmac::new(signing.key, signing.secret);
        assert!(signer.verify(&text, &expected[2].1));
    }
}
