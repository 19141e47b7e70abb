//! Why service mode could not start. Once running, failures talking to
//! ConductorOne are logged and retried, never returned.

use std::net::SocketAddr;

use super::credentials::CredentialsError;
use super::tls::TlsError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Credentials(#[from] CredentialsError),
    /// A setting is unusable.
    #[error("{0}")]
    Config(String),
    #[error(transparent)]
    Tls(#[from] TlsError),
    #[error("cannot serve the health check on {addr}: {source}")]
    HealthCheck {
        addr: SocketAddr,
        source: std::io::Error,
    },
    /// A client could not be built.
    #[error("{0}")]
    Startup(String),
}

impl ServiceError {
    /// Whether the operator's configuration is at fault (a usage error), as
    /// opposed to the environment.
    pub fn is_configuration(&self) -> bool {
        matches!(
            self,
            ServiceError::Credentials(_) | ServiceError::Config(_) | ServiceError::Tls(_)
        )
    }
}
