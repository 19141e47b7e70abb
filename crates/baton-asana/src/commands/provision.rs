//! One-shot grant and revoke from the command line.

use std::time::SystemTime;

use asana_connector::AsanaConnector;
use baton_connector::cli::LogFormat;
use baton_connector::provision::{grant_from_file, revoke_from_file, ProvisionError};
use c1z::C1zStore;

use crate::cli::Cli;
use crate::error::{AppError, AppResult};
use crate::logging;
use crate::settings;

fn require_provisioning(cli: &Cli, what: &str) -> AppResult<()> {
    if cli.common.provisioning {
        Ok(())
    } else {
        Err(AppError::runtime(format!(
            "refusing to {what}: changes to Asana need --provisioning (-p) or BATON_PROVISIONING=true; nothing was sent to Asana"
        )))
    }
}

fn open_lookup_file(cli: &Cli) -> AppResult<C1zStore> {
    let file = &cli.common.file;
    if !file.is_file() {
        return Err(AppError::runtime(format!(
            "{} does not exist; run a sync into it first (or pass -f with the c1z to look ids up in)",
            file.display()
        )));
    }
    let mut options = settings::open_options(cli.common.c1z_temp_dir.as_ref())?;
    options.read_only = true;
    C1zStore::open(file, &options)
        .map_err(|e| AppError::runtime(format!("cannot open {}: {e}", file.display())))
}

fn operator() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".into())
}

fn audit(action: &str, target: &str, result: &str, detail: &str) {
    let at = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    tracing::info!(
        audit = true,
        operator = %operator(),
        action,
        target,
        result,
        detail,
        at_unix = at,
        "provisioning audit"
    );
}

fn print_result(cli: &Cli, result: &str, grant_id: &str, changed: bool, line: String) {
    let format = cli
        .common
        .log_format
        .unwrap_or_else(logging::default_format);
    match format {
        LogFormat::Json => println!(
            "{}",
            serde_json::json!({ "result": result, "grant_id": grant_id, "changed": changed })
        ),
        LogFormat::Console => println!("{line}"),
    }
}

fn failure(error: ProvisionError) -> AppError {
    AppError::runtime(error.to_string())
}

pub async fn grant(
    cli: &Cli,
    connector: &AsanaConnector,
    entitlement: &str,
    principal_type: &str,
    principal: &str,
) -> AppResult<()> {
    let target = format!("{entitlement} -> {principal_type}:{principal}");
    if let Err(e) = require_provisioning(cli, &format!("grant {entitlement}")) {
        audit("grant", &target, "refused", &e.message);
        return Err(e);
    }
    let store = open_lookup_file(cli)?;
    let file = cli.common.file.display().to_string();
    match grant_from_file(
        connector,
        &store,
        &file,
        entitlement,
        principal_type,
        principal,
    )
    .await
    {
        Ok(report) => {
            let (result, line) = if report.already_existed {
                (
                    "already_exists",
                    format!("already granted, nothing changed: {}", report.grant_id),
                )
            } else {
                ("granted", format!("granted: {}", report.grant_id))
            };
            audit("grant", &target, result, &report.grant_id);
            print_result(cli, result, &report.grant_id, !report.already_existed, line);
            Ok(())
        }
        Err(e) => {
            audit("grant", &target, "failed", &e.to_string());
            Err(failure(e))
        }
    }
}

pub async fn revoke(cli: &Cli, connector: &AsanaConnector, grant: &str) -> AppResult<()> {
    if let Err(e) = require_provisioning(cli, &format!("revoke {grant}")) {
        audit("revoke", grant, "refused", &e.message);
        return Err(e);
    }
    let store = open_lookup_file(cli)?;
    let file = cli.common.file.display().to_string();
    match revoke_from_file(connector, &store, &file, grant).await {
        Ok(report) => {
            let (result, line) = if report.already_revoked {
                (
                    "already_revoked",
                    format!("already revoked, nothing changed: {}", report.grant_id),
                )
            } else {
                ("revoked", format!("revoked: {}", report.grant_id))
            };
            audit("revoke", grant, result, &report.grant_id);
            print_result(cli, result, &report.grant_id, !report.already_revoked, line);
            Ok(())
        }
        Err(e) => {
            audit("revoke", grant, "failed", &e.to_string());
            Err(failure(e))
        }
    }
}
