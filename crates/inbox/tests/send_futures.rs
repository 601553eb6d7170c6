//! The inbox's futures are `Send`: an application can `tokio::spawn` a sync, a reply or
//! a reconcile on a multi-threaded runtime (this file does not build when one is not).

use std::sync::Arc;

use marketplace_inbox::{Inbox, Reply};
use marketplace_inbox_sqlite::SqliteStore;
use marketplace_inbox_store::{ThreadFilter, ThreadId};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn syncs_replies_and_queries_run_on_spawned_tasks() {
    let store = Arc::new(SqliteStore::open_in_memory().await.unwrap());
    let inbox = Inbox::builder(store).build().unwrap();
    let thread: ThreadId = "lectronz:acme:1".parse().unwrap();

    let sync = tokio::spawn({
        let inbox = inbox.clone();
        async move { inbox.sync().await }
    });
    let progress = tokio::spawn({
        let inbox = inbox.clone();
        async move { inbox.sync_with(&|_| {}).await }
    });
    let reply = tokio::spawn({
        let (inbox, thread) = (inbox.clone(), thread.clone());
        async move { inbox.reply(Reply::text(thread, "hello")).await }
    });
    let queries = tokio::spawn({
        let inbox = inbox.clone();
        async move {
            let waiting = inbox.awaiting_reply(&ThreadFilter::default()).await?;
            let reconciled = inbox.reconcile_outbox().await?;
            Ok::<_, marketplace_inbox::InboxError>((waiting, reconciled))
        }
    });

    assert!(sync.await.unwrap().accounts.is_empty());
    assert!(progress.await.unwrap().accounts.is_empty());
    // No account is configured: the reply names the missing account, nothing is queued.
    let error = reply.await.unwrap().unwrap_err();
    assert!(error.to_string().contains("acme"), "{error}");
    let (waiting, _) = queries.await.unwrap().unwrap();
    assert!(waiting.is_empty());
}
