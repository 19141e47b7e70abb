//! Real files written by ConductorOne's Go tooling (tests/fixtures/README.md):
//! both v1 files open and list exactly the rows the README describes; the v3
//! (Pebble) file gets the clear error.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use baton_proto::ids::resource_id;
use baton_proto::v2::GroupTrait;
use c1z::{C1zStore, Error, GrantFilter, OpenOptions, SyncType};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

const OLD: &str = "go-baton-asana-sdk-v0.2.61.c1z";
const NEW: &str = "go-baton-sdk-v0.25.0-sqlite.c1z";
const PEBBLE: &str = "go-baton-sdk-v0.25.0-pebble-v3.c1z";

/// `baton grants` on the old file: grant id, entitlement display name, principal name.
const OLD_GRANTS: [(&str, &str, &str); 9] = [
    (
        "team:3002:Team Member:user:2002",
        "Design Team Team Member",
        "Grace Hopper",
    ),
    (
        "team:3002:Guest:user:2004",
        "Design Team Guest",
        "Guest User",
    ),
    (
        "team:3001:Admin:user:2001",
        "Engineering Team Admin",
        "Ada Lovelace",
    ),
    (
        "team:3001:Team Member:user:2002",
        "Engineering Team Team Member",
        "Grace Hopper",
    ),
    (
        "team:3001:Limited Access:user:2003",
        "Engineering Team Limited Access",
        "Linus",
    ),
    (
        "workspace:1001:Member:user:2001",
        "Acme Corp Workspace Member",
        "Ada Lovelace",
    ),
    (
        "workspace:1001:Member:user:2002",
        "Acme Corp Workspace Member",
        "Grace Hopper",
    ),
    (
        "workspace:1001:Member:user:2003",
        "Acme Corp Workspace Member",
        "Linus",
    ),
    (
        "workspace:1001:Guest:user:2004",
        "Acme Corp Workspace Guest",
        "Guest User",
    ),
];

fn check_old_file(store: &C1zStore) {
    let runs = store.list_sync_runs().unwrap();
    assert_eq!(runs.len(), 1);
    let run = store
        .latest_finished_sync(Some(SyncType::Full))
        .unwrap()
        .unwrap();
    assert_eq!(run, runs[0]);
    assert_eq!(run.sync_id, "3MyEGexubnLGXyRJrtEkNHwW74c");
    assert_eq!(run.started_at, "2026-12-03 16:11:52.153649061");
    assert_eq!(
        run.ended_at.as_deref(),
        Some("2026-12-03 16:11:52.231973737")
    );
    assert_eq!(
        run.sync_type,
        SyncType::Full,
        "old files have no sync_type: the default is full"
    );
    assert!(run.sync_token.contains("\"current_action\""));
    assert!(!run.grants_backfilled);
    let sync = run.sync_id.as_str();

    let types: BTreeSet<_> = store
        .list_resource_types(sync)
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(
        types,
        BTreeSet::from(["team".into(), "user".into(), "workspace".into()])
    );

    let resources = store.list_resources(sync, None, None).unwrap();
    let keys: BTreeSet<_> = resources
        .iter()
        .map(|r| baton_proto::ids::resource_key(r.id.as_ref().unwrap()))
        .collect();
    let expected: BTreeSet<String> = [
        "workspace:1001",
        "team:3001",
        "team:3002",
        "user:2001",
        "user:2002",
        "user:2003",
        "user:2004",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(keys, expected);
    let teams = store
        .list_resources(sync, Some("team"), Some(&resource_id("workspace", "1001")))
        .unwrap();
    assert_eq!(teams.len(), 2);
    let design = store
        .get_resource(sync, &resource_id("team", "3002"))
        .unwrap()
        .unwrap();
    assert_eq!(design.display_name, "Design");
    assert!(
        baton_proto::find_annotation::<GroupTrait>(&design.annotations)
            .unwrap()
            .is_some()
    );

    assert_eq!(store.list_entitlements(sync, None).unwrap().len(), 11);

    let grants = store.list_grants(sync, &GrantFilter::default()).unwrap();
    let ids: BTreeSet<_> = grants.iter().map(|g| g.id.clone()).collect();
    let expected_ids: BTreeSet<_> = OLD_GRANTS.iter().map(|(id, ..)| (*id).to_owned()).collect();
    assert_eq!(ids, expected_ids);
    for (id, entitlement_name, principal_name) in OLD_GRANTS {
        let grant = store.get_grant(sync, id).unwrap().unwrap();
        let ent_id = &grant.entitlement.as_ref().unwrap().id;
        let ent = store.get_entitlement(sync, ent_id).unwrap().unwrap();
        assert_eq!(ent.display_name, entitlement_name, "{id}");
        let principal = grant.principal.as_ref().unwrap().id.as_ref().unwrap();
        let who = store.get_resource(sync, principal).unwrap().unwrap();
        assert_eq!(who.display_name, principal_name, "{id}");
    }

    // User 2004 (an inactive workspace member in Asana) got Guest grants only.
    let guest = store
        .list_grants(sync, &GrantFilter::principal(&resource_id("user", "2004")))
        .unwrap();
    let slugs: BTreeSet<_> = guest
        .iter()
        .map(|g| {
            let ent = store
                .get_entitlement(sync, &g.entitlement.as_ref().unwrap().id)
                .unwrap()
                .unwrap();
            ent.slug
        })
        .collect();
    assert_eq!(slugs, BTreeSet::from(["Guest".to_owned()]));
    assert_eq!(guest.len(), 2);

    let stats = store.stats(sync).unwrap();
    assert_eq!(
        (
            stats.resource_types,
            stats.resources,
            stats.entitlements,
            stats.grants
        ),
        (3, 7, 11, 9)
    );
    assert_eq!(stats.grants_by_resource_type.get("team"), Some(&5));
    assert_eq!(stats.grants_by_resource_type.get("workspace"), Some(&4));
}

#[test]
fn old_sdk_file_lists_exactly_the_readme_rows() {
    let store = C1zStore::open(&fixture(OLD), &OpenOptions::default().read_only()).unwrap();
    check_old_file(&store);
}

#[test]
fn old_sdk_file_is_migrated_and_saved_as_a_rollback_journal_db() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("old.c1z");
    std::fs::copy(fixture(OLD), &copy).unwrap();
    let mut store = C1zStore::open(&copy, &OpenOptions::default()).unwrap();
    check_old_file(&store);
    // A new sync goes next to the Go one.
    let run = store.start_sync().unwrap();
    store
        .put_resource_types(
            &run.sync_id,
            &[baton_proto::v2::ResourceType {
                id: "user".into(),
                ..Default::default()
            }],
        )
        .unwrap();
    store.end_sync(&run.sync_id).unwrap();
    store.save(&copy).unwrap();

    let bytes = std::fs::read(&copy).unwrap();
    let db = zstd::decode_all(&bytes[5..]).unwrap();
    // The Go file was in WAL mode (header bytes 18/19 = 2); ours must be self-contained.
    assert_eq!(
        (db[18], db[19]),
        (1, 1),
        "saved database must not be in WAL mode"
    );

    let store = C1zStore::open(&copy, &OpenOptions::default().read_only()).unwrap();
    assert_eq!(store.list_sync_runs().unwrap().len(), 2);
    assert_eq!(
        store.latest_finished_sync(None).unwrap().unwrap().sync_id,
        run.sync_id
    );
    let old = store
        .sync_run("3MyEGexubnLGXyRJrtEkNHwW74c")
        .unwrap()
        .unwrap();
    assert_eq!(
        store
            .list_grants(&old.sync_id, &GrantFilter::default())
            .unwrap()
            .len(),
        9
    );
}

#[test]
fn new_sdk_file_lists_exactly_the_readme_rows() {
    let store = C1zStore::open(&fixture(NEW), &OpenOptions::default().read_only()).unwrap();
    let run = store
        .latest_finished_sync(Some(SyncType::Full))
        .unwrap()
        .unwrap();
    assert_eq!(run.sync_id, "3MyEFcg1L6XzAWqsdx10mIOXiy6");
    assert!(run.grants_backfilled);
    let stored = run.stats.clone().expect("v0.25 stores stats");
    let sync = run.sync_id.as_str();

    let types: BTreeSet<_> = store
        .list_resource_types(sync)
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(types, BTreeSet::from(["group".into(), "user".into()]));
    assert_eq!(store.list_resources(sync, None, None).unwrap().len(), 5);
    assert_eq!(
        store
            .list_resources(sync, Some("user"), None)
            .unwrap()
            .len(),
        3
    );
    let ents: BTreeSet<_> = store
        .list_entitlements(sync, None)
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(
        ents,
        BTreeSet::from(["group:g-eng:member".into(), "group:g-ops:member".into()])
    );
    let grants: BTreeSet<_> = store
        .list_grants(sync, &GrantFilter::default())
        .unwrap()
        .into_iter()
        .map(|g| g.id)
        .collect();
    assert_eq!(
        grants,
        BTreeSet::from([
            "group:g-eng:member:user:u1".into(),
            "group:g-eng:member:user:u2".into(),
            "group:g-ops:member:user:u3".into(),
        ])
    );
    let eng = store
        .list_grants(sync, &GrantFilter::entitlement("group:g-eng:member"))
        .unwrap();
    assert_eq!(eng.len(), 2);

    // Our counts agree with what the Go SDK stored, key for key.
    let ours = c1z::SyncStats {
        step_durations_ms: stored.step_durations_ms.clone(),
        connector_call_stats: stored.connector_call_stats.clone(),
        session_store_stats: stored.session_store_stats.clone(),
        ..store.stats(sync).unwrap()
    };
    assert_eq!(ours, stored);
}

#[test]
fn pebble_v3_file_gets_a_clear_error() {
    for open in [C1zStore::open, C1zStore::open_resumable] {
        let dir = tempfile::tempdir().unwrap();
        let copy = dir.path().join("v3.c1z");
        std::fs::copy(fixture(PEBBLE), &copy).unwrap();
        let opts = OpenOptions::default().with_temp_dir(dir.path());
        let err = open(&copy, &opts).unwrap_err();
        assert!(matches!(err, Error::PebbleFormat { .. }), "{err:?}");
        let message = err.to_string();
        assert!(
            message.contains("Pebble") && message.contains("v3"),
            "{message}"
        );
        assert!(message.contains("--storage-engine=sqlite"), "{message}");
        assert!(!message.contains('\n'));
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(
            left,
            vec![std::ffi::OsString::from("v3.c1z")],
            "no working dir left behind"
        );
    }
}

#[test]
fn go_sync_ids_are_ksuids_of_their_start_time() {
    let started = c1z::parse_go_timestamp("2026-12-03 16:11:52")
        .unwrap()
        .and_utc()
        .timestamp();
    let made = c1z::ksuid_unix_seconds("3MyEGexubnLGXyRJrtEkNHwW74c").unwrap();
    // The writer's time zone is unknown: within a day.
    assert!((made - started).abs() <= 14 * 3600, "{made} vs {started}");
}
