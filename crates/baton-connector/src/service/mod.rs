//! Service mode: run the connector under ConductorOne as a long-lived
//! process that takes tasks (sync, grant, revoke, hello) and uploads syncs,
//! wire- and behaviour-compatible with baton-sdk's `c1api` task manager.
//!
//! The pieces, each with one job: [`credentials`] parses the client id and
//! secret; `jws` signs the token request's assertion; `token` exchanges and
//! caches access tokens; [`tls`] decides which CAs to trust; `rpc` is the
//! authenticated BatonService client; [`intervals`] clamps poll and heartbeat
//! hints and computes back-off; `heartbeat` keeps a long task alive; `upload`
//! streams a c1z; `tasks` runs one task and reports its end; `runner` is the
//! polling loop; `health` serves Kubernetes probes; [`host`] describes the
//! machine. Nothing here knows which system the connector talks to.

pub mod config;
pub mod credentials;
mod error;
mod health;
mod heartbeat;
pub mod host;
pub mod intervals;
mod jws;
mod rpc;
mod runner;
mod tasks;
pub mod tls;
mod token;
mod upload;

pub use config::{BuildInfo, Endpoint, ServiceConfig, API_HOST_ENV, CA_FILE_ENV};
pub use credentials::{ClientId, ClientSecret, Credentials, CredentialsError};
pub use error::ServiceError;
pub use heartbeat::MAX_HEARTBEAT_FAILURES;
pub use host::{host_id_from_env, HOST_ID_ENV};
pub use runner::Service;
pub use tls::TlsError;
pub use upload::CHUNK_SIZE;
