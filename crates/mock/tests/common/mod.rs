//! Shared by the mock's tests: the specs, and a raw HTTP exchange that validates every
//! answer against the spec's schema for that operation and status.

#![allow(dead_code)] // Each test binary uses a different part of this module.

use marketplace_codegen::Spec;
use marketplace_codegen::lint::operations;
use marketplace_mock::{MockConfig, MockMarketplace};
use marketplace_runtime::MetroHmac;
use marketplace_spec_check::{Direction, SpecSchemas, workspace_root};
use reqwest::Method;
use serde_json::Value;

/// The client specs the mock serves, with the base URL each client takes (the
/// spec's paths go after it).
pub fn served(mock: &MockMarketplace) -> Vec<(&'static str, String)> {
    vec![
        ("lectronz", mock.lectronz().base_url.clone()),
        ("skyhub-sac", mock.skyhub().base_url.clone()),
        ("yandex-market-chats", mock.yandex().base_url.clone()),
        (
            "metro-message-center",
            mock.metro().message_center_url.clone(),
        ),
        (
            "metro-subscriptions",
            mock.metro().subscriptions_url.clone(),
        ),
    ]
}

/// The default world without SkyHub's assumed rate limit, so that tests can send
/// SkyHub requests back to back (the limit has its own test).
pub fn config() -> MockConfig {
    let mut config = MockConfig::default();
    config.unconfirmed.skyhub_requests_per_second = None;
    config
}

pub async fn small_mock() -> MockMarketplace {
    MockMarketplace::start(config())
        .await
        .expect("loopback ports bind")
}

pub fn load_spec(name: &str) -> Spec {
    Spec::load(&workspace_root().join(format!("specs/{name}.yaml")))
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Whether `path` (without query, percent-encoded segments) matches the template.
fn matches_template(template: &str, path: &str) -> bool {
    let t: Vec<&str> = template.trim_matches('/').split('/').collect();
    let p: Vec<&str> = path.trim_matches('/').split('/').collect();
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(t, p)| (t.starts_with('{') && t.ends_with('}') && !p.is_empty()) || t == p)
}

fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value["$ref"].as_str().and_then(|r| r.strip_prefix('#')) {
        Some(pointer) => doc.pointer(pointer).expect("local $ref resolves"),
        None => value,
    }
}

/// What a raw request carries to authenticate.
pub enum Credentials {
    /// Nothing (auth-rejection tests).
    None,
    /// Fixed headers (Lectronz, SkyHub, Yandex).
    Headers(Vec<(String, String)>),
    /// METRO's signature, computed per request over the URL and body sent.
    Metro {
        client_id: String,
        // Boxed: the keyed HMAC state is large beside the other variants.
        signer: Box<MetroHmac>,
    },
}

impl Credentials {
    fn headers(pairs: &[(&str, &str)]) -> Self {
        Credentials::Headers(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }
}

/// The credentials the mock hands out for `spec`.
pub fn credentials(mock: &MockMarketplace, spec: &str) -> Credentials {
    match spec {
        "lectronz" => Credentials::headers(&[(
            "authorization",
            &format!("Bearer {}", mock.lectronz().api_key),
        )]),
        "skyhub-sac" => {
            let s = mock.skyhub();
            Credentials::headers(&[
                ("x-user-email", &s.user_email),
                ("x-api-key", &s.api_key),
                ("x-accountmanager-key", &s.account_manager_key),
            ])
        }
        "yandex-market-chats" => Credentials::headers(&[("api-key", &mock.yandex().api_key)]),
        "metro-message-center" | "metro-subscriptions" => Credentials::Metro {
            client_id: mock.metro().client_id.clone(),
            signer: Box::new(MetroHmac::new(
                &mock.metro().client_id,
                &mock.metro().client_secret,
            )),
        },
        other => panic!("no credentials for {other}"),
    }
}

/// A validating client for `spec` on `mock`, with the credentials that work.
pub fn checked(mock: &MockMarketplace, spec: &str) -> Checked {
    // Lectronz's documents write paths without the `/api/v1` prefix; the tests too.
    let base_url = match spec {
        "lectronz" => mock.lectronz().api_url.clone(),
        _ => served(mock)
            .into_iter()
            .find(|(name, _)| *name == spec)
            .map(|(_, url)| url)
            .unwrap_or_else(|| panic!("{spec} is not served")),
    };
    Checked::new(spec, &base_url, credentials(mock, spec))
}

/// One request to the mock and its answer, validated against the spec.
pub struct Checked {
    spec: Spec,
    schemas: SpecSchemas,
    base_url: String,
    http: reqwest::Client,
    credentials: Credentials,
}

pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Option<Value>,
    /// The operation that answered.
    pub operation: String,
}

impl Checked {
    pub fn new(spec: &str, base_url: &str, credentials: Credentials) -> Self {
        let spec = load_spec(spec);
        let schemas = SpecSchemas::new(&spec.document);
        Checked {
            spec,
            schemas,
            base_url: base_url.to_owned(),
            http: reqwest::Client::new(),
            credentials,
        }
    }

    /// Sends `method path` (`path` relative to the base URL, may carry a query) with
    /// an optional JSON body; panics unless the answer conforms to the spec: the
    /// operation documents the status (or its class), and the body validates against
    /// the documented schema (or is empty where none is documented).
    pub async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        let body = body.map(|b| {
            (
                "application/json".to_owned(),
                serde_json::to_vec(&b).unwrap(),
            )
        });
        self.send_bytes(method, path, body).await
    }

    /// Like [`Checked::send`], with a body of any media type (`(content type, bytes)`).
    pub async fn send_bytes(
        &self,
        method: Method,
        path: &str,
        body: Option<(String, Vec<u8>)>,
    ) -> Answer {
        let url = reqwest::Url::parse(&format!("{}{path}", self.base_url)).unwrap();
        let mut request = self.http.request(method.clone(), url.clone());
        match &self.credentials {
            Credentials::None => {}
            Credentials::Headers(headers) => {
                for (name, value) in headers {
                    request = request.header(name, value);
                }
            }
            Credentials::Metro { client_id, signer } => {
                // As the SDK signs: the URL as sent, and an empty body for multipart.
                let timestamp = chrono::Utc::now().timestamp();
                let signed: &[u8] = match &body {
                    Some((t, bytes)) if !t.starts_with("multipart/") => bytes,
                    _ => b"",
                };
                let signature = signer.signature(method.as_str(), url.as_str(), signed, timestamp);
                request = request
                    .header("x-client-id", client_id)
                    .header("x-timestamp", timestamp.to_string())
                    .header("x-signature", signature);
            }
        }
        if let Some((content_type, bytes)) = body {
            request = request.header("content-type", content_type).body(bytes);
        }
        let response = request.send().await.expect("the mock answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("the body arrives");
        let doc = &self.spec.document;
        // The path on the wire (Lectronz's base here carries its `/api/v1` prefix,
        // which the spec's paths include).
        let bare = url.path();
        let op = operations(doc)
            .into_iter()
            .find(|op| {
                op.method == method.as_str().to_lowercase() && matches_template(op.path, bare)
            })
            .unwrap_or_else(|| panic!("{method} {bare} is no operation of {}", self.spec.name));
        let responses = &op.value["responses"];
        let class = format!("{}XX", status / 100);
        let documented = responses
            .get(status.to_string())
            .or_else(|| responses.get(&class))
            .unwrap_or_else(|| panic!("{} does not document {status}", op.id()));
        let documented = resolve(doc, documented);
        // The one documented media type (`application/json`, or METRO's
        // `application/problem+json`), and its schema.
        let (media_type, schema) = documented["content"]
            .as_object()
            .and_then(|content| content.iter().next())
            .map_or(("", &Value::Null), |(media_type, m)| {
                (media_type.as_str(), &m["schema"])
            });
        let parsed = if bytes.is_empty() {
            None
        } else {
            Some(serde_json::from_slice::<Value>(&bytes).unwrap_or_else(|e| {
                panic!(
                    "{} answered {status} with a body that is not JSON: {e}",
                    op.id()
                )
            }))
        };
        match (&parsed, schema.is_null()) {
            (Some(value), false) => {
                if let Err(errors) = self.schemas.validate(Direction::Response, schema, value) {
                    panic!(
                        "{} {status} does not conform to {}:\n{}\n{value:#}",
                        op.id(),
                        self.spec.display_path,
                        errors.join("\n")
                    );
                }
                let content_type = headers
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                assert!(
                    content_type.starts_with(media_type),
                    "{}: {content_type}",
                    op.id()
                );
            }
            (None, true) => {}
            (Some(value), true) => panic!("{} {status}: undocumented body {value}", op.id()),
            (None, false) => panic!("{} {status}: empty body, the spec documents one", op.id()),
        }
        Answer {
            status,
            headers,
            body: parsed,
            operation: op.id().to_owned(),
        }
    }
}

/// A `multipart/form-data` body with one file part, as `(content type, bytes)`.
pub fn multipart_file(
    field: &str,
    filename: &str,
    content_type: &str,
    data: &[u8],
) -> (String, Vec<u8>) {
    let boundary = "mock-test-boundary-7f3a";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(data);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// A METRO event receiver built with `marketplace-webhooks` on a loopback port, for the
/// mock's key pair; returns the URL to subscribe and what it was handed.
pub async fn metro_receiver(
    mock: &MockMarketplace,
) -> (
    String,
    std::sync::Arc<std::sync::Mutex<Vec<marketplace_webhooks::metro::Delivery>>>,
) {
    use marketplace_webhooks::{HandlerError, axum as hooks, metro};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/metro-markets/events",
        listener.local_addr().unwrap()
    );
    let receiver =
        metro::MetroReceiver::new(&url, &mock.metro().client_id, &mock.metro().client_secret)
            .unwrap();
    let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = received.clone();
    let app = axum::Router::new().nest(
        "/metro-markets",
        hooks::metro_router(receiver, move |delivery: metro::Delivery| {
            let log = log.clone();
            async move {
                log.lock().unwrap().push(delivery);
                Ok::<(), HandlerError>(())
            }
        }),
    );
    tokio::spawn(hooks::serve(listener, app, hooks::ServeLimits::default()));
    (url, received)
}
