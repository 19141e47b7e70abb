use std::time::Duration;

use asana_sim::quirks::*;
use asana_sim::{LatencyConfig, RateLimitConfig, SimConfig, TokenRole};

use crate::common::{start, Answer, Api};

fn limits(rpm: u32, reads: usize, writes: usize) -> RateLimitConfig {
    RateLimitConfig {
        requests_per_minute: rpm,
        max_in_flight_reads: reads,
        max_in_flight_writes: writes,
    }
}

fn retry_after(answer: &Answer) -> u64 {
    answer
        .headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("integer Retry-After header")
}

#[tokio::test]
async fn sliding_window_answers_429_with_retry_after_per_token() {
    let sim = start(SimConfig {
        rate_limit: limits(5, 50, 15),
        ..SimConfig::default()
    })
    .await;
    let admin = Api::new(&sim, TokenRole::Admin);
    for _ in 0..5 {
        admin.get("/users/me").await.expect(200);
    }
    let limited = admin.get("/users/me").await.expect(429);
    let wait = retry_after(&limited);
    assert!((55..=60).contains(&wait), "Retry-After {wait}");
    assert_eq!(
        limited.error_message(),
        "You've made too many requests and hit a rate limit. Please retry after the given amount of time."
    );
    // Other tokens have their own budget.
    Api::new(&sim, TokenRole::Member)
        .get("/users/me")
        .await
        .expect(200);
    let counters = sim.counters();
    assert_eq!(counters.rate_limited, 1);
    assert_eq!(
        counters.count_with_status("GET", "/users/{user_gid}", 429),
        1
    );
}

#[tokio::test]
async fn rejected_requests_still_count_against_the_window() {
    let sim = start(SimConfig {
        rate_limit: limits(3, 50, 15),
        ..SimConfig::default()
    })
    .await;
    let api = Api::new(&sim, TokenRole::Admin);
    for _ in 0..3 {
        api.get("/workspaces").await.expect(200);
    }
    api.get("/workspaces").await.expect(429);
    // Raise the limit to 5: the window already holds 4 arrivals (3 served + 1 rejected), so one
    // more fits and the next is rejected. Were rejections free, two more would fit.
    sim.set_rate_limit(limits(5, 50, 15));
    api.get("/workspaces").await.expect(200);
    api.get("/workspaces").await.expect(429);
}

#[tokio::test]
async fn unlimited_rpm_never_limits() {
    let sim = start(SimConfig {
        rate_limit: limits(0, 50, 15),
        ..SimConfig::default()
    })
    .await;
    let api = Api::new(&sim, TokenRole::Admin);
    for _ in 0..200 {
        api.get("/users/me").await.expect(200);
    }
    assert_eq!(sim.counters().rate_limited, 0);
}

#[tokio::test]
async fn in_flight_read_cap_rejects_the_excess_with_retry_after_1() {
    let sim = start(SimConfig {
        rate_limit: limits(0, 2, 15),
        latency: LatencyConfig {
            base: Duration::from_millis(800),
            jitter: Duration::ZERO,
        },
        ..SimConfig::default()
    })
    .await;
    let api = Api::new(&sim, TokenRole::Admin);
    let calls = (0..5).map(|_| {
        let api = api.clone();
        async move { api.get("/users/me").await }
    });
    let answers = futures::future::join_all(calls).await;
    let ok = answers.iter().filter(|a| a.status == 200).count();
    let limited: Vec<&Answer> = answers.iter().filter(|a| a.status == 429).collect();
    assert_eq!(ok, 2);
    assert_eq!(limited.len(), 3);
    assert!(limited.iter().all(|a| retry_after(a) == 1));
    let counters = sim.counters();
    // Two requests held their slots while the others arrived one at a time and were turned away
    // at once: at most three were inside the server together.
    assert_eq!(counters.peak_in_flight_reads, 3);
    assert_eq!(counters.rate_limited, 3);
    // Other tokens are not affected by this token's in-flight requests.
    let other = Api::new(&sim, TokenRole::Member);
    let (a, b) = tokio::join!(api.get("/users/me"), other.get("/users/me"));
    assert_eq!((a.status.as_u16(), b.status.as_u16()), (200, 200));
}

#[tokio::test]
async fn writes_have_their_own_in_flight_cap() {
    let sim = start(SimConfig {
        rate_limit: limits(0, 50, 1),
        latency: LatencyConfig {
            base: Duration::from_millis(800),
            jitter: Duration::ZERO,
        },
        ..SimConfig::default()
    })
    .await;
    let api = Api::new(&sim, TokenRole::Admin);
    let write = |user: String| {
        let api = api.clone();
        async move {
            api.post_user(&format!("/teams/{ALPHA_TEAM}/addUser"), &user)
                .await
        }
    };
    let (w1, w2, read) = tokio::join!(
        write(filler_user_gid(200)),
        write(filler_user_gid(201)),
        api.get("/users/me")
    );
    let mut write_statuses = vec![w1.status.as_u16(), w2.status.as_u16()];
    write_statuses.sort_unstable();
    assert_eq!(write_statuses, vec![200, 429]);
    assert_eq!(read.status, 200, "reads are capped separately");
    assert_eq!(sim.counters().peak_in_flight_writes, 2);
}
