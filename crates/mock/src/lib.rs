//! An embedded mock of the marketplaces' messaging APIs: stateful, deterministic from a
//! seed, served on loopback over plain HTTP/1, so that the SDK's clients (and the
//! layers above them) can run without a seller account.
//!
//! Every operation of the five client specs is served: Lectronz (under `/api/v1`),
//! SkyHub SAC, Yandex Market chats, METRO Message Center and METRO Subscriptions. Each
//! API listens on its own ephemeral port of `127.0.0.1`, as each vendor is its own
//! origin (the clients refuse cross-origin redirects, and a fault or an outage of one
//! marketplace must leave the others untouched). The world — orders, buyers, threads,
//! messages, read state, attachments — is generated from [`MockConfig::seed`] and the
//! size, and every write the APIs document changes it. Answers are built from the
//! client crates' generated types, credentials are checked the way each marketplace
//! checks them, and the vendor facts no document confirms are switches
//! ([`Unconfirmed`]).
//!
//! Besides the APIs: a request [journal](MockMarketplace::journal), buyers acting
//! ([`MockMarketplace::buyer_writes`]), [faults](MockMarketplace::set_faults),
//! Yandex's quotas ([`YandexQuotas`]) and pushed webhooks ([`Webhooks`]); the admin
//! calls are also served over HTTP under [`ADMIN_PREFIX`] on every port.
//!
//! ```
//! use marketplace_mock::{MockConfig, MockMarketplace};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mock = MockMarketplace::start(MockConfig { threads: 3, ..MockConfig::default() }).await?;
//! let lectronz = mock.lectronz();
//! assert!(lectronz.base_url.starts_with("http://127.0.0.1:"));
//! assert_eq!(lectronz.api_url, format!("{}/api/v1", lectronz.base_url));
//!
//! let client = marketplace_lectronz::Client::builder(&lectronz.api_key)
//!     .base_url(&lectronz.base_url)
//!     .build()?;
//! let page = client.list_messages().send().await.map_err(marketplace_runtime::Error::from)?;
//! assert_eq!(page.total_count, 3 * 4);
//! # Ok(())
//! # }
//! ```

mod admin;
mod delay;
mod faults;
mod http_util;
mod journal;
mod lectronz;
mod metro;
mod metro_subscriptions;
mod push;
mod rng;
mod skyhub;
mod yandex;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use serde::Serialize;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use admin::{AdminError, BuyerAction, PREFIX as ADMIN_PREFIX, ThreadCensus};
pub use faults::{Faults, Latency};
pub use http_util::UNROUTED_HEADER;
pub use journal::{JournalEntry, REDACTED};
pub use lectronz::{API_PREFIX as LECTRONZ_API_PREFIX, LectronzAccess};
pub use metro::MetroAccess;
pub use push::{MetroDeliverySigning, Webhooks};
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
    /// Yandex Market's per-method quotas: how long a quota window lasts (Yandex: one
    /// hour) and, to hit the quotas in a test, one limit for every method instead of
    /// the documented ones (1 000 to 10 000 per hour).
    pub yandex_quotas: YandexQuotas,
    /// Where and how webhooks are pushed.
    pub webhooks: Webhooks,
    /// How many requests the journal keeps (the oldest go first); 0 switches it off
    /// (for benchmarks: no body is then buffered for it).
    pub journal_capacity: usize,
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
    /// How METRO signs its deliveries (not documented). Default: like its API
    /// requests, the scheme `marketplace-webhooks` verifies by default.
    pub metro_delivery_signing: MetroDeliverySigning,
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
            metro_delivery_signing: MetroDeliverySigning::LikeRequests,
        }
    }
}

/// Yandex Market's per-method quotas.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YandexQuotas {
    /// The length of a quota window (Yandex: an hour). It starts with a method's first
    /// request; `X-RateLimit-Resource-Until` is its end.
    pub window: std::time::Duration,
    /// One limit for every method; `None`: each method's documented hourly quota.
    pub limit: Option<u32>,
}

impl Default for YandexQuotas {
    fn default() -> Self {
        YandexQuotas {
            window: std::time::Duration::from_secs(3600),
            limit: None,
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
    /// A small world: 20 threads of 4 messages, seed 7, the SDK's assumptions, a
    /// journal of 10 000 requests.
    fn default() -> Self {
        MockConfig {
            seed: 7,
            threads: 20,
            messages_per_thread: 4,
            unconfirmed: Unconfirmed::default(),
            journal_capacity: 10_000,
            yandex_quotas: YandexQuotas::default(),
            webhooks: Webhooks::default(),
        }
    }
}

/// A running mock: one loopback HTTP server per marketplace. Dropping it stops them.
pub struct MockMarketplace {
    lectronz: LectronzAccess,
    skyhub: SkyhubAccess,
    yandex: YandexAccess,
    metro: MetroAccess,
    journal: Arc<Journal>,
    buyers: Vec<(Api, Arc<dyn Buyer>)>,
    metro_events: metro_subscriptions::MetroEvents,
    faults: Vec<(Api, Arc<FaultState>)>,
    servers: Vec<JoinHandle<()>>,
}

impl MockMarketplace {
    /// Builds the world and starts serving every marketplace on `127.0.0.1` (ephemeral
    /// ports). Fails only if a loopback port cannot be bound.
    pub async fn start(config: MockConfig) -> std::io::Result<MockMarketplace> {
        let journal = Arc::new(Journal::new(config.journal_capacity));
        let mut servers = Vec::new();
        let mut buyers: Vec<(Api, Arc<dyn Buyer>)> = Vec::new();
        let mut fault_states = Vec::new();
        let mut serve = |api: Api, listener, router, buyer: Option<Arc<dyn Buyer>>| {
            if let Some(buyer) = &buyer {
                buyers.push((api, buyer.clone()));
            }
            let fault = Arc::new(FaultState::new(config.seed, api.name(), api.error_body()));
            fault_states.push((api, fault.clone()));
            // Outermost first: the body limit, the journal (which so records faulted,
            // refused and unrouted requests too), the faults, then the API.
            let router = Router::new()
                .merge(router)
                .merge(admin::router(api, journal.clone(), buyer, fault.clone()))
                .layer(middleware::from_fn_with_state(fault, faults::inject))
                .layer(middleware::from_fn_with_state(
                    (api, journal.clone()),
                    journal::record,
                ))
                .layer(DefaultBodyLimit::max(BODY_LIMIT));
            servers.push(spawn(listener, router));
        };

        let listener = bind().await?;
        let host = host_url(listener.local_addr()?);
        let (lectronz, router, buyer) = lectronz::start(&config, &host);
        serve(Api::Lectronz, listener, router, Some(Arc::new(buyer)));

        let listener = bind().await?;
        let host = host_url(listener.local_addr()?);
        let (skyhub, router, buyer) = skyhub::start(&config, &host);
        serve(Api::SkyhubSac, listener, router, Some(Arc::new(buyer)));

        let listener = bind().await?;
        let host = host_url(listener.local_addr()?);
        let (yandex, router, buyer) = yandex::start(&config, &host);
        serve(
            Api::YandexMarketChats,
            listener,
            router,
            Some(Arc::new(buyer)),
        );

        // METRO serves Message Center and Subscriptions from two hosts.
        let listener = bind().await?;
        let subscriptions = bind().await?;
        let host = host_url(listener.local_addr()?);
        let subscriptions_host = host_url(subscriptions.local_addr()?);
        let (metro, router, buyer) = metro::start(&config, &host, &subscriptions_host);
        serve(
            Api::MetroMessageCenter,
            listener,
            router,
            Some(Arc::new(buyer)),
        );
        let signing = metro::Signing::new(&metro, config.unconfirmed.metro_signature_encoding);
        let (router, metro_events) = metro_subscriptions::start(&config, signing, &metro);
        serve(Api::MetroSubscriptions, subscriptions, router, None);

        Ok(MockMarketplace {
            lectronz,
            skyhub,
            yandex,
            metro,
            journal,
            buyers,
            metro_events,
            faults: fault_states,
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

    /// Every request the mock received (admin calls excepted), oldest first, at most
    /// [`MockConfig::journal_capacity`] of them. Also served as JSON by each API's
    /// server at `GET /__mock/journal` (that API's entries).
    ///
    /// ```
    /// # use marketplace_mock::{Api, MockConfig, MockMarketplace};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mock = MockMarketplace::start(MockConfig::default()).await.unwrap();
    /// let url = format!("{}/messages?limit=1", mock.lectronz().api_url);
    /// reqwest::get(url).await.unwrap(); // no credentials: 401, journaled all the same
    /// let entry = &mock.journal_of(Api::Lectronz)[0];
    /// assert_eq!((entry.request_line().as_str(), entry.status), ("GET /api/v1/messages?limit=1", 401));
    /// # }
    /// ```
    pub fn journal(&self) -> Vec<JournalEntry> {
        self.journal.entries(None)
    }

    /// The requests one API received.
    pub fn journal_of(&self, api: Api) -> Vec<JournalEntry> {
        self.journal.entries(Some(api))
    }

    /// Forgets every journaled request.
    pub fn clear_journal(&self) {
        self.journal.clear(None);
    }

    fn buyer(&self, api: Api) -> Result<&Arc<dyn Buyer>, AdminError> {
        self.buyers
            .iter()
            .find(|(a, _)| *a == api)
            .map(|(_, buyer)| buyer)
            .ok_or_else(|| AdminError(format!("{api:?} has no buyers")))
    }

    /// The buyer of `thread` writes `text` in it (`POST /__mock/buyer/messages` with
    /// `{"thread", "text"}` on that API's server). `thread` is the Lectronz order id,
    /// the SkyHub ticket code, the Yandex chat id or the METRO chat id.
    pub fn buyer_writes(
        &self,
        api: Api,
        thread: &str,
        text: &str,
    ) -> Result<BuyerAction, AdminError> {
        self.buyer(api)?.write(thread, text)
    }

    /// A buyer opens a thread with `text` (`POST /__mock/buyer/chats` with
    /// `{"order"?, "text"}`): on METRO about the order with id `order`; on Yandex a
    /// chat the buyer starts (`DIRECT`); on SkyHub a ticket, and on Lectronz a
    /// message, about a new order.
    pub fn buyer_opens_chat(
        &self,
        api: Api,
        order: Option<&str>,
        text: &str,
    ) -> Result<BuyerAction, AdminError> {
        self.buyer(api)?.open(order, text)
    }

    /// Every thread `api`'s world holds, with its message count, sorted: what a
    /// client that reads everything should have (`[]` for an API without threads).
    ///
    /// ```
    /// # use marketplace_mock::{Api, MockConfig, MockMarketplace};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mock = MockMarketplace::start(MockConfig { threads: 3, ..MockConfig::default() }).await.unwrap();
    /// let orders = mock.census(Api::Lectronz);
    /// assert_eq!(orders.len(), 3);
    /// assert!(orders.iter().all(|o| o.messages == 4));
    /// # }
    /// ```
    pub fn census(&self, api: Api) -> Vec<ThreadCensus> {
        let mut threads = self.buyer(api).map(|b| b.census()).unwrap_or_default();
        threads.sort();
        threads
    }

    /// METRO emits an order event: it is delivered, signed the METRO way, to every
    /// active subscription to it (created through the Subscriptions API), each in the
    /// background and retried with backoff ([`Webhooks::retries`],
    /// [`Webhooks::backoff`]) until the receiver answers `200 {"status":"OK"}`.
    /// Returns how many deliveries were queued (0: nobody subscribed).
    ///
    /// ```
    /// # use marketplace_mock::{MetroEvent, MockConfig, MockMarketplace};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mock = MockMarketplace::start(MockConfig::default()).await.unwrap();
    /// let event = MetroEvent::OrderCreated {
    ///     order_id: "7f1c6f4e-0b8e-4a43-9a8e-2b7e1a3c5d01".into(),
    ///     order_number: "O25-568200129071".into(),
    /// };
    /// assert_eq!(mock.metro_event(event), 0, "no subscription yet");
    /// # }
    /// ```
    pub fn metro_event(&self, event: MetroEvent) -> usize {
        self.metro_events.emit(event)
    }
}

/// An order event METRO delivers to the URLs subscribed to it (see
/// [`MockMarketplace::metro_event`]); the payloads are the event spec's types. Over
/// HTTP: `POST /__mock/metro/events` on the Subscriptions server with, e.g.,
/// `{"event": "order_created", "order_id": "…", "order_number": "…"}`; the answer is
/// `{"queued": <deliveries>}`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(tag = "event", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum MetroEvent {
    /// `order_created`.
    OrderCreated {
        /// The order's id (a UUID).
        order_id: String,
        /// The order number shown to people (`O25-568200129071`).
        order_number: String,
    },
    /// `order_line_shipped` (METRO sends it when the seller ships in Seller Office).
    OrderLineShipped {
        /// The order line's id.
        order_line_id: String,
    },
    /// `order_line_canceled`.
    OrderLineCanceled {
        /// The order line's id.
        order_line_id: String,
        /// METRO's undocumented reason number, if any.
        #[serde(default)]
        cancellation_reason: Option<i32>,
    },
}

impl MockMarketplace {
    /// Makes `api` show `faults` from its next request on (`Faults::default()` ends
    /// them). The other APIs are untouched: one marketplace can be down while the
    /// others answer.
    ///
    /// ```
    /// # use marketplace_mock::{Api, Faults, MockConfig, MockMarketplace};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let mock = MockMarketplace::start(MockConfig::default()).await.unwrap();
    /// mock.set_faults(Api::SkyhubSac, Faults { outage: true, ..Faults::default() });
    /// let answer = reqwest::get(format!("{}/sac", mock.skyhub().base_url)).await.unwrap();
    /// assert_eq!(answer.status(), 503);
    /// # }
    /// ```
    pub fn set_faults(&self, api: Api, faults: Faults) {
        if let Some((_, state)) = self.faults.iter().find(|(a, _)| *a == api) {
            state.set(faults);
        }
    }
}

impl Api {
    fn name(self) -> &'static str {
        match self {
            Api::Lectronz => "lectronz",
            Api::SkyhubSac => "skyhub-sac",
            Api::YandexMarketChats => "yandex-market-chats",
            Api::MetroMessageCenter => "metro-message-center",
            Api::MetroSubscriptions => "metro-subscriptions",
        }
    }

    /// The API's own error shape, for injected 5xx answers.
    fn error_body(self) -> faults::ErrorBody {
        match self {
            Api::Lectronz => lectronz::server_error,
            Api::SkyhubSac => skyhub::sac_error,
            Api::YandexMarketChats => yandex::server_error,
            Api::MetroMessageCenter => metro::error,
            Api::MetroSubscriptions => metro_subscriptions::server_error,
        }
    }
}

/// One of the APIs the mock serves (each on its own port).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Api {
    /// Lectronz API v1.
    Lectronz,
    /// SkyHub (Americanas) SAC.
    SkyhubSac,
    /// Yandex Market Partner API, chats.
    YandexMarketChats,
    /// METRO Markets Message Center.
    MetroMessageCenter,
    /// METRO Markets Subscriptions.
    MetroSubscriptions,
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

/// Serves `router` on `listener`: HTTP/1, one task per connection. Not `axum::serve`,
/// because an injected reset must drop the very connection a request came on: each
/// request carries a [`Kill`] for its connection.
fn spawn(listener: TcpListener, router: Router) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                // Out of file descriptors or the like: wait rather than spin.
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            };
            // Closing the socket then sends a RST rather than a FIN: what a reset is.
            // Other closes follow the client's own close or the mock's end, where an
            // RST is harmless.
            let _ = stream.set_zero_linger();
            let router = router.clone();
            tokio::spawn(async move {
                let kill = Arc::new(Notify::new());
                let on_request = kill.clone();
                let service =
                    hyper::service::service_fn(move |request: http::Request<Incoming>| {
                        let mut request = request.map(axum::body::Body::new);
                        request.extensions_mut().insert(Kill(on_request.clone()));
                        tower_service::Service::call(&mut router.clone(), request)
                    });
                let connection = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
                tokio::select! {
                    _ = connection => {}
                    () = kill.notified() => {}
                }
            });
        }
    })
}

use admin::Buyer;
use faults::{FaultState, Kill};
use hyper::body::Incoming;
use journal::Journal;
use tokio::sync::Notify;
