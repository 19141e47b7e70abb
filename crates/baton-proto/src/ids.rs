//! baton's ID conventions (identical in every SDK version), which are a contract:
//! ConductorOne matches resources, entitlements and grants across syncs by them.
//!
//! - resource key: `<resource_type>:<resource>` (the c1z `external_id` of a resource)
//! - entitlement id: `<resource_type>:<resource>:<slug>` (slugs may contain spaces)
//! - grant id: `<entitlement id>:<principal type>:<principal id>`
//!
//! Nothing is escaped, exactly as in baton.

use crate::v2::{Entitlement, Grant, Resource, ResourceId};

/// `ResourceId { resource_type, resource }`.
pub fn resource_id(resource_type: &str, resource: &str) -> ResourceId {
    ResourceId {
        resource_type: resource_type.to_owned(),
        resource: resource.to_owned(),
        baton_resource: false,
    }
}

/// The store key of a resource: `type:id`.
pub fn resource_key(id: &ResourceId) -> String {
    format!("{}:{}", id.resource_type, id.resource)
}

/// `<resource_type>:<resource>:<slug>`.
pub fn entitlement_id(resource: &ResourceId, slug: &str) -> String {
    format!("{}:{}:{}", resource.resource_type, resource.resource, slug)
}

/// `<entitlement id>:<principal type>:<principal id>`.
pub fn grant_id(entitlement_id: &str, principal: &ResourceId) -> String {
    format!(
        "{}:{}:{}",
        entitlement_id, principal.resource_type, principal.resource
    )
}

/// The resource id of an entitlement's resource, if set.
pub fn entitlement_resource_id(entitlement: &Entitlement) -> Option<&ResourceId> {
    entitlement.resource.as_ref().and_then(|r| r.id.as_ref())
}

/// The resource id of a grant's principal, if set.
pub fn grant_principal_id(grant: &Grant) -> Option<&ResourceId> {
    grant.principal.as_ref().and_then(|r| r.id.as_ref())
}

/// The id of a resource, if set.
pub fn id_of(resource: &Resource) -> Option<&ResourceId> {
    resource.id.as_ref()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_match_baton_conventions() {
        let team = resource_id("team", "1209110572131887");
        let user = resource_id("user", "42");
        assert_eq!(resource_key(&team), "team:1209110572131887");
        let ent = entitlement_id(&team, "Team Member");
        assert_eq!(ent, "team:1209110572131887:Team Member");
        assert_eq!(
            grant_id(&ent, &user),
            "team:1209110572131887:Team Member:user:42"
        );
    }
}
