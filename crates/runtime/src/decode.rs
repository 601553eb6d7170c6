//! Response decoding for generated clients, with the JSON path that failed.
//!
//! The house code generator routes every `ResponseValue::from_response` of the
//! generated code through [`from_response`]. On success it is the same; on failure
//! (HTML from a proxy, an empty or truncated body, a field of the wrong type) the
//! error keeps the HTTP status, the JSON path that failed (`messages[3].created_at`)
//! and a truncated excerpt of the body, instead of a bare serde message.

use progenitor_client::{Error as GeneratedError, ResponseValue};
use serde::de::DeserializeOwned;

/// What went wrong decoding a body; travels in the rebuilt response's extensions
/// to [`crate::Error`].
#[derive(Clone, Debug)]
pub(crate) struct DecodeFailure {
    pub(crate) reason: String,
    pub(crate) body: bytes::Bytes,
}

/// Decodes a JSON response body as `T`; see the module docs.
#[doc(hidden)]
pub async fn from_response<T: DeserializeOwned, E>(
    response: reqwest::Response,
) -> Result<ResponseValue<T>, GeneratedError<E>> {
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .bytes()
        .await
        .map_err(GeneratedError::ResponseBodyError)?;
    match decode::<T>(&body) {
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

/// Decodes `body` as `T`, describing a failure with its JSON path.
///
/// The fast path is plain `serde_json`; only a body that fails is decoded a second
/// time with path tracking, so successful calls pay nothing for the diagnostics.
pub fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    if let Ok(value) = serde_json::from_slice(body) {
        return Ok(value);
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." || path.is_empty() {
            inner.to_string()
        } else {
            format!("at `{path}`: {inner}")
        }
    })?;
    deserializer.end().map_err(|e| e.to_string())?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::decode;

    #[derive(Debug, serde::Deserialize)]
    struct Page {
        #[allow(dead_code)]
        items: Vec<Item>,
    }
    #[derive(Debug, serde::Deserialize)]
    struct Item {
        #[allow(dead_code)]
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
}
