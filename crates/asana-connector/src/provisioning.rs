//! Granting and revoking workspace and team membership.
//!
//! Asana's REST API can add and remove members; it cannot set or clear the
//! admin, guest or limited-access flags. Everything it cannot do is refused
//! before any API call, with the reason. Every operation is idempotent: the
//! current state is read first, and "already so" is a success annotated
//! `GrantAlreadyExists` / `GrantAlreadyRevoked`.

use asana_api::{Error as ApiError, ErrorKind, MutationOutcome};
use async_trait::async_trait;
use baton_connector::{ConnectorError, ErrorCode, GrantOutcome, Provisioner, RevokeOutcome};
use baton_proto::v2::{
    Entitlement, Grant, GrantAlreadyExists, GrantAlreadyRevoked, GrantImmutable, Resource,
};
use baton_proto::{find_annotation, pack_any};

use crate::errors::from_api;
use crate::mapping::{
    self, TEAM_ADMIN, TEAM_GUEST, TEAM_LIMITED_ACCESS, TEAM_MEMBER, WORKSPACE_ADMIN,
    WORKSPACE_GUEST, WORKSPACE_MEMBER,
};
use crate::resource_types::{TEAM, USER, WORKSPACE};
use crate::syncers::{TeamSyncer, WorkspaceSyncer};

/// Team roles Asana's API cannot assign or remove.
const TEAM_READ_ONLY: &[&str] = &[TEAM_ADMIN, TEAM_LIMITED_ACCESS, TEAM_GUEST];

const ADMIN_CONSOLE_HINT: &str =
    "Asana's API cannot assign or remove this role; change it in Asana's admin console";

/// The user gid of a grant principal; only users can be granted Asana access.
fn user_gid(principal: Option<&Resource>) -> Result<&str, ConnectorError> {
    let id = principal
        .and_then(|p| p.id.as_ref())
        .ok_or_else(|| ConnectorError::invalid_argument("the grant has no principal"))?;
    if id.resource_type != USER {
        return Err(ConnectorError::invalid_argument(format!(
            "principal {}:{} is not a user; only users can hold Asana workspace or team access",
            id.resource_type, id.resource
        )));
    }
    if id.resource.is_empty() {
        return Err(ConnectorError::invalid_argument(
            "the principal's user id is empty",
        ));
    }
    Ok(&id.resource)
}

/// The (resource gid, slug) an entitlement of `expected_type` names.
fn entitlement_target<'a>(
    entitlement: &'a Entitlement,
    expected_type: &str,
) -> Result<(&'a str, String), ConnectorError> {
    let id = entitlement
        .resource
        .as_ref()
        .and_then(|r| r.id.as_ref())
        .ok_or_else(|| {
            ConnectorError::invalid_argument(format!(
                "entitlement {:?} has no resource",
                entitlement.id
            ))
        })?;
    if id.resource_type != expected_type {
        return Err(ConnectorError::invalid_argument(format!(
            "entitlement {:?} is not a {expected_type} entitlement",
            entitlement.id
        )));
    }
    let prefix = format!("{}:{}:", id.resource_type, id.resource);
    let slug = if entitlement.slug.is_empty() {
        entitlement
            .id
            .strip_prefix(&prefix)
            .unwrap_or_default()
            .to_owned()
    } else {
        entitlement.slug.clone()
    };
    Ok((&id.resource, slug))
}

/// The user, resource gid and slug a grant of `expected_type` names.
fn grant_target<'a>(
    grant: &'a Grant,
    expected_type: &str,
) -> Result<(&'a str, &'a str, String), ConnectorError> {
    let user = user_gid(grant.principal.as_ref())?;
    let entitlement = grant
        .entitlement
        .as_ref()
        .ok_or_else(|| ConnectorError::invalid_argument("the grant has no entitlement"))?;
    let (gid, slug) = entitlement_target(entitlement, expected_type)?;
    Ok((user, gid, slug))
}

/// Accepts `slug` if it is in `changeable`; refuses the roles Asana's API
/// cannot change, and unknown slugs, with the reason.
fn check_slug(
    slug: &str,
    changeable: &[&str],
    read_only: &[&str],
    what: &str,
    target: &str,
) -> Result<(), ConnectorError> {
    if changeable.contains(&slug) {
        Ok(())
    } else if read_only.contains(&slug) {
        Err(refuse_role(what, slug, target))
    } else {
        Err(unknown_slug(slug, target))
    }
}

/// The organization a team belongs to, read from Asana (the c1z may be stale).
async fn team_organization(
    client: &asana_api::AsanaClient,
    team_gid: &str,
    action: &str,
) -> Result<String, ConnectorError> {
    let team = client
        .team(team_gid)
        .await
        .map_err(|e| mutation_error(e, action, "the token's user cannot see this team"))?;
    team.organization.map(|o| o.gid).ok_or_else(|| {
        ConnectorError::internal(format!(
            "Asana did not say which organization team {team_gid} belongs to"
        ))
    })
}

fn refuse_role(what: &str, slug: &str, target: &str) -> ConnectorError {
    ConnectorError::new(
        ErrorCode::FailedPrecondition,
        format!("cannot {what} the {slug:?} role of {target}: {ADMIN_CONSOLE_HINT}"),
    )
}

fn unknown_slug(slug: &str, target: &str) -> ConnectorError {
    ConnectorError::invalid_argument(format!(
        "{target} has no entitlement {slug:?}; known: workspace Admin/Member/Guest, team Admin/Team Member/Limited Access/Guest"
    ))
}

/// An API error during a mutation, with what the operator can do about it.
fn mutation_error(error: ApiError, action: &str, forbidden_hint: &str) -> ConnectorError {
    match error.kind() {
        ErrorKind::Forbidden => ConnectorError::new(
            ErrorCode::PermissionDenied,
            format!("Asana refused to {action} (HTTP 403{}): {forbidden_hint}", asana_detail(&error)),
        ),
        ErrorKind::NotFound => ConnectorError::new(
            ErrorCode::NotFound,
            format!(
                "cannot {action}: Asana says it does not exist or is not visible to this token (HTTP 404{})",
                asana_detail(&error)
            ),
        ),
        _ => {
            let mut mapped = from_api(error);
            mapped.message = format!("cannot {action}: {}", mapped.message);
            mapped
        }
    }
}

fn asana_detail(error: &ApiError) -> String {
    error
        .asana_message()
        .map(|m| format!(": {m}"))
        .unwrap_or_default()
}

fn already_exists() -> Vec<baton_proto::Any> {
    vec![pack_any(&GrantAlreadyExists {})]
}

fn already_revoked() -> Vec<baton_proto::Any> {
    vec![pack_any(&GrantAlreadyRevoked {})]
}

fn ensure_mutable(grant: &Grant, target: &str, slug: &str) -> Result<(), ConnectorError> {
    if matches!(
        find_annotation::<GrantImmutable>(&grant.annotations),
        Ok(Some(_))
    ) {
        return Err(refuse_role("revoke", slug, target));
    }
    Ok(())
}

#[async_trait]
impl Provisioner for WorkspaceSyncer {
    async fn grant(
        &self,
        principal: &Resource,
        entitlement: &Entitlement,
    ) -> Result<GrantOutcome, ConnectorError> {
        let user = user_gid(Some(principal))?;
        let (workspace_gid, slug) = entitlement_target(entitlement, WORKSPACE)?;
        let target = format!("workspace {workspace_gid}");
        check_slug(
            &slug,
            &[WORKSPACE_MEMBER],
            &[WORKSPACE_ADMIN, WORKSPACE_GUEST],
            "grant",
            &target,
        )?;
        let client = &self.shared().client;
        let action = format!("add user {user} to {target}");
        // Read here (not only inside the client's add) to tell an active guest,
        // whom addUser would leave a guest, from a member; a grant is rare, so
        // the extra GET is worth the clear refusal.
        let existing = client
            .find_workspace_membership(workspace_gid, user)
            .await
            .map_err(|e| {
                mutation_error(
                    e,
                    &action,
                    "the token's user cannot read this workspace's members",
                )
            })?;
        let workspace_resource = entitlement.resource.clone().unwrap_or_default();
        let granted = mapping::grant(&workspace_resource, WORKSPACE_MEMBER, user, false);
        if let Some(m) = existing.filter(|m| m.is_active.unwrap_or(false)) {
            if m.is_guest.unwrap_or(false) {
                return Err(ConnectorError::new(
                    ErrorCode::FailedPrecondition,
                    format!(
                        "user {user} is a guest of {target}; {ADMIN_CONSOLE_HINT} (a guest cannot be made a full member through the API)"
                    ),
                ));
            }
            return Ok(GrantOutcome {
                grants: vec![granted],
                annotations: already_exists(),
            });
        }
        let outcome = client
            .add_user_to_workspace(workspace_gid, user)
            .await
            .map_err(|e| {
                mutation_error(
                    e,
                    &action,
                    "the token's user may not invite members to this workspace; use a workspace admin's token",
                )
            })?;
        let annotations = match outcome {
            MutationOutcome::Applied(_) => Vec::new(),
            MutationOutcome::AlreadyInState(_) => already_exists(),
        };
        Ok(GrantOutcome {
            grants: vec![granted],
            annotations,
        })
    }

    async fn revoke(&self, grant: &Grant) -> Result<RevokeOutcome, ConnectorError> {
        let (user, workspace_gid, slug) = grant_target(grant, WORKSPACE)?;
        let target = format!("workspace {workspace_gid}");
        check_slug(
            &slug,
            &[WORKSPACE_MEMBER, WORKSPACE_GUEST],
            &[WORKSPACE_ADMIN],
            "revoke",
            &target,
        )?;
        ensure_mutable(grant, &target, &slug)?;
        let client = &self.shared().client;
        let action = format!("remove user {user} from {target}");
        // The client reads the membership first and answers AlreadyInState
        // when there is no active one, so no separate check here.
        let outcome = client
            .remove_user_from_workspace(workspace_gid, user)
            .await
            .map_err(|e| {
                mutation_error(
                    e,
                    &action,
                    "only a workspace admin can remove users; use a workspace admin's token (or a service account)",
                )
            })?;
        Ok(RevokeOutcome {
            annotations: match outcome {
                MutationOutcome::Applied(_) => Vec::new(),
                MutationOutcome::AlreadyInState(_) => already_revoked(),
            },
        })
    }
}

#[async_trait]
impl Provisioner for TeamSyncer {
    async fn grant(
        &self,
        principal: &Resource,
        entitlement: &Entitlement,
    ) -> Result<GrantOutcome, ConnectorError> {
        let user = user_gid(Some(principal))?;
        let (team_gid, slug) = entitlement_target(entitlement, TEAM)?;
        let target = format!("team {team_gid}");
        check_slug(&slug, &[TEAM_MEMBER], TEAM_READ_ONLY, "grant", &target)?;
        let client = &self.shared().client;
        let action = format!("add user {user} to {target}");
        let organization = team_organization(client, team_gid, &action).await?;
        let in_org = client
            .find_workspace_membership(&organization, user)
            .await
            .map_err(|e| {
                mutation_error(
                    e,
                    &action,
                    "the token's user cannot read the organization's members",
                )
            })?
            .is_some_and(|m| m.is_active.unwrap_or(false));
        if !in_org {
            return Err(ConnectorError::new(
                ErrorCode::FailedPrecondition,
                format!(
                    "cannot add user {user} to {target}: the user is not an active member of its organization {organization}; grant workspace:{organization}:Member first"
                ),
            ));
        }
        let team_resource = entitlement.resource.clone().unwrap_or_default();
        let granted = mapping::grant(&team_resource, TEAM_MEMBER, user, false);
        // The client reads the team's membership first and answers
        // AlreadyInState when the user is already in it.
        let outcome = client.add_user_to_team_in(team_gid, &organization, user).await.map_err(|e| {
            mutation_error(
                e,
                &action,
                "the team's settings may restrict adding members to team admins, or the token's user is not in the team; use a team admin's or an organization admin's token",
            )
        })?;
        Ok(GrantOutcome {
            grants: vec![granted],
            annotations: match outcome {
                MutationOutcome::Applied(_) => Vec::new(),
                MutationOutcome::AlreadyInState(_) => already_exists(),
            },
        })
    }

    async fn revoke(&self, grant: &Grant) -> Result<RevokeOutcome, ConnectorError> {
        let (user, team_gid, slug) = grant_target(grant, TEAM)?;
        let target = format!("team {team_gid}");
        check_slug(&slug, &[TEAM_MEMBER], TEAM_READ_ONLY, "revoke", &target)?;
        ensure_mutable(grant, &target, &slug)?;
        let client = &self.shared().client;
        let action = format!("remove user {user} from {target}");
        let organization = team_organization(client, team_gid, &action).await?;
        let outcome = client
            .remove_user_from_team_in(team_gid, &organization, user)
            .await
            .map_err(|e| {
                mutation_error(
                    e,
                    &action,
                    "the team's settings may restrict removing members to team admins, or the token's user is not in the team; use a team admin's or an organization admin's token",
                )
            })?;
        Ok(RevokeOutcome {
            annotations: match outcome {
                MutationOutcome::Applied(_) => Vec::new(),
                MutationOutcome::AlreadyInState(_) => already_revoked(),
            },
        })
    }
}
