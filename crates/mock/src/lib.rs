//! An embedded mock of the marketplaces' messaging APIs: stateful, deterministic from a
//! seed, served on loopback over plain HTTP/1, so that the SDK's clients (and the
//! layers above them) can run without a seller account.
//!
//! Each marketplace listens on its own ephemeral port of `127.0.0.1`, as each vendor
//! is its own origin (the clients refuse cross-origin redirects, and a fault or an
//! outage of one marketplace must leave the others untouched). The world — orders,
//! buyers, threads, messages, read state, attachments — is generated from
//! [`MockConfig::seed`] and the size, and every write the APIs document changes it.
//!
//! ```
//! use marketplace_mock::{MockConfig, MockMarketplace};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! let mock = MockMarketplace::start(MockConfig { threads: 3, ..MockConfig::default() }).await?;
//! let lectronz = mock.lectronz();
//! assert!(lectronz.base_url.starts_with("http://127.0.0.1:"));
//! assert!(lectronz.base_url.ends_with("/api/v1"));
//! # Ok(())
//! # }
//! ```

mod http_util;
mod lectronz;
mod metro;
mod metro_subscriptions;
mod rng;
mod skyhub;
mod yandex;

use std::net::SocketAddr;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use http_util::UNROUTED_HEADER;
pub use lectronz::LectronzAccess;
pub use metro::MetroAccess;
pub use skyhub::SkyhubAccess;
pub use yandex::YandexAccess;

pub use marketplace_runtime::SignatureEncoding;

/// What world to build, and how the marketplaces behave where their documents leave
/// it open.
#[derive(Clone, Debug)]
pub struct MockConfig {
    /// Seed of the world: the same seed and size give the same orders, buyers,
    /// threads and messages on every run.
    pub seed: u64,
    /// Number of threads per marketplace (Lectronz orders, SkyHub tickets, …).
    pub threads: usize,
    /// Messages in each thread as generated (writes add more).
    pub messages_per_thread: usize,
    /// The vendor facts no document confirms, each a switch.
    pub unconfirmed: Unconfirmed,
}

/// The vendor facts ARCHITECTURE.md lists as unconfirmed, as switches. Each defaults to
/// the SDK's assumption; running the mock under the alternative shows whether the SDK
/// (or code built on it) depends on the guess, so the mock cannot quietly prove the
/// SDK's own assumptions.
#[derive(Clone, Debug)]
pub struct Unconfirmed {
    /// How METRO writes `X-Signature` (METRO's prose says base64, its sample and the
    /// public clients hex). Default: lower-case hex, as the SDK signs.
    pub metro_signature_encoding: SignatureEncoding,
    /// Which `Authorization` form Yandex Market takes for OAuth tokens. Default:
    /// `Bearer`, as the SDK sends.
    pub yandex_oauth: YandexOAuthForm,
    /// SkyHub SAC's rate limit (not published), in requests per second; `None`: no
    /// limit. Default: 1, the documented rate of SkyHub's "other endpoints", at which
    /// the SDK spaces SkyHub requests. Beyond it (with bursts of two, which absorb
    /// arrival jitter) the mock answers 429.
    pub skyhub_requests_per_second: Option<f64>,
    /// The UTC offset, in hours, of SkyHub's offset-less chat timestamps. Default:
    /// −3, America/Sao_Paulo, which the SDK presumes.
    pub skyhub_utc_offset_hours: i32,
}

impl Default for Unconfirmed {
    fn default() -> Self {
        Unconfirmed {
            metro_signature_encoding: SignatureEncoding::Hex,
            yandex_oauth: YandexOAuthForm::Bearer,
            skyhub_requests_per_second: Some(1.0),
            skyhub_utc_offset_hours: -3,
        }
    }
}

/// How an OAuth token is sent to Yandex Market.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum YandexOAuthForm {
    /// `Authorization: Bearer <token>` (the SDK's assumption).
    Bearer,
    /// `Authorization: OAuth <token>` (Yandex ID's form for its other APIs).
    OAuth,
}

impl Default for MockConfig {
    /// A small world: 20 threads of 4 messages, seed 7, the SDK's assumptions.
    fn default() -> Self {
        MockConfig {
            seed: 7,
            threads: 20,
            messages_per_thread: 4,
            unconfirmed: Unconfirmed::default(),
        }
    }
}

/// A running mock: one loopback HTTP server per marketplace. Dropping it stops them.
#[derive(Debug)]
pub struct MockMarketplace {
    lectronz: LectronzAccess,
    skyhub: SkyhubAccess,
    yandex: YandexAccess,
    metro: MetroAccess,
    servers: Vec<JoinHandle<()>>,
}

impl MockMarketplace {
    /// Builds the world and starts serving every marketplace on `127.0.0.1` (ephemeral
    /// ports). Fails only if a loopback port cannot be bound.
    pub async fn start(config: MockConfig) -> std::io::Result<MockMarketplace> {
        let mut servers = Vec::new();

        let listener = bind().await?;
        let host = host_url(listener.local_addr()?);
        let (lectronz, router) = lectronz::start(&config, &host);
        servers.push(serve(listener, router));

        let listener = bind().await?;
        let host = host_url(listener.local_addr()?);
        let (skyhub, router) = skyhub::start(&config, &host);
        servers.push(serve(listener, router));

        let listener = bind().await?;
        let host = host_url(listener.local_addr()?);
        let (yandex, router) = yandex::start(&config, &host);
        servers.push(serve(listener, router));

        // METRO serves Message Center and Subscriptions from two hosts.
        let listener = bind().await?;
        let subscriptions = bind().await?;
        let host = host_url(listener.local_addr()?);
        let subscriptions_host = host_url(subscriptions.local_addr()?);
        let (metro, router) = metro::start(&config, &host, &subscriptions_host);
        servers.push(serve(listener, router));
        let signing = metro::Signing::new(&metro, config.unconfirmed.metro_signature_encoding);
        servers.push(serve(
            subscriptions,
            metro_subscriptions::start(&config, signing),
        ));

        Ok(MockMarketplace {
            lectronz,
            skyhub,
            yandex,
            metro,
            servers,
        })
    }

    /// Where Lectronz is served, and the API key it accepts.
    pub fn lectronz(&self) -> &LectronzAccess {
        &self.lectronz
    }

    /// Where SkyHub (Americanas) SAC is served, and the three header values it accepts.
    pub fn skyhub(&self) -> &SkyhubAccess {
        &self.skyhub
    }
}

impl MockMarketplace {
    /// Where Yandex Market's Partner API (chats) is served, the cabinet it holds and
    /// the tokens it accepts.
    pub fn yandex(&self) -> &YandexAccess {
        &self.yandex
    }

    /// Where METRO Markets' Message Center and Subscriptions are served, and the
    /// client key and secret the requests are signed with.
    pub fn metro(&self) -> &MetroAccess {
        &self.metro
    }
}

impl Drop for MockMarketplace {
    fn drop(&mut self) {
        for server in &self.servers {
            server.abort();
        }
    }
}

async fn bind() -> std::io::Result<TcpListener> {
    TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await
}

fn host_url(addr: SocketAddr) -> String {
    format!("http://{addr}")
}

/// The largest request body the mock reads. axum's default (2 MB) is below the
/// uploads' documented limits (5 MB at Yandex, 10 MB at METRO), which must be
/// answered with the vendor's own error, so the mock reads well beyond them.
pub(crate) const BODY_LIMIT: usize = 32 * 1024 * 1024;

fn serve(listener: TcpListener, router: axum::Router) -> JoinHandle<()> {
    let router = router.layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT));
    tokio::spawn(async move {
        // `serve` only returns on a listener error; the mock then stops serving that
        // marketplace, which its clients see as refused connections.
        let _ = axum::serve(listener, router).await;
    })
}
