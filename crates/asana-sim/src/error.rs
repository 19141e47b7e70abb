//! Errors of the library API.

use std::io;

/// Why the simulator could not start or was misconfigured.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("could not bind 127.0.0.1:{port}: {source}")]
    Bind { port: u16, source: io::Error },
    #[error("could not read the bound address: {0}")]
    LocalAddr(io::Error),
    #[error("invalid simulator configuration: {0}")]
    InvalidConfig(String),
    #[error("building the tenant failed: {0}")]
    TenantBuild(String),
}
