//! Asana mapped to baton: the `user`, `workspace` and `team` resource types,
//! their entitlements and grants, and provisioning of workspace and team
//! membership.
//!
//! Requests are kept to the minimum the data needs: one listing of each
//! workspace's memberships yields both its users and its workspace grants,
//! one listing per organization yields its teams, and one listing per team
//! yields its grants — every list at Asana's maximum page size.

pub mod errors;
pub mod mapping;
mod provisioning;
pub mod resource_types;
mod syncers;

use std::sync::{Arc, RwLock};

use asana_api::AsanaClient;
use async_trait::async_trait;
use baton_connector::{Connector, ConnectorError, ResourceSyncer};
use baton_proto::v2::ConnectorMetadata;

pub use mapping::SyncedWorkspace;

/// Connector settings beyond the API client's.
#[derive(Debug, Clone, Default)]
pub struct AsanaConnectorConfig {
    /// The token is an Enterprise service account's: sync every workspace it can see.
    pub use_service_account: bool,
}

/// State shared by the syncers of one connector.
pub(crate) struct Shared {
    pub client: AsanaClient,
    pub config: AsanaConnectorConfig,
    workspaces: RwLock<Vec<SyncedWorkspace>>,
}

impl Shared {
    pub fn workspaces(&self) -> Vec<SyncedWorkspace> {
        match self.workspaces.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn workspace(&self, gid: &str) -> Result<SyncedWorkspace, ConnectorError> {
        self.workspaces()
            .into_iter()
            .find(|w| w.gid == gid)
            .ok_or_else(|| {
                ConnectorError::not_found(format!(
                    "workspace {gid} is not one this token syncs (the token's user must be an active, non-guest member)"
                ))
            })
    }

    fn set_workspaces(&self, workspaces: Vec<SyncedWorkspace>) {
        match self.workspaces.write() {
            Ok(mut guard) => *guard = workspaces,
            Err(poisoned) => *poisoned.into_inner() = workspaces,
        }
    }
}

/// The Asana connector.
#[derive(Clone)]
pub struct AsanaConnector {
    shared: Arc<Shared>,
}

impl AsanaConnector {
    pub fn new(client: AsanaClient, config: AsanaConnectorConfig) -> Self {
        Self {
            shared: Arc::new(Shared {
                client,
                config,
                workspaces: RwLock::new(Vec::new()),
            }),
        }
    }

    /// A connector for describing itself (capabilities, metadata) only: it
    /// holds no credentials and must not be used to call Asana.
    pub fn without_credentials() -> Result<Self, asana_api::Error> {
        let config = asana_api::ClientConfig::with_token("no-credentials-describe-only");
        Ok(Self::new(
            AsanaClient::new(config)?,
            AsanaConnectorConfig::default(),
        ))
    }

    /// The API client (for its request metrics).
    pub fn client(&self) -> &AsanaClient {
        &self.shared.client
    }

    /// The workspaces found by the last `validate`.
    pub fn synced_workspaces(&self) -> Vec<SyncedWorkspace> {
        self.shared.workspaces()
    }
}

#[async_trait]
impl Connector for AsanaConnector {
    fn metadata(&self) -> ConnectorMetadata {
        ConnectorMetadata {
            display_name: "Asana".to_owned(),
            description: "Syncs Asana users, workspaces and teams with their roles; provisions workspace and team membership.".to_owned(),
            ..Default::default()
        }
    }

    async fn validate(&self) -> Result<(), ConnectorError> {
        let workspaces = syncers::discover_workspaces(&self.shared)
            .await
            .map_err(|mut e| {
                // Name the URL: a wrong --asana-api-url is a common cause.
                e.message = format!(
                    "{} (Asana API at {})",
                    e.message,
                    self.shared.client.base_url()
                );
                e
            })?;
        tracing::info!(
            workspaces = workspaces.len(),
            organizations = workspaces.iter().filter(|w| w.is_organization).count(),
            "validated the Asana token"
        );
        self.shared.set_workspaces(workspaces);
        Ok(())
    }

    fn syncers(&self) -> Vec<Arc<dyn ResourceSyncer>> {
        vec![
            Arc::new(syncers::UserSyncer::new(Arc::clone(&self.shared))),
            Arc::new(syncers::WorkspaceSyncer::new(Arc::clone(&self.shared))),
            Arc::new(syncers::TeamSyncer::new(Arc::clone(&self.shared))),
        ]
    }
}
