use std::collections::{BTreeMap, BTreeSet};

use asana_sim::quirks::*;
use asana_sim::{SimServer, TokenRole};
use serde_json::Value;

use crate::common::{gids, quirks, Api};

#[tokio::test]
async fn invisible_objects_are_404_like_missing_ones() {
    let sim = quirks().await;
    let admin = Api::new(&sim, TokenRole::Admin);
    let service = Api::new(&sim, TokenRole::ServiceAccount);
    let hidden = admin
        .get(&format!("/workspaces/{HIDDEN_WORKSPACE}"))
        .await
        .expect(404);
    let missing = admin.get("/workspaces/1100000000009999").await.expect(404);
    assert_eq!(
        hidden.body["errors"][0]["help"],
        missing.body["errors"][0]["help"]
    );
    service
        .get(&format!("/workspaces/{HIDDEN_WORKSPACE}"))
        .await
        .expect(200);
    admin
        .get(&format!("/users/{HIDDEN_USER}"))
        .await
        .expect(404);
    service
        .get(&format!("/users/{HIDDEN_USER}"))
        .await
        .expect(200);
    // Secret teams: visible to members only (no exception for org admins).
    admin
        .get(&format!("/teams/{SECRET_TEAM_WITH_ADMIN}"))
        .await
        .expect(200);
    admin
        .get(&format!("/teams/{SECRET_TEAM_HIDDEN}"))
        .await
        .expect(404);
    admin
        .get(&format!(
            "/teams/{SECRET_TEAM_HIDDEN}/team_memberships?limit=10"
        ))
        .await
        .expect(404);
    service
        .get(&format!("/teams/{SECRET_TEAM_HIDDEN}"))
        .await
        .expect(200);
    Api::new(&sim, TokenRole::Member)
        .get(&format!("/teams/{SECRET_TEAM_WITH_ADMIN}"))
        .await
        .expect(404);
    // Values that cannot be gids are a 400.
    admin.get("/workspaces/not-a-gid").await.expect(400);
}

#[tokio::test]
async fn in_the_guest_only_workspace_the_admin_token_sees_little() {
    let sim = quirks().await;
    let admin = Api::new(&sim, TokenRole::Admin);
    let workspaces = gids(&admin.collect("/workspaces", 100).await);
    assert!(workspaces.contains(&GUEST_ONLY_WORKSPACE.to_string()));
    assert!(!workspaces.contains(&HIDDEN_WORKSPACE.to_string()));
    let teams = gids(
        &admin
            .collect(&format!("/workspaces/{GUEST_ONLY_WORKSPACE}/teams"), 100)
            .await,
    );
    assert_eq!(teams, vec![PARTNER_TEAM_WITH_ADMIN.to_string()]);
    admin
        .get(&format!("/teams/{PARTNER_PUBLIC_TEAM}"))
        .await
        .expect(404);
    let members = admin
        .collect(
            &format!("/workspaces/{GUEST_ONLY_WORKSPACE}/workspace_memberships?opt_fields=user"),
            100,
        )
        .await;
    let users: BTreeSet<String> = members
        .iter()
        .map(|m| m["user"]["gid"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        users,
        BTreeSet::from([ADMIN_USER.to_string(), PARTNER_USER.to_string()])
    );
    // No e-mails for people seen only as a guest.
    let pat = admin
        .get(&format!("/users/{PARTNER_USER}"))
        .await
        .expect(200);
    assert!(pat.data().get("email").is_none());
    admin
        .get(&format!("/users/{PARTNER_ADMIN_USER}"))
        .await
        .expect(404);
}

#[tokio::test]
async fn the_guest_token_sees_itself_and_its_teammates() {
    let sim = quirks().await;
    let guest = Api::new(&sim, TokenRole::Guest);
    let teams = gids(
        &guest
            .collect(&format!("/workspaces/{ORG}/teams"), 100)
            .await,
    );
    assert_eq!(teams, vec![ALPHA_TEAM.to_string()]);
    guest
        .get(&format!("/users/{MEMBER_USER}"))
        .await
        .expect(404);
    let ada = guest
        .get(&format!("/users/{ADMIN_USER}?opt_fields=name,email"))
        .await
        .expect(200);
    assert!(ada.data().get("email").is_none());
    let me = guest.get("/users/me?opt_fields=email").await.expect(200);
    assert_eq!(me.data()["email"], "gus@outside.example");
    let users = gids(&guest.collect(&format!("/users?workspace={ORG}"), 100).await);
    let alpha: BTreeSet<String> = sim
        .tenant()
        .team_memberships
        .iter()
        .filter(|m| m.team_gid == ALPHA_TEAM)
        .map(|m| m.user_gid.clone())
        .collect();
    assert_eq!(users.into_iter().collect::<BTreeSet<_>>(), alpha);
}

#[tokio::test]
async fn users_without_visible_email_have_no_email_key() {
    let sim = quirks().await;
    let service = Api::new(&sim, TokenRole::ServiceAccount);
    let nora = service
        .get(&format!("/users/{NO_EMAIL_USER}"))
        .await
        .expect(200);
    assert!(nora.data().get("email").is_none());
    assert_eq!(nora.data()["name"], "Nora Noemail");
    let long = service
        .get(&format!("/users/{LONG_NAME_USER}?opt_fields=name"))
        .await
        .expect(200);
    assert!(long.data()["name"].as_str().unwrap().len() > 1024);
}

/// Pages every list a token can reach and checks the union equals `visible_tenant`.
async fn assert_http_matches_visible_tenant(sim: &SimServer, role: TokenRole) {
    let api = Api::new(sim, role);
    let visible = sim.visible_tenant(role);

    let workspaces = gids(&api.collect("/workspaces", 100).await);
    let expected: Vec<String> = {
        let mut w: Vec<String> = visible.workspaces.iter().map(|w| w.gid.clone()).collect();
        w.sort_by_key(|g| (g.len(), g.clone()));
        w
    };
    assert_eq!(workspaces, expected, "{role}: workspaces");

    let mut seen_emails: BTreeMap<String, Option<String>> = BTreeMap::new();
    for workspace in &visible.workspaces {
        let memberships = api
            .collect(
                &format!(
                    "/workspaces/{}/workspace_memberships?opt_fields=user.email,user.name",
                    workspace.gid
                ),
                100,
            )
            .await;
        let listed: BTreeSet<String> = gids(&memberships).into_iter().collect();
        let expected: BTreeSet<String> = visible
            .workspace_memberships
            .iter()
            .filter(|m| m.workspace_gid == workspace.gid)
            .map(|m| m.gid.clone())
            .collect();
        assert_eq!(listed, expected, "{role}: memberships of {}", workspace.gid);
        for m in &memberships {
            let user = &m["user"];
            seen_emails.insert(
                user["gid"].as_str().unwrap().to_string(),
                user.get("email")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            );
        }
        if workspace.is_organization {
            let teams: BTreeSet<String> = gids(
                &api.collect(&format!("/workspaces/{}/teams", workspace.gid), 100)
                    .await,
            )
            .into_iter()
            .collect();
            let expected: BTreeSet<String> = visible
                .teams
                .iter()
                .filter(|t| t.organization_gid == workspace.gid)
                .map(|t| t.gid.clone())
                .collect();
            assert_eq!(teams, expected, "{role}: teams of {}", workspace.gid);
        }
    }
    for team in &visible.teams {
        let listed: BTreeSet<String> = gids(
            &api.collect(&format!("/teams/{}/team_memberships", team.gid), 100)
                .await,
        )
        .into_iter()
        .collect();
        let expected: BTreeSet<String> = visible
            .team_memberships
            .iter()
            .filter(|m| m.team_gid == team.gid)
            .map(|m| m.gid.clone())
            .collect();
        assert_eq!(listed, expected, "{role}: members of team {}", team.gid);
    }
    for user in &visible.users {
        if let Some(email) = seen_emails.get(&user.gid) {
            assert_eq!(email, &user.email, "{role}: e-mail of {}", user.gid);
        }
    }
    let visible_users: BTreeSet<&str> = visible.users.iter().map(|u| u.gid.as_str()).collect();
    assert!(seen_emails
        .keys()
        .all(|u| visible_users.contains(u.as_str())));
}

#[tokio::test]
async fn every_token_sees_through_http_exactly_its_visible_tenant() {
    let sim = quirks().await;
    for role in TokenRole::ALL {
        assert_http_matches_visible_tenant(&sim, role).await;
    }
    let full = sim.tenant();
    let service = sim.visible_tenant(TokenRole::ServiceAccount);
    assert_eq!(service.team_memberships.len(), full.team_memberships.len());
    assert_eq!(
        service.workspace_memberships.len(),
        full.workspace_memberships.len()
    );
    assert!(sim.visible_tenant(TokenRole::Guest).teams.len() < full.teams.len());
}
