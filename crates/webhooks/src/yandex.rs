//! Yandex Market API notifications: `POST <your base URL>/notification`.
//!
//! The receiver answers as the vendor spec (`specs/yandex-market-notifications.yaml`)
//! requires: `200 {"version", "name", "time"}` for a notification it took (or already
//! had), `400 {"error": {"type": "WRONG_EVENT_FORMAT", "message"}}` for a malformed
//! one, `500 {"error": {"type": "UNKNOWN", …}}` when the application failed (Yandex
//! Market delivers it again). `PING` is answered at once (Yandex waits 1 second) and
//! never reaches the application.
//!
//! # How Yandex Market authenticates deliveries
//!
//! It does not sign them: the vendor's notification spec declares no security scheme
//! and no signature header. Yandex's public documentation page on API notifications
//! (not part of the vendor spec) asks sellers to serve HTTPS with a CA-signed
//! certificate and to accept requests from Yandex Market's IP ranges only; it lists
//! `5.45.207.0/25`, `141.8.142.0/25` and `5.255.253.0/25`. This receiver does not
//! guess: no source check runs unless one is configured with
//! [`YandexReceiver::source_check`], either [`IpAllowlist::yandex_market`] (those
//! ranges: confirm them against Yandex's current page) or any closure over the
//! headers and the peer address (for a shared secret in a header your proxy adds, or
//! the client address your proxy forwards). A secret path segment in the URL entered
//! in the cabinet is another option that needs no code.
//!
//! # Duplicates
//!
//! Yandex Market may notify several times about one event. A notification is a
//! duplicate of another when its type, ids and event time (and, for status changes,
//! the statuses) are equal; see [`Notification::dedupe_key`]. Duplicates are
//! acknowledged with `200` (not with the vendor's `DUPLICATED_EVENT` error, which
//! could count as a failed delivery) and handed to the application once. A duplicate
//! whose other fields differ from the copy handed over is not handed over either, and
//! is logged at `WARN`. A copy arriving while the same notification is being handled
//! is answered `500` (logged at `WARN`), so that Yandex Market delivers it again.

use std::net::IpAddr;
use std::sync::Arc;

use http::{HeaderMap, StatusCode};
use serde_json::Value;

pub use marketplace_yandex_market_notifications::types;

use crate::ConfigError;
use crate::handover::{HandOver, Handler, hand_over};
use crate::reply::{Precheck, Rejection, Reply, clip, precheck};
use crate::settings::Settings;

/// One notification, typed by its `notificationType` (the generated types of
/// `specs/yandex-market-notifications.yaml`).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Notification {
    /// `PING`: a check that the receiver answers. Answered by the receiver itself.
    Ping(types::PingNotification),
    /// `ORDER_CREATED`
    OrderCreated(types::OrderCreatedNotification),
    /// `ORDER_CANCELLED`
    OrderCancelled(types::OrderCancelledNotification),
    /// `ORDER_STATUS_UPDATED`
    OrderStatusUpdated(types::OrderStatusUpdatedNotification),
    /// `ORDER_RETURN_CREATED`
    OrderReturnCreated(types::OrderReturnCreatedNotification),
    /// `ORDER_CANCELLATION_REQUEST`
    OrderCancellationRequest(types::OrderCancellationRequestNotification),
    /// `ORDER_RETURN_STATUS_UPDATED`
    OrderReturnStatusUpdated(types::OrderReturnStatusUpdatedNotification),
    /// `ORDER_UPDATED`
    OrderUpdated(types::OrderUpdatedNotification),
    /// `GOODS_FEEDBACK_CREATED`
    GoodsFeedbackCreated(types::GoodsFeedbackCreatedNotification),
    /// `GOODS_FEEDBACK_COMMENT_CREATED`
    GoodsFeedbackCommentCreated(types::GoodsFeedbackCommentCreatedNotification),
    /// `CHAT_CREATED`
    ChatCreated(types::ChatCreatedNotification),
    /// `CHAT_MESSAGE_SENT`
    ChatMessageSent(types::ChatMessageSentNotification),
    /// `CHAT_ARBITRAGE_STARTED`
    ChatArbitrageStarted(types::ChatArbitrageStartedNotification),
    /// `CHAT_ARBITRAGE_FINISHED`
    ChatArbitrageFinished(types::ChatArbitrageFinishedNotification),
    /// `QUESTION_CREATED`
    QuestionCreated(types::QuestionCreatedNotification),
    /// `QUESTION_ANSWER_CREATED`
    QuestionAnswerCreated(types::QuestionAnswerCreatedNotification),
    /// `QUESTION_COMMENT_CREATED`
    QuestionCommentCreated(types::QuestionCommentCreatedNotification),
    /// A type this version of the SDK does not know: the whole notification as received.
    Other {
        /// The `notificationType`, verbatim.
        notification_type: String,
        /// The notification's JSON.
        raw: Value,
    },
}

impl Notification {
    /// Decodes a notification from its JSON. Known types must match their schema;
    /// unknown types become [`Notification::Other`].
    pub fn from_json(body: &[u8]) -> Result<Notification, String> {
        let raw: Value = serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
        let Some(kind) = raw.get("notificationType") else {
            return Err("`notificationType` is missing".into());
        };
        let Some(kind) = kind.as_str() else {
            return Err("`notificationType` is not a string".into());
        };
        use types::NotificationType as T;
        let kind = T::from(kind);
        fn typed<X: serde::de::DeserializeOwned>(
            raw: Value,
            kind: &T,
            wrap: fn(X) -> Notification,
        ) -> Result<Notification, String> {
            marketplace_runtime::decode::from_value(&raw)
                .map(wrap)
                .map_err(|e| format!("not a valid {kind} notification: {e}"))
        }
        match kind {
            T::Ping => typed(raw, &kind, Notification::Ping),
            T::OrderCreated => typed(raw, &kind, Notification::OrderCreated),
            T::OrderCancelled => typed(raw, &kind, Notification::OrderCancelled),
            T::OrderStatusUpdated => typed(raw, &kind, Notification::OrderStatusUpdated),
            T::OrderReturnCreated => typed(raw, &kind, Notification::OrderReturnCreated),
            T::OrderCancellationRequest => {
                typed(raw, &kind, Notification::OrderCancellationRequest)
            }
            T::OrderReturnStatusUpdated => {
                typed(raw, &kind, Notification::OrderReturnStatusUpdated)
            }
            T::OrderUpdated => typed(raw, &kind, Notification::OrderUpdated),
            T::GoodsFeedbackCreated => typed(raw, &kind, Notification::GoodsFeedbackCreated),
            T::GoodsFeedbackCommentCreated => {
                typed(raw, &kind, Notification::GoodsFeedbackCommentCreated)
            }
            T::ChatCreated => typed(raw, &kind, Notification::ChatCreated),
            T::ChatMessageSent => typed(raw, &kind, Notification::ChatMessageSent),
            T::ChatArbitrageStarted => typed(raw, &kind, Notification::ChatArbitrageStarted),
            T::ChatArbitrageFinished => typed(raw, &kind, Notification::ChatArbitrageFinished),
            T::QuestionCreated => typed(raw, &kind, Notification::QuestionCreated),
            T::QuestionAnswerCreated => typed(raw, &kind, Notification::QuestionAnswerCreated),
            T::QuestionCommentCreated => typed(raw, &kind, Notification::QuestionCommentCreated),
            other => Ok(Notification::Other {
                notification_type: other.as_str().to_owned(),
                raw,
            }),
        }
    }

    /// The `notificationType` ([`types::NotificationType::Other`] for an unknown type).
    pub fn notification_type(&self) -> types::NotificationType {
        use types::NotificationType as T;
        match self {
            Notification::Ping(_) => T::Ping,
            Notification::OrderCreated(_) => T::OrderCreated,
            Notification::OrderCancelled(_) => T::OrderCancelled,
            Notification::OrderStatusUpdated(_) => T::OrderStatusUpdated,
            Notification::OrderReturnCreated(_) => T::OrderReturnCreated,
            Notification::OrderCancellationRequest(_) => T::OrderCancellationRequest,
            Notification::OrderReturnStatusUpdated(_) => T::OrderReturnStatusUpdated,
            Notification::OrderUpdated(_) => T::OrderUpdated,
            Notification::GoodsFeedbackCreated(_) => T::GoodsFeedbackCreated,
            Notification::GoodsFeedbackCommentCreated(_) => T::GoodsFeedbackCommentCreated,
            Notification::ChatCreated(_) => T::ChatCreated,
            Notification::ChatMessageSent(_) => T::ChatMessageSent,
            Notification::ChatArbitrageStarted(_) => T::ChatArbitrageStarted,
            Notification::ChatArbitrageFinished(_) => T::ChatArbitrageFinished,
            Notification::QuestionCreated(_) => T::QuestionCreated,
            Notification::QuestionAnswerCreated(_) => T::QuestionAnswerCreated,
            Notification::QuestionCommentCreated(_) => T::QuestionCommentCreated,
            Notification::Other {
                notification_type, ..
            } => T::Other(notification_type.clone()),
        }
    }

    /// What makes two notifications the same: the type, the ids and the event time
    /// (plus the statuses of a status change, and the kind of an order change); an
    /// unknown type is identified by its whole JSON (keys sorted). The key is
    /// `yandex|<SHA-256 of those fields, 64 hex digits>`: a fixed size whatever the
    /// sender puts in them.
    pub fn dedupe_key(&self) -> String {
        let parts: Vec<String> = match self {
            Notification::Ping(n) => vec![fmt_opt(n.time.as_ref())],
            Notification::OrderCreated(n) => vec![
                n.campaign_id.to_string(),
                n.order_id.to_string(),
                n.created_at.to_rfc3339(),
            ],
            Notification::OrderCancelled(n) => vec![
                n.campaign_id.to_string(),
                n.order_id.to_string(),
                n.cancelled_at.to_rfc3339(),
            ],
            Notification::OrderStatusUpdated(n) => vec![
                n.campaign_id.to_string(),
                n.order_id.to_string(),
                n.status.to_string(),
                n.substatus.to_string(),
                n.updated_at.to_rfc3339(),
            ],
            Notification::OrderReturnCreated(n) => vec![
                n.campaign_id.to_string(),
                n.order_id.to_string(),
                n.return_id.to_string(),
                n.created_at.to_rfc3339(),
            ],
            Notification::OrderCancellationRequest(n) => vec![
                n.campaign_id.to_string(),
                n.order_id.to_string(),
                n.requested_at.to_rfc3339(),
            ],
            Notification::OrderReturnStatusUpdated(n) => vec![
                n.campaign_id.to_string(),
                n.order_id.to_string(),
                n.return_id.to_string(),
                fmt_opt(n.statuses.refund_status.as_ref()),
                fmt_opt(n.statuses.shipment_status.as_ref()),
                n.updated_at.to_rfc3339(),
            ],
            Notification::OrderUpdated(n) => vec![
                n.campaign_id.to_string(),
                n.order_id.to_string(),
                n.update_type.to_string(),
                n.updated_at.to_rfc3339(),
            ],
            Notification::GoodsFeedbackCreated(n) => vec![
                n.business_id.to_string(),
                n.feedback_id.to_string(),
                n.published_at.to_rfc3339(),
            ],
            Notification::GoodsFeedbackCommentCreated(n) => vec![
                n.business_id.to_string(),
                n.comment_id.to_string(),
                n.created_at.to_rfc3339(),
            ],
            Notification::ChatCreated(n) => vec![
                n.business_id.to_string(),
                n.chat_id.to_string(),
                n.created_at.to_rfc3339(),
            ],
            Notification::ChatMessageSent(n) => vec![
                n.business_id.to_string(),
                n.chat_id.to_string(),
                n.message_id.clone(),
                n.sent_at.to_rfc3339(),
            ],
            Notification::ChatArbitrageStarted(n) => vec![
                n.business_id.to_string(),
                n.chat_id.to_string(),
                n.started_at.to_rfc3339(),
            ],
            Notification::ChatArbitrageFinished(n) => vec![
                n.business_id.to_string(),
                n.chat_id.to_string(),
                n.finished_at.to_rfc3339(),
            ],
            Notification::QuestionCreated(n) => vec![
                n.business_id.to_string(),
                n.question_id.to_string(),
                n.created_at.to_rfc3339(),
            ],
            Notification::QuestionAnswerCreated(n) => vec![
                n.business_id.to_string(),
                n.answer_id.to_string(),
                n.created_at.to_rfc3339(),
            ],
            Notification::QuestionCommentCreated(n) => vec![
                n.business_id.to_string(),
                n.answer_id.to_string(),
                n.comment_id.to_string(),
                n.created_at.to_rfc3339(),
            ],
            Notification::Other { raw, .. } => vec![crate::digest::content(raw)],
        };
        let kind = self.notification_type();
        crate::digest::key(
            "yandex",
            std::iter::once(kind.as_str().as_bytes()).chain(parts.iter().map(|p| p.as_bytes())),
        )
    }
}

fn fmt_opt(value: Option<&impl std::fmt::Display>) -> String {
    value.map(ToString::to_string).unwrap_or_default()
}

/// Decides whether a request may come from Yandex Market, before its body is read.
///
/// `peer` is the TCP peer's address when the adapter knows it (the axum router
/// served with this crate's `axum::serve`, or by axum's own `serve` with
/// `into_make_service_with_connect_info::<SocketAddr>()`), else `None`.
/// Behind a reverse proxy the peer is the proxy: check the header the proxy sets
/// instead.
pub trait SourceCheck: Send + Sync + 'static {
    /// Whether to accept the request.
    fn allows(&self, headers: &HeaderMap, peer: Option<IpAddr>) -> bool;
}

impl<F> SourceCheck for F
where
    F: Fn(&HeaderMap, Option<IpAddr>) -> bool + Send + Sync + 'static,
{
    fn allows(&self, headers: &HeaderMap, peer: Option<IpAddr>) -> bool {
        self(headers, peer)
    }
}

/// Accepts peers inside a list of CIDR ranges; refuses requests whose peer is unknown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IpAllowlist {
    ranges: Vec<ipnet::IpNet>,
}

impl IpAllowlist {
    /// The ranges Yandex's API-notifications documentation page lists for Yandex
    /// Market's requests (not in the vendor spec; confirm against the current page).
    pub const YANDEX_MARKET_RANGES: &'static [&'static str] =
        &["5.45.207.0/25", "141.8.142.0/25", "5.255.253.0/25"];

    /// An allowlist of CIDR ranges (`5.45.207.0/25`, `2a02:6b8::/32`, or a bare
    /// address for a single host).
    pub fn new<'a>(ranges: impl IntoIterator<Item = &'a str>) -> Result<Self, ConfigError> {
        let ranges = ranges
            .into_iter()
            .map(|range| {
                let text = range.trim();
                text.parse::<ipnet::IpNet>()
                    .or_else(|_| text.parse::<IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| {
                        ConfigError(format!(
                            "`{range}` is not an IP range (`5.45.207.0/25`) or address"
                        ))
                    })
            })
            .collect::<Result<_, _>>()?;
        Ok(IpAllowlist { ranges })
    }

    /// [`IpAllowlist::YANDEX_MARKET_RANGES`].
    pub fn yandex_market() -> Self {
        IpAllowlist::new(Self::YANDEX_MARKET_RANGES.iter().copied())
            .unwrap_or(IpAllowlist { ranges: Vec::new() })
    }

    /// Whether `ip` is inside one of the ranges (IPv4-mapped IPv6 addresses count as
    /// IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.ranges.iter().any(|range| range.contains(&ip))
    }
}

impl SourceCheck for IpAllowlist {
    fn allows(&self, _headers: &HeaderMap, peer: Option<IpAddr>) -> bool {
        peer.is_some_and(|ip| self.contains(ip))
    }
}

/// The Yandex Market notification receiver: configuration plus the framework-free
/// pipeline ([`verify`](YandexReceiver::verify), [`receive`](YandexReceiver::receive)).
///
/// ```
/// use marketplace_webhooks::yandex::{Notification, YandexReceiver};
///
/// let receiver = YandexReceiver::new("my-shop-integration", "1.4.2").unwrap();
/// let body = br#"{"notificationType":"CHAT_CREATED","chatId":1,"businessId":2,
///                 "createdAt":"2026-03-03T09:31:00Z"}"#;
/// let notification = receiver.verify(&http::HeaderMap::new(), body).unwrap();
/// assert!(matches!(notification, Notification::ChatCreated(ref chat) if chat.chat_id == 1));
/// ```
#[derive(Clone)]
pub struct YandexReceiver {
    name: types::SendNotificationResponseName,
    version: types::SendNotificationResponseVersion,
    settings: Settings,
    source_check: Option<Arc<dyn SourceCheck>>,
}

impl std::fmt::Debug for YandexReceiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut out = f.debug_struct("YandexReceiver");
        out.field("name", &self.name.as_str())
            .field("version", &self.version.as_str())
            .field("source_check", &self.source_check.is_some());
        self.settings.debug_fields(&mut out);
        out.finish_non_exhaustive()
    }
}

impl YandexReceiver {
    /// A receiver answering with the integration's `name` and `version` (1 to 100
    /// characters each, as the vendor requires), with the defaults: 1 MiB body limit,
    /// an [`InMemoryDedupe`](crate::InMemoryDedupe), the system clock, no source check.
    pub fn new(name: &str, version: &str) -> Result<Self, ConfigError> {
        Ok(YandexReceiver {
            name: name
                .parse()
                .map_err(|e| ConfigError(format!("integration name: {e}")))?,
            version: version
                .parse()
                .map_err(|e| ConfigError(format!("integration version: {e}")))?,
            settings: Settings::default(),
            source_check: None,
        })
    }

    crate::settings::setters!("notifications", "for the `time` of answers");

    /// Refuse (`403`) requests `check` does not allow; see the [module docs](self).
    pub fn source_check(mut self, check: impl SourceCheck) -> Self {
        self.source_check = Some(Arc::new(check));
        self
    }

    /// The configured source check, if any, applied to a request: `403` when refused.
    pub fn check_source(&self, headers: &HeaderMap, peer: Option<IpAddr>) -> Result<(), Rejection> {
        match &self.source_check {
            Some(check) if !check.allows(headers, peer) => Err(self.reject(
                StatusCode::FORBIDDEN,
                types::NotificationApiErrorType::Unknown,
                "the request does not come from an allowed source".into(),
            )),
            _ => Ok(()),
        }
    }

    /// Checks a delivery (size, media type) and decodes it; never panics. Yandex
    /// Market signs nothing, so nothing else can be verified here (see
    /// [`check_source`](YandexReceiver::check_source)).
    pub fn verify(&self, headers: &HeaderMap, raw_body: &[u8]) -> Result<Notification, Rejection> {
        use types::NotificationApiErrorType as E;
        if let Err(problem) = precheck(headers, raw_body.len(), self.settings.body_limit) {
            return Err(self.refuse(problem));
        }
        Notification::from_json(raw_body)
            .map_err(|e| self.reject(StatusCode::BAD_REQUEST, E::WrongEventFormat, clip(&e, 300)))
    }

    /// The success answer: `200 {"version", "name", "time"}`, `time` being `now`
    /// (Unix seconds), when processing started.
    pub fn accepted(&self, now: i64) -> Reply {
        let time = chrono::DateTime::from_timestamp(now, 0).unwrap_or_default();
        Reply::json(
            StatusCode::OK,
            &types::SendNotificationResponse {
                name: self.name.clone(),
                time,
                version: self.version.clone(),
            },
        )
    }

    /// The whole pipeline for one request: source check, [`verify`](Self::verify),
    /// `PING` answered at once, duplicates acknowledged, anything else handed to
    /// `handler` once. Returns the answer to send; never panics (a panicking handler
    /// is a failed handler).
    pub async fn receive<H: Handler<Notification> + ?Sized>(
        &self,
        headers: &HeaderMap,
        peer: Option<IpAddr>,
        raw_body: &[u8],
        handler: &H,
    ) -> Reply {
        let started = self.settings.clock.now_unix();
        if let Err(rejection) = self.check_source(headers, peer) {
            tracing::warn!(
                reason = rejection.reason(),
                ?peer,
                "Yandex Market notification refused"
            );
            return rejection.into_reply();
        }
        let notification = match self.verify(headers, raw_body) {
            Ok(notification) => notification,
            Err(rejection) => {
                tracing::warn!(
                    reason = rejection.reason(),
                    "Yandex Market notification rejected"
                );
                return rejection.into_reply();
            }
        };
        if let Notification::Ping(_) = notification {
            tracing::debug!("Yandex Market PING answered");
            return self.accepted(started);
        }
        let kind = notification.notification_type().to_string();
        let key = notification.dedupe_key();
        let content = crate::digest::content_of_body(raw_body);
        use types::NotificationApiErrorType as E;
        match hand_over(
            &*self.settings.dedupe,
            &key,
            &content,
            notification,
            handler,
        )
        .await
        {
            HandOver::Taken => {
                tracing::info!(
                    notification_type = kind,
                    "Yandex Market notification handed over"
                );
                self.accepted(started)
            }
            HandOver::Duplicate => {
                tracing::info!(
                    notification_type = kind,
                    "duplicate Yandex Market notification acknowledged"
                );
                self.accepted(started)
            }
            HandOver::Conflict => {
                tracing::warn!(
                    notification_type = kind,
                    key,
                    "Yandex Market notification with the type, ids and time of one already handed over but different content: acknowledged, not handed over"
                );
                self.accepted(started)
            }
            HandOver::InProgress => {
                tracing::warn!(
                    notification_type = kind,
                    "Yandex Market notification answered 500: the same notification is in progress"
                );
                self.reject(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    E::Unknown,
                    "the same notification is being processed; deliver it again later".into(),
                )
                .into_reply()
            }
            HandOver::HandlerFailed(reason) | HandOver::StoreFailed(reason) => {
                tracing::error!(notification_type = kind, %reason, "Yandex Market notification not taken; Yandex Market will deliver it again");
                self.reject(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    E::Unknown,
                    "the notification could not be processed; deliver it again later".into(),
                )
                .into_reply()
            }
        }
    }

    /// The answer to a request refused before its body was parsed.
    pub(crate) fn refuse(&self, problem: Precheck) -> Rejection {
        self.reject(
            problem.status(),
            types::NotificationApiErrorType::WrongEventFormat,
            problem.message(),
        )
    }

    fn reject(
        &self,
        status: StatusCode,
        kind: types::NotificationApiErrorType,
        message: String,
    ) -> Rejection {
        let body = types::SendNotificationErrorResponse {
            error: Some(types::NotificationApiError {
                message: Some(message.clone()),
                type_: Some(kind),
            }),
        };
        Rejection::new(Reply::json(status, &body), message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowlist_matches_prefixes() {
        let list = IpAllowlist::yandex_market();
        for inside in [
            "5.45.207.0",
            "5.45.207.127",
            "141.8.142.1",
            "5.255.253.100",
            "::ffff:5.45.207.5",
        ] {
            assert!(list.contains(inside.parse().unwrap()), "{inside}");
        }
        for outside in [
            "5.45.207.128",
            "5.45.206.1",
            "127.0.0.1",
            "::1",
            "141.8.143.0",
        ] {
            assert!(!list.contains(outside.parse().unwrap()), "{outside}");
        }
        let v6 = IpAllowlist::new(["2a02:6b8::/32", "10.0.0.1"]).unwrap();
        assert!(v6.contains("2a02:6b8:c00::1".parse().unwrap()));
        assert!(!v6.contains("2a02:6b9::1".parse().unwrap()));
        assert!(v6.contains("10.0.0.1".parse().unwrap()));
        assert!(!v6.contains("10.0.0.2".parse().unwrap()));
        assert!(IpAllowlist::new(["5.45.207.0/33"]).is_err());
        assert!(IpAllowlist::new(["yandex.ru"]).is_err());
        assert!(
            !list.allows(&HeaderMap::new(), None),
            "an unknown peer is refused"
        );
    }

    #[test]
    fn names_and_versions_are_checked_like_the_vendor_spec() {
        assert!(YandexReceiver::new("", "1").is_err());
        assert!(YandexReceiver::new("x", &"9".repeat(101)).is_err());
        assert!(YandexReceiver::new(&"n".repeat(100), "1").is_ok());
    }

    #[test]
    fn notification_type_names_every_variant() {
        let n = Notification::from_json(
            br#"{"notificationType":"QUESTION_CREATED","questionId":1,"businessId":2,"createdAt":"2026-03-03T09:31:00Z"}"#,
        )
        .unwrap();
        assert_eq!(n.notification_type().as_str(), "QUESTION_CREATED");
        let other = Notification::from_json(br#"{"notificationType":"NEW_THING","x":1}"#).unwrap();
        assert_eq!(other.notification_type().as_str(), "NEW_THING");
        let reordered =
            Notification::from_json(br#"{ "x": 1, "notificationType": "NEW_THING" }"#).unwrap();
        assert_eq!(other.dedupe_key(), reordered.dedupe_key());
        let big = format!(
            r#"{{"notificationType":"NEW_THING","x":"{}"}}"#,
            "y".repeat(1 << 20)
        );
        let big = Notification::from_json(big.as_bytes()).unwrap();
        assert_eq!(big.dedupe_key().len(), "yandex|".len() + 64);
        assert_ne!(big.dedupe_key(), other.dedupe_key());
    }
}
