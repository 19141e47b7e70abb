//! Every message kind goes through a real c1z (write, end, save, reopen) and
//! reads back equal; filters, pages and streaming return the right rows.

mod common;

use baton_proto::v2::{Grant, GrantExpandable, ResourceId};
use baton_proto::{find_annotation, Any};
use c1z::{C1zStore, GrantFilter, OpenOptions, SyncType, WriteBatch};
use common::*;
use prost::Name;

struct Fixture {
    batch: WriteBatch,
}

/// 1 workspace, 3 teams, 5 users; team memberships and workspace membership.
fn fixture() -> Fixture {
    let ws = workspace();
    let teams: Vec<_> = (0..3).map(group).collect();
    let users: Vec<_> = (0..5).map(user).collect();
    let mut resources = vec![ws.clone()];
    resources.extend(teams.iter().cloned());
    resources.extend(users.iter().cloned());
    let mut entitlements = vec![entitlement(&ws, "Member"), entitlement(&ws, "Guest")];
    let mut grants = Vec::new();
    for (t, team) in teams.iter().enumerate() {
        entitlements.push(entitlement(team, "Team Member"));
        entitlements.push(entitlement(team, "Admin"));
        for u in users.iter().skip(t).step_by(2) {
            grants.push(annotated_grant(team, "Team Member", u.id.as_ref().unwrap()));
        }
        grants.push(expandable_grant(&ws, "Member", team));
    }
    for u in &users {
        grants.push(grant(&ws, "Member", u.id.as_ref().unwrap()));
    }
    Fixture {
        batch: WriteBatch {
            resource_types: vec![workspace_type(), group_type(), user_type()],
            resources,
            entitlements,
            grants,
        },
    }
}

fn write_and_save(path: &std::path::Path, batch: &WriteBatch) -> String {
    let mut store = C1zStore::open(path, &OpenOptions::default()).unwrap();
    let run = store.start_sync().unwrap();
    // Half through the single-kind calls, half through write_batch.
    store
        .put_resource_types(&run.sync_id, &batch.resource_types)
        .unwrap();
    store.put_resources(&run.sync_id, &batch.resources).unwrap();
    let rest = WriteBatch {
        entitlements: batch.entitlements.clone(),
        grants: batch.grants.clone(),
        ..WriteBatch::default()
    };
    store
        .write_batch(&run.sync_id, &rest, Some("{\"page\":1}"))
        .unwrap();
    store.end_sync(&run.sync_id).unwrap();
    store.save(path).unwrap();
    run.sync_id
}

#[test]
fn every_kind_round_trips_through_a_saved_c1z() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sync.c1z");
    let f = fixture();
    let sync_id = write_and_save(&path, &f.batch);

    let store = C1zStore::open(&path, &OpenOptions::default().read_only()).unwrap();
    let latest = store
        .latest_finished_sync(Some(SyncType::Full))
        .unwrap()
        .unwrap();
    assert_eq!(latest.sync_id, sync_id);
    assert_eq!(latest.sync_token, "{\"page\":1}");

    assert_eq!(
        store.list_resource_types(&sync_id).unwrap(),
        f.batch.resource_types
    );
    assert_eq!(
        store.list_resources(&sync_id, None, None).unwrap(),
        f.batch.resources
    );
    assert_eq!(
        store.list_entitlements(&sync_id, None).unwrap(),
        f.batch.entitlements
    );
    assert_eq!(
        store
            .list_grants(&sync_id, &GrantFilter::default())
            .unwrap(),
        f.batch.grants
    );

    for rt in &f.batch.resource_types {
        assert_eq!(
            store.get_resource_type(&sync_id, &rt.id).unwrap().as_ref(),
            Some(rt)
        );
    }
    for r in &f.batch.resources {
        let id = r.id.as_ref().unwrap();
        assert_eq!(store.get_resource(&sync_id, id).unwrap().as_ref(), Some(r));
        assert!(store.resource_exists(&sync_id, id).unwrap());
    }
    for e in &f.batch.entitlements {
        assert_eq!(
            store.get_entitlement(&sync_id, &e.id).unwrap().as_ref(),
            Some(e)
        );
    }
    for g in &f.batch.grants {
        assert_eq!(store.get_grant(&sync_id, &g.id).unwrap().as_ref(), Some(g));
    }
    assert_eq!(store.get_grant(&sync_id, "no:such:grant").unwrap(), None);
    assert_eq!(store.get_resource(&sync_id, &user_id(999)).unwrap(), None);
    assert!(!store.resource_exists(&sync_id, &user_id(999)).unwrap());
    assert_eq!(
        store.get_resource(&"x".repeat(27), &user_id(0)).unwrap(),
        None
    );
}

#[test]
fn filters_select_the_right_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sync.c1z");
    let f = fixture();
    let sync_id = write_and_save(&path, &f.batch);
    let store = C1zStore::open(&path, &OpenOptions::default()).unwrap();

    let users = store.list_resources(&sync_id, Some("user"), None).unwrap();
    assert_eq!(users.len(), 5);
    let under_ws = store
        .list_resources(&sync_id, None, Some(&workspace_id()))
        .unwrap();
    assert_eq!(
        under_ws.len(),
        8,
        "teams and users have the workspace as parent"
    );
    let team0_ents = store
        .list_entitlements(&sync_id, Some(&group_id(0)))
        .unwrap();
    assert_eq!(
        team0_ents
            .iter()
            .map(|e| e.slug.as_str())
            .collect::<Vec<_>>(),
        ["Team Member", "Admin"]
    );

    let expected = |pred: &dyn Fn(&Grant) -> bool| -> Vec<Grant> {
        f.batch.grants.iter().filter(|g| pred(g)).cloned().collect()
    };
    let ent = "team:1209000000000000:Team Member";
    assert_eq!(
        store
            .list_grants(&sync_id, &GrantFilter::entitlement(ent))
            .unwrap(),
        expected(&|g| g.entitlement.as_ref().unwrap().id == ent)
    );
    let u2 = user_id(2);
    let principal_is =
        |g: &Grant, id: &ResourceId| g.principal.as_ref().unwrap().id.as_ref() == Some(id);
    assert_eq!(
        store
            .list_grants(&sync_id, &GrantFilter::principal(&u2))
            .unwrap(),
        expected(&|g| principal_is(g, &u2))
    );
    let on_ws = store
        .list_grants(&sync_id, &GrantFilter::resource(&workspace_id()))
        .unwrap();
    assert_eq!(on_ws.len(), 3 + 5);
    let by_type = GrantFilter {
        resource_type: Some("team".into()),
        principal: Some(u2.clone()),
        ..GrantFilter::default()
    };
    assert_eq!(
        store.list_grants(&sync_id, &by_type).unwrap(),
        expected(&|g| principal_is(g, &u2) && g.id.starts_with("team:"))
    );
}

#[test]
fn pages_and_streams_cover_every_row_once_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sync.c1z");
    let f = fixture();
    let sync_id = write_and_save(&path, &f.batch);
    let store = C1zStore::open(&path, &OpenOptions::default()).unwrap();
    let all = GrantFilter::default();

    for limit in [1, 2, 5, 100] {
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = store
                .list_grants_page(&sync_id, &all, after, limit)
                .unwrap();
            assert!(page.items.len() <= limit);
            seen.extend(page.items);
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        assert_eq!(seen, f.batch.grants, "limit {limit}");
    }
    assert!(store.list_grants_page(&sync_id, &all, None, 0).is_err());

    let mut streamed = Vec::new();
    store
        .for_each_grant(&sync_id, &all, |g| {
            streamed.push(g);
            Ok::<(), c1z::Error>(())
        })
        .unwrap();
    assert_eq!(streamed, f.batch.grants);

    // A caller's error stops the stream and comes back unchanged.
    #[derive(Debug)]
    enum Mine {
        Stop,
        Store,
    }
    impl From<c1z::Error> for Mine {
        fn from(_: c1z::Error) -> Self {
            Mine::Store
        }
    }
    let mut count = 0;
    let stopped = store.for_each_resource(&sync_id, None, None, |_| {
        count += 1;
        if count == 3 {
            Err(Mine::Stop)
        } else {
            Ok(())
        }
    });
    assert!(matches!(stopped, Err(Mine::Stop)));
    assert_eq!(count, 3);

    let page = store
        .list_resources_page(&sync_id, Some("user"), None, None, 3)
        .unwrap();
    assert_eq!(page.items.len(), 3);
    let rest = store
        .list_resources_page(&sync_id, Some("user"), None, page.next, 3)
        .unwrap();
    assert_eq!(rest.items.len(), 2);
    assert_eq!(rest.next, None);
    let ents = store
        .list_entitlements_page(&sync_id, None, None, 100)
        .unwrap();
    assert_eq!(ents.items, f.batch.entitlements);
}

#[test]
fn grant_expandable_moves_to_the_expansion_column_and_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sync.c1z");
    let f = fixture();
    let sync_id = write_and_save(&path, &f.batch);
    let store = C1zStore::open(&path, &OpenOptions::default()).unwrap();

    let mut expandable = Vec::new();
    store
        .for_each_expandable_grant(&sync_id, |g, e: GrantExpandable| {
            expandable.push((g.id, e.entitlement_ids));
            Ok::<(), c1z::Error>(())
        })
        .unwrap();
    assert_eq!(expandable.len(), 3);
    assert_eq!(
        expandable[0].0,
        "workspace:1100000000000001:Member:team:1209000000000000"
    );
    assert_eq!(
        expandable[0].1,
        vec!["team:1209000000000000:member".to_owned()]
    );

    // The stored blob itself must not carry the annotation (baton-sdk v0.25 layout).
    drop(store);
    let db = decompress(&path);
    let conn = rusqlite::Connection::open(db.path().join("db")).unwrap();
    let (data, expansion, needs): (Vec<u8>, Option<Vec<u8>>, i64) = conn
        .query_row(
            "select data, expansion, needs_expansion from v1_grants where external_id = ?1",
            [&expandable[0].0],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    let blob: Grant = prost::Message::decode(data.as_slice()).unwrap();
    assert!(find_annotation::<GrantExpandable>(&blob.annotations)
        .unwrap()
        .is_none());
    let column: GrantExpandable = prost::Message::decode(expansion.unwrap().as_slice()).unwrap();
    assert_eq!(column.resource_type_ids, vec!["user".to_owned()]);
    assert_eq!(needs, 1);
    let plain: Option<Vec<u8>> = conn
        .query_row(
            "select expansion from v1_grants where external_id = 'workspace:1100000000000001:Member:user:1200000000000000'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(plain, None);
}

#[test]
fn blank_expandable_is_stripped_but_not_stored() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sync.c1z");
    let mut store = C1zStore::open(&path, &OpenOptions::default()).unwrap();
    let run = store.start_sync().unwrap();
    let mut g = grant(&group(1), "Admin", &user_id(1));
    g.annotations.push(baton_proto::pack_any(&GrantExpandable {
        entitlement_ids: vec!["  ".into()],
        ..GrantExpandable::default()
    }));
    store
        .put_grants(&run.sync_id, std::slice::from_ref(&g))
        .unwrap();
    let back = store.get_grant(&run.sync_id, &g.id).unwrap().unwrap();
    assert!(
        back.annotations.is_empty(),
        "baton-sdk drops an expandable with no entitlement ids"
    );
    let mut n = 0;
    store
        .for_each_expandable_grant(&run.sync_id, |_, _| {
            n += 1;
            Ok::<(), c1z::Error>(())
        })
        .unwrap();
    assert_eq!(n, 0);
}

#[test]
fn reputting_a_row_replaces_its_data_only() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = C1zStore::open(&dir.path().join("x.c1z"), &OpenOptions::default()).unwrap();
    let run = store.start_sync().unwrap();
    let mut u = user(7);
    store
        .put_resources(&run.sync_id, std::slice::from_ref(&u))
        .unwrap();
    u.display_name = "Renamed".into();
    store
        .put_resources(&run.sync_id, std::slice::from_ref(&u))
        .unwrap();
    let all = store.list_resources(&run.sync_id, None, None).unwrap();
    assert_eq!(all, vec![u]);

    // Grants: an expansion appearing later sets needs_expansion, vanishing clears it.
    let team = group(1);
    let mut g = grant(&workspace(), "Member", team.id.as_ref().unwrap());
    store
        .put_grants(&run.sync_id, std::slice::from_ref(&g))
        .unwrap();
    let eg = expandable_grant(&workspace(), "Member", &team);
    store
        .put_grants(&run.sync_id, std::slice::from_ref(&eg))
        .unwrap();
    assert_eq!(store.get_grant(&run.sync_id, &eg.id).unwrap(), Some(eg));
    g.annotations.clear();
    store
        .put_grants(&run.sync_id, std::slice::from_ref(&g))
        .unwrap();
    assert_eq!(store.get_grant(&run.sync_id, &g.id).unwrap(), Some(g));
    assert_eq!(store.stats(&run.sync_id).unwrap().grants, 1);
}

#[test]
fn writes_need_a_running_sync_and_complete_ids() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = C1zStore::open(&dir.path().join("x.c1z"), &OpenOptions::default()).unwrap();
    let err = store.put_resources("nope", &[user(1)]).unwrap_err();
    assert!(matches!(err, c1z::Error::SyncNotFound { .. }), "{err}");
    let run = store.start_sync().unwrap();

    let mut no_id = user(1);
    no_id.id = None;
    let err = store
        .put_resources(&run.sync_id, &[user(2), no_id])
        .unwrap_err();
    assert!(err.to_string().contains("id is not set"), "{err}");
    assert!(
        store
            .list_resources(&run.sync_id, None, None)
            .unwrap()
            .is_empty(),
        "a failed batch writes nothing"
    );

    let mut bad = grant(&group(1), "Admin", &user_id(1));
    bad.principal = None;
    assert!(store.put_grants(&run.sync_id, &[bad]).is_err());
    let mut bad = grant(&group(1), "Admin", &user_id(1));
    bad.annotations.push(Any {
        type_url: GrantExpandable::type_url(),
        value: vec![0xff, 0xff].into(),
    });
    let err = store.put_grants(&run.sync_id, &[bad]).unwrap_err();
    assert!(err.to_string().contains("GrantExpandable"), "{err}");

    store.end_sync(&run.sync_id).unwrap();
    let err = store.put_resources(&run.sync_id, &[user(3)]).unwrap_err();
    assert!(matches!(err, c1z::Error::SyncEnded { .. }), "{err}");
    assert!(store.checkpoint(&run.sync_id, "x").is_err());
    assert!(store.end_sync(&run.sync_id).is_err());
}

#[test]
fn read_only_stores_refuse_writes_and_saves() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sync.c1z");
    write_and_save(&path, &fixture().batch);
    let mut store = C1zStore::open(&path, &OpenOptions::default().read_only()).unwrap();
    assert!(matches!(
        store.start_sync(),
        Err(c1z::Error::ReadOnly { .. })
    ));
    assert!(matches!(store.cleanup(1), Err(c1z::Error::ReadOnly { .. })));
    assert!(matches!(
        store.save_copy(&path),
        Err(c1z::Error::ReadOnly { .. })
    ));
}

/// Decompresses a c1z into a temp dir as `db`, with the zstd crate directly.
pub fn decompress(path: &std::path::Path) -> tempfile::TempDir {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..5], b"C1ZF\0");
    let db = zstd::decode_all(&bytes[5..]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("db"), db).unwrap();
    dir
}
