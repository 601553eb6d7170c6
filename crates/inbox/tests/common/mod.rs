//! The embedded mock marketplace, clients for it, an inbox over SQLite, and ways to
//! compare what the store holds with the mock's world.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use marketplace_inbox::{AccountClient, Inbox, InboxBuilder, Marketplace, ThreadId, VendorThread};
use marketplace_inbox_sqlite::SqliteStore;
use marketplace_mock::{Api, JournalEntry, MockConfig, MockMarketplace, Unconfirmed};
use marketplace_runtime::{RateLimit, RetryPolicy};
use serde::{Deserialize, Serialize};
use sqlx::Row;

pub const ACCOUNT: &str = "acme";

/// A mock with `threads` threads per marketplace, SkyHub unthrottled (the clients are
/// too: the tests are about the sync, not about SkyHub's pace).
pub fn config(threads: usize) -> MockConfig {
    MockConfig {
        threads,
        unconfirmed: Unconfirmed {
            skyhub_requests_per_second: None,
            ..Unconfirmed::default()
        },
        ..MockConfig::default()
    }
}

pub async fn mock(threads: usize) -> MockMarketplace {
    MockMarketplace::start(config(threads)).await.unwrap()
}

/// Where the mock serves each API and its fake credentials (a child process gets
/// them as JSON).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Access {
    pub lectronz_url: String,
    pub lectronz_key: String,
    pub skyhub_url: String,
    pub skyhub_email: String,
    pub skyhub_key: String,
    pub skyhub_account_manager_key: String,
    pub yandex_url: String,
    pub yandex_key: String,
    pub yandex_business: u64,
    pub metro_url: String,
    pub metro_id: String,
    pub metro_secret: String,
}

impl Access {
    pub fn of(mock: &MockMarketplace) -> Self {
        Access {
            lectronz_url: mock.lectronz().base_url.clone(),
            lectronz_key: mock.lectronz().api_key.clone(),
            skyhub_url: mock.skyhub().base_url.clone(),
            skyhub_email: mock.skyhub().user_email.clone(),
            skyhub_key: mock.skyhub().api_key.clone(),
            skyhub_account_manager_key: mock.skyhub().account_manager_key.clone(),
            yandex_url: mock.yandex().base_url.clone(),
            yandex_key: mock.yandex().api_key.clone(),
            yandex_business: mock.yandex().business_id,
            metro_url: mock.metro().message_center_url.clone(),
            metro_id: mock.metro().client_id.clone(),
            metro_secret: mock.metro().client_secret.clone(),
        }
    }

    /// One client per marketplace, retrying quickly.
    pub fn clients(&self) -> Vec<AccountClient> {
        let retry = || {
            RetryPolicy::default()
                .max_retries(2)
                .backoff(Duration::from_millis(20), Duration::from_millis(100))
        };
        vec![
            AccountClient::Metro {
                name: ACCOUNT.into(),
                client: marketplace_metro_message_center::Client::sandbox(
                    &self.metro_id,
                    &self.metro_secret,
                )
                .base_url(&self.metro_url)
                .retry_policy(retry())
                .build()
                .unwrap(),
            },
            AccountClient::Yandex {
                name: ACCOUNT.into(),
                business_id: self.yandex_business,
                client: marketplace_yandex_market_chats::Client::builder(&self.yandex_key)
                    .base_url(&self.yandex_url)
                    .retry_policy(retry())
                    .build()
                    .unwrap(),
            },
            AccountClient::Skyhub {
                name: ACCOUNT.into(),
                client: marketplace_skyhub_sac::Client::builder(
                    &self.skyhub_email,
                    &self.skyhub_key,
                    &self.skyhub_account_manager_key,
                )
                .base_url(&self.skyhub_url)
                .rate_limit(RateLimit::none())
                .retry_policy(retry())
                .build()
                .unwrap(),
                identity_id: "00007604079750".into(),
            },
            AccountClient::Lectronz {
                name: ACCOUNT.into(),
                client: marketplace_lectronz::Client::builder(&self.lectronz_key)
                    .base_url(&self.lectronz_url)
                    .retry_policy(retry())
                    .build()
                    .unwrap(),
            },
        ]
    }

    /// An inbox builder over `store` with every account.
    pub fn builder(&self, store: Arc<SqliteStore>) -> InboxBuilder {
        self.clients()
            .into_iter()
            .fold(Inbox::builder(store), InboxBuilder::account)
    }
}

pub async fn memory_store() -> Arc<SqliteStore> {
    Arc::new(SqliteStore::open_in_memory().await.unwrap())
}

/// The mock API of a marketplace.
pub fn api_of(marketplace: Marketplace) -> Api {
    match marketplace {
        Marketplace::Lectronz => Api::Lectronz,
        Marketplace::Metro => Api::MetroMessageCenter,
        Marketplace::Skyhub => Api::SkyhubSac,
        Marketplace::Yandex => Api::YandexMarketChats,
    }
}

pub const APIS: [Api; 4] = [
    Api::Lectronz,
    Api::MetroMessageCenter,
    Api::SkyhubSac,
    Api::YandexMarketChats,
];

/// A stored thread's id as the mock's census names it.
pub fn census_name(id: &ThreadId) -> String {
    match &id.vendor {
        VendorThread::Lectronz { order_id } => order_id.to_string(),
        VendorThread::Metro { chat_id } => chat_id.clone(),
        VendorThread::Skyhub { code, parts } => format!("{code}/{parts}"),
        VendorThread::Yandex { chat_id, .. } => chat_id.to_string(),
    }
}

pub type Census = HashMap<Api, Vec<(String, usize)>>;

/// Per API: every stored thread (as the census names it) with its message count.
pub async fn stored_census(store: &SqliteStore) -> Census {
    let rows = sqlx::query(
        "SELECT t.thread_key AS k, COUNT(m.message_id) AS n FROM threads t
         LEFT JOIN messages m ON m.thread_key = t.thread_key GROUP BY t.thread_key",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    let mut census: Census = APIS.into_iter().map(|api| (api, Vec::new())).collect();
    for row in rows {
        let key: String = row.get("k");
        let n: i64 = row.get("n");
        let id: ThreadId = key.parse().unwrap();
        census
            .get_mut(&api_of(id.marketplace()))
            .unwrap()
            .push((census_name(&id), n as usize));
    }
    for threads in census.values_mut() {
        threads.sort();
    }
    census
}

/// The mock's world, per API, like [`stored_census`].
pub fn world_census(mock: &MockMarketplace) -> Census {
    APIS.into_iter()
        .map(|api| {
            let threads = mock
                .census(api)
                .into_iter()
                .map(|t| (t.thread, t.messages))
                .collect();
            (api, threads)
        })
        .collect()
}

/// Everything the store holds about threads and messages (not when rows were
/// written), sorted: two stores with the same content dump the same.
pub async fn dump(store: &SqliteStore) -> Vec<String> {
    let mut rows = Vec::new();
    for row in sqlx::query(
        "SELECT thread_key, order_id, order_number, subject, status_kind, status_raw,
                CAST(unread AS TEXT), last_activity, awaiting_since FROM threads",
    )
    .fetch_all(store.pool())
    .await
    .unwrap()
    {
        let cells: Vec<String> = (0..9)
            .map(|i| row.get::<Option<String>, _>(i).unwrap_or_default())
            .collect();
        rows.push(format!("thread {}", cells.join(" | ")));
    }
    for row in sqlx::query(
        "SELECT thread_key, message_id, author, text, attachments, created_at, read_at, raw
         FROM messages",
    )
    .fetch_all(store.pool())
    .await
    .unwrap()
    {
        let cells: Vec<String> = (0..8)
            .map(|i| row.get::<Option<String>, _>(i).unwrap_or_default())
            .collect();
        rows.push(format!("message {}", cells.join(" | ")));
    }
    rows.sort();
    rows
}

/// The request lines (`METHOD path?query`) of an API's journal.
pub fn requests(mock: &MockMarketplace, api: Api) -> Vec<String> {
    mock.journal_of(api)
        .iter()
        .map(JournalEntry::request_line)
        .collect()
}

/// A thread id of the test account.
pub fn thread(text: &str) -> ThreadId {
    text.parse().unwrap()
}
