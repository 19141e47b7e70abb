//! A faithful simulated Asana for tests, benchmarks and the demo.
//!
//! ```no_run
//! # async fn demo() -> Result<(), asana_sim::SimError> {
//! use asana_sim::{SimConfig, SimServer, TokenRole};
//! let sim = SimServer::start(SimConfig::default()).await?;   // quirks tenant, ephemeral port
//! let base = sim.base_url();                                  // http://127.0.0.1:PORT/api/1.0
//! let token = sim.token(TokenRole::Admin);                    // Authorization: Bearer <token>
//! # let _ = (base, token);
//! sim.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # Endpoints (under `/api/1.0`)
//! Reads: `GET /users/me`, `/users/{user}`, `/users?workspace=&team=` (by gid, paginated),
//! `/workspaces`, `/workspaces/{gid}`, `/workspaces/{gid}/users` (unpaginated, alphabetical,
//! ≤ 2000), `/users/{user}/workspace_memberships`, `/workspaces/{gid}/workspace_memberships`
//! (`user=` filter), `/workspace_memberships/{gid}`, `/workspaces/{gid}/teams` (organizations
//! only), `/teams/{gid}`, `/teams/{gid}/team_memberships`, `/team_memberships?team=` |
//! `?user=&workspace=` | `?team=&user=`, `/users/{user}/team_memberships?workspace=`,
//! `/team_memberships/{gid}`, `/teams/{gid}/users` (unpaginated, ≤ 2000),
//! `/users/{user}/teams?organization=`. A `{user}` (path, `user=` parameter or write body) is a
//! gid, an e-mail address or `me`.
//!
//! Writes: `POST /workspaces/{gid}/addUser|removeUser`, `POST /teams/{gid}/addUser|removeUser`
//! with `{"data":{"user": ...}}` (JSON or form-encoded).
//!
//! Control (outside the API, loopback, no token): `/_sim/...`, see [`SimServer::control_url`]:
//! `GET state`, `GET visible/{role}`, `GET tokens`, `GET counters`, `POST counters/reset`,
//! `POST faults`, `POST latency`, `POST rate_limit`, `POST offsets/expire`.
//!
//! # Conventions
//! - `{"data": ...}` envelopes, string gids, `resource_type` on every object.
//! - Lists return compact records, single reads full records; `opt_fields` (comma-separated,
//!   nested paths such as `user.email`) returns exactly `gid`, `resource_type` and the named
//!   fields. Unknown field names are a 400. A nested object named without sub-fields is rendered
//!   compact. Team memberships have one schema, so their compact record has every field.
//! - `limit` must be 1..=100 (else 400 `limit: ...`). Lists paginate only when `limit` is
//!   given; `next_page` is then `{offset, path, uri}` or `null` on the last page. Without
//!   `limit` a list answers everything up to 1000 objects and a 400 "The result is too large"
//!   beyond (Asana truncates or refuses; we refuse). `offset` without `limit` pages by 100.
//!   Offsets are opaque JWT-shaped keyset tokens bound to their list; they expire after
//!   [`SimConfig::offset_ttl`] or on [`SimServer::expire_all_offsets`] → 400 `offset: ...`.
//! - The grandfathered `/workspaces/{gid}/users` and `/teams/{gid}/users` ignore `limit` and
//!   `offset` (the official SDKs send `limit` anyway) and never carry `next_page`.
//! - Errors are `{"errors":[{"message","help"}]}` with `phrase` on 500s; 401 `Not Authorized`
//!   for a missing or unknown token; 404 for unknown routes and for objects that do not exist
//!   or are invisible; 400 `... Not a recognized ID` for values that cannot be gids.
//! - A user without a visible e-mail has no `email` key (the spec's `email` is not nullable).
//!
//! # Visibility
//! One set of rules, used by every endpoint and by [`SimServer::visible_tenant`]:
//! - The **service account** sees every workspace, user, membership and team (secret ones too)
//!   and every e-mail. It is a user without memberships (`/users/me` works).
//! - A **PAT** acts as its owner `U`. It sees the workspaces where `U` has an *active*
//!   membership. In such a workspace `U` is a *guest* if that membership is a guest one, else a
//!   *full member*.
//!   - Full member: sees every user with a membership there (active or inactive) and all those
//!     memberships.
//!   - Guest: sees only itself and users who share a team with it in that workspace, and only
//!     their memberships.
//!   - Teams: a team of a visible organization is visible if `U` is in it, or if `U` is a full
//!     member there and the team is not `secret`. Admin PATs get no exception for secret teams.
//!     The memberships of a visible team are visible.
//!   - E-mails: visible for `U` itself and for users sharing a workspace where `U` is a full
//!     member; otherwise omitted.
//! - Anything invisible answers 404, exactly like something that does not exist.
//!
//! # Write rules (choices marked *ours* where Asana documents nothing)
//! - Workspace `addUser`: any full member or the service account (guests: 403, *ours*). An
//!   active member is answered unchanged (idempotent, *ours*). Anyone else gets a **new** active
//!   membership; a removed user's old inactive membership stays. An unknown e-mail is invited:
//!   a user is created (name = the address). In an organization, addresses outside its
//!   `email_domains` become guests (*ours*). Answers `UserBaseResponse`.
//! - Workspace `removeUser`: workspace admins and the service account only (403 otherwise).
//!   Marks the user's active memberships inactive and removes them from the workspace's teams.
//!   A user without an active membership is a 400 (*ours*). Answers `{"data":{}}`.
//! - Team `addUser`: the service account, organization admins, or members of the team; when
//!   `member_invite_management_access_level` is `only_team_admins`, only team admins (and org
//!   admins, *ours*) — 403 otherwise. Guests of the organization cannot add (*ours*). The user
//!   must have an active membership in the team's organization, else **400** `user: ... is not a
//!   member of organization ...` (*ours*). An existing membership is answered unchanged (*ours*).
//!   New memberships copy the user's organization guest flag. Answers `TeamMembershipResponse`.
//! - Team `removeUser`: same permission rules with `team_member_removal_access_level`; members
//!   may always remove themselves (*ours*). Removing a non-member is a **400** `user: ... is not
//!   a member of team ...` (*ours*). Answers `{"data":{}}`.
//! - Writes change state at once; later reads see the change.
//!
//! # Rate limits, latency, faults
//! Per token: a sliding one-minute window of [`RateLimitConfig::requests_per_minute`] arrivals
//! (rejected ones count too) and in-flight caps for reads (GET) and writes. Over a limit: 429
//! with `Retry-After: <seconds>` — the time until the window admits one more request (≥ 1), or 1
//! for the in-flight caps — and Asana's 429 body. Latency (`base` + seeded jitter) is spent while
//! the request holds its in-flight slot. Faults ([`FaultConfig`]) are drawn per request from the
//! seed and the request's arrival number, so a sequential client sees the same faults on every
//! run: 500 (with `phrase`) / 503, connection resets (RST, no answer), truncated bodies
//! (`Content-Length` of the whole body, half of it sent, then the connection is cut), spurious
//! 429s (`Retry-After: 1`), and `drop_next_page_key` (non-final pages lack `next_page`). Faults
//! hit reads; with [`FaultConfig::apply_to_writes`] they also hit writes, *after* the write was
//! applied (except spurious 429s, which reject it before).
//!
//! # Observability
//! [`SimServer::counters`]: requests by (method, route template, status), total, 429s, peak
//! in-flight reads and writes, and injected faults.

mod api_error;
pub mod combined;
mod config;
mod counters;
mod error;
mod faults;
mod fields;
mod generator;
mod gid;
mod http;
mod limits;
mod model;
mod pagination;
mod provisioning;
pub mod quirks;
mod render;
mod server;
mod store;
mod tokens;
mod visibility;

pub use config::{FaultConfig, LatencyConfig, RateLimitConfig, Scenario, SimConfig};
pub use counters::{
    CounterSnapshot, FaultCounts, RequestCount, STATUS_CONNECTION_RESET, UNMATCHED_ROUTE,
};
pub use error::SimError;
pub use generator::{generate_tenant, GeneratorConfig};
pub use model::{
    Team, TeamMembership, Tenant, TokenOwners, TokenRole, UnknownTokenRole, User, Workspace,
    WorkspaceMembership, ACCESS_ALL_TEAM_MEMBERS, ACCESS_ONLY_TEAM_ADMINS, VISIBILITY_PUBLIC,
    VISIBILITY_REQUEST_TO_JOIN, VISIBILITY_SECRET,
};
pub use quirks::quirks_tenant;
pub use server::SimServer;
