//! The generated clients, built from the configuration (their own builders: base URLs,
//! credentials, limits).

use marketplace_inbox_store::Marketplace;
use marketplace_runtime::{Auth, Clock, MetroHmac, RateLimit};

use crate::config::{Config, MetroEnvironment, Secret, env_name};
use crate::exit::{CliError, CliResult};

/// One configured account with its clients.
#[derive(Debug, Clone)]
pub struct BuiltAccount {
    /// The account's name in the configuration.
    pub name: String,
    /// Its clients.
    pub clients: Clients,
}

/// The clients of one account.
#[derive(Debug, Clone)]
pub enum Clients {
    /// Lectronz.
    Lectronz {
        /// The API client.
        client: marketplace_lectronz::Client,
        /// Its base URL.
        base_url: String,
    },
    /// METRO Markets: Message Center and Subscriptions (two hosts, one key pair).
    Metro {
        /// Message Center.
        message_center: marketplace_metro_message_center::Client,
        /// Subscriptions.
        subscriptions: marketplace_metro_subscriptions::Client,
        /// Message Center's base URL.
        base_url: String,
        /// The client key (not secret) and secret, for `trigger`'s signatures.
        key: (String, Secret),
    },
    /// SkyHub SAC.
    Skyhub {
        /// The API client.
        client: marketplace_skyhub_sac::Client,
        /// `identityId` of replies.
        identity_id: String,
        /// Its base URL.
        base_url: String,
    },
    /// Yandex Market Partner API (chats).
    Yandex {
        /// The cabinet.
        business_id: std::num::NonZeroU64,
        /// The API client.
        client: marketplace_yandex_market_chats::Client,
        /// Its base URL.
        base_url: String,
    },
}

impl BuiltAccount {
    /// The marketplace.
    pub fn marketplace(&self) -> Marketplace {
        match self.clients {
            Clients::Lectronz { .. } => Marketplace::Lectronz,
            Clients::Metro { .. } => Marketplace::Metro,
            Clients::Skyhub { .. } => Marketplace::Skyhub,
            Clients::Yandex { .. } => Marketplace::Yandex,
        }
    }

    /// The base URL the account's messaging API is called at.
    pub fn base_url(&self) -> &str {
        match &self.clients {
            Clients::Lectronz { base_url, .. }
            | Clients::Metro { base_url, .. }
            | Clients::Skyhub { base_url, .. }
            | Clients::Yandex { base_url, .. } => base_url,
        }
    }

    /// `marketplace:name`, as printed.
    pub fn label(&self) -> String {
        format!("{}:{}", self.marketplace(), self.name)
    }
}

/// The system clock moved by `MKT_CLOCK_OFFSET_SECS` seconds: a test-only switch that
/// plays a machine whose clock is wrong (what `mkt doctor` must detect), never set in
/// normal use.
#[derive(Debug, Clone, Copy)]
pub struct LocalClock {
    offset: i64,
}

impl LocalClock {
    /// From the environment.
    pub fn from_env() -> Self {
        let offset = std::env::var("MKT_CLOCK_OFFSET_SECS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        LocalClock { offset }
    }

    /// Now, as this machine believes.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::Utc::now() + chrono::Duration::seconds(self.offset)
    }
}

impl Clock for LocalClock {
    fn now_unix(&self) -> i64 {
        self.now().timestamp()
    }
}

fn missing(marketplace: Marketplace, name: &str, field: &str) -> CliError {
    CliError::usage(format!("{marketplace} account `{name}` has no {field}")).hint(format!(
        "set `{field}` in [{marketplace}.{name}] or the environment variable {}",
        env_name(marketplace, name, field)
    ))
}

fn config_error(label: &str, e: marketplace_runtime::ConfigError) -> CliError {
    CliError::usage(format!("{label}: {e}"))
}

/// Builds every configured account's clients.
pub fn build(config: &Config, clock: LocalClock) -> CliResult<Vec<BuiltAccount>> {
    let mut accounts = Vec::new();
    for (name, a) in &config.lectronz {
        let m = Marketplace::Lectronz;
        let key = a
            .api_key
            .as_ref()
            .ok_or_else(|| missing(m, name, "api_key"))?;
        let base_url = a
            .base_url
            .clone()
            .unwrap_or_else(|| marketplace_lectronz::DEFAULT_BASE_URL.to_owned());
        let client = marketplace_lectronz::Client::builder(key.expose())
            .base_url(&base_url)
            .build()
            .map_err(|e| config_error(&format!("lectronz:{name}"), e))?;
        accounts.push(BuiltAccount {
            name: name.clone(),
            clients: Clients::Lectronz { client, base_url },
        });
    }
    for (name, a) in &config.metro {
        let m = Marketplace::Metro;
        let key = a
            .client_key
            .clone()
            .ok_or_else(|| missing(m, name, "client_key"))?;
        let secret = a
            .client_secret
            .clone()
            .ok_or_else(|| missing(m, name, "client_secret"))?;
        let (mc_default, subs_default) = match a.environment {
            MetroEnvironment::Production => (
                marketplace_metro_message_center::PRODUCTION_BASE_URL,
                marketplace_metro_subscriptions::PRODUCTION_BASE_URL,
            ),
            MetroEnvironment::Sandbox => (
                marketplace_metro_message_center::SANDBOX_BASE_URL,
                marketplace_metro_subscriptions::SANDBOX_BASE_URL,
            ),
        };
        let base_url = a
            .message_center_url
            .clone()
            .unwrap_or_else(|| mc_default.to_owned());
        let subscriptions_url = a
            .subscriptions_url
            .clone()
            .unwrap_or_else(|| subs_default.to_owned());
        let signer = || Auth::from(MetroHmac::new(&key, secret.expose()).clock(clock));
        let label = format!("metro:{name}");
        let message_center = marketplace_metro_message_center::ClientBuilder::<
            marketplace_metro_message_center::Client,
        >::new(&base_url, signer())
        .build()
        .map_err(|e| config_error(&label, e))?;
        let subscriptions = marketplace_metro_subscriptions::ClientBuilder::<
            marketplace_metro_subscriptions::Client,
        >::new(subscriptions_url, signer())
        .build()
        .map_err(|e| config_error(&label, e))?;
        accounts.push(BuiltAccount {
            name: name.clone(),
            clients: Clients::Metro {
                message_center,
                subscriptions,
                base_url,
                key: (key, secret),
            },
        });
    }
    for (name, a) in &config.skyhub {
        let m = Marketplace::Skyhub;
        let email = a
            .user_email
            .clone()
            .ok_or_else(|| missing(m, name, "user_email"))?;
        let identity_id = a
            .identity_id
            .clone()
            .ok_or_else(|| missing(m, name, "identity_id"))?;
        let key = a
            .api_key
            .as_ref()
            .ok_or_else(|| missing(m, name, "api_key"))?;
        let manager = a
            .account_manager_key
            .as_ref()
            .ok_or_else(|| missing(m, name, "account_manager_key"))?;
        let base_url = a
            .base_url
            .clone()
            .unwrap_or_else(|| marketplace_skyhub_sac::DEFAULT_BASE_URL.to_owned());
        let mut builder =
            marketplace_skyhub_sac::Client::builder(email, key.expose(), manager.expose())
                .base_url(&base_url);
        match a.requests_per_second {
            Some(rate) if rate <= 0.0 => builder = builder.rate_limit(RateLimit::none()),
            Some(rate) => builder = builder.rate_limit(RateLimit::per_second(rate)),
            None => {}
        }
        let client = builder
            .build()
            .map_err(|e| config_error(&format!("skyhub:{name}"), e))?;
        accounts.push(BuiltAccount {
            name: name.clone(),
            clients: Clients::Skyhub {
                client,
                identity_id,
                base_url,
            },
        });
    }
    for (name, a) in &config.yandex {
        let m = Marketplace::Yandex;
        let business_id = a
            .business_id
            .and_then(std::num::NonZeroU64::new)
            .ok_or_else(|| missing(m, name, "business_id"))?;
        let base_url = a
            .base_url
            .clone()
            .unwrap_or_else(|| marketplace_yandex_market_chats::DEFAULT_BASE_URL.to_owned());
        let builder = match (&a.api_key, &a.oauth_token) {
            (_, Some(token)) => {
                marketplace_yandex_market_chats::Client::builder_oauth(token.expose())
            }
            (Some(key), None) => marketplace_yandex_market_chats::Client::builder(key.expose()),
            (None, None) => return Err(missing(m, name, "api_key")),
        };
        let client = builder
            .base_url(&base_url)
            .build()
            .map_err(|e| config_error(&format!("yandex:{name}"), e))?;
        accounts.push(BuiltAccount {
            name: name.clone(),
            clients: Clients::Yandex {
                business_id,
                client,
                base_url,
            },
        });
    }
    Ok(accounts)
}

/// The one account of `marketplace` named `name`, or its only one.
pub fn pick<'a>(
    accounts: &'a [BuiltAccount],
    marketplace: Marketplace,
    name: Option<&str>,
) -> CliResult<&'a BuiltAccount> {
    let mut of_marketplace = accounts.iter().filter(|a| a.marketplace() == marketplace);
    match name {
        Some(name) => of_marketplace.find(|a| a.name == name).ok_or_else(|| {
            CliError::usage(format!("no {marketplace} account named `{name}`"))
                .hint("`mkt config show` lists the accounts")
        }),
        None => {
            let first = of_marketplace.next().ok_or_else(|| {
                CliError::usage(format!("no {marketplace} account is configured")).hint(format!(
                    "add a [{marketplace}.<name>] table (`mkt config init` writes a template)"
                ))
            })?;
            if of_marketplace.next().is_some() {
                return Err(CliError::usage(format!(
                    "several {marketplace} accounts are configured: pick one with --account"
                )));
            }
            Ok(first)
        }
    }
}
