//! The main job, end to end: the real binary syncs asana-sim into a c1z, and
//! the file is held to the data model computed from the simulator's ground truth.

mod common;

use std::time::Duration;

use asana_sim::quirks::{self, long_name};
use asana_sim::{
    FaultConfig, GeneratorConfig, LatencyConfig, RateLimitConfig, Scenario, SimConfig, TokenRole,
};
use baton_proto::find_annotation;
use baton_proto::v2::resource::status::ResourceStatus;
use baton_proto::v2::user_trait::status::Status as UserStatus;
use baton_proto::v2::{ChildResourceType, GroupTrait, Resource, UserTrait};
use baton_proto::ValueKind;
use common::*;

fn user_trait(r: &Resource) -> UserTrait {
    find_annotation(&r.annotations).unwrap().expect("UserTrait")
}

fn profile_str(profile: &baton_proto::Struct, key: &str) -> Option<String> {
    match profile.fields.get(key)?.kind.as_ref()? {
        ValueKind::StringValue(s) => Some(s.clone()),
        ValueKind::BoolValue(b) => Some(b.to_string()),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quirks_sync_follows_the_data_model() {
    let sim = start_sim(SimConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sync.c1z");
    let out = sync(&sim, TokenRole::Admin, &file, dir.path(), &[]).await;
    assert!(out.ok(), "sync failed: {}", out.stderr);
    let token = sim.token(TokenRole::Admin);
    assert!(
        !out.all_output().contains(&token),
        "the token leaked into the output"
    );

    let got = read_latest(&file);
    let want = expected(&sim, TokenRole::Admin);
    assert_matches_model(&got, &want);
    assert_eq!(got.run.sync_type.as_str(), "full");
    assert!(got.run.ended_at.is_some());

    // Synced workspaces: the admin's org and the plain workspace, not the
    // workspace where the token's user is only a guest, nor the hidden one.
    assert!(want.workspaces.contains_key(quirks::ORG));
    assert!(want.workspaces.contains_key(quirks::PLAIN_WORKSPACE));
    assert!(!want.workspaces.contains_key(quirks::GUEST_ONLY_WORKSPACE));
    assert!(!want.workspaces.contains_key(quirks::HIDDEN_WORKSPACE));

    // Workspace resources: GroupTrait profile and child types user, team.
    let org = &got.resources[&format!("workspace:{}", quirks::ORG)];
    let children: Vec<String> = org
        .annotations
        .iter()
        .filter_map(|a| {
            baton_proto::unpack_any::<ChildResourceType>(a)
                .ok()
                .flatten()
        })
        .map(|c| c.resource_type_id)
        .collect();
    assert_eq!(children, ["user", "team"]);
    let group: GroupTrait = find_annotation(&org.annotations).unwrap().unwrap();
    let profile = group.profile.unwrap();
    assert_eq!(
        profile_str(&profile, "workspace_id").as_deref(),
        Some(quirks::ORG)
    );
    assert_eq!(
        profile_str(&profile, "is_organization").as_deref(),
        Some("true")
    );

    // Users: status from active memberships, never duplicated.
    let tenant = sim.tenant();
    for (gid, active) in &want.users {
        let user = &got.resources[&format!("user:{gid}")];
        let t = user_trait(user);
        let status = t.status.as_ref().unwrap();
        if *active {
            assert_eq!(
                status.status,
                UserStatus::Enabled as i32,
                "user {gid} should be enabled"
            );
        } else {
            assert_eq!(
                status.status,
                UserStatus::Disabled as i32,
                "user {gid} should be disabled"
            );
            assert!(!status.details.is_empty());
            assert_eq!(
                user.status.as_ref().unwrap().status,
                ResourceStatus::Disabled as i32
            );
        }
        assert!(user.display_name.len() <= 1024);
        assert!(!user.display_name.is_empty());
        let parent = user.parent_resource_id.as_ref().expect("user parent");
        assert_eq!(parent.resource_type, "workspace");
        assert!(want.workspaces.contains_key(&parent.resource));
        let record = tenant.users.iter().find(|u| &u.gid == gid).unwrap();
        let profile = t.profile.as_ref().unwrap();
        assert_eq!(
            profile_str(profile, "user_id").as_deref(),
            Some(gid.as_str())
        );
        if let Some(email) = &record.email {
            assert_eq!(t.emails[0].address, *email);
            assert!(t.emails[0].is_primary);
            assert_eq!(t.login, *email);
        }
        assert_eq!(
            t.account_type,
            baton_proto::v2::user_trait::AccountType::Human as i32
        );
    }
    let status_of = |gid: &str| {
        user_trait(&got.resources[&format!("user:{gid}")])
            .status
            .unwrap()
            .status
    };
    assert_eq!(
        status_of(quirks::REMOVED_READDED_USER),
        UserStatus::Enabled as i32
    );
    assert_eq!(
        status_of(quirks::INACTIVE_ONLY_USER),
        UserStatus::Disabled as i32
    );
    assert_eq!(
        status_of(quirks::INACTIVE_ADMIN_USER),
        UserStatus::Disabled as i32
    );

    // Display names: truncated at a character boundary; fall back to e-mail, then gid.
    let long = &got.resources[&format!("user:{}", quirks::LONG_NAME_USER)];
    assert!(long.display_name.len() <= 1024 && long.display_name.len() > 1000);
    assert!(long_name().starts_with(&long.display_name));
    let colon = &got.resources[&format!("user:{}", quirks::COLON_USER)];
    let colon_record = tenant
        .users
        .iter()
        .find(|u| u.gid == quirks::COLON_USER)
        .unwrap();
    assert_eq!(colon.display_name, colon_record.name);

    // The removed-then-re-added user has one Member grant from the active membership.
    assert!(got.grants.contains_key(&format!(
        "workspace:{}:Member:user:{}",
        quirks::ORG,
        quirks::REMOVED_READDED_USER
    )));
    // An inactive admin gets no grant at all.
    assert!(!got.grants.keys().any(|g| g
        .ends_with(&format!(":user:{}", quirks::INACTIVE_ADMIN_USER))
        && g.starts_with("workspace:")));

    // Entitlements: the Go connector's ids, slugs and display names.
    let member = &got.entitlements[&format!("workspace:{}:Member", quirks::ORG)];
    assert_eq!(member.slug, "Member");
    assert_eq!(
        member.display_name,
        format!("{} Workspace Member", org.display_name)
    );
    let team = &got.resources[&format!("team:{}", quirks::ALPHA_TEAM)];
    let tm = &got.entitlements[&format!("team:{}:Team Member", quirks::ALPHA_TEAM)];
    assert_eq!(
        tm.display_name,
        format!("{} Team Team Member", team.display_name)
    );
    assert_eq!(tm.grantable_to[0].id, "user");
    assert_eq!(
        team.parent_resource_id.as_ref().unwrap().resource,
        quirks::ORG
    );

    // Teams of exactly 100 and several hundred members have every grant.
    let members_of = |team: &str| {
        got.grants
            .keys()
            .filter(|g| g.starts_with(&format!("team:{team}:Team Member:")))
            .count()
    };
    assert_eq!(members_of(quirks::HUNDRED_TEAM), 100);
    assert_eq!(members_of(quirks::BIG_TEAM), quirks::BIG_TEAM_SIZE);
    assert_eq!(members_of(quirks::EMPTY_TEAM), 0);

    // Stats were stored with the sync.
    let stats = got.run.stats.clone().expect("stats");
    assert_eq!(stats.grants as usize, got.grants.len());
    assert_eq!(stats.resources as usize, got.resources.len());
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_account_syncs_every_workspace() {
    let sim = start_sim(SimConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sa.c1z");
    let out = sync(
        &sim,
        TokenRole::ServiceAccount,
        &file,
        dir.path(),
        &["--use-service-account"],
    )
    .await;
    assert!(out.ok(), "sync failed: {}", out.stderr);
    let want = expected(&sim, TokenRole::ServiceAccount);
    assert!(want.workspaces.contains_key(quirks::HIDDEN_WORKSPACE));
    assert_matches_model(&read_latest(&file), &want);
    sim.shutdown().await;
}

fn generated(users: usize, teams: usize) -> GeneratorConfig {
    GeneratorConfig {
        users,
        teams,
        members_per_team: 12,
        workspaces: 2,
        seed: 7,
        ..GeneratorConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_do_not_change_the_result() {
    let config = SimConfig {
        scenario: Scenario::Generated(generated(1500, 120)),
        rate_limit: RateLimitConfig::unlimited(),
        ..SimConfig::default()
    };
    let sim = start_sim(config).await;
    let dir = tempfile::tempdir().unwrap();
    let clean = dir.path().join("clean.c1z");
    let out = sync(
        &sim,
        TokenRole::Admin,
        &clean,
        dir.path(),
        &["--asana-rate-limit", "100000"],
    )
    .await;
    assert!(out.ok(), "clean sync failed: {}", out.stderr);

    sim.set_faults(FaultConfig {
        server_error_rate: 0.02,
        connection_reset_rate: 0.01,
        truncated_body_rate: 0.01,
        spurious_429_rate: 0.01,
        ..FaultConfig::default()
    });
    let faulty = dir.path().join("faulty.c1z");
    let out = sync(
        &sim,
        TokenRole::Admin,
        &faulty,
        dir.path(),
        &["--asana-rate-limit", "100000"],
    )
    .await;
    assert!(out.ok(), "sync with faults failed: {}", out.stderr);
    let counters = sim.counters();
    let f = &counters.faults;
    let injected = f.server_errors + f.connection_resets + f.truncated_bodies + f.spurious_429s;
    assert!(injected > 0, "no fault was injected");

    let a = read_latest(&clean);
    let b = read_latest(&faulty);
    assert_eq!(a.data(), b.data(), "faults changed the synced data");
    assert_matches_model(&b, &expected(&sim, TokenRole::Admin));
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_listing_fails_and_keeps_the_previous_file() {
    let sim = start_sim(SimConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sync.c1z");
    let first = sync(&sim, TokenRole::Admin, &file, dir.path(), &[]).await;
    assert!(first.ok(), "first sync failed: {}", first.stderr);
    let before = std::fs::read(&file).unwrap();

    sim.set_faults(FaultConfig {
        drop_next_page_key: true,
        ..FaultConfig::default()
    });
    let second = sync(&sim, TokenRole::Admin, &file, dir.path(), &[]).await;
    assert_eq!(
        second.code,
        Some(1),
        "a malformed listing must fail: {}",
        second.stderr
    );
    assert!(
        second.stderr.contains("next_page"),
        "the error should say why: {}",
        second.stderr
    );
    assert_eq!(
        std::fs::read(&file).unwrap(),
        before,
        "the previous file was changed"
    );
    // Still exactly one finished sync.
    let store = c1z::C1zStore::open(&file, &c1z::OpenOptions::default().read_only()).unwrap();
    let finished = store
        .list_sync_runs()
        .unwrap()
        .into_iter()
        .filter(|r| r.ended_at.is_some())
        .count();
    assert_eq!(finished, 1);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_token_fails_clearly_without_touching_the_file() {
    let sim = start_sim(SimConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sync.c1z");
    let first = sync(&sim, TokenRole::Admin, &file, dir.path(), &[]).await;
    assert!(first.ok(), "{}", first.stderr);
    let before = std::fs::read(&file).unwrap();

    let wrong = "2/1209999999999999/1209999999999998:0123456789abcdef0123456789abcdef";
    let base = sim.base_url();
    let out = run(
        &[
            "--asana-api-url",
            &base,
            "-f",
            file.to_str().unwrap(),
            "--log-format",
            "console",
        ],
        dir.path(),
        &[("BATON_TOKEN", wrong)],
    )
    .await;
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.contains("rejected the token"), "{}", out.stderr);
    assert!(
        !out.all_output().contains(wrong),
        "the token leaked: {}",
        out.all_output()
    );
    let last_line = out.stderr.lines().last().unwrap_or_default();
    assert!(
        last_line.starts_with("error: "),
        "one-line error expected, got {last_line:?}"
    );
    assert_eq!(std::fs::read(&file).unwrap(), before);

    let missing = run(
        &["--asana-api-url", &base, "-f", file.to_str().unwrap()],
        dir.path(),
        &[],
    )
    .await;
    assert_eq!(missing.code, Some(2), "{}", missing.stderr);
    assert!(missing.stderr.contains("--token"));
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_sync_resumes_and_gives_the_same_result() {
    let config = SimConfig {
        scenario: Scenario::Generated(generated(3000, 300)),
        rate_limit: RateLimitConfig::unlimited(),
        latency: LatencyConfig {
            base: Duration::from_millis(40),
            jitter: Duration::ZERO,
        },
        ..SimConfig::default()
    };
    let sim = start_sim(config).await;
    let dir = tempfile::tempdir().unwrap();
    let limits = [
        "--asana-rate-limit",
        "100000",
        "--asana-max-concurrency",
        "2",
    ];

    // A reference sync and its request count.
    let reference = dir.path().join("reference.c1z");
    sim.reset_counters();
    let out = sync(&sim, TokenRole::Admin, &reference, dir.path(), &limits).await;
    assert!(out.ok(), "{}", out.stderr);
    let full_requests = sim.counters().total;

    // Kill -9 once a good part of the work is done.
    let file = dir.path().join("sync.c1z");
    sim.reset_counters();
    let base = sim.base_url();
    let token = sim.token(TokenRole::Admin);
    let file_arg = file.to_string_lossy().into_owned();
    let mut args = vec!["--asana-api-url", base.as_str(), "-f", file_arg.as_str()];
    args.extend_from_slice(&limits);
    let mut cmd = command(&args, dir.path());
    cmd.env("BATON_TOKEN", &token);
    let mut child = cmd.spawn().unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    while sim.counters().total < full_requests / 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the sync made no progress"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Half the requests took seconds, so commits (every second) have landed.
    child.start_kill().unwrap();
    let status = child.wait().await.unwrap();
    assert!(!status.success());
    assert!(
        !file.exists(),
        "a killed first sync must not leave a file behind"
    );

    sim.reset_counters();
    let resumed = sync(&sim, TokenRole::Admin, &file, dir.path(), &limits).await;
    assert!(resumed.ok(), "{}", resumed.stderr);
    assert!(
        resumed.stderr.contains("resuming"),
        "the second run should resume: {}",
        resumed.stderr
    );
    let second_requests = sim.counters().total;
    assert!(
        second_requests < full_requests * 3 / 4,
        "the resumed sync refetched too much: {second_requests} of {full_requests} requests"
    );

    let a = read_latest(&reference);
    let b = read_latest(&file);
    assert_eq!(
        a.data(),
        b.data(),
        "the resumed sync differs from an uninterrupted one"
    );
    sim.shutdown().await;
}
