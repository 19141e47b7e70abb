//! What service mode needs to run, and where ConductorOne is.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::sync::SyncOptions;

use super::credentials::{split_host_port, Credentials};
use super::error::ServiceError;
use super::host;

/// `BATON_C1_API_HOST`: replaces the client id's host for both the token
/// endpoint and the gRPC API (as baton-sdk).
pub const API_HOST_ENV: &str = "BATON_C1_API_HOST";
/// `SSL_CERT_FILE`: a PEM file of CA certificates trusted on top of the system's.
pub const CA_FILE_ENV: &str = "SSL_CERT_FILE";

/// What the connector binary is, for the Hello message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildInfo {
    /// The compiler, e.g. `rustc 1.95.0`.
    pub lang_version: String,
    /// The program, e.g. `baton-asana`.
    pub package: String,
    pub package_version: String,
}

/// Everything service mode runs with.
#[derive(Debug)]
pub struct ServiceConfig {
    pub credentials: Credentials,
    /// Host (and port) to use instead of the client id's.
    pub api_host_override: Option<String>,
    /// Extra CA certificates (PEM) to trust besides the system roots.
    pub extra_ca_file: Option<PathBuf>,
    /// Sent in every request: `BATON_HOST_ID`, else the hostname.
    pub host_id: String,
    /// Tasks run at once.
    pub task_concurrency: usize,
    /// Whether grant and revoke tasks may change the target system.
    pub provisioning: bool,
    /// Template for every sync task (cancel, progress and cleanup are set per task).
    pub sync: SyncOptions,
    /// Where sync tasks put their temporary c1z and its working copy.
    pub temp_dir: Option<PathBuf>,
    pub build_info: BuildInfo,
    /// Product token for the gRPC and token-request User-Agent, after the client name.
    pub user_agent: String,
    /// Serve `/health`, `/ready` and `/live` on this address.
    pub health_check: Option<SocketAddr>,
    /// After SIGTERM, how long running tasks get to finish before they are aborted.
    pub shutdown_grace: Duration,
    /// Deadline of each unary call to ConductorOne.
    pub rpc_timeout: Duration,
}

impl ServiceConfig {
    /// Defaults as baton-sdk's, with `BATON_C1_API_HOST`, `SSL_CERT_FILE` and
    /// `BATON_HOST_ID` read from the environment.
    pub fn new(credentials: Credentials, build_info: BuildInfo) -> Self {
        let user_agent = format!("{}/{}", build_info.package, build_info.package_version);
        Self {
            credentials,
            api_host_override: non_empty_env(API_HOST_ENV),
            extra_ca_file: non_empty_env(CA_FILE_ENV).map(PathBuf::from),
            host_id: host::host_id_from_env(),
            task_concurrency: 3,
            provisioning: false,
            sync: SyncOptions::default(),
            temp_dir: None,
            build_info,
            user_agent,
            health_check: None,
            shutdown_grace: Duration::from_secs(25),
            rpc_timeout: Duration::from_secs(30),
        }
    }
}

fn non_empty_env(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// Where ConductorOne's API is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `https://<host[:port]>/auth/v1/token`
    pub token_url: String,
    /// `https://<host>:<port>` for gRPC (port 443 unless given).
    pub grpc_uri: String,
    /// The name the server's certificate must carry.
    pub tls_domain: String,
}

impl Endpoint {
    /// From the client id's host, or the override when set.
    pub fn resolve(
        credentials: &Credentials,
        api_host_override: Option<&str>,
    ) -> Result<Self, ServiceError> {
        let host_port = api_host_override.unwrap_or(credentials.client_id.host());
        let (host, port) = split_host_port(host_port);
        if host.is_empty() {
            return Err(ServiceError::Config(format!(
                "the ConductorOne API host {host_port:?} has no host name"
            )));
        }
        let port = match port {
            None => 443,
            Some(p) => p.parse::<u16>().map_err(|_| {
                ServiceError::Config(format!(
                    "the ConductorOne API host {host_port:?} has an invalid port"
                ))
            })?,
        };
        let bracketed = if host.contains(':') {
            format!("[{host}]")
        } else {
            host.to_owned()
        };
        Ok(Self {
            token_url: format!("https://{host_port}/auth/v1/token"),
            grpc_uri: format!("https://{bracketed}:{port}"),
            tls_domain: host.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::credentials::tests::secret_for;

    fn creds(id: &str) -> Credentials {
        Credentials::parse(id, &secret_for([1; 32], None)).unwrap()
    }

    #[test]
    fn endpoint_defaults_to_port_443_and_honours_the_override() {
        let c = creds("conn@acme.conductor.one/x");
        let e = Endpoint::resolve(&c, None).unwrap();
        assert_eq!(e.token_url, "https://acme.conductor.one/auth/v1/token");
        assert_eq!(e.grpc_uri, "https://acme.conductor.one:443");
        assert_eq!(e.tls_domain, "acme.conductor.one");

        let e = Endpoint::resolve(&c, Some("127.0.0.1:8443")).unwrap();
        assert_eq!(e.token_url, "https://127.0.0.1:8443/auth/v1/token");
        assert_eq!(e.grpc_uri, "https://127.0.0.1:8443");
        assert_eq!(e.tls_domain, "127.0.0.1");

        let e = Endpoint::resolve(&creds("conn@[::1]:9000/x"), None).unwrap();
        assert_eq!(e.grpc_uri, "https://[::1]:9000");
        assert_eq!(e.tls_domain, "::1");

        assert!(Endpoint::resolve(&c, Some("host:notaport")).is_err());
    }
}
