//! `mkt doctor`: per account, the credentials (one cheap read), the clock skew against
//! the marketplace's `Date` header, and METRO's subscription URLs against the URL
//! `serve` verifies signatures over; what is wrong and how to fix it.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Serialize;

use super::{Context, Session};
use crate::clients::{BuiltAccount, Clients};
use crate::config::env_name;
use crate::exit::{CliResult, Exit};
use crate::output::ago;

/// Largest skew reported as fine. METRO refuses signatures whose timestamp is more
/// than 5 minutes off; a minute leaves room for drift before that bites.
const SKEW_TOLERANCE_SECS: i64 = 60;

/// METRO's signature window.
const METRO_WINDOW_SECS: i64 = 300;

/// One check's outcome (one line of `mkt doctor --json`).
#[derive(Debug, Serialize, JsonSchema)]
pub struct Check {
    /// `marketplace:account`.
    pub account: String,
    /// `credentials`, `clock` or `subscriptions`.
    pub check: String,
    /// Whether it passed.
    pub ok: bool,
    /// What was found.
    pub detail: String,
    /// How to fix it, when it failed.
    pub fix: Option<String>,
    /// Whether the marketplace refused the credentials (401/403).
    #[serde(skip)]
    #[schemars(skip)]
    pub auth_refused: bool,
}

impl Check {
    fn ok(account: &BuiltAccount, check: &str, detail: String) -> Self {
        Check {
            account: account.label(),
            check: check.to_owned(),
            ok: true,
            detail,
            fix: None,
            auth_refused: false,
        }
    }

    fn problem(account: &BuiltAccount, check: &str, detail: String, fix: String) -> Self {
        Check {
            ok: false,
            fix: Some(fix),
            ..Check::ok(account, check, detail)
        }
    }
}

pub async fn run(ctx: &Context, public_url: Option<String>) -> CliResult {
    let session = ctx.session().await?;
    let public_url = public_url
        .or_else(|| session.config.serve.public_url.clone())
        .map(|url| url.trim_end_matches('/').to_owned());
    let mut checks = Vec::new();
    for account in &session.accounts {
        let skew = clock_skew(ctx, account).await;
        checks.push(credentials(account, &session, skew.clone()).await);
        checks.push(clock(account, skew));
        if let Clients::Metro { subscriptions, .. } = &account.clients {
            checks.push(subscription_urls(account, subscriptions, public_url.as_deref()).await);
        }
    }
    if ctx.out.json {
        for check in &checks {
            ctx.out.json(check)?;
        }
    } else {
        let rows = checks
            .iter()
            .map(|c| {
                let verdict = if c.ok { "ok" } else { "PROBLEM" };
                let mut detail = c.detail.clone();
                if let Some(fix) = &c.fix {
                    detail.push_str("\nfix: ");
                    detail.push_str(fix);
                }
                vec![
                    c.account.clone(),
                    c.check.clone(),
                    verdict.to_owned(),
                    detail,
                ]
            })
            .collect();
        ctx.out
            .table(&["account", "check", "result", "detail"], rows)?;
    }
    Ok(if checks.iter().any(|c| c.auth_refused) {
        Exit::Auth
    } else if checks.iter().any(|c| !c.ok) {
        Exit::Failure
    } else {
        Exit::Success
    })
}

/// Local clock minus the marketplace's (`Date` of an unauthenticated request to the
/// API's host, so it is known even when the credentials are refused), in seconds.
async fn clock_skew(ctx: &Context, account: &BuiltAccount) -> Result<i64, String> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(15))
        .build()
        .map_err(|e| e.to_string())?;
    let response = http
        .get(account.base_url())
        .send()
        .await
        .map_err(|e| e.without_url().to_string())?;
    let local = ctx.clock.now();
    let date = response
        .headers()
        .get(reqwest::header::DATE)
        .and_then(|v| v.to_str().ok())
        .ok_or("the answer had no Date header")?;
    let server: DateTime<Utc> = httpdate::parse_http_date(date)
        .map_err(|e| format!("unreadable Date header: {e}"))?
        .into();
    Ok((local - server).num_seconds())
}

async fn credentials(
    account: &BuiltAccount,
    session: &Session,
    skew: Result<i64, String>,
) -> Check {
    let read = match &account.clients {
        Clients::Lectronz { client, .. } => client
            .list_messages()
            .limit(std::num::NonZeroU64::MIN)
            .send()
            .await
            .map(drop),
        Clients::Metro { message_center, .. } => {
            message_center.count_unseen_chats().send().await.map(drop)
        }
        Clients::Skyhub { client, .. } => client.list_tickets().send().await.map(drop),
        Clients::Yandex {
            business_id,
            client,
            ..
        } => client
            .get_chats()
            .business_id(*business_id)
            .limit(std::num::NonZeroU32::MIN)
            .body(marketplace_yandex_market_chats::types::GetChatsRequest::default())
            .send()
            .await
            .map(drop),
    };
    match read {
        Ok(()) => Check::ok(account, "credentials", "accepted (one read)".to_owned()),
        Err(e) if e.is_auth() => {
            let metro = account.marketplace() == marketplace_inbox_store::Marketplace::Metro;
            let fix = match skew {
                Ok(skew) if metro && skew.abs() > METRO_WINDOW_SECS => format!(
                    "the signature's timestamp is outside METRO's 5-minute window because this machine's clock is off by {} (see the clock check): fix the clock first",
                    duration(skew)
                ),
                _ => format!(
                    "check the account's secrets in {} or {}",
                    session.source,
                    secret_variables(account).join(" / ")
                ),
            };
            Check {
                auth_refused: true,
                ..Check::problem(account, "credentials", format!("refused: {e}"), fix)
            }
        }
        Err(e) => Check::problem(
            account,
            "credentials",
            format!("the read failed: {e}"),
            format!(
                "check the base URL ({}) and the network",
                account.base_url()
            ),
        ),
    }
}

fn secret_variables(account: &BuiltAccount) -> Vec<String> {
    let fields: &[&str] = match account.clients {
        Clients::Lectronz { .. } => &["api_key"],
        Clients::Metro { .. } => &["client_key", "client_secret"],
        Clients::Skyhub { .. } => &["api_key", "account_manager_key"],
        Clients::Yandex { .. } => &["api_key"],
    };
    fields
        .iter()
        .map(|f| env_name(account.marketplace(), &account.name, f))
        .collect()
}

fn clock(account: &BuiltAccount, skew: Result<i64, String>) -> Check {
    match skew {
        Ok(skew) if skew.abs() <= SKEW_TOLERANCE_SECS => Check::ok(
            account,
            "clock",
            format!("within {SKEW_TOLERANCE_SECS}s of the marketplace's ({skew:+}s)"),
        ),
        Ok(skew) => {
            let side = if skew > 0 { "ahead of" } else { "behind" };
            let metro = matches!(account.clients, Clients::Metro { .. });
            let consequence = if metro && skew.abs() > METRO_WINDOW_SECS {
                "METRO refuses every signed request beyond 5 minutes"
            } else if metro {
                "METRO refuses signed requests beyond 5 minutes"
            } else {
                "waiting times are shown wrong"
            };
            Check::problem(
                account,
                "clock",
                format!("this machine's clock is {} {side} the marketplace's: {consequence}", duration(skew)),
                "synchronise the clock (NTP: `timedatectl set-ntp true`, or your platform's time settings)".to_owned(),
            )
        }
        Err(e) => Check::problem(
            account,
            "clock",
            format!("could not read the marketplace's time: {e}"),
            format!("check that {} is reachable", account.base_url()),
        ),
    }
}

fn duration(skew: i64) -> String {
    let now = Utc::now();
    ago(now, now - chrono::Duration::seconds(skew.abs()))
}

/// METRO signs each delivery over the subscription's URL; `serve` verifies over its
/// own public URL: any difference (scheme, host, port, path, a trailing slash) makes
/// every delivery `401 invalid_signature`.
async fn subscription_urls(
    account: &BuiltAccount,
    subscriptions: &marketplace_metro_subscriptions::Client,
    public_url: Option<&str>,
) -> Check {
    let list = match subscriptions.list_subscriptions().send().await {
        Ok(list) => list.into_inner().0,
        Err(e) => {
            let fix = if e.is_auth() {
                "check the key pair (subscriptions are bound to it: re-subscribe after rotating keys)"
            } else {
                "check the Subscriptions base URL and the network"
            };
            return Check {
                auth_refused: e.is_auth(),
                ..Check::problem(
                    account,
                    "subscriptions",
                    format!("cannot list them: {e}"),
                    fix.to_owned(),
                )
            };
        }
    };
    let Some(public_url) = public_url else {
        return Check::problem(
            account,
            "subscriptions",
            format!(
                "{} subscription(s); no receiver URL to compare them with",
                list.len()
            ),
            "set [serve] public_url in the configuration, or pass --public-url".to_owned(),
        );
    };
    let expected = super::serve::metro_receiver_url(public_url);
    let active: Vec<_> = list.iter().filter(|s| s.is_active).collect();
    if active.is_empty() {
        return Check::problem(
            account,
            "subscriptions",
            "no active subscription: METRO delivers no event".to_owned(),
            format!(
                "mkt subscriptions add --event order_created --url {expected} --fallback-email <you>"
            ),
        );
    }
    let wrong: Vec<_> = active.iter().filter(|s| s.url != expected).collect();
    if wrong.is_empty() {
        return Check::ok(
            account,
            "subscriptions",
            format!("{} active, all to {expected}", active.len()),
        );
    }
    let detail = wrong
        .iter()
        .map(|s| format!("{} ({}) delivers to {}", s.id, s.event, s.url))
        .collect::<Vec<_>>()
        .join("; ");
    let fix = wrong
        .iter()
        .map(|s| {
            format!(
                "mkt subscriptions remove {} && mkt subscriptions add --event {} --url {expected} --fallback-email {}",
                s.id, s.event, s.fallback_email
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    Check::problem(
        account,
        "subscriptions",
        format!(
            "{detail}, but `mkt serve` verifies signatures over {expected}: those deliveries get 401 invalid_signature"
        ),
        fix,
    )
}
