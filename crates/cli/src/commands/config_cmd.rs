//! `mkt config init|show|path`.

use schemars::JsonSchema;
use serde::Serialize;

use super::Context;
use crate::cli::ConfigCommand;
use crate::config::{Redacted, TEMPLATE};
use crate::exit::{CliError, CliResult, Exit};

/// What `mkt config … --json` prints.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum ConfigOutput {
    /// `show`: the configuration, secrets redacted.
    Shown(Redacted),
    /// `init` and `path`: the file.
    Path {
        /// The configuration file.
        path: String,
        /// Whether `init` wrote it.
        written: bool,
    },
}

pub async fn run(ctx: &Context, command: ConfigCommand) -> CliResult {
    let path = ctx.config_path()?;
    let output = match command {
        ConfigCommand::Path => ConfigOutput::Path {
            path: path.display().to_string(),
            written: false,
        },
        ConfigCommand::Init { force } => {
            if path.exists() && !force {
                return Err(
                    CliError::usage(format!("{} already exists", path.display()))
                        .hint("`mkt config init --force` overwrites it"),
                );
            }
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(&path, TEMPLATE)?;
            ConfigOutput::Path {
                path: path.display().to_string(),
                written: true,
            }
        }
        ConfigCommand::Show => {
            // Shown even when secrets are missing (it says which variable to set).
            let (config, shown_path) = if ctx.global.mock {
                (
                    ctx.session().await?.config,
                    std::path::PathBuf::from("--mock"),
                )
            } else {
                ctx.file_config()?
            };
            let store = super::store_display(&config)?;
            ConfigOutput::Shown(config.redacted(&shown_path, &store))
        }
    };
    if ctx.out.json {
        ctx.out.json(&output)?;
        return Ok(Exit::Success);
    }
    match output {
        ConfigOutput::Path { path, written: true } => ctx.out.line(&format!(
            "Wrote a commented template to {path}: add your accounts there (secrets may stay in MKT_… variables)."
        ))?,
        ConfigOutput::Path { path, written: false } => ctx.out.line(&path)?,
        ConfigOutput::Shown(shown) => print_shown(ctx, &shown)?,
    }
    Ok(Exit::Success)
}

fn print_shown(ctx: &Context, shown: &Redacted) -> CliResult<()> {
    let mut text = format!(
        "# {}\n[store]\npath = {:?}\n\n[serve]\n",
        shown.path, shown.store
    );
    for (key, value) in &shown.serve {
        text.push_str(&format!("{key} = {value:?}\n"));
    }
    for account in &shown.accounts {
        text.push_str(&format!("\n[{}.{}]\n", account.marketplace, account.name));
        for (key, value) in &account.settings {
            text.push_str(&format!("{key} = {value:?}\n"));
        }
    }
    ctx.out.line(text.trim_end())
}
