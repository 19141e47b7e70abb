//! Seeded, deterministic tenants of any size.
//!
//! Shape: one organization (teams live only in organizations) plus `workspaces - 1` plain
//! workspaces. Every user has an organization membership whose role is drawn from the ratios;
//! some are also in plain workspaces with an independently drawn role, so one user can be an
//! admin in one workspace and a plain member in another. Part of the inactive memberships are
//! "removed then re-added" (an old inactive plus a newer active membership). Teams draw their
//! members from the organization's active users.
//!
//! Token owners: the admin PAT is an active organization admin, the member PAT an active plain
//! member, the guest PAT an active guest; all three are members of the first team (the guest
//! as a guest team member). The service account is a user without memberships.

use rand::seq::index::sample;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::error::SimError;
use crate::model::{
    Team, TeamMembership, Tenant, TokenOwners, User, Workspace, WorkspaceMembership,
    ACCESS_ALL_TEAM_MEMBERS, ACCESS_ONLY_TEAM_ADMINS, VISIBILITY_PUBLIC,
    VISIBILITY_REQUEST_TO_JOIN, VISIBILITY_SECRET,
};

/// Size and mix of a generated tenant. Ratios are probabilities in `[0, 1]`; out-of-range
/// values are clamped by [`generate_tenant`] and rejected by [`GeneratorConfig::validate`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GeneratorConfig {
    pub users: usize,
    pub teams: usize,
    pub members_per_team: usize,
    /// Total workspaces including the organization (at least 1).
    pub workspaces: usize,
    pub seed: u64,
    pub admin_ratio: f64,
    pub guest_ratio: f64,
    pub inactive_ratio: f64,
    /// Share of inactive memberships that were later re-added (old inactive + new active).
    pub readded_ratio: f64,
    /// Share of users whose e-mail is never visible.
    pub hidden_email_ratio: f64,
    /// Share of non-guest members holding a view-only licence.
    pub view_only_ratio: f64,
    /// Chance that a user is also in each plain workspace.
    pub extra_workspace_ratio: f64,
    /// Share of secret teams (the rest is split between public and request-to-join).
    pub secret_team_ratio: f64,
    /// Share of teams restricting add/remove to team admins.
    pub restricted_team_ratio: f64,
    /// Share of team memberships that are team admins.
    pub team_admin_ratio: f64,
    /// Share of team memberships with limited access.
    pub limited_access_ratio: f64,
}

impl Default for GeneratorConfig {
    fn default() -> Self {
        GeneratorConfig {
            users: 1000,
            teams: 50,
            members_per_team: 20,
            workspaces: 2,
            seed: 1,
            admin_ratio: 0.05,
            guest_ratio: 0.1,
            inactive_ratio: 0.05,
            readded_ratio: 0.25,
            hidden_email_ratio: 0.02,
            view_only_ratio: 0.02,
            extra_workspace_ratio: 0.3,
            secret_team_ratio: 0.1,
            restricted_team_ratio: 0.1,
            team_admin_ratio: 0.05,
            limited_access_ratio: 0.03,
        }
    }
}

impl GeneratorConfig {
    /// Rejects settings that cannot describe a tenant.
    pub fn validate(&self) -> Result<(), SimError> {
        let ratios = [
            ("admin_ratio", self.admin_ratio),
            ("guest_ratio", self.guest_ratio),
            ("inactive_ratio", self.inactive_ratio),
            ("readded_ratio", self.readded_ratio),
            ("hidden_email_ratio", self.hidden_email_ratio),
            ("view_only_ratio", self.view_only_ratio),
            ("extra_workspace_ratio", self.extra_workspace_ratio),
            ("secret_team_ratio", self.secret_team_ratio),
            ("restricted_team_ratio", self.restricted_team_ratio),
            ("team_admin_ratio", self.team_admin_ratio),
            ("limited_access_ratio", self.limited_access_ratio),
        ];
        for (name, value) in ratios {
            if !(0.0..=1.0).contains(&value) {
                return Err(SimError::InvalidConfig(format!(
                    "{name} must be within 0..=1, got {value}"
                )));
            }
        }
        if self.admin_ratio + self.guest_ratio > 1.0 {
            return Err(SimError::InvalidConfig(
                "admin_ratio + guest_ratio must not exceed 1".to_string(),
            ));
        }
        if self.workspaces == 0 {
            return Err(SimError::InvalidConfig(
                "workspaces must be at least 1".to_string(),
            ));
        }
        if self.users < 3 {
            return Err(SimError::InvalidConfig(
                "users must be at least 3 (admin, member and guest token owners)".to_string(),
            ));
        }
        Ok(())
    }
}

const FIRST_NAMES: [&str; 24] = [
    "Ada",
    "Ben",
    "Chloé",
    "Dmitri",
    "Eva",
    "Farah",
    "Gao",
    "Hana",
    "Ivan",
    "Jonas",
    "Kofi",
    "Lena",
    "Mateo",
    "Nia",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sven",
    "Tomás",
    "Uma",
    "Véronique",
    "Wei",
    "Yusuf",
];
const LAST_NAMES: [&str; 20] = [
    "Okafor",
    "Müller",
    "Nakamura",
    "García",
    "Smith",
    "Kowalski",
    "Haddad",
    "Johansson",
    "Rossi",
    "Dubois",
    "Singh",
    "O'Brien",
    "Novák",
    "Silva",
    "Kim",
    "Petrov",
    "Fernández",
    "Andersen",
    "Chen",
    "Zhou",
];
const TEAM_WORDS: [&str; 16] = [
    "Platform", "Growth", "Design", "Sales", "Support", "Finance", "Legal", "Data", "Security",
    "Mobile", "Web", "People", "Ops", "Research", "Brand", "Infra",
];

/// 2020-01-01T00:00:00Z; generated memberships are created within the following ~4 years.
const EPOCH_2020: i64 = 1_577_836_800;
const FOUR_YEARS_SECS: i64 = 4 * 365 * 24 * 3600;

fn timestamp(secs: i64, millis: u32) -> String {
    let at = chrono::DateTime::<chrono::Utc>::from_timestamp(secs, millis.min(999) * 1_000_000)
        .unwrap_or_default();
    at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Member,
    Admin,
    Guest,
}

struct Gen {
    rng: ChaCha8Rng,
    next_gid: u64,
    config: GeneratorConfig,
}

impl Gen {
    fn gid(&mut self) -> String {
        let gid = self.next_gid.to_string();
        self.next_gid += 1;
        gid
    }

    fn chance(&mut self, ratio: f64) -> bool {
        ratio > 0.0 && self.rng.random::<f64>() < ratio
    }

    fn role(&mut self) -> Role {
        let draw: f64 = self.rng.random();
        if draw < self.config.admin_ratio {
            Role::Admin
        } else if draw < self.config.admin_ratio + self.config.guest_ratio {
            Role::Guest
        } else {
            Role::Member
        }
    }

    fn created_at(&mut self, after_secs: i64) -> (String, i64) {
        let span = (EPOCH_2020 + FOUR_YEARS_SECS - after_secs).max(3600);
        let secs = after_secs + self.rng.random_range(0..span);
        let millis = self.rng.random_range(0..1000);
        (timestamp(secs, millis), secs)
    }

    /// One membership, or an inactive+active pair for a removed-then-re-added user.
    fn memberships(
        &mut self,
        user: &str,
        workspace: &str,
        role: Role,
        forced_active: bool,
    ) -> Vec<WorkspaceMembership> {
        let view_only = role == Role::Member && self.chance(self.config.view_only_ratio);
        let inactive = !forced_active && self.chance(self.config.inactive_ratio);
        let readded = inactive && self.chance(self.config.readded_ratio);
        let (created_at, secs) = self.created_at(EPOCH_2020);
        let first = WorkspaceMembership {
            gid: self.gid(),
            user_gid: user.to_string(),
            workspace_gid: workspace.to_string(),
            is_active: !inactive,
            is_admin: role == Role::Admin,
            is_guest: role == Role::Guest,
            is_view_only: view_only,
            created_at,
        };
        if !readded {
            return vec![first];
        }
        let (created_at, _) = self.created_at(secs + 1);
        let again = WorkspaceMembership {
            gid: self.gid(),
            is_active: true,
            created_at,
            ..first.clone()
        };
        vec![first, again]
    }
}

/// Builds a tenant from `config`. Same config, same tenant.
pub fn generate_tenant(config: &GeneratorConfig) -> Tenant {
    let mut config = config.clone();
    for ratio in [
        &mut config.admin_ratio,
        &mut config.guest_ratio,
        &mut config.inactive_ratio,
        &mut config.readded_ratio,
        &mut config.hidden_email_ratio,
        &mut config.view_only_ratio,
        &mut config.extra_workspace_ratio,
        &mut config.secret_team_ratio,
        &mut config.restricted_team_ratio,
        &mut config.team_admin_ratio,
        &mut config.limited_access_ratio,
    ] {
        *ratio = if ratio.is_finite() {
            ratio.clamp(0.0, 1.0)
        } else {
            0.0
        };
    }
    config.workspaces = config.workspaces.max(1);
    config.users = config.users.max(3);

    let mut g = Gen {
        rng: ChaCha8Rng::seed_from_u64(config.seed),
        next_gid: 1_200_000_000_000_000,
        config: config.clone(),
    };
    let mut tenant = Tenant::default();
    let org_domain = format!("org{}.example", config.seed % 1000);

    let org_gid = g.gid();
    tenant.workspaces.push(Workspace {
        gid: org_gid.clone(),
        name: format!("Generated Org {}", config.seed),
        is_organization: true,
        email_domains: vec![org_domain.clone()],
    });
    for i in 1..config.workspaces {
        let gid = g.gid();
        tenant.workspaces.push(Workspace {
            gid,
            name: format!("Workspace {i}"),
            is_organization: false,
            email_domains: Vec::new(),
        });
    }

    tenant.users.reserve(config.users + 1);
    tenant.workspace_memberships.reserve(config.users * 2);
    // Users that can join teams: active organization members, with their org guest flag.
    let mut team_candidates: Vec<(usize, bool)> = Vec::with_capacity(config.users);
    for i in 0..config.users {
        let gid = g.gid();
        // The first three users own the admin, member and guest tokens.
        let role = match i {
            0 => Role::Admin,
            1 => Role::Member,
            2 => Role::Guest,
            _ => g.role(),
        };
        let first = FIRST_NAMES[g.rng.random_range(0..FIRST_NAMES.len())];
        let last = LAST_NAMES[g.rng.random_range(0..LAST_NAMES.len())];
        let domain = if role == Role::Guest {
            "guests.example"
        } else {
            org_domain.as_str()
        };
        let hidden = i >= 3 && g.chance(config.hidden_email_ratio);
        let email = (!hidden).then(|| {
            let local: String = format!("{first}.{last}.{i}")
                .to_lowercase()
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
                .collect();
            format!("{local}@{domain}")
        });
        tenant.users.push(User {
            gid: gid.clone(),
            name: format!("{first} {last}"),
            email,
        });

        let org_memberships = g.memberships(&gid, &org_gid, role, i < 3);
        if org_memberships.iter().any(|m| m.is_active) {
            team_candidates.push((i, role == Role::Guest));
        }
        tenant.workspace_memberships.extend(org_memberships);

        for w in 1..config.workspaces {
            // Token owners are in every workspace so each token has something to see there.
            if i < 3 || g.chance(config.extra_workspace_ratio) {
                let role = match i {
                    0 | 1 => Role::Member,
                    2 => Role::Member,
                    _ => match g.role() {
                        Role::Guest => Role::Member,
                        other => other,
                    },
                };
                let ws = tenant.workspaces[w].gid.clone();
                let memberships = g.memberships(&gid, &ws, role, i < 3);
                tenant.workspace_memberships.extend(memberships);
            }
        }
    }

    let service_account = g.gid();
    tenant.users.push(User {
        gid: service_account.clone(),
        name: "Generated Service Account".to_string(),
        email: None,
    });

    tenant.teams.reserve(config.teams);
    let per_team = config.members_per_team.min(team_candidates.len());
    tenant.team_memberships.reserve(config.teams * per_team);
    for t in 0..config.teams {
        let gid = g.gid();
        let visibility = if t == 0 {
            VISIBILITY_PUBLIC
        } else if g.chance(config.secret_team_ratio) {
            VISIBILITY_SECRET
        } else if g.chance(0.3) {
            VISIBILITY_REQUEST_TO_JOIN
        } else {
            VISIBILITY_PUBLIC
        };
        let restricted = t > 0 && g.chance(config.restricted_team_ratio);
        let level = if restricted {
            ACCESS_ONLY_TEAM_ADMINS
        } else {
            ACCESS_ALL_TEAM_MEMBERS
        };
        let word = TEAM_WORDS[t % TEAM_WORDS.len()];
        tenant.teams.push(Team {
            gid: gid.clone(),
            name: format!("{word} {}", t + 1),
            organization_gid: org_gid.clone(),
            description: format!("Generated team {} of the {word} group", t + 1),
            visibility: visibility.to_string(),
            member_invite_management_access_level: level.to_string(),
            team_member_removal_access_level: level.to_string(),
        });

        let mut picked: Vec<usize> = sample(&mut g.rng, team_candidates.len(), per_team).into_vec();
        if t == 0 {
            // The first team holds all three PAT owners (candidates 0..3 are the token owners).
            for owner in 0..3.min(team_candidates.len()) {
                if !picked.contains(&owner) {
                    picked.push(owner);
                }
            }
        }
        picked.sort_unstable();
        for candidate in picked {
            let (user_index, is_guest) = team_candidates[candidate];
            let membership_gid = g.gid();
            let is_admin = !is_guest && g.chance(config.team_admin_ratio);
            let is_limited_access = !is_admin && g.chance(config.limited_access_ratio);
            tenant.team_memberships.push(TeamMembership {
                gid: membership_gid,
                user_gid: tenant.users[user_index].gid.clone(),
                team_gid: gid.clone(),
                is_admin,
                is_guest,
                is_limited_access,
            });
        }
    }

    tenant.token_owners = TokenOwners {
        admin: tenant.users[0].gid.clone(),
        member: tenant.users[1].gid.clone(),
        guest: tenant.users[2].gid.clone(),
        service_account,
    };
    tenant
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn small() -> GeneratorConfig {
        GeneratorConfig {
            users: 300,
            teams: 12,
            members_per_team: 25,
            workspaces: 3,
            seed: 7,
            admin_ratio: 0.1,
            guest_ratio: 0.1,
            inactive_ratio: 0.2,
            ..GeneratorConfig::default()
        }
    }

    #[test]
    fn same_seed_same_tenant_other_seed_other_tenant() {
        let a = generate_tenant(&small());
        assert_eq!(a, generate_tenant(&small()));
        let other = generate_tenant(&GeneratorConfig { seed: 8, ..small() });
        assert_ne!(a, other);
    }

    #[test]
    fn respects_sizes_and_mixes_roles() {
        let config = small();
        let t = generate_tenant(&config);
        assert_eq!(t.workspaces.len(), 3);
        assert_eq!(t.workspaces.iter().filter(|w| w.is_organization).count(), 1);
        assert_eq!(t.users.len(), config.users + 1);
        assert_eq!(t.teams.len(), config.teams);
        for team in &t.teams {
            let size = t
                .team_memberships
                .iter()
                .filter(|m| m.team_gid == team.gid)
                .count();
            assert!(size >= config.members_per_team && size <= config.members_per_team + 3);
        }
        let wm = &t.workspace_memberships;
        assert!(wm.iter().any(|m| m.is_admin && m.is_active));
        assert!(wm.iter().any(|m| m.is_guest));
        assert!(wm.iter().any(|m| !m.is_active));
        // Removed then re-added: same user and workspace, one inactive and one active.
        let readded = wm.iter().filter(|m| !m.is_active).any(|old| {
            wm.iter().any(|new| {
                new.is_active
                    && new.user_gid == old.user_gid
                    && new.workspace_gid == old.workspace_gid
            })
        });
        assert!(readded);
        // Someone is an admin in one workspace and not in another.
        let mixed = t.users.iter().any(|u| {
            let roles: HashSet<bool> = wm
                .iter()
                .filter(|m| m.user_gid == u.gid)
                .map(|m| m.is_admin)
                .collect();
            roles.len() == 2
        });
        assert!(mixed);
    }

    #[test]
    fn gids_unique_and_token_owners_have_roles() {
        let t = generate_tenant(&small());
        let mut seen = HashSet::new();
        for gid in t
            .workspaces
            .iter()
            .map(|x| &x.gid)
            .chain(t.users.iter().map(|x| &x.gid))
            .chain(t.workspace_memberships.iter().map(|x| &x.gid))
            .chain(t.teams.iter().map(|x| &x.gid))
            .chain(t.team_memberships.iter().map(|x| &x.gid))
        {
            assert!(seen.insert(gid.clone()), "duplicate gid {gid}");
        }
        let org = &t.workspaces[0].gid;
        let org_role = |user: &str| {
            t.workspace_memberships
                .iter()
                .find(|m| m.user_gid == user && &m.workspace_gid == org)
                .map(|m| (m.is_active, m.is_admin, m.is_guest))
        };
        assert_eq!(org_role(&t.token_owners.admin), Some((true, true, false)));
        assert_eq!(org_role(&t.token_owners.member), Some((true, false, false)));
        assert_eq!(org_role(&t.token_owners.guest), Some((true, false, true)));
        // Team members are active organization members.
        let active: HashSet<&str> = t
            .workspace_memberships
            .iter()
            .filter(|m| m.is_active && &m.workspace_gid == org)
            .map(|m| m.user_gid.as_str())
            .collect();
        assert!(t
            .team_memberships
            .iter()
            .all(|m| active.contains(m.user_gid.as_str())));
    }

    #[test]
    fn validate_rejects_nonsense() {
        assert!(GeneratorConfig::default().validate().is_ok());
        assert!(GeneratorConfig {
            admin_ratio: 1.5,
            ..small()
        }
        .validate()
        .is_err());
        assert!(GeneratorConfig {
            admin_ratio: 0.6,
            guest_ratio: 0.6,
            ..small()
        }
        .validate()
        .is_err());
        assert!(GeneratorConfig {
            workspaces: 0,
            ..small()
        }
        .validate()
        .is_err());
        assert!(GeneratorConfig {
            inactive_ratio: f64::NAN,
            ..small()
        }
        .validate()
        .is_err());
    }
}
