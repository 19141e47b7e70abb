use std::time::Duration;

use asana_sim::quirks::*;
use asana_sim::{GeneratorConfig, Scenario, SimConfig, TokenRole};
use serde_json::Value;

use crate::common::{gids, is_sorted_by_gid, quirks, start, Api};

#[tokio::test]
async fn exactly_one_hundred_items_fit_one_page() {
    let sim = quirks().await;
    let api = Api::new(&sim, TokenRole::Admin);
    let page = api
        .get(&format!("/teams/{HUNDRED_TEAM}/team_memberships?limit=100"))
        .await
        .expect(200);
    assert_eq!(page.gids().len(), 100);
    assert_eq!(page.body["next_page"], Value::Null);
}

#[tokio::test]
async fn one_hundred_and_one_items_take_two_pages() {
    let sim = quirks().await;
    let api = Api::new(&sim, TokenRole::Admin);
    let path = format!("/teams/{HUNDRED_ONE_TEAM}/team_memberships");
    let first = api.get(&format!("{path}?limit=100")).await.expect(200);
    assert_eq!(first.gids().len(), 100);
    let next = &first.body["next_page"];
    let offset = next["offset"].as_str().expect("offset");
    assert!(offset.starts_with("eyJ"), "opaque JWT-like token: {offset}");
    let next_path = next["path"].as_str().expect("path");
    assert!(next_path.starts_with(&path) && next_path.contains("limit=100"));
    assert_eq!(
        next["uri"].as_str(),
        Some(format!("{}{next_path}", sim.base_url()).as_str())
    );

    // Following `path` and following `offset` lead to the same last page.
    let by_path = api.get(next_path).await.expect(200);
    let by_offset = api
        .get(&format!("{path}?limit=100&offset={offset}"))
        .await
        .expect(200);
    assert_eq!(by_path.gids(), by_offset.gids());
    assert_eq!(by_path.gids().len(), 1);
    assert_eq!(by_path.body["next_page"], Value::Null);
    let mut all = first.gids();
    all.extend(by_path.gids());
    assert!(is_sorted_by_gid(&all));
}

#[tokio::test]
async fn empty_list_has_null_next_page() {
    let sim = quirks().await;
    let api = Api::new(&sim, TokenRole::Admin);
    let page = api
        .get(&format!("/teams/{EMPTY_TEAM}/team_memberships?limit=100"))
        .await
        .expect(200);
    assert_eq!(page.body["data"], serde_json::json!([]));
    assert_eq!(page.body["next_page"], Value::Null);
}

#[tokio::test]
async fn limit_outside_1_to_100_is_a_400() {
    let sim = quirks().await;
    let api = Api::new(&sim, TokenRole::Admin);
    for limit in ["0", "101", "-5", "ten"] {
        let answer = api
            .get(&format!("/workspaces?limit={limit}"))
            .await
            .expect(400);
        assert!(
            answer.error_message().starts_with("limit:"),
            "{}",
            answer.body
        );
        assert!(answer.body["errors"][0]["help"].is_string());
    }
    api.get("/workspaces?limit=1").await.expect(200);
}

#[tokio::test]
async fn small_pages_cover_a_large_team_in_gid_order() {
    let sim = quirks().await;
    let api = Api::new(&sim, TokenRole::Admin);
    let items = api
        .collect(&format!("/teams/{BIG_TEAM}/team_memberships"), 7)
        .await;
    let all = gids(&items);
    assert_eq!(all.len(), BIG_TEAM_SIZE);
    assert!(is_sorted_by_gid(&all));
    let expected: Vec<String> = sim
        .tenant()
        .team_memberships
        .iter()
        .filter(|m| m.team_gid == BIG_TEAM)
        .map(|m| m.gid.clone())
        .collect();
    assert_eq!(all, expected);
}

#[tokio::test]
async fn without_limit_there_is_no_next_page_key() {
    let sim = quirks().await;
    let api = Api::new(&sim, TokenRole::Admin);
    let answer = api
        .get(&format!("/teams/{BIG_TEAM}/team_memberships"))
        .await
        .expect(200);
    assert_eq!(answer.gids().len(), BIG_TEAM_SIZE);
    assert!(answer.body.get("next_page").is_none());
}

#[tokio::test]
async fn unpaginated_lists_over_1000_are_refused() {
    let sim = start(SimConfig {
        scenario: Scenario::Generated(GeneratorConfig {
            users: 1200,
            teams: 2,
            members_per_team: 5,
            workspaces: 1,
            ..GeneratorConfig::default()
        }),
        ..SimConfig::default()
    })
    .await;
    let api = Api::new(&sim, TokenRole::ServiceAccount);
    let org = sim.tenant().workspaces[0].gid.clone();
    let answer = api
        .get(&format!("/workspaces/{org}/workspace_memberships"))
        .await
        .expect(400);
    assert!(
        answer.error_message().contains("too large"),
        "{}",
        answer.body
    );
    api.get(&format!(
        "/workspaces/{org}/workspace_memberships?limit=100"
    ))
    .await
    .expect(200);
}

#[tokio::test]
async fn grandfathered_user_lists_ignore_limit_are_alphabetical_and_capped_at_2000() {
    let sim = start(SimConfig {
        scenario: Scenario::Generated(GeneratorConfig {
            users: 2300,
            teams: 1,
            members_per_team: 3,
            workspaces: 1,
            inactive_ratio: 0.0,
            ..GeneratorConfig::default()
        }),
        ..SimConfig::default()
    })
    .await;
    let api = Api::new(&sim, TokenRole::ServiceAccount);
    let org = sim.tenant().workspaces[0].gid.clone();
    let answer = api
        .get(&format!("/workspaces/{org}/users?limit=10"))
        .await
        .expect(200);
    let names: Vec<String> = answer
        .data()
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap().to_lowercase())
        .collect();
    assert_eq!(names.len(), 2000);
    assert!(names.windows(2).all(|w| w[0] <= w[1]));
    assert!(answer.body.get("next_page").is_none());
}

#[tokio::test]
async fn offsets_expire_after_their_ttl() {
    let sim = start(SimConfig {
        offset_ttl: Duration::from_millis(1000),
        ..SimConfig::default()
    })
    .await;
    let api = Api::new(&sim, TokenRole::Admin);
    let path = format!("/teams/{BIG_TEAM}/team_memberships");
    let first = api.get(&format!("{path}?limit=10")).await.expect(200);
    let offset = first.body["next_page"]["offset"]
        .as_str()
        .unwrap()
        .to_string();
    api.get(&format!("{path}?limit=10&offset={offset}"))
        .await
        .expect(200);
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let expired = api
        .get(&format!("{path}?limit=10&offset={offset}"))
        .await
        .expect(400);
    assert!(
        expired.error_message().starts_with("offset:"),
        "{}",
        expired.body
    );
}

#[tokio::test]
async fn expire_all_offsets_invalidates_issued_tokens_only() {
    let sim = quirks().await;
    let api = Api::new(&sim, TokenRole::Admin);
    let path = format!("/teams/{BIG_TEAM}/team_memberships");
    let first = api.get(&format!("{path}?limit=10")).await.expect(200);
    let offset = first.body["next_page"]["offset"]
        .as_str()
        .unwrap()
        .to_string();
    sim.expire_all_offsets();
    api.get(&format!("{path}?limit=10&offset={offset}"))
        .await
        .expect(400);
    // A restarted listing works and its tokens are valid.
    let restarted = api.collect(&path, 100).await;
    assert_eq!(restarted.len(), BIG_TEAM_SIZE);
}

#[tokio::test]
async fn offsets_belong_to_their_list() {
    let sim = quirks().await;
    let api = Api::new(&sim, TokenRole::Admin);
    let first = api
        .get(&format!("/teams/{BIG_TEAM}/team_memberships?limit=10"))
        .await
        .expect(200);
    let offset = first.body["next_page"]["offset"]
        .as_str()
        .unwrap()
        .to_string();
    let answer = api
        .get(&format!(
            "/teams/{HUNDRED_TEAM}/team_memberships?limit=10&offset={offset}"
        ))
        .await
        .expect(400);
    assert!(answer.error_message().starts_with("offset:"));
    api.get("/workspaces?limit=10&offset=not-a-token")
        .await
        .expect(400);
}

#[tokio::test]
async fn pages_stay_consistent_when_earlier_items_disappear() {
    let sim = quirks().await;
    let api = Api::new(&sim, TokenRole::Admin);
    let path = format!("/teams/{BIG_TEAM}/team_memberships");
    let first = api
        .get(&format!("{path}?limit=50&opt_fields=user"))
        .await
        .expect(200);
    let offset = first.body["next_page"]["offset"]
        .as_str()
        .unwrap()
        .to_string();
    // Remove a member listed on the first page; the next page must neither skip nor repeat.
    let removed_user = first.data()[3]["user"]["gid"].as_str().unwrap().to_string();
    Api::new(&sim, TokenRole::ServiceAccount)
        .post_user(&format!("/teams/{BIG_TEAM}/removeUser"), &removed_user)
        .await
        .expect(200);
    let second = api
        .get(&format!("{path}?limit=50&offset={offset}"))
        .await
        .expect(200);
    let remaining: Vec<String> = sim
        .tenant()
        .team_memberships
        .iter()
        .filter(|m| m.team_gid == BIG_TEAM)
        .map(|m| m.gid.clone())
        .collect();
    let position = remaining
        .iter()
        .position(|g| *g == first.gids()[49])
        .unwrap();
    assert_eq!(
        second.gids(),
        remaining[position + 1..position + 51].to_vec()
    );
}

#[tokio::test]
async fn users_of_a_workspace_are_sorted_by_gid() {
    let sim = quirks().await;
    let api = Api::new(&sim, TokenRole::Admin);
    let users = gids(&api.collect(&format!("/users?workspace={ORG}"), 100).await);
    assert!(is_sorted_by_gid(&users));
    assert!(users.len() > FILLER_USERS);
    // Removed users are not listed (only their inactive membership remains).
    assert!(!users.contains(&INACTIVE_ONLY_USER.to_string()));
    assert!(users.contains(&REMOVED_READDED_USER.to_string()));
    // Cross-workspace listings cannot be paginated.
    api.get("/users?limit=10").await.expect(400);
}
