//! Property: any well-formed batch of messages written to a sync, saved and
//! reopened, reads back equal (by id and in full lists), with arbitrary text,
//! annotations and optional fields.

use baton_proto::v2::{
    entitlement, resource, Entitlement, ExternalId, Grant, GrantExpandable, GrantSources, Resource,
    ResourceId, ResourceType,
};
use baton_proto::{pack_any, Any};
use c1z::{C1zStore, GrantFilter, OpenOptions, WriteBatch};
use proptest::prelude::*;

fn text() -> impl Strategy<Value = String> {
    // Unicode, colons and spaces included: ids are not escaped in baton.
    "[a-zA-Z0-9 :_é中-]{0,24}"
}

fn id_part() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9:_ -]{1,16}"
}

fn annotation() -> impl Strategy<Value = Any> {
    (
        prop::sample::select(vec![
            "type.googleapis.com/c1.connector.v2.UserTrait",
            "type.googleapis.com/c1.connector.v2.GroupTrait",
            "type.googleapis.com/c1.connector.v2.GrantImmutable",
            "type.googleapis.com/example.Unknown",
        ]),
        prop::collection::vec(any::<u8>(), 0..64),
    )
        .prop_map(|(url, value)| Any {
            type_url: url.to_owned(),
            value: value.into(),
        })
}

fn resource_id(rt: impl Strategy<Value = String>) -> impl Strategy<Value = ResourceId> {
    (rt, id_part(), any::<bool>()).prop_map(|(resource_type, resource, baton_resource)| {
        ResourceId {
            resource_type,
            resource,
            baton_resource,
        }
    })
}

fn resource_type() -> impl Strategy<Value = ResourceType> {
    (
        id_part(),
        text(),
        prop::collection::vec(0i32..13, 0..3),
        prop::collection::vec(annotation(), 0..3),
        text(),
        any::<bool>(),
    )
        .prop_map(
            |(id, display_name, traits, annotations, description, sourced_externally)| {
                ResourceType {
                    id,
                    display_name,
                    traits,
                    annotations,
                    description,
                    sourced_externally,
                }
            },
        )
}

fn resource() -> impl Strategy<Value = Resource> {
    (
        resource_id(id_part()),
        prop::option::of(resource_id(id_part())),
        text(),
        prop::collection::vec(annotation(), 0..3),
        text(),
        prop::option::of((text(), text(), text())),
        0i32..3,
    )
        .prop_map(
            |(id, parent, display_name, annotations, description, external, source)| Resource {
                id: Some(id),
                parent_resource_id: parent,
                display_name,
                annotations,
                description,
                external_id: external.map(|(id, link, description)| ExternalId {
                    id,
                    link,
                    description,
                }),
                creation_source: source,
                status: Some(resource::Status {
                    status: 1,
                    details: String::new(),
                }),
                ..Resource::default()
            },
        )
}

fn entitlement() -> impl Strategy<Value = Entitlement> {
    (
        resource(),
        text(),
        text(),
        prop::collection::vec(annotation(), 0..2),
        0i32..4,
        id_part(),
    )
        .prop_map(
            |(resource, display_name, description, annotations, purpose, slug)| {
                let rid = resource.id.clone().unwrap_or_default();
                Entitlement {
                    id: baton_proto::ids::entitlement_id(&rid, &slug),
                    resource: Some(resource),
                    display_name,
                    description,
                    grantable_to: vec![],
                    annotations,
                    purpose,
                    slug,
                }
            },
        )
}

fn grant() -> impl Strategy<Value = Grant> {
    (
        entitlement(),
        resource_id(id_part()),
        prop::collection::vec(annotation(), 0..3),
        prop::option::of(prop::collection::vec("[a-zA-Z0-9:_-]{1,16}", 1..3)),
        any::<bool>(),
    )
        .prop_map(|(ent, principal, mut annotations, expand, direct)| {
            if let Some(ids) = expand {
                // Non-blank ids: baton-sdk drops an all-blank expansion (tested in roundtrip.rs).
                annotations.push(pack_any(&GrantExpandable {
                    entitlement_ids: ids,
                    shallow: direct,
                    resource_type_ids: vec!["user".into()],
                }));
            }
            let mut sources = GrantSources::default();
            if direct {
                sources.sources.insert(
                    ent.id.clone(),
                    baton_proto::v2::grant_sources::GrantSource { is_direct: true },
                );
            }
            Grant {
                id: baton_proto::ids::grant_id(&ent.id, &principal),
                entitlement: Some(Entitlement {
                    purpose: entitlement::PurposeValue::Assignment as i32,
                    ..ent
                }),
                principal: Some(Resource {
                    id: Some(principal),
                    ..Resource::default()
                }),
                annotations,
                sources: Some(sources),
            }
        })
}

/// Keeps the first of each id, as the store's upsert would keep the last;
/// unique ids make "read back equal" well defined.
fn unique_by<T: Clone>(items: Vec<T>, key: impl Fn(&T) -> String) -> Vec<T> {
    let mut seen = std::collections::HashSet::new();
    items.into_iter().filter(|i| seen.insert(key(i))).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn written_messages_read_back_equal(
        rts in prop::collection::vec(resource_type(), 0..6),
        rs in prop::collection::vec(resource(), 0..10),
        es in prop::collection::vec(entitlement(), 0..10),
        gs in prop::collection::vec(grant(), 0..10),
    ) {
        let rts = unique_by(rts, |r| r.id.clone());
        let rs = unique_by(rs, |r| baton_proto::ids::resource_key(r.id.as_ref().unwrap()));
        let es = unique_by(es, |e| e.id.clone());
        let gs = unique_by(gs, |g| g.id.clone());

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.c1z");
        let opts = OpenOptions::default().with_temp_dir(dir.path());
        let mut store = C1zStore::open(&path, &opts).unwrap();
        let run = store.start_sync().unwrap();
        let batch = WriteBatch { resource_types: rts.clone(), resources: rs.clone(), entitlements: es.clone(), grants: gs.clone() };
        store.write_batch(&run.sync_id, &batch, Some("tok")).unwrap();
        store.end_sync(&run.sync_id).unwrap();
        store.save(&path).unwrap();

        let store = C1zStore::open(&path, &opts.clone().read_only()).unwrap();
        let sync = run.sync_id.as_str();
        prop_assert_eq!(store.list_resource_types(sync).unwrap(), rts.clone());
        prop_assert_eq!(store.list_resources(sync, None, None).unwrap(), rs.clone());
        prop_assert_eq!(store.list_entitlements(sync, None).unwrap(), es.clone());
        prop_assert_eq!(store.list_grants(sync, &GrantFilter::default()).unwrap(), gs.clone());
        for r in &rs {
            prop_assert_eq!(store.get_resource(sync, r.id.as_ref().unwrap()).unwrap(), Some(r.clone()));
        }
        for g in &gs {
            prop_assert_eq!(store.get_grant(sync, &g.id).unwrap(), Some(g.clone()));
            let principal = g.principal.as_ref().unwrap().id.as_ref().unwrap();
            let mine = store.list_grants(sync, &GrantFilter::principal(principal)).unwrap();
            prop_assert!(mine.contains(g));
        }
        let stats = store.stats(sync).unwrap();
        prop_assert_eq!(stats.grants, gs.len() as i64);
        prop_assert_eq!(stats.resources, rs.len() as i64);
    }
}
