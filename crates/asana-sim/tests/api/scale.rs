use std::time::{Duration, Instant};

use asana_sim::{
    generate_tenant, GeneratorConfig, RateLimitConfig, Scenario, SimConfig, TokenRole,
};

use crate::common::{start, Api};

fn big() -> GeneratorConfig {
    GeneratorConfig {
        users: 50_000,
        teams: 5_000,
        members_per_team: 20,
        workspaces: 3,
        seed: 42,
        ..GeneratorConfig::default()
    }
}

/// The release figure (< 10 s target) comes from `cargo bench -p asana-sim`; this debug-build
/// check only guards against accidental blow-ups (quadratic loops and the like).
#[test]
fn generator_builds_fifty_thousand_users_quickly_and_deterministically() {
    let started = Instant::now();
    let tenant = generate_tenant(&big());
    let elapsed = started.elapsed();
    assert_eq!(tenant.users.len(), 50_001);
    assert_eq!(tenant.teams.len(), 5_000);
    assert!(tenant.team_memberships.len() >= 100_000);
    assert!(
        elapsed < Duration::from_secs(60),
        "debug build took {elapsed:?}"
    );
    let again = generate_tenant(&big());
    assert!(tenant == again, "same seed must give the same tenant");
}

#[tokio::test]
async fn generated_tenant_serves_and_edits_consistently() {
    let sim = start(SimConfig {
        scenario: Scenario::Generated(GeneratorConfig {
            users: 3000,
            teams: 60,
            members_per_team: 40,
            workspaces: 3,
            ..GeneratorConfig::default()
        }),
        rate_limit: RateLimitConfig::unlimited(),
        ..SimConfig::default()
    })
    .await;
    let api = Api::new(&sim, TokenRole::ServiceAccount);
    let tenant = sim.tenant();
    let team = &tenant.teams[5];
    let members = api
        .collect(&format!("/teams/{}/team_memberships", team.gid), 100)
        .await;
    assert_eq!(
        members.len(),
        tenant
            .team_memberships
            .iter()
            .filter(|m| m.team_gid == team.gid)
            .count()
    );
    // Editing the ground truth is visible to the next read.
    let renamed = sim.with_tenant_mut(|t| {
        t.teams[5].name = "Renamed: 🚀".to_string();
        t.team_memberships.retain(|m| m.team_gid != t.teams[5].gid);
        t.teams[5].gid.clone()
    });
    let answer = api.get(&format!("/teams/{renamed}")).await.expect(200);
    assert_eq!(answer.data()["name"], "Renamed: 🚀");
    let empty = api
        .get(&format!("/teams/{renamed}/team_memberships?limit=10"))
        .await
        .expect(200);
    assert!(empty.gids().is_empty());
    // New objects never reuse a gid.
    let added = api
        .post_user(
            &format!("/teams/{renamed}/addUser"),
            &tenant.token_owners.member,
        )
        .await
        .expect(200);
    let gid = added.data()["gid"].as_str().unwrap().to_string();
    let all = sim.tenant();
    assert_eq!(
        all.team_memberships.iter().filter(|m| m.gid == gid).count(),
        1
    );
    assert!(!tenant.team_memberships.iter().any(|m| m.gid == gid));
}

/// A smoke check of list throughput in a debug build; the figure that matters comes from the
/// release bench.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_clients_page_without_errors() {
    let sim = start(SimConfig {
        scenario: Scenario::Generated(GeneratorConfig {
            users: 2000,
            teams: 40,
            members_per_team: 150,
            workspaces: 1,
            ..GeneratorConfig::default()
        }),
        rate_limit: RateLimitConfig::unlimited(),
        ..SimConfig::default()
    })
    .await;
    let teams: Vec<String> = sim.tenant().teams.iter().map(|t| t.gid.clone()).collect();
    let api = Api::new(&sim, TokenRole::ServiceAccount);
    let started = Instant::now();
    let workers = (0..16).map(|w| {
        let api = api.clone();
        let teams = teams.clone();
        async move {
            let mut pages = 0;
            for i in 0..10 {
                let team = &teams[(w * 7 + i) % teams.len()];
                let path = format!("/teams/{team}/team_memberships?limit=100&opt_fields=user.name,user.email,is_admin");
                api.get(&path).await.expect(200);
                pages += 1;
            }
            pages
        }
    });
    let pages: usize = futures::future::join_all(workers).await.into_iter().sum();
    let elapsed = started.elapsed();
    assert_eq!(pages, 160);
    let counters = sim.counters();
    assert_eq!(counters.count_status(200), 160);
    assert!(counters.peak_in_flight_reads >= 2);
    eprintln!("debug build: {pages} list pages in {elapsed:?}");
}
