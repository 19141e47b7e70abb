//! Asana mapped to baton: resource types, resources, entitlements, grants, provisioning.
