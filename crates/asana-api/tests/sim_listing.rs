//! Acceptance against asana-sim over loopback HTTP: every list endpoint equals the simulator's
//! ground truth — plain, with 5% mixed faults, with offsets expiring mid-listing — and a listing
//! whose `next_page` key is dropped fails loudly.

use std::time::Duration;

use asana_api::ErrorKind;
use asana_sim::{FaultConfig, RateLimitConfig, Scenario, SimConfig, SimServer, TokenRole};
#[path = "common/sim.rs"]
mod sim_support;
use futures::StreamExt;
use sim_support::{client_for, compare_everything, generated, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_list_equals_ground_truth_for_every_token() {
    let sim = start(generated(1200, 40, 120, 7), RateLimitConfig::unlimited()).await;
    for role in TokenRole::ALL {
        let truth = sim.visible_tenant(role);
        let c = client_for(&sim, role, 0);
        let n = compare_everything(&c, &truth, role)
            .await
            .unwrap_or_else(|e| panic!("{role}: {e}"));
        if role == TokenRole::ServiceAccount {
            assert!(n.workspace_memberships > 1200, "{n:?}");
            assert!(n.team_memberships > 40 * 100, "{n:?}");
            assert!(n.multi_page_lists > 10, "{n:?}");
        }
        let m = c.metrics();
        assert_eq!(m.retries, 0);
        assert_eq!(m.list_restarts, 0);
    }
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_quirks_tenant_lists_exactly() {
    let sim = start(Scenario::Quirks, RateLimitConfig::unlimited()).await;
    for role in TokenRole::ALL {
        let truth = sim.visible_tenant(role);
        let c = client_for(&sim, role, 0);
        compare_everything(&c, &truth, role)
            .await
            .unwrap_or_else(|e| panic!("{role}: {e}"));
    }
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_percent_mixed_faults_do_not_change_the_results() {
    let sim = start(generated(1200, 40, 120, 11), RateLimitConfig::default()).await;
    sim.set_faults(FaultConfig {
        server_error_rate: 0.02,
        connection_reset_rate: 0.01,
        truncated_body_rate: 0.01,
        spurious_429_rate: 0.01,
        ..FaultConfig::default()
    });
    for role in [TokenRole::ServiceAccount, TokenRole::Admin] {
        let truth = sim.visible_tenant(role);
        let c = client_for(&sim, role, 1500);
        compare_everything(&c, &truth, role)
            .await
            .unwrap_or_else(|e| panic!("{role}: {e}"));
        let m = c.metrics();
        assert!(
            m.retries > 0,
            "faults were injected, so something was retried: {m:?}"
        );
    }
    let counters = sim.counters();
    assert!(counters.faults.server_errors > 0, "{:?}", counters.faults);
    assert!(
        counters.faults.connection_resets > 0,
        "{:?}",
        counters.faults
    );
    assert!(
        counters.faults.truncated_bodies > 0,
        "{:?}",
        counters.faults
    );
    assert!(counters.faults.spurious_429s > 0, "{:?}", counters.faults);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_next_page_key_fails_the_listing_loudly() {
    let sim = start(generated(600, 5, 20, 3), RateLimitConfig::unlimited()).await;
    let truth = sim.visible_tenant(TokenRole::ServiceAccount);
    let org = truth
        .workspaces
        .iter()
        .find(|w| w.is_organization)
        .expect("an organization")
        .gid
        .clone();
    sim.set_faults(FaultConfig {
        drop_next_page_key: true,
        ..FaultConfig::default()
    });
    let c = client_for(&sim, TokenRole::ServiceAccount, 0);
    let results: Vec<_> = c.workspace_memberships(&org).stream().collect().await;
    let (ok, err): (Vec<_>, Vec<_>) = results.into_iter().partition(Result::is_ok);
    // The very first page is a non-final page without the key: nothing is yielded, one error.
    assert!(
        ok.is_empty(),
        "{} items yielded from a malformed page",
        ok.len()
    );
    assert_eq!(err.len(), 1);
    let e = err
        .into_iter()
        .next()
        .and_then(Result::err)
        .expect("an error");
    assert_eq!(e.kind(), ErrorKind::MalformedResponse);
    let text = e.to_string();
    assert!(text.contains("next_page"), "{text}");
    assert!(
        text.contains(&format!("/workspaces/{org}/workspace_memberships")),
        "{text}"
    );
    // collect_all reports the same instead of a short list.
    let e = c
        .workspace_memberships(&org)
        .collect_all()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::MalformedResponse);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offsets_expiring_between_pages_still_list_exactly() {
    let sim = start(generated(1500, 5, 20, 5), RateLimitConfig::unlimited()).await;
    let truth = sim.visible_tenant(TokenRole::ServiceAccount);
    let org = truth
        .workspaces
        .iter()
        .find(|w| w.is_organization)
        .expect("an organization")
        .gid
        .clone();
    let mut want: Vec<String> = truth
        .workspace_memberships
        .iter()
        .filter(|m| m.workspace_gid == org)
        .map(|m| m.gid.clone())
        .collect();
    want.sort();
    assert!(want.len() > 700, "{}", want.len());
    let c = client_for(&sim, TokenRole::ServiceAccount, 0);
    let mut stream = Box::pin(c.workspace_memberships(&org).stream());
    let mut got = Vec::new();
    while let Some(item) = stream.next().await {
        got.push(item.expect("listing").gid);
        // Expire every offset twice mid-listing (after pages 3 and 6).
        if got.len() == 250 || got.len() == 550 {
            sim.expire_all_offsets();
        }
    }
    assert_eq!(c.metrics().list_restarts, 2);
    let n = got.len();
    got.sort();
    got.dedup();
    assert_eq!(got.len(), n, "no duplicates after restarts");
    assert_eq!(got, want);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_offset_ttl_with_a_slow_consumer_still_lists_exactly() {
    let sim = SimServer::start(SimConfig {
        scenario: generated(900, 5, 20, 9),
        rate_limit: RateLimitConfig::unlimited(),
        offset_ttl: Duration::from_millis(300),
        ..SimConfig::default()
    })
    .await
    .expect("sim");
    let truth = sim.visible_tenant(TokenRole::Admin);
    let org = truth
        .workspaces
        .iter()
        .find(|w| w.is_organization)
        .expect("an organization")
        .gid
        .clone();
    let mut want: Vec<String> = truth
        .workspace_memberships
        .iter()
        .filter(|m| m.workspace_gid == org)
        .map(|m| m.gid.clone())
        .collect();
    want.sort();
    let c = client_for(&sim, TokenRole::Admin, 0);
    let mut stream = Box::pin(c.workspace_memberships(&org).stream());
    let mut got = Vec::new();
    while let Some(item) = stream.next().await {
        got.push(item.expect("listing").gid);
        // The consumer stalls once, mid-list, longer than the offset lives.
        if got.len() == 350 {
            tokio::time::sleep(Duration::from_millis(600)).await;
        }
    }
    assert_eq!(c.metrics().list_restarts, 1);
    got.sort();
    assert_eq!(got, want);

    // Offsets that expire on every page exhaust the bounded restarts and fail, never end early.
    let mut stream = Box::pin(c.workspace_memberships(&org).stream());
    let mut seen = 0usize;
    let mut failure = None;
    while let Some(item) = stream.next().await {
        match item {
            Ok(_) => {
                seen += 1;
                if seen % 100 == 0 {
                    tokio::time::sleep(Duration::from_millis(400)).await;
                }
            }
            Err(e) => failure = Some(e),
        }
    }
    let e = failure.expect("the listing must fail");
    assert_eq!(e.kind(), ErrorKind::OffsetExpired);
    assert!(seen < want.len());
    sim.shutdown().await;
}
