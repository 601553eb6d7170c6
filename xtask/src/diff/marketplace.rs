//! The marketplace facts a spec carries beside OpenAPI, compared: `x-marketplace`
//! (the generated constructors and default limits) and the servers' constants
//! (`x-rust-const`: the environments). Read with the generator's own model
//! ([`Marketplace::of`]), so the diff sees what the generator emits.

use std::collections::BTreeSet;

use marketplace_codegen::Spec;
use marketplace_codegen::marketplace::{BaseUrl, Constructor, EXTENSION, Limit, Marketplace};
use openapiv3::OpenAPI;
use serde_json::Value;

use super::Class;
use super::changes::Changes;

/// Adds the changes of `x-marketplace` and of the server constants.
pub(super) fn compare(old: &OpenAPI, new: &OpenAPI, out: &mut Changes) {
    server_constants(old, new, out);
    let (old, new) = (descriptor(old), descriptor(new));
    match (old, new) {
        (Described::No, Described::No) => {}
        (Described::No, _) => out.push(
            Class::NonBreaking,
            "marketplace-added",
            EXTENSION,
            "the spec now describes its marketplace: its constructors are generated",
            None,
        ),
        (_, Described::No) => out.push(
            Class::Breaking,
            "marketplace-removed",
            EXTENSION,
            "the descriptor is removed: the client's generated constructors and limit \
             constants go away",
            None,
        ),
        (Described::Yes(old), Described::Yes(new)) => {
            constructors(&old.constructors, &new.constructors, out);
            limit(
                "rate-limit",
                old.rate_limit.as_ref(),
                new.rate_limit.as_ref(),
                out,
            );
            limit(
                "concurrency-limit",
                old.concurrency_limit.as_ref(),
                new.concurrency_limit.as_ref(),
                out,
            );
        }
        (old, new) if old != new => out.push(
            Class::Breaking,
            "marketplace-changed",
            EXTENSION,
            "the descriptor changed and does not pass the `marketplace` house rule on one \
             side (`cargo xtask check` lists why): the constructors cannot be compared",
            None,
        ),
        _ => {}
    }
}

/// A side's `x-marketplace`, as the generator reads it.
#[derive(Debug, PartialEq)]
enum Described {
    No,
    Yes(Marketplace),
    /// Present but not well formed: the raw value.
    Malformed(Value),
}

fn descriptor(api: &OpenAPI) -> Described {
    let Some(raw) = api.extensions.get(EXTENSION) else {
        return Described::No;
    };
    let spec = Spec {
        name: String::new(),
        path: Default::default(),
        display_path: String::new(),
        document: serde_json::to_value(api).unwrap_or_default(),
    };
    Marketplace::of(&spec).map_or_else(|_| Described::Malformed(raw.clone()), Described::Yes)
}

fn constructors(old: &[Constructor], new: &[Constructor], out: &mut Changes) {
    let named = |list: &[Constructor], name: &str| list.iter().any(|c| c.name == name);
    let mut removed: Vec<&Constructor> = old.iter().filter(|c| !named(new, &c.name)).collect();
    let mut added: Vec<&Constructor> = new.iter().filter(|c| !named(old, &c.name)).collect();
    // A constructor that keeps its server and credentials under another name is renamed.
    removed.retain(|before| {
        let Some(i) = added
            .iter()
            .position(|after| after.base_url == before.base_url && after.auth == before.auth)
        else {
            return true;
        };
        let after = added.remove(i);
        out.push(
            Class::Breaking,
            "constructor-renamed",
            format!("Client::{}", before.name),
            format!("is now `Client::{}`: callers must rename it", after.name),
            None,
        );
        false
    });
    for gone in removed {
        out.push(
            Class::Breaking,
            "constructor-removed",
            format!("Client::{}", gone.name),
            "the constructor is removed",
            None,
        );
    }
    for new_one in added {
        out.push(
            Class::NonBreaking,
            "constructor-added",
            format!("Client::{}", new_one.name),
            format!(
                "new constructor ({}, {})",
                new_one.auth,
                base_url(&new_one.base_url)
            ),
            None,
        );
    }
    for before in old {
        let Some(after) = new.iter().find(|c| c.name == before.name) else {
            continue;
        };
        let subject = format!("Client::{}", before.name);
        if before.auth != after.auth {
            out.push(
                Class::Breaking,
                "constructor-auth-changed",
                &subject,
                format!(
                    "authenticates with `{}` instead of `{}`: it takes other credentials",
                    after.auth, before.auth
                ),
                None,
            );
        }
        if before.base_url != after.base_url {
            out.push(
                Class::Breaking,
                "constructor-server-changed",
                &subject,
                format!(
                    "{} instead of {}: existing callers go elsewhere or stop compiling",
                    base_url(&after.base_url),
                    base_url(&before.base_url)
                ),
                None,
            );
        }
    }
}

fn base_url(base: &BaseUrl) -> String {
    match base {
        BaseUrl::Server(name) => format!("server `{name}`"),
        BaseUrl::Parameter(name) => format!("base URL argument `{name}`"),
    }
}

/// A default limit: its constant going away breaks callers that name it; a new
/// limit or another value changes only how fast the client sends.
fn limit<T: PartialEq + std::fmt::Display>(
    key: &str,
    old: Option<&Limit<T>>,
    new: Option<&Limit<T>>,
    out: &mut Changes,
) {
    let subject = format!("{EXTENSION}.{key}");
    match (old, new) {
        (Some(before), after) if after.is_none_or(|a| a.rust_const != before.rust_const) => out
            .push(
                Class::Breaking,
                "limit-constant-removed",
                &subject,
                format!("the constant `{}` is gone", before.rust_const),
                None,
            ),
        (None, Some(after)) => out.push(
            Class::NonBreaking,
            "default-limit-changed",
            &subject,
            format!(
                "new default limit `{}` = {}: every constructor applies it",
                after.rust_const, after.value
            ),
            None,
        ),
        (Some(before), Some(after))
            if before.value != after.value || before.segment != after.segment =>
        {
            out.push(
                Class::NonBreaking,
                "default-limit-changed",
                &subject,
                format!(
                    "`{}` is now {} (was {}): the client paces itself differently",
                    after.rust_const, after.value, before.value
                ),
                None,
            )
        }
        _ => {}
    }
}

/// The servers' constants (`DEFAULT_BASE_URL` is compared with the default server):
/// one that goes away breaks callers that name it; a new environment does not.
fn server_constants(old: &OpenAPI, new: &OpenAPI, out: &mut Changes) {
    let constants = |api: &OpenAPI| -> BTreeSet<String> {
        api.servers
            .iter()
            .filter_map(|s| {
                s.extensions
                    .get("x-rust-const")?
                    .as_str()
                    .map(str::to_owned)
            })
            .collect()
    };
    let (before, after) = (constants(old), constants(new));
    for gone in before.difference(&after) {
        out.push(
            Class::Breaking,
            "server-constant-removed",
            "servers",
            format!("the server constant `{gone}` is gone"),
            None,
        );
    }
    for added in after.difference(&before) {
        out.push(
            Class::NonBreaking,
            "server-constant-added",
            "servers",
            format!("new environment: server constant `{added}`"),
            None,
        );
    }
}
