//! The token never appears in a log line (trace level, all targets, `log` records included), an
//! error string, a `Debug` rendering or a panic message — on success, 401, 403, 404, 429, 5xx and
//! transport failures.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use asana_api::{AsanaClient, ClientConfig, Error};
use common::{mock, raw, test_config, Raw, Reply};
use serde_json::json;

const TOKEN: &str = "2/1209876543210/1209999999999:zq7SECRETtokenVALUE9f3e";

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture() -> &'static Capture {
    static CAP: OnceLock<Capture> = OnceLock::new();
    CAP.get_or_init(|| {
        let cap = Capture::default();
        let writer = cap.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .try_init()
            .expect("install the capturing subscriber");
        cap
    })
}

fn assert_clean(what: &str, text: &str) {
    assert!(!text.contains(TOKEN), "{what} leaks the token: {text}");
    // Parts of it are just as bad.
    assert!(
        !text.contains("zq7SECRETtokenVALUE9f3e"),
        "{what} leaks the token: {text}"
    );
}

fn check_error(e: &Error) {
    assert_clean("error Display", &e.to_string());
    assert_clean("error Debug", &format!("{e:?}"));
    // What a panic on `unwrap()` would print.
    let r: Result<(), Error> = std::hint::black_box(Err(e.clone()));
    let payload = std::panic::catch_unwind(|| r.unwrap()).unwrap_err();
    let msg = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default();
    assert!(msg.contains("called `Result::unwrap()`"), "{msg}");
    assert_clean("panic message", &msg);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_appears_nowhere() {
    let cap = capture();
    let m = mock(|s, i| match (s.path.as_str(), i) {
        ("/api/1.0/users/me", _) => Reply::json(200, json!({"data":{"gid":"1","name":"Me"}})),
        ("/api/1.0/teams/unauth", _) => {
            Reply::json(401, json!({"errors":[{"message":"Not Authorized"}]}))
        }
        ("/api/1.0/teams/forbidden", _) => {
            Reply::json(403, json!({"errors":[{"message":"Forbidden"}]}))
        }
        ("/api/1.0/teams/rl", _) => Reply::json(429, json!({"errors":[{"message":"too many"}]}))
            .header("retry-after", "3600"),
        ("/api/1.0/teams/boom", _) => Reply::json(
            500,
            json!({"errors":[{"message":"Server Error","phrase":"a b c"}]}),
        ),
        _ => Reply::json(404, json!({"errors":[{"message":"Not Found"}]})),
    })
    .await;
    let c = AsanaClient::new(test_config(&m.base_url, TOKEN)).unwrap();
    assert_clean("client Debug", &format!("{c:?}"));
    assert_clean(
        "config Debug",
        &format!("{:?}", ClientConfig::with_token(TOKEN)),
    );

    c.me().await.unwrap();
    for team in ["unauth", "forbidden", "missing", "rl", "boom"] {
        let e = c.team(team).await.unwrap_err();
        check_error(&e);
    }
    // Writes too.
    let e = c
        .add_user_to_workspace("w", "x@example.com")
        .await
        .unwrap_err();
    check_error(&e);

    // Transport failures: reset, truncated body, refused connection.
    let (base, _) = raw(|n| {
        if n % 2 == 0 {
            Raw::Reset
        } else {
            Raw::Truncate
        }
    })
    .await;
    let c2 = AsanaClient::new(test_config(&base, TOKEN)).unwrap();
    check_error(&c2.me().await.unwrap_err());
    check_error(&c2.workspaces().collect_all().await.unwrap_err());
    let refused = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let c3 = AsanaClient::new(test_config(&format!("http://{refused}/api/1.0"), TOKEN)).unwrap();
    check_error(&c3.me().await.unwrap_err());

    // A panic inside a task with the error in its message.
    let c4 = c.clone();
    let join = tokio::spawn(async move {
        let e = c4.team("unauth").await.unwrap_err();
        panic!("sync failed: {e} / {e:?}");
    })
    .await
    .unwrap_err();
    let payload = join.into_panic();
    let msg = payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(msg.contains("sync failed"), "{msg}");
    assert_clean("task panic", &msg);

    let logs = String::from_utf8_lossy(&cap.0.lock().unwrap()).into_owned();
    // The capture works and saw the requests at trace level...
    assert!(logs.contains("asana request"), "no trace output captured");
    assert!(logs.contains("/api/1.0/teams/forbidden"), "{logs}");
    assert!(logs.contains("TRACE"), "{logs}");
    // ...and never the token.
    assert_clean("logs", &logs);
    // The token only ever left the process in the Authorization header.
    assert!(m
        .requests()
        .iter()
        .all(|r| r.headers["authorization"] == format!("Bearer {TOKEN}")));
}

#[path = "common/sim.rs"]
mod sim_support;

/// The same against the simulator, with its own (seeded) tokens as the secrets to look for, and our
/// distinctive token as an unknown one (401).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_appears_nowhere_against_the_simulator() {
    use asana_api::ErrorKind;
    use asana_sim::{FaultConfig, RateLimitConfig, TokenRole};

    let cap = capture();
    let sim = sim_support::start(
        sim_support::generated(300, 5, 20, 77),
        RateLimitConfig::unlimited(),
    )
    .await;
    let secrets: Vec<String> = TokenRole::ALL.iter().map(|r| sim.token(*r)).collect();
    let clean = |what: &str, text: &str| {
        assert_clean(what, text);
        for s in &secrets {
            assert!(
                !text.contains(s.as_str()),
                "{what} leaks a simulator token: {text}"
            );
        }
    };
    let check = |e: &Error| {
        check_error(e);
        clean("error", &format!("{e} {e:?}"));
    };
    let truth = sim.visible_tenant(TokenRole::Admin);
    let org = truth
        .workspaces
        .iter()
        .find(|w| w.is_organization)
        .expect("org")
        .gid
        .clone();

    // Success.
    let admin = sim_support::client_for(&sim, TokenRole::Admin, 0);
    admin.me().await.unwrap();
    admin
        .workspace_memberships(&org)
        .collect_all()
        .await
        .unwrap();
    // 401 with our distinctive token.
    let mut cfg = sim_support::config_for(&sim, TokenRole::Admin, 0);
    cfg.token = asana_api::SecretString::from(TOKEN.to_owned());
    let unknown = AsanaClient::new(cfg).unwrap();
    let e = unknown.me().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthorized);
    check(&e);
    // 403: a plain member may not remove users.
    let member = sim_support::client_for(&sim, TokenRole::Member, 0);
    let victim = truth.token_owners.admin.clone();
    let e = member
        .remove_user_from_workspace(&org, &victim)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Forbidden);
    check(&e);
    // 404.
    let e = admin.team("1999999999999999").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    check(&e);
    // 5xx after retries, then transport errors after retries.
    sim.set_faults(FaultConfig {
        server_error_rate: 1.0,
        ..FaultConfig::default()
    });
    let e = admin.me().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Server);
    check(&e);
    sim.set_faults(FaultConfig {
        connection_reset_rate: 1.0,
        ..FaultConfig::default()
    });
    let e = admin.workspaces().collect_all().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport);
    check(&e);
    sim.set_faults(FaultConfig {
        truncated_body_rate: 1.0,
        ..FaultConfig::default()
    });
    let e = admin.workspaces().collect_all().await.unwrap_err();
    check(&e);
    sim.set_faults(FaultConfig::default());
    sim.shutdown().await;

    let logs = String::from_utf8_lossy(&cap.0.lock().unwrap()).into_owned();
    assert!(
        logs.contains("workspace_memberships"),
        "trace output of the simulator run captured"
    );
    clean("logs", &logs);
}
