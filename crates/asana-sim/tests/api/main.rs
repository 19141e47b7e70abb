//! HTTP-level tests of the simulator, each against its own server on an ephemeral port.

mod common;

mod faults;
mod opt_fields;
mod pagination;
mod permissions;
mod rate_limits;
mod scale;
mod visibility;
