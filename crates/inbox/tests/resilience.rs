//! One marketplace failing leaves the others' syncs whole, with the failure reported
//! for its account only; Yandex's exhausted quotas make the sync wait, not fail;
//! retention purges old texts.

mod common;

use std::time::Duration;

use common::*;
use marketplace_inbox::{AccountClient, Inbox, Marketplace};
use marketplace_mock::{Api, Faults, Latency, MockConfig, MockMarketplace, YandexQuotas};
use marketplace_runtime::RetryPolicy;

#[tokio::test]
async fn a_marketplace_answering_500s_fails_alone_and_the_others_complete() {
    let mock = mock(30).await;
    mock.set_faults(
        Api::SkyhubSac,
        Faults {
            error_percent: 100,
            ..Faults::default()
        },
    );
    let store = memory_store().await;
    let inbox = Access::of(&mock).builder(store.clone()).build().unwrap();

    let report = inbox.sync().await;

    for account in &report.accounts {
        if account.account.marketplace == Marketplace::Skyhub {
            let error = account.error.as_ref().expect("SkyHub failed");
            assert_eq!(
                (error.kind.as_str(), error.status),
                ("api", Some(500)),
                "{error:?}"
            );
            assert_eq!(account.messages_new, 0);
        } else {
            assert!(account.error.is_none(), "{account:?}");
        }
    }
    let stored = stored_census(&store).await;
    let world = world_census(&mock);
    for api in [
        Api::Lectronz,
        Api::MetroMessageCenter,
        Api::YandexMarketChats,
    ] {
        assert_eq!(stored[&api], world[&api], "{api:?}");
    }
    assert!(stored[&Api::SkyhubSac].is_empty());

    // SkyHub back: the next sync catches up.
    mock.set_faults(Api::SkyhubSac, Faults::default());
    assert!(inbox.sync().await.is_ok());
    assert_eq!(stored_census(&store).await, world_census(&mock));
}

/// An inbox of the mock's Yandex cabinet alone, its client with room to wait out
/// several quota windows.
async fn patient(mock: &MockMarketplace) -> Inbox {
    let access = Access::of(mock);
    let yandex = marketplace_yandex_market_chats::Client::builder(&access.yandex_key)
        .base_url(&access.yandex_url)
        .retry_policy(RetryPolicy::default().max_retries(10))
        .build()
        .unwrap();
    Inbox::builder(memory_store().await)
        .account(AccountClient::Yandex {
            name: ACCOUNT.into(),
            business_id: access.yandex_business,
            client: yandex,
        })
        .build()
        .unwrap()
}

#[tokio::test]
async fn exhausted_yandex_quotas_make_the_sync_wait_and_complete() {
    let mock = MockMarketplace::start(MockConfig {
        threads: 16,
        yandex_quotas: YandexQuotas {
            window: Duration::from_secs(1),
            limit: Some(3),
        },
        ..config(16)
    })
    .await
    .unwrap();
    let inbox = patient(&mock).await;

    let report = inbox.sync().await;

    assert!(report.is_ok(), "{report:#?}");
    let refused = mock
        .journal_of(Api::YandexMarketChats)
        .iter()
        .filter(|e| e.status == 420)
        .count();
    assert!(refused > 0, "the quota was hit");
    let chats: Vec<(String, usize)> = world_census(&mock).remove(&Api::YandexMarketChats).unwrap();
    let stored: usize = report.accounts[0].messages_new as usize;
    assert_eq!(stored, chats.iter().map(|(_, n)| n).sum::<usize>());
}

#[tokio::test]
async fn retention_purges_old_texts_and_keeps_recent_ones() {
    let mock = mock(10).await;
    let store = memory_store().await;
    // The generated world ends on 2026-01-01; a buyer writes now.
    let chat = world_census(&mock)[&Api::YandexMarketChats][0].0.clone();
    mock.buyer_writes(Api::YandexMarketChats, &chat, "Recent question")
        .unwrap();
    let inbox = Access::of(&mock)
        .builder(store.clone())
        .retention(Duration::from_secs(30 * 24 * 3600))
        .build()
        .unwrap();
    assert!(inbox.sync().await.is_ok());

    let texts: Vec<(Option<String>, String)> = sqlx::query_as("SELECT text, raw FROM messages")
        .fetch_all(store.pool())
        .await
        .unwrap();
    let kept: Vec<_> = texts.iter().filter(|(t, _)| t.is_some()).collect();
    assert_eq!(kept.len(), 1, "only the recent message keeps its text");
    assert_eq!(kept[0].0.as_deref(), Some("Recent question"));
    assert!(
        texts
            .iter()
            .filter(|(t, _)| t.is_none())
            .all(|(_, raw)| raw == "null")
    );
    // A later sync does not bring purged texts back.
    assert!(inbox.sync().await.is_ok());
    let purged: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM messages WHERE text IS NULL")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(purged as usize, texts.len() - 1);
}

#[tokio::test]
async fn a_dropped_sync_stops_every_account_and_the_next_one_completes() {
    let mock = mock(30).await;
    for api in APIS {
        mock.set_faults(
            api,
            Faults {
                latency: Latency::Fixed(Duration::from_millis(20)),
                ..Faults::default()
            },
        );
    }
    let store = memory_store().await;
    let inbox = Access::of(&mock).builder(store.clone()).build().unwrap();

    // Each account syncs in its own task: dropping the sync must stop them all, not
    // leave them running detached.
    let dropped = tokio::time::timeout(Duration::from_millis(150), inbox.sync()).await;
    assert!(dropped.is_err(), "the sync takes longer than 150 ms");
    // Requests already on their way may still arrive; after that, nothing.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let sent = |mock: &MockMarketplace| APIS.map(|api| requests(mock, api).len());
    let after_drop = sent(&mock);
    assert!(after_drop.iter().all(|&n| n > 0), "{after_drop:?}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        sent(&mock),
        after_drop,
        "requests sent after the sync was dropped"
    );

    let report = inbox.sync().await;
    assert!(report.is_ok(), "{report:?}");
    assert_eq!(stored_census(&store).await, world_census(&mock));
}
