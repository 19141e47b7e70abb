//! Service mode end to end: the real binary against a ConductorOne double
//! (TLS with a test CA, EdDSA-verified token exchange, scripted tasks) and
//! asana-sim as the Asana side.

mod common;
mod service_support;

use std::time::{Duration, Instant};

use asana_sim::{quirks, GeneratorConfig, LatencyConfig, Scenario, SimConfig, TokenRole};
use baton_proto::baton_v1::baton_service_finish_task_request::FinalState;
use baton_proto::baton_v1::task::{
    CreateAccountTask, GrantTask, HelloTask, RevokeTask, SyncFullTask, TaskType,
};
use baton_proto::baton_v1::Task;
use baton_proto::unpack_any;
use baton_proto::v2::{
    Capability, GrantManagerServiceGrantResponse, GrantManagerServiceRevokeResponse,
};
use common::*;
use service_support::*;

const WAIT: Duration = Duration::from_secs(120);

fn task(task_type: TaskType) -> Task {
    Task {
        id: task_id(),
        task_type: Some(task_type),
        ..Default::default()
    }
}

fn sync_task() -> Task {
    task(TaskType::SyncFull(SyncFullTask::default()))
}

fn assert_success(finish: &Finish) -> (Option<baton_proto::Any>, Vec<baton_proto::Any>) {
    assert!(finish.request.status.is_none(), "{:?}", finish.request);
    match &finish.request.final_state {
        Some(FinalState::Success(s)) => (s.response.clone(), s.annotations.clone()),
        other => panic!("task {} did not succeed: {other:?}", finish.request.task_id),
    }
}

/// (gRPC code, message, non_retryable) of a failed task.
fn failure_of(finish: &Finish) -> (i32, String, bool) {
    let status = finish
        .request
        .status
        .clone()
        .expect("a failed task has a status");
    match &finish.request.final_state {
        Some(FinalState::Error(e)) => (status.code, status.message, e.non_retryable),
        other => panic!("task {} did not fail: {other:?}", finish.request.task_id),
    }
}

fn team_member_grant_id() -> String {
    format!(
        "team:{}:Team Member:user:{}",
        quirks::ALPHA_TEAM,
        quirks::MEMBER_USER
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_mode_runs_the_scripted_task_queue() {
    let sim = start_sim(SimConfig::default()).await;
    // The audience comes from the client id's host; the connection goes to
    // BATON_C1_API_HOST.
    let client = TestClient::new("baton-asana-test@tenant.conductor.test/pcc");
    let double = C1Double::start(&client, Script::default()).await;
    let work = tempfile::tempdir().unwrap();
    let uploads_dir = tempfile::tempdir().unwrap();
    let asana_token = sim.token(TokenRole::Admin);

    let hello_id = double.push(task(TaskType::Hello(HelloTask::default())));
    let sync1 = double.push(sync_task());

    let mut connector = start_service(
        &["--provisioning"],
        work.path(),
        &client,
        &double,
        &sim.base_url(),
        &asana_token,
    );

    // Start-up Hello, then the hello task answered by a Hello with its id.
    let startup = double
        .wait_for("the start-up Hello", WAIT, |log| {
            log.hellos.first().cloned()
        })
        .await
        .1;
    assert_eq!(startup.task_id, "");
    assert_eq!(startup.host_id, "baton-asana-test-host");
    let build = startup.build_info.clone().unwrap();
    assert_eq!(build.package, "baton-asana");
    assert!(build.lang_version.starts_with("rustc "), "{build:?}");
    assert!(!build.package_version.is_empty());
    let os = startup.os_info.clone().unwrap();
    for value in [
        &os.hostname,
        &os.os,
        &os.platform,
        &os.platform_version,
        &os.platform_family,
        &os.kernel_version,
        &os.kernel_arch,
        &os.virtualization_system,
    ] {
        assert!(!value.is_empty(), "empty OS field in {os:?}");
    }
    let metadata = startup.connector_metadata.clone().unwrap();
    assert_eq!(metadata.display_name, "Asana");
    assert!(!metadata.description.is_empty());
    let caps = metadata.capabilities.unwrap();
    let types: Vec<_> = caps
        .resource_type_capabilities
        .iter()
        .map(|c| c.resource_type.as_ref().unwrap().id.clone())
        .collect();
    assert_eq!(types, ["team", "user", "workspace"]);
    assert_eq!(
        caps.connector_capabilities,
        [Capability::Provision as i32, Capability::Sync as i32]
    );

    let answered = double
        .wait_for("the hello task's Hello", WAIT, |log| {
            log.hellos
                .iter()
                .find(|(_, h)| h.task_id == hello_id)
                .cloned()
        })
        .await
        .1;
    assert_eq!(answered.host_id, "baton-asana-test-host");

    // Sync 1: heartbeat, upload (chunked, checksummed), FinishTask(success).
    let finish1 = double.wait_finish(&sync1, WAIT).await;
    assert_success(&finish1);
    let (upload1, beats1, handed1) = double.log(|log| {
        (
            log.upload_of(&sync1).cloned().expect("sync 1 was uploaded"),
            log.heartbeats_of(&sync1),
            log.handed_out[&sync1],
        )
    });
    assert!(!beats1.is_empty(), "a sync heartbeats");
    assert!(
        beats1[0] < upload1.at,
        "the first heartbeat comes before the upload"
    );
    assert!(
        beats1[0] - handed1 < Duration::from_secs(5),
        "the first heartbeat is sent at once"
    );
    assert!(
        upload1.at <= finish1.at,
        "FinishTask comes after the upload"
    );
    assert!(upload1.well_formed && upload1.sha256_ok, "{upload1:?}");
    assert_eq!(upload1.host_id, "baton-asana-test-host");
    assert!(upload1
        .chunk_sizes
        .iter()
        .all(|s| *s > 0 && *s <= UPLOAD_CHUNK_LIMIT));
    let (last, full) = upload1.chunk_sizes.split_last().unwrap();
    assert!(
        full.iter().all(|s| *s == UPLOAD_CHUNK_LIMIT),
        "only the last chunk is short"
    );
    assert!(*last <= UPLOAD_CHUNK_LIMIT);

    let store1 = open_upload(&upload1, uploads_dir.path());
    assert_eq!(
        store1.list_sync_runs().unwrap().len(),
        1,
        "a fresh c1z per sync"
    );
    let run1 = store1
        .latest_finished_sync(None)
        .unwrap()
        .expect("a finished sync");
    let got1 = read_sync(&store1, run1);
    assert_matches_model(&got1, &expected(&sim, TokenRole::Admin));
    let grant_id = team_member_grant_id();
    assert!(!got1.grants.contains_key(&grant_id));

    // Grant: the entitlement and principal as ConductorOne has them from the sync.
    let entitlement =
        got1.entitlements[&format!("team:{}:Team Member", quirks::ALPHA_TEAM)].clone();
    let principal = got1.resources[&format!("user:{}", quirks::MEMBER_USER)].clone();
    let grant_task = double.push(task(TaskType::Grant(GrantTask {
        entitlement: Some(entitlement),
        principal: Some(principal),
        ..Default::default()
    })));
    let finish = double.wait_finish(&grant_task, WAIT).await;
    let (response, annotations) = assert_success(&finish);
    let response = response.expect("a grant response");
    assert_eq!(
        response.type_url,
        "type.googleapis.com/c1.connector.v2.GrantManagerServiceGrantResponse"
    );
    let response: GrantManagerServiceGrantResponse = unpack_any(&response).unwrap().unwrap();
    assert_eq!(annotations, response.annotations);
    assert!(
        response.grants.iter().any(|g| g.id == grant_id),
        "{:?}",
        response.grants.iter().map(|g| &g.id).collect::<Vec<_>>()
    );
    assert!(sim
        .tenant()
        .team_memberships
        .iter()
        .any(|m| m.team_gid == quirks::ALPHA_TEAM && m.user_gid == quirks::MEMBER_USER));

    // Sync 2 shows the grant.
    let sync2 = double.push(sync_task());
    assert_success(&double.wait_finish(&sync2, WAIT).await);
    let upload2 = double.log(|log| log.upload_of(&sync2).cloned().unwrap());
    let store2 = open_upload(&upload2, uploads_dir.path());
    let run2 = store2.latest_finished_sync(None).unwrap().unwrap();
    let got2 = read_sync(&store2, run2);
    assert_matches_model(&got2, &expected(&sim, TokenRole::Admin));
    let granted = got2
        .grants
        .get(&grant_id)
        .cloned()
        .expect("the grant is in sync 2");

    // Revoke it.
    let revoke_task = double.push(task(TaskType::Revoke(RevokeTask {
        grant: Some(granted),
        ..Default::default()
    })));
    let finish = double.wait_finish(&revoke_task, WAIT).await;
    let (response, _) = assert_success(&finish);
    let response = response.expect("a revoke response");
    assert_eq!(
        response.type_url,
        "type.googleapis.com/c1.connector.v2.GrantManagerServiceRevokeResponse"
    );
    let _: GrantManagerServiceRevokeResponse = unpack_any(&response).unwrap().unwrap();

    // Sync 3: gone again.
    let sync3 = double.push(sync_task());
    assert_success(&double.wait_finish(&sync3, WAIT).await);
    let upload3 = double.log(|log| log.upload_of(&sync3).cloned().unwrap());
    let store3 = open_upload(&upload3, uploads_dir.path());
    let run3 = store3.latest_finished_sync(None).unwrap().unwrap();
    let got3 = read_sync(&store3, run3);
    assert!(
        !got3.grants.contains_key(&grant_id),
        "the revoked grant is gone"
    );
    assert_matches_model(&got3, &expected(&sim, TokenRole::Admin));

    // Every task finished exactly once; the hello task did not FinishTask.
    double.log(|log| {
        assert!(
            log.finish_of(&hello_id).is_none(),
            "hello tasks are answered by Hello only"
        );
        for id in [&sync1, &grant_task, &sync2, &revoke_task, &sync3] {
            let n = log
                .finishes
                .iter()
                .filter(|f| &f.request.task_id == id)
                .count();
            assert_eq!(n, 1, "task {id} finished {n} times");
        }
        assert!(log
            .finishes
            .iter()
            .all(|f| f.request.host_id == "baton-asana-test-host"));
        assert!(log
            .get_tasks
            .iter()
            .all(|(_, h)| h == "baton-asana-test-host"));
        assert!(log.auth_failures.is_empty(), "{:?}", log.auth_failures);
        assert!(
            log.token_rejections.is_empty(),
            "{:?}",
            log.token_rejections
        );
        assert!(log.bad_uploads.is_empty(), "{:?}", log.bad_uploads);
        assert!(!log.tokens.is_empty());
        assert!(log
            .tokens
            .iter()
            .all(|t| t.http_version == axum::http::Version::HTTP_11));
        // The long-lived token is reused, not fetched per call.
        assert_eq!(log.tokens.len(), 1, "one token for the whole run");
    });

    // The temporary c1z files are gone.
    let leftovers: Vec<_> = std::fs::read_dir(work.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(leftovers.is_empty(), "left in the temp dir: {leftovers:?}");

    let status = connector.terminate(Duration::from_secs(30)).await;
    assert_eq!(status.code(), Some(0), "{}", connector.output());

    // No secret reached the output.
    let output = connector.output();
    let key_part = client.client_secret.rsplit(':').next().unwrap();
    assert!(!output.contains(key_part), "the client secret leaked");
    assert!(!output.contains(&asana_token), "the Asana token leaked");
    for token in double.log(|log| log.tokens.clone()) {
        assert!(!output.contains(&token.value), "an access token leaked");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeats_keep_the_cadence_and_cancellation_stops_work() {
    let sim = start_sim(SimConfig::default()).await;
    // Slow Asana: a sync takes long enough to watch its heartbeats.
    sim.set_latency(LatencyConfig {
        base: Duration::from_millis(1500),
        jitter: Duration::ZERO,
    });
    let client = TestClient::new("baton-asana-test@127.0.0.1/pcc");
    // The server asks for heartbeats every 200 ms: the connector clamps to 1 s.
    let double = C1Double::start(
        &client,
        Script {
            next_heartbeat: Duration::from_millis(200),
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

    // Cadence.
    let cancelled = double.push(sync_task());
    let beats = double
        .wait_for("five heartbeats", WAIT, |log| {
            let beats = log.heartbeats_of(&cancelled);
            (beats.len() >= 5).then_some(beats)
        })
        .await;
    let handed = double.log(|log| log.handed_out[&cancelled]);
    assert!(
        beats[0] - handed < Duration::from_secs(2),
        "first heartbeat at once"
    );
    for pair in beats.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(
            gap >= Duration::from_millis(950) && gap <= Duration::from_millis(2500),
            "heartbeat gap {gap:?} (asked 200 ms, clamped to 1 s)"
        );
    }
    assert!(
        double.log(|log| log.finish_of(&cancelled).is_none()),
        "still syncing"
    );

    // ConductorOne cancels the task: the sync stops, nothing is uploaded.
    let cancel_at = Instant::now();
    double.script(|s| s.cancel_tasks.push(cancelled.clone()));
    let finish = double.wait_finish(&cancelled, WAIT).await;
    let (code, message, non_retryable) = failure_of(&finish);
    assert_eq!(code, 1, "CANCELLED: {message}");
    assert!(message.contains("cancelled by ConductorOne"), "{message}");
    assert!(!non_retryable);
    assert!(
        finish.at - cancel_at < Duration::from_secs(8),
        "the sync stopped promptly ({:?})",
        finish.at - cancel_at
    );
    double.log(|log| {
        assert!(
            log.upload_of(&cancelled).is_none(),
            "a cancelled sync uploads nothing"
        );
        let after = log
            .heartbeats_of(&cancelled)
            .into_iter()
            .filter(|at| *at > finish.at)
            .count();
        assert_eq!(after, 0, "no heartbeats after the task finished");
    });

    // The connector keeps taking tasks.
    let hello = double.push(task(TaskType::Hello(HelloTask::default())));
    double
        .wait_for("the hello answer", WAIT, |log| {
            log.hellos.iter().find(|(_, h)| h.task_id == hello).cloned()
        })
        .await;

    // SIGTERM during a sync: it is stopped and reported, nothing half-uploaded, exit 0.
    let interrupted = double.push(sync_task());
    double
        .wait_for("the second sync's heartbeat", WAIT, |log| {
            (!log.heartbeats_of(&interrupted).is_empty()).then_some(())
        })
        .await;
    let polls_before = double.log(|log| log.get_tasks.len());
    let status = connector.terminate(Duration::from_secs(30)).await;
    assert_eq!(status.code(), Some(0), "{}", connector.output());
    double.log(|log| {
        let finish = log
            .finish_of(&interrupted)
            .expect("the interrupted sync was reported");
        let status = finish.request.status.clone().unwrap();
        assert_eq!(status.code, 1, "{status:?}");
        assert!(status.message.contains("shutting down"), "{status:?}");
        assert!(log.upload_of(&interrupted).is_none());
        assert!(log.bad_uploads.is_empty(), "{:?}", log.bad_uploads);
        assert!(
            log.get_tasks.len() <= polls_before + 1,
            "no polling after SIGTERM"
        );
        assert!(log.auth_failures.is_empty(), "{:?}", log.auth_failures);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_lived_tokens_are_refreshed() {
    let sim = start_sim(SimConfig::default()).await;
    // No BATON_C1_API_HOST here: the client id's host:port is the API.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let client = TestClient::new(&format!("baton-asana-test@127.0.0.1:{port}/pcc"));
    let double = C1Double::start_on(
        listener,
        &client,
        Script {
            token_lifetime: Duration::from_secs(2),
            next_poll: Duration::from_millis(100),
            ..Script::default()
        },
    )
    .await;
    let work = tempfile::tempdir().unwrap();
    let mut cmd = command(&[], work.path());
    for (k, v) in service_env(
        &client,
        &double,
        &sim.base_url(),
        &sim.token(TokenRole::Admin),
    ) {
        if k != "BATON_C1_API_HOST" {
            cmd.env(k, v);
        }
    }
    let mut connector = Connector::start(cmd);

    let sync = double.push(sync_task());
    assert_success(&double.wait_finish(&sync, WAIT).await);
    double
        .wait_for("three tokens", WAIT, |log| {
            (log.tokens.len() >= 3).then_some(())
        })
        .await;
    let status = connector.terminate(Duration::from_secs(30)).await;
    assert_eq!(status.code(), Some(0), "{}", connector.output());

    double.log(|log| {
        assert!(
            log.auth_failures.is_empty(),
            "a call used an expired token: {:?}",
            log.auth_failures
        );
        assert!(
            log.token_rejections.is_empty(),
            "{:?}",
            log.token_rejections
        );
        // Reused, not fetched per call: many more calls than tokens.
        let calls = log.get_tasks.len() + log.heartbeats.len() + log.finishes.len();
        assert!(
            calls > 3 * log.tokens.len(),
            "{calls} calls, {} tokens",
            log.tokens.len()
        );
        for pair in log.tokens.windows(2) {
            let gap = pair[1].at - pair[0].at;
            assert!(
                gap >= Duration::from_millis(800),
                "token refreshed after only {gap:?}"
            );
        }
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grant_tasks_follow_the_provisioning_rules() {
    let sim = start_sim(SimConfig::default()).await;
    let client = TestClient::new("baton-asana-test@127.0.0.1/pcc");
    let double = C1Double::start(&client, Script::default()).await;
    let work = tempfile::tempdir().unwrap();
    // No --provisioning.
    let mut connector = start_service(
        &[],
        work.path(),
        &client,
        &double,
        &sim.base_url(),
        &sim.token(TokenRole::Admin),
    );

    let sync = double.push(sync_task());
    assert_success(&double.wait_finish(&sync, WAIT).await);
    let uploads = tempfile::tempdir().unwrap();
    let upload = double.log(|log| log.upload_of(&sync).cloned().unwrap());
    let store = open_upload(&upload, uploads.path());
    let got = read_sync(&store, store.latest_finished_sync(None).unwrap().unwrap());
    let entitlement = got.entitlements[&format!("team:{}:Team Member", quirks::ALPHA_TEAM)].clone();
    let principal = got.resources[&format!("user:{}", quirks::MEMBER_USER)].clone();

    let refused = double.push(task(TaskType::Grant(GrantTask {
        entitlement: Some(entitlement.clone()),
        principal: Some(principal),
        ..Default::default()
    })));
    let malformed = double.push(task(TaskType::Grant(GrantTask {
        entitlement: Some(entitlement),
        principal: None,
        ..Default::default()
    })));
    let unsupported = double.push(task(TaskType::CreateAccount(CreateAccountTask::default())));

    let (code, message, non_retryable) = failure_of(&double.wait_finish(&refused, WAIT).await);
    assert_eq!(code, 9, "FAILED_PRECONDITION: {message}");
    assert!(message.contains("provisioning is not enabled"), "{message}");
    assert!(non_retryable);
    let (code, message, non_retryable) = failure_of(&double.wait_finish(&malformed, WAIT).await);
    assert_eq!(code, 3, "INVALID_ARGUMENT: {message}");
    assert!(message.contains("malformed"), "{message}");
    assert!(non_retryable);
    let (code, message, _) = failure_of(&double.wait_finish(&unsupported, WAIT).await);
    assert_eq!(code, 2, "UNKNOWN: {message}");
    assert_eq!(message, "unsupported task type");

    assert!(
        !sim.tenant()
            .team_memberships
            .iter()
            .any(|m| m.team_gid == quirks::ALPHA_TEAM && m.user_gid == quirks::MEMBER_USER),
        "nothing was granted"
    );
    let status = connector.terminate(Duration::from_secs(30)).await;
    assert_eq!(status.code(), Some(0), "{}", connector.output());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_syncs_are_uploaded_in_full_size_chunks() {
    // Big enough for a c1z of several 512 KiB chunks.
    let sim = start_sim(SimConfig {
        scenario: Scenario::QuirksWithGenerated(GeneratorConfig {
            users: 2500,
            teams: 200,
            ..GeneratorConfig::default()
        }),
        ..SimConfig::default()
    })
    .await;
    let client = TestClient::new("baton-asana-test@127.0.0.1/pcc");
    let double = C1Double::start(&client, Script::default()).await;
    let work = tempfile::tempdir().unwrap();
    let mut connector = start_service(
        &[],
        work.path(),
        &client,
        &double,
        &sim.base_url(),
        &sim.token(TokenRole::Admin),
    );

    let sync = double.push(sync_task());
    assert_success(&double.wait_finish(&sync, WAIT).await);
    let upload = double.log(|log| log.upload_of(&sync).cloned().unwrap());
    assert!(upload.well_formed && upload.sha256_ok);
    assert!(upload.chunk_sizes.len() >= 2, "{:?}", upload.chunk_sizes);
    let (last, full) = upload.chunk_sizes.split_last().unwrap();
    assert!(
        full.iter().all(|s| *s == UPLOAD_CHUNK_LIMIT),
        "{:?}",
        upload.chunk_sizes
    );
    assert!(*last > 0 && *last <= UPLOAD_CHUNK_LIMIT);
    assert_eq!(upload.chunk_sizes.iter().sum::<usize>(), upload.data.len());

    let dir = tempfile::tempdir().unwrap();
    let store = open_upload(&upload, dir.path());
    let got = read_sync(&store, store.latest_finished_sync(None).unwrap().unwrap());
    assert_matches_model(&got, &expected(&sim, TokenRole::Admin));

    let status = connector.terminate(Duration::from_secs(30)).await;
    assert_eq!(status.code(), Some(0), "{}", connector.output());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_failed_heartbeats_in_a_row_stop_the_task() {
    let sim = start_sim(SimConfig::default()).await;
    // About 25 s of sync: far longer than ten heartbeats a second apart.
    sim.set_latency(LatencyConfig {
        base: Duration::from_millis(3000),
        jitter: Duration::ZERO,
    });
    let client = TestClient::new("baton-asana-test@127.0.0.1/pcc");
    let double = C1Double::start(&client, Script::default()).await;
    let work = tempfile::tempdir().unwrap();
    // One task at a time: no polling while the sync runs.
    let mut connector = start_service(
        &["--task-concurrency", "1"],
        work.path(),
        &client,
        &double,
        &sim.base_url(),
        &sim.token(TokenRole::Admin),
    );

    let sync = task_id();
    double.script(|s| s.fail_heartbeats.push(sync.clone()));
    double.push(Task {
        id: sync.clone(),
        task_type: Some(TaskType::SyncFull(SyncFullTask::default())),
        ..Default::default()
    });
    let finish = double.wait_finish(&sync, WAIT).await;
    let (code, message, non_retryable) = failure_of(&finish);
    assert_eq!(code, 1, "CANCELLED: {message}");
    assert!(message.contains("heartbeat"), "{message}");
    assert!(!non_retryable);
    double.log(|log| {
        assert_eq!(
            log.heartbeats_of(&sync).len(),
            10,
            "stopped after the tenth failure"
        );
        assert!(log.upload_of(&sync).is_none());
        let handed = log.handed_out[&sync];
        let polls_while_busy = log
            .get_tasks
            .iter()
            .filter(|(at, _)| *at > handed && *at < finish.at)
            .count();
        assert_eq!(
            polls_while_busy, 0,
            "--task-concurrency 1 polls only when idle"
        );
    });
    assert_eq!(
        connector.records("heartbeat failed").len(),
        9,
        "failures are logged"
    );
    assert_eq!(connector.records("heartbeats keep failing").len(), 1);

    let status = connector.terminate(Duration::from_secs(30)).await;
    assert_eq!(status.code(), Some(0), "{}", connector.output());
}
