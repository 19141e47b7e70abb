//! One module per thing the binary can do.

pub mod capabilities;
pub mod completion;
pub mod config;
pub mod demo;
pub mod provision;
pub mod root;
pub mod service;
pub mod sync;
