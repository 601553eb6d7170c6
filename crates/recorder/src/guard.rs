//! The last check before a recording becomes a fixture: no value of the live
//! credentials (as written, percent-encoded or base64) and no e-mail address that is
//! not a placeholder, anywhere in it, keys included. Each finding names where (a
//! JSON pointer into the fixture) and what, never the value.

use base64::Engine as _;
use marketplace_runtime::ExposeSecret;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;

use crate::credentials::Secrets;
use crate::rules::PLACEHOLDER_EMAIL_DOMAIN;

/// Something that must not reach the repository.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Where, as a JSON pointer into the fixture (`/response/body/errors/0/detail`).
    pub pointer: String,
    /// What: `the value of MKT_…` or `an e-mail address that is not a placeholder`.
    pub what: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at {}", self.what, self.pointer)
    }
}

/// Everything in `fixture` that still holds one of the live credential `secrets` or
/// an e-mail address outside the placeholder domain. The request headers named in
/// `credential_headers` carry the conformance harness's fake credentials (the
/// recording client is the replay client) and may hold its fake e-mail address.
pub fn findings(fixture: &Value, secrets: &Secrets, credential_headers: &[String]) -> Vec<Finding> {
    let secrets: Vec<(&str, Vec<String>)> = secrets
        .values()
        .map(|(name, value)| (name, encodings(value.expose_secret())))
        .collect();
    let exempt: Vec<String> = credential_headers
        .iter()
        .map(|name| format!("/request/headers/{}", escape(name)))
        .collect();
    let mut out = Vec::new();
    visit(fixture, &mut String::new(), &mut |pointer, text| {
        for (name, forms) in &secrets {
            if forms.iter().any(|form| text.contains(form.as_str())) {
                out.push(Finding {
                    pointer: pointer.to_owned(),
                    what: format!("the value of {name}"),
                });
            }
        }
        let placeholder_only =
            emails(text).all(|domain| domain.eq_ignore_ascii_case(PLACEHOLDER_EMAIL_DOMAIN));
        if !placeholder_only && !exempt.iter().any(|p| p == pointer) {
            out.push(Finding {
                pointer: pointer.to_owned(),
                what: "an e-mail address that is not a placeholder".to_owned(),
            });
        }
    });
    out
}

/// A secret as written, percent-encoded (path and form styles) and in base64.
fn encodings(secret: &str) -> Vec<String> {
    let mut forms = vec![
        secret.to_owned(),
        utf8_percent_encode(secret, NON_ALPHANUMERIC).to_string(),
        form_urlencoded::byte_serialize(secret.as_bytes()).collect(),
        base64::engine::general_purpose::STANDARD.encode(secret),
    ];
    forms.sort();
    forms.dedup();
    forms
}

/// The domain of every e-mail address in `text`: a local part of the usual
/// characters, `@`, and a dotted domain ending in a label of two or more letters.
pub fn emails(text: &str) -> impl Iterator<Item = &str> {
    let bytes = text.as_bytes();
    let local = |b: u8| b.is_ascii_alphanumeric() || b"._%+-!#$&'*/=?^`{|}~".contains(&b);
    let domain = |b: u8| b.is_ascii_alphanumeric() || b == b'.' || b == b'-';
    text.match_indices('@').filter_map(move |(at, _)| {
        let has_local = at > 0 && local(bytes[at - 1]);
        let end = at + 1 + bytes[at + 1..].iter().take_while(|b| domain(**b)).count();
        let host = text[at + 1..end].trim_end_matches(['.', '-']);
        let (_, top) = host.rsplit_once('.')?;
        let valid = has_local
            && !host.starts_with(['.', '-'])
            && top.len() >= 2
            && top.bytes().all(|b| b.is_ascii_alphabetic());
        valid.then_some(host)
    })
}

/// Calls `f` with the pointer and text of every string in `value`, object keys
/// included (a key's pointer is its object's, plus the key).
fn visit(value: &Value, pointer: &mut String, f: &mut impl FnMut(&str, &str)) {
    match value {
        Value::String(text) => f(pointer, text),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = pointer.len();
                pointer.push_str(&format!("/{i}"));
                visit(item, pointer, f);
                pointer.truncate(len);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&escape(key));
                f(pointer, key);
                visit(item, pointer, f);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

/// A key as a JSON-pointer segment (RFC 6901).
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn secrets() -> Secrets {
        crate::Credentials::from_env("skyhub-sac", "DEFAULT", |name| {
            Some(match name {
                "MKT_SKYHUB_DEFAULT_USER_EMAIL" => "seller@shop.example.com".to_owned(),
                "MKT_SKYHUB_DEFAULT_API_KEY" => "live key/1".to_owned(),
                _ => "live-manager-key".to_owned(),
            })
        })
        .unwrap()
        .into_parts()
        .1
    }

    #[test]
    fn live_credentials_are_found_in_any_encoding_and_named_by_variable() {
        let fixture = json!({
            "request": {"headers": {"x-api-key": "fake-skyhub-api-key"}},
            "response": {"body": {
                "errors": [{"detail": "key live%20key%2F1 is invalid"}],
                "echo": "bGl2ZS1tYW5hZ2VyLWtleQ==",
                "live key/1": true,
            }},
        });
        let found = findings(&fixture, &secrets(), &["x-api-key".into()]);
        let shown: Vec<String> = found.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "the value of MKT_SKYHUB_DEFAULT_ACCOUNT_MANAGER_KEY at /response/body/echo",
                "the value of MKT_SKYHUB_DEFAULT_API_KEY at /response/body/errors/0/detail",
                "the value of MKT_SKYHUB_DEFAULT_API_KEY at /response/body/live key~11",
            ]
        );
        assert!(!shown.concat().contains("live-manager-key"));
    }

    #[test]
    fn only_placeholder_addresses_and_the_harness_fakes_pass() {
        let fixture = json!({
            "request": {"headers": {"x-user-email": "fake-seller@example.com"}},
            "response": {"body": {"a": "person-1@example.invalid", "b": "write to Ana.Lima+shop@Mail.example.org.",
                "c": "not@an address", "d": "user@localhost", "e": "@example.org", "f": "x@EXAMPLE.invalid", "g": "x@sub.example.invalid"}},
        });
        let found = findings(&fixture, &secrets(), &["x-user-email".into()]);
        let pointers: Vec<&str> = found.iter().map(|f| f.pointer.as_str()).collect();
        assert_eq!(pointers, ["/response/body/b", "/response/body/g"]);
        assert_eq!(found[0].what, "an e-mail address that is not a placeholder");
        // The same fake address outside a credential header is not exempt.
        let fixture = json!({"response": {"body": {"seller": "fake-seller@example.com"}}});
        assert_eq!(findings(&fixture, &secrets(), &[]).len(), 1);
    }

    #[test]
    fn the_e_mail_scanner_finds_domains() {
        let found: Vec<&str> = emails("a@b.example.com, x@y, c.d@e-f.org. and @z.com").collect();
        assert_eq!(found, ["b.example.com", "e-f.org"]);
    }
}
