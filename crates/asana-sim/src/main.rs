//! `asana-sim serve ...`: run a simulated Asana until killed.
//!
//! On start it prints, one per line and flushed: `url <base url>`, then `token <role> <value>`
//! for the roles `admin`, `member`, `guest`, `service-account`.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use asana_sim::{
    FaultConfig, GeneratorConfig, LatencyConfig, RateLimitConfig, Scenario, SimConfig, SimServer,
    TokenRole,
};
use clap::{Args, Parser, Subcommand, ValueEnum};
use tracing_subscriber::EnvFilter;

#[derive(Parser, Debug)]
#[command(
    name = "asana-sim",
    version,
    about = "A simulated Asana REST API for tests, benchmarks and demos"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve a simulated tenant on 127.0.0.1 until killed.
    Serve(ServeArgs),
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ScenarioName {
    Quirks,
    Generated,
    /// The quirks tenant plus a generated organization.
    Demo,
}

#[derive(Args, Debug)]
struct ServeArgs {
    /// Which tenant to serve.
    #[arg(long, value_enum, default_value = "quirks")]
    scenario: ScenarioName,
    #[command(flatten)]
    generator: GeneratorArgs,
    /// Port on 127.0.0.1 (0 = ephemeral).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Requests per minute per token (1500 paid, 150 free; 0 = unlimited).
    #[arg(long, default_value_t = RateLimitConfig::PAID_REQUESTS_PER_MINUTE)]
    rpm: u32,
    /// Concurrent GETs per token.
    #[arg(long, default_value_t = 50)]
    max_in_flight_reads: usize,
    /// Concurrent writes per token.
    #[arg(long, default_value_t = 15)]
    max_in_flight_writes: usize,
    /// Added latency per request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Uniform extra latency of up to this many milliseconds.
    #[arg(long, default_value_t = 0)]
    jitter_ms: u64,
    /// Share of requests answered 500/503.
    #[arg(long, default_value_t = 0.0)]
    error_rate: f64,
    /// Share of requests whose connection is reset without an answer.
    #[arg(long, default_value_t = 0.0)]
    reset_rate: f64,
    /// Share of requests whose body is cut short.
    #[arg(long, default_value_t = 0.0)]
    truncate_rate: f64,
    /// Share of requests answered 429 with Retry-After 1.
    #[arg(long = "spurious-429-rate", default_value_t = 0.0)]
    spurious_429_rate: f64,
    /// Omit `next_page` on non-final pages (a malformed answer).
    #[arg(long)]
    drop_next_page: bool,
    /// Inject faults into writes too (after applying them).
    #[arg(long)]
    write_faults: bool,
    /// Lifetime of offset tokens, in seconds.
    #[arg(long, default_value_t = 900)]
    offset_ttl_secs: u64,
    /// Seed for token values, fault draws, latency jitter and offsets (default: `--seed`).
    #[arg(long)]
    sim_seed: Option<u64>,
}

#[derive(Args, Debug)]
struct GeneratorArgs {
    /// Generated scenario: number of users.
    #[arg(long, default_value_t = GeneratorConfig::default().users)]
    users: usize,
    /// Generated scenario: number of teams.
    #[arg(long, default_value_t = GeneratorConfig::default().teams)]
    teams: usize,
    /// Generated scenario: members per team.
    #[arg(long, default_value_t = GeneratorConfig::default().members_per_team)]
    members_per_team: usize,
    /// Generated scenario: workspaces including the organization.
    #[arg(long, default_value_t = GeneratorConfig::default().workspaces)]
    workspaces: usize,
    /// Seed of the generated tenant (and, unless `--sim-seed` is given, of tokens and faults).
    #[arg(long, default_value_t = GeneratorConfig::default().seed)]
    seed: u64,
    #[arg(long, default_value_t = GeneratorConfig::default().admin_ratio)]
    admin_ratio: f64,
    #[arg(long, default_value_t = GeneratorConfig::default().guest_ratio)]
    guest_ratio: f64,
    #[arg(long, default_value_t = GeneratorConfig::default().inactive_ratio)]
    inactive_ratio: f64,
}

impl ServeArgs {
    fn into_config(self) -> SimConfig {
        let generator = GeneratorConfig {
            users: self.generator.users,
            teams: self.generator.teams,
            members_per_team: self.generator.members_per_team,
            workspaces: self.generator.workspaces,
            seed: self.generator.seed,
            admin_ratio: self.generator.admin_ratio,
            guest_ratio: self.generator.guest_ratio,
            inactive_ratio: self.generator.inactive_ratio,
            ..GeneratorConfig::default()
        };
        let scenario = match self.scenario {
            ScenarioName::Quirks => Scenario::Quirks,
            ScenarioName::Generated => Scenario::Generated(generator),
            ScenarioName::Demo => Scenario::QuirksWithGenerated(generator),
        };
        SimConfig {
            scenario,
            port: self.port,
            rate_limit: RateLimitConfig {
                requests_per_minute: self.rpm,
                max_in_flight_reads: self.max_in_flight_reads,
                max_in_flight_writes: self.max_in_flight_writes,
            },
            latency: LatencyConfig {
                base: Duration::from_millis(self.latency_ms),
                jitter: Duration::from_millis(self.jitter_ms),
            },
            faults: FaultConfig {
                server_error_rate: self.error_rate,
                connection_reset_rate: self.reset_rate,
                truncated_body_rate: self.truncate_rate,
                spurious_429_rate: self.spurious_429_rate,
                drop_next_page_key: self.drop_next_page,
                apply_to_writes: self.write_faults,
            },
            offset_ttl: Duration::from_secs(self.offset_ttl_secs),
            seed: self.sim_seed.unwrap_or(self.generator.seed),
        }
    }
}

fn announce(sim: &SimServer) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "url {}", sim.base_url())?;
    for role in TokenRole::ALL {
        writeln!(out, "token {role} {}", sim.token(role))?;
    }
    out.flush()
}

async fn wait_for_termination() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let Cli {
        command: Command::Serve(args),
    } = Cli::parse();
    let sim = match SimServer::start(args.into_config()).await {
        Ok(sim) => sim,
        Err(error) => {
            eprintln!("asana-sim: {error}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(error) = announce(&sim) {
        eprintln!("asana-sim: cannot write to stdout: {error}");
        return ExitCode::FAILURE;
    }
    wait_for_termination().await;
    sim.shutdown().await;
    ExitCode::SUCCESS
}
