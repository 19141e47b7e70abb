//! The generic connector runtime, like baton-sdk but small: the connector
//! traits, the concurrent sync engine writing a `.c1z`, the one-shot
//! grant/revoke flow, and service mode under ConductorOne. It knows nothing
//! of Asana.

pub mod connector;
pub mod error;
pub mod sync;

pub use connector::{
    capabilities, metadata_with_capabilities, Connector, GrantOutcome, Page, Provisioner,
    ResourcePage, ResourceSyncer, RevokeOutcome,
};
pub use error::{ConnectorError, ErrorCode};
pub mod cli;
pub mod provision;
pub mod service;
