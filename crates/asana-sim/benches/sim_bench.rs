//! Figures for the simulator: tenant generation time and list throughput.
//!
//! `cargo bench -p asana-sim` (release). Targets: a 50,000-user / 5,000-team tenant in < 10 s;
//! ≥ 5,000 list requests/s with latency off (32 concurrent keep-alive clients).
//! `ASANA_SIM_BENCH_SECS` sets each throughput phase's duration (default 5).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use asana_sim::{
    generate_tenant, GeneratorConfig, RateLimitConfig, Scenario, SimConfig, SimServer, TokenRole,
};

const CLIENTS: usize = 32;

fn big_tenant() -> GeneratorConfig {
    GeneratorConfig {
        users: 50_000,
        teams: 5_000,
        members_per_team: 20,
        workspaces: 3,
        seed: 42,
        ..GeneratorConfig::default()
    }
}

fn bench_generator() {
    let mut times = Vec::new();
    let mut sizes = (0, 0, 0);
    for _ in 0..3 {
        let started = Instant::now();
        let tenant = generate_tenant(&big_tenant());
        times.push(started.elapsed());
        sizes = (
            tenant.users.len(),
            tenant.workspace_memberships.len(),
            tenant.team_memberships.len(),
        );
    }
    times.sort();
    println!(
        "generator: 50,000 users / 5,000 teams ({} users, {} workspace memberships, {} team memberships): min {:.3} s, median {:.3} s (target < 10 s)",
        sizes.0,
        sizes.1,
        sizes.2,
        times[0].as_secs_f64(),
        times[1].as_secs_f64()
    );
}

/// Runs `CLIENTS` keep-alive clients for `duration`, each requesting the paths `next_path`
/// hands out, and returns (requests, errors).
async fn hammer(
    sim: &SimServer,
    duration: Duration,
    next_path: Arc<dyn Fn(u64) -> String + Send + Sync>,
) -> (u64, u64) {
    let done = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + duration;
    let mut tasks = Vec::new();
    for client_index in 0..CLIENTS {
        let base = sim.base_url();
        let token = sim.token(TokenRole::ServiceAccount);
        let done = done.clone();
        let errors = errors.clone();
        let next_path = next_path.clone();
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .build()
                .expect("client");
            let mut i = client_index as u64 * 7919;
            while Instant::now() < deadline {
                i += 1;
                let response = client
                    .get(format!("{base}{}", next_path(i)))
                    .bearer_auth(&token)
                    .send()
                    .await;
                match response {
                    Ok(r) if r.status().is_success() => match r.bytes().await {
                        Ok(body) if !body.is_empty() => {
                            done.fetch_add(1, Ordering::Relaxed);
                        }
                        _ => {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                    },
                    _ => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    (done.load(Ordering::Relaxed), errors.load(Ordering::Relaxed))
}

async fn bench_throughput(duration: Duration) {
    let started = Instant::now();
    let sim = SimServer::start(SimConfig {
        scenario: Scenario::Generated(big_tenant()),
        rate_limit: RateLimitConfig::unlimited(),
        ..SimConfig::default()
    })
    .await
    .expect("simulator starts");
    println!(
        "server start with the 50,000-user tenant (generate + index + bind): {:.3} s",
        started.elapsed().as_secs_f64()
    );
    let tenant = sim.tenant();
    let teams: Arc<Vec<String>> = Arc::new(tenant.teams.iter().map(|t| t.gid.clone()).collect());
    let org = tenant.workspaces[0].gid.clone();

    // Phase 1: first pages of team memberships (20 members each) with the connector's fields.
    let team_paths = {
        let teams = teams.clone();
        Arc::new(move |i: u64| {
            let team = &teams[(i as usize * 31) % teams.len()];
            format!(
                "/teams/{team}/team_memberships?limit=100&opt_fields=user.name,user.email,is_admin,is_guest,is_limited_access"
            )
        })
    };
    let (ok, errors) = hammer(&sim, duration, team_paths).await;
    println!(
        "throughput: team memberships pages (20 items), {CLIENTS} keep-alive clients: {:.0} requests/s ({ok} ok, {errors} errors, {:?})",
        ok as f64 / duration.as_secs_f64(),
        duration
    );

    // Phase 2: full 100-item pages of workspace memberships, resuming from offsets spread
    // across the organization (the tokens are gathered first, outside the timing).
    let client = reqwest::Client::new();
    let token = sim.token(TokenRole::ServiceAccount);
    let mut offsets: Vec<String> = Vec::new();
    let mut next: Option<String> = None;
    let opt_fields = "user.name,user.email,is_active,is_admin,is_guest,is_view_only,created_at";
    for _ in 0..200 {
        let mut url = format!(
            "{}/workspaces/{org}/workspace_memberships?limit=100&opt_fields={opt_fields}",
            sim.base_url()
        );
        if let Some(offset) = &next {
            url.push_str(&format!("&offset={offset}"));
        }
        let body: serde_json::Value = client
            .get(url)
            .bearer_auth(&token)
            .send()
            .await
            .expect("page")
            .json()
            .await
            .expect("json");
        match body["next_page"]["offset"].as_str() {
            Some(offset) => {
                offsets.push(offset.to_string());
                next = Some(offset.to_string());
            }
            None => break,
        }
    }
    let offsets = Arc::new(offsets);
    let membership_paths = {
        let offsets = offsets.clone();
        Arc::new(move |i: u64| {
            let offset = &offsets[(i as usize * 13) % offsets.len()];
            format!("/workspaces/{org}/workspace_memberships?limit=100&opt_fields={opt_fields}&offset={offset}")
        })
    };
    sim.reset_counters();
    let (ok, errors) = hammer(&sim, duration, membership_paths).await;
    println!(
        "throughput: workspace memberships pages (100 items), {CLIENTS} keep-alive clients: {:.0} requests/s ({ok} ok, {errors} errors, peak in-flight reads {})",
        ok as f64 / duration.as_secs_f64(),
        sim.counters().peak_in_flight_reads
    );
    sim.shutdown().await;
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing: run briefly then.
    let benchmarking = std::env::args().any(|a| a == "--bench");
    let secs = std::env::var("ASANA_SIM_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if benchmarking { 5 } else { 1 });
    bench_generator();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(bench_throughput(Duration::from_secs(secs)));
}
