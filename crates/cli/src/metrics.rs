//! `mkt serve`'s Prometheus metrics (prometheus-client, text exposition at `/metrics`).
//!
//! What operators watch: how long the oldest unanswered buyer waits per marketplace
//! (marketplaces rank sellers by response time), sync lag and failures per account,
//! the outbox backlog and its unknown outcomes, 420/429 answers per operation,
//! webhook events and rejections by reason, and forward-compatibility drift (enum
//! values decoded as `Other`, unknown fields) per operation.

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

type Labels = Vec<(&'static str, String)>;
type FloatGauge = Gauge<f64, AtomicU64>;

/// Every metric of `serve`.
pub struct Metrics {
    registry: Mutex<Registry>,
    oldest_unanswered: Family<Labels, FloatGauge>,
    sync_lag: Family<Labels, FloatGauge>,
    sync_failures: Family<Labels, Counter>,
    outbox: Family<Labels, Gauge>,
    rate_limited: Family<Labels, Counter>,
    drift: Family<Labels, Counter>,
    webhook_events: Family<Labels, Counter>,
    webhook_rejections: Family<Labels, Counter>,
}

impl Metrics {
    /// Registers every metric (prefix `mkt_`).
    pub fn new() -> Arc<Self> {
        let mut registry = Registry::with_prefix("mkt");
        let metrics = Metrics {
            registry: Mutex::new(Registry::default()),
            oldest_unanswered: Family::default(),
            sync_lag: Family::default(),
            sync_failures: Family::default(),
            outbox: Family::default(),
            rate_limited: Family::default(),
            drift: Family::default(),
            webhook_events: Family::default(),
            webhook_rejections: Family::default(),
        };
        registry.register(
            "oldest_unanswered_seconds",
            "How long the oldest buyer message not yet answered has waited, per marketplace",
            metrics.oldest_unanswered.clone(),
        );
        registry.register(
            "sync_lag_seconds",
            "Seconds since the account last synced without error",
            metrics.sync_lag.clone(),
        );
        registry.register(
            "sync_failures",
            "Syncs of the account that failed",
            metrics.sync_failures.clone(),
        );
        registry.register(
            "outbox_replies",
            "Replies in the outbox by state (pending: not yet confirmed; unknown: may or may not have been sent, never re-sent automatically)",
            metrics.outbox.clone(),
        );
        registry.register(
            "rate_limited_answers",
            "420/429 answers received, per marketplace and operation (retries included)",
            metrics.rate_limited.clone(),
        );
        registry.register(
            "decode_drift",
            "Forward-compatibility drift in answers, per marketplace, operation and kind (enum_value: decoded as Other; unknown_field: skipped)",
            metrics.drift.clone(),
        );
        registry.register(
            "webhook_events",
            "Webhook events handed over, per marketplace and event type",
            metrics.webhook_events.clone(),
        );
        registry.register(
            "webhook_rejections",
            "Webhook deliveries rejected, per marketplace and reason",
            metrics.webhook_rejections.clone(),
        );
        *metrics.registry.lock().unwrap_or_else(|e| e.into_inner()) = registry;
        Arc::new(metrics)
    }

    /// The text exposition.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        let registry = self.registry.lock().unwrap_or_else(|e| e.into_inner());
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &registry);
        text
    }

    /// The oldest unanswered buyer message of `marketplace` arrived at `since` (`None`:
    /// nobody waits).
    pub fn set_oldest_unanswered(
        &self,
        marketplace: &str,
        since: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) {
        let secs = since.map_or(0.0, |t| (now - t).num_milliseconds().max(0) as f64 / 1000.0);
        self.oldest_unanswered
            .get_or_create(&vec![("marketplace", marketplace.to_owned())])
            .set(secs);
    }

    /// `account` last synced without error at `at`.
    pub fn set_sync_lag(&self, account: &str, at: Option<DateTime<Utc>>, now: DateTime<Utc>) {
        let secs = at.map_or(f64::NAN, |t| {
            (now - t).num_milliseconds().max(0) as f64 / 1000.0
        });
        self.sync_lag
            .get_or_create(&vec![("account", account.to_owned())])
            .set(secs);
    }

    /// A sync of `account` failed.
    pub fn sync_failed(&self, account: &str) {
        self.sync_failures
            .get_or_create(&vec![("account", account.to_owned())])
            .inc();
    }

    /// `count` replies are in outbox `state`.
    pub fn set_outbox(&self, state: &str, count: usize) {
        self.outbox
            .get_or_create(&vec![("state", state.to_owned())])
            .set(i64::try_from(count).unwrap_or(i64::MAX));
    }

    /// A webhook event was handed over.
    pub fn webhook_event(&self, marketplace: &str, event: &str) {
        self.webhook_events
            .get_or_create(&vec![
                ("marketplace", marketplace.to_owned()),
                ("event", event.to_owned()),
            ])
            .inc();
    }

    /// A webhook delivery was rejected.
    pub fn webhook_rejected(&self, marketplace: &str, reason: &str) {
        self.webhook_rejections
            .get_or_create(&vec![
                ("marketplace", marketplace.to_owned()),
                ("reason", reason.to_owned()),
            ])
            .inc();
    }

    fn drifted(&self, call: &Call, kind: &str) {
        self.drift
            .get_or_create(&vec![
                ("marketplace", call.marketplace.clone()),
                ("operation", call.operation.clone()),
                ("kind", kind.to_owned()),
            ])
            .inc();
    }

    fn rate_limited(&self, marketplace: &str, operation: &str) {
        self.rate_limited
            .get_or_create(&vec![
                ("marketplace", marketplace.to_owned()),
                ("operation", operation.to_owned()),
            ])
            .inc();
    }
}

/// A tracing layer that reads the runtime's `marketplace.call` spans (marketplace,
/// operation, final `status`) and their `retrying` events (the `status` of each
/// retried answer), counting 420/429 answers: every attempt, retried or final; and
/// the drift events (`marketplace_runtime::decode::DRIFT_TARGET`) raised inside its
/// `marketplace.decode` spans.
pub struct CallLayer(pub Arc<Metrics>);

/// What a `marketplace.call` span carries.
#[derive(Default)]
struct Call {
    marketplace: String,
    operation: String,
    status: Option<u64>,
}

impl Visit for Call {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "marketplace" => self.marketplace = value.to_owned(),
            "operation" => self.operation = value.to_owned(),
            _ => {}
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "status" {
            self.status = Some(value);
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.record_u64(field, u64::try_from(value).unwrap_or_default());
    }

    fn record_debug(&mut self, _: &Field, _: &dyn std::fmt::Debug) {}
}

/// The `status` and `drift` fields of an event.
#[derive(Default)]
struct Fields {
    status: Option<u64>,
    drift: Option<String>,
}

impl Visit for Fields {
    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "status" {
            self.status = Some(value);
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "drift" {
            self.drift = Some(value.to_owned());
        }
    }

    fn record_debug(&mut self, _: &Field, _: &dyn std::fmt::Debug) {}
}

/// The spans carrying a call's marketplace and operation.
fn is_call_span(name: &str) -> bool {
    matches!(name, "marketplace.call" | "marketplace.decode")
}

fn is_rate_limit(status: Option<u64>) -> bool {
    matches!(status, Some(420 | 429))
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for CallLayer {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if !is_call_span(attrs.metadata().name()) {
            return;
        }
        let mut call = Call::default();
        attrs.record(&mut call);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(call);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id)
            && let Some(call) = span.extensions_mut().get_mut::<Call>()
        {
            values.record(call);
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let drift = fields
            .drift
            .filter(|_| event.metadata().target() == marketplace_runtime::decode::DRIFT_TARGET);
        if drift.is_none() && !is_rate_limit(fields.status) {
            return;
        }
        let Some(span) = ctx.event_span(event) else {
            return;
        };
        let extensions = span.extensions();
        let Some(call) = extensions.get::<Call>() else {
            return;
        };
        match drift {
            Some(kind) => self.0.drifted(call, &kind),
            None => self.0.rate_limited(&call.marketplace, &call.operation),
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(&id)
            && span.name() == "marketplace.call"
            && let Some(call) = span.extensions().get::<Call>()
            && is_rate_limit(call.status)
        {
            self.0.rate_limited(&call.marketplace, &call.operation);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::prelude::*;

    /// The runtime's shapes: a `marketplace.call` span whose final status is recorded
    /// on it, and `retrying` events carrying the status of each retried answer.
    #[test]
    fn every_420_and_429_answer_is_counted_per_operation() {
        let metrics = Metrics::new();
        let subscriber = tracing_subscriber::registry().with(CallLayer(metrics.clone()));
        tracing::subscriber::with_default(subscriber, || {
            let call = |operation: &str, retried: &[u16], last: u16| {
                let span = tracing::info_span!(
                    "marketplace.call",
                    marketplace = "yandex-market-chats",
                    operation,
                    status = tracing::field::Empty,
                );
                span.in_scope(|| {
                    for status in retried {
                        tracing::info!(status = *status, wait_ms = 10u64, "retrying");
                    }
                });
                span.record("status", last);
            };
            call("get_chats", &[420, 429], 200);
            call("get_chats", &[], 420);
            call("get_chat_history", &[503], 200);
        });
        let text = metrics.encode();
        assert!(
            text.contains(
                "mkt_rate_limited_answers_total{marketplace=\"yandex-market-chats\",operation=\"get_chats\"} 3"
            ),
            "{text}"
        );
        assert!(!text.contains("operation=\"get_chat_history\""), "{text}");
    }

    /// The runtime's drift events inside its decode span; the same event outside one
    /// (a webhook body, a command-line value) is not an operation's drift.
    #[test]
    fn drift_is_counted_per_operation_and_kind() {
        let metrics = Metrics::new();
        let subscriber = tracing_subscriber::registry().with(CallLayer(metrics.clone()));
        let drift = |kind: &'static str| {
            tracing::info!(target: marketplace_runtime::decode::DRIFT_TARGET, drift = kind, "drift");
        };
        tracing::subscriber::with_default(subscriber, || {
            tracing::info_span!(
                "marketplace.decode",
                marketplace = "metro-message-center",
                operation = "list_chats"
            )
            .in_scope(|| {
                drift("enum_value");
                drift("unknown_field");
                drift("unknown_field");
            });
            drift("unknown_field");
        });
        let text = metrics.encode();
        for line in [
            "mkt_decode_drift_total{marketplace=\"metro-message-center\",operation=\"list_chats\",kind=\"enum_value\"} 1",
            "mkt_decode_drift_total{marketplace=\"metro-message-center\",operation=\"list_chats\",kind=\"unknown_field\"} 2",
        ] {
            assert!(text.lines().any(|l| l == line), "no `{line}` in\n{text}");
        }
    }
}
