//! `mkt`: every marketplace's buyers in one terminal inbox. `mkt --help` lists the
//! commands; `mkt --mock inbox` shows the whole product on a generated world, with no
//! account and no network.

mod cli;
mod clients;
mod commands;
mod config;
mod exit;
mod metrics;
mod output;
mod world;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::Cli;
use crate::commands::ErrorOutput;
use crate::output::Output;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let metrics = metrics::Metrics::new();
    init_logging(cli.global.verbose, metrics.clone());
    let json = cli.global.json;
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(exit::Exit::Failure.code());
        }
    };
    let out = Output::new(json, now());
    let result = runtime.block_on(commands::run(cli, out, metrics));
    // Background tasks (a mock's servers, pushes) end with the runtime, not awaited.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    match result {
        Ok(exit) => ExitCode::from(exit.code()),
        Err(error) => {
            if json {
                let line = serde_json::to_string(&ErrorOutput {
                    error: error.message.clone(),
                    hint: error.hint.clone(),
                    exit_code: error.exit.code(),
                })
                .unwrap_or_default();
                eprintln!("{line}");
            } else {
                // Red on a colour terminal; `console` honours NO_COLOR and CLICOLOR.
                let label = console::style("error:").red().bold().for_stderr();
                match &error.hint {
                    Some(hint) => eprintln!("{label} {}\n  hint: {hint}", error.message),
                    None => eprintln!("{label} {}", error.message),
                }
            }
            ExitCode::from(error.exit.code())
        }
    }
}

/// "Now" for relative times: `MKT_NOW` (RFC 3339) pins it, so that tests and
/// recordings print the same waiting times on every run; otherwise this machine's clock.
fn now() -> chrono::DateTime<chrono::Utc> {
    std::env::var("MKT_NOW")
        .ok()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap_or_else(|| clients::LocalClock::from_env().now())
}

/// Warnings on stderr; `-v` info, `-vv` debug. The SDK never records headers, query
/// strings or secrets in any event. The metrics layer reads the runtime's call spans
/// (info level) whatever the verbosity.
fn init_logging(verbose: u8, metrics: std::sync::Arc<metrics::Metrics>) {
    use tracing_subscriber::filter::LevelFilter;
    use tracing_subscriber::prelude::*;
    let level = match verbose {
        0 => LevelFilter::WARN,
        1 => LevelFilter::INFO,
        _ => LevelFilter::DEBUG,
    };
    // Plain text: the workspace builds tracing-subscriber without its `ansi` feature.
    let print = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_filter(level);
    tracing_subscriber::registry()
        .with(print)
        .with(metrics::CallLayer(metrics).with_filter(LevelFilter::INFO))
        .init();
}
