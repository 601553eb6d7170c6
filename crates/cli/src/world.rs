//! `--mock`: the embedded mock marketplace in this process, seeded and sized by flags,
//! with an inbox store kept per world in the state directory until `mkt mock --reset`.

use std::path::{Path, PathBuf};

use marketplace_mock::{MockConfig, MockMarketplace, Unconfirmed, Webhooks};

use crate::config::{Config, StoreConfig};
use crate::exit::{CliError, CliResult};

/// The account name of every marketplace in the mock world.
pub const ACCOUNT: &str = "demo";

/// Starts the mock (loopback only) for `seed` and `threads`.
pub async fn start(
    seed: u64,
    threads: usize,
    yandex_notification_urls: Vec<String>,
) -> CliResult<MockMarketplace> {
    MockMarketplace::start(MockConfig {
        seed,
        threads,
        unconfirmed: Unconfirmed {
            // The mock marketplace is local: no need to pace SkyHub at 1 request/s.
            skyhub_requests_per_second: None,
            ..Unconfirmed::default()
        },
        webhooks: Webhooks {
            yandex_notification_urls,
            ..Webhooks::default()
        },
        ..MockConfig::default()
    })
    .await
    .map_err(|e| CliError::failure(format!("cannot start the mock marketplace: {e}")))
}

/// Where the `--mock` inboxes live: `<platform data dir>/mock/`.
pub fn state_root() -> CliResult<PathBuf> {
    Ok(crate::config::dirs()?.data_local_dir().join("mock"))
}

/// The store of the world of `seed` and `threads`.
pub fn store_path(seed: u64, threads: usize) -> CliResult<PathBuf> {
    Ok(state_root()?
        .join(format!("seed-{seed}-threads-{threads}"))
        .join("inbox.sqlite"))
}

/// A configuration with one account per marketplace, all named [`ACCOUNT`], pointing
/// at `mock` with the credentials it accepts: [`config_toml`] read back, so what
/// `mkt mock` prints and what `--mock` uses cannot differ.
pub fn config(mock: &MockMarketplace, store: PathBuf) -> CliResult<Config> {
    let mut config = Config::parse(&config_toml(mock), Path::new("--mock"), &|_| None)?;
    config.store = StoreConfig {
        path: Some(store),
        url: None,
    };
    Ok(config)
}

/// `mkt mock --reset`: forgets every `--mock` inbox. Returns what was removed.
pub fn reset() -> CliResult<Vec<PathBuf>> {
    let root = state_root()?;
    let mut removed = Vec::new();
    let entries = match std::fs::read_dir(&root) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(removed),
        Err(e) => return Err(e.into()),
    };
    for entry in entries {
        let path = entry?.path();
        if path.is_dir() {
            std::fs::remove_dir_all(&path)?;
            removed.push(path);
        }
    }
    Ok(removed)
}

/// A configuration file for `mock` (its fake credentials included), the text
/// `mkt mock` prints.
pub fn config_toml(mock: &MockMarketplace) -> String {
    let (lz, metro, sky, ya) = (mock.lectronz(), mock.metro(), mock.skyhub(), mock.yandex());
    format!(
        "[lectronz.{ACCOUNT}]\napi_key = \"{}\"\nbase_url = \"{}\"\n\n\
         [metro.{ACCOUNT}]\nenvironment = \"sandbox\"\nclient_key = \"{}\"\nclient_secret = \"{}\"\nmessage_center_url = \"{}\"\nsubscriptions_url = \"{}\"\n\n\
         [skyhub.{ACCOUNT}]\nuser_email = \"{}\"\nidentity_id = \"00007604079750\"\napi_key = \"{}\"\naccount_manager_key = \"{}\"\nrequests_per_second = 0\nbase_url = \"{}\"\n\n\
         [yandex.{ACCOUNT}]\nbusiness_id = {}\napi_key = \"{}\"\nbase_url = \"{}\"\n",
        lz.api_key,
        lz.base_url,
        metro.client_id,
        metro.client_secret,
        metro.message_center_url,
        metro.subscriptions_url,
        sky.user_email,
        sky.api_key,
        sky.account_manager_key,
        sky.base_url,
        ya.business_id,
        ya.api_key,
        ya.base_url,
    )
}
