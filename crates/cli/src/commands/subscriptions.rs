//! `mkt subscriptions list|add|remove`: METRO's event subscriptions.

use marketplace_inbox_store::Marketplace;
use marketplace_metro_subscriptions::types as ms;
use schemars::JsonSchema;
use serde::Serialize;

use super::Context;
use crate::cli::SubscriptionsCommand;
use crate::clients::{self, BuiltAccount, Clients};
use crate::exit::{CliError, CliResult, Exit};

/// One subscription (a line of `mkt subscriptions list --json`), or the one added.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SubscriptionRow {
    /// `metro:<account>`.
    pub account: String,
    /// METRO's id.
    pub id: String,
    /// The event.
    pub event: String,
    /// Where METRO delivers it.
    pub url: String,
    /// Whether deliveries are on.
    pub active: bool,
    /// Where METRO writes when the URL fails.
    pub fallback_email: String,
}

/// What `mkt subscriptions remove --json` prints.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Removed {
    /// `metro:<account>`.
    pub account: String,
    /// The subscription removed.
    pub removed: String,
}

fn client(account: &BuiltAccount) -> CliResult<&marketplace_metro_subscriptions::Client> {
    match &account.clients {
        Clients::Metro { subscriptions, .. } => Ok(subscriptions),
        _ => Err(CliError::failure("not a METRO account")),
    }
}

pub async fn run(ctx: &Context, command: SubscriptionsCommand) -> CliResult {
    let session = ctx.session().await?;
    match command {
        SubscriptionsCommand::List { account } => {
            let accounts: Vec<&BuiltAccount> = match &account {
                Some(name) => vec![clients::pick(
                    &session.accounts,
                    Marketplace::Metro,
                    Some(name),
                )?],
                None => session
                    .accounts
                    .iter()
                    .filter(|a| a.marketplace() == Marketplace::Metro)
                    .collect(),
            };
            if accounts.is_empty() {
                return Err(CliError::usage("no METRO account is configured"));
            }
            let mut rows = Vec::new();
            for account in accounts {
                let list = client(account)?
                    .list_subscriptions()
                    .send()
                    .await
                    .map_err(|e| CliError::api(&account.label(), &e))?;
                rows.extend(list.into_inner().0.into_iter().map(|s| SubscriptionRow {
                    account: account.label(),
                    id: s.id,
                    event: s.event.to_string(),
                    url: s.url,
                    active: s.is_active,
                    fallback_email: s.fallback_email,
                }));
            }
            if ctx.out.json {
                for row in &rows {
                    ctx.out.json(row)?;
                }
            } else if rows.is_empty() {
                ctx.out.line("No subscriptions: METRO delivers no event. Add one with `mkt subscriptions add`.")?;
            } else {
                let rows = rows
                    .into_iter()
                    .map(|r| {
                        let active = if r.active { "yes" } else { "no" };
                        vec![
                            r.account,
                            r.id,
                            r.event,
                            r.url,
                            active.to_owned(),
                            r.fallback_email,
                        ]
                    })
                    .collect();
                ctx.out.table(
                    &["account", "id", "event", "url", "active", "fallback e-mail"],
                    rows,
                )?;
            }
        }
        SubscriptionsCommand::Add {
            event,
            url,
            fallback_email,
            account,
        } => {
            let account = clients::pick(&session.accounts, Marketplace::Metro, account.as_deref())?;
            let name: ms::EventName =
                serde_json::from_value(serde_json::Value::String(event.clone()))
                    .map_err(|e| CliError::usage(format!("--event: {e}")))?;
            if matches!(
                name,
                ms::EventName::Other(_) | ms::EventName::TestConnection
            ) {
                return Err(CliError::usage(format!(
                    "--event `{event}`: one of order_created, order_line_shipped, order_line_canceled"
                )));
            }
            let created = client(account)?
                .create_subscription()
                .body(ms::SubscriptionCreate {
                    event: name,
                    fallback_email: fallback_email.clone(),
                    is_active: true,
                    url: url.clone(),
                })
                .send()
                .await
                .map_err(|e| CliError::api(&account.label(), &e))?
                .into_inner();
            let row = SubscriptionRow {
                account: account.label(),
                id: created.id,
                event,
                url,
                active: true,
                fallback_email,
            };
            if ctx.out.json {
                ctx.out.json(&row)?;
            } else {
                ctx.out.line(&format!(
                    "Subscribed {} to {} (id {}): {}",
                    row.url, row.event, row.id, created.message
                ))?;
            }
        }
        SubscriptionsCommand::Remove { id, account } => {
            let account = clients::pick(&session.accounts, Marketplace::Metro, account.as_deref())?;
            client(account)?
                .delete_subscription()
                .subscription_id(&id)
                .send()
                .await
                .map_err(|e| CliError::api(&account.label(), &e))?;
            if ctx.out.json {
                ctx.out.json(&Removed {
                    account: account.label(),
                    removed: id,
                })?;
            } else {
                ctx.out
                    .line(&format!("Removed subscription {id} of {}", account.label()))?;
            }
        }
    }
    Ok(Exit::Success)
}
