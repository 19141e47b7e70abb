//! Workspaces and workspace memberships: listing, lookups, add/remove user.

use serde_json::json;

use crate::client::AsanaClient;
use crate::error::{Error, ErrorKind};
use crate::http::{decode_data, ApiRequest};
use crate::limiter::Priority;
use crate::models::{fields, User, Workspace, WorkspaceMembership};
use crate::mutation::{absent_if_not_found, is_unknown_user, write_verified, MutationOutcome};
use crate::pagination::ListRequest;

/// The membership that describes a user's standing in a workspace: the active one if any (the
/// newest if several), else the newest inactive one. `created_at` is ISO-8601 in one format, so it
/// orders as a string; among equal or missing dates the later one in Asana's order wins.
pub fn pick_workspace_membership(
    memberships: Vec<WorkspaceMembership>,
) -> Option<WorkspaceMembership> {
    let mut best: Option<WorkspaceMembership> = None;
    for m in memberships {
        let better = match &best {
            None => true,
            Some(b) => {
                let (ma, ba) = (m.is_active == Some(true), b.is_active == Some(true));
                (ma && !ba) || (ma == ba && m.created_at >= b.created_at)
            }
        };
        if better {
            best = Some(m);
        }
    }
    best
}

fn is_active(m: &Option<WorkspaceMembership>) -> bool {
    m.as_ref().is_some_and(|m| m.is_active == Some(true))
}

impl AsanaClient {
    /// `GET /workspaces/{gid}` (name, is_organization, email_domains).
    pub async fn workspace(&self, gid: &str) -> Result<Workspace, Error> {
        self.get_with(
            "/workspaces/{workspace_gid}",
            vec!["workspaces".into(), gid.into()],
            fields::WORKSPACE,
            Priority::Normal,
        )
        .await
    }

    /// `GET /workspaces`: the workspaces the token's user belongs to.
    pub fn workspaces(&self) -> ListRequest<Workspace> {
        self.list_with("/workspaces", vec!["workspaces".into()], fields::WORKSPACE)
    }

    /// `GET /workspaces/{gid}/workspace_memberships`: every membership, inactive ones included.
    /// Add `.query("user", ..)` to filter by user.
    pub fn workspace_memberships(&self, workspace_gid: &str) -> ListRequest<WorkspaceMembership> {
        self.list_with(
            "/workspaces/{workspace_gid}/workspace_memberships",
            vec![
                "workspaces".into(),
                workspace_gid.into(),
                "workspace_memberships".into(),
            ],
            fields::WORKSPACE_MEMBERSHIP,
        )
    }

    /// `GET /users/{user}/workspace_memberships` (`user`: gid, e-mail or `me`).
    pub fn user_workspace_memberships(&self, user: &str) -> ListRequest<WorkspaceMembership> {
        self.list_with(
            "/users/{user_gid}/workspace_memberships",
            vec!["users".into(), user.into(), "workspace_memberships".into()],
            fields::WORKSPACE_MEMBERSHIP,
        )
    }

    /// The user's membership in the workspace (`?user=` filter): the active one if any, else the
    /// newest; `None` if the user never was a member or Asana does not know the user (a 404
    /// naming the `user` parameter). A 404 for the workspace is an error.
    pub async fn find_workspace_membership(
        &self,
        workspace_gid: &str,
        user: &str,
    ) -> Result<Option<WorkspaceMembership>, Error> {
        match self
            .workspace_memberships(workspace_gid)
            .query("user", user)
            .collect_all()
            .await
        {
            Ok(all) => Ok(pick_workspace_membership(all)),
            Err(e) if is_unknown_user(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `POST /workspaces/{gid}/addUser`, by gid or e-mail. `AlreadyInState` (with the user) when
    /// an active membership exists; verified by reading the membership back if the outcome of the
    /// write is unknown.
    pub async fn add_user_to_workspace(
        &self,
        workspace_gid: &str,
        user: &str,
    ) -> Result<MutationOutcome<User>, Error> {
        let existing =
            absent_if_not_found(self.find_workspace_membership(workspace_gid, user).await)?;
        if is_active(&existing) {
            let user = existing.and_then(|m| m.user);
            return Ok(MutationOutcome::AlreadyInState(user));
        }
        let req = ApiRequest::post(
            "/workspaces/{workspace_gid}/addUser",
            vec!["workspaces".into(), workspace_gid.into(), "addUser".into()],
            json!({ "data": { "user": user } }),
        )
        .opt_fields(fields::USER);
        let added = write_verified(&self.inner, &req, decode_data::<User>, || async {
            let m = self.find_workspace_membership(workspace_gid, user).await?;
            if !is_active(&m) {
                return Ok(None);
            }
            match m.and_then(|m| m.user) {
                Some(u) => Ok(Some(u)),
                None => Err(Error::new(ErrorKind::MalformedResponse)
                    .with_detail("workspace membership without `user`")),
            }
        })
        .await?;
        Ok(MutationOutcome::Applied(added))
    }

    /// `POST /workspaces/{gid}/removeUser` (needs a workspace admin). `AlreadyInState(None)` when
    /// the user has no active membership; verified by reading back if the outcome is unknown.
    pub async fn remove_user_from_workspace(
        &self,
        workspace_gid: &str,
        user: &str,
    ) -> Result<MutationOutcome<()>, Error> {
        let existing = self.find_workspace_membership(workspace_gid, user).await?;
        if !is_active(&existing) {
            return Ok(MutationOutcome::AlreadyInState(None));
        }
        let req = ApiRequest::post(
            "/workspaces/{workspace_gid}/removeUser",
            vec![
                "workspaces".into(),
                workspace_gid.into(),
                "removeUser".into(),
            ],
            json!({ "data": { "user": user } }),
        );
        write_verified(
            &self.inner,
            &req,
            |b| decode_data::<serde_json::Value>(b).map(|_| ()),
            || async {
                let m = self.find_workspace_membership(workspace_gid, user).await?;
                Ok((!is_active(&m)).then_some(()))
            },
        )
        .await?;
        Ok(MutationOutcome::Applied(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(gid: &str, active: bool, created: Option<&str>) -> WorkspaceMembership {
        WorkspaceMembership {
            gid: gid.into(),
            is_active: Some(active),
            created_at: created.map(str::to_owned),
            ..WorkspaceMembership::default()
        }
    }

    #[test]
    fn active_wins_then_newest() {
        let got = pick_workspace_membership(vec![
            m("old", false, Some("2020-01-01T00:00:00.000Z")),
            m("new", true, Some("2023-01-01T00:00:00.000Z")),
            m("newest-inactive", false, Some("2024-01-01T00:00:00.000Z")),
        ]);
        assert_eq!(got.map(|m| m.gid).as_deref(), Some("new"));
        let got = pick_workspace_membership(vec![
            m("a", false, Some("2021-01-01T00:00:00.000Z")),
            m("b", false, Some("2020-01-01T00:00:00.000Z")),
        ]);
        assert_eq!(got.map(|m| m.gid).as_deref(), Some("a"));
        assert_eq!(pick_workspace_membership(vec![]), None);
    }
}
