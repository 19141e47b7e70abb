//! `demo`: syncs a built-in simulated Asana tenant — the quirks tenant of hard
//! cases plus a generated organization — served on loopback, so the whole
//! pipeline can be seen with no token and no network.

use std::path::PathBuf;
use std::time::Duration;

use asana_connector::{AsanaConnector, AsanaConnectorConfig};
use asana_sim::{GeneratorConfig, LatencyConfig, Scenario, SimConfig, SimServer, TokenRole};
use secrecy::SecretString;

use crate::cli::{Cli, DemoArgs};
use crate::commands::sync;
use crate::error::{AppError, AppResult};
use crate::settings;

pub async fn run(cli: &Cli, demo: &DemoArgs, file: PathBuf) -> AppResult<()> {
    let config = SimConfig {
        scenario: Scenario::QuirksWithGenerated(GeneratorConfig {
            users: demo.users,
            teams: demo.teams,
            seed: demo.seed,
            ..GeneratorConfig::default()
        }),
        latency: LatencyConfig {
            base: Duration::from_millis(demo.latency_ms),
            jitter: Duration::ZERO,
        },
        ..SimConfig::default()
    };
    let sim = SimServer::start(config)
        .await
        .map_err(|e| AppError::runtime(format!("cannot start the simulated Asana tenant: {e}")))?;
    tracing::info!(
        url = %sim.base_url(),
        generated_users = demo.users,
        generated_teams = demo.teams,
        "demo: serving a simulated Asana tenant (quirks + a generated organization) on loopback"
    );
    let token = SecretString::from(sim.token(TokenRole::Admin));
    let client = settings::client(cli, &sim.base_url(), token)?;
    let connector = AsanaConnector::new(client, AsanaConnectorConfig::default());
    let result = sync::run(cli, &connector, &file).await;
    sim.shutdown().await;
    result?;
    println!(
        "demo: wrote {} — inspect it with `baton resources -f {0}` or `baton grants -f {0}`",
        file.display()
    );
    Ok(())
}
