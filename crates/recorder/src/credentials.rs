//! The live credentials a recording is made with, read from environment variables
//! named like the CLI's configuration: `MKT_<MARKETPLACE>_<ACCOUNT>_<FIELD>`.
//!
//! | spec | variables (account `DEFAULT`) |
//! |---|---|
//! | `lectronz` | `MKT_LECTRONZ_DEFAULT_API_KEY` |
//! | `skyhub-sac` | `MKT_SKYHUB_DEFAULT_USER_EMAIL`, `MKT_SKYHUB_DEFAULT_API_KEY`, `MKT_SKYHUB_DEFAULT_ACCOUNT_MANAGER_KEY` |
//! | `yandex-market-chats` | `MKT_YANDEX_DEFAULT_API_KEY` |
//! | `metro-message-center`, `metro-subscriptions` | `MKT_METRO_DEFAULT_CLIENT_KEY`, `MKT_METRO_DEFAULT_CLIENT_SECRET` |
//!
//! The values are held as [`SecretString`]s: they are applied by the recording proxy
//! on the way to the marketplace only, and looked for in the finished fixture.

use marketplace_runtime::{
    Authenticate, Bearer, ExposeSecret, MetroHmac, SecretString, SkyHub, Yandex,
};

/// How one spec's marketplace is authenticated.
struct Scheme {
    spec: &'static str,
    /// `<MARKETPLACE>` in the variable names.
    marketplace: &'static str,
    /// `<FIELD>`s, in the order `build` takes them.
    fields: &'static [&'static str],
    build: fn(&[&str]) -> Box<dyn Authenticate>,
}

const SCHEMES: &[Scheme] = &[
    Scheme {
        spec: "lectronz",
        marketplace: "LECTRONZ",
        fields: &["API_KEY"],
        build: |v| Box::new(Bearer::new(v[0])),
    },
    Scheme {
        spec: "skyhub-sac",
        marketplace: "SKYHUB",
        fields: &["USER_EMAIL", "API_KEY", "ACCOUNT_MANAGER_KEY"],
        build: |v| Box::new(SkyHub::new(v[0], v[1], v[2])),
    },
    Scheme {
        spec: "yandex-market-chats",
        marketplace: "YANDEX",
        fields: &["API_KEY"],
        build: |v| Box::new(Yandex::api_key(v[0])),
    },
    Scheme {
        spec: "metro-message-center",
        marketplace: "METRO",
        fields: &["CLIENT_KEY", "CLIENT_SECRET"],
        build: |v| Box::new(MetroHmac::new(v[0], v[1])),
    },
    Scheme {
        spec: "metro-subscriptions",
        marketplace: "METRO",
        fields: &["CLIENT_KEY", "CLIENT_SECRET"],
        build: |v| Box::new(MetroHmac::new(v[0], v[1])),
    },
];

/// The live credentials of one account: the scheme that applies them and every
/// value. `Debug` shows the variable names only.
#[derive(Debug)]
pub struct Credentials {
    auth: Box<dyn Authenticate>,
    secrets: Secrets,
}

/// Every live credential value, by the name of its variable. `Debug` shows the
/// names only.
pub struct Secrets(Vec<(String, SecretString)>);

impl Secrets {
    /// Every value with the name of its variable.
    pub fn values(&self) -> impl Iterator<Item = (&str, &SecretString)> {
        self.0.iter().map(|(name, value)| (name.as_str(), value))
    }
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(name, _)| name))
            .finish()
    }
}

impl Credentials {
    /// The credentials of `account` for `spec`, each read with `var` (the process
    /// environment: `|name| std::env::var(name).ok()`). The error names every missing
    /// or empty variable, or says why the spec cannot be recorded.
    pub fn from_env(
        spec: &str,
        account: &str,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Credentials, String> {
        let names = variable_names(spec, account)?;
        let scheme = scheme(spec)?;
        let mut values = Vec::new();
        let mut missing = Vec::new();
        for name in names {
            match var(&name).filter(|v| !v.is_empty()) {
                Some(value) => values.push((name, SecretString::from(value))),
                None => missing.push(name),
            }
        }
        if !missing.is_empty() {
            return Err(format!(
                "set {} (the live credentials of account `{account}` for {spec})",
                missing.join(", ")
            ));
        }
        let exposed: Vec<&str> = values.iter().map(|(_, v)| v.expose_secret()).collect();
        Ok(Credentials {
            auth: (scheme.build)(&exposed),
            secrets: Secrets(values),
        })
    }

    /// The scheme that applies the credentials to a request bound for the
    /// marketplace, and the values to look for in a recording.
    pub fn into_parts(self) -> (Box<dyn Authenticate>, Secrets) {
        (self.auth, self.secrets)
    }
}

/// The variables `spec` is recorded with for `account`, named as the CLI names them
/// ([`marketplace_runtime::credential_env_var`]: `default` and `DEFAULT` are the same
/// account; `-` becomes `_`).
pub fn variable_names(spec: &str, account: &str) -> Result<Vec<String>, String> {
    let scheme = scheme(spec)?;
    if account.is_empty()
        || !account
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(format!(
            "account {account:?}: use letters, digits, `-` and `_` only (it is part of the variable names)"
        ));
    }
    Ok(scheme
        .fields
        .iter()
        .map(|field| marketplace_runtime::credential_env_var(scheme.marketplace, account, field))
        .collect())
}

fn scheme(spec: &str) -> Result<&'static Scheme, String> {
    SCHEMES.iter().find(|s| s.spec == spec).ok_or_else(|| {
        let known: Vec<&str> = SCHEMES.iter().map(|s| s.spec).collect();
        let why = match spec {
            "metro-events" | "yandex-market-notifications" => {
                "its requests are webhook deliveries the SDK itself makes to a receiver, so \
                 there is nothing of the marketplace's to record; write these fixtures by hand"
            }
            _ => "it is not a marketplace API the recorder knows",
        };
        format!(
            "{spec} cannot be recorded: {why} (recordable: {})",
            known.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_cli_scheme() {
        assert_eq!(
            variable_names("metro-subscriptions", "default").unwrap(),
            [
                "MKT_METRO_DEFAULT_CLIENT_KEY",
                "MKT_METRO_DEFAULT_CLIENT_SECRET"
            ]
        );
        assert_eq!(
            variable_names("skyhub-sac", "shop-2").unwrap(),
            [
                "MKT_SKYHUB_SHOP_2_USER_EMAIL",
                "MKT_SKYHUB_SHOP_2_API_KEY",
                "MKT_SKYHUB_SHOP_2_ACCOUNT_MANAGER_KEY"
            ]
        );
        assert!(variable_names("lectronz", "a b").is_err());
        let error = variable_names("metro-events", "DEFAULT").unwrap_err();
        assert!(error.contains("webhook deliveries"), "{error}");
    }

    #[test]
    fn every_missing_variable_is_named_and_no_value_is_shown() {
        let error = Credentials::from_env("metro-message-center", "DEFAULT", |name| {
            (name == "MKT_METRO_DEFAULT_CLIENT_KEY").then(|| "key-1".to_owned())
        })
        .unwrap_err();
        assert_eq!(
            error,
            "set MKT_METRO_DEFAULT_CLIENT_SECRET (the live credentials of account `DEFAULT` for metro-message-center)"
        );
        let credentials = Credentials::from_env("lectronz", "DEFAULT", |_| {
            Some("live-secret-value".to_owned())
        })
        .unwrap();
        let debug = format!("{credentials:?}");
        assert!(!debug.contains("live-secret-value"), "{debug}");
        assert!(debug.contains("MKT_LECTRONZ_DEFAULT_API_KEY"), "{debug}");
        assert!(debug.contains("Bearer([redacted])"), "{debug}");
    }
}
