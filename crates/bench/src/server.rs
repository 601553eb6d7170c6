//! A minimal hyper server on loopback: canned bodies per route, so the server is
//! never the bottleneck (wiremock matches every request against every mock; this
//! answers from a map). The per-call benchmarks run it in a process of its own
//! ([`ServerProcess`]), so the server's work is neither counted with the client's
//! instructions nor scheduled on the client's runtime.

use std::collections::HashMap;
use std::convert::Infallible;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, ChildStdin, Command, Stdio};
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

/// `marketplace-bench serve`: serves the canned Lectronz and METRO routes, prints the
/// address on stdout and returns when stdin closes (its parent ended or dropped it).
pub async fn serve_until_stdin_closes() {
    let mut routes = crate::lectronz_routes();
    routes.extend(crate::metro::routes());
    let addr = serve(canned(routes)).await;
    println!("{addr}");
    tokio::task::spawn_blocking(|| {
        let _ = std::io::stdin().read_to_end(&mut Vec::new());
    })
    .await
    .expect("stdin reader");
}

/// The canned server as a child process (this binary, `serve`); ended on drop.
pub struct ServerProcess {
    child: Child,
    /// Held so the child's stdin stays open until drop.
    _stdin: ChildStdin,
    pub base_url: String,
}

impl ServerProcess {
    pub fn start() -> Result<ServerProcess, String> {
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        let mut child = Command::new(exe)
            .arg("serve")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start the server process: {e}"))?;
        let stdin = child.stdin.take().ok_or("no stdin")?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        let addr: SocketAddr = line
            .trim()
            .parse()
            .map_err(|_| format!("the server process printed {line:?}, not its address"))?;
        Ok(ServerProcess {
            child,
            _stdin: stdin,
            base_url: format!("http://{addr}"),
        })
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
