//! The accounts an inbox syncs: the caller's clients, and what the inbox keeps per
//! account.

use std::num::NonZeroU64;

use marketplace_inbox_store::{Account, Marketplace};

use crate::InboxError;

/// One seller account and the generated client that talks to it, built by the caller
/// (base URL, credentials, timeouts, retry policy, rate and concurrency limits).
///
/// Every call the inbox makes for the account — syncs, replies, push refreshes — goes
/// through this one client, so they share its limits (SkyHub's requests per second,
/// Yandex's requests in flight per cabinet).
#[derive(Debug, Clone)]
pub enum AccountClient {
    /// A METRO Markets seller (Message Center).
    Metro {
        /// The caller's name for the account (part of every thread id); not empty.
        name: String,
        /// The client.
        client: marketplace_metro_message_center::Client,
    },
    /// A Yandex Market cabinet.
    Yandex {
        /// The caller's name for the account; not empty.
        name: String,
        /// The cabinet (`businessId`, ≥ 1).
        business_id: u64,
        /// The client.
        client: marketplace_yandex_market_chats::Client,
    },
    /// A SkyHub (Americanas) seller.
    Skyhub {
        /// The caller's name for the account; not empty.
        name: String,
        /// The client.
        client: marketplace_skyhub_sac::Client,
        /// `identityId` for the body of every reply: SkyHub requires it and documents
        /// only "the document identifier" (example `00007604079750`), not where it
        /// comes from — presumably the seller's document number (unconfirmed).
        identity_id: String,
    },
    /// A Lectronz store.
    Lectronz {
        /// The caller's name for the account; not empty.
        name: String,
        /// The client.
        client: marketplace_lectronz::Client,
    },
}

impl AccountClient {
    /// The account this client belongs to.
    pub fn account(&self) -> Result<Account, InboxError> {
        let (marketplace, name) = match self {
            AccountClient::Metro { name, .. } => (Marketplace::Metro, name),
            AccountClient::Yandex { name, .. } => (Marketplace::Yandex, name),
            AccountClient::Skyhub { name, .. } => (Marketplace::Skyhub, name),
            AccountClient::Lectronz { name, .. } => (Marketplace::Lectronz, name),
        };
        Account::new(marketplace, name.clone()).map_err(|e| InboxError::Config(e.to_string()))
    }
}

/// The client of an account, as the inbox uses it.
pub(crate) enum Connection {
    Metro(marketplace_metro_message_center::Client),
    Yandex {
        business_id: NonZeroU64,
        client: marketplace_yandex_market_chats::Client,
    },
    Skyhub {
        client: marketplace_skyhub_sac::Client,
        identity_id: String,
    },
    Lectronz(marketplace_lectronz::Client),
}

/// What the inbox keeps per account.
pub(crate) struct AccountState {
    pub(crate) account: Account,
    pub(crate) connection: Connection,
    /// Held while a unit of work reads from the marketplace and stores what it read
    /// (a sync page, a push refresh, a reply's record), so an older read never
    /// overwrites a newer one of the same thread.
    pub(crate) unit: tokio::sync::Mutex<()>,
    /// Held for a whole sync: two syncs of one account never overlap.
    pub(crate) syncing: tokio::sync::Mutex<()>,
    /// One permit per read (a history, a message) in flight: the account's reads
    /// stay within the inbox's concurrency however many pages a pass reads at once.
    pub(crate) reads: tokio::sync::Semaphore,
}

impl AccountState {
    /// The state of `client`'s account, with `concurrency` reads in flight at most.
    pub(crate) fn new(client: AccountClient, concurrency: usize) -> Result<Self, InboxError> {
        let account = client.account()?;
        let connection = match client {
            AccountClient::Metro { client, .. } => Connection::Metro(client),
            AccountClient::Yandex {
                business_id,
                client,
                ..
            } => Connection::Yandex {
                business_id: NonZeroU64::new(business_id).ok_or_else(|| {
                    InboxError::Config(format!(
                        "Yandex account {:?}: the business id must be at least 1",
                        account.name
                    ))
                })?,
                client,
            },
            AccountClient::Skyhub {
                client,
                identity_id,
                ..
            } => Connection::Skyhub {
                client,
                identity_id,
            },
            AccountClient::Lectronz { client, .. } => Connection::Lectronz(client),
        };
        Ok(AccountState {
            account,
            connection,
            unit: tokio::sync::Mutex::new(()),
            syncing: tokio::sync::Mutex::new(()),
            reads: tokio::sync::Semaphore::new(concurrency),
        })
    }
}
