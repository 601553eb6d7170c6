//! The recording proxy: a loopback HTTP server the client is pointed at, which
//! forwards each request to the marketplace and keeps both sides of the exchange.
//!
//! The client runs as in a fixture replay, with the conformance harness's fake
//! credentials; the proxy applies the live ones (the runtime's own `Authenticate`
//! scheme: METRO signed afresh over the marketplace's URL at the real time) to the
//! copy it sends on. What it keeps is the request as the client sent it, so the
//! live credentials never enter a recording.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use marketplace_runtime::Authenticate;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// The largest body either side may send (METRO's uploads are at most 10 MiB).
const BODY_LIMIT: usize = 16 * 1024 * 1024;

/// Headers that belong to one connection (RFC 9110 §7.6.1) or that the HTTP library
/// sets itself: never forwarded either way.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "host",
    "content-length",
];

/// A request as the client sent it.
#[derive(Clone, Debug)]
pub struct SentRequest {
    /// The method, upper case.
    pub method: String,
    /// The path as sent, percent-encoded.
    pub path: String,
    /// The query string as sent, if any.
    pub query: Option<String>,
    /// Every header, names lower case, in the order sent.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body bytes.
    pub body: Vec<u8>,
}

/// A response as the marketplace sent it.
#[derive(Clone, Debug)]
pub struct ReceivedResponse {
    /// The status code.
    pub status: u16,
    /// Every header, names lower case.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body bytes.
    pub body: Vec<u8>,
}

/// One request through the proxy and what came back.
#[derive(Clone, Debug)]
pub struct Exchange {
    /// The request as the client sent it (fake credentials).
    pub request: SentRequest,
    /// The headers the live credentials were written into (lower case).
    pub credential_headers: Vec<String>,
    /// When the request went on to the marketplace (Unix seconds).
    pub sent_at: i64,
    /// The marketplace's answer, or why there was none.
    pub response: Result<ReceivedResponse, String>,
}

struct Forwarding {
    upstream: String,
    auth: Box<dyn Authenticate>,
    client: reqwest::Client,
    exchanges: Mutex<Vec<Exchange>>,
}

/// A running recording proxy; dropping it stops the server.
pub struct Proxy {
    uri: String,
    state: Arc<Forwarding>,
    server: JoinHandle<()>,
}

impl Proxy {
    /// Starts a proxy on `127.0.0.1` that forwards to `upstream` (`scheme://host[:port]`,
    /// optionally with a path prefix), applying `auth` to every forwarded request.
    pub async fn start(upstream: &str, auth: Box<dyn Authenticate>) -> Result<Proxy, String> {
        let parsed = reqwest::Url::parse(upstream)
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https") && url.has_host())
            .ok_or_else(|| format!("--base-url {upstream:?} is not an http(s) URL"))?;
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(format!(
                "--base-url {upstream:?}: give scheme://host[:port] without a query"
            ));
        }
        let client = reqwest::Client::builder()
            // One exchange, as sent: a redirect goes back to the client, which decides.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("cannot build the proxy's HTTP client: {e}"))?;
        let state = Arc::new(Forwarding {
            upstream: upstream.trim_end_matches('/').to_owned(),
            auth,
            client,
            exchanges: Mutex::new(Vec::new()),
        });
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("cannot bind the recording proxy on 127.0.0.1: {e}"))?;
        let address = listener
            .local_addr()
            .map_err(|e| format!("recording proxy: {e}"))?;
        let app = Router::new().fallback(forward).with_state(state.clone());
        let server = tokio::spawn(async move {
            // Ends only when the task is aborted (on drop).
            let _ = axum::serve(listener, app).await;
        });
        Ok(Proxy {
            uri: format!("http://{address}"),
            state,
            server,
        })
    }

    /// `http://127.0.0.1:<port>`: the base URL to give the client.
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// Every exchange so far, oldest first.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.state
            .exchanges
            .lock()
            .map(|list| list.clone())
            .unwrap_or_default()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn forward(State(state): State<Arc<Forwarding>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, BODY_LIMIT).await {
        Ok(body) => body,
        Err(e) => return failure(StatusCode::BAD_REQUEST, &format!("request body: {e}")),
    };
    let sent = SentRequest {
        method: parts.method.as_str().to_owned(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: headers(&parts.headers),
        body: body.to_vec(),
    };
    let path_and_query = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let (credential_headers, sent_at, response) =
        send_on(&state, parts.method, &parts.headers, &path_and_query, body).await;
    let exchange = Exchange {
        request: sent,
        credential_headers,
        sent_at,
        response,
    };
    let answer = match &exchange.response {
        Ok(response) => answer(response),
        Err(why) => failure(StatusCode::BAD_GATEWAY, why),
    };
    if let Ok(mut list) = state.exchanges.lock() {
        list.push(exchange);
    }
    answer
}

/// Sends the request on with the live credentials; returns the headers they were
/// written into, the time it was sent and the answer.
async fn send_on(
    state: &Forwarding,
    method: axum::http::Method,
    client_headers: &HeaderMap,
    path_and_query: &str,
    body: axum::body::Bytes,
) -> (Vec<String>, i64, Result<ReceivedResponse, String>) {
    let url = format!("{}{path_and_query}", state.upstream);
    let mut request = match reqwest::Url::parse(&url) {
        Ok(url) => reqwest::Request::new(method, url),
        Err(e) => return (Vec::new(), now(), Err(format!("the request URL: {e}"))),
    };
    for (name, value) in client_headers {
        if !HOP_BY_HOP.contains(&name.as_str()) {
            request.headers_mut().append(name.clone(), value.clone());
        }
    }
    if !body.is_empty() {
        *request.body_mut() = Some(body.into());
    }
    let before = request.headers().clone();
    if let Err(e) = state.auth.authenticate(&mut request) {
        return (Vec::new(), now(), Err(format!("the live credentials: {e}")));
    }
    let credential_headers = changed_headers(&before, request.headers());
    let sent_at = now();
    let origin = request.url().origin().ascii_serialization();
    let response = match state.client.execute(request).await {
        Ok(response) => {
            let status = response.status().as_u16();
            let headers = headers(response.headers());
            match response.bytes().await {
                Ok(body) => Ok(ReceivedResponse {
                    status,
                    headers,
                    body: body.to_vec(),
                }),
                Err(e) => Err(format!("the answer of {origin} broke off: {}", chain(e))),
            }
        }
        Err(e) => Err(format!("{origin} did not answer: {}", chain(e))),
    };
    (credential_headers, sent_at, response)
}

/// The error and its causes, without the URL (its query may carry personal data).
fn chain(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

/// The names of the headers whose values `after` sets differently from `before`.
fn changed_headers(before: &HeaderMap, after: &HeaderMap) -> Vec<String> {
    let mut names: Vec<String> = after
        .keys()
        .filter(|name| before.get_all(*name).iter().ne(after.get_all(*name).iter()))
        .map(|name| name.as_str().to_owned())
        .collect();
    names.dedup();
    names
}

fn headers(map: &HeaderMap) -> Vec<(String, Vec<u8>)> {
    map.iter()
        .map(|(name, value)| (name.as_str().to_owned(), value.as_bytes().to_vec()))
        .collect()
}

/// The marketplace's answer, handed to the client as received.
fn answer(response: &ReceivedResponse) -> Response {
    let mut answer = Response::new(Body::from(response.body.clone()));
    *answer.status_mut() = StatusCode::from_u16(response.status).unwrap_or(StatusCode::BAD_GATEWAY);
    for (name, value) in &response.headers {
        if HOP_BY_HOP.contains(&name.as_str()) {
            continue;
        }
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            axum::http::HeaderValue::from_bytes(value),
        ) {
            answer.headers_mut().append(name, value);
        }
    }
    answer
}

fn failure(status: StatusCode, why: &str) -> Response {
    (status, format!("recording proxy: {why}")).into_response()
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}
