//! One full sync into a .c1z file, with progress and a summary.

use std::path::Path;
use std::sync::Arc;

use asana_connector::AsanaConnector;
use baton_connector::cli::LogFormat;
use baton_connector::sync::{run_sync, CancellationToken, SyncError, SyncOutcome, SyncProgress};
use baton_connector::ErrorCode;
use c1z::C1zStore;

use crate::cli::Cli;
use crate::error::{AppError, AppResult};
use crate::logging;
use crate::progress::ProgressReporter;
use crate::{settings, signals};

pub async fn run(cli: &Cli, connector: &AsanaConnector, file: &Path) -> AppResult<()> {
    settings::check_paths(file, cli.common.c1z_temp_dir.as_deref())?;
    let open = settings::open_options(cli.common.c1z_temp_dir.as_ref())?;
    let store = C1zStore::open_resumable(file, &open)
        .map_err(|e| AppError::runtime(format!("cannot open {}: {e}", file.display())))?;

    let progress = Arc::new(SyncProgress::default());
    let mut options = settings::sync_options(cli, Arc::clone(&progress))?;
    options.cancel = CancellationToken::new();
    let signal_watch = tokio::spawn(signals::cancel_on_signal(
        options.cancel.clone(),
        "interrupted: stopping the sync; the next run resumes it",
    ));

    tracing::info!(file = %file.display(), "starting sync");
    let reporter = ProgressReporter::start(progress, connector.client().clone());
    let result = run_sync(connector, store, &options).await;
    reporter.stop().await;
    signal_watch.abort();

    let (store, outcome) = result.map_err(|e| sync_failure(e, file))?;
    let saved = store
        .save(file)
        .map_err(|e| AppError::runtime(format!("cannot save {}: {e}", file.display())))?;
    let format = cli
        .common
        .log_format
        .unwrap_or_else(logging::default_format);
    print_summary(format, connector, file, &outcome, saved.file_bytes);
    Ok(())
}

fn sync_failure(error: SyncError, file: &Path) -> AppError {
    let kept = format!(
        "{} was not changed; the next run resumes this sync",
        file.display()
    );
    match &error {
        SyncError::Validation(e) => AppError::runtime(format!(
            "cannot start the sync: {} ({} was not changed)",
            e.message,
            file.display()
        )),
        SyncError::Cancelled => AppError::runtime(format!("sync interrupted; {kept}")),
        SyncError::Connector { error: e, .. } if e.code == ErrorCode::Unauthenticated => {
            AppError::runtime(format!("sync failed: {} ({kept})", e.message))
        }
        _ => AppError::runtime(format!("sync failed: {error} ({kept})")),
    }
}

fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

fn print_summary(
    format: LogFormat,
    connector: &AsanaConnector,
    file: &Path,
    outcome: &SyncOutcome,
    file_bytes: u64,
) {
    let metrics = connector.client().metrics();
    let stats = &outcome.stats;
    tracing::info!(
        file = %file.display(),
        sync_id = %outcome.sync_id,
        resumed = outcome.resumed,
        resources = stats.resources,
        entitlements = stats.entitlements,
        grants = stats.grants,
        requests = metrics.total_requests,
        rate_limited = metrics.rate_limited,
        retries = metrics.retries,
        warnings = outcome.warnings.len(),
        duration_s = outcome.duration.as_secs_f64(),
        file_bytes,
        "sync complete"
    );
    let mut out = String::new();
    out.push_str(&format!(
        "\nSync {} {} — {}\n",
        outcome.sync_id,
        if outcome.resumed {
            "complete (resumed)"
        } else {
            "complete"
        },
        file.display()
    ));
    for (resource_type, count) in &stats.resources_by_resource_type {
        out.push_str(&format!(
            "  {:<22}{count:>10}\n",
            format!("{resource_type} resources")
        ));
    }
    out.push_str(&format!(
        "  {:<22}{:>10}\n",
        "entitlements", stats.entitlements
    ));
    out.push_str(&format!("  {:<22}{:>10}\n", "grants", stats.grants));
    out.push_str(&format!(
        "  {:<22}{:>10}\n",
        "Asana requests", metrics.total_requests
    ));
    out.push_str(&format!(
        "  {:<22}{:>10}\n",
        "429s / retries",
        format!("{} / {}", metrics.rate_limited, metrics.retries)
    ));
    out.push_str(&format!(
        "  {:<22}{:>10}\n",
        "warnings",
        outcome.warnings.len()
    ));
    out.push_str(&format!(
        "  {:<22}{:>10}\n",
        "duration",
        format!("{:.1} s", outcome.duration.as_secs_f64())
    ));
    out.push_str(&format!(
        "  {:<22}{:>10}\n",
        "file size",
        human_bytes(file_bytes)
    ));
    for warning in &outcome.warnings {
        out.push_str(&format!("  warning: {warning}\n"));
    }
    // JSON logs already carry the "sync complete" record; the table is for people.
    if format == LogFormat::Console {
        eprint!("{out}");
    }
}
