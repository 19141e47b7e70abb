//! Provisioning against asana-sim: add/remove on workspaces and teams with typed outcomes and
//! errors, and writes whose answer is lost (fault after the write was applied) confirmed by
//! reading state back instead of being re-sent.

#[path = "common/sim.rs"]
mod sim_support;

use asana_api::{ErrorKind, MutationOutcome};
use asana_sim::{FaultConfig, RateLimitConfig, Scenario, TokenRole};
use sim_support::{client_for, generated, start};

fn active_in(tenant: &asana_sim::Tenant, user_gid: &str, ws: &str) -> bool {
    tenant
        .workspace_memberships
        .iter()
        .any(|m| m.user_gid == user_gid && m.workspace_gid == ws && m.is_active)
}

fn in_team(tenant: &asana_sim::Tenant, user_gid: &str, team: &str) -> bool {
    tenant
        .team_memberships
        .iter()
        .any(|m| m.user_gid == user_gid && m.team_gid == team)
}

struct Fixture {
    org: String,
    domain: String,
    team: String,
    /// Active in the org, not in `team`, not a guest.
    user: String,
    /// Not in the org at all.
    outsider: Option<String>,
}

fn fixture(tenant: &asana_sim::Tenant) -> Fixture {
    let org = tenant
        .workspaces
        .iter()
        .find(|w| w.is_organization)
        .expect("org");
    let team = tenant
        .teams
        .iter()
        .find(|t| {
            t.organization_gid == org.gid
                && t.member_invite_management_access_level == "all_team_members"
        })
        .expect("an unrestricted team");
    let owners = &tenant.token_owners;
    let user = tenant
        .workspace_memberships
        .iter()
        .filter(|m| m.workspace_gid == org.gid && m.is_active && !m.is_guest && !m.is_admin)
        .map(|m| m.user_gid.clone())
        .find(|u| {
            !in_team(tenant, u, &team.gid)
                && *u != owners.admin
                && *u != owners.member
                && *u != owners.guest
        })
        .expect("a user outside the team");
    let outsider = tenant.users.iter().map(|u| u.gid.clone()).find(|u| {
        !tenant
            .workspace_memberships
            .iter()
            .any(|m| m.user_gid == *u && m.workspace_gid == org.gid)
            && *u != owners.service_account
    });
    Fixture {
        org: org.gid.clone(),
        domain: org
            .email_domains
            .first()
            .cloned()
            .unwrap_or_else(|| "example.com".into()),
        team: team.gid.clone(),
        user,
        outsider,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workspace_and_team_add_remove_report_typed_outcomes() {
    let sim = start(generated(400, 10, 20, 31), RateLimitConfig::unlimited()).await;
    let f = fixture(&sim.tenant());
    let c = client_for(&sim, TokenRole::Admin, 0);

    // Team: add, add again, remove, remove again.
    let added = c
        .add_user_to_team(&f.team, &f.user)
        .await
        .expect("add to team");
    let tm = match added {
        MutationOutcome::Applied(tm) => tm,
        other => panic!("{other:?}"),
    };
    assert_eq!(tm.user_gid(), Some(f.user.as_str()));
    assert_eq!(tm.team_gid(), Some(f.team.as_str()));
    assert!(in_team(&sim.tenant(), &f.user, &f.team));
    let again = c
        .add_user_to_team(&f.team, &f.user)
        .await
        .expect("add again");
    assert!(
        matches!(again, MutationOutcome::AlreadyInState(Some(ref m)) if m.gid == tm.gid),
        "{again:?}"
    );
    assert_eq!(
        c.remove_user_from_team(&f.team, &f.user)
            .await
            .expect("remove"),
        MutationOutcome::Applied(())
    );
    assert!(!in_team(&sim.tenant(), &f.user, &f.team));
    assert_eq!(
        c.remove_user_from_team_in(&f.team, &f.org, &f.user)
            .await
            .expect("remove again"),
        MutationOutcome::AlreadyInState(None)
    );

    // Workspace: invite a new address by e-mail, again, remove, again.
    let email = format!("new.hire.api-test@{}", f.domain);
    let added = c
        .add_user_to_workspace(&f.org, &email)
        .await
        .expect("add to workspace");
    let user = match added {
        MutationOutcome::Applied(u) => u,
        other => panic!("{other:?}"),
    };
    assert!(active_in(&sim.tenant(), &user.gid, &f.org));
    assert!(matches!(
        c.add_user_to_workspace(&f.org, &email).await.expect("again"),
        MutationOutcome::AlreadyInState(Some(ref u)) if u.gid == user.gid
    ));
    assert_eq!(
        c.remove_user_from_workspace(&f.org, &user.gid)
            .await
            .expect("remove"),
        MutationOutcome::Applied(())
    );
    assert!(!active_in(&sim.tenant(), &user.gid, &f.org));
    assert_eq!(
        c.remove_user_from_workspace(&f.org, &user.gid)
            .await
            .expect("remove again"),
        MutationOutcome::AlreadyInState(None)
    );
    let found = c
        .find_workspace_membership(&f.org, &user.gid)
        .await
        .expect("find");
    assert_eq!(
        found.and_then(|m| m.is_active),
        Some(false),
        "the inactive membership remains"
    );

    // Typed errors: a plain member may not remove users; a user outside the org cannot join a team;
    // an unknown team is NotFound.
    let member = client_for(&sim, TokenRole::Member, 0);
    let e = member
        .remove_user_from_workspace(&f.org, &f.user)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Forbidden, "{e}");
    assert_eq!(e.method(), Some("POST"));
    assert!(e.asana_message().is_some(), "{e}");
    if let Some(outsider) = &f.outsider {
        let e = c
            .add_user_to_team_in(&f.team, &f.org, outsider)
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::BadRequest, "{e}");
    }
    let e = c
        .add_user_to_team("999999999999", &f.user)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_write_answers_are_confirmed_by_reading_back_not_resent() {
    let sim = start(generated(400, 10, 20, 37), RateLimitConfig::unlimited()).await;
    let f = fixture(&sim.tenant());
    let c = client_for(&sim, TokenRole::Admin, 0);
    sim.set_faults(FaultConfig {
        server_error_rate: 0.15,
        connection_reset_rate: 0.1,
        truncated_body_rate: 0.1,
        apply_to_writes: true,
        ..FaultConfig::default()
    });
    let cycles = 12;
    for _ in 0..cycles {
        assert!(c
            .add_user_to_team_in(&f.team, &f.org, &f.user)
            .await
            .expect("add")
            .was_applied());
        assert!(in_team(&sim.tenant(), &f.user, &f.team));
        assert!(c
            .remove_user_from_team_in(&f.team, &f.org, &f.user)
            .await
            .expect("remove")
            .was_applied());
        assert!(!in_team(&sim.tenant(), &f.user, &f.team));
    }
    let m = c.metrics();
    assert!(m.write_verifications > 0, "{m:?}");
    // Faults strike after the write is applied, so every write was needed exactly once.
    let posts = |route: &str| {
        m.requests
            .iter()
            .filter(|r| r.route == route)
            .map(|r| r.count)
            .sum::<u64>()
    };
    assert_eq!(posts("/teams/{team_gid}/addUser"), cycles);
    assert_eq!(posts("/teams/{team_gid}/removeUser"), cycles);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quirks_tenant_guest_cannot_remove() {
    let sim = start(Scenario::Quirks, RateLimitConfig::unlimited()).await;
    let truth = sim.visible_tenant(TokenRole::Guest);
    let c = client_for(&sim, TokenRole::Guest, 0);
    let ws = truth
        .workspaces
        .first()
        .expect("guest sees a workspace")
        .gid
        .clone();
    let me = c.me().await.expect("me");
    let other = truth
        .workspace_memberships
        .iter()
        .find(|m| m.workspace_gid == ws && m.user_gid != me.gid && m.is_active)
        .map(|m| m.user_gid.clone())
        .expect("the guest sees another active member");
    let e = c.remove_user_from_workspace(&ws, &other).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Forbidden, "{e}");
    sim.shutdown().await;
}
