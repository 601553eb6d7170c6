//! METRO Markets Subscriptions (`specs/metro-subscriptions.yaml`): which event METRO
//! delivers to which URL. The world starts with no subscription, as a new seller
//! account does.

use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use bytes::Bytes;
use http::StatusCode;
use marketplace_metro_subscriptions::types;

use marketplace_metro_events::types as me;

use crate::http_util::{json, json_as, unrouted};
use crate::metro::{MetroAccess, Signing};
use crate::push::{self, MetroDeliverySigning};
use crate::rng::Rng;
use crate::{MetroEvent, MockConfig};

const PROBLEM: &str = "application/problem+json";

struct World {
    rng: Rng,
    subscriptions: Vec<types::Subscription>,
    /// The seller's key pair, which signs deliveries, and how they are signed.
    delivery: (String, String, MetroDeliverySigning),
}

type Shared = Arc<Mutex<World>>;

/// Subscriptions answers a request whose signature fails with a 401 problem.
async fn authorize(State(signing): State<Arc<Signing>>, request: Request, next: Next) -> Response {
    match signing.check(request).await {
        Ok(request) => next.run(request).await,
        Err(reason) => json_as(
            StatusCode::UNAUTHORIZED,
            PROBLEM,
            &types::Problem {
                type_: Some("authorization".into()),
                title: "Authorization error".into(),
                status: 401,
                detail: Some(types::ProblemDetail::ProblemErrors(types::ProblemErrors {
                    errors: vec![reason.into()],
                })),
                instance: None,
                invalid_params: vec![],
            },
        ),
    }
}

/// Emits METRO events to the subscribed URLs (see [`crate::MockMarketplace::metro_event`]).
#[derive(Clone)]
pub(crate) struct MetroEvents {
    world: Shared,
    retries: u32,
    backoff: std::time::Duration,
}

impl MetroEvents {
    /// Delivers `event` to every active subscription to it, each in the background,
    /// retried with backoff until the receiver answers `200 {"status": "OK"}` or the
    /// retries are spent; returns how many deliveries were queued.
    pub(crate) fn emit(&self, event: MetroEvent) -> usize {
        let Some((event, payload)) = envelope_parts(event) else {
            return 0;
        };
        let name = event.to_string();
        let ((client_id, secret, signing), deliveries) = {
            let mut world = lock(&self.world);
            let urls: Vec<String> = world
                .subscriptions
                .iter()
                .filter(|s| s.is_active && s.event.to_string() == name)
                .map(|s| s.url.clone())
                .collect();
            let deliveries: Vec<_> = urls
                .into_iter()
                .map(|url| (url, crate::metro::uuid(&mut world.rng)))
                .collect();
            (world.delivery.clone(), deliveries)
        };
        for (url, message_id) in &deliveries {
            let envelope = me::EventEnvelope {
                message_id: message_id.clone(),
                event: event.clone(),
                emitted_at: Some(chrono::Utc::now()),
                payload: payload.clone(),
            };
            let (url, client_id, secret) = (url.clone(), client_id.clone(), secret.clone());
            let (retries, mut backoff) = (self.retries, self.backoff);
            tokio::spawn(async move {
                for _ in 0..=retries {
                    if push::metro_deliver(&url, &client_id, &secret, signing, envelope.clone())
                        .await
                    {
                        return;
                    }
                    tokio::time::sleep(backoff).await;
                    backoff *= 2;
                }
            });
        }
        deliveries.len()
    }
}

/// The event's name and payload, built from the event spec's types.
fn envelope_parts(
    event: MetroEvent,
) -> Option<(me::EventName, serde_json::Map<String, serde_json::Value>)> {
    let (name, payload) = match event {
        MetroEvent::OrderCreated {
            order_id,
            order_number,
        } => (
            me::EventName::OrderCreated,
            serde_json::to_value(me::OrderCreatedPayload {
                created_at: Some(chrono::Utc::now()),
                order_id,
                order_number,
                organization_id: None,
                status: Some(1),
            }),
        ),
        MetroEvent::OrderLineShipped { order_line_id } => (
            me::EventName::OrderLineShipped,
            serde_json::to_value(me::OrderLineShippedPayload {
                order_line_id,
                status_changed: Some(true),
                trackings: Vec::new(),
            }),
        ),
        MetroEvent::OrderLineCanceled {
            order_line_id,
            cancellation_reason,
        } => (
            me::EventName::OrderLineCanceled,
            serde_json::to_value(me::OrderLineCanceledPayload {
                cancellation_reason,
                order_line_id,
            }),
        ),
    };
    match payload.ok()? {
        serde_json::Value::Object(payload) => Some((name, payload)),
        _ => None,
    }
}

pub(crate) fn start(
    config: &MockConfig,
    signing: Signing,
    access: &MetroAccess,
) -> (Router, MetroEvents) {
    let world = World {
        rng: Rng::new(config.seed, "metro-subscriptions"),
        subscriptions: Vec::new(),
        delivery: (
            access.client_id.clone(),
            access.client_secret.clone(),
            config.unconfirmed.metro_delivery_signing,
        ),
    };
    let world: Shared = Arc::new(Mutex::new(world));
    let events = MetroEvents {
        world: world.clone(),
        retries: config.webhooks.retries,
        backoff: config.webhooks.backoff,
    };
    let router = Router::new()
        .route(
            "/openapi/v1/subscriptions",
            get(list_subscriptions).post(create_subscription),
        )
        .route(
            "/openapi/v1/subscriptions/{id}",
            patch(update_subscription).delete(delete_subscription),
        )
        .route_layer(middleware::from_fn_with_state(Arc::new(signing), authorize))
        // Admin: METRO emits an order event (not signed: it is the mock's own call).
        .route(
            &format!("{}/metro/events", crate::http_util::ADMIN_PREFIX),
            post({
                let events = events.clone();
                move |body: Bytes| async move {
                    match serde_json::from_slice::<MetroEvent>(&body) {
                        Ok(event) => json(
                            StatusCode::OK,
                            &serde_json::json!({"queued": events.emit(event)}),
                        ),
                        Err(e) => json(
                            StatusCode::BAD_REQUEST,
                            &serde_json::json!({"error": e.to_string()}),
                        ),
                    }
                }
            }),
        )
        .method_not_allowed_fallback(|| async {
            unrouted(problem(
                StatusCode::METHOD_NOT_ALLOWED,
                "Method not allowed",
                vec![],
            ))
        })
        .fallback(|| async { unrouted(problem(StatusCode::NOT_FOUND, "Not found", vec![])) })
        .with_state(world);
    (router, events)
}

/// A server-side failure as a problem (for injected faults).
pub(crate) fn server_error(status: StatusCode, title: &str) -> Response {
    problem(status, title, vec![])
}

/// METRO's problem-details body (`application/problem+json`).
pub(crate) fn problem(
    status: StatusCode,
    title: &str,
    invalid: Vec<types::InvalidParam>,
) -> Response {
    json_as(
        status,
        PROBLEM,
        &types::Problem {
            type_: Some("about:blank".into()),
            title: title.into(),
            status: i32::from(status.as_u16()),
            detail: Some(types::ProblemDetail::String(
                if invalid.is_empty() {
                    ""
                } else {
                    "Validation error"
                }
                .into(),
            )),
            instance: None,
            invalid_params: invalid,
        },
    )
}

/// A request the mock turns down.
enum Refusal {
    NotFound,
    /// 412 with the invalid parameters, as `(name, reason)`.
    Invalid(Vec<(&'static str, &'static str)>),
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::NotFound => problem(StatusCode::NOT_FOUND, "Subscription not found", vec![]),
            Refusal::Invalid(params) => problem(
                StatusCode::PRECONDITION_FAILED,
                "Validation error",
                params
                    .into_iter()
                    .map(|(name, reason)| types::InvalidParam {
                        name: name.into(),
                        reason: reason.into(),
                    })
                    .collect(),
            ),
        }
    }
}

type Answer = Result<Response, Refusal>;

fn lock(world: &Shared) -> MutexGuard<'_, World> {
    world
        .lock()
        .expect("no handler panics while holding the world")
}

/// METRO delivers `test_connection` to a URL before subscribing it, and refuses the
/// URL (412) unless the receiver answers `200 {"status": "OK"}`.
async fn connection_test(world: &Shared, url: &str) -> Result<(), Refusal> {
    let (client_id, secret, signing, message_id) = {
        let mut world = lock(world);
        let (id, secret, signing) = world.delivery.clone();
        (id, secret, signing, crate::metro::uuid(&mut world.rng))
    };
    if push::metro_test_connection(url, &client_id, &secret, signing, message_id).await {
        Ok(())
    } else {
        Err(Refusal::Invalid(vec![(
            "url",
            "Server response is not valid",
        )]))
    }
}

/// The rules of a subscription's fields: an absolute http(s) URL, an e-mail address
/// and an event one can subscribe to (`test_connection` is delivered, not subscribed).
fn check(
    url: Option<&str>,
    email: Option<&str>,
    event: Option<&types::EventName>,
) -> Result<(), Refusal> {
    let mut invalid = Vec::new();
    if let Some(url) = url {
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"));
        if rest.is_none_or(|host| host.is_empty() || host.starts_with('/')) {
            invalid.push(("url", "This value is not a valid URL."));
        }
    }
    if let Some(email) = email
        && !email
            .split_once('@')
            .is_some_and(|(user, domain)| !user.is_empty() && domain.contains('.'))
    {
        invalid.push(("fallbackEmail", "This value is not a valid email address."));
    }
    if let Some(event) = event
        && matches!(
            event,
            types::EventName::TestConnection | types::EventName::Other(_)
        )
    {
        invalid.push(("event", "The value you selected is not a valid choice."));
    }
    if invalid.is_empty() {
        Ok(())
    } else {
        Err(Refusal::Invalid(invalid))
    }
}

fn event_key(event: &types::EventName) -> String {
    let name = serde_json::to_value(event).expect("an event name serializes");
    format!("events.names.{}", name.as_str().unwrap_or_default())
}

async fn list_subscriptions(State(world): State<Shared>) -> Answer {
    let world = lock(&world);
    Ok(json(
        StatusCode::OK,
        &types::SubscriptionList(world.subscriptions.clone()),
    ))
}

async fn create_subscription(State(world): State<Shared>, body: Bytes) -> Answer {
    let create: types::SubscriptionCreate = serde_json::from_slice(&body)
        .map_err(|_| Refusal::Invalid(vec![("body", "This value is not valid.")]))?;
    check(
        Some(&create.url),
        Some(&create.fallback_email),
        Some(&create.event),
    )?;
    connection_test(&world, &create.url).await?;
    let mut world = lock(&world);
    let id = crate::metro::uuid(&mut world.rng);
    let message = format!(
        "Success. Subscription for \"{}\" event is {}.",
        event_key(&create.event),
        if create.is_active {
            "active"
        } else {
            "inactive"
        }
    );
    world.subscriptions.push(types::Subscription {
        id: id.clone(),
        url: create.url,
        event: create.event,
        fallback_email: create.fallback_email,
        is_active: create.is_active,
    });
    Ok(json(
        StatusCode::CREATED,
        &types::SubscriptionCreated { id, message },
    ))
}

async fn update_subscription(
    State(world): State<Shared>,
    Path(id): Path<String>,
    body: Bytes,
) -> Answer {
    let update: types::SubscriptionUpdate = serde_json::from_slice(&body)
        .map_err(|_| Refusal::Invalid(vec![("body", "This value is not valid.")]))?;
    // METRO rejects an update that changes nothing (`minProperties: 1`).
    if update.url.is_none() && update.fallback_email.is_none() && update.is_active.is_none() {
        return Err(Refusal::Invalid(vec![(
            "body",
            "At least one field must be given.",
        )]));
    }
    check(
        update.url.as_deref(),
        update.fallback_email.as_deref(),
        None,
    )?;
    if !lock(&world).subscriptions.iter().any(|s| s.id == id) {
        return Err(Refusal::NotFound);
    }
    // A new URL receives a `test_connection` delivery first.
    if let Some(url) = &update.url {
        connection_test(&world, url).await?;
    }
    let mut world = lock(&world);
    let subscription = world
        .subscriptions
        .iter_mut()
        .find(|s| s.id == id)
        .ok_or(Refusal::NotFound)?;
    if let Some(url) = update.url {
        subscription.url = url;
    }
    if let Some(email) = update.fallback_email {
        subscription.fallback_email = email;
    }
    if let Some(active) = update.is_active {
        subscription.is_active = active;
    }
    Ok(json(
        StatusCode::ACCEPTED,
        &types::StatusMessage {
            message: "Subscription successfully updated.".into(),
        },
    ))
}

async fn delete_subscription(State(world): State<Shared>, Path(id): Path<String>) -> Answer {
    let mut world = lock(&world);
    let index = world
        .subscriptions
        .iter()
        .position(|s| s.id == id)
        .ok_or(Refusal::NotFound)?;
    let removed = world.subscriptions.remove(index);
    Ok(json(
        StatusCode::ACCEPTED,
        &types::StatusMessage {
            message: format!(
                "Success. Subscription for \"{}\" event is deactivated.",
                event_key(&removed.event)
            ),
        },
    ))
}
