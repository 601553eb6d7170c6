//! `mkt sync [--watch]`: every account at once, a progress bar per account on a
//! terminal, then a summary; and the first sync other commands run on an empty store.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use marketplace_inbox::{Account, Inbox, SyncProgress, SyncReport};
use marketplace_inbox_store::{Checkpoint, Page, Store};

use super::{Context, Session};
use crate::cli::SyncArgs;
use crate::exit::{CliResult, Exit};

/// The checkpoint stream where `mkt` notes each account's last successful sync (in
/// the inbox store, beside the library's own streams).
const LAST_SYNC: &str = "mkt.last_sync";

pub async fn run(ctx: &Context, args: SyncArgs) -> CliResult {
    let session = ctx.session().await?;
    let inbox = session.inbox().await?;
    if !args.watch {
        let report = sync_once(ctx, &inbox).await?;
        print_report(ctx, &report)?;
        return Ok(exit_of(&report));
    }
    let interval = Duration::from_secs(
        args.interval
            .unwrap_or_else(|| session.config.sync_interval_secs())
            .max(1),
    );
    loop {
        let report = sync_once(ctx, &inbox).await?;
        print_report(ctx, &report)?;
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            _ = tokio::signal::ctrl_c() => return Ok(exit_of(&report)),
        }
    }
}

/// On an account never synced (a new store, a new account), commands that read the
/// store sync first, so that `mkt --mock inbox` on a fresh clone shows the inbox.
/// Progress and failures go to stderr; returns the sync's exit code (partial when an
/// account failed), which `inbox` passes on: its list lacks that account. The
/// commands about one thread ignore it (their thread's account failing shows as the
/// thread not being found).
pub async fn first_sync_if_needed(ctx: &Context, session: &Session, inbox: &Inbox) -> CliResult {
    let mut never = Vec::new();
    for account in inbox.accounts() {
        if last_sync(inbox.store().as_ref(), &account).await?.is_none() {
            never.push(account);
        }
    }
    if never.is_empty() {
        return Ok(Exit::Success);
    }
    let names: Vec<String> = never.iter().map(label).collect();
    eprintln!("First sync of {} ({}).", names.join(", "), session.source);
    let report = sync_once(ctx, inbox).await?;
    for account in &report.accounts {
        if let Some(error) = &account.error {
            eprintln!(
                "warning: {} did not sync: {}",
                label(&account.account),
                error.message
            );
        }
    }
    Ok(exit_of(&report))
}

/// When `account` last synced without error.
pub async fn last_sync(store: &dyn Store, account: &Account) -> CliResult<Option<DateTime<Utc>>> {
    let value = store.checkpoint(account, LAST_SYNC).await?;
    Ok(value
        .and_then(|v| v.as_str().map(str::to_owned))
        .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
        .map(|t| t.with_timezone(&Utc)))
}

/// One sync of every account, with progress bars on a terminal; notes each account
/// that synced without error.
pub async fn sync_once(ctx: &Context, inbox: &Inbox) -> CliResult<SyncReport> {
    let bars = Bars::new(&inbox.accounts());
    let report = inbox.sync_with(&|progress| bars.show(progress)).await;
    note_synced(inbox, &report, ctx.clock.now()).await?;
    Ok(report)
}

/// Notes, in the store, each account of `report` that synced without error.
pub async fn note_synced(inbox: &Inbox, report: &SyncReport, now: DateTime<Utc>) -> CliResult<()> {
    let checkpoint = Checkpoint {
        stream: LAST_SYNC.to_owned(),
        value: serde_json::Value::String(now.to_rfc3339()),
    };
    for account in report.accounts.iter().filter(|a| a.error.is_none()) {
        inbox
            .store()
            .apply_page(&account.account, &Page::default(), &checkpoint)
            .await?;
    }
    Ok(())
}

/// Exit code of a sync: partial when some accounts failed, auth when every failure
/// was refused credentials and nothing synced.
pub fn exit_of(report: &SyncReport) -> Exit {
    let failed: Vec<_> = report
        .accounts
        .iter()
        .filter_map(|a| a.error.as_ref())
        .collect();
    if failed.is_empty() {
        Exit::Success
    } else if failed.len() < report.accounts.len() {
        Exit::Partial
    } else if failed.iter().all(|e| e.kind == "auth") {
        Exit::Auth
    } else {
        Exit::Failure
    }
}

fn label(account: &Account) -> String {
    format!("{}:{}", account.marketplace, account.name)
}

fn print_report(ctx: &Context, report: &SyncReport) -> CliResult<()> {
    if ctx.out.json {
        return ctx.out.json(report);
    }
    let rows = report
        .accounts
        .iter()
        .map(|a| {
            vec![
                label(&a.account),
                a.threads_new.to_string(),
                a.threads_updated.to_string(),
                a.messages_new.to_string(),
                a.requests.to_string(),
                format!("{:.1}s", a.elapsed_ms as f64 / 1000.0),
                a.error
                    .as_ref()
                    .map(|e| e.message.clone())
                    .unwrap_or_else(|| "ok".to_owned()),
            ]
        })
        .collect();
    ctx.out.table(
        &[
            "account",
            "new threads",
            "updated",
            "new messages",
            "requests",
            "time",
            "result",
        ],
        rows,
    )
}

/// A progress bar per account on stderr (indicatif draws nothing when stderr is not
/// a terminal).
struct Bars {
    bars: Mutex<BTreeMap<Account, (ProgressBar, u64, u64)>>,
}

impl Bars {
    fn new(accounts: &[Account]) -> Self {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template("{spinner} {prefix:<20} {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        let bars = accounts
            .iter()
            .map(|account| {
                let bar = multi.add(ProgressBar::new_spinner());
                bar.set_style(style.clone());
                bar.set_prefix(label(account));
                bar.set_message("waiting");
                bar.enable_steady_tick(Duration::from_millis(120));
                (account.clone(), (bar, 0, 0))
            })
            .collect();
        Bars {
            bars: Mutex::new(bars),
        }
    }

    fn show(&self, progress: SyncProgress) {
        let Ok(mut bars) = self.bars.lock() else {
            return;
        };
        match progress {
            SyncProgress::Started { account } => {
                if let Some((bar, _, _)) = bars.get(&account) {
                    bar.set_message("syncing");
                }
            }
            SyncProgress::Page {
                account,
                threads,
                messages,
            } => {
                if let Some((bar, t, m)) = bars.get_mut(&account) {
                    *t += threads;
                    *m += messages;
                    bar.set_message(format!("{t} threads, {m} messages read"));
                }
            }
            SyncProgress::Finished { report } => {
                if let Some((bar, _, _)) = bars.get(&report.account) {
                    match &report.error {
                        None => bar.finish_with_message(format!(
                            "done: {} new messages, {} requests",
                            report.messages_new, report.requests
                        )),
                        Some(error) => {
                            bar.abandon_with_message(format!("FAILED: {}", error.message))
                        }
                    }
                }
            }
        }
    }
}

impl Drop for Bars {
    fn drop(&mut self) {
        if let Ok(bars) = self.bars.lock() {
            for (bar, _, _) in bars.values() {
                if !bar.is_finished() {
                    bar.abandon();
                }
            }
        }
    }
}
