//! The four writes (workspace and team `addUser`/`removeUser`) with their permission rules.
//! The crate docs list the rules and which of them are our choice where Asana is silent.

use crate::api_error::ApiError;
use crate::model::{TeamMembership, User, WorkspaceMembership, ACCESS_ONLY_TEAM_ADMINS};
use crate::store::{Ix, Store};
use crate::visibility::{Access, Viewer};

/// Whether a write created something or found it already in place (idempotent repeat).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Applied<T> {
    Created(T),
    Existing(T),
}

impl<T: Copy> Applied<T> {
    pub fn value(&self) -> T {
        match *self {
            Applied::Created(v) | Applied::Existing(v) => v,
        }
    }
}

fn email_domain(email: &str) -> Option<&str> {
    email.rsplit_once('@').map(|(_, domain)| domain)
}

impl Store {
    /// A workspace named in a path, if the viewer may see it.
    pub fn visible_workspace(&self, viewer: Viewer, gid: &str) -> Result<Ix, ApiError> {
        match self.workspace_by_gid(gid) {
            Some(w) if self.workspace_visible(viewer, w) => Ok(w),
            Some(_) => Err(ApiError::unknown_object("workspace", gid)),
            None => Err(not_found_or_malformed("workspace", gid)),
        }
    }

    pub fn visible_team(&self, viewer: Viewer, gid: &str) -> Result<Ix, ApiError> {
        match self.team_by_gid(gid) {
            Some(t) if self.team_visible(viewer, t) => Ok(t),
            Some(_) => Err(ApiError::unknown_object("team", gid)),
            None => Err(not_found_or_malformed("team", gid)),
        }
    }

    /// A user named by gid, e-mail or `me`, if the viewer may see them.
    pub fn visible_user(&self, viewer: Viewer, reference: &str) -> Result<Ix, ApiError> {
        match self.resolve_user_ref(reference, viewer.me()) {
            Some(u) if self.user_visible(viewer, u) => Ok(u),
            Some(_) => Err(ApiError::unknown_object("user", reference)),
            None => Err(user_not_found(reference)),
        }
    }

    /// A user named in a write body. Existence is enough: inviting needs no prior visibility.
    fn existing_user(&self, viewer: Viewer, reference: &str) -> Result<Ix, ApiError> {
        self.resolve_user_ref(reference, viewer.me())
            .ok_or_else(|| user_not_found(reference))
    }

    /// `POST /workspaces/{gid}/addUser`. Any non-guest member (or the service account) may add.
    /// An active member is returned unchanged; anyone else gets a new active membership (a
    /// removed user's old inactive membership stays). Unknown e-mail addresses are invited:
    /// a new user is created. In an organization, addresses outside its domains become guests.
    pub fn add_user_to_workspace(
        &mut self,
        viewer: Viewer,
        workspace_gid: &str,
        user_ref: &str,
        now: &str,
    ) -> Result<Applied<Ix>, ApiError> {
        let workspace = self.visible_workspace(viewer, workspace_gid)?;
        if let Viewer::Pat { user: me } = viewer {
            if self.access(me, workspace) == Some(Access::Guest) {
                return Err(ApiError::forbidden(format!(
                    "Guests cannot add users to workspace {workspace_gid}."
                )));
            }
        }
        let user = match self.existing_user(viewer, user_ref) {
            Ok(user) => user,
            Err(_) if user_ref.contains('@') => {
                let gid = self.gids.next_gid();
                let email = user_ref.trim().to_string();
                self.push_user(User {
                    gid,
                    name: email.clone(),
                    email: Some(email),
                })
            }
            Err(err) => return Err(err),
        };
        if self.active_wms(user, workspace).next().is_some() {
            return Ok(Applied::Existing(user));
        }
        let ws = self.workspace(workspace);
        let is_guest = ws.is_organization
            && !self
                .user(user)
                .email
                .as_deref()
                .and_then(email_domain)
                .is_some_and(|domain| {
                    ws.email_domains
                        .iter()
                        .any(|d| d.eq_ignore_ascii_case(domain))
                });
        let workspace_gid = ws.gid.clone();
        let membership = WorkspaceMembership {
            gid: self.gids.next_gid(),
            user_gid: self.user(user).gid.clone(),
            workspace_gid,
            is_active: true,
            is_admin: false,
            is_guest,
            is_view_only: false,
            created_at: now.to_string(),
        };
        self.push_workspace_membership(membership, user, workspace);
        Ok(Applied::Created(user))
    }

    /// `POST /workspaces/{gid}/removeUser`. Only workspace admins (and the service account).
    /// Marks the user's active memberships inactive and takes them out of the workspace's teams.
    /// A user without an active membership is a 400.
    pub fn remove_user_from_workspace(
        &mut self,
        viewer: Viewer,
        workspace_gid: &str,
        user_ref: &str,
    ) -> Result<(), ApiError> {
        let workspace = self.visible_workspace(viewer, workspace_gid)?;
        if let Viewer::Pat { user: me } = viewer {
            if self.access(me, workspace) != Some(Access::Member { admin: true }) {
                return Err(ApiError::forbidden(format!(
                    "You must be an admin of workspace {workspace_gid} to remove users from it."
                )));
            }
        }
        let user = self.existing_user(viewer, user_ref)?;
        let active: Vec<Ix> = self.active_wms(user, workspace).collect();
        if active.is_empty() {
            return Err(ApiError::bad_request(format!(
                "user: {user_ref} is not an active member of workspace {workspace_gid}"
            )));
        }
        for m in active {
            self.workspace_memberships[m as usize].is_active = false;
        }
        self.unindex_active_user(user, workspace);
        let in_workspace_teams: Vec<Ix> = self.user_tms[user as usize]
            .iter()
            .copied()
            .filter(|&m| {
                self.tm_link(m)
                    .is_some_and(|(_, team)| self.team_org[team as usize] == Some(workspace))
            })
            .collect();
        for m in in_workspace_teams {
            self.delete_team_membership(m);
        }
        Ok(())
    }

    /// Whether a PAT may change the team's members: org admins always; otherwise team members,
    /// and only team admins when the team restricts the action. Guests of the organization may
    /// only remove themselves.
    fn check_team_permission(
        &self,
        viewer: Viewer,
        team: Ix,
        restriction_level: &str,
        action: &str,
        self_removal: bool,
    ) -> Result<(), ApiError> {
        let Viewer::Pat { user: me } = viewer else {
            return Ok(());
        };
        let team_gid = &self.team(team).gid;
        let org_access = self.team_org[team as usize].and_then(|org| self.access(me, org));
        if org_access == Some(Access::Member { admin: true }) {
            return Ok(());
        }
        let my_membership = self.tm_for(team, me).and_then(|m| self.tm(m));
        let Some(my_membership) = my_membership else {
            return Err(ApiError::forbidden(format!(
                "You must be a member of team {team_gid} or an organization admin to {action} it."
            )));
        };
        if self_removal {
            return Ok(());
        }
        if org_access == Some(Access::Guest) {
            return Err(ApiError::forbidden(format!(
                "Guests cannot {action} team {team_gid}."
            )));
        }
        if restriction_level == ACCESS_ONLY_TEAM_ADMINS && !my_membership.is_admin {
            return Err(ApiError::forbidden(format!(
                "Only team admins can {action} team {team_gid}: the team's settings restrict this to team admins."
            )));
        }
        Ok(())
    }

    /// `POST /teams/{gid}/addUser`. The user must be an active member of the team's
    /// organization (400 otherwise). An existing membership is returned unchanged.
    pub fn add_user_to_team(
        &mut self,
        viewer: Viewer,
        team_gid: &str,
        user_ref: &str,
    ) -> Result<Applied<Ix>, ApiError> {
        let team = self.visible_team(viewer, team_gid)?;
        let level = self
            .team(team)
            .member_invite_management_access_level
            .clone();
        self.check_team_permission(viewer, team, &level, "add members to", false)?;
        let user = self.existing_user(viewer, user_ref)?;
        let Some(org) = self.team_org[team as usize] else {
            return Err(ApiError::unknown_object("team", team_gid));
        };
        let Some(access) = self.access(user, org) else {
            return Err(ApiError::bad_request(format!(
                "user: {user_ref} is not a member of organization {}; add them to the organization first",
                self.workspace(org).gid
            )));
        };
        if let Some(existing) = self.tm_for(team, user) {
            return Ok(Applied::Existing(existing));
        }
        let membership = TeamMembership {
            gid: self.gids.next_gid(),
            user_gid: self.user(user).gid.clone(),
            team_gid: team_gid.to_string(),
            is_admin: false,
            is_guest: access == Access::Guest,
            is_limited_access: false,
        };
        Ok(Applied::Created(
            self.push_team_membership(membership, user, team),
        ))
    }

    /// `POST /teams/{gid}/removeUser`. A user who is not a member is a 400.
    pub fn remove_user_from_team(
        &mut self,
        viewer: Viewer,
        team_gid: &str,
        user_ref: &str,
    ) -> Result<(), ApiError> {
        let team = self.visible_team(viewer, team_gid)?;
        let user = self.existing_user(viewer, user_ref)?;
        let level = self.team(team).team_member_removal_access_level.clone();
        let self_removal = viewer.me() == Some(user);
        self.check_team_permission(viewer, team, &level, "remove members from", self_removal)?;
        let Some(membership) = self.tm_for(team, user) else {
            return Err(ApiError::bad_request(format!(
                "user: {user_ref} is not a member of team {team_gid}"
            )));
        };
        self.delete_team_membership(membership);
        Ok(())
    }
}

/// 404 for well-formed unknown gids, 400 for values that cannot be gids.
pub(crate) fn not_found_or_malformed(param: &str, value: &str) -> ApiError {
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        ApiError::unknown_object(param, value)
    } else {
        ApiError::unrecognized_id(param, value)
    }
}

fn user_not_found(reference: &str) -> ApiError {
    if reference == "me" || reference.contains('@') {
        ApiError::unknown_object("user", reference)
    } else {
        not_found_or_malformed("user", reference)
    }
}
