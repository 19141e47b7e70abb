//! One-shot grant and revoke, as baton connectors run them from the command
//! line: the entitlement, principal or grant is looked up in the latest
//! finished sync of a c1z file (ours or one written by the Go SDK), then the
//! resource type's provisioner does the work. The file is not modified.
//! [`grant`] and [`revoke`] take the messages themselves (service mode gets
//! them in its tasks) and pick the provisioner the same way.

use std::sync::Arc;

use baton_proto::ids::{grant_id, resource_id};
use baton_proto::v2::{Entitlement, Grant, Resource};
use baton_proto::v2::{GrantAlreadyExists, GrantAlreadyRevoked};
use baton_proto::{find_annotation, Any};
use c1z::C1zStore;

use crate::connector::{Connector, GrantOutcome, ResourceSyncer, RevokeOutcome};
use crate::error::ConnectorError;

/// Why a one-shot operation could not run.
#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    #[error("{file} has no finished sync to look ids up in; run a sync into it first")]
    NoFinishedSync { file: String },
    #[error("entitlement {id:?} is not in the latest sync of {file}")]
    UnknownEntitlement { id: String, file: String },
    #[error("principal {ptype}:{id} is not in the latest sync of {file}")]
    UnknownPrincipal {
        ptype: String,
        id: String,
        file: String,
    },
    #[error("grant {id:?} is not in the latest sync of {file}")]
    UnknownGrant { id: String, file: String },
    #[error("{what} has no resource type this connector knows")]
    NoResourceType { what: String },
    #[error("resource type {0:?} does not support provisioning")]
    NotProvisionable(String),
    #[error("{0}")]
    Refused(ConnectorError),
    #[error("reading {file}: {message}")]
    Store { file: String, message: String },
}

/// What a grant did.
#[derive(Debug, Clone)]
pub struct GrantReport {
    pub grant_id: String,
    pub already_existed: bool,
    pub outcome: GrantOutcome,
}

/// What a revoke did.
#[derive(Debug, Clone)]
pub struct RevokeReport {
    pub grant_id: String,
    pub already_revoked: bool,
    pub outcome: RevokeOutcome,
}

fn has<M: prost::Message + prost::Name + Default>(annotations: &[Any]) -> bool {
    matches!(find_annotation::<M>(annotations), Ok(Some(_)))
}

fn latest_sync(store: &C1zStore, file: &str) -> Result<String, ProvisionError> {
    store
        .latest_finished_sync(None)
        .map_err(|e| ProvisionError::Store {
            file: file.to_owned(),
            message: e.to_string(),
        })?
        .map(|run| run.sync_id)
        .ok_or_else(|| ProvisionError::NoFinishedSync {
            file: file.to_owned(),
        })
}

fn store_error(file: &str) -> impl Fn(c1z::Error) -> ProvisionError + '_ {
    move |e| ProvisionError::Store {
        file: file.to_owned(),
        message: e.to_string(),
    }
}

/// The syncer of `resource_type` (kept alive while its provisioner is used).
fn syncer_for(
    connector: &dyn Connector,
    resource_type: Option<&str>,
    what: impl Fn() -> String,
) -> Result<Arc<dyn ResourceSyncer>, ProvisionError> {
    let resource_type = resource_type
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ProvisionError::NoResourceType { what: what() })?;
    connector
        .syncers()
        .into_iter()
        .find(|s| s.resource_type().id == resource_type)
        .ok_or_else(|| ProvisionError::NoResourceType { what: what() })
}

/// Gives `principal` the entitlement, through the provisioner of the
/// entitlement's resource type. The principal is passed on as given.
pub async fn grant(
    connector: &dyn Connector,
    principal: &Resource,
    entitlement: &Entitlement,
) -> Result<GrantOutcome, ProvisionError> {
    let resource_type = entitlement
        .resource
        .as_ref()
        .and_then(|r| r.id.as_ref())
        .map(|id| id.resource_type.as_str());
    let syncer = syncer_for(connector, resource_type, || {
        format!("entitlement {:?}", entitlement.id)
    })?;
    let provisioner = syncer
        .provisioner()
        .ok_or_else(|| ProvisionError::NotProvisionable(syncer.resource_type().id))?;
    provisioner
        .grant(principal, entitlement)
        .await
        .map_err(ProvisionError::Refused)
}

/// Removes `grant`, through the provisioner of its entitlement's resource type.
pub async fn revoke(
    connector: &dyn Connector,
    grant: &Grant,
) -> Result<RevokeOutcome, ProvisionError> {
    let resource_type = grant
        .entitlement
        .as_ref()
        .and_then(|e| e.resource.as_ref())
        .and_then(|r| r.id.as_ref())
        .map(|id| id.resource_type.as_str());
    let syncer = syncer_for(connector, resource_type, || format!("grant {:?}", grant.id))?;
    let provisioner = syncer
        .provisioner()
        .ok_or_else(|| ProvisionError::NotProvisionable(syncer.resource_type().id))?;
    provisioner
        .revoke(grant)
        .await
        .map_err(ProvisionError::Refused)
}

/// Looks up the entitlement and principal, then grants.
pub async fn grant_from_file(
    connector: &dyn Connector,
    store: &C1zStore,
    file: &str,
    entitlement_id: &str,
    principal_type: &str,
    principal_id: &str,
) -> Result<GrantReport, ProvisionError> {
    let sync_id = latest_sync(store, file)?;
    let entitlement: Entitlement = store
        .get_entitlement(&sync_id, entitlement_id)
        .map_err(store_error(file))?
        .ok_or_else(|| ProvisionError::UnknownEntitlement {
            id: entitlement_id.to_owned(),
            file: file.to_owned(),
        })?;
    let mut principal: Resource = store
        .get_resource(&sync_id, &resource_id(principal_type, principal_id))
        .map_err(store_error(file))?
        .ok_or_else(|| ProvisionError::UnknownPrincipal {
            ptype: principal_type.to_owned(),
            id: principal_id.to_owned(),
            file: file.to_owned(),
        })?;
    // As baton-sdk: the provisioner gets the principal without its parent.
    principal.parent_resource_id = None;

    let outcome = grant(connector, &principal, &entitlement).await?;
    let principal_rid = principal.id.clone().unwrap_or_default();
    let id = outcome
        .grants
        .first()
        .map(|g| g.id.clone())
        .unwrap_or_else(|| grant_id(&entitlement.id, &principal_rid));
    Ok(GrantReport {
        grant_id: id,
        already_existed: has::<GrantAlreadyExists>(&outcome.annotations),
        outcome,
    })
}

/// Looks up the grant, then revokes it.
pub async fn revoke_from_file(
    connector: &dyn Connector,
    store: &C1zStore,
    file: &str,
    grant_id: &str,
) -> Result<RevokeReport, ProvisionError> {
    let sync_id = latest_sync(store, file)?;
    let grant: Grant = store
        .get_grant(&sync_id, grant_id)
        .map_err(store_error(file))?
        .ok_or_else(|| ProvisionError::UnknownGrant {
            id: grant_id.to_owned(),
            file: file.to_owned(),
        })?;
    let outcome = revoke(connector, &grant).await?;
    Ok(RevokeReport {
        grant_id: grant.id.clone(),
        already_revoked: has::<GrantAlreadyRevoked>(&outcome.annotations),
        outcome,
    })
}
