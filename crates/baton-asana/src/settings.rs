//! Turns validated command-line values into the plain settings of the
//! libraries (API client, c1z store, sync engine).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use asana_api::{AsanaClient, ClientConfig};
use baton_connector::sync::{SyncOptions, SyncProgress};
use secrecy::SecretString;

use crate::cli::{AsanaArgs, Cli};
use crate::error::{AppError, AppResult};

/// The token, required for everything that talks to Asana.
pub fn token(asana: &AsanaArgs) -> AppResult<SecretString> {
    match asana.token.as_deref().map(str::trim) {
        Some(t) if !t.is_empty() => Ok(SecretString::from(t.to_owned())),
        _ => Err(AppError::usage(
            "no Asana token: pass --token or set BATON_TOKEN (a personal access token of a workspace admin, or a service-account token with --use-service-account)",
        )),
    }
}

/// The API client for `base_url` with the CLI's budget and timeouts.
pub fn client(cli: &Cli, base_url: &str, token: SecretString) -> AppResult<AsanaClient> {
    let config = ClientConfig {
        base_url: base_url.to_owned(),
        token,
        requests_per_minute: cli.asana.asana_rate_limit,
        max_concurrent_reads: cli.asana.asana_max_concurrency as usize,
        request_timeout: Duration::from_secs(cli.common.http_timeout_seconds),
        ..ClientConfig::default()
    };
    AsanaClient::new(config).map_err(|e| AppError::usage(format!("--asana-api-url: {e}")))
}

/// Checks that the output file's directory and the temp dir exist, so a typo
/// fails before any API call.
pub fn check_paths(file: &Path, temp_dir: Option<&Path>) -> AppResult<()> {
    if file.as_os_str().is_empty() {
        return Err(AppError::usage(
            "--file is empty; give the path of the .c1z file",
        ));
    }
    if file.is_dir() {
        return Err(AppError::usage(format!(
            "--file {} is a directory; give the path of a .c1z file",
            file.display()
        )));
    }
    let parent = file.parent().filter(|p| !p.as_os_str().is_empty());
    if let Some(dir) = parent {
        if !dir.is_dir() {
            return Err(AppError::usage(format!(
                "the directory of --file {} does not exist; create it first",
                file.display()
            )));
        }
    }
    if let Some(dir) = temp_dir {
        if !dir.is_dir() {
            return Err(AppError::usage(format!(
                "--c1z-temp-dir {} does not exist or is not a directory",
                dir.display()
            )));
        }
    }
    Ok(())
}

/// Options for opening the c1z (temp dir, decode cap from the environment).
pub fn open_options(temp_dir: Option<&PathBuf>) -> AppResult<c1z::OpenOptions> {
    let mut options = c1z::OpenOptions::from_env();
    options.temp_dir = temp_dir.cloned();
    Ok(options)
}

/// How many finished syncs to keep: `BATON_KEEP_SYNC_COUNT` (default 2),
/// none of that with `BATON_SKIP_CLEANUP=true`.
pub fn keep_syncs() -> AppResult<Option<usize>> {
    let skip = std::env::var("BATON_SKIP_CLEANUP")
        .map(|v| {
            matches!(
                v.trim().to_ascii_lowercase().as_str(),
                "1" | "t" | "true" | "yes"
            )
        })
        .unwrap_or(false);
    if skip {
        return Ok(None);
    }
    match std::env::var("BATON_KEEP_SYNC_COUNT") {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| *n >= 1)
            .map(Some)
            .ok_or_else(|| {
                AppError::usage(format!(
                    "BATON_KEEP_SYNC_COUNT must be a whole number of syncs to keep (at least 1), got {v:?}"
                ))
            }),
        _ => Ok(Some(2)),
    }
}

/// Sync engine options from the CLI.
pub fn sync_options(cli: &Cli, progress: Arc<SyncProgress>) -> AppResult<SyncOptions> {
    Ok(SyncOptions {
        max_concurrency: cli.asana.asana_max_concurrency as usize,
        keep_syncs: keep_syncs()?,
        skip_full_sync: cli.common.skip_full_sync,
        skip_entitlements_and_grants: cli.common.skip_entitlements_and_grants,
        progress,
        ..SyncOptions::default()
    })
}
