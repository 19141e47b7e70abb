use std::time::{Duration, Instant};

use asana_sim::quirks::*;
use asana_sim::{
    FaultConfig, LatencyConfig, SimConfig, SimServer, TokenRole, STATUS_CONNECTION_RESET,
};
use serde_json::Value;

use crate::common::{quirks, start, Api};

fn only(faults: FaultConfig) -> SimConfig {
    SimConfig {
        faults,
        ..SimConfig::default()
    }
}

async fn raw_get(sim: &SimServer, path: &str) -> Result<reqwest::Response, reqwest::Error> {
    reqwest::Client::new()
        .get(format!("{}{path}", sim.base_url()))
        .bearer_auth(sim.token(TokenRole::Admin))
        .send()
        .await
}

#[tokio::test]
async fn server_errors_are_500_with_phrase_or_503() {
    let sim = start(only(FaultConfig {
        server_error_rate: 1.0,
        ..FaultConfig::default()
    }))
    .await;
    let api = Api::new(&sim, TokenRole::Admin);
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..40 {
        let answer = api.get("/users/me").await;
        seen.insert(answer.status.as_u16());
        let error = &answer.body["errors"][0];
        assert!(error["message"].is_string());
        match answer.status.as_u16() {
            500 => assert!(error["phrase"]
                .as_str()
                .is_some_and(|p| p.split(' ').count() == 5)),
            503 => assert!(error.get("phrase").is_none()),
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(seen, [500, 503].into());
    assert_eq!(sim.counters().faults.server_errors, 40);
}

#[tokio::test]
async fn connection_resets_send_no_answer() {
    let sim = start(only(FaultConfig {
        connection_reset_rate: 1.0,
        ..FaultConfig::default()
    }))
    .await;
    let error = raw_get(&sim, "/users/me")
        .await
        .expect_err("the connection is reset");
    assert!(!error.is_status() && !error.is_timeout(), "{error:?}");
    let counters = sim.counters();
    assert_eq!(counters.faults.connection_resets, 1);
    assert_eq!(
        counters.count_with_status("GET", "/users/{user_gid}", STATUS_CONNECTION_RESET),
        1
    );
    sim.set_faults(FaultConfig::default());
    Api::new(&sim, TokenRole::Admin)
        .get("/users/me")
        .await
        .expect(200);
}

#[tokio::test]
async fn truncated_bodies_announce_more_than_they_send() {
    let sim = start(only(FaultConfig {
        truncated_body_rate: 1.0,
        ..FaultConfig::default()
    }))
    .await;
    let response = raw_get(
        &sim,
        &format!("/teams/{BIG_TEAM}/team_memberships?limit=100"),
    )
    .await
    .expect("headers arrive");
    assert_eq!(response.status(), 200);
    let announced: usize = response.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(announced > 1000);
    assert!(
        response.bytes().await.is_err(),
        "the body must be cut short"
    );
    assert_eq!(sim.counters().faults.truncated_bodies, 1);
}

#[tokio::test]
async fn spurious_429s_carry_retry_after_1() {
    let sim = start(only(FaultConfig {
        spurious_429_rate: 1.0,
        ..FaultConfig::default()
    }))
    .await;
    let answer = Api::new(&sim, TokenRole::Admin)
        .get("/workspaces")
        .await
        .expect(429);
    assert_eq!(answer.headers["retry-after"], "1");
    let counters = sim.counters();
    assert_eq!(
        (counters.rate_limited, counters.faults.spurious_429s),
        (1, 1)
    );
}

#[tokio::test]
async fn drop_next_page_key_omits_it_on_non_final_pages_only() {
    let sim = start(only(FaultConfig {
        drop_next_page_key: true,
        ..FaultConfig::default()
    }))
    .await;
    let api = Api::new(&sim, TokenRole::Admin);
    let first = api
        .get(&format!(
            "/teams/{HUNDRED_ONE_TEAM}/team_memberships?limit=100"
        ))
        .await
        .expect(200);
    assert_eq!(first.gids().len(), 100);
    assert!(first.body.get("next_page").is_none());
    let last = api
        .get(&format!("/teams/{HUNDRED_TEAM}/team_memberships?limit=100"))
        .await
        .expect(200);
    assert_eq!(last.body["next_page"], Value::Null);
    assert_eq!(sim.counters().faults.dropped_next_page_keys, 1);
}

#[tokio::test]
async fn writes_are_untouched_unless_asked_and_then_fail_after_applying() {
    let sim = start(only(FaultConfig {
        server_error_rate: 1.0,
        ..FaultConfig::default()
    }))
    .await;
    let admin = Api::new(&sim, TokenRole::Admin);
    admin
        .post_user(&format!("/teams/{EMPTY_TEAM}/addUser"), CJK_USER)
        .await
        .expect(200);
    sim.set_faults(FaultConfig {
        server_error_rate: 1.0,
        apply_to_writes: true,
        ..FaultConfig::default()
    });
    let failed = admin
        .post_user(&format!("/teams/{EMPTY_TEAM}/addUser"), EMOJI_USER)
        .await;
    assert!(
        matches!(failed.status.as_u16(), 500 | 503),
        "{}",
        failed.body
    );
    // The write happened anyway: a client must verify rather than assume.
    assert!(sim
        .tenant()
        .team_memberships
        .iter()
        .any(|m| m.team_gid == EMPTY_TEAM && m.user_gid == EMOJI_USER));
    sim.set_faults(FaultConfig {
        spurious_429_rate: 1.0,
        apply_to_writes: true,
        ..FaultConfig::default()
    });
    admin
        .post_user(&format!("/teams/{EMPTY_TEAM}/addUser"), RTL_USER)
        .await
        .expect(429);
    assert!(!sim
        .tenant()
        .team_memberships
        .iter()
        .any(|m| m.team_gid == EMPTY_TEAM && m.user_gid == RTL_USER));
}

#[tokio::test]
async fn latency_is_added_to_every_request() {
    let sim = start(SimConfig {
        latency: LatencyConfig {
            base: Duration::from_millis(300),
            jitter: Duration::from_millis(50),
        },
        ..SimConfig::default()
    })
    .await;
    let api = Api::new(&sim, TokenRole::Admin);
    let started = Instant::now();
    api.get("/users/me").await.expect(200);
    assert!(started.elapsed() >= Duration::from_millis(300));
    sim.set_latency(LatencyConfig::default());
    let started = Instant::now();
    api.get("/users/me").await.expect(200);
    assert!(started.elapsed() < Duration::from_millis(300));
}

/// What a sequential client observes for each of `n` requests.
async fn observe(seed: u64, n: usize) -> Vec<String> {
    let sim = start(SimConfig {
        seed,
        faults: FaultConfig {
            server_error_rate: 0.15,
            connection_reset_rate: 0.1,
            truncated_body_rate: 0.1,
            spurious_429_rate: 0.1,
            ..FaultConfig::default()
        },
        ..SimConfig::default()
    })
    .await;
    let mut seen = Vec::with_capacity(n);
    for _ in 0..n {
        let outcome = match raw_get(&sim, "/users/me").await {
            Err(_) => "reset".to_string(),
            Ok(response) => {
                let status = response.status().as_u16();
                match response.bytes().await {
                    Ok(_) => status.to_string(),
                    Err(_) => "truncated".to_string(),
                }
            }
        };
        seen.push(outcome);
    }
    sim.shutdown().await;
    seen
}

#[tokio::test]
async fn faults_are_deterministic_for_a_seed() {
    let a = observe(11, 60).await;
    let b = observe(11, 60).await;
    let c = observe(12, 60).await;
    assert_eq!(a, b);
    assert_ne!(a, c);
    for kind in ["reset", "truncated", "429", "200"] {
        assert!(a.iter().any(|o| o == kind), "{kind} never seen in {a:?}");
    }
    assert!(a.iter().any(|o| o == "500" || o == "503"));
}

#[tokio::test]
async fn counters_track_routes_statuses_and_unmatched_requests() {
    let sim = quirks().await;
    let api = Api::new(&sim, TokenRole::Admin);
    api.get(&format!("/teams/{ALPHA_TEAM}")).await.expect(200);
    api.get("/teams/1400000000009999").await.expect(404);
    api.get("/no/such/route").await.expect(404);
    let counters = sim.counters();
    assert_eq!(counters.total, 3);
    assert_eq!(
        counters.count_with_status("GET", "/teams/{team_gid}", 200),
        1
    );
    assert_eq!(
        counters.count_with_status("GET", "/teams/{team_gid}", 404),
        1
    );
    assert_eq!(counters.count("GET", asana_sim::UNMATCHED_ROUTE), 1);
    sim.reset_counters();
    assert_eq!(sim.counters().total, 0);
}
