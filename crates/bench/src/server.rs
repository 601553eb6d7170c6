//! A minimal hyper server on loopback: canned bodies per route, so the server is
//! never the bottleneck (wiremock matches every request against every mock; this
//! answers from a map).

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

/// Produces a response body for a request (method, path, query).
pub type Handler = Arc<dyn Fn(&str, &str, Option<&str>) -> Option<(u16, Bytes)> + Send + Sync>;

/// Canned routes: `(method, path)` → `(status, body)`.
pub fn canned(routes: HashMap<(&'static str, &'static str), (u16, Bytes)>) -> Handler {
    Arc::new(move |method, path, _query| routes.get(&(method, path)).cloned())
}

/// Serves `handler` on 127.0.0.1 (a random port) until the process ends.
pub async fn serve(handler: Handler) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            let handler = handler.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request: Request<Incoming>| {
                    let handler = handler.clone();
                    async move {
                        let (method, uri) =
                            (request.method().as_str().to_owned(), request.uri().clone());
                        // Read (and drop) the body so keep-alive connections stay usable.
                        let _ = http_body_util::BodyExt::collect(request.into_body()).await;
                        let (status, body) = handler(&method, uri.path(), uri.query())
                            .unwrap_or((404, Bytes::from_static(b"{}")));
                        let response = Response::builder()
                            .status(status)
                            .header("content-type", "application/json")
                            .body(Full::new(body))
                            .expect("valid response");
                        Ok::<_, Infallible>(response)
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}
