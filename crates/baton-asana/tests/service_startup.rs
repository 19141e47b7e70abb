//! Service mode at start-up and when ConductorOne misbehaves: malformed
//! credentials, an unreachable API, failing GetTask calls, health probes.

mod common;
mod service_support;

use std::time::Duration;

use asana_sim::{SimConfig, TokenRole};
use common::*;
use service_support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const WAIT: Duration = Duration::from_secs(120);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_credentials_fail_at_start_up_without_printing_them() {
    let dir = tempfile::tempdir().unwrap();
    let good = TestClient::new("conn@tenant.conductor.test/pcc");
    let key_part = good.client_secret.rsplit(':').next().unwrap().to_owned();
    let cases = [
        (
            good.client_id.clone(),
            format!("secret-token:conductorone.com:v9:{key_part}"),
            "invalid client secret",
        ),
        (
            good.client_id.clone(),
            format!(
                "secret-token:conductorone.com:v1:{}",
                &key_part[..key_part.len() / 2]
            ),
            "invalid client secret",
        ),
        (
            good.client_id.clone(),
            "only-two:parts".to_owned(),
            "invalid client secret",
        ),
        (
            "conn-without-host".to_owned(),
            good.client_secret.clone(),
            "invalid client id",
        ),
    ];
    for (id, secret, needle) in cases {
        for format in ["console", "json"] {
            let out = run(
                &["--log-format", format],
                dir.path(),
                &[
                    ("BATON_CLIENT_ID", id.as_str()),
                    ("BATON_CLIENT_SECRET", secret.as_str()),
                    ("BATON_TOKEN", "asana-token"),
                ],
            )
            .await;
            assert_eq!(out.code, Some(2), "{id} / {format}: {}", out.all_output());
            let lines: Vec<&str> = out
                .stderr
                .lines()
                .filter(|l| !l.trim().is_empty())
                .collect();
            assert_eq!(lines.len(), 1, "one line: {lines:?}");
            assert!(lines[0].contains(needle), "{}", lines[0]);
            assert!(
                !out.all_output().contains(&secret),
                "the secret was printed"
            );
            if secret.len() > 20 {
                assert!(!out.all_output().contains(&secret[secret.len() - 20..]));
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_conductorone_is_retried_with_backoff() {
    let sim = start_sim(SimConfig::default()).await;
    // A port nothing listens on.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let client = TestClient::new(&format!("conn@127.0.0.1:{port}/pcc"));
    let work = tempfile::tempdir().unwrap();
    let pki = pki();
    let mut cmd = command(&[], work.path());
    cmd.env("BATON_CLIENT_ID", &client.client_id)
        .env("BATON_CLIENT_SECRET", &client.client_secret)
        .env("BATON_TOKEN", sim.token(TokenRole::Admin))
        .env("BATON_ASANA_API_URL", sim.base_url())
        .env("SSL_CERT_FILE", &pki.ca_pem);
    let mut connector = Connector::start(cmd);

    // Attempts at 0, 1, 3, 7 s: wait for the fourth failure.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let records = loop {
        let records = connector.records("cannot say hello to ConductorOne");
        if records.len() >= 4 {
            break records;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "expected four failed attempts:\n{}",
            connector.output()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let waits: Vec<f64> = records
        .iter()
        .map(|r| r["retry_in_s"].as_f64().unwrap())
        .collect();
    assert_eq!(waits[..4], [1.0, 2.0, 4.0, 8.0], "exponential back-off");
    let times: Vec<f64> = records.iter().map(|r| r["ts"].as_f64().unwrap()).collect();
    for (i, pair) in times.windows(2).take(3).enumerate() {
        let gap = pair[1] - pair[0];
        assert!(
            gap >= waits[i] - 0.05 && gap < waits[i] + 1.5,
            "attempt {} came {gap:.2} s after the previous (wanted {} s)",
            i + 2,
            waits[i]
        );
    }
    // Each failure says what went wrong, on one line.
    let error = records[0]["error"].as_str().unwrap();
    assert!(
        error.contains("token endpoint") || error.contains("onnect"),
        "{error}"
    );

    // Still alive, and it stops promptly on SIGTERM even while backing off.
    assert!(
        connector.child.try_wait().unwrap().is_none(),
        "the connector gave up"
    );
    let started = std::time::Instant::now();
    let status = connector.terminate(Duration::from_secs(10)).await;
    assert_eq!(status.code(), Some(0), "{}", connector.output());
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_request_is_retried_and_explained() {
    let sim = start_sim(SimConfig::default()).await;
    // ConductorOne knows another key for this client id.
    let registered = TestClient::new("conn@127.0.0.1/pcc");
    let impostor = TestClient::new("conn@127.0.0.1/pcc");
    let double = C1Double::start(&registered, Script::default()).await;
    let work = tempfile::tempdir().unwrap();
    let mut cmd = command(&[], work.path());
    for (k, v) in service_env(
        &impostor,
        &double,
        &sim.base_url(),
        &sim.token(TokenRole::Admin),
    ) {
        cmd.env(k, v);
    }
    let mut connector = Connector::start(cmd);

    double
        .wait_for("two refused token requests", WAIT, |log| {
            (log.token_rejections.len() >= 2).then_some(())
        })
        .await;
    double.log(|log| {
        assert!(
            log.token_rejections.iter().all(|r| r == "bad signature"),
            "{:?}",
            log.token_rejections
        );
        assert!(log.tokens.is_empty() && log.hellos.is_empty());
    });
    let warnings = connector.records("cannot say hello to ConductorOne");
    let error = warnings[0]["error"].as_str().unwrap();
    assert!(
        error.contains("HTTP 401") && error.contains("bad signature"),
        "{error}"
    );

    let status = connector.terminate(Duration::from_secs(10)).await;
    assert_eq!(status.code(), Some(0), "{}", connector.output());
    assert!(!connector.output().contains(&impostor.client_secret));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_get_task_calls_back_off_quadratically() {
    let sim = start_sim(SimConfig::default()).await;
    let client = TestClient::new("conn@127.0.0.1/pcc");
    let double = C1Double::start(
        &client,
        Script {
            fail_get_tasks: 2,
            next_poll: Duration::from_millis(300),
            ..Script::default()
        },
    )
    .await;
    let work = tempfile::tempdir().unwrap();
    let mut connector = start_service(
        &[],
        work.path(),
        &client,
        &double,
        &sim.base_url(),
        &sim.token(TokenRole::Admin),
    );

    let polls = double
        .wait_for("four GetTask calls", WAIT, |log| {
            (log.get_tasks.len() >= 4)
                .then(|| log.get_tasks.iter().map(|(at, _)| *at).collect::<Vec<_>>())
        })
        .await;
    let gaps: Vec<Duration> = polls.windows(2).map(|p| p[1] - p[0]).collect();
    // Two failures: wait 1 s, then 4 s; then the server's next_poll (300 ms).
    assert!(
        gaps[0] >= Duration::from_millis(950) && gaps[0] < Duration::from_millis(2500),
        "{gaps:?}"
    );
    assert!(
        gaps[1] >= Duration::from_millis(3950) && gaps[1] < Duration::from_millis(5500),
        "{gaps:?}"
    );
    assert!(
        gaps[2] >= Duration::from_millis(250) && gaps[2] < Duration::from_millis(1500),
        "{gaps:?}"
    );
    let warnings = connector.records("cannot get a task from ConductorOne");
    assert_eq!(warnings.len(), 2, "each failure is logged");
    assert!(warnings[0]["error"]
        .as_str()
        .unwrap()
        .contains("scripted outage"));

    let status = connector.terminate(Duration::from_secs(30)).await;
    assert_eq!(status.code(), Some(0), "{}", connector.output());
}

async fn http_get(port: u16, path: &str) -> (u16, serde_json::Value) {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let status: u16 = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {response:?}"));
    let body = response.split("\r\n\r\n").nth(1).unwrap_or_default();
    (
        status,
        serde_json::from_str(body).unwrap_or(serde_json::Value::Null),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_check_serves_kubernetes_probes() {
    let sim = start_sim(SimConfig::default()).await;
    let client = TestClient::new("conn@127.0.0.1/pcc");
    let double = C1Double::start(&client, Script::default()).await;
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let work = tempfile::tempdir().unwrap();
    let port_arg = port.to_string();
    let mut cmd = command(
        &["--health-check", "--health-check-port", &port_arg],
        work.path(),
    );
    for (k, v) in service_env(
        &client,
        &double,
        &sim.base_url(),
        &sim.token(TokenRole::Admin),
    ) {
        cmd.env(k, v);
    }
    let mut connector = Connector::start(cmd);
    double
        .wait_for("the start-up Hello", WAIT, |log| {
            (!log.hellos.is_empty()).then_some(())
        })
        .await;

    let (status, body) = http_get(port, "/live").await;
    assert_eq!((status, body["status"].as_str()), (200, Some("alive")));
    assert!(body["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')));
    let (status, body) = http_get(port, "/ready").await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ready")));
    let (status, body) = http_get(port, "/health").await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("healthy")),
        "{body}"
    );

    let status = connector.terminate(Duration::from_secs(30)).await;
    assert_eq!(status.code(), Some(0), "{}", connector.output());

    // With an Asana token that does not work, /health says so (and why).
    let mut cmd = command(
        &["--health-check", "--health-check-port", &port_arg],
        work.path(),
    );
    for (k, v) in service_env(&client, &double, &sim.base_url(), "not-a-valid-asana-token") {
        cmd.env(k, v);
    }
    let mut connector = Connector::start(cmd);
    double
        .wait_for("a second start-up Hello", WAIT, |log| {
            (log.hellos.len() >= 2).then_some(())
        })
        .await;
    let (status, body) = http_get(port, "/health").await;
    assert_eq!(
        (status, body["status"].as_str()),
        (503, Some("unhealthy")),
        "{body}"
    );
    assert_eq!(body["details"]["error"], "connector validation failed");
    assert!(body["details"]["validation_error"]
        .as_str()
        .is_some_and(|e| !e.is_empty()));
    let (status, _) = http_get(port, "/live").await;
    assert_eq!(status, 200);
    let status = connector.terminate(Duration::from_secs(30)).await;
    assert_eq!(status.code(), Some(0), "{}", connector.output());
}
