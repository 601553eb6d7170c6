//! The configuration file: accounts per marketplace, the store, `serve`'s settings;
//! secrets from the file or from `MKT_<MARKETPLACE>_<ACCOUNT>_<FIELD>`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use marketplace_inbox_store::Marketplace;
use schemars::JsonSchema;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::exit::{CliError, CliResult};

/// The whole file. Unknown keys are an error (a typo must not silently drop a setting).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where the inbox is stored.
    #[serde(default)]
    pub store: StoreConfig,
    /// `mkt serve` (and `mkt doctor`'s receiver URL check).
    #[serde(default)]
    pub serve: ServeConfig,
    /// Lectronz accounts by name.
    #[serde(default)]
    pub lectronz: BTreeMap<String, LectronzAccount>,
    /// METRO Markets accounts by name.
    #[serde(default)]
    pub metro: BTreeMap<String, MetroAccount>,
    /// SkyHub (Americanas) accounts by name.
    #[serde(default)]
    pub skyhub: BTreeMap<String, SkyhubAccount>,
    /// Yandex Market cabinets by name.
    #[serde(default)]
    pub yandex: BTreeMap<String, YandexAccount>,
}

/// `[store]`: a SQLite file (the default) or a database URL.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// The SQLite file.
    pub path: Option<PathBuf>,
    /// A database URL (`sqlite://<path>`; other databases are not supported yet).
    pub url: Option<String>,
}

/// `[serve]`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeConfig {
    /// Where `mkt serve` listens (default 127.0.0.1:8080).
    pub listen: Option<SocketAddr>,
    /// The public base URL the marketplaces reach `serve` at (METRO's subscription URL
    /// is this plus `/hooks/metro-markets/events`, and it is signed byte for byte).
    pub public_url: Option<String>,
    /// Seconds between two syncs (default 300).
    pub sync_interval_secs: Option<u64>,
}

/// A secret: never printed (`Debug` is redacted by `secrecy`).
#[derive(Debug, Clone)]
pub struct Secret(SecretString);

impl Secret {
    /// The value, to hand to a client builder only.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(SecretString::from(value))
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret::from)
    }
}

/// `[lectronz.<name>]`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LectronzAccount {
    /// The store's API key (secret; or `MKT_LECTRONZ_<NAME>_API_KEY`).
    pub api_key: Option<Secret>,
    /// Another base URL (a proxy, the mock).
    pub base_url: Option<String>,
}

/// `[metro.<name>]`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetroAccount {
    /// The client key (not secret: it is sent in clear; or `MKT_METRO_<NAME>_CLIENT_KEY`).
    pub client_key: Option<String>,
    /// The client secret (or `MKT_METRO_<NAME>_CLIENT_SECRET`).
    pub client_secret: Option<Secret>,
    /// `production` (default) or `sandbox`.
    #[serde(default)]
    pub environment: MetroEnvironment,
    /// Another Message Center base URL.
    pub message_center_url: Option<String>,
    /// Another Subscriptions base URL.
    pub subscriptions_url: Option<String>,
}

/// Which METRO hosts an account uses.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MetroEnvironment {
    /// METRO's production hosts (inferred; see ARCHITECTURE.md).
    #[default]
    Production,
    /// METRO's sandbox.
    Sandbox,
}

/// `[skyhub.<name>]`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SkyhubAccount {
    /// The seller account's e-mail (not secret).
    pub user_email: Option<String>,
    /// The API key (secret; or `MKT_SKYHUB_<NAME>_API_KEY`).
    pub api_key: Option<Secret>,
    /// The integrator's account-manager key (secret; or `MKT_SKYHUB_<NAME>_ACCOUNT_MANAGER_KEY`).
    pub account_manager_key: Option<Secret>,
    /// `identityId` of every reply: SkyHub requires it and documents only "the
    /// document identifier" (presumably the seller's document number, unconfirmed).
    pub identity_id: Option<String>,
    /// Requests per second (SkyHub does not publish the SAC limit; default 1, 0: none).
    pub requests_per_second: Option<f64>,
    /// Another base URL.
    pub base_url: Option<String>,
}

/// `[yandex.<name>]`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct YandexAccount {
    /// The cabinet's `businessId`.
    pub business_id: Option<u64>,
    /// An API key (secret; or `MKT_YANDEX_<NAME>_API_KEY`).
    pub api_key: Option<Secret>,
    /// Or an OAuth token (secret; or `MKT_YANDEX_<NAME>_OAUTH_TOKEN`).
    pub oauth_token: Option<Secret>,
    /// Another base URL.
    pub base_url: Option<String>,
}

/// Where the config file is: `--config`, else `$MKT_CONFIG`, else the platform's
/// configuration directory (`~/.config/mkt/config.toml` on Linux,
/// `~/Library/Application Support/mkt/config.toml` on macOS, `%APPDATA%\mkt\config\config.toml` on Windows).
pub fn path(explicit: Option<&Path>) -> CliResult<PathBuf> {
    if let Some(path) = explicit {
        return Ok(path.to_owned());
    }
    if let Some(path) = std::env::var_os("MKT_CONFIG") {
        return Ok(PathBuf::from(path));
    }
    Ok(dirs()?.config_dir().join("config.toml"))
}

/// The platform's directories for `mkt`.
pub fn dirs() -> CliResult<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "mkt").ok_or_else(|| {
        CliError::usage("no home directory: cannot place the configuration and the store")
            .hint("pass --config, and set [store] path in it")
    })
}

impl Config {
    /// Reads and checks the file at `path`, then applies the environment's secrets.
    pub fn load(path: &Path) -> CliResult<Config> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            let error = CliError::usage(format!("cannot read {}: {e}", path.display()));
            if e.kind() == std::io::ErrorKind::NotFound {
                error.hint(
                    "run `mkt config init` to write a commented template, or try the mock: `mkt --mock inbox`",
                )
            } else {
                error
            }
        })?;
        Config::parse(&text, path, &|name| std::env::var(name).ok())
    }

    /// Parses `text` (from `path`, for messages) and applies the secrets `env` finds.
    pub fn parse(
        text: &str,
        path: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> CliResult<Config> {
        // toml's message quotes the offending line, which may hold a secret: only its
        // position and the reason are shown.
        let mut config: Config = toml::from_str(text).map_err(|e| {
            let at = e
                .span()
                .map(|span| {
                    let line = text[..span.start].matches('\n').count() + 1;
                    format!(" (line {line})")
                })
                .unwrap_or_default();
            CliError::usage(format!(
                "{}{at}: {}",
                path.display(),
                e.message().trim_end()
            ))
        })?;
        config.apply_env(env)?;
        Ok(config)
    }

    fn apply_env(&mut self, env: &dyn Fn(&str) -> Option<String>) -> CliResult<()> {
        self.check_env_prefixes()?;
        let var = |m: Marketplace, name: &str, field: &str| env(&env_name(m, name, field));
        for (name, a) in &mut self.lectronz {
            overlay(&mut a.api_key, var(Marketplace::Lectronz, name, "api_key"));
        }
        for (name, a) in &mut self.metro {
            if let Some(key) = var(Marketplace::Metro, name, "client_key") {
                a.client_key = Some(key);
            }
            overlay(
                &mut a.client_secret,
                var(Marketplace::Metro, name, "client_secret"),
            );
        }
        for (name, a) in &mut self.skyhub {
            overlay(&mut a.api_key, var(Marketplace::Skyhub, name, "api_key"));
            overlay(
                &mut a.account_manager_key,
                var(Marketplace::Skyhub, name, "account_manager_key"),
            );
        }
        for (name, a) in &mut self.yandex {
            overlay(&mut a.api_key, var(Marketplace::Yandex, name, "api_key"));
            overlay(
                &mut a.oauth_token,
                var(Marketplace::Yandex, name, "oauth_token"),
            );
        }
        Ok(())
    }

    /// Two account names of one marketplace that map to one variable prefix
    /// (`shop-1` and `shop_1`) would share their secrets: refused.
    fn check_env_prefixes(&self) -> CliResult<()> {
        let names: [(Marketplace, Vec<&String>); 4] = [
            (Marketplace::Lectronz, self.lectronz.keys().collect()),
            (Marketplace::Metro, self.metro.keys().collect()),
            (Marketplace::Skyhub, self.skyhub.keys().collect()),
            (Marketplace::Yandex, self.yandex.keys().collect()),
        ];
        for (marketplace, names) in names {
            let mut seen: BTreeMap<String, &String> = BTreeMap::new();
            for name in names {
                if name.is_empty() {
                    return Err(CliError::usage(format!(
                        "[{marketplace}.\"\"]: an account needs a name"
                    )));
                }
                if let Some(other) = seen.insert(env_name(marketplace, name, ""), name) {
                    return Err(CliError::usage(format!(
                        "{marketplace} accounts `{other}` and `{name}` share the environment prefix {}: rename one",
                        env_name(marketplace, name, "")
                    )));
                }
            }
        }
        Ok(())
    }

    /// Whether any account is configured.
    pub fn has_accounts(&self) -> bool {
        !(self.lectronz.is_empty()
            && self.metro.is_empty()
            && self.skyhub.is_empty()
            && self.yandex.is_empty())
    }
}

fn overlay(slot: &mut Option<Secret>, from_env: Option<String>) {
    if let Some(value) = from_env {
        *slot = Some(Secret::from(value));
    }
}

/// `MKT_<MARKETPLACE>_<ACCOUNT>_<FIELD>` ([`marketplace_runtime::credential_env_var`]:
/// `[metro.de-main] client_secret` → `MKT_METRO_DE_MAIN_CLIENT_SECRET`).
pub fn env_name(marketplace: Marketplace, account: &str, field: &str) -> String {
    marketplace_runtime::credential_env_var(marketplace.as_str(), account, field)
}

/// A secret as `mkt config show` prints it.
fn shown(secret: &Option<Secret>, marketplace: Marketplace, account: &str, field: &str) -> String {
    match secret {
        Some(_) => "<redacted>".to_owned(),
        None => format!("<not set: {}>", env_name(marketplace, account, field)),
    }
}

/// The configuration as `mkt config show` prints it: every secret redacted.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Redacted {
    /// The file read.
    pub path: String,
    /// Where the inbox is stored.
    pub store: String,
    /// The `serve` settings.
    pub serve: BTreeMap<String, String>,
    /// Every account: marketplace, name and its settings (secrets as `<redacted>` or
    /// `<not set: VARIABLE>`).
    pub accounts: Vec<RedactedAccount>,
}

/// One account of [`Redacted`].
#[derive(Debug, Serialize, JsonSchema)]
pub struct RedactedAccount {
    /// The marketplace.
    pub marketplace: Marketplace,
    /// The account's name.
    pub name: String,
    /// Its settings, secrets redacted.
    pub settings: BTreeMap<String, String>,
}

impl Config {
    /// Every setting, secrets redacted.
    pub fn redacted(&self, path: &Path, store: &str) -> Redacted {
        let mut accounts = Vec::new();
        let mut push = |marketplace, name: &String, settings: Vec<(&str, Option<String>)>| {
            accounts.push(RedactedAccount {
                marketplace,
                name: name.clone(),
                settings: settings
                    .into_iter()
                    .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v)))
                    .collect(),
            });
        };
        for (name, a) in &self.lectronz {
            let m = Marketplace::Lectronz;
            push(
                m,
                name,
                vec![
                    ("api_key", Some(shown(&a.api_key, m, name, "api_key"))),
                    ("base_url", a.base_url.clone()),
                ],
            );
        }
        for (name, a) in &self.metro {
            let m = Marketplace::Metro;
            push(
                m,
                name,
                vec![
                    (
                        "client_key",
                        Some(a.client_key.clone().unwrap_or_else(|| {
                            format!("<not set: {}>", env_name(m, name, "client_key"))
                        })),
                    ),
                    (
                        "client_secret",
                        Some(shown(&a.client_secret, m, name, "client_secret")),
                    ),
                    (
                        "environment",
                        Some(format!("{:?}", a.environment).to_lowercase()),
                    ),
                    ("message_center_url", a.message_center_url.clone()),
                    ("subscriptions_url", a.subscriptions_url.clone()),
                ],
            );
        }
        for (name, a) in &self.skyhub {
            let m = Marketplace::Skyhub;
            push(
                m,
                name,
                vec![
                    ("user_email", a.user_email.clone()),
                    ("identity_id", a.identity_id.clone()),
                    ("api_key", Some(shown(&a.api_key, m, name, "api_key"))),
                    (
                        "account_manager_key",
                        Some(shown(
                            &a.account_manager_key,
                            m,
                            name,
                            "account_manager_key",
                        )),
                    ),
                    (
                        "requests_per_second",
                        a.requests_per_second.map(|r| r.to_string()),
                    ),
                    ("base_url", a.base_url.clone()),
                ],
            );
        }
        for (name, a) in &self.yandex {
            let m = Marketplace::Yandex;
            let token = if a.oauth_token.is_some() {
                (
                    "oauth_token",
                    Some(shown(&a.oauth_token, m, name, "oauth_token")),
                )
            } else {
                ("api_key", Some(shown(&a.api_key, m, name, "api_key")))
            };
            push(
                m,
                name,
                vec![
                    ("business_id", a.business_id.map(|b| b.to_string())),
                    token,
                    ("base_url", a.base_url.clone()),
                ],
            );
        }
        let mut serve = BTreeMap::new();
        serve.insert("listen".to_owned(), self.serve_listen().to_string());
        if let Some(url) = &self.serve.public_url {
            serve.insert("public_url".to_owned(), url.clone());
        }
        serve.insert(
            "sync_interval_secs".to_owned(),
            self.sync_interval_secs().to_string(),
        );
        Redacted {
            path: path.display().to_string(),
            store: store.to_owned(),
            serve,
            accounts,
        }
    }

    /// Where `serve` listens.
    pub fn serve_listen(&self) -> SocketAddr {
        self.serve
            .listen
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)))
    }

    /// Seconds between two syncs of `serve` and `sync --watch`.
    pub fn sync_interval_secs(&self) -> u64 {
        self.serve.sync_interval_secs.unwrap_or(300)
    }
}

/// What `mkt config init` writes: every setting, commented, parseable as it is.
pub const TEMPLATE: &str = r#"# mkt configuration (TOML). `mkt config show` prints it with secrets redacted.
#
# Accounts are tables named [<marketplace>.<account name>]; several per marketplace
# are fine. Every secret can live in the environment instead of this file:
#   MKT_<MARKETPLACE>_<ACCOUNT>_<FIELD>, upper case, other characters as `_`,
#   e.g. [metro.de-main] client_secret  ->  MKT_METRO_DE_MAIN_CLIENT_SECRET
# The environment wins over the file.

[store]
# The inbox database. Default: a SQLite file in the platform's data directory.
# path = "/var/lib/mkt/inbox.sqlite"
# url = "sqlite:///var/lib/mkt/inbox.sqlite"

[serve]
# Where `mkt serve` listens (webhook receivers and /metrics).
# listen = "127.0.0.1:8080"
# The public URL the marketplaces reach it at. METRO subscriptions must point at
# <public_url>/hooks/metro-markets/events exactly (it is signed); Yandex Market's
# notification URL is <public_url>/hooks/yandex-market.
# public_url = "https://shop.example.com"
# Seconds between two syncs.
# sync_interval_secs = 300

# [lectronz.my-store]
# api_key = "..."                  # or MKT_LECTRONZ_MY_STORE_API_KEY

# [metro.de-main]
# client_key = "..."               # or MKT_METRO_DE_MAIN_CLIENT_KEY
# client_secret = "..."            # or MKT_METRO_DE_MAIN_CLIENT_SECRET
# environment = "production"       # or "sandbox"

# [skyhub.americanas]
# user_email = "seller@example.com"
# identity_id = "00007604079750"   # replies' identityId: your document number (unconfirmed)
# api_key = "..."                  # or MKT_SKYHUB_AMERICANAS_API_KEY
# account_manager_key = "..."      # or MKT_SKYHUB_AMERICANAS_ACCOUNT_MANAGER_KEY
# requests_per_second = 1          # SkyHub publishes no SAC limit; 0: none

# [yandex.cabinet]
# business_id = 12345678
# api_key = "..."                  # or MKT_YANDEX_CABINET_API_KEY (or oauth_token)
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str, env: &[(&str, &str)]) -> CliResult<Config> {
        let env: BTreeMap<String, String> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::parse(text, Path::new("config.toml"), &|k| env.get(k).cloned())
    }

    #[test]
    fn the_template_parses_and_has_no_account() {
        let config = parse(TEMPLATE, &[]).unwrap();
        assert!(!config.has_accounts());
    }

    #[test]
    fn secrets_come_from_the_environment_and_win_over_the_file() {
        let config = parse(
            "[metro.de-main]\nclient_key = \"k\"\nclient_secret = \"file-secret\"\n[lectronz.a]\n",
            &[
                ("MKT_METRO_DE_MAIN_CLIENT_SECRET", "env-secret"),
                ("MKT_LECTRONZ_A_API_KEY", "env-key"),
            ],
        )
        .unwrap();
        assert_eq!(
            config.metro["de-main"]
                .client_secret
                .as_ref()
                .unwrap()
                .expose(),
            "env-secret"
        );
        assert_eq!(
            config.lectronz["a"].api_key.as_ref().unwrap().expose(),
            "env-key"
        );
    }

    #[test]
    fn redacted_output_and_errors_never_show_a_secret() {
        let text = "[skyhub.s]\nuser_email = \"e@x\"\napi_key = \"top-secret-1\"\n";
        let config = parse(text, &[]).unwrap();
        let shown = serde_json::to_string(&config.redacted(Path::new("c.toml"), "x")).unwrap();
        assert!(!shown.contains("top-secret-1"), "{shown}");
        assert!(
            shown.contains("<not set: MKT_SKYHUB_S_ACCOUNT_MANAGER_KEY>"),
            "{shown}"
        );
        assert!(!format!("{config:?}").contains("top-secret-1"));
        // A malformed line holding a secret: the error names the line, not its text.
        let error = parse("[lectronz.a]\napi_key = \"top-secret-2\" junk\n", &[]).unwrap_err();
        assert!(!error.message.contains("top-secret-2"), "{}", error.message);
        assert!(error.message.contains("line 2"), "{}", error.message);
    }

    #[test]
    fn unknown_keys_and_clashing_account_names_are_refused() {
        let error = parse("[lectronz.a]\napi_kee = \"x\"\n", &[]).unwrap_err();
        assert!(error.message.contains("api_kee"), "{}", error.message);
        let error = parse("[yandex.shop-1]\n[yandex.shop_1]\n", &[]).unwrap_err();
        assert!(
            error.message.contains("MKT_YANDEX_SHOP_1_"),
            "{}",
            error.message
        );
    }
}
