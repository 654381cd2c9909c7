//! `nyckelfri`: the command line on the same core the phones run. `demo`
//! plays a care worker's day end to end; `server`, `enroll`, `sync`,
//! `visits`, `open`, `scan` and `lock-sim` are for real use and development.
//! Exit codes: see `exit.rs` (and `nyckelfri --help`).

mod args;
mod commands;
mod demo;
mod device;
mod exit;
mod files;
mod localtime;
mod progress;
mod simlocks;
mod style;
mod texts;

use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command};
use commands::Ctx;
use exit::CliError;
use style::Style;

fn main() -> ExitCode {
    // Usage errors exit with 2, --help and --version with 0 (clap).
    let cli = Cli::parse();
    let json = cli.global.json;
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            e.report(json);
            e.exit.code()
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::failed(format!("cannot start the async runtime: {e}")))
}

fn run(cli: Cli) -> Result<(), CliError> {
    let style = Style::detect(cli.global.json);
    let ctx = Ctx {
        data_dir: cli.global.data_dir,
        lang: cli.global.lang,
        style,
    };
    match cli.command {
        Command::Demo { transport, date } => {
            // Before the runtime: the Bluetooth path sets the process's
            // D-Bus address, which libdbus reads once.
            let medium = demo::prepare(transport)?;
            let report = runtime()?.block_on(async {
                // On Ctrl-C the day is dropped, so its bus, locks and
                // temporary folder are cleaned up rather than left behind.
                tokio::select! {
                    r = demo::run(medium, date, style, ctx.lang) => r,
                    _ = tokio::signal::ctrl_c() => Err(CliError::failed("interrupted")),
                }
            })?;
            if style.json {
                let doc = serde_json::to_string_pretty(&report)
                    .map_err(|e| CliError::failed(format!("summary: {e}")))?;
                println!("{doc}");
            } else {
                report.print(&style);
            }
            if report.ok {
                Ok(())
            } else {
                Err(CliError::failed(format!(
                    "the demo's checks failed: {}",
                    report.problems.join("; ")
                ))
                .printed())
            }
        }
        command => runtime()?.block_on(dispatch(&ctx, command)),
    }
}

async fn dispatch(ctx: &Ctx, command: Command) -> Result<(), CliError> {
    match command {
        Command::Demo { .. } => Err(CliError::failed("the demo runs from main")),
        Command::Server {
            listen,
            demo_data,
            database_url,
        } => commands::server::run(ctx, listen, demo_data, database_url).await,
        Command::Enroll {
            server,
            code,
            label,
        } => commands::enroll::run(ctx, server, code, label).await,
        Command::Sync => commands::sync::run(ctx).await,
        Command::Visits => commands::visits::run(ctx).await,
        Command::Open { visit, timeout } => commands::open::run(ctx, visit, timeout).await,
        Command::Scan { seconds } => commands::scan::run(ctx, seconds).await,
        Command::LockSim { count, demo } => commands::lock_sim::run(ctx, count, demo).await,
    }
}
