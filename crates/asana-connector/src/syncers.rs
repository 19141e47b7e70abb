//! The three resource syncers and workspace discovery.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use asana_api::{ErrorKind, ListRequest, Page as ApiPage};
use async_trait::async_trait;
use baton_connector::{ConnectorError, ErrorCode, Page, Provisioner, ResourcePage, ResourceSyncer};
use baton_proto::v2::{Entitlement, Grant, Resource, ResourceId, ResourceType};

use crate::errors::from_api;
use crate::mapping::{self, SyncedWorkspace};
use crate::resource_types::{self, TEAM, WORKSPACE};
use crate::Shared;

/// Fields each listing asks for — exactly what the mapping reads.
const WORKSPACE_MEMBERSHIP_FIELDS: &[&str] = &[
    "user.name",
    "user.email",
    "is_active",
    "is_admin",
    "is_guest",
    "is_view_only",
    "created_at",
];
const TEAM_FIELDS: &[&str] = &["name", "description", "visibility"];
const TEAM_MEMBERSHIP_FIELDS: &[&str] = &["user", "is_admin", "is_guest", "is_limited_access"];

/// Fetches one page; an expired offset (e.g. from a checkpoint days old)
/// restarts the listing from its first page — rows already stored are
/// simply written again.
async fn fetch_page<T: serde::de::DeserializeOwned + Send + 'static>(
    request: &ListRequest<T>,
    offset: Option<&str>,
) -> Result<ApiPage<T>, ConnectorError> {
    match request.page(offset).await {
        Err(e) if e.kind() == ErrorKind::OffsetExpired && offset.is_some() => {
            tracing::info!("a page offset expired; restarting the listing from its first page");
            request.page(None).await.map_err(from_api)
        }
        other => other.map_err(from_api),
    }
}

/// The workspaces a sync covers: where the token's user is an active,
/// non-guest member — or, for a service account, every visible workspace.
pub(crate) async fn discover_workspaces(
    shared: &Shared,
) -> Result<Vec<SyncedWorkspace>, ConnectorError> {
    let client = &shared.client;
    let me = client.me().await.map_err(from_api)?;
    let visible = client
        .workspaces()
        .opt_fields(&["name", "is_organization"])
        .collect_all()
        .await
        .map_err(from_api)?;
    let by_gid: HashMap<String, asana_api::Workspace> =
        visible.into_iter().map(|w| (w.gid.clone(), w)).collect();

    let mut gids: Vec<String> = if shared.config.use_service_account {
        by_gid.keys().cloned().collect()
    } else {
        let memberships = client
            .user_workspace_memberships("me")
            .opt_fields(&[
                "workspace",
                "workspace.name",
                "is_active",
                "is_admin",
                "is_guest",
            ])
            .collect_all()
            .await
            .map_err(from_api)?;
        let mut seen = HashSet::new();
        memberships
            .into_iter()
            .filter(|m| m.is_active.unwrap_or(false) && !m.is_guest.unwrap_or(false))
            .filter_map(|m| m.workspace.map(|w| w.gid))
            .filter(|gid| seen.insert(gid.clone()))
            .collect()
    };
    gids.sort_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));

    let mut workspaces = Vec::with_capacity(gids.len());
    for gid in gids {
        let ws = match by_gid.get(&gid) {
            Some(ws) if ws.is_organization.is_some() => ws.clone(),
            _ => client.workspace(&gid).await.map_err(from_api)?,
        };
        workspaces.push(SyncedWorkspace {
            name: ws.name.clone().unwrap_or_default(),
            is_organization: ws.is_organization.unwrap_or(false),
            gid: ws.gid,
        });
    }
    if workspaces.is_empty() {
        let who = me.name.as_deref().unwrap_or(&me.gid);
        return Err(ConnectorError::new(
            ErrorCode::FailedPrecondition,
            if shared.config.use_service_account {
                format!(
                    "the service account ({who}) sees no Asana workspace; check the token's scope"
                )
            } else {
                format!(
                    "the token's user ({who}) is not an active, non-guest member of any Asana workspace; use a workspace admin's token, or --use-service-account with an Enterprise service account token"
                )
            },
        ));
    }
    Ok(workspaces)
}

fn parent_workspace(parent: Option<&ResourceId>) -> Option<&str> {
    parent
        .filter(|p| p.resource_type == WORKSPACE)
        .map(|p| p.resource.as_str())
}

/// Users, from each workspace's memberships (which also yield its grants).
pub(crate) struct UserSyncer {
    shared: Arc<Shared>,
}

impl UserSyncer {
    pub fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }
}

#[async_trait]
impl ResourceSyncer for UserSyncer {
    fn resource_type(&self) -> ResourceType {
        resource_types::user()
    }

    async fn list_resources(
        &self,
        parent: Option<&ResourceId>,
        page_token: Option<&str>,
    ) -> Result<ResourcePage, ConnectorError> {
        let Some(workspace_gid) = parent_workspace(parent) else {
            return Ok(ResourcePage::default());
        };
        let workspace = self.shared.workspace(workspace_gid)?;
        let request = self
            .shared
            .client
            .workspace_memberships(&workspace.gid)
            .opt_fields(WORKSPACE_MEMBERSHIP_FIELDS);
        let page = fetch_page(&request, page_token).await?;
        let workspace_resource = mapping::workspace_resource(&workspace);
        let mut resources = Vec::with_capacity(page.items.len());
        let mut grants = Vec::with_capacity(page.items.len());
        for membership in &page.items {
            if let Some(user) = mapping::user_from_membership(membership, &workspace.gid) {
                resources.push(user);
            }
            grants.extend(mapping::workspace_grants(&workspace_resource, membership));
        }
        Ok(ResourcePage {
            resources,
            grants,
            next_page_token: page.next_offset,
        })
    }

    async fn list_entitlements(
        &self,
        _resource: &Resource,
        _page_token: Option<&str>,
    ) -> Result<Page<Entitlement>, ConnectorError> {
        Ok(Page::empty())
    }

    async fn list_grants(
        &self,
        _resource: &Resource,
        _page_token: Option<&str>,
    ) -> Result<Page<Grant>, ConnectorError> {
        Ok(Page::empty())
    }

    fn merge_duplicate(&self, existing: &Resource, incoming: Resource) -> Resource {
        mapping::merge_users(existing, incoming)
    }
}

/// Workspaces: the synced ones, with their three role entitlements. Their
/// grants come with the user listing.
pub(crate) struct WorkspaceSyncer {
    shared: Arc<Shared>,
}

impl WorkspaceSyncer {
    pub fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }

    pub(crate) fn shared(&self) -> &Shared {
        &self.shared
    }
}

#[async_trait]
impl ResourceSyncer for WorkspaceSyncer {
    fn resource_type(&self) -> ResourceType {
        resource_types::workspace()
    }

    async fn list_resources(
        &self,
        parent: Option<&ResourceId>,
        _page_token: Option<&str>,
    ) -> Result<ResourcePage, ConnectorError> {
        if parent.is_some() {
            return Ok(ResourcePage::default());
        }
        Ok(ResourcePage {
            resources: self
                .shared
                .workspaces()
                .iter()
                .map(mapping::workspace_resource)
                .collect(),
            ..Default::default()
        })
    }

    async fn list_entitlements(
        &self,
        resource: &Resource,
        _page_token: Option<&str>,
    ) -> Result<Page<Entitlement>, ConnectorError> {
        Ok(Page::last(mapping::workspace_entitlements(resource)))
    }

    async fn list_grants(
        &self,
        _resource: &Resource,
        _page_token: Option<&str>,
    ) -> Result<Page<Grant>, ConnectorError> {
        Ok(Page::empty())
    }

    fn provisioner(&self) -> Option<&dyn Provisioner> {
        Some(self)
    }
}

/// Teams of each organization, with their four role entitlements and grants
/// from the team's memberships.
pub(crate) struct TeamSyncer {
    shared: Arc<Shared>,
}

impl TeamSyncer {
    pub fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }

    pub(crate) fn shared(&self) -> &Shared {
        &self.shared
    }
}

#[async_trait]
impl ResourceSyncer for TeamSyncer {
    fn resource_type(&self) -> ResourceType {
        resource_types::team()
    }

    async fn list_resources(
        &self,
        parent: Option<&ResourceId>,
        page_token: Option<&str>,
    ) -> Result<ResourcePage, ConnectorError> {
        let Some(workspace_gid) = parent_workspace(parent) else {
            return Ok(ResourcePage::default());
        };
        let workspace = self.shared.workspace(workspace_gid)?;
        if !workspace.is_organization {
            // Teams exist only in organizations.
            return Ok(ResourcePage::default());
        }
        let request = self
            .shared
            .client
            .teams_in_workspace(&workspace.gid)
            .opt_fields(TEAM_FIELDS);
        let page = fetch_page(&request, page_token).await?;
        Ok(ResourcePage {
            resources: page
                .items
                .iter()
                .map(|team| mapping::team_resource(team, &workspace.gid))
                .collect(),
            grants: Vec::new(),
            next_page_token: page.next_offset,
        })
    }

    async fn list_entitlements(
        &self,
        resource: &Resource,
        _page_token: Option<&str>,
    ) -> Result<Page<Entitlement>, ConnectorError> {
        Ok(Page::last(mapping::team_entitlements(resource)))
    }

    async fn list_grants(
        &self,
        resource: &Resource,
        page_token: Option<&str>,
    ) -> Result<Page<Grant>, ConnectorError> {
        let Some(id) = resource.id.as_ref().filter(|id| id.resource_type == TEAM) else {
            return Ok(Page::empty());
        };
        let request = self
            .shared
            .client
            .team_memberships_for_team(&id.resource)
            .opt_fields(TEAM_MEMBERSHIP_FIELDS);
        let page = fetch_page(&request, page_token).await?;
        Ok(Page {
            items: page
                .items
                .iter()
                .flat_map(|m| mapping::team_grants(resource, m))
                .collect(),
            next_page_token: page.next_offset,
        })
    }

    fn provisioner(&self) -> Option<&dyn Provisioner> {
        Some(self)
    }
}
