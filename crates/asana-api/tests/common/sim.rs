//! Helpers for tests against asana-sim: ground-truth comparison of every list endpoint.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;
use std::time::Duration;

use asana_api::{AsanaClient, ClientConfig, Error, RetryPolicy};
use asana_sim::{
    FaultConfig, GeneratorConfig, LatencyConfig, RateLimitConfig, Scenario, SimConfig, SimServer,
    Tenant, TokenRole,
};
use futures::{StreamExt, TryStreamExt};

pub fn generated(users: usize, teams: usize, members_per_team: usize, seed: u64) -> Scenario {
    Scenario::Generated(GeneratorConfig {
        users,
        teams,
        members_per_team,
        workspaces: 3,
        seed,
        ..GeneratorConfig::default()
    })
}

pub async fn start(scenario: Scenario, rate_limit: RateLimitConfig) -> SimServer {
    SimServer::start(SimConfig {
        scenario,
        rate_limit,
        latency: LatencyConfig::default(),
        faults: FaultConfig::default(),
        ..SimConfig::default()
    })
    .await
    .expect("start the simulator")
}

/// A client for `role` with fast retries; `rpm` 0 = unlimited.
pub fn client_for(sim: &SimServer, role: TokenRole, rpm: u32) -> AsanaClient {
    AsanaClient::new(config_for(sim, role, rpm)).expect("client")
}

pub fn config_for(sim: &SimServer, role: TokenRole, rpm: u32) -> ClientConfig {
    ClientConfig {
        base_url: sim.base_url(),
        requests_per_minute: rpm,
        retry: RetryPolicy {
            max_attempts: 8,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(200),
            max_total_wait: Duration::from_secs(60),
        },
        ..ClientConfig::with_token(sim.token(role))
    }
}

fn assert_same<K: Ord + Debug + Clone>(label: &str, got: Vec<K>, want: Vec<K>) {
    let n_got = got.len();
    let got_set: BTreeSet<K> = got.into_iter().collect();
    assert_eq!(got_set.len(), n_got, "{label}: duplicates in the listing");
    let want_set: BTreeSet<K> = want.into_iter().collect();
    let missing: Vec<_> = want_set.difference(&got_set).take(3).cloned().collect();
    let extra: Vec<_> = got_set.difference(&want_set).take(3).cloned().collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{label}: {} listed vs {} expected; missing {missing:?}; unexpected {extra:?}",
        got_set.len(),
        want_set.len()
    );
}

type WsKey = (String, String, bool, Vec<String>);
type WmKey = (
    String,
    String,
    String,
    bool,
    bool,
    bool,
    bool,
    String,
    String,
    Option<String>,
);
type UserKey = (String, String, Option<String>);
type TeamKey = (String, String, String, String, String, String, String);
type TmKey = (
    String,
    String,
    String,
    bool,
    bool,
    bool,
    String,
    Option<String>,
);

/// What was compared, for the test's own sanity checks.
#[derive(Debug, Default)]
pub struct Compared {
    pub workspaces: usize,
    pub workspace_memberships: usize,
    pub users: usize,
    pub teams: usize,
    pub team_memberships: usize,
    pub multi_page_lists: usize,
}

/// List every endpoint as `role` and compare with `truth` (the simulator's visible tenant).
pub async fn compare_everything(
    c: &AsanaClient,
    truth: &Tenant,
    role: TokenRole,
) -> Result<Compared, Error> {
    let mut out = Compared::default();
    let users: BTreeMap<&str, &asana_sim::User> =
        truth.users.iter().map(|u| (u.gid.as_str(), u)).collect();
    let owner = truth.token_owners.owner(role).to_owned();

    // me / user
    let me = c.me().await?;
    assert_eq!(me.gid, owner, "{role}: /users/me");
    if let Some(u) = users.get(owner.as_str()) {
        assert_eq!(me.name.as_deref(), Some(u.name.as_str()));
    }

    // workspaces
    let got: Vec<WsKey> = c
        .workspaces()
        .collect_all()
        .await?
        .into_iter()
        .map(|w| {
            (
                w.gid,
                w.name.unwrap_or_default(),
                w.is_organization.unwrap_or_default(),
                w.email_domains.unwrap_or_default(),
            )
        })
        .collect();
    let want: Vec<WsKey> = truth
        .workspaces
        .iter()
        .map(|w| {
            (
                w.gid.clone(),
                w.name.clone(),
                w.is_organization,
                w.email_domains.clone(),
            )
        })
        .collect();
    out.workspaces = want.len();
    assert_same(&format!("{role}: workspaces"), got, want);

    for ws in &truth.workspaces {
        let single = c.workspace(&ws.gid).await?;
        assert_eq!(single.is_organization, Some(ws.is_organization));

        // workspace memberships
        let list = c.workspace_memberships(&ws.gid).collect_all().await?;
        if list.len() > 100 {
            out.multi_page_lists += 1;
        }
        let got: Vec<WmKey> = list
            .into_iter()
            .map(|m| {
                let user = m.user.unwrap_or_default();
                (
                    m.gid,
                    user.gid,
                    m.workspace.map(|w| w.gid).unwrap_or_default(),
                    m.is_active.unwrap_or(false),
                    m.is_admin.unwrap_or(false),
                    m.is_guest.unwrap_or(false),
                    m.is_view_only.unwrap_or(false),
                    m.created_at.unwrap_or_default(),
                    user.name.unwrap_or_default(),
                    user.email,
                )
            })
            .collect();
        let want: Vec<WmKey> = truth
            .workspace_memberships
            .iter()
            .filter(|m| m.workspace_gid == ws.gid)
            .map(|m| {
                let u = users.get(m.user_gid.as_str());
                (
                    m.gid.clone(),
                    m.user_gid.clone(),
                    m.workspace_gid.clone(),
                    m.is_active,
                    m.is_admin,
                    m.is_guest,
                    m.is_view_only,
                    m.created_at.clone(),
                    u.map(|u| u.name.clone()).unwrap_or_default(),
                    u.and_then(|u| u.email.clone()),
                )
            })
            .collect();
        out.workspace_memberships += want.len();
        assert_same(
            &format!("{role}: workspace memberships of {}", ws.gid),
            got,
            want,
        );

        // users?workspace= : users with an active visible membership
        let got: Vec<UserKey> = c
            .users_in_workspace(&ws.gid)
            .collect_all()
            .await?
            .into_iter()
            .map(|u| (u.gid, u.name.unwrap_or_default(), u.email))
            .collect();
        let active: BTreeSet<&str> = truth
            .workspace_memberships
            .iter()
            .filter(|m| m.workspace_gid == ws.gid && m.is_active)
            .map(|m| m.user_gid.as_str())
            .collect();
        let want: Vec<UserKey> = active
            .iter()
            .filter_map(|g| users.get(g))
            .map(|u| (u.gid.clone(), u.name.clone(), u.email.clone()))
            .collect();
        out.users += want.len();
        assert_same(&format!("{role}: users of {}", ws.gid), got, want);

        if !ws.is_organization {
            continue;
        }
        // teams
        let got: Vec<TeamKey> = c
            .teams_in_workspace(&ws.gid)
            .collect_all()
            .await?
            .into_iter()
            .map(team_key)
            .collect();
        let org_teams: Vec<&asana_sim::Team> = truth
            .teams
            .iter()
            .filter(|t| t.organization_gid == ws.gid)
            .collect();
        let want: Vec<TeamKey> = org_teams.iter().map(|t| truth_team_key(t)).collect();
        out.teams += want.len();
        assert_same(&format!("{role}: teams of {}", ws.gid), got, want);

        // team memberships of every team, concurrently
        let results: Vec<(String, Vec<asana_api::TeamMembership>)> =
            futures::stream::iter(org_teams.iter())
                .map(|t| {
                    let c = c.clone();
                    let gid = t.gid.clone();
                    async move {
                        let list = c.team_memberships_for_team(&gid).collect_all().await?;
                        Ok::<_, Error>((gid, list))
                    }
                })
                .buffer_unordered(16)
                .try_collect()
                .await?;
        for (team_gid, list) in results {
            if list.len() > 100 {
                out.multi_page_lists += 1;
            }
            let got: Vec<TmKey> = list.into_iter().map(tm_key).collect();
            let want: Vec<TmKey> = truth
                .team_memberships
                .iter()
                .filter(|m| m.team_gid == team_gid)
                .map(|m| truth_tm_key(m, &users))
                .collect();
            out.team_memberships += want.len();
            assert_same(
                &format!("{role}: team memberships of {team_gid}"),
                got,
                want,
            );
        }

        // user-centric lists, for the token owner (PATs) or a few users (service account)
        let subjects: Vec<String> = if role == TokenRole::ServiceAccount {
            truth
                .team_memberships
                .iter()
                .map(|m| m.user_gid.clone())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .take(5)
                .collect()
        } else {
            vec![owner.clone()]
        };
        for subject in subjects {
            let who = if subject == owner {
                "me".to_owned()
            } else {
                subject.clone()
            };
            let team_gids: BTreeSet<&str> = org_teams.iter().map(|t| t.gid.as_str()).collect();
            let want_tms: Vec<TmKey> = truth
                .team_memberships
                .iter()
                .filter(|m| m.user_gid == subject && team_gids.contains(m.team_gid.as_str()))
                .map(|m| truth_tm_key(m, &users))
                .collect();
            let got: Vec<TmKey> = c
                .team_memberships_for_user(&who, &ws.gid)
                .collect_all()
                .await?
                .into_iter()
                .map(tm_key)
                .collect();
            assert_same(
                &format!("{role}: team memberships of user {who}"),
                got,
                want_tms.clone(),
            );

            let want_teams: Vec<TeamKey> = want_tms
                .iter()
                .filter_map(|k| org_teams.iter().find(|t| t.gid == k.2))
                .map(|t| truth_team_key(t))
                .collect();
            let got: Vec<TeamKey> = c
                .teams_for_user(&who, &ws.gid)
                .collect_all()
                .await?
                .into_iter()
                .map(team_key)
                .collect();
            assert_same(&format!("{role}: teams of user {who}"), got, want_teams);
        }
    }

    // user-centric workspace memberships of the token owner
    if role != TokenRole::ServiceAccount {
        let got: Vec<String> = c
            .user_workspace_memberships("me")
            .collect_all()
            .await?
            .into_iter()
            .map(|m| m.gid)
            .collect();
        let want: Vec<String> = truth
            .workspace_memberships
            .iter()
            .filter(|m| m.user_gid == owner)
            .map(|m| m.gid.clone())
            .collect();
        assert_same(&format!("{role}: my workspace memberships"), got, want);
    }
    Ok(out)
}

fn team_key(t: asana_api::Team) -> TeamKey {
    (
        t.gid,
        t.name.unwrap_or_default(),
        t.organization.map(|o| o.gid).unwrap_or_default(),
        t.description.unwrap_or_default(),
        t.visibility.unwrap_or_default(),
        t.member_invite_management_access_level.unwrap_or_default(),
        t.team_member_removal_access_level.unwrap_or_default(),
    )
}

fn truth_team_key(t: &asana_sim::Team) -> TeamKey {
    (
        t.gid.clone(),
        t.name.clone(),
        t.organization_gid.clone(),
        t.description.clone(),
        t.visibility.clone(),
        t.member_invite_management_access_level.clone(),
        t.team_member_removal_access_level.clone(),
    )
}

fn tm_key(m: asana_api::TeamMembership) -> TmKey {
    let user = m.user.unwrap_or_default();
    (
        m.gid,
        user.gid,
        m.team.map(|t| t.gid).unwrap_or_default(),
        m.is_admin.unwrap_or(false),
        m.is_guest.unwrap_or(false),
        m.is_limited_access.unwrap_or(false),
        user.name.unwrap_or_default(),
        user.email,
    )
}

fn truth_tm_key(m: &asana_sim::TeamMembership, users: &BTreeMap<&str, &asana_sim::User>) -> TmKey {
    let u = users.get(m.user_gid.as_str());
    (
        m.gid.clone(),
        m.user_gid.clone(),
        m.team_gid.clone(),
        m.is_admin,
        m.is_guest,
        m.is_limited_access,
        u.map(|u| u.name.clone()).unwrap_or_default(),
        u.and_then(|u| u.email.clone()),
    )
}
