//! Shared helpers for the binary's integration tests: run the real
//! `baton-asana` binary against an in-process asana-sim, read the c1z it
//! wrote, and compute what it should contain from the simulator's ground truth.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use asana_sim::{SimConfig, SimServer, Tenant, TokenRole};
use baton_proto::v2::{Entitlement, Grant, GrantImmutable, Resource};
use baton_proto::{find_annotation, ids::resource_key};
use c1z::{C1zStore, GrantFilter, OpenOptions, SyncRun};

/// The output of one run of the binary.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn ok(&self) -> bool {
        self.code == Some(0)
    }

    pub fn all_output(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_baton-asana"))
}

/// A command for the binary with a clean `BATON_*` environment and the
/// working copy kept under `temp` (so tests never share one).
pub fn command(args: &[&str], temp: &Path) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(bin());
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("BATON_") {
            cmd.env_remove(key);
        }
    }
    cmd.args(args)
        .env("BATON_C1Z_TEMP_DIR", temp)
        .env("BATON_LOG_FORMAT", "json")
        .env("BATON_LOG_LEVEL", "debug")
        .current_dir(temp)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

pub async fn run(args: &[&str], temp: &Path, env: &[(&str, &str)]) -> Run {
    let mut cmd = command(args, temp);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = tokio::time::timeout(Duration::from_secs(300), cmd.output())
        .await
        .expect("baton-asana did not finish within 5 minutes")
        .expect("cannot run baton-asana");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs a sync of `sim` with `role`'s token into `file`.
pub async fn sync(
    sim: &SimServer,
    role: TokenRole,
    file: &Path,
    temp: &Path,
    extra: &[&str],
) -> Run {
    let base = sim.base_url();
    let token = sim.token(role);
    let file = file.to_string_lossy().into_owned();
    let mut args = vec!["--asana-api-url", base.as_str(), "-f", file.as_str()];
    args.extend_from_slice(extra);
    run(&args, temp, &[("BATON_TOKEN", token.as_str())]).await
}

pub async fn start_sim(config: SimConfig) -> SimServer {
    SimServer::start(config).await.expect("start asana-sim")
}

/// Resource types, resources, entitlements and grants of a sync.
pub type SyncData<'a> = (
    &'a BTreeSet<String>,
    &'a BTreeMap<String, Resource>,
    &'a BTreeMap<String, Entitlement>,
    &'a BTreeMap<String, Grant>,
);

/// Everything one finished sync of a c1z holds, keyed by id.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncContents {
    pub run: SyncRun,
    pub resource_types: BTreeSet<String>,
    pub resources: BTreeMap<String, Resource>,
    pub entitlements: BTreeMap<String, Entitlement>,
    pub grants: BTreeMap<String, Grant>,
}

impl SyncContents {
    /// The data without the run (ids and timestamps differ between syncs).
    pub fn data(&self) -> SyncData<'_> {
        (
            &self.resource_types,
            &self.resources,
            &self.entitlements,
            &self.grants,
        )
    }

    pub fn resources_of(&self, resource_type: &str) -> Vec<&Resource> {
        self.resources
            .values()
            .filter(|r| r.id.as_ref().map(|i| i.resource_type.as_str()) == Some(resource_type))
            .collect()
    }
}

/// Reads the latest finished sync of `file`.
pub fn read_latest(file: &Path) -> SyncContents {
    let store = C1zStore::open(file, &OpenOptions::default().read_only()).expect("open c1z");
    let run = store
        .latest_finished_sync(None)
        .expect("read sync runs")
        .expect("a finished sync");
    read_sync(&store, run)
}

pub fn read_sync(store: &C1zStore, run: SyncRun) -> SyncContents {
    let id = run.sync_id.clone();
    let resource_types = store
        .list_resource_types(&id)
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    let resources = store
        .list_resources(&id, None, None)
        .unwrap()
        .into_iter()
        .map(|r| (resource_key(r.id.as_ref().unwrap()), r))
        .collect();
    let entitlements = store
        .list_entitlements(&id, None)
        .unwrap()
        .into_iter()
        .map(|e| (e.id.clone(), e))
        .collect();
    let grants = store
        .list_grants(&id, &GrantFilter::default())
        .unwrap()
        .into_iter()
        .map(|g| (g.id.clone(), g))
        .collect();
    SyncContents {
        run,
        resource_types,
        resources,
        entitlements,
        grants,
    }
}

pub fn is_immutable(grant: &Grant) -> bool {
    matches!(
        find_annotation::<GrantImmutable>(&grant.annotations),
        Ok(Some(_))
    )
}

/// What a sync with `role`'s token must produce, computed from the
/// simulator's ground truth by the data model's rules.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Expected {
    /// gid → is organization
    pub workspaces: BTreeMap<String, bool>,
    /// user gid → has an active membership in a synced workspace
    pub users: BTreeMap<String, bool>,
    /// team gid → organization gid
    pub teams: BTreeMap<String, String>,
    pub grants: BTreeSet<String>,
    pub immutable_grants: BTreeSet<String>,
}

pub fn expected(sim: &SimServer, role: TokenRole) -> Expected {
    let visible: Tenant = sim.visible_tenant(role);
    let owner = visible.token_owners.owner(role).to_owned();
    let mut out = Expected::default();
    for ws in &visible.workspaces {
        let synced = role == TokenRole::ServiceAccount
            || visible.workspace_memberships.iter().any(|m| {
                m.workspace_gid == ws.gid && m.user_gid == owner && m.is_active && !m.is_guest
            });
        if synced {
            out.workspaces.insert(ws.gid.clone(), ws.is_organization);
        }
    }
    for m in &visible.workspace_memberships {
        if !out.workspaces.contains_key(&m.workspace_gid) {
            continue;
        }
        let active = out.users.entry(m.user_gid.clone()).or_insert(false);
        *active |= m.is_active;
        if m.is_active {
            let slug = if m.is_guest { "Guest" } else { "Member" };
            out.grants.insert(format!(
                "workspace:{}:{slug}:user:{}",
                m.workspace_gid, m.user_gid
            ));
            if m.is_admin {
                let id = format!("workspace:{}:Admin:user:{}", m.workspace_gid, m.user_gid);
                out.grants.insert(id.clone());
                out.immutable_grants.insert(id);
            }
        }
    }
    for team in &visible.teams {
        if out.workspaces.get(&team.organization_gid) == Some(&true) {
            out.teams
                .insert(team.gid.clone(), team.organization_gid.clone());
        }
    }
    for m in &visible.team_memberships {
        if !out.teams.contains_key(&m.team_gid) {
            continue;
        }
        out.grants.insert(format!(
            "team:{}:Team Member:user:{}",
            m.team_gid, m.user_gid
        ));
        for (flag, slug) in [
            (m.is_admin, "Admin"),
            (m.is_limited_access, "Limited Access"),
            (m.is_guest, "Guest"),
        ] {
            if flag {
                let id = format!("team:{}:{slug}:user:{}", m.team_gid, m.user_gid);
                out.grants.insert(id.clone());
                out.immutable_grants.insert(id);
            }
        }
    }
    out
}

/// Checks a sync's contents against the expected model; panics with the first difference.
pub fn assert_matches_model(got: &SyncContents, want: &Expected) {
    assert_eq!(
        got.resource_types,
        ["team", "user", "workspace"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        "resource types"
    );
    let ws: BTreeSet<_> = got
        .resources_of("workspace")
        .iter()
        .map(|r| r.id.as_ref().unwrap().resource.clone())
        .collect();
    assert_eq!(
        ws,
        want.workspaces.keys().cloned().collect(),
        "synced workspaces"
    );
    let users: BTreeSet<_> = got
        .resources_of("user")
        .iter()
        .map(|r| r.id.as_ref().unwrap().resource.clone())
        .collect();
    assert_eq!(users, want.users.keys().cloned().collect(), "users");
    let teams: BTreeSet<_> = got
        .resources_of("team")
        .iter()
        .map(|r| r.id.as_ref().unwrap().resource.clone())
        .collect();
    assert_eq!(teams, want.teams.keys().cloned().collect(), "teams");
    let grants: BTreeSet<_> = got.grants.keys().cloned().collect();
    let missing: Vec<_> = want.grants.difference(&grants).take(5).collect();
    let extra: Vec<_> = grants.difference(&want.grants).take(5).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "grants differ: missing {missing:?}, extra {extra:?}"
    );
    for (id, grant) in &got.grants {
        assert_eq!(
            is_immutable(grant),
            want.immutable_grants.contains(id),
            "GrantImmutable on {id}"
        );
    }
    let expected_entitlements = want.workspaces.len() * 3 + want.teams.len() * 4;
    assert_eq!(
        got.entitlements.len(),
        expected_entitlements,
        "entitlement count"
    );
}
