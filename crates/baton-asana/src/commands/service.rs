//! Service mode: with `--client-id`/`--client-secret` the connector runs
//! under ConductorOne, taking sync, grant and revoke tasks until SIGTERM or
//! SIGINT. The Asana settings are the same as for one-shot runs.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use asana_connector::{AsanaConnector, AsanaConnectorConfig};
use baton_connector::service::{BuildInfo, Credentials, Service, ServiceConfig, ServiceError};
use baton_connector::sync::{CancellationToken, SyncProgress};

use crate::cli::Cli;
use crate::error::{AppError, AppResult};
use crate::{settings, signals};

/// What this binary is, for ConductorOne's Hello.
fn build_info() -> BuildInfo {
    BuildInfo {
        lang_version: env!("BATON_ASANA_RUSTC_VERSION").to_owned(),
        package: env!("CARGO_PKG_NAME").to_owned(),
        package_version: env!("CARGO_PKG_VERSION").to_owned(),
    }
}

/// The health-check address: an IP literal, or a name resolved now.
async fn health_address(host: &str, port: u16) -> AppResult<SocketAddr> {
    if let Ok(ip) = host.trim_matches(['[', ']']).parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, port));
    }
    tokio::net::lookup_host((host, port))
        .await
        .ok()
        .and_then(|mut addrs| addrs.next())
        .ok_or_else(|| {
            AppError::usage(format!(
                "--health-check-bind-address {host:?} is not an IP address or a resolvable name"
            ))
        })
}

fn service_error(error: ServiceError) -> AppError {
    if error.is_configuration() {
        AppError::usage(error.to_string())
    } else {
        AppError::runtime(error.to_string())
    }
}

pub async fn run(cli: &Cli) -> AppResult<()> {
    let common = &cli.common;
    let (Some(client_id), Some(client_secret)) = (&common.client_id, &common.client_secret) else {
        return Err(AppError::usage(
            "service mode needs both --client-id and --client-secret (BATON_CLIENT_ID, BATON_CLIENT_SECRET)",
        ));
    };
    // Credentials first: a malformed one is named (never printed) before anything else runs.
    let credentials =
        Credentials::parse(client_id, client_secret).map_err(|e| AppError::usage(e.to_string()))?;
    if let Some(flag) = common.unsupported.requested() {
        tracing::warn!(flag, "ignored in service mode");
    }
    if common.grant_entitlement.is_some() || common.revoke_grant.is_some() {
        tracing::warn!("one-shot grant/revoke flags are ignored in service mode; ConductorOne sends grant and revoke tasks");
    }
    if let Some(dir) = &common.c1z_temp_dir {
        if !dir.is_dir() {
            return Err(AppError::usage(format!(
                "--c1z-temp-dir {} does not exist or is not a directory",
                dir.display()
            )));
        }
    }

    let token = settings::token(&cli.asana)?;
    let client = settings::client(cli, &cli.asana.asana_api_url, token)?;
    let connector = AsanaConnector::new(
        client,
        AsanaConnectorConfig {
            use_service_account: cli.asana.use_service_account,
        },
    );

    let mut config = ServiceConfig::new(credentials, build_info());
    config.task_concurrency = common.task_concurrency as usize;
    config.provisioning = common.provisioning;
    config.sync = settings::sync_options(cli, Arc::new(SyncProgress::default()))?;
    config.temp_dir = common.c1z_temp_dir.clone();
    if common.health_check {
        config.health_check = Some(
            health_address(&common.health_check_bind_address, common.health_check_port).await?,
        );
    }
    let service = Service::new(Arc::new(connector), config).map_err(service_error)?;

    let shutdown = CancellationToken::new();
    let signal_watch = tokio::spawn(signals::cancel_on_signal(
        shutdown.clone(),
        "stopping: no new tasks; running ones finish or are cancelled",
    ));
    let result = service.run(shutdown).await;
    signal_watch.abort();
    result.map_err(service_error)
}
