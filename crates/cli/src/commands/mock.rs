//! `mkt mock`: serves the mock marketplace until Ctrl-C and prints where it is and the
//! credentials it accepts, as a configuration file `mkt --config` can read;
//! `mkt mock --reset` forgets the `--mock` inboxes.

use schemars::JsonSchema;
use serde::Serialize;

use super::Context;
use crate::cli::MockArgs;
use crate::exit::{CliResult, Exit};
use crate::world;

/// What `mkt mock --json` prints (one object), before serving.
#[derive(Debug, Serialize, JsonSchema)]
pub struct MockInfo {
    /// The world's seed.
    pub seed: u64,
    /// Threads per marketplace.
    pub threads: usize,
    /// A configuration file for this mock (fake credentials only).
    pub config_toml: String,
    /// The `--mock` inboxes removed (`--reset`).
    pub removed: Vec<String>,
}

pub async fn run(ctx: &Context, args: MockArgs) -> CliResult {
    if args.reset {
        let removed: Vec<String> = world::reset()?
            .into_iter()
            .map(|p| p.display().to_string())
            .collect();
        if ctx.out.json {
            ctx.out.json(&MockInfo {
                seed: ctx.global.seed,
                threads: ctx.global.threads,
                config_toml: String::new(),
                removed,
            })?;
        } else if removed.is_empty() {
            ctx.out.line("No --mock inbox to forget.")?;
        } else {
            for path in removed {
                ctx.out.line(&format!("Removed {path}"))?;
            }
        }
        return Ok(Exit::Success);
    }
    let (seed, threads) = (ctx.global.seed, ctx.global.threads);
    let mock = world::start(seed, threads, args.yandex_notification_urls).await?;
    let config_toml = world::config_toml(&mock);
    if ctx.out.json {
        ctx.out.json(&MockInfo {
            seed,
            threads,
            config_toml,
            removed: Vec::new(),
        })?;
    } else {
        ctx.out.line(&format!(
            "Mock marketplace (seed {seed}, {threads} threads per marketplace) on 127.0.0.1.\n\
             Save this as mock.toml and run `mkt --config mock.toml inbox`:\n"
        ))?;
        ctx.out.line(&config_toml)?;
        ctx.out.line("Serving until Ctrl-C.")?;
    }
    tokio::signal::ctrl_c().await?;
    drop(mock);
    Ok(Exit::Success)
}
