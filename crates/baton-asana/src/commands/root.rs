//! The root command: picks the mode the flags ask for, in baton-sdk's order —
//! service mode, one-shot grant, one-shot revoke, refused unsupported modes,
//! and otherwise one full sync into --file.

use asana_connector::{AsanaConnector, AsanaConnectorConfig};

use crate::cli::Cli;
use crate::commands::{provision, service, sync};
use crate::error::{AppError, AppResult};
use crate::settings;

pub async fn run(cli: &Cli) -> AppResult<()> {
    if cli.common.client_id.is_some() || cli.common.client_secret.is_some() {
        return service::run(cli).await;
    }
    if let Some(flag) = cli.common.unsupported.requested() {
        return Err(AppError::usage(format!(
            "{flag} is a baton-sdk mode that the Asana connector does not support"
        )));
    }
    let token = settings::token(&cli.asana)?;
    let client = settings::client(cli, &cli.asana.asana_api_url, token)?;
    let connector = AsanaConnector::new(
        client,
        AsanaConnectorConfig {
            use_service_account: cli.asana.use_service_account,
        },
    );
    if let Some(entitlement) = &cli.common.grant_entitlement {
        let principal = cli.common.grant_principal.as_deref().unwrap_or_default();
        return provision::grant(
            cli,
            &connector,
            entitlement,
            &cli.common.grant_principal_type,
            principal,
        )
        .await;
    }
    if let Some(grant) = &cli.common.revoke_grant {
        return provision::revoke(cli, &connector, grant).await;
    }
    sync::run(cli, &connector, &cli.common.file).await
}
