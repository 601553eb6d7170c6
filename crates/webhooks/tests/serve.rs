//! `marketplace_webhooks::axum::serve` against slow and greedy clients, over raw TCP
//! on 127.0.0.1: half-sent headers, a dribbled body, more connections than allowed.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use marketplace_webhooks::HandlerError;
use marketplace_webhooks::axum::{ServeLimits, serve, yandex_router};
use marketplace_webhooks::yandex::{Notification, YandexReceiver};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const PING: &str = r#"{"notificationType":"PING"}"#;

/// Serves a Yandex receiver (its body read deadline `body_timeout`) with `limits`.
async fn start(limits: ServeLimits, body_timeout: Duration) -> SocketAddr {
    let receiver = YandexReceiver::new("fake-shop", "1.0.0")
        .unwrap()
        .body_read_timeout(body_timeout);
    let app = yandex_router(receiver, |_: Notification| async {
        Ok::<(), HandlerError>(())
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve(listener, app, limits));
    addr
}

fn request_head(content_length: usize) -> String {
    format!(
        "POST /notification HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: {content_length}\r\nconnection: close\r\n\r\n"
    )
}

/// Everything the server sends until it closes, or `None` if it neither answers
/// nor closes within `wait`.
async fn read_answer(stream: &mut TcpStream, wait: Duration) -> Option<String> {
    let mut answer = Vec::new();
    match tokio::time::timeout(wait, stream.read_to_end(&mut answer)).await {
        Ok(_) => Some(String::from_utf8_lossy(&answer).into_owned()),
        Err(_) => None,
    }
}

#[tokio::test]
async fn half_sent_headers_are_closed_after_the_header_timeout() {
    let limits = ServeLimits::default().header_read_timeout(Duration::from_millis(300));
    let addr = start(limits, Duration::from_secs(10)).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"POST /notification HTTP/1.1\r\nhost: 127.0.0.1\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let answer = read_answer(&mut stream, Duration::from_secs(5)).await;
    let waited = started.elapsed();
    assert!(
        answer.is_some(),
        "a connection with half-sent headers is still open after 5 s"
    );
    assert!(
        waited >= Duration::from_millis(250),
        "closed after {waited:?}, before the timeout"
    );
}

#[tokio::test]
async fn a_dribbled_body_is_answered_408_at_the_body_deadline() {
    let addr = start(ServeLimits::default(), Duration::from_millis(500)).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let body = format!("{PING}{}", " ".repeat(200 - PING.len()));
    stream
        .write_all(request_head(200).as_bytes())
        .await
        .unwrap();
    let (mut reader, mut writer) = stream.into_split();
    // One byte every 100 ms: 20 s for the whole body, every byte well inside any
    // per-read idle timeout.
    tokio::spawn(async move {
        for byte in body.bytes() {
            if writer.write_all(&[byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let started = Instant::now();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), async {
        let mut buf = [0u8; 1024];
        // Until the status line is in.
        while !answer.windows(2).any(|w| w == b"\r\n") {
            match reader.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(read.is_ok(), "no answer 5 s into a dribbled body");
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.starts_with("HTTP/1.1 408"),
        "after {:?}: {answer:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn connections_over_the_limit_wait_for_a_free_slot() {
    let limits = ServeLimits::default()
        .max_connections(1)
        .header_read_timeout(Duration::from_secs(30));
    let addr = start(limits, Duration::from_secs(10)).await;
    // The one allowed connection, idle with half-sent headers.
    let mut first = TcpStream::connect(addr).await.unwrap();
    first
        .write_all(b"POST /notification HTTP/1.1\r\n")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    // A second, complete request waits (the kernel holds it in the backlog)…
    let mut second = TcpStream::connect(addr).await.unwrap();
    second
        .write_all(format!("{}{PING}", request_head(PING.len())).as_bytes())
        .await
        .unwrap();
    assert_eq!(
        read_answer(&mut second, Duration::from_millis(500)).await,
        None,
        "a connection over the limit was served"
    );
    // …and is served once the first one goes away.
    drop(first);
    let answer = read_answer(&mut second, Duration::from_secs(5))
        .await
        .expect("served once a slot is free");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}
