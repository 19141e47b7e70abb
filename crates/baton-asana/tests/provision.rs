//! Just-in-time provisioning, end to end, as operators run it: the real binary
//! looks ids up in a c1z, changes asana-sim, and later syncs show the change.

mod common;

use std::path::Path;

use asana_sim::quirks;
use asana_sim::{SimConfig, SimServer, TokenRole};
use common::*;

/// Runs a one-shot grant or revoke with `role`'s token, looking ids up in `file`.
async fn provision(
    sim: &SimServer,
    role: TokenRole,
    file: &Path,
    temp: &Path,
    args: &[&str],
) -> Run {
    let base = sim.base_url();
    let token = sim.token(role);
    let file = file.to_string_lossy().into_owned();
    let mut all = vec!["--asana-api-url", base.as_str(), "-f", file.as_str()];
    all.extend_from_slice(args);
    let out = run(&all, temp, &[("BATON_TOKEN", token.as_str())]).await;
    assert!(
        !out.all_output().contains(&token),
        "the token leaked into the output: {}",
        out.all_output()
    );
    out
}

async fn grant(sim: &SimServer, file: &Path, temp: &Path, entitlement: &str, user: &str) -> Run {
    provision(
        sim,
        TokenRole::Admin,
        file,
        temp,
        &[
            "-p",
            "--grant-entitlement",
            entitlement,
            "--grant-principal",
            user,
            "--grant-principal-type",
            "user",
            "--log-format",
            "console",
        ],
    )
    .await
}

async fn revoke(sim: &SimServer, file: &Path, temp: &Path, grant_id: &str) -> Run {
    provision(
        sim,
        TokenRole::Admin,
        file,
        temp,
        &["-p", "--revoke-grant", grant_id, "--log-format", "console"],
    )
    .await
}

async fn synced_grants(
    sim: &SimServer,
    file: &Path,
    temp: &Path,
) -> std::collections::BTreeSet<String> {
    let out = sync(sim, TokenRole::Admin, file, temp, &[]).await;
    assert!(out.ok(), "sync failed: {}", out.stderr);
    read_latest(file).grants.keys().cloned().collect()
}

/// The flow of the Go connector's CI script, for one entitlement.
async fn grant_revoke_cycle(sim: &SimServer, dir: &Path, entitlement: &str, user: &str) {
    let file = dir.join("sync.c1z");
    let grant_id = format!("{entitlement}:user:{user}");
    let before = synced_grants(sim, &file, dir).await;
    assert!(
        !before.contains(&grant_id),
        "{grant_id} should not exist yet"
    );

    let out = grant(sim, &file, dir, entitlement, user).await;
    assert!(out.ok(), "grant failed: {}", out.stderr);
    assert_eq!(out.stdout.trim(), format!("granted: {grant_id}"));
    assert!(
        out.stderr.contains("provisioning audit"),
        "no audit line: {}",
        out.stderr
    );
    assert!(synced_grants(sim, &file, dir).await.contains(&grant_id));

    // Granting again changes nothing and says so.
    let again = grant(sim, &file, dir, entitlement, user).await;
    assert!(again.ok(), "{}", again.stderr);
    assert!(again.stdout.contains("already granted"), "{}", again.stdout);

    let out = revoke(sim, &file, dir, &grant_id).await;
    assert!(out.ok(), "revoke failed: {}", out.stderr);
    assert_eq!(out.stdout.trim(), format!("revoked: {grant_id}"));
    let twice = revoke(sim, &file, dir, &grant_id).await;
    assert!(twice.ok(), "revoking twice must succeed: {}", twice.stderr);
    assert!(twice.stdout.contains("already revoked"), "{}", twice.stdout);
    assert!(!synced_grants(sim, &file, dir).await.contains(&grant_id));

    let out = grant(sim, &file, dir, entitlement, user).await;
    assert!(out.ok(), "grant again failed: {}", out.stderr);
    assert!(synced_grants(sim, &file, dir).await.contains(&grant_id));
}

fn org_member_outside_alpha(sim: &SimServer) -> String {
    let tenant = sim.tenant();
    tenant
        .users
        .iter()
        .map(|u| u.gid.clone())
        .find(|gid| {
            tenant.workspace_memberships.iter().any(|m| {
                &m.user_gid == gid
                    && m.workspace_gid == quirks::ORG
                    && m.is_active
                    && !m.is_guest
                    && !m.is_admin
            }) && !tenant
                .team_memberships
                .iter()
                .any(|m| &m.user_gid == gid && m.team_gid == quirks::ALPHA_TEAM)
        })
        .expect("an org member outside the Alpha team")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn team_member_grant_and_revoke_round_trip() {
    let sim = start_sim(SimConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let user = org_member_outside_alpha(&sim);
    grant_revoke_cycle(
        &sim,
        dir.path(),
        &format!("team:{}:Team Member", quirks::ALPHA_TEAM),
        &user,
    )
    .await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workspace_member_grant_and_revoke_round_trip() {
    let sim = start_sim(SimConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    // Only an inactive (removed) membership in the organization so far.
    grant_revoke_cycle(
        &sim,
        dir.path(),
        &format!("workspace:{}:Member", quirks::ORG),
        quirks::INACTIVE_ONLY_USER,
    )
    .await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_happen_before_any_api_call() {
    let sim = start_sim(SimConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sync.c1z");
    let out = sync(&sim, TokenRole::Admin, &file, dir.path(), &[]).await;
    assert!(out.ok(), "{}", out.stderr);
    let user = org_member_outside_alpha(&sim);
    let org = quirks::ORG;
    let alpha = quirks::ALPHA_TEAM;
    let admin_grant = format!("workspace:{org}:Admin:user:{}", quirks::ADMIN_USER);
    let team_admin_grant = format!("team:{alpha}:Admin:user:{}", quirks::TEAM_ADMIN_USER);
    let limited_grant = format!(
        "team:{alpha}:Limited Access:user:{}",
        quirks::LIMITED_ACCESS_USER
    );
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![
                "--grant-entitlement".into(),
                format!("workspace:{org}:Admin"),
                "--grant-principal".into(),
                user.clone(),
            ],
            "admin console",
        ),
        (
            vec![
                "--grant-entitlement".into(),
                format!("workspace:{org}:Guest"),
                "--grant-principal".into(),
                user.clone(),
            ],
            "admin console",
        ),
        (
            vec![
                "--grant-entitlement".into(),
                format!("team:{alpha}:Admin"),
                "--grant-principal".into(),
                user.clone(),
            ],
            "admin console",
        ),
        (
            vec![
                "--grant-entitlement".into(),
                format!("team:{alpha}:Limited Access"),
                "--grant-principal".into(),
                user.clone(),
            ],
            "admin console",
        ),
        (
            vec![
                "--grant-entitlement".into(),
                format!("team:{alpha}:Guest"),
                "--grant-principal".into(),
                user.clone(),
            ],
            "admin console",
        ),
        (
            vec!["--revoke-grant".into(), admin_grant.clone()],
            "admin console",
        ),
        (
            vec!["--revoke-grant".into(), team_admin_grant],
            "admin console",
        ),
        (
            vec!["--revoke-grant".into(), limited_grant],
            "admin console",
        ),
        (
            vec![
                "--grant-entitlement".into(),
                format!("team:{alpha}:Team Member"),
                "--grant-principal".into(),
                quirks::BIG_TEAM.into(),
                "--grant-principal-type".into(),
                "team".into(),
            ],
            "not a user",
        ),
        (
            vec![
                "--grant-entitlement".into(),
                "team:999:Team Member".into(),
                "--grant-principal".into(),
                user.clone(),
            ],
            "is not in the latest sync",
        ),
        (
            vec![
                "--revoke-grant".into(),
                "team:999:Team Member:user:1".into(),
            ],
            "is not in the latest sync",
        ),
        (
            vec![
                "--grant-entitlement".into(),
                format!("team:{alpha}:Team Member"),
                "--grant-principal".into(),
                "424242".into(),
            ],
            "is not in the latest sync",
        ),
    ];
    for (args, reason) in cases {
        sim.reset_counters();
        let mut all: Vec<&str> = vec!["-p", "--log-format", "console"];
        all.extend(args.iter().map(String::as_str));
        let out = provision(&sim, TokenRole::Admin, &file, dir.path(), &all).await;
        assert_eq!(
            out.code,
            Some(1),
            "{args:?} should be refused: {}",
            out.all_output()
        );
        assert!(
            out.stderr.contains(reason),
            "{args:?}: expected {reason:?} in {}",
            out.stderr
        );
        assert_eq!(
            sim.counters().total,
            0,
            "{args:?} made an API call before refusing"
        );
    }

    // Without --provisioning nothing is sent, and the error names the flag.
    sim.reset_counters();
    let out = provision(
        &sim,
        TokenRole::Admin,
        &file,
        dir.path(),
        &[
            "--grant-entitlement",
            &format!("team:{alpha}:Team Member"),
            "--grant-principal",
            &user,
            "--log-format",
            "console",
        ],
    )
    .await;
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.contains("--provisioning"), "{}", out.stderr);
    assert_eq!(sim.counters().total, 0);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn asana_refusals_become_clear_messages() {
    let sim = start_sim(SimConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sync.c1z");
    let out = sync(&sim, TokenRole::Admin, &file, dir.path(), &[]).await;
    assert!(out.ok(), "{}", out.stderr);

    // A user outside the team's organization.
    let out = grant(
        &sim,
        &file,
        dir.path(),
        &format!("team:{}:Team Member", quirks::ALPHA_TEAM),
        quirks::PLAIN_ONLY_USER,
    )
    .await;
    assert_eq!(out.code, Some(1));
    assert!(
        out.stderr
            .contains("not an active member of its organization"),
        "{}",
        out.stderr
    );

    // A plain member's token cannot remove users from a workspace.
    let victim = org_member_outside_alpha(&sim);
    let grant_id = format!("workspace:{}:Member:user:{victim}", quirks::ORG);
    let out = provision(
        &sim,
        TokenRole::Member,
        &file,
        dir.path(),
        &["-p", "--revoke-grant", &grant_id, "--log-format", "console"],
    )
    .await;
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.contains("403"), "{}", out.stderr);
    assert!(out.stderr.contains("workspace admin"), "{}", out.stderr);
    let still = sim
        .tenant()
        .workspace_memberships
        .iter()
        .any(|m| m.user_gid == victim && m.workspace_gid == quirks::ORG && m.is_active);
    assert!(still, "the refused removal changed Asana");

    // JSON output for automation.
    let user = org_member_outside_alpha(&sim);
    let out = provision(
        &sim,
        TokenRole::Admin,
        &file,
        dir.path(),
        &[
            "-p",
            "--grant-entitlement",
            &format!("team:{}:Team Member", quirks::ALPHA_TEAM),
            "--grant-principal",
            &user,
            "--log-format",
            "json",
        ],
    )
    .await;
    assert!(out.ok(), "{}", out.stderr);
    let record: serde_json::Value = serde_json::from_str(out.stdout.trim()).unwrap();
    assert_eq!(record["result"], "granted");
    assert_eq!(record["changed"], true);
    assert_eq!(
        record["grant_id"],
        format!("team:{}:Team Member:user:{user}", quirks::ALPHA_TEAM)
    );
    sim.shutdown().await;
}

/// A c1z written by the Go connector works as the lookup source.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_go_written_c1z_is_a_lookup_source() {
    let sim = start_sim(SimConfig::default()).await;
    // Mirror the Go fixture's objects in the simulator: organization 1001,
    // teams 3001 and 3002, users 2001-2004; the admin token's user administers it.
    sim.with_tenant_mut(|t| {
        let admin = t.token_owners.admin.clone();
        t.workspaces.push(asana_sim::Workspace {
            gid: "1001".into(),
            name: "Acme Corp".into(),
            is_organization: true,
            email_domains: vec!["acme.example".into()],
        });
        for (i, gid) in ["2001", "2002", "2003", "2004"].iter().enumerate() {
            t.users.push(asana_sim::User {
                gid: (*gid).into(),
                name: format!("Go User {i}"),
                email: Some(format!("go{i}@acme.example")),
            });
        }
        for (n, user) in [
            &admin,
            &"2001".to_string(),
            &"2002".to_string(),
            &"2003".to_string(),
        ]
        .iter()
        .enumerate()
        {
            t.workspace_memberships
                .push(asana_sim::WorkspaceMembership {
                    gid: format!("90{n}"),
                    user_gid: (*user).clone(),
                    workspace_gid: "1001".into(),
                    is_active: true,
                    is_admin: n == 0,
                    is_guest: false,
                    is_view_only: false,
                    created_at: "2024-01-01T00:00:00.000Z".into(),
                });
        }
        for team in ["3001", "3002"] {
            t.teams.push(asana_sim::Team {
                gid: team.into(),
                name: format!("Team {team}"),
                organization_gid: "1001".into(),
                description: String::new(),
                visibility: "public".into(),
                member_invite_management_access_level: "all_team_members".into(),
                team_member_removal_access_level: "all_team_members".into(),
            });
        }
        t.team_memberships.push(asana_sim::TeamMembership {
            gid: "9501".into(),
            user_gid: "2002".into(),
            team_gid: "3001".into(),
            is_admin: false,
            is_guest: false,
            is_limited_access: false,
        });
    });
    let dir = tempfile::tempdir().unwrap();
    let go_file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../c1z/tests/fixtures/go-baton-asana-sdk-v0.2.61.c1z");
    let file = dir.path().join("go.c1z");
    std::fs::copy(&go_file, &file).unwrap();
    let before = std::fs::read(&file).unwrap();

    let out = revoke(&sim, &file, dir.path(), "team:3001:Team Member:user:2002").await;
    assert!(out.ok(), "revoke with the Go file failed: {}", out.stderr);
    assert!(!sim
        .tenant()
        .team_memberships
        .iter()
        .any(|m| m.team_gid == "3001" && m.user_gid == "2002"));

    let out = grant(&sim, &file, dir.path(), "team:3002:Team Member", "2003").await;
    assert!(out.ok(), "grant with the Go file failed: {}", out.stderr);
    assert!(sim
        .tenant()
        .team_memberships
        .iter()
        .any(|m| m.team_gid == "3002" && m.user_gid == "2003"));
    assert_eq!(
        std::fs::read(&file).unwrap(),
        before,
        "one-shot provisioning must not modify the c1z"
    );
    sim.shutdown().await;
}
