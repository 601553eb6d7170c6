//! Bodies of the `ClientHooks` implementation every generated client gets.
//!
//! The house code generator emits, for each client,
//! `impl ClientHooks<Runtime> for Client` whose methods call these functions, so
//! the behaviour is written once, here, and every client shares it.

use std::time::Instant;

use progenitor_client::{Error as GeneratedError, OperationInfo};
use tracing::Instrument;

use crate::Runtime;

/// progenitor adds `api-version: <info.version>` to every request. No marketplace
/// defines that header, so it is removed rather than sent as noise (and recorded
/// fixtures stay exactly what the vendor documents).
const PROGENITOR_VERSION_HEADER: &str = "api-version";

/// Runs before each request: credentials and header hygiene.
pub async fn pre<E>(
    runtime: &Runtime,
    request: &mut reqwest::Request,
    _info: &OperationInfo,
) -> Result<(), GeneratedError<E>> {
    request.headers_mut().remove(PROGENITOR_VERSION_HEADER);
    runtime
        .auth()
        .apply(request)
        .map_err(GeneratedError::Custom)
}

/// Sends the request inside one tracing span per call.
///
/// The span (`marketplace.call`) carries the marketplace, operation id, method, URL
/// path (never the query, which may hold personal data), attempt number, status and
/// duration. Headers are never recorded, so credentials cannot leak into traces.
pub async fn exec(
    http: &reqwest::Client,
    runtime: &Runtime,
    request: reqwest::Request,
    info: &OperationInfo,
) -> reqwest::Result<reqwest::Response> {
    let span = tracing::info_span!(
        "marketplace.call",
        marketplace = runtime.marketplace(),
        operation = info.operation_id,
        method = %request.method(),
        path = request.url().path(),
        attempt = 1u32,
        status = tracing::field::Empty,
        duration_ms = tracing::field::Empty,
    );
    async move {
        let started = Instant::now();
        let result = http.execute(request).await;
        let span = tracing::Span::current();
        span.record("duration_ms", started.elapsed().as_millis() as u64);
        match &result {
            Ok(response) => {
                span.record("status", response.status().as_u16());
                tracing::debug!(status = response.status().as_u16(), "response received");
            }
            Err(error) => tracing::debug!(%error, "request failed"),
        }
        result
    }
    .instrument(span)
    .await
}
