//! Who sees what. One set of rules, used by every HTTP handler and by
//! [`crate::SimServer::visible_tenant`]; the crate docs state them in prose.

use crate::model::{Tenant, TokenRole, VISIBILITY_SECRET};
use crate::store::{Ix, Store};

/// The identity behind a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Viewer {
    /// Enterprise service account with full permissions: sees everything.
    Service { user: Option<Ix> },
    /// A personal access token acting as `user`.
    Pat { user: Ix },
}

impl Viewer {
    pub fn for_role(store: &Store, role: TokenRole) -> Option<Viewer> {
        let owner = store.owner(role);
        match role {
            TokenRole::ServiceAccount => Some(Viewer::Service { user: owner }),
            _ => owner.map(|user| Viewer::Pat { user }),
        }
    }

    /// The user `me` refers to.
    pub fn me(self) -> Option<Ix> {
        match self {
            Viewer::Service { user } => user,
            Viewer::Pat { user } => Some(user),
        }
    }
}

/// How a user takes part in a workspace, from their active membership.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    Member { admin: bool },
    Guest,
}

impl Store {
    /// The user's role in the workspace; `None` without an active membership. A non-guest
    /// membership wins over a guest one should a tenant hold both.
    pub fn access(&self, user: Ix, workspace: Ix) -> Option<Access> {
        let mut best = None;
        for m in self.active_wms(user, workspace) {
            let membership = self.wm(m);
            if !membership.is_guest {
                return Some(Access::Member {
                    admin: membership.is_admin,
                });
            }
            best = Some(Access::Guest);
        }
        best
    }

    pub fn workspace_visible(&self, viewer: Viewer, workspace: Ix) -> bool {
        match viewer {
            Viewer::Service { .. } => true,
            Viewer::Pat { user } => self.access(user, workspace).is_some(),
        }
    }

    /// Whether the viewer's (non-guest) access to `workspace` lets it see every member.
    fn sees_all_members_of(&self, viewer: Viewer, workspace: Ix) -> bool {
        match viewer {
            Viewer::Service { .. } => true,
            Viewer::Pat { user } => {
                matches!(self.access(user, workspace), Some(Access::Member { .. }))
            }
        }
    }

    /// Does the viewer see `user` as part of `workspace`? Full members see everyone with a
    /// membership (active or not); guests see themselves and their teammates only.
    pub fn user_visible_in(&self, viewer: Viewer, user: Ix, workspace: Ix) -> bool {
        match viewer {
            Viewer::Service { .. } => true,
            Viewer::Pat { user: me } => match self.access(me, workspace) {
                None => false,
                Some(Access::Member { .. }) => self.user_wms[user as usize]
                    .iter()
                    .any(|&m| self.wm_link(m).map(|(_, w)| w) == Some(workspace)),
                Some(Access::Guest) => me == user || self.share_a_team_in(me, user, workspace),
            },
        }
    }

    fn share_a_team_in(&self, me: Ix, other: Ix, workspace: Ix) -> bool {
        self.user_tms[me as usize].iter().any(|&m| {
            self.tm_link(m).is_some_and(|(_, team)| {
                self.team_org[team as usize] == Some(workspace)
                    && self.tm_for(team, other).is_some()
            })
        })
    }

    pub fn user_visible(&self, viewer: Viewer, user: Ix) -> bool {
        match viewer {
            Viewer::Service { .. } => true,
            Viewer::Pat { user: me } => {
                me == user
                    || self.user_wms[user as usize].iter().any(|&m| {
                        self.wm_link(m).is_some_and(|(_, workspace)| {
                            self.user_visible_in(viewer, user, workspace)
                        })
                    })
            }
        }
    }

    /// E-mail addresses are shown to the service account, to the user themself, and to PATs that
    /// are full (non-guest) members of a workspace the user belongs to.
    pub fn email_visible(&self, viewer: Viewer, user: Ix) -> bool {
        match viewer {
            Viewer::Service { .. } => true,
            Viewer::Pat { user: me } => {
                me == user
                    || self.user_wms[user as usize].iter().any(|&m| {
                        self.wm_link(m).is_some_and(|(_, workspace)| {
                            self.sees_all_members_of(viewer, workspace)
                        })
                    })
            }
        }
    }

    /// Public and request-to-join teams of the viewer's organizations (when it is a full member
    /// there), plus any team the viewer belongs to.
    pub fn team_visible(&self, viewer: Viewer, team: Ix) -> bool {
        let Some(org) = self.team_org[team as usize] else {
            return false;
        };
        match viewer {
            Viewer::Service { .. } => true,
            Viewer::Pat { user } => match self.access(user, org) {
                None => false,
                Some(access) => {
                    self.tm_for(team, user).is_some()
                        || (matches!(access, Access::Member { .. })
                            && self.team(team).visibility != VISIBILITY_SECRET)
                }
            },
        }
    }

    pub fn wm_visible(&self, viewer: Viewer, membership: Ix) -> bool {
        self.wm_link(membership)
            .is_some_and(|(user, workspace)| self.user_visible_in(viewer, user, workspace))
    }

    pub fn tm_visible(&self, viewer: Viewer, membership: Ix) -> bool {
        self.tm_link(membership)
            .is_some_and(|(_, team)| self.team_visible(viewer, team))
    }

    /// Exactly what the viewer can read through the API, as plain data.
    pub fn visible_tenant(&self, viewer: Viewer) -> Tenant {
        let users = (0..self.users.len())
            .filter_map(|i| Ix::try_from(i).ok())
            .filter(|&u| self.user_visible(viewer, u))
            .map(|u| {
                let mut user = self.user(u).clone();
                if !self.email_visible(viewer, u) {
                    user.email = None;
                }
                user
            })
            .collect();
        let workspaces = (0..self.workspaces.len())
            .filter_map(|i| Ix::try_from(i).ok())
            .filter(|&w| self.workspace_visible(viewer, w))
            .map(|w| self.workspace(w).clone())
            .collect();
        let workspace_memberships = (0..self.workspace_memberships.len())
            .filter_map(|i| Ix::try_from(i).ok())
            .filter(|&m| self.wm_visible(viewer, m))
            .map(|m| self.wm(m).clone())
            .collect();
        let teams = (0..self.teams.len())
            .filter_map(|i| Ix::try_from(i).ok())
            .filter(|&t| self.team_visible(viewer, t))
            .map(|t| self.team(t).clone())
            .collect();
        let team_memberships = (0..self.team_memberships.len())
            .filter_map(|i| Ix::try_from(i).ok())
            .filter(|&m| self.tm_visible(viewer, m))
            .filter_map(|m| self.tm(m).cloned())
            .collect();
        Tenant {
            workspaces,
            users,
            workspace_memberships,
            teams,
            team_memberships,
            token_owners: self.token_owners.clone(),
        }
    }
}
