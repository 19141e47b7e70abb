//! Realistic baton messages, shaped like what an identity connector (Asana:
//! workspaces, teams, users) produces through baton-sdk's helpers: traits as
//! annotations, entitlements carrying their full resource, grants carrying the
//! entitlement (id + resource) and the principal id. Shared by the tests and
//! the write benchmark (`#[path]`-included there).
#![allow(dead_code)]

use baton_proto::ids::{entitlement_id, grant_id, resource_id};
use baton_proto::v2::{
    entitlement, resource, resource_type, user_trait, ChildResourceType, Entitlement, ExternalId,
    Grant, GrantExpandable, GrantImmutable, GrantMetadata, GroupTrait, Resource, ResourceId,
    ResourceType, SkipEntitlementsAndGrants, UserTrait, V1Identifier,
};
use baton_proto::{pack_any, Struct, Timestamp, Value};

fn text(v: &str) -> Value {
    Value::from(v)
}

pub fn profile(pairs: &[(&str, &str)]) -> Struct {
    Struct {
        fields: pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), text(v)))
            .collect(),
    }
}

pub fn user_type() -> ResourceType {
    ResourceType {
        id: "user".into(),
        display_name: "User".into(),
        traits: vec![resource_type::Trait::User as i32],
        annotations: vec![pack_any(&SkipEntitlementsAndGrants {})],
        description: "Asana users".into(),
        sourced_externally: false,
    }
}

pub fn group_type() -> ResourceType {
    ResourceType {
        id: "team".into(),
        display_name: "Team".into(),
        traits: vec![resource_type::Trait::Group as i32],
        annotations: vec![],
        description: "Asana teams".into(),
        sourced_externally: false,
    }
}

pub fn workspace_type() -> ResourceType {
    ResourceType {
        id: "workspace".into(),
        display_name: "Workspace".into(),
        traits: vec![],
        annotations: vec![pack_any(&ChildResourceType {
            resource_type_id: "team".into(),
        })],
        description: String::new(),
        sourced_externally: false,
    }
}

pub fn user_id(i: u64) -> ResourceId {
    resource_id("user", &format!("{}", 1_200_000_000_000_000 + i))
}

pub fn group_id(i: u64) -> ResourceId {
    resource_id("team", &format!("{}", 1_209_000_000_000_000 + i))
}

pub fn workspace_id() -> ResourceId {
    resource_id("workspace", "1100000000000001")
}

pub fn user(i: u64) -> Resource {
    let id = user_id(i);
    let name = format!("User Number {i}");
    let email = format!("user{i}@example.com");
    let trait_ = UserTrait {
        emails: vec![user_trait::Email {
            address: email.clone(),
            is_primary: true,
        }],
        status: Some(user_trait::Status {
            status: user_trait::status::Status::Enabled as i32,
            details: String::new(),
        }),
        profile: Some(profile(&[
            ("first_name", "User"),
            ("last_name", &format!("Number {i}")),
            ("email", &email),
            ("user_id", &id.resource),
        ])),
        account_type: user_trait::AccountType::Human as i32,
        login: email,
        created_at: Some(Timestamp {
            seconds: 1_700_000_000 + i as i64,
            nanos: 0,
        }),
        ..UserTrait::default()
    };
    Resource {
        parent_resource_id: Some(workspace_id()),
        display_name: name,
        annotations: vec![
            pack_any(&V1Identifier {
                id: id.resource.clone(),
            }),
            pack_any(&trait_),
        ],
        creation_source: resource::CreationSource::ConnectorListResources as i32,
        id: Some(id),
        ..Resource::default()
    }
}

pub fn group(i: u64) -> Resource {
    let id = group_id(i);
    let trait_ = GroupTrait {
        profile: Some(profile(&[
            ("team_name", &format!("Team {i}")),
            ("team_id", &id.resource),
        ])),
        ..GroupTrait::default()
    };
    Resource {
        parent_resource_id: Some(workspace_id()),
        display_name: format!("Team {i}"),
        description: "A team of people who work together".into(),
        annotations: vec![pack_any(&trait_)],
        external_id: Some(ExternalId {
            id: id.resource.clone(),
            link: format!("https://app.asana.com/0/team/{}", id.resource),
            description: String::new(),
        }),
        creation_source: resource::CreationSource::ConnectorListResources as i32,
        id: Some(id),
        ..Resource::default()
    }
}

pub fn workspace() -> Resource {
    Resource {
        id: Some(workspace_id()),
        display_name: "Acme Corp".into(),
        annotations: vec![pack_any(&ChildResourceType {
            resource_type_id: "team".into(),
        })],
        creation_source: resource::CreationSource::ConnectorListResources as i32,
        ..Resource::default()
    }
}

/// `NewAssignmentEntitlement(resource, slug, WithGrantableTo(user))`.
pub fn entitlement(resource: &Resource, slug: &str) -> Entitlement {
    let rid = resource.id.as_ref().expect("test resources have ids");
    Entitlement {
        resource: Some(resource.clone()),
        id: entitlement_id(rid, slug),
        display_name: format!("{} {slug}", resource.display_name),
        description: format!("{slug} of {}", resource.display_name),
        grantable_to: vec![user_type()],
        annotations: vec![],
        purpose: entitlement::PurposeValue::Assignment as i32,
        slug: slug.into(),
    }
}

/// `NewGrant(resource, slug, principalID)`: the entitlement carries only id + resource.
pub fn grant(resource: &Resource, slug: &str, principal: &ResourceId) -> Grant {
    let ent_id = entitlement_id(resource.id.as_ref().expect("test resources have ids"), slug);
    Grant {
        id: grant_id(&ent_id, principal),
        entitlement: Some(Entitlement {
            resource: Some(resource.clone()),
            id: ent_id,
            ..Entitlement::default()
        }),
        principal: Some(Resource {
            id: Some(principal.clone()),
            ..Resource::default()
        }),
        annotations: vec![],
        sources: None,
    }
}

/// A grant with the extra annotations connectors add (metadata, immutability).
pub fn annotated_grant(resource: &Resource, slug: &str, principal: &ResourceId) -> Grant {
    let mut g = grant(resource, slug, principal);
    g.annotations.push(pack_any(&GrantMetadata {
        metadata: Some(profile(&[("source", "membership")])),
    }));
    g.annotations.push(pack_any(&GrantImmutable {
        source_id: "scim".into(),
        metadata: None,
    }));
    g
}

/// A group-membership grant that baton should expand (group members inherit it).
pub fn expandable_grant(resource: &Resource, slug: &str, group: &Resource) -> Grant {
    let gid = group.id.as_ref().expect("test resources have ids");
    let mut g = grant(resource, slug, gid);
    g.annotations.push(pack_any(&GrantExpandable {
        entitlement_ids: vec![entitlement_id(gid, "member")],
        shallow: false,
        resource_type_ids: vec!["user".into()],
    }));
    g
}

/// Rewrites the database inside a c1z with `edit` (for states a test cannot
/// reach through the API, such as a sync started eight days ago).
pub fn edit_c1z(path: &std::path::Path, edit: impl FnOnce(&rusqlite::Connection)) {
    let bytes = std::fs::read(path).expect("c1z to edit");
    assert_eq!(&bytes[..5], b"C1ZF\0");
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("db");
    std::fs::write(&db, zstd::decode_all(&bytes[5..]).expect("zstd")).expect("write db");
    {
        let conn = rusqlite::Connection::open(&db).expect("open db");
        edit(&conn);
    }
    let mut out = b"C1ZF\0".to_vec();
    out.extend(zstd::encode_all(std::fs::read(&db).expect("read db").as_slice(), 3).expect("zstd"));
    std::fs::write(path, out).expect("write c1z");
}
