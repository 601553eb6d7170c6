//! Response decoding for generated clients, with the JSON path that failed.
//!
//! The house code generator routes every `ResponseValue::from_response` of the
//! generated code through [`from_response`]. On success it is the same; on failure
//! (HTML from a proxy, an empty or truncated body, a field of the wrong type) the
//! error keeps the HTTP status, the JSON path that failed (`messages[3].created_at`)
//! and a truncated excerpt of the body, instead of a bare serde message.
//!
//! Decoding is strict about shape and lenient about absence, decided here once:
//! - a JSON array is never read as an object (serde's derive would read it as the
//!   struct's fields in order): every entry point decodes under an adapter that
//!   refuses it, and the shapes serde buffers (untagged enums, flattened maps) are
//!   generated to decode through [`Untagged`] and [`lenient_map`], which use the
//!   same adapter;
//! - `null` in an optional field decodes like the field left out: `None` for an
//!   `Option`, empty for a collection ([`null_as_default`]), the spec's `default`
//!   where it gives one ([`null_or`]); the generator attaches these to every field
//!   with a serde default, which typify emits only for optional fields, so a
//!   required field still fails on `null`;
//! - in the catch-all map of an object (`additionalProperties` beside declared
//!   properties), an entry of another type is skipped ([`lenient_map`]).

use std::collections::HashMap;

use progenitor_client::{Error as GeneratedError, ResponseValue};
use serde::de::{DeserializeOwned, Deserializer};
use serde::{Deserialize, de};
use serde_json::Value;

mod strict;
use strict::Strict;

/// What went wrong decoding a body; travels in the rebuilt response's extensions
/// to [`crate::Error`].
#[derive(Clone, Debug)]
pub(crate) struct DecodeFailure {
    pub(crate) reason: String,
    pub(crate) body: bytes::Bytes,
}

/// Decodes a JSON response body as `T`; see the module docs.
/// The tracing target of forward-compatibility drift: an INFO event for each enum
/// value decoded as `Other` (fields `drift = "enum_value"`, `enum`, `value`) and each
/// unknown field skipped (`drift = "unknown_field"`). Responses decode inside a
/// `marketplace.decode` span (fields `marketplace`, `operation`), so a tracing layer
/// can count drift per operation.
pub const DRIFT_TARGET: &str = "marketplace.drift";

/// A read's body, read inside its attempt by the `exec` hook and handed on in the
/// response's extensions to [`from_response`], which takes it from there.
#[derive(Clone, Debug)]
pub(crate) struct BufferedBody(pub(crate) bytes::Bytes);

/// Which call a response answers: put on the response by the `exec` hook, read by
/// [`from_response`] for its `marketplace.decode` span.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CallInfo {
    pub(crate) marketplace: &'static str,
    pub(crate) operation: &'static str,
}

#[doc(hidden)]
pub async fn from_response<T: DeserializeOwned, E>(
    mut response: reqwest::Response,
) -> Result<ResponseValue<T>, GeneratedError<E>> {
    let status = response.status();
    // Moved out, not copied: reading the body does not need them.
    let headers = std::mem::take(response.headers_mut());
    let response_call = response.extensions().get::<CallInfo>().copied();
    // A read's body was read inside its attempt (see `hooks::exec`).
    let body = match response.extensions_mut().remove::<BufferedBody>() {
        Some(buffered) => buffered.0,
        None => response
            .bytes()
            .await
            .map_err(GeneratedError::ResponseBodyError)?,
    };
    let decoded = match response_call {
        Some(call) => tracing::info_span!(
            "marketplace.decode",
            marketplace = call.marketplace,
            operation = call.operation
        )
        .in_scope(|| decode::<T>(&body)),
        None => decode::<T>(&body),
    };
    match decoded {
        Ok(value) => Ok(ResponseValue::new(value, status, headers)),
        Err(reason) => {
            let mut rebuilt = http::Response::new(body.clone());
            *rebuilt.status_mut() = status;
            *rebuilt.headers_mut() = headers;
            rebuilt
                .extensions_mut()
                .insert(DecodeFailure { reason, body });
            Err(GeneratedError::UnexpectedResponse(reqwest::Response::from(
                rebuilt,
            )))
        }
    }
}

/// Decodes `body` as `T`, describing a failure with its JSON path; an array where
/// `T` expects an object is a failure.
///
/// The fast path is `serde_json` under the strict adapter (no buffering, no
/// allocation of its own); only a body that fails is decoded a second time with
/// path tracking, so successful calls pay nothing for the diagnostics.
pub fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    if let Ok(value) = T::deserialize(Strict(&mut deserializer))
        && deserializer.end().is_ok()
    {
        return Ok(value);
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(Strict(&mut deserializer))
        .map_err(|e| failure(e).describe())?;
    deserializer.end().map_err(|e| e.to_string())?;
    Ok(value)
}

/// Decodes an already parsed JSON value as `T`, with the same rules and messages
/// as [`decode`]: for the webhook receivers, which look at a delivery's JSON before
/// choosing its type.
pub fn from_value<T: DeserializeOwned>(value: &Value) -> Result<T, String> {
    from_value_at(value).map_err(|f| f.describe())
}

fn from_value_at<T: DeserializeOwned>(value: &Value) -> Result<T, Failure> {
    serde_path_to_error::deserialize(Strict(value)).map_err(failure)
}

/// A decoding failure: where (JSON path segments, `.` for the root) and what.
struct Failure {
    depth: usize,
    path: String,
    message: String,
}

fn failure(e: serde_path_to_error::Error<serde_json::Error>) -> Failure {
    let depth = e.path().iter().count();
    let path = e.path().to_string();
    Failure {
        depth,
        path,
        message: e.into_inner().to_string(),
    }
}

impl Failure {
    /// `at `path`: message`. A message that already starts that way comes from a
    /// shape decoded from a buffered value ([`Untagged`]); its path is relative to
    /// where that shape starts, so the two are joined into one.
    fn describe(self) -> String {
        let outer = if self.depth == 0 { "" } else { &self.path };
        let (inner, message) = self
            .message
            .strip_prefix("at `")
            .and_then(|rest| rest.split_once("`: "))
            .unwrap_or(("", &self.message));
        let path = match (outer, inner) {
            ("", inner) => inner.to_owned(),
            (outer, "") => outer.to_owned(),
            (outer, inner) if inner.starts_with('[') => format!("{outer}{inner}"),
            (outer, inner) => format!("{outer}.{inner}"),
        };
        if path.is_empty() {
            message.to_owned()
        } else {
            format!("at `{path}`: {message}")
        }
    }
}

/// Deserializes an untagged enum (`oneOf` in the spec) strictly and with the path
/// of a field error. serde's derived untagged enums buffer the value and try each
/// variant without the caller's deserializer (so an array would pass for an object)
/// and report only "did not match any variant"; the generator replaces that derive
/// with this:
///
/// ```
/// use marketplace_runtime::decode::{Untagged, decode};
///
/// #[derive(Debug, PartialEq, serde::Deserialize)]
/// struct Chat {
///     id: u64,
/// }
///
/// #[derive(Debug, PartialEq)]
/// enum Chats {
///     One(Chat),
///     List(Vec<Chat>),
/// }
///
/// impl<'de> serde::Deserialize<'de> for Chats {
///     fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
///         Untagged::read(deserializer, "Chats")?
///             .variant(Chats::One)
///             .variant(Chats::List)
///             .finish()
///     }
/// }
///
/// assert_eq!(decode::<Chats>(br#"{"id":1}"#), Ok(Chats::One(Chat { id: 1 })));
/// // A field error keeps its path instead of "did not match any variant".
/// let error = decode::<Chats>(br#"[{"id":1},{"id":"two"}]"#).unwrap_err();
/// assert!(error.contains("[1].id"), "{error}");
/// ```
///
/// The first variant that decodes wins, as with serde. If none does, the failure
/// reported is the one deepest in the value: the variant whose shape matched longest
/// is the one the marketplace meant.
#[doc(hidden)]
pub struct Untagged<T> {
    name: &'static str,
    value: Value,
    decoded: Option<T>,
    failures: Vec<Failure>,
}

impl<T> Untagged<T> {
    /// Buffers the value to try each variant on.
    pub fn read<'de, D: Deserializer<'de>>(
        deserializer: D,
        name: &'static str,
    ) -> Result<Self, D::Error> {
        Ok(Untagged {
            name,
            value: Value::deserialize(deserializer)?,
            decoded: None,
            failures: Vec::new(),
        })
    }

    /// Tries the variant holding an `X`, unless an earlier one decoded.
    pub fn variant<X: DeserializeOwned>(mut self, wrap: fn(X) -> T) -> Self {
        if self.decoded.is_none() {
            match from_value_at(&self.value) {
                Ok(x) => self.decoded = Some(wrap(x)),
                Err(failure) => self.failures.push(failure),
            }
        }
        self
    }

    /// The decoded variant, or the most telling failure.
    pub fn finish<E: de::Error>(mut self) -> Result<T, E> {
        if let Some(decoded) = self.decoded {
            return Ok(decoded);
        }
        // `max_by_key` keeps the last of equals; reversed, the first variant wins ties.
        let deepest = (0..self.failures.len())
            .rev()
            .max_by_key(|&i| self.failures[i].depth);
        Err(E::custom(match deepest {
            Some(i) if self.failures[i].depth > 0 => self.failures.swap_remove(i).describe(),
            _ => format!(
                "data did not match any variant of {}: {}",
                self.name,
                self.failures
                    .iter()
                    .map(|f| f.message.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        }))
    }
}

/// `deserialize_with` for optional fields with a default: `null` decodes as the
/// default (an empty list or map), like the field left out. Marketplaces send
/// `null` for "none"; the generator attaches this to every `#[serde(default)]`
/// field, which typify emits only for optional ones, so a required field still
/// fails on `null`.
#[doc(hidden)]
pub fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    null_or(deserializer, T::default)
}

/// [`null_as_default`] for a field with the spec's own `default`: `null` decodes as
/// that value, like the field left out.
#[doc(hidden)]
pub fn null_or<'de, D, T>(deserializer: D, default: impl FnOnce() -> T) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_else(default))
}

/// `deserialize_with` for the catch-all map of an object with declared properties
/// and `additionalProperties` (flattened beside the fields): an entry whose value
/// is not of the map's type is skipped instead of failing the whole response. The
/// spec only names the declared keys; an undeclared one with a shape nobody
/// documented is treated like an unknown field, which the house ignores. Entries
/// are decoded strictly, like everything else.
#[doc(hidden)]
pub fn lenient_map<'de, D, V>(deserializer: D) -> Result<HashMap<String, V>, D::Error>
where
    D: Deserializer<'de>,
    V: DeserializeOwned,
{
    let raw = HashMap::<String, Value>::deserialize(deserializer)?;
    Ok(raw
        .into_iter()
        .filter_map(|(key, value)| match from_value_at(&value) {
            Ok(value) => Some((key, value)),
            Err(failure) => {
                tracing::debug!(%key, reason = %failure.describe(), "skipped a map entry of an unexpected type");
                None
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::{Untagged, decode, from_value, lenient_map, null_as_default};

    #[derive(Debug, serde::Deserialize)]
    struct Page {
        #[allow(dead_code)]
        items: Vec<Item>,
    }
    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Item {
        id: i64,
    }

    #[test]
    fn failures_name_the_json_path() {
        let err = decode::<Page>(br#"{"items":[{"id":1},{"id":"two"}]}"#).unwrap_err();
        assert!(err.starts_with("at `items[1].id`: invalid type"), "{err}");
    }

    #[test]
    fn html_empty_truncated_and_trailing_bodies_fail_cleanly() {
        for body in [
            &b"<html>502 Bad Gateway</html>"[..],
            b"",
            br#"{"items":[{"id":1"#,
            br#"{"items":[]} x"#,
        ] {
            assert!(
                decode::<Page>(body).is_err(),
                "{:?}",
                String::from_utf8_lossy(body)
            );
        }
        assert!(
            decode::<Page>(br#"{"items":[],"extra":true}"#).is_ok(),
            "unknown fields are ignored"
        );
    }

    #[test]
    fn an_array_is_never_an_object_at_any_depth() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Deep {
            one: Option<Item>,
            by_key: HashMap<String, Item>,
        }
        for (body, at) in [
            (
                &br#"[[{"id":1}]]"#[..],
                "invalid type: sequence, expected struct Page",
            ),
            (
                br#"{"items":[[1]]}"#,
                "at `items[0]`: invalid type: sequence",
            ),
        ] {
            let err = decode::<Page>(body).unwrap_err();
            assert!(err.starts_with(at), "{err}");
        }
        let err = decode::<Deep>(br#"{"one":[1],"by_key":{}}"#).unwrap_err();
        assert!(err.starts_with("at `one`: invalid type: sequence"), "{err}");
        let err = decode::<Deep>(br#"{"one":null,"by_key":{"k":[1]}}"#).unwrap_err();
        assert!(
            err.starts_with("at `by_key.k`: invalid type: sequence"),
            "{err}"
        );
        let value = serde_json::json!({"items": [[1]]});
        let err = from_value::<Page>(&value).unwrap_err();
        assert!(
            err.starts_with("at `items[0]`: invalid type: sequence"),
            "{err}"
        );
        assert!(decode::<Deep>(br#"{"one":{"id":1},"by_key":{"k":{"id":2}}}"#).is_ok());
    }

    /// An untagged enum as the generator writes it.
    #[derive(Debug, PartialEq)]
    enum Shape {
        One(Item),
        Many(Vec<Item>),
    }
    impl<'de> serde::Deserialize<'de> for Shape {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            Untagged::read(d, "Shape")?
                .variant(Shape::One)
                .variant(Shape::Many)
                .finish()
        }
    }
    /// An untagged enum holding one.
    #[derive(Debug)]
    enum Outer {
        #[allow(dead_code)]
        Text(String),
        #[allow(dead_code)]
        Holder(Holder),
    }
    impl<'de> serde::Deserialize<'de> for Outer {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            Untagged::read(d, "Outer")?
                .variant(Outer::Text)
                .variant(Outer::Holder)
                .finish()
        }
    }
    #[derive(Debug, serde::Deserialize)]
    struct Holder {
        #[allow(dead_code)]
        shape: Shape,
    }

    #[test]
    fn untagged_enums_are_strict_and_keep_the_path_of_the_variant_that_matched_longest() {
        assert_eq!(
            decode::<Shape>(br#"{"id":1}"#).unwrap(),
            Shape::One(Item { id: 1 })
        );
        assert_eq!(
            decode::<Shape>(br#"[{"id":1}]"#).unwrap(),
            Shape::Many(vec![Item { id: 1 }])
        );
        // Serde's own untagged enum would read `[7]` as `One(Item { id: 7 })`.
        let err = decode::<Shape>(b"[7]").unwrap_err();
        assert!(
            err.starts_with("at `[0]`: invalid type: integer `7`"),
            "{err}"
        );
        let err = decode::<Holder>(br#"{"shape":[{"id":1},{"id":"x"}]}"#).unwrap_err();
        assert!(
            err.starts_with("at `shape[1].id`: invalid type: string"),
            "{err}"
        );
        let err = decode::<Holder>(br#"{"shape":{"id":"x"}}"#).unwrap_err();
        assert!(
            err.starts_with("at `shape.id`: invalid type: string"),
            "{err}"
        );
        // An untagged enum inside another one: both paths are kept, joined.
        let err = decode::<Vec<Outer>>(br#"["x",{"shape":[{"id":1},[2]]}]"#).unwrap_err();
        assert!(
            err.starts_with("at `[1].shape[1]`: invalid type: sequence"),
            "{err}"
        );
        let err = decode::<Holder>(br#"{"shape":3}"#).unwrap_err();
        assert!(
            err.starts_with("at `shape`: data did not match any variant of Shape: invalid type"),
            "{err}"
        );
    }

    #[derive(Debug, serde::Deserialize)]
    struct Lists {
        #[serde(default, deserialize_with = "null_as_default")]
        optional: Vec<i64>,
        #[allow(dead_code)]
        required: Vec<i64>,
    }

    #[test]
    fn null_in_a_defaulted_field_is_its_default_and_a_required_one_still_fails() {
        for body in [
            &br#"{"optional":null,"required":[]}"#[..],
            br#"{"required":[]}"#,
        ] {
            assert!(decode::<Lists>(body).unwrap().optional.is_empty());
        }
        assert_eq!(
            decode::<Lists>(br#"{"optional":[1],"required":[]}"#)
                .unwrap()
                .optional,
            [1]
        );
        let err = decode::<Lists>(br#"{"optional":null,"required":null}"#).unwrap_err();
        assert!(
            err.starts_with("at `required`: invalid type: null"),
            "{err}"
        );
    }

    #[derive(Debug, serde::Deserialize)]
    struct Limits {
        #[serde(default = "twenty", deserialize_with = "limit_null_as_default")]
        limit: i64,
    }
    fn twenty() -> i64 {
        20
    }
    fn limit_null_as_default<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        super::null_or(d, twenty)
    }

    #[test]
    fn null_in_a_field_with_a_spec_default_is_that_default() {
        for (body, limit) in [
            (&br#"{"limit":null}"#[..], 20),
            (b"{}", 20),
            (br#"{"limit":3}"#, 3),
        ] {
            assert_eq!(decode::<Limits>(body).unwrap().limit, limit);
        }
    }

    #[derive(Debug, serde::Deserialize)]
    struct Texts {
        en: Option<String>,
        #[serde(flatten, deserialize_with = "lenient_map")]
        extra: HashMap<String, String>,
    }

    #[test]
    fn a_catch_all_map_skips_odd_entries_and_declared_keys_are_named() {
        let texts = decode::<Texts>(br#"{"en":"Order","fr":{"short":"x"},"es":"Pedido"}"#).unwrap();
        assert_eq!(texts.en.as_deref(), Some("Order"));
        assert_eq!(
            texts.extra,
            HashMap::from([("es".to_owned(), "Pedido".to_owned())])
        );
        let err = decode::<Texts>(br#"{"en":7}"#).unwrap_err();
        assert!(err.starts_with("at `en`: invalid type: integer"), "{err}");
    }

    /// Drift is reported, one event per unknown field and per undocumented enum
    /// value, and decoding still succeeds.
    #[test]
    fn drift_is_reported_and_tolerated() {
        use std::sync::{Arc, Mutex};
        use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

        crate::tolerant_enum! {
            /// A test enum.
            pub enum Colour { Red = "red", }
        }
        #[derive(Debug, serde::Deserialize)]
        struct Shirt {
            #[allow(dead_code)]
            colour: Colour,
        }

        struct Drift(Arc<Mutex<Vec<String>>>);
        impl<S: tracing::Subscriber> Layer<S> for Drift {
            fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
                struct Kind(String);
                impl tracing::field::Visit for Kind {
                    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
                        if field.name() == "drift" {
                            self.0 = value.to_owned();
                        }
                    }
                    fn record_debug(&mut self, _: &tracing::field::Field, _: &dyn std::fmt::Debug) {
                    }
                }
                if event.metadata().target() == super::DRIFT_TARGET {
                    let mut kind = Kind(String::new());
                    event.record(&mut kind);
                    self.0.lock().unwrap().push(kind.0);
                }
            }
        }
        let seen = Arc::new(Mutex::new(Vec::new()));
        let subscriber = tracing_subscriber::registry().with(Drift(seen.clone()));
        assert_eq!(Colour::KNOWN, [Colour::Red]);
        tracing::subscriber::with_default(subscriber, || {
            let known: Shirt = decode(br#"{"colour": "red"}"#).unwrap();
            assert_eq!(known.colour, Colour::Red);
            let drifted: Shirt = decode(br#"{"colour": "teal", "size": {"eu": 52}}"#).unwrap();
            assert_eq!(drifted.colour, Colour::Other("teal".into()));
        });
        assert_eq!(*seen.lock().unwrap(), ["enum_value", "unknown_field"]);
    }
}
