//! The traits a connector implements, modelled on baton-sdk's connectorbuilder:
//! one [`ResourceSyncer`] per resource type, optionally able to provision.

use std::sync::Arc;

use async_trait::async_trait;
use baton_proto::v2::{
    Capability, ConnectorCapabilities, ConnectorMetadata, CredentialDetails, Entitlement, Grant,
    Resource, ResourceId, ResourceType, ResourceTypeCapability,
};
use baton_proto::Any;

use crate::error::ConnectorError;

/// One page of a listing. `next_page_token: None` means the listing is complete.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_page_token: Option<String>,
}

impl<T> Page<T> {
    /// A single, final page.
    pub fn last(items: Vec<T>) -> Self {
        Self {
            items,
            next_page_token: None,
        }
    }

    /// An empty, final page.
    pub fn empty() -> Self {
        Self::last(Vec::new())
    }
}

/// A page of resources, plus grants the connector learned while listing them.
///
/// Listing a child resource often reveals its grants on the parent for free
/// (Asana's workspace memberships name the user *and* the role); returning
/// them here saves listing the same API collection twice.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ResourcePage {
    pub resources: Vec<Resource>,
    pub grants: Vec<Grant>,
    pub next_page_token: Option<String>,
}

/// What a successful grant did.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GrantOutcome {
    /// The grants that now exist because of the request.
    pub grants: Vec<Grant>,
    /// Response annotations, e.g. `GrantAlreadyExists` when nothing had to change.
    pub annotations: Vec<Any>,
}

/// What a successful revoke did.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RevokeOutcome {
    /// Response annotations, e.g. `GrantAlreadyRevoked` when nothing had to change.
    pub annotations: Vec<Any>,
}

/// Grants and revokes entitlements of one resource type.
#[async_trait]
pub trait Provisioner: Send + Sync {
    /// Gives `principal` the entitlement. Must be idempotent.
    async fn grant(
        &self,
        principal: &Resource,
        entitlement: &Entitlement,
    ) -> Result<GrantOutcome, ConnectorError>;

    /// Removes the grant. Must be idempotent.
    async fn revoke(&self, grant: &Grant) -> Result<RevokeOutcome, ConnectorError>;
}

/// Lists the resources of one type with their entitlements and grants.
#[async_trait]
pub trait ResourceSyncer: Send + Sync {
    fn resource_type(&self) -> ResourceType;

    /// Resources of this type under `parent` (None: top-level listing).
    async fn list_resources(
        &self,
        parent: Option<&ResourceId>,
        page_token: Option<&str>,
    ) -> Result<ResourcePage, ConnectorError>;

    async fn list_entitlements(
        &self,
        resource: &Resource,
        page_token: Option<&str>,
    ) -> Result<Page<Entitlement>, ConnectorError>;

    async fn list_grants(
        &self,
        resource: &Resource,
        page_token: Option<&str>,
    ) -> Result<Page<Grant>, ConnectorError>;

    /// Combines two listings of the same resource within one sync (e.g. a user
    /// seen in two workspaces). The default keeps the later one, as baton-sdk does.
    fn merge_duplicate(&self, existing: &Resource, incoming: Resource) -> Resource {
        let _ = existing;
        incoming
    }

    /// The provisioner for this type's entitlements, if it can provision.
    fn provisioner(&self) -> Option<&dyn Provisioner> {
        None
    }
}

/// A whole connector.
#[async_trait]
pub trait Connector: Send + Sync {
    /// Display name, description, ... (capabilities are filled in by [`capabilities`]).
    fn metadata(&self) -> ConnectorMetadata;

    /// Checks the credentials and prepares what every sync needs.
    async fn validate(&self) -> Result<(), ConnectorError>;

    /// One syncer per resource type.
    fn syncers(&self) -> Vec<Arc<dyn ResourceSyncer>>;
}

/// The connector's capabilities, computed as baton-sdk does: one entry per
/// resource type sorted by id, `[SYNC]` plus `PROVISION` where the syncer can
/// provision; connector-level capabilities are the union, sorted by value.
pub fn capabilities(syncers: &[Arc<dyn ResourceSyncer>]) -> ConnectorCapabilities {
    let mut per_type: Vec<ResourceTypeCapability> = syncers
        .iter()
        .map(|syncer| {
            let mut caps = vec![Capability::Sync as i32];
            if syncer.provisioner().is_some() {
                caps.push(Capability::Provision as i32);
            }
            ResourceTypeCapability {
                resource_type: Some(syncer.resource_type()),
                capabilities: caps,
                ..Default::default()
            }
        })
        .collect();
    per_type.sort_by(|a, b| {
        let id = |c: &ResourceTypeCapability| {
            c.resource_type
                .as_ref()
                .map(|t| t.id.clone())
                .unwrap_or_default()
        };
        id(a).cmp(&id(b))
    });
    let mut all: Vec<i32> = per_type
        .iter()
        .flat_map(|c| c.capabilities.iter().copied())
        .collect();
    all.sort_unstable();
    all.dedup();
    ConnectorCapabilities {
        resource_type_capabilities: per_type,
        connector_capabilities: all,
        credential_details: Some(CredentialDetails::default()),
    }
}

/// The connector's metadata with its capabilities filled in.
pub fn metadata_with_capabilities(connector: &dyn Connector) -> ConnectorMetadata {
    let mut metadata = connector.metadata();
    metadata.capabilities = Some(capabilities(&connector.syncers()));
    metadata
}
