//! `mkt trigger`: a test delivery to a receiver, signed like METRO's
//! (`marketplace_webhooks::metro::signed_test_headers`) or sent like Yandex Market's
//! (the generated notification client).

use marketplace_inbox_store::Marketplace;
use marketplace_metro_events::types as me;
use marketplace_runtime::{Clock, RetryPolicy};
use marketplace_yandex_market_notifications::types as yn;
use schemars::JsonSchema;
use serde::Serialize;

use super::Context;
use crate::cli::TriggerArgs;
use crate::clients::{self, Clients};
use crate::exit::{CliError, CliResult, Exit};

/// What `mkt trigger` reports.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Triggered {
    /// `metro` or `yandex`.
    pub marketplace: Marketplace,
    /// The event sent.
    pub event: String,
    /// The URL it was POSTed to.
    pub url: String,
    /// The receiver's HTTP status (absent when it could not be reached).
    pub status: Option<u16>,
    /// The receiver's answer (JSON when it was JSON, else text), or why it failed.
    pub answer: serde_json::Value,
    /// Whether the receiver accepted it as the marketplace requires.
    pub accepted: bool,
}

pub async fn run(ctx: &Context, args: TriggerArgs) -> CliResult {
    let triggered = match args.marketplace {
        Marketplace::Metro => metro(ctx, &args).await?,
        Marketplace::Yandex => yandex(ctx, &args).await?,
        other => {
            return Err(CliError::usage(format!(
                "{other} pushes nothing to sellers: trigger metro or yandex"
            )));
        }
    };
    if ctx.out.json {
        ctx.out.json(&triggered)?;
    } else {
        let verdict = if triggered.accepted {
            "accepted"
        } else {
            "NOT accepted"
        };
        let status = triggered
            .status
            .map_or_else(|| "no answer".to_owned(), |s| s.to_string());
        ctx.out.line(&format!(
            "{} {} → {}: {status}, {verdict}\n  answer: {}",
            triggered.marketplace, triggered.event, triggered.url, triggered.answer
        ))?;
    }
    Ok(if triggered.accepted {
        Exit::Success
    } else {
        Exit::Failure
    })
}

fn unknown_event(marketplace: Marketplace, event: &str, known: &[&str]) -> CliError {
    CliError::usage(format!(
        "unknown {marketplace} event `{event}` (one of: {})",
        known.join(", ")
    ))
}

/// A METRO delivery: an envelope of the event spec's types, signed with the account's
/// key pair over `--to` exactly as METRO is assumed to sign.
async fn metro(ctx: &Context, args: &TriggerArgs) -> CliResult<Triggered> {
    const EVENTS: [&str; 4] = [
        "test_connection",
        "order_created",
        "order_line_shipped",
        "order_line_canceled",
    ];
    let now = ctx.clock.now();
    let (event, payload) = match args.event.as_str() {
        "test_connection" => (me::EventName::TestConnection, serde_json::json!({})),
        "order_created" => (
            me::EventName::OrderCreated,
            to_json(me::OrderCreatedPayload {
                order_id: "7f1c6f4e-0b8e-4a43-9a8e-2b7e1a3c5d01".into(),
                order_number: "O25-568200129071".into(),
                organization_id: None,
                status: Some(1),
                created_at: Some(now),
            })?,
        ),
        "order_line_shipped" => (
            me::EventName::OrderLineShipped,
            to_json(me::OrderLineShippedPayload {
                order_line_id: "0b6a4b6e-2f1d-4a8e-9c11-5e3f7a9d2c40".into(),
                status_changed: Some(true),
                trackings: Vec::new(),
            })?,
        ),
        "order_line_canceled" => (
            me::EventName::OrderLineCanceled,
            to_json(me::OrderLineCanceledPayload {
                order_line_id: "0b6a4b6e-2f1d-4a8e-9c11-5e3f7a9d2c40".into(),
                cancellation_reason: Some(1),
            })?,
        ),
        other => return Err(unknown_event(Marketplace::Metro, other, &EVENTS)),
    };
    let serde_json::Value::Object(payload) = payload else {
        return Err(CliError::failure("an event payload is a JSON object"));
    };
    let envelope = me::EventEnvelope {
        message_id: format!(
            "mkt-trigger-{}",
            now.timestamp_nanos_opt().unwrap_or_default()
        ),
        event,
        emitted_at: Some(now),
        payload,
    };
    let body = serde_json::to_vec(&envelope)
        .map_err(|e| CliError::failure(format!("cannot encode the event: {e}")))?;
    let session = ctx.session().await?;
    let account = clients::pick(
        &session.accounts,
        Marketplace::Metro,
        args.account.as_deref(),
    )?;
    let Clients::Metro {
        key: (key, secret), ..
    } = &account.clients
    else {
        return Err(CliError::failure("a METRO account without METRO clients"));
    };
    let headers = marketplace_webhooks::metro::signed_test_headers(
        &body,
        &args.to,
        key,
        secret.expose(),
        ctx.clock.now_unix(),
    );
    // No redirect is followed: a signed delivery goes to --to or nowhere.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .map_err(|e| CliError::failure(format!("HTTP client: {e}")))?;
    let sent = http.post(&args.to).headers(headers).body(body).send().await;
    let (status, answer) = match sent {
        Ok(response) => {
            let status = response.status().as_u16();
            let text = response.text().await.unwrap_or_default();
            let answer = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
            (Some(status), answer)
        }
        // Without its URL: the user typed it, and it may carry a token in its query.
        Err(e) => (None, serde_json::Value::String(e.without_url().to_string())),
    };
    let accepted = status == Some(200) && answer["status"] == "OK";
    Ok(Triggered {
        marketplace: Marketplace::Metro,
        event: args.event.clone(),
        url: args.to.clone(),
        status,
        answer,
        accepted,
    })
}

/// A Yandex Market notification, sent by the generated delivery client to
/// `<--to>/notification`.
async fn yandex(ctx: &Context, args: &TriggerArgs) -> CliResult<Triggered> {
    const EVENTS: [&str; 3] = ["ping", "chat_created", "chat_message_sent"];
    let now = ctx.clock.now();
    let business_id = match args.business_id {
        Some(id) => id,
        // The account's cabinet when one is configured; a receiver test needs none.
        None => match ctx.session().await {
            Ok(session) => match clients::pick(
                &session.accounts,
                Marketplace::Yandex,
                args.account.as_deref(),
            ) {
                Ok(crate::clients::BuiltAccount {
                    clients: Clients::Yandex { business_id, .. },
                    ..
                }) => business_id.get(),
                _ => 1,
            },
            Err(_) => 1,
        },
    };
    let business_id = std::num::NonZeroU64::new(business_id)
        .map(yn::BusinessId)
        .ok_or_else(|| CliError::usage("--business-id must be at least 1"))?;
    let body = match args.event.as_str() {
        "ping" => to_json(yn::PingNotification {
            notification_type: Some(yn::NotificationType::Ping),
            time: Some(now),
        })?,
        "chat_created" => to_json(yn::ChatCreatedNotification {
            business_id,
            chat_id: args.chat_id,
            created_at: now,
            notification_type: yn::NotificationType::ChatCreated,
        })?,
        "chat_message_sent" => to_json(yn::ChatMessageSentNotification {
            business_id,
            chat_id: args.chat_id,
            message_id: args.message_id.to_string(),
            notification_type: yn::NotificationType::ChatMessageSent,
            sent_at: now,
        })?,
        other => return Err(unknown_event(Marketplace::Yandex, other, &EVENTS)),
    };
    let serde_json::Value::Object(body) = body else {
        return Err(CliError::failure("a notification is a JSON object"));
    };
    let client =
        marketplace_yandex_market_notifications::Client::builder(args.to.trim_end_matches('/'))
            .retry_policy(RetryPolicy::none())
            .build()
            .map_err(|e| CliError::usage(format!("--to: {e}")))?;
    let url = format!("{}/notification", args.to.trim_end_matches('/'));
    let sent = client
        .send_notification()
        .body(yn::SendNotificationRequest(body))
        .send()
        .await;
    let (status, answer, accepted) = match sent {
        Ok(answer) => {
            let status = answer.status().as_u16();
            (Some(status), to_json(answer.into_inner())?, true)
        }
        Err(e) => (
            e.status().map(|s| s.as_u16()),
            serde_json::Value::String(e.to_string()),
            false,
        ),
    };
    Ok(Triggered {
        marketplace: Marketplace::Yandex,
        event: args.event.clone(),
        url,
        status,
        answer,
        accepted,
    })
}

fn to_json(value: impl Serialize) -> CliResult<serde_json::Value> {
    serde_json::to_value(value).map_err(|e| CliError::failure(format!("cannot encode: {e}")))
}
