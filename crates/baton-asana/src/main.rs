//! `baton-asana`: syncs an Asana domain into a baton `.c1z` file, and grants
//! or revokes Asana access, as a drop-in replacement for ConductorOne's Go
//! connector.

mod cli;
mod commands;
mod error;
mod logging;
mod progress;
mod settings;
mod signals;

use std::process::ExitCode;

use baton_connector::cli::LogFormat;
use clap::{CommandFactory, FromArgMatches};

use crate::cli::{Cli, Command};
use crate::error::AppError;

fn main() -> ExitCode {
    if let Err(e) = baton_connector::cli::load_config_file() {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    let matches = match Cli::command().try_get_matches() {
        Ok(m) => m,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    let file_given = matches
        .value_source("file")
        .is_some_and(|s| s != clap::parser::ValueSource::DefaultValue);
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(2);
        }
    };
    let format = cli
        .common
        .log_format
        .unwrap_or_else(logging::default_format);
    logging::init(cli.common.log_level, format);
    for flag in cli.common.ignored.set_flags() {
        tracing::debug!(
            flag,
            "accepted for compatibility with baton-sdk; it has no effect here"
        );
    }

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            report(
                format,
                &AppError::runtime(format!("cannot start the async runtime: {e}")),
            );
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(dispatch(cli, file_given));
    // Background tasks (e.g. a demo simulator) end with the runtime.
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            report(format, &e);
            ExitCode::from(e.exit_code)
        }
    }
}

async fn dispatch(cli: Cli, file_given: bool) -> Result<(), AppError> {
    match cli.command {
        Some(Command::Capabilities) => commands::capabilities::run(),
        Some(Command::Config) => commands::config::run(),
        Some(Command::Completion { shell }) => {
            commands::completion::run(shell);
            Ok(())
        }
        Some(Command::Demo(ref demo)) => {
            let file = cli::demo_default_file(&cli.common.file, file_given);
            commands::demo::run(&cli, demo, file).await
        }
        Some(Command::ConnectorService) => Err(AppError::usage(
            "_connector-service is the Go SDK's internal subprocess mode; baton-asana runs its connector in-process",
        )),
        None => commands::root::run(&cli).await,
    }
}

/// Prints the final error as one line: plain on a console, a JSON record
/// when logs are JSON (so log collectors see it).
fn report(format: LogFormat, error: &AppError) {
    match format {
        LogFormat::Console => eprintln!("error: {error}"),
        LogFormat::Json => tracing::error!(exit_code = error.exit_code, "{error}"),
    }
}
