//! Teams and team memberships: listing, lookups, add/remove user.

use serde_json::json;

use crate::client::AsanaClient;
use crate::error::{Error, ErrorKind};
use crate::http::{decode_data, ApiRequest};
use crate::limiter::Priority;
use crate::models::{fields, Team, TeamMembership};
use crate::mutation::{absent_if_not_found, is_unknown_user, write_verified, MutationOutcome};
use crate::pagination::ListRequest;

impl AsanaClient {
    /// `GET /teams/{gid}` (name, description, visibility, organization, access levels).
    pub async fn team(&self, gid: &str) -> Result<Team, Error> {
        self.get_with(
            "/teams/{team_gid}",
            vec!["teams".into(), gid.into()],
            fields::TEAM,
            Priority::Normal,
        )
        .await
    }

    /// `GET /workspaces/{gid}/teams`: teams of an organization visible to the token.
    pub fn teams_in_workspace(&self, workspace_gid: &str) -> ListRequest<Team> {
        self.list_with(
            "/workspaces/{workspace_gid}/teams",
            vec!["workspaces".into(), workspace_gid.into(), "teams".into()],
            fields::TEAM,
        )
    }

    /// `GET /teams/{gid}/team_memberships`.
    pub fn team_memberships_for_team(&self, team_gid: &str) -> ListRequest<TeamMembership> {
        self.list_with(
            "/teams/{team_gid}/team_memberships",
            vec!["teams".into(), team_gid.into(), "team_memberships".into()],
            fields::TEAM_MEMBERSHIP,
        )
    }

    /// `GET /users/{user}/team_memberships?workspace={gid}` (`workspace` is required by Asana).
    pub fn team_memberships_for_user(
        &self,
        user: &str,
        workspace_gid: &str,
    ) -> ListRequest<TeamMembership> {
        self.list_with(
            "/users/{user_gid}/team_memberships",
            vec!["users".into(), user.into(), "team_memberships".into()],
            fields::TEAM_MEMBERSHIP,
        )
        .query("workspace", workspace_gid)
    }

    /// `GET /users/{user}/teams?organization={gid}` (`organization` is required by Asana).
    pub fn teams_for_user(&self, user: &str, organization_gid: &str) -> ListRequest<Team> {
        self.list_with(
            "/users/{user_gid}/teams",
            vec!["users".into(), user.into(), "teams".into()],
            fields::TEAM,
        )
        .query("organization", organization_gid)
    }

    /// The user's membership in the team, found among the user's team memberships in the
    /// workspace (a user is in few teams, so this is usually one request). `user` may be a gid,
    /// an e-mail address or `me`. `None` also when Asana does not know the user (a 404 naming the
    /// user parameter).
    pub async fn find_team_membership(
        &self,
        team_gid: &str,
        user_gid: &str,
        workspace_gid: &str,
    ) -> Result<Option<TeamMembership>, Error> {
        match self
            .team_memberships_for_user(user_gid, workspace_gid)
            .collect_all()
            .await
        {
            Ok(all) => Ok(all.into_iter().find(|m| m.team_gid() == Some(team_gid))),
            Err(e) if is_unknown_user(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The organization a team belongs to (one `GET /teams/{gid}`).
    async fn team_organization(&self, team_gid: &str) -> Result<String, Error> {
        let team: Team = self
            .get_with(
                "/teams/{team_gid}",
                vec!["teams".into(), team_gid.into()],
                &["organization"],
                Priority::High,
            )
            .await?;
        team.organization.map(|o| o.gid).ok_or_else(|| {
            Error::new(ErrorKind::MalformedResponse)
                .with_request("GET", &format!("/teams/{team_gid}"))
                .with_detail("team has no `organization`")
        })
    }

    /// `POST /teams/{gid}/addUser`, by gid or e-mail; the user must already be in the team's
    /// organization. Looks the team's organization up first; use
    /// [`AsanaClient::add_user_to_team_in`] when it is known.
    pub async fn add_user_to_team(
        &self,
        team_gid: &str,
        user: &str,
    ) -> Result<MutationOutcome<TeamMembership>, Error> {
        let org = self.team_organization(team_gid).await?;
        self.add_user_to_team_in(team_gid, &org, user).await
    }

    /// [`AsanaClient::add_user_to_team`] for a team of a known organization.
    pub async fn add_user_to_team_in(
        &self,
        team_gid: &str,
        organization_gid: &str,
        user: &str,
    ) -> Result<MutationOutcome<TeamMembership>, Error> {
        if let Some(m) = absent_if_not_found(
            self.find_team_membership(team_gid, user, organization_gid)
                .await,
        )? {
            return Ok(MutationOutcome::AlreadyInState(Some(m)));
        }
        let req = ApiRequest::post(
            "/teams/{team_gid}/addUser",
            vec!["teams".into(), team_gid.into(), "addUser".into()],
            json!({ "data": { "user": user } }),
        )
        .opt_fields(fields::TEAM_MEMBERSHIP);
        let m = write_verified(&self.inner, &req, decode_data::<TeamMembership>, || {
            self.find_team_membership(team_gid, user, organization_gid)
        })
        .await?;
        Ok(MutationOutcome::Applied(m))
    }

    /// `POST /teams/{gid}/removeUser`, by gid or e-mail. `AlreadyInState(None)` when the user is
    /// not in the team. Looks the team's organization up first; use
    /// [`AsanaClient::remove_user_from_team_in`] when it is known.
    pub async fn remove_user_from_team(
        &self,
        team_gid: &str,
        user: &str,
    ) -> Result<MutationOutcome<()>, Error> {
        let org = self.team_organization(team_gid).await?;
        self.remove_user_from_team_in(team_gid, &org, user).await
    }

    /// [`AsanaClient::remove_user_from_team`] for a team of a known organization.
    pub async fn remove_user_from_team_in(
        &self,
        team_gid: &str,
        organization_gid: &str,
        user: &str,
    ) -> Result<MutationOutcome<()>, Error> {
        if self
            .find_team_membership(team_gid, user, organization_gid)
            .await?
            .is_none()
        {
            return Ok(MutationOutcome::AlreadyInState(None));
        }
        let req = ApiRequest::post(
            "/teams/{team_gid}/removeUser",
            vec!["teams".into(), team_gid.into(), "removeUser".into()],
            json!({ "data": { "user": user } }),
        );
        write_verified(
            &self.inner,
            &req,
            |b| decode_data::<serde_json::Value>(b).map(|_| ()),
            || async {
                let m = self
                    .find_team_membership(team_gid, user, organization_gid)
                    .await?;
                Ok(m.is_none().then_some(()))
            },
        )
        .await?;
        Ok(MutationOutcome::Applied(()))
    }
}
