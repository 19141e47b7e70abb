//! baton-asana's command line: the shared baton flags plus Asana's own.

use std::path::{Path, PathBuf};

use baton_connector::cli::CommonArgs;
use clap::{ArgAction, Args, Parser, Subcommand};

/// Identity-governance connector for Asana: syncs users, workspaces and teams
/// with their roles into a baton .c1z file, and grants or revokes workspace
/// and team membership.
#[derive(Debug, Parser)]
#[command(name = "baton-asana", version, disable_version_flag = true, about, long_about = None)]
pub struct Cli {
    /// Print the version
    #[arg(short = 'v', long = "version", action = ArgAction::Version)]
    pub version: Option<bool>,

    #[command(flatten)]
    pub common: CommonArgs,

    #[command(flatten)]
    pub asana: AsanaArgs,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Asana's own settings.
#[derive(Debug, Clone, Args)]
pub struct AsanaArgs {
    /// Asana personal access token or service-account token (required except for demo)
    #[arg(long, env = "BATON_TOKEN", hide_env_values = true, global = true)]
    pub token: Option<String>,

    /// Asana API base URL (http:// only for loopback hosts)
    #[arg(long, env = "BATON_ASANA_API_URL", default_value = asana_api::DEFAULT_BASE_URL, global = true)]
    pub asana_api_url: String,

    /// The token is an Enterprise service account's: sync every workspace it can see
    #[arg(long, env = "BATON_USE_SERVICE_ACCOUNT", global = true)]
    pub use_service_account: bool,

    /// Asana requests per minute for this token (1500 on paid plans, 150 on free)
    #[arg(long, env = "BATON_ASANA_RATE_LIMIT", default_value_t = 1500, value_parser = clap::value_parser!(u32).range(1..), global = true)]
    pub asana_rate_limit: u32,

    /// Asana requests in flight at once (Asana allows 50 reads per token)
    #[arg(long, env = "BATON_ASANA_MAX_CONCURRENCY", default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=50), global = true)]
    pub asana_max_concurrency: u32,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the connector's capabilities as protojson
    Capabilities,
    /// Print the connector's configuration schema (c1.config.v1.Configuration) as JSON
    Config,
    /// Print a shell completion script
    Completion {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Sync a built-in simulated Asana tenant (no token, no network) into --file (default demo.c1z)
    Demo(DemoArgs),
    /// Internal subprocess mode of the Go SDK; not used by this connector
    #[command(name = "_connector-service", hide = true)]
    ConnectorService,
}

#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// Users in the generated organization added to the quirks tenant
    #[arg(long, default_value_t = 3000)]
    pub users: usize,
    /// Teams in the generated organization
    #[arg(long, default_value_t = 300)]
    pub teams: usize,
    /// Seed of the generated organization
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Simulated latency per request, in milliseconds
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
}

/// The default `--file` of the demo, when `-f` was not given.
pub fn demo_default_file(file: &Path, explicitly_set: bool) -> PathBuf {
    if explicitly_set {
        file.to_path_buf()
    } else {
        PathBuf::from("demo.c1z")
    }
}
