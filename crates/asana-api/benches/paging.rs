//! Paging benchmark against asana-sim (run with `cargo bench -p asana-api`).
//!
//! The simulator runs on its own multi-threaded runtime; the client runs on a current-thread
//! runtime on the main thread, so the main thread's CPU time is the client's CPU time
//! (connection handling, TLS-less HTTP, JSON decoding, limiter, stream).
//!
//! 1. 100,000 workspace memberships (1,000 pages), no latency, no limits: pages/s and client CPU
//!    time per page.
//! 2. The same list with 100 ms latency and 1,500 requests/min on both sides: wall time against
//!    the floor max(pages × latency, pages ÷ rate) — one list is a chain of dependent pages.
//! 3. 200 team-membership lists fetched concurrently, same latency and rate: wall time against
//!    max(longest list × latency, total pages ÷ rate).
//!
//! Environment: `BENCH_QUICK=1` runs only part 1 (for smoke runs).

use std::time::{Duration, Instant};

use asana_api::{AsanaClient, ClientConfig, RetryPolicy};
use asana_sim::{
    GeneratorConfig, LatencyConfig, RateLimitConfig, Scenario, SimConfig, SimServer, TokenRole,
};
use futures::{StreamExt, TryStreamExt};

const USERS: usize = 100_000;
const TEAMS: usize = 200;
const MEMBERS_PER_TEAM: usize = 250;
const LATENCY: Duration = Duration::from_millis(100);
const RPM: u32 = 1500;

fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we own; CLOCK_THREAD_CPUTIME_ID is valid on
    // Linux.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn client(sim: &SimServer, role: TokenRole, rpm: u32) -> AsanaClient {
    AsanaClient::new(ClientConfig {
        base_url: sim.base_url(),
        requests_per_minute: rpm,
        retry: RetryPolicy::default(),
        ..ClientConfig::with_token(sim.token(role))
    })
    .expect("client")
}

fn verdict(wall: f64, floor: f64) -> (&'static str, f64) {
    let over = (wall / floor - 1.0) * 100.0;
    (if over <= 10.0 { "PASS" } else { "FAIL" }, over)
}

fn main() {
    let quick = std::env::var_os("BENCH_QUICK").is_some();
    let sim_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("sim runtime");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("client runtime");

    let gen_started = Instant::now();
    let sim = sim_rt
        .block_on(SimServer::start(SimConfig {
            scenario: Scenario::Generated(GeneratorConfig {
                users: USERS,
                teams: TEAMS,
                members_per_team: MEMBERS_PER_TEAM,
                workspaces: 1,
                seed: 2024,
                inactive_ratio: 0.0,
                readded_ratio: 0.0,
                ..GeneratorConfig::default()
            }),
            rate_limit: RateLimitConfig::unlimited(),
            ..SimConfig::default()
        }))
        .expect("start simulator");
    let truth = sim.tenant();
    let org = truth.workspaces[0].gid.clone();
    let memberships = truth
        .workspace_memberships
        .iter()
        .filter(|m| m.workspace_gid == org)
        .count();
    let pages = memberships.div_ceil(100);
    println!(
        "tenant: {} users, {memberships} workspace memberships ({pages} pages), {} teams, {} team memberships (generated in {:.1} s)",
        truth.users.len(),
        truth.teams.len(),
        truth.team_memberships.len(),
        gen_started.elapsed().as_secs_f64()
    );
    let mut failed = false;

    // 1. Throughput, latency off.
    for run in 1..=3 {
        let c = client(&sim, TokenRole::ServiceAccount, 0);
        let cpu0 = thread_cpu();
        let t0 = Instant::now();
        let n = rt
            .block_on(async {
                c.workspace_memberships(&org)
                    .stream()
                    .try_fold(0usize, |n, _| async move { Ok(n + 1) })
                    .await
            })
            .expect("listing");
        let wall = t0.elapsed().as_secs_f64();
        let cpu = thread_cpu() - cpu0;
        assert_eq!(n, memberships);
        let requests = c.metrics().total_requests;
        println!(
            "[1] run {run}: {n} memberships, {requests} pages in {wall:.2} s = {:.0} pages/s, client CPU {:.3} ms/page ({:.1} µs/item)",
            requests as f64 / wall,
            cpu.as_secs_f64() * 1000.0 / requests as f64,
            cpu.as_secs_f64() * 1e6 / n as f64,
        );
    }
    if quick {
        sim_rt.block_on(sim.shutdown());
        return;
    }

    // 2. One long list under latency and the real rate limit.
    sim.set_latency(LatencyConfig {
        base: LATENCY,
        jitter: Duration::ZERO,
    });
    sim.set_rate_limit(RateLimitConfig::default());
    // The budget is per token: part 2 uses the admin's PAT (a full member sees every
    // membership), part 3 the service account's, so neither inherits the other's window.
    let c = client(&sim, TokenRole::Admin, RPM);
    sim.reset_counters();
    let t0 = Instant::now();
    let n = rt
        .block_on(async {
            c.workspace_memberships(&org)
                .stream()
                .try_fold(0usize, |n, _| async move { Ok(n + 1) })
                .await
        })
        .expect("listing");
    let wall = t0.elapsed().as_secs_f64();
    assert_eq!(n, memberships);
    let floor = (pages as f64 * LATENCY.as_secs_f64()).max(pages as f64 * 60.0 / f64::from(RPM));
    let (v, over) = verdict(wall, floor);
    failed |= v == "FAIL";
    println!(
        "[2] one list of {pages} pages, {} ms latency, {RPM} rpm: {wall:.1} s vs floor {floor:.1} s ({over:+.1}%) {v}; 429s {}",
        LATENCY.as_millis(),
        sim.counters().rate_limited
    );

    // 3. 200 team-membership lists concurrently (service-account token: sees secret teams too).
    let team_pages: Vec<usize> = truth
        .teams
        .iter()
        .map(|t| {
            truth
                .team_memberships
                .iter()
                .filter(|m| m.team_gid == t.gid)
                .count()
                .div_ceil(100)
                .max(1)
        })
        .collect();
    let total_pages: usize = team_pages.iter().sum();
    let longest = team_pages.iter().copied().max().unwrap_or(1);
    let c = client(&sim, TokenRole::ServiceAccount, RPM);
    sim.reset_counters();
    let t0 = Instant::now();
    let items: usize = rt
        .block_on(async {
            futures::stream::iter(truth.teams.iter().map(|t| t.gid.clone()))
                .map(|gid| {
                    let c = c.clone();
                    async move { c.team_memberships_for_team(&gid).collect_all().await }
                })
                .buffer_unordered(TEAMS)
                .try_fold(0usize, |n, list| async move { Ok(n + list.len()) })
                .await
        })
        .expect("team lists");
    let wall = t0.elapsed().as_secs_f64();
    assert_eq!(items, truth.team_memberships.len());
    let floor =
        (longest as f64 * LATENCY.as_secs_f64()).max(total_pages as f64 * 60.0 / f64::from(RPM));
    let (v, over) = verdict(wall, floor);
    failed |= v == "FAIL";
    let counters = sim.counters();
    println!(
        "[3] {TEAMS} team lists ({total_pages} pages, longest {longest}), {} ms latency, {RPM} rpm: {wall:.1} s vs floor {floor:.1} s ({over:+.1}%) {v}; 429s {}, peak in flight {}",
        LATENCY.as_millis(),
        counters.rate_limited,
        counters.peak_in_flight_reads
    );
    sim_rt.block_on(sim.shutdown());
    if failed {
        std::process::exit(1);
    }
}
