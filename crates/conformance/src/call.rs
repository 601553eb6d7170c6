//! A recorded call and what replaying it produced.
//!
//! This crate's build script generates, for each client, a `dispatch(&Client, &Call)
//! -> Outcome` (`marketplace_codegen::replay`) that maps an operation id and its
//! recorded arguments onto the generated builder; the harness builds the [`Call`]
//! from a fixture's recorded request.

use marketplace_runtime::Error;
use progenitor_client::ResponseValue;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// Where an operation parameter travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Location {
    /// A `{name}` path segment.
    Path,
    /// A query-string parameter.
    Query,
    /// A request header.
    Header,
}

/// One operation call with its arguments as JSON values, keyed by the spec's
/// parameter names.
#[derive(Clone, Debug, Default)]
pub struct Call {
    /// The spec's `operationId`.
    pub operation: String,
    /// Path parameters.
    pub path: Map<String, Value>,
    /// Query parameters.
    pub query: Map<String, Value>,
    /// Header parameters.
    pub headers: Map<String, Value>,
    /// The JSON request body, if any.
    pub body: Option<Value>,
    /// The parts of a `multipart/form-data` body (hand-written operations).
    pub multipart: Vec<FilePart>,
}

/// One part of a multipart request body.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FilePart {
    /// Form field name.
    pub name: String,
    /// File name, for file parts.
    pub filename: Option<String>,
    /// The part's content type, if any.
    pub content_type: Option<String>,
    /// The part's bytes.
    pub content: Vec<u8>,
}

impl Call {
    /// The argument `name` at `location`, decoded into the builder's parameter type.
    pub fn arg<T: DeserializeOwned>(
        &self,
        location: Location,
        name: &str,
    ) -> Result<Option<T>, String> {
        let map = match location {
            Location::Path => &self.path,
            Location::Query => &self.query,
            Location::Header => &self.headers,
        };
        map.get(name)
            .map(|value| decode(value, &format!("{location:?} parameter `{name}`")))
            .transpose()
    }

    /// The multipart part named `name`.
    pub fn part(&self, name: &str) -> Result<&FilePart, String> {
        self.multipart
            .iter()
            .find(|part| part.name == name)
            .ok_or_else(|| format!("the multipart body has no part `{name}`"))
    }

    /// The request body decoded into the builder's body type.
    pub fn body<T: DeserializeOwned>(&self) -> Result<Option<T>, String> {
        self.body
            .as_ref()
            .map(|value| decode(value, "request body"))
            .transpose()
    }
}

fn decode<T: DeserializeOwned>(value: &Value, what: &str) -> Result<T, String> {
    serde_json::from_value(value.clone()).map_err(|e| {
        format!(
            "{what} {value} does not fit `{}`: {e}",
            std::any::type_name::<T>()
        )
    })
}

/// What a replayed call produced.
#[derive(Debug)]
pub enum Outcome {
    /// A success response, decoded.
    Success {
        /// HTTP status.
        status: u16,
        /// The decoded typed value, pretty-printed with `Debug`: exactly what
        /// application code receives (`None`s, `Other("…")` enum values included).
        decoded: String,
    },
    /// The call failed; the error is what application code would see.
    Failure(Error),
    /// The fixture's arguments did not fit the operation's parameter types.
    BadArguments(String),
}

impl Outcome {
    /// Converts the result of a generated `send()` or a hand-written operation.
    pub fn from_result<T: std::fmt::Debug, E: Into<Error>>(
        result: Result<ResponseValue<T>, E>,
    ) -> Self {
        match result {
            Ok(response) => Outcome::Success {
                status: response.status().as_u16(),
                decoded: format!("{:#?}", response.into_inner()),
            },
            Err(error) => Outcome::Failure(error.into()),
        }
    }
}
