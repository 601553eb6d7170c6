//! `mkt schema`: the JSON Schema of each command's `--json` output (for lists, of one
//! line).

use schemars::JsonSchema;
use schemars::schema::RootSchema;
use serde::Serialize;

use super::Context;
use super::{config_cmd, doctor, mock, serve, subscriptions, threads, trigger};
use crate::cli::SchemaName;
use crate::exit::{CliResult, Exit};

/// What `--json` prints on stderr when a command fails.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ErrorOutput {
    /// What went wrong (a marketplace's errors keep its status, code and message).
    pub error: String,
    /// How to fix it, if known.
    pub hint: Option<String>,
    /// The process exit code.
    pub exit_code: u8,
}

/// `mkt subscriptions` prints subscriptions (list, add) or what it removed.
#[derive(Serialize, JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)] // only its schema is used
enum SubscriptionsOutput {
    Row(subscriptions::SubscriptionRow),
    Removed(subscriptions::Removed),
}

/// The schema of `name`'s output.
pub fn schema(name: SchemaName) -> RootSchema {
    use schemars::schema_for;
    match name {
        SchemaName::Inbox => schema_for!(threads::InboxItem),
        SchemaName::Show => schema_for!(threads::Shown),
        SchemaName::Reply => schema_for!(marketplace_inbox::OutboxEntry),
        SchemaName::MarkRead => schema_for!(threads::MarkedRead),
        SchemaName::Start => schema_for!(marketplace_inbox::Thread),
        SchemaName::Sync => schema_for!(marketplace_inbox::SyncReport),
        SchemaName::Serve => schema_for!(serve::ServeEvent),
        SchemaName::Trigger => schema_for!(trigger::Triggered),
        SchemaName::Doctor => schema_for!(doctor::Check),
        SchemaName::Subscriptions => schema_for!(SubscriptionsOutput),
        SchemaName::Mock => schema_for!(mock::MockInfo),
        SchemaName::Config => schema_for!(config_cmd::ConfigOutput),
        SchemaName::Error => schema_for!(ErrorOutput),
    }
}

/// Every schema, by command name.
pub fn schemas() -> serde_json::Map<String, serde_json::Value> {
    use clap::ValueEnum;
    SchemaName::value_variants()
        .iter()
        .filter_map(|name| {
            let key = name.to_possible_value()?.get_name().to_owned();
            let value = serde_json::to_value(schema(*name)).ok()?;
            Some((key, value))
        })
        .collect()
}

pub fn run(ctx: &Context, command: Option<SchemaName>) -> CliResult {
    match command {
        Some(name) => ctx.out.json(&schema(name))?,
        None => ctx.out.json(&schemas())?,
    }
    Ok(Exit::Success)
}
