//! `mkt serve`: the webhook receivers (METRO events, Yandex notifications, the latter
//! refreshing the chat at once through the inbox), a periodic sync and `/metrics`, in
//! one process, logging each event; Ctrl-C stops it after the sync in progress.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{Request, Response};
use axum::middleware::{self, Next};
use axum::routing::get;
use chrono::{DateTime, Utc};
use marketplace_inbox::{Inbox, Marketplace, ThreadFilter};
use marketplace_inbox_store::OutboxState;
use marketplace_webhooks::axum::{ServeLimits, metro_router, serve, yandex_router};
use marketplace_webhooks::metro::{Delivery, MetroReceiver};
use marketplace_webhooks::yandex::{Notification, YandexReceiver};
use marketplace_webhooks::{Handler, HandlerError};
use schemars::JsonSchema;
use serde::Serialize;

use super::{Context, inbox_error, sync};
use crate::cli::ServeArgs;
use crate::clients::Clients;
use crate::exit::{CliError, CliResult, Exit};
use crate::metrics::Metrics;
use crate::output::Output;

/// Where METRO deliveries are received, below the public URL (the receiver serves
/// `<this>/events`).
const METRO_HOOK_BASE: &str = "/hooks/metro-markets";

/// The URL METRO subscriptions must point at for `serve` (it verifies signatures over
/// it, byte for byte).
pub fn metro_receiver_url(public_url: &str) -> String {
    format!(
        "{}{METRO_HOOK_BASE}{}",
        public_url.trim_end_matches('/'),
        marketplace_webhooks::axum::METRO_PATH
    )
}

/// Where Yandex Market notifications are received, below the public URL (Yandex
/// POSTs to `<this>/notification`).
const YANDEX_HOOK_BASE: &str = "/hooks/yandex-market";

/// One line of `mkt serve` (`--json`: one object per line).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ServeEvent {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// `listening`, `webhook`, `sync`, `sync_failed`, `shutdown`.
    pub kind: String,
    /// The marketplace, for webhooks and syncs.
    pub marketplace: Option<Marketplace>,
    /// The event type (`order_created`, `CHAT_MESSAGE_SENT`) or the account.
    pub subject: Option<String>,
    /// What it was about.
    pub detail: String,
}

/// Prints events, one line each.
#[derive(Clone)]
struct Log(Output);

impl Log {
    fn event(
        &self,
        kind: &str,
        marketplace: Option<Marketplace>,
        subject: Option<String>,
        detail: String,
    ) {
        let event = ServeEvent {
            at: Utc::now(),
            kind: kind.to_owned(),
            marketplace,
            subject,
            detail,
        };
        let printed = if self.0.json {
            self.0.json(&event)
        } else {
            let mut line = format!("{} {:<10}", event.at.format("%H:%M:%S"), event.kind);
            if let Some(m) = event.marketplace {
                line.push_str(&format!(" {m}"));
            }
            if let Some(s) = &event.subject {
                line.push_str(&format!(" {s}"));
            }
            line.push_str(&format!(" {}", event.detail));
            self.0.line(&line)
        };
        if let Err(e) = printed {
            tracing::warn!(error = %e.message, "could not print an event");
        }
    }
}

pub async fn run(ctx: &Context, args: ServeArgs) -> CliResult {
    // Bound first, so that `--listen 127.0.0.1:0` works and the mock can be told where
    // to push.
    let config_listen = if ctx.global.mock {
        None
    } else {
        Some(ctx.file_config()?.0)
    };
    let listen = args
        .listen
        .or_else(|| config_listen.as_ref().map(|c| c.serve_listen()))
        .unwrap_or_else(|| std::net::SocketAddr::from(([127, 0, 0, 1], 8080)));
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| CliError::failure(format!("cannot listen on {listen}: {e}")))?;
    let local = listener.local_addr()?;
    let public_url = args
        .public_url
        .or_else(|| {
            config_listen
                .as_ref()
                .and_then(|c| c.serve.public_url.clone())
        })
        .unwrap_or_else(|| format!("http://{local}"));
    let public_url = public_url.trim_end_matches('/').to_owned();
    let yandex_base = format!("{public_url}{YANDEX_HOOK_BASE}");
    // The --mock world pushes its Yandex notifications here.
    let session = ctx.session_with(vec![yandex_base.clone()]).await?;
    let inbox = session.inbox().await?;
    let metrics = ctx.metrics.clone();
    let log = Log(ctx.out.clone());

    let mut app = Router::new();
    let metro_url = metro_receiver_url(&public_url);
    if let Some(receiver) = metro_receiver(&session.accounts, &metro_url)? {
        let (log, metrics) = (log.clone(), metrics.clone());
        let handler = move |delivery: Delivery| {
            let (log, metrics) = (log.clone(), metrics.clone());
            async move {
                let name = delivery.name.to_string();
                metrics.webhook_event("metro", &name);
                log.event(
                    "webhook",
                    Some(Marketplace::Metro),
                    Some(name),
                    describe_metro(&delivery),
                );
                Ok::<(), HandlerError>(())
            }
        };
        app = app.nest(METRO_HOOK_BASE, metro_router(receiver, handler));
    }
    let yandex = YandexReceiver::new("mkt", env!("CARGO_PKG_VERSION"))
        .map_err(|e| CliError::failure(e.to_string()))?;
    let refresh = Arc::new(inbox.yandex_notification_handler());
    let handler = {
        let (log, metrics) = (log.clone(), metrics.clone());
        move |notification: Notification| {
            let (log, metrics, refresh) = (log.clone(), metrics.clone(), refresh.clone());
            async move {
                let kind = notification.notification_type().to_string();
                metrics.webhook_event("yandex", &kind);
                log.event(
                    "webhook",
                    Some(Marketplace::Yandex),
                    Some(kind),
                    describe_yandex(&notification),
                );
                // A chat notification refreshes that chat now; a failure answers 500,
                // so Yandex delivers it again.
                refresh.handle(notification).await
            }
        }
    };
    app = app
        .nest(YANDEX_HOOK_BASE, yandex_router(yandex, handler))
        .route(
            "/metrics",
            get({
                let metrics = metrics.clone();
                move || async move { metrics.encode() }
            }),
        )
        .layer(middleware::from_fn_with_state(
            metrics.clone(),
            count_rejections,
        ));

    log.event(
        "listening",
        None,
        Some(format!("http://{local}")),
        format!(
            "METRO deliveries at {metro_url}, Yandex notifications at {yandex_base}/notification, metrics at http://{local}/metrics"
        ),
    );

    let interval = Duration::from_secs(
        args.interval
            .unwrap_or_else(|| session.config.sync_interval_secs())
            .max(1),
    );
    let (stop, stopped) = tokio::sync::watch::channel(false);
    // Polled in this task beside the server, so that shutdown can stop taking
    // deliveries first and then wait for the sync in progress.
    let syncing = sync_loop(inbox, interval, log.clone(), metrics, stopped);
    tokio::pin!(syncing);
    tokio::select! {
        () = serve(listener, app, ServeLimits::default()) => {}
        _ = tokio::signal::ctrl_c() => {}
        () = &mut syncing => {}
    }
    log.event(
        "shutdown",
        None,
        None,
        "stopping: no new deliveries; waiting for the sync in progress".to_owned(),
    );
    let _ = stop.send(true);
    if tokio::time::timeout(Duration::from_secs(30), &mut syncing)
        .await
        .is_err()
    {
        log.event(
            "shutdown",
            None,
            None,
            "the sync did not finish within 30 s; its last stored page stands".to_owned(),
        );
    }
    log.event("shutdown", None, None, "stopped".to_owned());
    drop(session);
    Ok(Exit::Success)
}

/// One receiver for every METRO account: the first key pair, the others also
/// accepted (METRO signs with the key pair of the subscription's account).
fn metro_receiver(
    accounts: &[crate::clients::BuiltAccount],
    url: &str,
) -> CliResult<Option<MetroReceiver>> {
    let mut receiver: Option<MetroReceiver> = None;
    for account in accounts {
        let Clients::Metro {
            key: (key, secret), ..
        } = &account.clients
        else {
            continue;
        };
        receiver = Some(match receiver {
            None => MetroReceiver::new(url, key, secret.expose())
                .map_err(|e| CliError::usage(format!("{}: {e}", account.label())))?,
            Some(r) => r
                .also_accept(key, secret.expose())
                .map_err(|e| CliError::usage(format!("{}: {e}", account.label())))?,
        });
    }
    Ok(receiver)
}

fn describe_metro(delivery: &Delivery) -> String {
    use marketplace_webhooks::metro::Event;
    let what = match &delivery.event {
        Event::OrderCreated(o) => format!("order {} ({})", o.order_number, o.order_id),
        Event::OrderLineShipped(o) => format!("order line {}", o.order_line_id),
        Event::OrderLineCanceled(o) => format!("order line {}", o.order_line_id),
        Event::TestConnection(_) => "subscription check".to_owned(),
        _ => "an event this version does not know".to_owned(),
    };
    format!("{what} (message {})", delivery.message_id)
}

fn describe_yandex(notification: &Notification) -> String {
    match notification {
        Notification::ChatCreated(n) => {
            format!("chat {} created in cabinet {}", n.chat_id, *n.business_id)
        }
        Notification::ChatMessageSent(n) => format!(
            "chat {}: message {} (cabinet {}); refreshing the chat",
            n.chat_id, n.message_id, *n.business_id
        ),
        Notification::Ping(_) => "ping".to_owned(),
        _ => "received".to_owned(),
    }
}

/// Counts rejected deliveries by reason: the receivers answer METRO
/// `{"code": <reason>}` and Yandex `{"error": {"type": <reason>}}` (bodies of a few
/// bytes); without either, the status.
async fn count_rejections(
    State(metrics): State<Arc<Metrics>>,
    request: Request<Body>,
    next: Next,
) -> Response<Body> {
    let path = request.uri().path().to_owned();
    let marketplace = if path.starts_with(METRO_HOOK_BASE) {
        "metro"
    } else if path.starts_with(YANDEX_HOOK_BASE) {
        "yandex"
    } else {
        return next.run(request).await;
    };
    let response = next.run(request).await;
    if response.status().is_success() {
        return response;
    }
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024)
        .await
        .unwrap_or_default();
    let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
    let reason = json["code"]
        .as_str()
        .or_else(|| json["error"]["type"].as_str())
        .map(str::to_owned)
        .unwrap_or_else(|| parts.status.as_u16().to_string());
    metrics.webhook_rejected(marketplace, &reason);
    Response::from_parts(parts, Body::from(bytes))
}

async fn sync_loop(
    inbox: Inbox,
    interval: Duration,
    log: Log,
    metrics: Arc<Metrics>,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        let report = inbox.sync().await;
        for account in &report.accounts {
            let label = format!("{}:{}", account.account.marketplace, account.account.name);
            match &account.error {
                None => log.event(
                    "sync",
                    Some(account.account.marketplace),
                    Some(label),
                    format!(
                        "{} new threads, {} new messages, {} requests",
                        account.threads_new, account.messages_new, account.requests
                    ),
                ),
                Some(error) => {
                    metrics.sync_failed(&label);
                    log.event(
                        "sync_failed",
                        Some(account.account.marketplace),
                        Some(label),
                        error.message.clone(),
                    );
                }
            }
        }
        if let Err(e) = record(&inbox, &report, &metrics).await {
            log.event("sync_failed", None, None, e.message);
        }
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            _ = stopped.changed() => return,
        }
    }
}

/// Notes the sync and refreshes the gauges the store answers.
async fn record(
    inbox: &Inbox,
    report: &marketplace_inbox::SyncReport,
    metrics: &Metrics,
) -> CliResult<()> {
    let now = Utc::now();
    sync::note_synced(inbox, report, now).await?;
    for account in inbox.accounts() {
        let at = sync::last_sync(inbox.store().as_ref(), &account).await?;
        metrics.set_sync_lag(
            &format!("{}:{}", account.marketplace, account.name),
            at,
            now,
        );
    }
    for marketplace in Marketplace::ALL {
        let filter = ThreadFilter {
            marketplaces: vec![marketplace],
            limit: Some(1),
            ..ThreadFilter::default()
        };
        let oldest = inbox.awaiting_reply(&filter).await.map_err(inbox_error)?;
        metrics.set_oldest_unanswered(
            marketplace.as_str(),
            oldest.first().and_then(|t| t.awaiting_reply_since),
            now,
        );
    }
    for state in [OutboxState::Pending, OutboxState::Unknown] {
        let entries = inbox.outbox(state).await.map_err(inbox_error)?;
        metrics.set_outbox(state.as_str(), entries.len());
    }
    Ok(())
}
