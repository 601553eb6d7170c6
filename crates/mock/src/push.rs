//! Webhooks the mock pushes, with the generated delivery clients: Yandex Market
//! notifications (`CHAT_CREATED`, `CHAT_MESSAGE_SENT`) when a buyer acts, METRO's
//! `test_connection` event when a subscription's URL is set, and METRO's order events
//! to the URLs subscribed to them.

use std::num::NonZeroU64;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use marketplace_metro_events::{DeliverySigning, MetroHmac, RetryPolicy};
use marketplace_yandex_market_notifications::types as yn;

/// How pushed webhooks are delivered.
#[derive(Clone, Debug, PartialEq)]
pub struct Webhooks {
    /// Base URLs of Yandex Market notification receivers (Yandex POSTs to
    /// `<url>/notification`). Each notification goes to the next one, round-robin;
    /// empty: none is sent.
    pub yandex_notification_urls: Vec<String>,
    /// Deliveries answered with anything but `200` are retried this many times.
    pub retries: u32,
    /// The wait before the first retry; it doubles for each next one.
    pub backoff: Duration,
}

impl Default for Webhooks {
    fn default() -> Self {
        Webhooks {
            yandex_notification_urls: Vec::new(),
            retries: 5,
            backoff: Duration::from_secs(1),
        }
    }
}

/// Sends Yandex Market notifications in the background.
pub(crate) struct YandexNotifier {
    business_id: NonZeroU64,
    config: Webhooks,
    next: AtomicUsize,
}

/// What a buyer's action notifies.
pub(crate) enum ChatEvent {
    Created {
        chat_id: i64,
        at: DateTime<Utc>,
    },
    MessageSent {
        chat_id: i64,
        message_id: u64,
        at: DateTime<Utc>,
    },
}

impl YandexNotifier {
    pub(crate) fn new(business_id: u64, config: Webhooks) -> Option<Arc<Self>> {
        (!config.yandex_notification_urls.is_empty()).then(|| {
            Arc::new(YandexNotifier {
                business_id: NonZeroU64::new(business_id).expect("a business id is positive"),
                config,
                next: AtomicUsize::new(0),
            })
        })
    }

    /// Queues the notification of `event`: the next receiver in turn gets it, retried
    /// with backoff until it answers `200` or the retries are spent.
    pub(crate) fn notify(self: &Arc<Self>, event: ChatEvent) {
        let business_id = yn::BusinessId(self.business_id);
        // Built from the spec's own types, then sent as the envelope the spec takes.
        let body = match event {
            ChatEvent::Created { chat_id, at } => {
                serde_json::to_value(yn::ChatCreatedNotification {
                    business_id,
                    chat_id,
                    created_at: at,
                    notification_type: yn::NotificationType::ChatCreated,
                })
            }
            ChatEvent::MessageSent {
                chat_id,
                message_id,
                at,
            } => serde_json::to_value(yn::ChatMessageSentNotification {
                business_id,
                chat_id,
                message_id: message_id.to_string(),
                notification_type: yn::NotificationType::ChatMessageSent,
                sent_at: at,
            }),
        };
        let Ok(serde_json::Value::Object(body)) = body else {
            return;
        };
        let urls = &self.config.yandex_notification_urls;
        let url = urls[self.next.fetch_add(1, Ordering::Relaxed) % urls.len()].clone();
        let (retries, mut backoff) = (self.config.retries, self.config.backoff);
        tokio::spawn(async move {
            let Ok(client) = marketplace_yandex_market_notifications::Client::builder(url)
                .retry_policy(RetryPolicy::none())
                .build()
            else {
                return;
            };
            for _ in 0..=retries {
                let sent = client
                    .send_notification()
                    .body(yn::SendNotificationRequest(body.clone()))
                    .send()
                    .await;
                if sent.is_ok_and(|answer| answer.status() == 200) {
                    return;
                }
                tokio::time::sleep(backoff).await;
                backoff *= 2;
            }
        });
    }
}

/// How METRO signs its deliveries: not documented.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MetroDeliverySigning {
    /// Like METRO's API requests, over the receiver's URL, with the client key as
    /// `x-client` (the SDK's assumption: `marketplace_webhooks`' default scheme).
    #[default]
    LikeRequests,
    /// Not signed at all.
    Unsigned,
}

/// Delivers METRO's `test_connection` event to `url` (the subscription's URL),
/// signed with the seller's key pair; whether the receiver answered it as METRO
/// requires (`200 {"status": "OK"}`).
pub(crate) async fn metro_test_connection(
    url: &str,
    client_id: &str,
    client_secret: &str,
    signing: MetroDeliverySigning,
    message_id: String,
) -> bool {
    let envelope = marketplace_metro_events::types::EventEnvelope {
        message_id,
        event: marketplace_metro_events::types::EventName::TestConnection,
        emitted_at: None,
        payload: serde_json::Map::new(),
    };
    metro_deliver(url, client_id, client_secret, signing, envelope).await
}

/// Delivers one METRO event `envelope` to `url`, signed with the seller's key pair;
/// whether the receiver answered it as METRO requires (`200 {"status": "OK"}`).
pub(crate) async fn metro_deliver(
    url: &str,
    client_id: &str,
    client_secret: &str,
    signing: MetroDeliverySigning,
    envelope: marketplace_metro_events::types::EventEnvelope,
) -> bool {
    // The generated client posts to `<base>/events`, the path the spec gives a
    // receiver; a subscription URL elsewhere gets the same request by hand.
    let signer = MetroHmac::new(client_id, client_secret);
    if let (Some(base), MetroDeliverySigning::LikeRequests) = (url.strip_suffix("/events"), signing)
    {
        let Ok(client) =
            marketplace_metro_events::ClientBuilder::<marketplace_metro_events::Client>::new(
                base,
                marketplace_metro_events::Auth::from(DeliverySigning::new(signer)),
            )
            .retry_policy(RetryPolicy::none())
            .build()
        else {
            return false;
        };
        return client
            .send_event()
            .body(envelope)
            .send()
            .await
            .is_ok_and(|answer| answer.status() == 200 && answer.status == "OK");
    }
    let http = reqwest::Client::new();
    let Ok(mut request) = http.post(url).json(&envelope).build() else {
        return false;
    };
    if signing == MetroDeliverySigning::LikeRequests {
        use marketplace_metro_events::Authenticate as _;
        if DeliverySigning::new(signer)
            .authenticate(&mut request)
            .is_err()
        {
            return false;
        }
    }
    match http.execute(request).await {
        Ok(response) if response.status() == 200 => response
            .json::<serde_json::Value>()
            .await
            .is_ok_and(|body| body["status"] == "OK"),
        _ => false,
    }
}
