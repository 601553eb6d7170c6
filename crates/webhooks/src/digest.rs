//! Fixed-size dedupe keys and content digests: SHA-256, so that neither depends on
//! the size of what a sender controls (an id, an unknown notification's JSON).

use serde_json::Value;
use sha2::{Digest, Sha256};

/// `<receiver>|<64 hex digits>`: the SHA-256 of `fields`, each prefixed with its
/// length so that no two field lists hash the same text.
pub(crate) fn key<'a>(receiver: &str, fields: impl IntoIterator<Item = &'a [u8]>) -> String {
    let mut hasher = Sha256::new();
    for field in fields {
        hasher.update((field.len() as u64).to_be_bytes());
        hasher.update(field);
    }
    format!("{receiver}|{}", hex::encode(hasher.finalize()))
}

/// 64 hex digits: the SHA-256 of `value` written as canonical JSON (object keys
/// sorted at every level, no whitespace), so that a copy reformatted or with its keys
/// reordered has the same digest.
pub(crate) fn content(value: &Value) -> String {
    let mut hasher = Sha256::new();
    feed_canonical(value, &mut hasher);
    hex::encode(hasher.finalize())
}

/// [`content`] of a body already known to be JSON (else of its bytes).
pub(crate) fn content_of_body(body: &[u8]) -> String {
    match serde_json::from_slice::<Value>(body) {
        Ok(value) => content(&value),
        Err(_) => hex::encode(Sha256::digest(body)),
    }
}

/// Hashes the canonical text without building it (it can be as large as the body).
fn feed_canonical(value: &Value, hasher: &mut Sha256) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            hasher.update(b"{");
            for (i, (name, value)) in entries.into_iter().enumerate() {
                if i > 0 {
                    hasher.update(b",");
                }
                hasher.update(Value::String(name.clone()).to_string());
                hasher.update(b":");
                feed_canonical(value, hasher);
            }
            hasher.update(b"}");
        }
        Value::Array(items) => {
            hasher.update(b"[");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    hasher.update(b",");
                }
                feed_canonical(item, hasher);
            }
            hasher.update(b"]");
        }
        scalar => hasher.update(scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ignores_key_order_and_whitespace_at_every_level() {
        let a: Value =
            serde_json::from_str(r#"{"b":1,"a":{"d":[{"y":1,"x":2}],"c":null}}"#).unwrap();
        let b: Value =
            serde_json::from_str(r#"{ "a": {"c":null, "d":[{"x":2,"y":1}]}, "b":1 }"#).unwrap();
        assert_eq!(content(&a), content(&b));
        // The canonical text, hashed.
        let canonical = r#"{"a":{"c":null,"d":[{"x":2,"y":1}]},"b":1}"#;
        assert_eq!(content(&a), hex::encode(Sha256::digest(canonical)));
        let c: Value =
            serde_json::from_str(r#"{"b":1,"a":{"d":[{"y":1,"x":3}],"c":null}}"#).unwrap();
        assert_ne!(content(&a), content(&c));
    }

    #[test]
    fn keys_have_a_fixed_size_and_fields_do_not_run_together() {
        let long = vec![b'x'; 1 << 20];
        assert_eq!(key("yandex", [long.as_slice()]).len(), "yandex|".len() + 64);
        assert_ne!(
            key("metro", [b"ab".as_slice(), b"c"]),
            key("metro", [b"a".as_slice(), b"bc"])
        );
        assert!(key("metro", [b"m-1".as_slice()]).starts_with("metro|"));
    }
}
