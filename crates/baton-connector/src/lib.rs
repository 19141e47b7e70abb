//! The generic connector runtime: connector traits, the sync engine, one-shot provisioning.
