//! Sync benchmark (issue 5): the release binary syncs a generated tenant of
//! 20,000 users and 2,000 teams (~60,000 team memberships) served by asana-sim.
//!
//! 1. With latency off and no rate limit: CPU seconds and peak RSS (run
//!    first, so the children's peak RSS is this run's).
//! 2. With 100 ms latency and 1,500 requests/min: requests issued vs the
//!    minimum (every list at limit 100), wall time vs the floor
//!    max(longest chain of dependent pages × latency, requests ÷ rate).
//!
//! Run: `cargo bench -p baton-asana --bench sync_bench` (add `-- quick` for a
//! smaller tenant).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, Instant};

use asana_sim::{
    GeneratorConfig, LatencyConfig, RateLimitConfig, Scenario, SimConfig, SimServer, Tenant,
    TokenRole,
};

fn pages(items: usize) -> u64 {
    (items.max(1) as u64).div_ceil(100)
}

/// The fewest requests a sync can make, and the longest chain of requests
/// that must happen one after another.
fn minimum(tenant: &Tenant) -> (u64, u64) {
    let owner = &tenant.token_owners.admin;
    let synced: BTreeSet<&str> = tenant
        .workspace_memberships
        .iter()
        .filter(|m| &m.user_gid == owner && m.is_active && !m.is_guest)
        .map(|m| m.workspace_gid.as_str())
        .collect();
    let own_memberships = tenant
        .workspace_memberships
        .iter()
        .filter(|m| &m.user_gid == owner)
        .count();
    // /users/me, /workspaces, /users/me/workspace_memberships
    let validate = 1 + pages(tenant.workspaces.len()) + pages(own_memberships);
    let mut total = validate;
    let mut longest = 0;
    let mut per_ws: BTreeMap<&str, usize> = BTreeMap::new();
    for m in &tenant.workspace_memberships {
        if synced.contains(m.workspace_gid.as_str()) {
            *per_ws.entry(m.workspace_gid.as_str()).or_default() += 1;
        }
    }
    for ws in &synced {
        let p = pages(per_ws.get(ws).copied().unwrap_or(0));
        total += p;
        longest = longest.max(validate + p);
    }
    let mut teams_per_org: BTreeMap<&str, usize> = BTreeMap::new();
    for t in &tenant.teams {
        if synced.contains(t.organization_gid.as_str()) {
            *teams_per_org
                .entry(t.organization_gid.as_str())
                .or_default() += 1;
        }
    }
    let orgs: Vec<&str> = tenant
        .workspaces
        .iter()
        .filter(|w| w.is_organization && synced.contains(w.gid.as_str()))
        .map(|w| w.gid.as_str())
        .collect();
    let mut members: BTreeMap<&str, usize> = BTreeMap::new();
    for m in &tenant.team_memberships {
        *members.entry(m.team_gid.as_str()).or_default() += 1;
    }
    for org in orgs {
        let team_pages = pages(teams_per_org.get(org).copied().unwrap_or(0));
        total += team_pages;
        let mut deepest = 0;
        for t in tenant.teams.iter().filter(|t| t.organization_gid == org) {
            let p = pages(members.get(t.gid.as_str()).copied().unwrap_or(0));
            total += p;
            deepest = deepest.max(p);
        }
        longest = longest.max(validate + team_pages + deepest);
    }
    (total, longest)
}

/// CPU seconds and peak RSS (MiB) of finished children.
fn children_usage() -> (f64, f64) {
    // SAFETY: getrusage only writes into the struct we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (
        secs(usage.ru_utime) + secs(usage.ru_stime),
        usage.ru_maxrss as f64 / 1024.0,
    )
}

fn sync(sim: &SimServer, file: &Path, temp: &Path, rate: &str) -> Duration {
    let started = Instant::now();
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_baton-asana"))
        .args([
            "--asana-api-url",
            &sim.base_url(),
            "-f",
            file.to_str().unwrap_or_default(),
            "--asana-rate-limit",
            rate,
            "--log-level",
            "warn",
            "--log-format",
            "json",
        ])
        .env("BATON_TOKEN", sim.token(TokenRole::Admin))
        .env("BATON_C1Z_TEMP_DIR", temp)
        .status()
        .expect("run baton-asana");
    assert!(status.success(), "the sync failed");
    started.elapsed()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let (users, teams) = if quick { (2_000, 200) } else { (20_000, 2_000) };
    let generator = GeneratorConfig {
        users,
        teams,
        members_per_team: 30,
        workspaces: 2,
        seed: 2024,
        ..GeneratorConfig::default()
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let latency = Duration::from_millis(100);
    let rpm = 1500u32;

    // Latency off, no rate limit: what the connector itself costs.
    let sim = SimServer::start(SimConfig {
        scenario: Scenario::Generated(generator.clone()),
        rate_limit: RateLimitConfig::unlimited(),
        ..SimConfig::default()
    })
    .await
    .expect("start asana-sim");
    let (cpu_before, _) = children_usage();
    let file = dir.path().join("fast.c1z");
    let wall = tokio::task::block_in_place(|| sync(&sim, &file, dir.path(), "1000000"));
    let (cpu_after, peak_rss) = children_usage();
    let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
    println!("\n[latency off, no rate limit]");
    println!(
        "wall: {:.2} s, CPU: {:.2} s (user+sys of baton-asana), peak RSS: {:.1} MiB, file: {:.1} MiB, requests: {}",
        wall.as_secs_f64(),
        cpu_after - cpu_before,
        peak_rss,
        size as f64 / (1024.0 * 1024.0),
        sim.counters().total
    );
    sim.shutdown().await;

    let sim = SimServer::start(SimConfig {
        scenario: Scenario::Generated(generator),
        latency: LatencyConfig {
            base: latency,
            jitter: Duration::ZERO,
        },
        rate_limit: RateLimitConfig {
            requests_per_minute: rpm,
            ..RateLimitConfig::default()
        },
        ..SimConfig::default()
    })
    .await
    .expect("start asana-sim");
    let tenant = sim.visible_tenant(TokenRole::Admin);
    let (min_requests, chain) = minimum(&tenant);
    println!(
        "tenant: {} users, {} teams, {} workspace memberships, {} team memberships",
        tenant.users.len(),
        tenant.teams.len(),
        tenant.workspace_memberships.len(),
        tenant.team_memberships.len()
    );

    let file = dir.path().join("bench.c1z");
    let wall = tokio::task::block_in_place(|| sync(&sim, &file, dir.path(), "1500"));
    let counters = sim.counters();
    let floor =
        (chain as f64 * latency.as_secs_f64()).max(counters.total as f64 * 60.0 / rpm as f64);
    println!("\n[100 ms latency, {rpm} requests/min]");
    println!(
        "requests: {} issued, minimum {} ({:+.1}%), 429s: {}",
        counters.total,
        min_requests,
        (counters.total as f64 / min_requests as f64 - 1.0) * 100.0,
        counters.rate_limited
    );
    println!(
        "wall: {:.1} s, floor {:.1} s = max({} chained pages x {} ms, {} requests / {} per min) ({:+.1}%)",
        wall.as_secs_f64(),
        floor,
        chain,
        latency.as_millis(),
        counters.total,
        rpm,
        (wall.as_secs_f64() / floor - 1.0) * 100.0
    );
    sim.shutdown().await;
}
