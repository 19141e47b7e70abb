//! The tenant plus the indexes that keep every list endpoint O(page) instead of O(tenant).
//!
//! Objects live in vectors and are addressed by their position ([`Ix`]). Users, workspaces,
//! workspace memberships and teams are never deleted through the API (removal only marks a
//! workspace membership inactive); team memberships are, so they are tombstoned (`None`).

use std::collections::HashMap;

use tracing::warn;

use crate::gid::{gid_cmp, GidAllocator};
use crate::model::WorkspaceMembership;
use crate::model::{Team, TeamMembership, Tenant, TokenOwners, TokenRole, User, Workspace};

/// Position of an object in its store vector.
pub(crate) type Ix = u32;

/// New objects get gids at least this large, above anything a scenario hands out.
const FIRST_RUNTIME_GID: u64 = 1_900_000_000_000_000;

pub(crate) struct Store {
    pub users: Vec<User>,
    pub workspaces: Vec<Workspace>,
    pub workspace_memberships: Vec<WorkspaceMembership>,
    pub teams: Vec<Team>,
    pub team_memberships: Vec<Option<TeamMembership>>,
    pub token_owners: TokenOwners,

    /// Token owner per role (by `TokenRole::index`), `None` if the tenant lacks that user.
    owners: [Option<Ix>; 4],

    user_by_gid: HashMap<String, Ix>,
    user_by_email: HashMap<String, Ix>,
    workspace_by_gid: HashMap<String, Ix>,
    workspace_membership_by_gid: HashMap<String, Ix>,
    team_by_gid: HashMap<String, Ix>,
    team_membership_by_gid: HashMap<String, Ix>,
    team_membership_by_team_user: HashMap<(Ix, Ix), Ix>,

    /// Resolved (user, workspace) of each workspace membership; `None` when it dangles.
    pub wm_links: Vec<Option<(Ix, Ix)>>,
    /// Resolved (user, team) of each live team membership.
    pub tm_links: Vec<Option<(Ix, Ix)>>,
    /// Resolved organization of each team.
    pub team_org: Vec<Option<Ix>>,

    /// All workspaces / users, sorted by gid.
    pub workspaces_sorted: Vec<Ix>,
    pub users_sorted: Vec<Ix>,
    /// Per workspace: its memberships (active and inactive), sorted by membership gid.
    pub workspace_wms: Vec<Vec<Ix>>,
    /// Per workspace: users with an active membership, sorted by user gid.
    pub workspace_active_users: Vec<Vec<Ix>>,
    /// Per workspace: its teams, sorted by team gid (empty for plain workspaces).
    pub workspace_teams: Vec<Vec<Ix>>,
    /// Per user: their workspace memberships, sorted by membership gid.
    pub user_wms: Vec<Vec<Ix>>,
    /// Per team: its memberships, sorted by membership gid.
    pub team_tms: Vec<Vec<Ix>>,
    /// Per user: their team memberships, sorted by membership gid.
    pub user_tms: Vec<Vec<Ix>>,

    pub gids: GidAllocator,
}

fn to_ix(i: usize) -> Ix {
    // Vectors are built from tenants far below 4 billion objects; saturate rather than wrap.
    Ix::try_from(i).unwrap_or(Ix::MAX)
}

fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Inserts `ix` into `list`, keeping it sorted by `gid_of`.
fn insert_sorted<'a>(list: &mut Vec<Ix>, ix: Ix, gid_of: impl Fn(Ix) -> &'a str) {
    let gid = gid_of(ix);
    let pos = list.partition_point(|&other| gid_cmp(gid_of(other), gid).is_lt());
    if list.get(pos) != Some(&ix) {
        list.insert(pos, ix);
    }
}

fn sort_by_gid<'a>(list: &mut [Ix], gid_of: impl Fn(Ix) -> &'a str) {
    list.sort_by(|&a, &b| gid_cmp(gid_of(a), gid_of(b)));
}

/// Index of the first element whose gid is strictly greater than `border` (keyset pagination).
pub(crate) fn position_after<'a>(
    list: &[Ix],
    border: &str,
    gid_of: impl Fn(Ix) -> &'a str,
) -> usize {
    list.partition_point(|&ix| gid_cmp(gid_of(ix), border).is_le())
}

impl Store {
    pub fn new(tenant: Tenant) -> Store {
        let Tenant {
            workspaces,
            users,
            workspace_memberships,
            teams,
            team_memberships,
            token_owners,
        } = tenant;
        let gids = GidAllocator::after(
            workspaces
                .iter()
                .map(|w| w.gid.as_str())
                .chain(users.iter().map(|u| u.gid.as_str()))
                .chain(workspace_memberships.iter().map(|m| m.gid.as_str()))
                .chain(teams.iter().map(|t| t.gid.as_str()))
                .chain(team_memberships.iter().map(|m| m.gid.as_str())),
            FIRST_RUNTIME_GID,
        );
        let mut store = Store {
            users,
            workspaces,
            workspace_memberships,
            teams,
            team_memberships: team_memberships.into_iter().map(Some).collect(),
            token_owners,
            owners: [None; 4],
            user_by_gid: HashMap::new(),
            user_by_email: HashMap::new(),
            workspace_by_gid: HashMap::new(),
            workspace_membership_by_gid: HashMap::new(),
            team_by_gid: HashMap::new(),
            team_membership_by_gid: HashMap::new(),
            team_membership_by_team_user: HashMap::new(),
            wm_links: Vec::new(),
            tm_links: Vec::new(),
            team_org: Vec::new(),
            workspaces_sorted: Vec::new(),
            users_sorted: Vec::new(),
            workspace_wms: Vec::new(),
            workspace_active_users: Vec::new(),
            workspace_teams: Vec::new(),
            user_wms: Vec::new(),
            team_tms: Vec::new(),
            user_tms: Vec::new(),
            gids,
        };
        store.reindex();
        store
    }

    /// The ground truth as plain data (removed team memberships left out).
    pub fn to_tenant(&self) -> Tenant {
        Tenant {
            workspaces: self.workspaces.clone(),
            users: self.users.clone(),
            workspace_memberships: self.workspace_memberships.clone(),
            teams: self.teams.clone(),
            team_memberships: self.team_memberships.iter().flatten().cloned().collect(),
            token_owners: self.token_owners.clone(),
        }
    }

    /// Replaces the tenant after a test edited it, rebuilding every index.
    pub fn replace(&mut self, tenant: Tenant) {
        let previous_next = self.gids.peek();
        *self = Store::new(tenant);
        // Never hand out a gid twice, even if the edit removed the object that used it.
        self.gids = GidAllocator::starting_at(self.gids.peek().max(previous_next));
    }

    fn reindex(&mut self) {
        let (nu, nw, nt) = (self.users.len(), self.workspaces.len(), self.teams.len());

        self.user_by_gid = self
            .users
            .iter()
            .enumerate()
            .map(|(i, u)| (u.gid.clone(), to_ix(i)))
            .collect();
        self.user_by_email = self
            .users
            .iter()
            .enumerate()
            .filter_map(|(i, u)| u.email.as_deref().map(|e| (email_key(e), to_ix(i))))
            .collect();
        self.workspace_by_gid = self
            .workspaces
            .iter()
            .enumerate()
            .map(|(i, w)| (w.gid.clone(), to_ix(i)))
            .collect();
        self.team_by_gid = self
            .teams
            .iter()
            .enumerate()
            .map(|(i, t)| (t.gid.clone(), to_ix(i)))
            .collect();
        self.workspace_membership_by_gid = self
            .workspace_memberships
            .iter()
            .enumerate()
            .map(|(i, m)| (m.gid.clone(), to_ix(i)))
            .collect();
        self.team_membership_by_gid = self
            .team_memberships
            .iter()
            .enumerate()
            .filter_map(|(i, m)| m.as_ref().map(|m| (m.gid.clone(), to_ix(i))))
            .collect();

        self.owners =
            TokenRole::ALL.map(|role| self.user_by_gid.get(self.token_owners.owner(role)).copied());
        for role in TokenRole::ALL {
            if self.owners[role.index()].is_none() {
                warn!(%role, owner = self.token_owners.owner(role), "token owner is not a user of the tenant");
            }
        }

        self.team_org = self
            .teams
            .iter()
            .map(|t| {
                let org = self.workspace_by_gid.get(&t.organization_gid).copied();
                if org.is_none() {
                    warn!(team = %t.gid, "team's organization does not exist; team left unindexed");
                }
                org
            })
            .collect();

        self.wm_links = self
            .workspace_memberships
            .iter()
            .map(|m| {
                let link = self
                    .user_by_gid
                    .get(&m.user_gid)
                    .copied()
                    .zip(self.workspace_by_gid.get(&m.workspace_gid).copied());
                if link.is_none() {
                    warn!(membership = %m.gid, "workspace membership references a missing user or workspace");
                }
                link
            })
            .collect();
        self.tm_links = self
            .team_memberships
            .iter()
            .map(|m| {
                let m = m.as_ref()?;
                let link = self
                    .user_by_gid
                    .get(&m.user_gid)
                    .copied()
                    .zip(self.team_by_gid.get(&m.team_gid).copied());
                if link.is_none() {
                    warn!(membership = %m.gid, "team membership references a missing user or team");
                }
                link
            })
            .collect();

        self.workspaces_sorted = (0..nw).map(to_ix).collect();
        sort_by_gid(&mut self.workspaces_sorted, |i| {
            &self.workspaces[i as usize].gid
        });
        self.users_sorted = (0..nu).map(to_ix).collect();
        sort_by_gid(&mut self.users_sorted, |i| &self.users[i as usize].gid);

        self.workspace_wms = vec![Vec::new(); nw];
        self.user_wms = vec![Vec::new(); nu];
        self.workspace_active_users = vec![Vec::new(); nw];
        for (i, link) in self.wm_links.iter().enumerate() {
            if let Some((user, ws)) = *link {
                self.workspace_wms[ws as usize].push(to_ix(i));
                self.user_wms[user as usize].push(to_ix(i));
                if self.workspace_memberships[i].is_active {
                    self.workspace_active_users[ws as usize].push(user);
                }
            }
        }
        let wm_gid = |i: Ix| self.workspace_memberships[i as usize].gid.as_str();
        for list in self
            .workspace_wms
            .iter_mut()
            .chain(self.user_wms.iter_mut())
        {
            sort_by_gid(list, wm_gid);
        }
        let user_gid = |i: Ix| self.users[i as usize].gid.as_str();
        for list in &mut self.workspace_active_users {
            sort_by_gid(list, user_gid);
            list.dedup();
        }

        self.workspace_teams = vec![Vec::new(); nw];
        for (i, org) in self.team_org.iter().enumerate() {
            if let Some(org) = *org {
                self.workspace_teams[org as usize].push(to_ix(i));
            }
        }
        let team_gid = |i: Ix| self.teams[i as usize].gid.as_str();
        for list in &mut self.workspace_teams {
            sort_by_gid(list, team_gid);
        }

        self.team_tms = vec![Vec::new(); nt];
        self.user_tms = vec![Vec::new(); nu];
        self.team_membership_by_team_user = HashMap::new();
        for (i, link) in self.tm_links.iter().enumerate() {
            if let Some((user, team)) = *link {
                self.team_tms[team as usize].push(to_ix(i));
                self.user_tms[user as usize].push(to_ix(i));
                self.team_membership_by_team_user
                    .insert((team, user), to_ix(i));
            }
        }
        let tm_gid = |i: Ix| {
            self.team_memberships[i as usize]
                .as_ref()
                .map_or("", |m| m.gid.as_str())
        };
        for list in self.team_tms.iter_mut().chain(self.user_tms.iter_mut()) {
            sort_by_gid(list, tm_gid);
        }
    }

    // ---- lookups -------------------------------------------------------------------------

    pub fn owner(&self, role: TokenRole) -> Option<Ix> {
        self.owners[role.index()]
    }

    pub fn user(&self, ix: Ix) -> &User {
        &self.users[ix as usize]
    }
    pub fn workspace(&self, ix: Ix) -> &Workspace {
        &self.workspaces[ix as usize]
    }
    pub fn wm(&self, ix: Ix) -> &WorkspaceMembership {
        &self.workspace_memberships[ix as usize]
    }
    pub fn team(&self, ix: Ix) -> &Team {
        &self.teams[ix as usize]
    }
    /// A live team membership. Callers only hold indexes taken from the live indexes.
    pub fn tm(&self, ix: Ix) -> Option<&TeamMembership> {
        self.team_memberships
            .get(ix as usize)
            .and_then(Option::as_ref)
    }

    pub fn user_by_gid(&self, gid: &str) -> Option<Ix> {
        self.user_by_gid.get(gid).copied()
    }
    pub fn user_by_email(&self, email: &str) -> Option<Ix> {
        self.user_by_email.get(&email_key(email)).copied()
    }
    pub fn workspace_by_gid(&self, gid: &str) -> Option<Ix> {
        self.workspace_by_gid.get(gid).copied()
    }
    pub fn wm_by_gid(&self, gid: &str) -> Option<Ix> {
        self.workspace_membership_by_gid.get(gid).copied()
    }
    pub fn team_by_gid(&self, gid: &str) -> Option<Ix> {
        self.team_by_gid.get(gid).copied()
    }
    pub fn tm_by_gid(&self, gid: &str) -> Option<Ix> {
        self.team_membership_by_gid.get(gid).copied()
    }
    pub fn tm_for(&self, team: Ix, user: Ix) -> Option<Ix> {
        self.team_membership_by_team_user
            .get(&(team, user))
            .copied()
    }

    /// Resolves a user reference as Asana accepts it: `me`, an e-mail address, or a gid.
    pub fn resolve_user_ref(&self, reference: &str, me: Option<Ix>) -> Option<Ix> {
        if reference == "me" {
            me
        } else if reference.contains('@') {
            self.user_by_email(reference)
        } else {
            self.user_by_gid(reference)
        }
    }

    pub fn wm_link(&self, ix: Ix) -> Option<(Ix, Ix)> {
        self.wm_links.get(ix as usize).copied().flatten()
    }
    pub fn tm_link(&self, ix: Ix) -> Option<(Ix, Ix)> {
        self.tm_links.get(ix as usize).copied().flatten()
    }

    /// Active memberships of `user` in `workspace`.
    pub fn active_wms(&self, user: Ix, workspace: Ix) -> impl Iterator<Item = Ix> + '_ {
        self.user_wms[user as usize]
            .iter()
            .copied()
            .filter(move |&m| {
                self.wm_link(m).map(|(_, w)| w) == Some(workspace) && self.wm(m).is_active
            })
    }

    // ---- index maintenance for writes ----------------------------------------------------

    pub fn push_user(&mut self, user: User) -> Ix {
        let ix = to_ix(self.users.len());
        self.user_by_gid.insert(user.gid.clone(), ix);
        if let Some(email) = user.email.as_deref() {
            self.user_by_email.insert(email_key(email), ix);
        }
        self.users.push(user);
        self.user_wms.push(Vec::new());
        self.user_tms.push(Vec::new());
        let users = &self.users;
        insert_sorted(&mut self.users_sorted, ix, |i| &users[i as usize].gid);
        ix
    }

    pub fn push_workspace_membership(
        &mut self,
        membership: WorkspaceMembership,
        user: Ix,
        workspace: Ix,
    ) -> Ix {
        let ix = to_ix(self.workspace_memberships.len());
        let active = membership.is_active;
        self.workspace_membership_by_gid
            .insert(membership.gid.clone(), ix);
        self.workspace_memberships.push(membership);
        self.wm_links.push(Some((user, workspace)));
        let wms = &self.workspace_memberships;
        let wm_gid = |i: Ix| wms[i as usize].gid.as_str();
        insert_sorted(&mut self.workspace_wms[workspace as usize], ix, wm_gid);
        insert_sorted(&mut self.user_wms[user as usize], ix, wm_gid);
        if active {
            self.index_active_user(user, workspace);
        }
        ix
    }

    pub fn index_active_user(&mut self, user: Ix, workspace: Ix) {
        let users = &self.users;
        insert_sorted(
            &mut self.workspace_active_users[workspace as usize],
            user,
            |i| &users[i as usize].gid,
        );
    }

    pub fn unindex_active_user(&mut self, user: Ix, workspace: Ix) {
        self.workspace_active_users[workspace as usize].retain(|&u| u != user);
    }

    pub fn push_team_membership(&mut self, membership: TeamMembership, user: Ix, team: Ix) -> Ix {
        let ix = to_ix(self.team_memberships.len());
        self.team_membership_by_gid
            .insert(membership.gid.clone(), ix);
        self.team_membership_by_team_user.insert((team, user), ix);
        self.team_memberships.push(Some(membership));
        self.tm_links.push(Some((user, team)));
        let tms = &self.team_memberships;
        let tm_gid = |i: Ix| tms[i as usize].as_ref().map_or("", |m| m.gid.as_str());
        insert_sorted(&mut self.team_tms[team as usize], ix, tm_gid);
        insert_sorted(&mut self.user_tms[user as usize], ix, tm_gid);
        ix
    }

    pub fn delete_team_membership(&mut self, ix: Ix) {
        let Some(Some(membership)) = self.team_memberships.get_mut(ix as usize).map(Option::take)
        else {
            return;
        };
        self.team_membership_by_gid.remove(&membership.gid);
        if let Some((user, team)) = self.tm_links.get_mut(ix as usize).and_then(Option::take) {
            self.team_membership_by_team_user.remove(&(team, user));
            self.team_tms[team as usize].retain(|&m| m != ix);
            self.user_tms[user as usize].retain(|&m| m != ix);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quirks::{self, quirks_tenant};

    #[test]
    fn round_trips_the_tenant() {
        let tenant = quirks_tenant();
        let store = Store::new(tenant.clone());
        assert_eq!(store.to_tenant(), tenant);
    }

    #[test]
    fn indexes_are_sorted_by_gid() {
        let store = Store::new(quirks_tenant());
        for list in &store.workspace_wms {
            assert!(list
                .windows(2)
                .all(|w| gid_cmp(&store.wm(w[0]).gid, &store.wm(w[1]).gid).is_lt()));
        }
        for list in &store.team_tms {
            assert!(list.windows(2).all(|w| {
                let (a, b) = (store.tm(w[0]), store.tm(w[1]));
                matches!((a, b), (Some(a), Some(b)) if gid_cmp(&a.gid, &b.gid).is_lt())
            }));
        }
    }

    #[test]
    fn resolves_user_references() {
        let store = Store::new(quirks_tenant());
        let ada = store.user_by_gid(quirks::ADMIN_USER);
        assert!(ada.is_some());
        assert_eq!(store.resolve_user_ref("ADA@quirks.example", None), ada);
        assert_eq!(store.resolve_user_ref("me", ada), ada);
        assert_eq!(store.resolve_user_ref(quirks::ADMIN_USER, None), ada);
        assert_eq!(store.resolve_user_ref("nobody@nowhere.example", None), None);
    }

    #[test]
    fn dangling_references_do_not_panic() {
        let mut tenant = quirks_tenant();
        tenant.team_memberships[0].user_gid = "404".to_string();
        tenant.workspace_memberships[0].workspace_gid = "404".to_string();
        tenant.teams[0].organization_gid = "404".to_string();
        let store = Store::new(tenant);
        assert!(store.tm_link(0).is_none());
        assert!(store.wm_link(0).is_none());
    }
}
