//! The sync of one account: its marketplace's pass, counted, timed and reported.

use std::time::Instant;

use marketplace_runtime::RequestCounter;

use crate::account::{AccountState, Connection};
use crate::pass::Ctx;
use crate::report::{AccountSyncReport, SyncProgress};
use crate::{InboxError, Inner};

/// Syncs one account: its marketplace's pass, counted, timed and reported.
pub(crate) async fn sync_account(
    inner: &Inner,
    state: &AccountState,
    progress: &(dyn Fn(SyncProgress) + Send + Sync),
) -> AccountSyncReport {
    let started = Instant::now();
    let counter = RequestCounter::new();
    progress(SyncProgress::Started {
        account: state.account.clone(),
    });
    let _one_sync = state.syncing.lock().await;
    let ctx = Ctx::new(inner, state, progress);
    let result = counter.scope(run(&ctx)).await;
    if let Err(e) = &result {
        tracing::warn!(account = ?state.account, error = %e, "sync failed");
    }
    let totals = ctx.totals();
    let report = AccountSyncReport {
        account: state.account.clone(),
        threads_new: totals.threads_new,
        threads_updated: totals.threads_updated,
        messages_new: totals.messages_new,
        requests: counter.get(),
        error: result.as_ref().err().map(Into::into),
        elapsed_ms: started.elapsed().as_millis() as u64,
    };
    progress(SyncProgress::Finished {
        report: report.clone(),
    });
    report
}

async fn run(ctx: &Ctx<'_>) -> Result<(), InboxError> {
    match &ctx.state.connection {
        Connection::Metro(client) => crate::metro::sync(ctx, client).await,
        Connection::Yandex {
            business_id,
            client,
        } => crate::yandex::sync(ctx, client, *business_id).await,
        Connection::Skyhub { client, .. } => crate::skyhub::sync(ctx, client).await,
        Connection::Lectronz(client) => crate::lectronz::sync(ctx, client).await,
    }
}
