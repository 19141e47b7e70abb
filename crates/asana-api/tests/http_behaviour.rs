//! Wire behaviour against scripted local servers: headers, pagination strictness, retries,
//! Retry-After and the client-wide pause, write verification, error contents.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use asana_api::{ErrorKind, MutationOutcome, Outcome, RetryPolicy, User};
use common::{client, mock, raw, test_config, Raw, Reply};
use futures::StreamExt;
use serde_json::json;

fn page(items: &[&str], next: Option<&str>) -> Reply {
    let data: Vec<_> = items
        .iter()
        .map(|g| json!({"gid": g, "resource_type": "user", "name": format!("user {g}")}))
        .collect();
    let next_page = match next {
        Some(o) => {
            json!({"offset": o, "path": "/api/1.0/api/1.0/broken", "uri": "https://x/broken"})
        }
        None => serde_json::Value::Null,
    };
    Reply::json(200, json!({"data": data, "next_page": next_page}))
}

#[tokio::test]
async fn sends_auth_user_agent_limit_and_opt_fields_and_follows_offset_only() {
    let m = mock(|s, _| match s.query.get("offset").map(String::as_str) {
        None => page(&["1", "2"], Some("tok-A")),
        Some("tok-A") => page(&["3"], None),
        Some(_) => Reply::json(400, json!({"errors":[{"message":"offset: bad"}]})),
    })
    .await;
    let c = client(&m.base_url, "tok-123");
    let users = c
        .users_in_workspace("42")
        .opt_fields(&["name", "email"])
        .collect_all()
        .await
        .unwrap();
    assert_eq!(
        users.iter().map(|u| u.gid.as_str()).collect::<Vec<_>>(),
        ["1", "2", "3"]
    );
    let reqs = m.requests();
    assert_eq!(reqs.len(), 2);
    for r in &reqs {
        assert_eq!(r.method, "GET");
        assert_eq!(r.path, "/api/1.0/users");
        assert_eq!(r.headers["authorization"], "Bearer tok-123");
        assert!(r.headers["user-agent"].starts_with("baton-asana/"));
        assert_eq!(r.query["limit"], "100");
        assert_eq!(r.query["workspace"], "42");
        assert_eq!(r.query["opt_fields"], "name,email");
    }
    assert_eq!(reqs[1].query["offset"], "tok-A");
    let metrics = c.metrics();
    assert_eq!(metrics.requests_for("/users"), 2);
    assert_eq!(metrics.requests_with(Outcome::Status(200)), 2);
}

#[tokio::test]
async fn a_page_without_next_page_key_is_an_error_not_the_end() {
    let m = mock(|s, _| match s.query.get("offset") {
        None => page(&["1"], Some("o1")),
        Some(_) => Reply::json(200, json!({"data": [{"gid": "2"}]})),
    })
    .await;
    let c = client(&m.base_url, "t");
    let items: Vec<_> = c.workspaces().stream().collect().await;
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].as_ref().unwrap().gid, "1");
    let err = items[1].as_ref().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MalformedResponse);
    assert!(err.to_string().contains("next_page"), "{err}");
    assert_eq!(err.path(), Some("/workspaces"));
    // Not retried: a protocol violation is final.
    assert_eq!(m.requests().len(), 2);
}

#[tokio::test]
async fn expired_offset_restarts_the_listing_without_duplicates() {
    // First pass: page1 (1,2) -> page2 fails with 400 (expired). Restart: page1 (1,2), page2 (3,4),
    // page3 (5) end. Items must be 1..5 exactly once.
    let expired_once = Arc::new(AtomicBool::new(false));
    let e2 = Arc::clone(&expired_once);
    let m = mock(
        move |s, _| match s.query.get("offset").map(String::as_str) {
            None => page(&["1", "2"], Some("p2")),
            Some("p2") if !e2.swap(true, Ordering::SeqCst) => Reply::json(
                400,
                json!({"errors":[{"message":"offset: Your pagination token has expired."}]}),
            ),
            Some("p2") => page(&["2", "3", "4"], Some("p3")),
            Some("p3") => page(&["5"], None),
            Some(_) => Reply::json(400, json!({"errors":[{"message":"offset: invalid"}]})),
        },
    )
    .await;
    let c = client(&m.base_url, "t");
    let got = c.workspaces().collect_all().await.unwrap();
    assert_eq!(
        got.iter().map(|w| w.gid.as_str()).collect::<Vec<_>>(),
        ["1", "2", "3", "4", "5"]
    );
    assert_eq!(c.metrics().list_restarts, 1);
    assert_eq!(m.requests().len(), 5);

    // page() reports the expiry as its own kind and does not restart.
    let e = c.workspaces().page(Some("nope")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OffsetExpired);
    assert_eq!(e.asana_message(), Some("offset: invalid"));
}

#[tokio::test]
async fn restarts_are_bounded() {
    let m = mock(|s, _| match s.query.get("offset") {
        None => page(&["1"], Some("p2")),
        Some(_) => Reply::json(400, json!({"errors":[{"message":"offset: expired"}]})),
    })
    .await;
    let mut cfg = test_config(&m.base_url, "t");
    cfg.max_list_restarts = 2;
    let c = asana_api::AsanaClient::new(cfg).unwrap();
    let got: Vec<_> = c.workspaces().stream().collect().await;
    assert_eq!(got.len(), 2, "one item, then the error");
    let e = got[1].as_ref().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OffsetExpired);
    assert_eq!(m.requests().len(), 6, "3 passes of 2 requests");
    assert_eq!(c.metrics().list_restarts, 2);
}

#[tokio::test]
async fn a_400_without_offset_is_a_bad_request_and_not_retried() {
    let m = mock(|_, _| {
        Reply::json(
            400,
            json!({"errors":[{"message":"workspace: Missing input"}]}),
        )
    })
    .await;
    let c = client(&m.base_url, "t");
    let e = c.workspaces().collect_all().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BadRequest);
    assert_eq!(e.asana_message(), Some("workspace: Missing input"));
    assert_eq!(m.requests().len(), 1);
}

#[tokio::test]
async fn server_errors_on_reads_are_retried_with_backoff_then_reported() {
    let m = mock(|_, i| match i {
        0 => Reply::json(503, json!({"errors":[{"message":"Service Unavailable"}]})),
        1 => Reply::json(
            500,
            json!({"errors":[{"message":"Server Error","phrase":"6 sad squid"}]}),
        ),
        _ => Reply::json(200, json!({"data": {"gid": "7", "name": "Me"}})),
    })
    .await;
    let c = client(&m.base_url, "t");
    let me: User = c.me().await.unwrap();
    assert_eq!(me.gid, "7");
    let s = c.metrics();
    assert_eq!(s.retries, 2);
    assert_eq!(s.requests_for("/users/{user_gid}"), 3);

    let m = mock(|_, _| Reply::json(502, json!({"errors":[{"message":"Bad Gateway"}]}))).await;
    let c = client(&m.base_url, "t");
    let e = c.workspace("1").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Server);
    assert_eq!(e.status(), Some(502));
    assert_eq!(e.attempts(), 4);
    assert_eq!(m.requests().len(), 4);
    assert!(e.to_string().contains("GET /workspaces/1"), "{e}");
}

#[tokio::test]
async fn client_errors_are_typed_and_final() {
    for (status, kind) in [
        (401, ErrorKind::Unauthorized),
        (402, ErrorKind::PaymentRequired),
        (403, ErrorKind::Forbidden),
        (404, ErrorKind::NotFound),
    ] {
        let m = mock(move |_, _| {
            Reply::json(
                status,
                json!({"errors":[{"message": format!("msg {status}")}]}),
            )
        })
        .await;
        let c = client(&m.base_url, "t");
        let e = c.team("5").await.unwrap_err();
        assert_eq!(e.kind(), kind);
        assert_eq!(e.status(), Some(status));
        assert_eq!(e.asana_message(), Some(format!("msg {status}").as_str()));
        assert_eq!(e.method(), Some("GET"));
        assert_eq!(e.path(), Some("/teams/5"));
        assert_eq!(m.requests().len(), 1, "{status} must not be retried");
    }
}

#[tokio::test]
async fn retry_after_is_obeyed_and_pauses_the_whole_client() {
    // Request 0 gets 429 Retry-After: 1. Every other request succeeds. A second request started
    // while the client is paused must not reach the server before the pause ends.
    let m = mock(|_, i| {
        if i == 0 {
            Reply::json(
                429,
                json!({"errors":[{"message":"You've made too many requests"}]}),
            )
            .header("retry-after", "1")
        } else {
            Reply::json(200, json!({"data": {"gid": "1"}}))
        }
    })
    .await;
    let c = client(&m.base_url, "t");
    let t0 = tokio::time::Instant::now();
    let c1 = c.clone();
    let first = tokio::spawn(async move { c1.workspace("1").await });
    // Let the 429 arrive and the pause begin.
    while m.requests().is_empty() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let second = c.team("2").await;
    assert!(second.is_ok());
    first.await.unwrap().unwrap();
    let reqs = m.requests();
    assert_eq!(reqs.len(), 3);
    for r in &reqs[1..] {
        let after = r.at - t0;
        assert!(
            after >= Duration::from_millis(950),
            "request at {after:?} during the pause"
        );
    }
    let s = c.metrics();
    assert_eq!(s.rate_limited, 1);
    assert_eq!(s.retries, 1);
    assert!(
        s.limiter_wait >= Duration::from_millis(800),
        "{:?}",
        s.limiter_wait
    );
}

#[tokio::test]
async fn rate_limit_gives_up_when_retry_after_exceeds_the_budget() {
    let m = mock(|_, _| {
        Reply::json(429, json!({"errors":[{"message":"too many"}]})).header("retry-after", "600")
    })
    .await;
    let c = client(&m.base_url, "t");
    let e = c.me().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RateLimited);
    assert_eq!(e.status(), Some(429));
    assert_eq!(m.requests().len(), 1);
}

#[tokio::test]
async fn truncated_bodies_and_resets_are_retried_on_reads() {
    let (base, count) = raw(|n| match n {
        0 => Raw::Truncate,
        1 => Raw::Reset,
        _ => Raw::Ok(r#"{"data":[{"gid":"1"},{"gid":"2"}],"next_page":null}"#),
    })
    .await;
    let c = client(&base, "t");
    let got = c.workspaces().collect_all().await.unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(*count.lock().unwrap(), 3);
    let s = c.metrics();
    assert_eq!(s.retries, 2);
    assert_eq!(s.requests_with(Outcome::Transport), 2);

    // Always truncated: fails (never an empty or partial success).
    let (base, _) = raw(|_| Raw::Truncate).await;
    let c = client(&base, "t");
    let e = c.workspaces().collect_all().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
    assert_eq!(e.attempts(), 4);
}

#[tokio::test]
async fn cut_json_with_matching_length_is_retried_then_malformed() {
    let (base, count) = raw(|_| Raw::Ok(r#"{"data":[{"gid":"1"},{"gi"#)).await;
    let c = client(&base, "t");
    let e = c.workspaces().collect_all().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::MalformedResponse);
    assert_eq!(*count.lock().unwrap(), 4);
}

#[tokio::test]
async fn connection_refused_is_a_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let c = client(&format!("http://{addr}/api/1.0"), "t");
    let e = c.me().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport);
    assert_eq!(e.path(), Some("/users/me"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_timeout_is_typed() {
    let m = mock(|_, _| {
        std::thread::sleep(Duration::from_millis(400));
        Reply::json(200, json!({"data": {"gid": "1"}}))
    })
    .await;
    let mut cfg = test_config(&m.base_url, "t");
    cfg.request_timeout = Duration::from_millis(100);
    cfg.retry = RetryPolicy {
        max_attempts: 2,
        ..cfg.retry
    };
    let c = asana_api::AsanaClient::new(cfg).unwrap();
    let e = c.me().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);
    assert_eq!(e.attempts(), 2);
}

/// A scripted workspace: `member` tells whether user "u1" is an active member; addUser may fail
/// with 500 after (or before) applying.
fn workspace_mock(
    member: Arc<AtomicBool>,
    add_calls: Arc<AtomicUsize>,
    fail_first_add: bool,
    apply_on_failure: bool,
) -> impl Fn(&common::Seen, usize) -> Reply + Send + Sync + 'static {
    move |s, _| {
        if s.method == "GET" && s.path == "/api/1.0/workspaces/w1/workspace_memberships" {
            assert_eq!(
                s.query.get("user").map(String::as_str),
                Some("u1@example.com")
            );
            let data = if member.load(Ordering::SeqCst) {
                json!([{"gid":"m2","user":{"gid":"u1","name":"U One","email":"u1@example.com"},
                        "is_active":true,"created_at":"2024-01-01T00:00:00.000Z"},
                       {"gid":"m1","user":{"gid":"u1"},"is_active":false,"created_at":"2020-01-01T00:00:00.000Z"}])
            } else {
                json!([{"gid":"m1","user":{"gid":"u1"},"is_active":false,"created_at":"2020-01-01T00:00:00.000Z"}])
            };
            return Reply::json(200, json!({"data": data, "next_page": null}));
        }
        if s.method == "POST" && s.path == "/api/1.0/workspaces/w1/addUser" {
            let body: serde_json::Value = serde_json::from_str(&s.body).unwrap();
            assert_eq!(body, json!({"data": {"user": "u1@example.com"}}));
            let n = add_calls.fetch_add(1, Ordering::SeqCst);
            if n == 0 && fail_first_add {
                if apply_on_failure {
                    member.store(true, Ordering::SeqCst);
                }
                return Reply::json(
                    500,
                    json!({"errors":[{"message":"Server Error","phrase":"x"}]}),
                );
            }
            member.store(true, Ordering::SeqCst);
            return Reply::json(
                200,
                json!({"data": {"gid":"u1","name":"U One","email":"u1@example.com"}}),
            );
        }
        if s.method == "POST" && s.path == "/api/1.0/workspaces/w1/removeUser" {
            member.store(false, Ordering::SeqCst);
            return Reply::json(200, json!({"data": {}}));
        }
        Reply::json(404, json!({"errors":[{"message":"Not found"}]}))
    }
}

#[tokio::test]
async fn add_user_reports_already_member_without_writing() {
    let member = Arc::new(AtomicBool::new(true));
    let adds = Arc::new(AtomicUsize::new(0));
    let m = mock(workspace_mock(
        Arc::clone(&member),
        Arc::clone(&adds),
        false,
        false,
    ))
    .await;
    let c = client(&m.base_url, "t");
    let out = c
        .add_user_to_workspace("w1", "u1@example.com")
        .await
        .unwrap();
    match out {
        MutationOutcome::AlreadyInState(Some(u)) => assert_eq!(u.gid, "u1"),
        other => panic!("{other:?}"),
    }
    assert_eq!(adds.load(Ordering::SeqCst), 0);

    // Remove, then remove again: the second is AlreadyInState.
    assert_eq!(
        c.remove_user_from_workspace("w1", "u1@example.com")
            .await
            .unwrap(),
        MutationOutcome::Applied(())
    );
    assert_eq!(
        c.remove_user_from_workspace("w1", "u1@example.com")
            .await
            .unwrap(),
        MutationOutcome::AlreadyInState(None)
    );
    assert_eq!(m.count("POST", "/api/1.0/workspaces/w1/removeUser"), 1);
}

#[tokio::test]
async fn a_failed_write_that_was_applied_is_confirmed_not_resent() {
    let member = Arc::new(AtomicBool::new(false));
    let adds = Arc::new(AtomicUsize::new(0));
    let m = mock(workspace_mock(
        Arc::clone(&member),
        Arc::clone(&adds),
        true,
        true,
    ))
    .await;
    let c = client(&m.base_url, "t");
    let out = c
        .add_user_to_workspace("w1", "u1@example.com")
        .await
        .unwrap();
    match out {
        MutationOutcome::Applied(u) => assert_eq!(u.email.as_deref(), Some("u1@example.com")),
        other => panic!("{other:?}"),
    }
    assert_eq!(adds.load(Ordering::SeqCst), 1, "the write was sent once");
    assert_eq!(c.metrics().write_verifications, 1);
}

#[tokio::test]
async fn a_failed_write_that_was_not_applied_is_sent_again_after_checking() {
    let member = Arc::new(AtomicBool::new(false));
    let adds = Arc::new(AtomicUsize::new(0));
    let m = mock(workspace_mock(
        Arc::clone(&member),
        Arc::clone(&adds),
        true,
        false,
    ))
    .await;
    let c = client(&m.base_url, "t");
    let out = c
        .add_user_to_workspace("w1", "u1@example.com")
        .await
        .unwrap();
    assert!(out.was_applied());
    assert_eq!(adds.load(Ordering::SeqCst), 2);
    // Order: pre-check GET, POST (500), verify GET, POST (200).
    let kinds: Vec<_> = m.requests().iter().map(|r| r.method.clone()).collect();
    assert_eq!(kinds, ["GET", "POST", "GET", "POST"]);
}

#[tokio::test]
async fn forbidden_writes_are_reported_as_forbidden() {
    let m = mock(|s, _| {
        if s.method == "GET" {
            Reply::json(200, json!({"data": [{"gid":"m","user":{"gid":"u1"},"is_active":true}], "next_page": null}))
        } else {
            Reply::json(403, json!({"errors":[{"message":"You must be an admin to remove users"}]}))
        }
    })
    .await;
    let c = client(&m.base_url, "t");
    let e = c.remove_user_from_workspace("w1", "u1").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Forbidden);
    assert_eq!(e.method(), Some("POST"));
    assert_eq!(e.path(), Some("/workspaces/w1/removeUser"));
    assert_eq!(
        e.asana_message(),
        Some("You must be an admin to remove users")
    );
    assert_eq!(m.count("POST", "/api/1.0/workspaces/w1/removeUser"), 1);
}

#[tokio::test]
async fn team_add_looks_up_the_organization_and_checks_membership() {
    let added = Arc::new(AtomicBool::new(false));
    let a2 = Arc::clone(&added);
    let m = mock(move |s, _| match (s.method.as_str(), s.path.as_str()) {
        ("GET", "/api/1.0/teams/t1") => {
            Reply::json(200, json!({"data": {"gid":"t1","organization":{"gid":"org"}}}))
        }
        ("GET", "/api/1.0/users/u1/team_memberships") => {
            assert_eq!(s.query["workspace"], "org");
            let mut data = vec![json!({"gid":"tm9","team":{"gid":"t9"},"user":{"gid":"u1"}})];
            if a2.load(Ordering::SeqCst) {
                data.push(json!({"gid":"tm1","team":{"gid":"t1"},"user":{"gid":"u1"},"is_admin":false}));
            }
            Reply::json(200, json!({"data": data, "next_page": null}))
        }
        ("POST", "/api/1.0/teams/t1/addUser") => {
            a2.store(true, Ordering::SeqCst);
            Reply::json(200, json!({"data": {"gid":"tm1","team":{"gid":"t1"},"user":{"gid":"u1"},"is_admin":false,"is_guest":false,"is_limited_access":false}}))
        }
        ("POST", "/api/1.0/teams/t1/removeUser") => {
            a2.store(false, Ordering::SeqCst);
            Reply::json(200, json!({"data": {}}))
        }
        _ => Reply::json(404, json!({"errors":[{"message":"Not found"}]})),
    })
    .await;
    let c = client(&m.base_url, "t");
    let out = c.add_user_to_team("t1", "u1").await.unwrap();
    assert!(matches!(&out, MutationOutcome::Applied(tm) if tm.gid == "tm1"));
    let out = c.add_user_to_team("t1", "u1").await.unwrap();
    assert!(matches!(&out, MutationOutcome::AlreadyInState(Some(tm)) if tm.gid == "tm1"));
    assert_eq!(
        c.remove_user_from_team("t1", "u1").await.unwrap(),
        MutationOutcome::Applied(())
    );
    assert_eq!(
        c.remove_user_from_team_in("t1", "org", "u1").await.unwrap(),
        MutationOutcome::AlreadyInState(None)
    );
    assert_eq!(m.count("POST", "/api/1.0/teams/t1/addUser"), 1);
    assert_eq!(m.count("POST", "/api/1.0/teams/t1/removeUser"), 1);
}

#[tokio::test]
async fn client_side_budget_paces_requests() {
    // 120 rpm → burst 1, then one every 60/119 s ≈ 0.504 s. 5 requests ≈ 2.0 s.
    let m = mock(|_, _| Reply::json(200, json!({"data": {"gid": "1"}}))).await;
    let mut cfg = test_config(&m.base_url, "t");
    cfg.requests_per_minute = 120;
    let c = asana_api::AsanaClient::new(cfg).unwrap();
    let t0 = tokio::time::Instant::now();
    let futs: Vec<_> = (0..5).map(|_| c.me()).collect();
    for r in futures::future::join_all(futs).await {
        r.unwrap();
    }
    let took = t0.elapsed();
    assert!(took >= Duration::from_millis(1900), "{took:?}");
    assert!(took <= Duration::from_millis(2600), "{took:?}");
}

#[test]
fn plain_http_to_a_remote_host_is_refused() {
    let e =
        asana_api::AsanaClient::new(test_config("http://app.asana.com/api/1.0", "t")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig);
}
