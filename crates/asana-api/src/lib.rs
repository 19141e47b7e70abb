//! A typed async client for the Asana REST API, built to be fast, polite and never silently
//! incomplete.
//!
//! - [`AsanaClient`]: one shared `reqwest` client (rustls, keep-alive, HTTP/2 when offered, gzip),
//!   a client-side budget ([`limiter`]: requests/minute, reads and writes in flight, a client-wide
//!   pause on 429) and retries ([`retry`]) as one layer that every call goes through.
//! - Lists are [`ListRequest`]s: one [`Page`] at a time or a `Stream` of items that ends only at
//!   `"next_page": null` and restarts (bounded, without duplicates) on an expired offset.
//! - Mutations read state before and, when their fate is unknown, after the write
//!   ([`MutationOutcome`]).
//! - Errors ([`Error`], [`ErrorKind`]) carry Asana's messages, status, method and path; the token
//!   is a [`secrecy::SecretString`] and appears in no `Debug`, error or log output.
//!
//! The crate knows nothing of baton.

mod client;
pub mod config;
mod error;
mod http;
pub mod limiter;
pub mod metrics;
pub mod models;
mod mutation;
mod pagination;
pub mod retry;
mod teams;
mod users;
mod workspaces;

pub use client::AsanaClient;
pub use config::{ClientConfig, DEFAULT_BASE_URL};
pub use error::{Error, ErrorKind};
pub use metrics::{MetricsSnapshot, Outcome, RequestCount};
pub use models::{Team, TeamMembership, User, Workspace, WorkspaceMembership};
pub use mutation::MutationOutcome;
pub use pagination::{ListRequest, Page, PAGE_SIZE};
pub use retry::RetryPolicy;
pub use secrecy::SecretString;
pub use workspaces::pick_workspace_membership;
