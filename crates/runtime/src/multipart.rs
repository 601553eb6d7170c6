//! Sending `multipart/form-data` requests through a generated client.
//!
//! progenitor cannot generate multipart bodies, so such operations are written by
//! hand in their client crate. [`send`] gives them everything a generated operation
//! has: the same hooks (auth, signing, tracing span) and the same typed success and
//! error decoding, so a hand-written operation behaves like a generated one.

use progenitor_client::{ClientHooks, ClientInfo, Error, OperationInfo, ResponseValue};
use reqwest::Method;
use reqwest::header::{ACCEPT, HeaderValue};
use serde::de::DeserializeOwned;

pub use reqwest::multipart::{Form, Part};

use crate::{ApiErrorBody, Runtime};

/// Sends `form` to `url` as operation `operation_id` and decodes the answer: any 2xx
/// body as `T`, a 4xx/5xx body as the spec's error schema `E` (name it:
/// `send::<_, _, types::ErrorResponse>(…)`), failing with the runtime's
/// [`Error`](crate::Error) like every generated `send()`.
///
/// The body is a stream, so hooks that sign the body (METRO) sign an empty body,
/// which is what the marketplaces specify for multipart uploads.
pub async fn send<C, T, E>(
    client: &C,
    operation_id: &'static str,
    method: Method,
    url: &str,
    form: Form,
) -> crate::Result<ResponseValue<T>>
where
    C: ClientInfo<Runtime> + ClientHooks<Runtime>,
    T: DeserializeOwned,
    E: DeserializeOwned + ApiErrorBody,
{
    send_generated::<C, T, E>(client, operation_id, method, url, form)
        .await
        .map_err(crate::Error::from)
}

/// [`send`] with progenitor's error type, as the hooks and decoder produce it.
async fn send_generated<C, T, E>(
    client: &C,
    operation_id: &'static str,
    method: Method,
    url: &str,
    form: Form,
) -> Result<ResponseValue<T>, Error<E>>
where
    C: ClientInfo<Runtime> + ClientHooks<Runtime>,
    T: DeserializeOwned,
    E: DeserializeOwned,
{
    let info = OperationInfo { operation_id };
    let mut request = client
        .client()
        .request(method, url)
        .header(ACCEPT, HeaderValue::from_static("application/json"))
        .multipart(form)
        .build()
        .map_err(Error::CommunicationError)?;
    client.pre(&mut request, &info).await?;
    let result = client.exec(request, &info).await;
    client.post(&result, &info).await?;
    let response = result.map_err(Error::CommunicationError)?;
    match response.status().as_u16() {
        // Decoded like every generated operation: a body that does not match keeps
        // the failing JSON path and an excerpt.
        200..=299 => crate::decode::from_response(response).await,
        400..=599 => Err(Error::ErrorResponse(
            crate::decode::from_response(response).await?,
        )),
        _ => Err(Error::UnexpectedResponse(response)),
    }
}
