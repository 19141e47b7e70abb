use asana_sim::quirks::*;
use asana_sim::TokenRole;

use crate::common::{keys, quirks, Api};

#[tokio::test]
async fn lists_are_compact_and_single_reads_full() {
    let sim = quirks().await;
    let api = Api::new(&sim, TokenRole::Admin);
    let list = api
        .get(&format!("/workspaces/{ORG}/workspace_memberships?limit=5"))
        .await
        .expect(200);
    for item in list.data().as_array().unwrap() {
        assert_eq!(keys(item), ["gid", "resource_type", "user", "workspace"]);
        assert_eq!(item["resource_type"], "workspace_membership");
        assert_eq!(keys(&item["user"]), ["gid", "name", "resource_type"]);
    }
    let single = api
        .get(&format!(
            "/workspace_memberships/{REMOVED_READDED_OLD_MEMBERSHIP}"
        ))
        .await
        .expect(200);
    let data = single.data();
    for field in [
        "is_active",
        "is_admin",
        "is_guest",
        "is_view_only",
        "created_at",
        "user_task_list",
    ] {
        assert!(data.get(field).is_some(), "{field} missing from {data}");
    }
    assert_eq!(data["is_active"], false);
    assert!(data["created_at"].as_str().unwrap().ends_with('Z'));

    let workspaces = api.get("/workspaces?limit=10").await.expect(200);
    assert_eq!(
        keys(&workspaces.data()[0]),
        ["gid", "name", "resource_type"]
    );
    let workspace = api.get(&format!("/workspaces/{ORG}")).await.expect(200);
    assert_eq!(
        keys(workspace.data()),
        [
            "email_domains",
            "gid",
            "is_organization",
            "name",
            "resource_type"
        ]
    );
    let teams = api
        .get(&format!("/workspaces/{ORG}/teams?limit=3"))
        .await
        .expect(200);
    assert_eq!(keys(&teams.data()[0]), ["gid", "name", "resource_type"]);
    let team = api
        .get(&format!("/teams/{RESTRICTED_TEAM}"))
        .await
        .expect(200);
    assert_eq!(
        team.data()["member_invite_management_access_level"],
        "only_team_admins"
    );
    assert_eq!(team.data()["organization"]["gid"], ORG);
    // `description` is opt-in.
    assert!(team.data().get("description").is_none());
}

#[tokio::test]
async fn opt_fields_select_exactly_the_named_fields_including_nested_ones() {
    let sim = quirks().await;
    let api = Api::new(&sim, TokenRole::Admin);
    let page = api
        .get(&format!(
            "/teams/{ALPHA_TEAM}/team_memberships?limit=100&opt_fields=user.name,user.email,is_admin,is_guest,is_limited_access"
        ))
        .await
        .expect(200);
    let items = page.data().as_array().unwrap();
    for item in items {
        assert_eq!(
            keys(item),
            [
                "gid",
                "is_admin",
                "is_guest",
                "is_limited_access",
                "resource_type",
                "user"
            ]
        );
        let user_keys = keys(&item["user"]);
        assert!(
            user_keys == ["email", "gid", "name", "resource_type"]
                || user_keys == ["gid", "name", "resource_type"],
            "{user_keys:?}"
        );
    }
    let by_user = |gid: &str| items.iter().find(|i| i["user"]["gid"] == gid).unwrap();
    assert_eq!(by_user(GUEST_USER)["is_guest"], true);
    assert_eq!(by_user(LIMITED_ACCESS_USER)["is_limited_access"], true);
    assert_eq!(by_user(TEAM_ADMIN_USER)["is_admin"], true);
    assert!(by_user(NO_EMAIL_USER)["user"].get("email").is_none());
    assert_eq!(
        by_user(UNICODE_USER)["user"]["name"],
        "Zoë Łukasiewicz-Ñúñez"
    );

    // Naming a nested object alone gives its compact form; `gid` alone gives just the id.
    let compact = api
        .get(&format!(
            "/team_memberships/{}?opt_fields=user,team.gid",
            items[0]["gid"].as_str().unwrap()
        ))
        .await
        .expect(200);
    assert_eq!(
        keys(compact.data()),
        ["gid", "resource_type", "team", "user"]
    );
    assert_eq!(
        keys(&compact.data()["user"]),
        ["gid", "name", "resource_type"]
    );
    assert_eq!(keys(&compact.data()["team"]), ["gid", "resource_type"]);

    let me = api
        .get("/users/me?opt_fields=workspaces.name,email")
        .await
        .expect(200);
    assert_eq!(
        keys(me.data()),
        ["email", "gid", "resource_type", "workspaces"]
    );
    assert_eq!(
        keys(&me.data()["workspaces"][0]),
        ["gid", "name", "resource_type"]
    );

    let team = api
        .get(&format!(
            "/teams/{ALPHA_TEAM}?opt_fields=description,html_description,organization.name"
        ))
        .await
        .expect(200);
    assert_eq!(
        keys(team.data()),
        [
            "description",
            "gid",
            "html_description",
            "organization",
            "resource_type"
        ]
    );
    assert!(team.data()["html_description"]
        .as_str()
        .unwrap()
        .starts_with("<body>"));
}

#[tokio::test]
async fn unknown_opt_fields_are_a_400() {
    let sim = quirks().await;
    let api = Api::new(&sim, TokenRole::Admin);
    for fields in ["bogus", "user.bogus", "is_admin.deeper"] {
        let answer = api
            .get(&format!(
                "/teams/{ALPHA_TEAM}/team_memberships?limit=5&opt_fields={fields}"
            ))
            .await
            .expect(400);
        assert!(
            answer.error_message().starts_with("opt_fields:"),
            "{}",
            answer.body
        );
    }
    // Pagination keys are accepted as opt_fields, as the spec lists them.
    api.get(&format!(
        "/teams/{ALPHA_TEAM}/team_memberships?limit=5&opt_fields=offset,path,uri,is_admin"
    ))
    .await
    .expect(200);
}

#[tokio::test]
async fn user_references_accept_gid_email_and_me() {
    let sim = quirks().await;
    let api = Api::new(&sim, TokenRole::Admin);
    let by_gid = api.get(&format!("/users/{MEMBER_USER}")).await.expect(200);
    let by_email = api.get("/users/MAX@quirks.example").await.expect(200);
    assert_eq!(by_gid.body, by_email.body);
    let me = api.get("/users/me").await.expect(200);
    assert_eq!(me.data()["gid"], ADMIN_USER);
    let mine = api
        .get("/users/me/workspace_memberships?limit=10")
        .await
        .expect(200);
    assert_eq!(mine.gids().len(), 3);
    let service_me = Api::new(&sim, TokenRole::ServiceAccount)
        .get("/users/me")
        .await
        .expect(200);
    assert_eq!(service_me.data()["gid"], SERVICE_ACCOUNT_USER);
}
