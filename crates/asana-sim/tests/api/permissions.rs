use asana_sim::quirks::*;
use asana_sim::TokenRole;

use crate::common::{gids, quirks, Api};

fn memberships_of(
    sim: &asana_sim::SimServer,
    user: &str,
    workspace: &str,
) -> Vec<asana_sim::WorkspaceMembership> {
    sim.tenant()
        .workspace_memberships
        .into_iter()
        .filter(|m| m.user_gid == user && m.workspace_gid == workspace)
        .collect()
}

fn in_team(sim: &asana_sim::SimServer, team: &str, user: &str) -> bool {
    sim.tenant()
        .team_memberships
        .iter()
        .any(|m| m.team_gid == team && m.user_gid == user)
}

#[tokio::test]
async fn workspace_remove_user_needs_a_workspace_admin() {
    let sim = quirks().await;
    let member = Api::new(&sim, TokenRole::Member);
    let admin = Api::new(&sim, TokenRole::Admin);
    // Max is a plain member of the organization.
    let denied = member
        .post_user(&format!("/workspaces/{ORG}/removeUser"), UNICODE_USER)
        .await
        .expect(403);
    assert!(denied.error_message().contains("admin"));
    // Ada is admin of the organization but only a member of the plain workspace…
    admin
        .post_user(
            &format!("/workspaces/{PLAIN_WORKSPACE}/removeUser"),
            PLAIN_ONLY_USER,
        )
        .await
        .expect(403);
    // …where Max is an admin.
    member
        .post_user(
            &format!("/workspaces/{PLAIN_WORKSPACE}/removeUser"),
            PLAIN_ONLY_USER,
        )
        .await
        .expect(200);
    // Nothing changed by the refused calls.
    assert!(memberships_of(&sim, UNICODE_USER, ORG)
        .iter()
        .all(|m| m.is_active));
    // Ada is only a guest in the partner organization.
    admin
        .post_user(
            &format!("/workspaces/{GUEST_ONLY_WORKSPACE}/removeUser"),
            PARTNER_USER,
        )
        .await
        .expect(403);
}

#[tokio::test]
async fn workspace_remove_user_deactivates_and_leaves_teams() {
    let sim = quirks().await;
    let admin = Api::new(&sim, TokenRole::Admin);
    assert!(in_team(&sim, ALPHA_TEAM, UNICODE_USER) && in_team(&sim, UNICODE_TEAM, UNICODE_USER));
    let answer = admin
        .post_user(
            &format!("/workspaces/{ORG}/removeUser"),
            "zoe@quirks.example",
        )
        .await
        .expect(200);
    assert_eq!(answer.body, serde_json::json!({"data": {}}));
    let memberships = memberships_of(&sim, UNICODE_USER, ORG);
    assert_eq!(memberships.len(), 1);
    assert!(!memberships[0].is_active);
    assert!(!in_team(&sim, ALPHA_TEAM, UNICODE_USER) && !in_team(&sim, UNICODE_TEAM, UNICODE_USER));
    // Later reads see it.
    let listed = admin
        .get(&format!(
            "/workspaces/{ORG}/workspace_memberships?user={UNICODE_USER}&limit=10&opt_fields=is_active"
        ))
        .await
        .expect(200);
    assert_eq!(listed.data()[0]["is_active"], false);
    let team = admin
        .collect(
            &format!("/teams/{ALPHA_TEAM}/team_memberships?opt_fields=user"),
            100,
        )
        .await;
    assert!(team.iter().all(|m| m["user"]["gid"] != UNICODE_USER));
    // Removing again: no active membership → 400.
    let again = admin
        .post_user(&format!("/workspaces/{ORG}/removeUser"), UNICODE_USER)
        .await
        .expect(400);
    assert!(again.error_message().starts_with("user:"));
}

#[tokio::test]
async fn re_adding_a_removed_user_creates_a_new_membership() {
    let sim = quirks().await;
    let admin = Api::new(&sim, TokenRole::Admin);
    let answer = admin
        .post_user(&format!("/workspaces/{ORG}/addUser"), INACTIVE_ONLY_USER)
        .await
        .expect(200);
    assert_eq!(answer.data()["gid"], INACTIVE_ONLY_USER);
    assert_eq!(answer.data()["resource_type"], "user");
    assert_eq!(answer.data()["email"], "ivan@quirks.example");
    assert!(answer.data()["photo"].is_null());
    let memberships = memberships_of(&sim, INACTIVE_ONLY_USER, ORG);
    assert_eq!(memberships.len(), 2);
    let old = memberships
        .iter()
        .find(|m| m.gid == INACTIVE_ONLY_MEMBERSHIP)
        .unwrap();
    let new = memberships
        .iter()
        .find(|m| m.gid != INACTIVE_ONLY_MEMBERSHIP)
        .unwrap();
    assert!(!old.is_active && new.is_active && !new.is_guest);
    let listed = admin
        .get(&format!(
            "/users/{INACTIVE_ONLY_USER}/workspace_memberships?limit=10&opt_fields=is_active"
        ))
        .await
        .expect(200);
    assert_eq!(
        listed.gids(),
        vec![INACTIVE_ONLY_MEMBERSHIP.to_string(), new.gid.clone()]
    );
}

#[tokio::test]
async fn workspace_add_user_is_idempotent_and_invites_unknown_emails() {
    let sim = quirks().await;
    let admin = Api::new(&sim, TokenRole::Admin);
    let before = sim.tenant().workspace_memberships.len();
    admin
        .post_user(&format!("/workspaces/{ORG}/addUser"), MEMBER_USER)
        .await
        .expect(200);
    assert_eq!(sim.tenant().workspace_memberships.len(), before);

    let invited = admin
        .post_user(
            &format!("/workspaces/{ORG}/addUser"),
            "newbie@quirks.example",
        )
        .await
        .expect(200);
    let gid = invited.data()["gid"].as_str().unwrap().to_string();
    assert_eq!(invited.data()["email"], "newbie@quirks.example");
    let membership = memberships_of(&sim, &gid, ORG);
    assert!(membership.len() == 1 && membership[0].is_active && !membership[0].is_guest);

    // Outside the organization's domains: a guest.
    let outsider = admin
        .post_user(
            &format!("/workspaces/{ORG}/addUser"),
            "visitor@elsewhere.example",
        )
        .await
        .expect(200);
    let outsider_gid = outsider.data()["gid"].as_str().unwrap().to_string();
    assert!(memberships_of(&sim, &outsider_gid, ORG)[0].is_guest);
    // Visible through the API right away, addressable by e-mail.
    admin
        .get("/users/visitor@elsewhere.example")
        .await
        .expect(200);

    // Guests may not add people.
    Api::new(&sim, TokenRole::Guest)
        .post_user(&format!("/workspaces/{ORG}/addUser"), "x@quirks.example")
        .await
        .expect(403);
}

#[tokio::test]
async fn team_add_user_requires_organization_membership() {
    let sim = quirks().await;
    let admin = Api::new(&sim, TokenRole::Admin);
    let refused = admin
        .post_user(&format!("/teams/{ALPHA_TEAM}/addUser"), PLAIN_ONLY_USER)
        .await
        .expect(400);
    assert!(
        refused
            .error_message()
            .contains("not a member of organization"),
        "{}",
        refused.body
    );
    // Inactive organization members count as outside too.
    admin
        .post_user(&format!("/teams/{ALPHA_TEAM}/addUser"), INACTIVE_ONLY_USER)
        .await
        .expect(400);
    // Unknown users are a 404.
    admin
        .post_user(&format!("/teams/{ALPHA_TEAM}/addUser"), "1299999999999999")
        .await
        .expect(404);
    admin
        .post_user(
            &format!("/teams/{ALPHA_TEAM}/addUser"),
            "no.one@quirks.example",
        )
        .await
        .expect(404);
}

#[tokio::test]
async fn team_add_user_returns_the_membership_and_is_idempotent() {
    let sim = quirks().await;
    let member = Api::new(&sim, TokenRole::Member);
    // Max is a plain member of MEMBER_TEAM, whose settings let every member invite.
    let added = member
        .post_user(&format!("/teams/{MEMBER_TEAM}/addUser"), COLON_USER)
        .await
        .expect(200);
    let data = added.data();
    assert_eq!(data["resource_type"], "team_membership");
    assert_eq!(data["user"]["gid"], COLON_USER);
    assert_eq!(data["team"]["gid"], MEMBER_TEAM);
    assert_eq!(
        (data["is_admin"].as_bool(), data["is_guest"].as_bool()),
        (Some(false), Some(false))
    );
    let again = member
        .post_user(
            &format!("/teams/{MEMBER_TEAM}/addUser"),
            "colon@quirks.example",
        )
        .await
        .expect(200);
    assert_eq!(again.data()["gid"], data["gid"]);
    // Guests of the organization join as guest team members.
    let guest = member
        .post_user(
            &format!("/teams/{MEMBER_TEAM}/addUser?opt_fields=is_guest"),
            NO_EMAIL_GUEST_USER,
        )
        .await
        .expect(200);
    assert_eq!(guest.data()["is_guest"], true);
    let listed = gids(
        &member
            .collect(&format!("/teams/{MEMBER_TEAM}/team_memberships"), 100)
            .await,
    );
    assert!(listed.contains(&data["gid"].as_str().unwrap().to_string()));
}

#[tokio::test]
async fn team_changes_need_team_membership_or_org_admin() {
    let sim = quirks().await;
    let member = Api::new(&sim, TokenRole::Member);
    // Max is not in ALPHA and not an org admin.
    let denied = member
        .post_user(&format!("/teams/{ALPHA_TEAM}/addUser"), CJK_USER)
        .await
        .expect(403);
    assert!(denied.error_message().contains("member of team"));
    member
        .post_user(&format!("/teams/{ALPHA_TEAM}/removeUser"), CJK_USER)
        .await
        .expect(403);
    // Ada is an org admin, not in MEMBER_TEAM: allowed.
    Api::new(&sim, TokenRole::Admin)
        .post_user(&format!("/teams/{MEMBER_TEAM}/addUser"), CJK_USER)
        .await
        .expect(200);
    // Invisible teams are a 404, not a 403.
    member
        .post_user(
            &format!("/teams/{SECRET_TEAM_WITH_ADMIN}/addUser"),
            CJK_USER,
        )
        .await
        .expect(404);
    // The guest token (a guest team member of ALPHA) cannot add others.
    Api::new(&sim, TokenRole::Guest)
        .post_user(&format!("/teams/{ALPHA_TEAM}/addUser"), CJK_USER)
        .await
        .expect(403);
}

#[tokio::test]
async fn restricted_team_allows_only_team_admins_but_lets_members_leave() {
    let sim = quirks().await;
    let member = Api::new(&sim, TokenRole::Member);
    let add = member
        .post_user(&format!("/teams/{RESTRICTED_TEAM}/addUser"), CJK_USER)
        .await
        .expect(403);
    assert!(add.error_message().contains("team admins"), "{}", add.body);
    member
        .post_user(
            &format!("/teams/{RESTRICTED_TEAM}/removeUser"),
            UNICODE_USER,
        )
        .await
        .expect(403);
    assert!(in_team(&sim, RESTRICTED_TEAM, UNICODE_USER));
    // Leaving is always allowed.
    member
        .post_user(&format!("/teams/{RESTRICTED_TEAM}/removeUser"), "me")
        .await
        .expect(200);
    assert!(!in_team(&sim, RESTRICTED_TEAM, MEMBER_USER));
    // The org admin and the service account are not restricted.
    Api::new(&sim, TokenRole::Admin)
        .post_user(&format!("/teams/{RESTRICTED_TEAM}/addUser"), CJK_USER)
        .await
        .expect(200);
    Api::new(&sim, TokenRole::ServiceAccount)
        .post_user(&format!("/teams/{RESTRICTED_TEAM}/removeUser"), CJK_USER)
        .await
        .expect(200);
}

#[tokio::test]
async fn removing_a_non_member_from_a_team_is_a_400() {
    let sim = quirks().await;
    let admin = Api::new(&sim, TokenRole::Admin);
    let answer = admin
        .post_user(&format!("/teams/{EMPTY_TEAM}/removeUser"), MEMBER_USER)
        .await
        .expect(400);
    assert!(answer.error_message().contains("not a member of team"));
    admin
        .post_user(&format!("/teams/{ALPHA_TEAM}/removeUser"), CJK_USER)
        .await
        .expect(200);
    assert!(!in_team(&sim, ALPHA_TEAM, CJK_USER));
    let team_users = admin
        .get(&format!("/teams/{ALPHA_TEAM}/users"))
        .await
        .expect(200);
    assert!(!team_users.gids().contains(&CJK_USER.to_string()));
}

#[tokio::test]
async fn bad_write_bodies_and_tokens() {
    let sim = quirks().await;
    let admin = Api::new(&sim, TokenRole::Admin);
    let missing = admin
        .post(
            &format!("/teams/{ALPHA_TEAM}/addUser"),
            serde_json::json!({"data": {}}),
        )
        .await
        .expect(400);
    assert_eq!(missing.error_message(), "user: Missing input");
    let stranger = Api::with_token(&sim, "2/1/2:0000".to_string());
    stranger
        .post_user(&format!("/teams/{ALPHA_TEAM}/addUser"), CJK_USER)
        .await
        .expect(401);
    let not_authorized = stranger.get("/users/me").await.expect(401);
    assert_eq!(not_authorized.error_message(), "Not Authorized");
    // GET on a write route is an unknown route.
    admin
        .get(&format!("/teams/{ALPHA_TEAM}/addUser"))
        .await
        .expect(404);
}
