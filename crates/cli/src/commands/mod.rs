//! One module per command; [`Context`] is what they share.

mod config_cmd;
mod doctor;
mod mock;
mod schema;
mod serve;
mod subscriptions;
mod sync;
mod threads;
mod trigger;

use std::path::PathBuf;
use std::sync::Arc;

use marketplace_inbox::{AccountClient, Inbox, InboxError};
use marketplace_inbox_sqlite::SqliteStore;
use marketplace_inbox_store::Store;
use marketplace_mock::MockMarketplace;

use crate::cli::{Cli, Command, Global};
use crate::clients::{self, BuiltAccount, Clients, LocalClock};
use crate::config::{self, Config};
use crate::exit::{CliError, CliResult, Exit};
use crate::metrics::Metrics;
use crate::output::Output;
use crate::world;

pub use schema::ErrorOutput;

/// What every command gets: the global options, the output and the clock.
pub struct Context {
    /// The global options.
    pub global: Global,
    /// Where to print.
    pub out: Output,
    /// This machine's clock (see [`LocalClock`]).
    pub clock: LocalClock,
    /// `serve`'s metrics (also fed by the tracing layer installed in `main`).
    pub metrics: Arc<Metrics>,
}

/// The accounts a command works on: the configured ones, or the `--mock` world's.
pub struct Session {
    /// The configuration (the mock world's with `--mock`).
    pub config: Config,
    /// Every account with its clients.
    pub accounts: Vec<BuiltAccount>,
    /// The in-process mock of `--mock`, held for as long as the session: dropping it
    /// stops its servers.
    _mock: Option<MockMarketplace>,
    /// Where the configuration came from (`--mock` for the mock world).
    pub source: String,
}

impl Context {
    /// The configuration file's path.
    pub fn config_path(&self) -> CliResult<PathBuf> {
        config::path(self.global.config.as_deref())
    }

    /// Loads the configuration and builds the clients, or starts the `--mock` world.
    pub async fn session(&self) -> CliResult<Session> {
        self.session_with(Vec::new()).await
    }

    /// [`Context::session`], with the mock pushing Yandex notifications to `urls`.
    pub async fn session_with(&self, yandex_notification_urls: Vec<String>) -> CliResult<Session> {
        let (config, mock, source) = if self.global.mock {
            let mock = world::start(
                self.global.seed,
                self.global.threads,
                yandex_notification_urls,
            )
            .await?;
            let store = world::store_path(self.global.seed, self.global.threads)?;
            (
                world::config(&mock, store)?,
                Some(mock),
                "--mock".to_owned(),
            )
        } else {
            let (config, path) = self.file_config()?;
            if !config.has_accounts() {
                return Err(CliError::usage(format!("{} configures no account", path.display()))
                    .hint("add a [<marketplace>.<name>] table (see the comments `mkt config init` writes), or try `mkt --mock …`"));
            }
            (config, None, path.display().to_string())
        };
        let accounts = clients::build(&config, self.clock)?;
        Ok(Session {
            config,
            accounts,
            _mock: mock,
            source,
        })
    }

    /// The configuration file, read and checked (secrets from the environment
    /// applied), with its path; no client is built.
    pub fn file_config(&self) -> CliResult<(Config, PathBuf)> {
        let path = self.config_path()?;
        Ok((Config::load(&path)?, path))
    }
}

impl Session {
    /// The inbox over every account, on the store.
    pub async fn inbox(&self) -> CliResult<Inbox> {
        let mut builder = Inbox::builder(self.store().await?);
        for account in &self.accounts {
            let name = account.name.clone();
            builder = builder.account(match &account.clients {
                Clients::Lectronz { client, .. } => AccountClient::Lectronz {
                    name,
                    client: client.clone(),
                },
                Clients::Metro { message_center, .. } => AccountClient::Metro {
                    name,
                    client: message_center.clone(),
                },
                Clients::Skyhub {
                    client,
                    identity_id,
                    ..
                } => AccountClient::Skyhub {
                    name,
                    client: client.clone(),
                    identity_id: identity_id.clone(),
                },
                Clients::Yandex {
                    business_id,
                    client,
                    ..
                } => AccountClient::Yandex {
                    name,
                    business_id: business_id.get(),
                    client: client.clone(),
                },
            });
        }
        builder.build().map_err(inbox_error)
    }

    /// Opens (creating it if needed) the inbox store.
    pub async fn store(&self) -> CliResult<Arc<dyn Store>> {
        let path = store_location(&self.config)?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| CliError::failure(format!("cannot create {}: {e}", dir.display())))?;
        }
        let store = SqliteStore::open(&path).await.map_err(|e| {
            CliError::failure(format!(
                "cannot open the inbox store {}: {e}",
                path.display()
            ))
        })?;
        Ok(Arc::new(store))
    }
}

/// Where `config`'s inbox is stored, as printed.
pub fn store_display(config: &Config) -> CliResult<String> {
    store_location(config).map(|l| l.display().to_string())
}

/// The SQLite file: `[store] url` (`sqlite://<path>`), else `[store] path`, else the
/// platform's data directory.
fn store_location(config: &Config) -> CliResult<PathBuf> {
    if let Some(url) = &config.store.url {
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .ok_or_else(|| {
                let scheme = url.split(':').next().unwrap_or_default();
                CliError::usage(format!(
                    "[store] url: `{scheme}:` databases are not supported yet, only sqlite://<path>"
                ))
            })?;
        // `sqlite::memory:` would forget the inbox when mkt exits.
        if path.is_empty() || path.starts_with(':') {
            return Err(CliError::usage(format!(
                "[store] url `{url}`: the store must be a file (sqlite://<path>)"
            )));
        }
        return Ok(PathBuf::from(path));
    }
    match &config.store.path {
        Some(path) => Ok(path.clone()),
        None => Ok(config::dirs()?.data_dir().join("inbox.sqlite")),
    }
}

/// An inbox error as the CLI reports it: the exit code for refused credentials,
/// a hint for the common cases.
pub fn inbox_error(error: InboxError) -> CliError {
    if error
        .api_error()
        .is_some_and(marketplace_runtime::Error::is_auth)
    {
        return CliError {
            exit: Exit::Auth,
            message: error.to_string(),
            hint: Some(
                "check the account's credentials (`mkt config show`, `mkt doctor`)".to_owned(),
            ),
        };
    }
    let hint = if error.is_not_found() {
        Some("`mkt sync`, then `mkt inbox` lists the threads")
    } else if error.is_conflict() {
        Some("read the thread again (`mkt show`), or send anyway with --force")
    } else if error.is_outcome_unknown() {
        Some(
            "check the thread on the marketplace before sending again; `mkt show` lists the reply's state",
        )
    } else {
        None
    };
    CliError {
        exit: Exit::Failure,
        message: error.to_string(),
        hint: hint.map(str::to_owned),
    }
}

/// Runs the command.
pub async fn run(cli: Cli, out: Output, metrics: Arc<Metrics>) -> CliResult {
    let ctx = Context {
        global: cli.global,
        out,
        clock: LocalClock::from_env(),
        metrics,
    };
    match cli.command {
        Command::Inbox(args) => threads::inbox(&ctx, args).await,
        Command::Show { thread } => threads::show(&ctx, &thread).await,
        Command::Reply(args) => threads::reply(&ctx, args).await,
        Command::MarkRead { thread } => threads::mark_read(&ctx, &thread).await,
        Command::Start(args) => threads::start(&ctx, args).await,
        Command::Sync(args) => sync::run(&ctx, args).await,
        Command::Serve(args) => serve::run(&ctx, args).await,
        Command::Trigger(args) => trigger::run(&ctx, args).await,
        Command::Doctor { public_url } => doctor::run(&ctx, public_url).await,
        Command::Subscriptions(command) => subscriptions::run(&ctx, command).await,
        Command::Mock(args) => mock::run(&ctx, args).await,
        Command::Schema { command } => schema::run(&ctx, command),
        Command::Config(command) => config_cmd::run(&ctx, command).await,
    }
}
