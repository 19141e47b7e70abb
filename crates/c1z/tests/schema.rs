//! The schema we write is the one baton-sdk v0.25 writes: same tables, same
//! columns (names, order, declared types, NOT NULL, defaults), same indexes
//! (names, columns, unique, partial) — checked against the reference and
//! against a real Go-written file.

use std::collections::BTreeMap;
use std::path::Path;

use c1z::{C1zStore, OpenOptions};
use rusqlite::Connection;

/// (name, declared type, not null, default)
type Column = (String, String, bool, Option<String>);
/// (table, columns, unique, partial)
type Index = (String, Vec<String>, bool, bool);

struct Schema {
    tables: BTreeMap<String, Vec<Column>>,
    indexes: BTreeMap<String, Index>,
}

fn schema_of(conn: &Connection) -> Schema {
    let names: Vec<String> = conn
        .prepare("select name from sqlite_master where type = 'table' order by name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut tables = BTreeMap::new();
    let mut indexes = BTreeMap::new();
    for table in names {
        let columns: Vec<Column> = conn
            .prepare(&format!("pragma table_info({table})"))
            .unwrap()
            .query_map([], |r| {
                Ok((
                    r.get(1)?,
                    r.get::<_, String>(2)?.to_lowercase(),
                    r.get(3)?,
                    r.get(4)?,
                ))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let list: Vec<(String, bool, String)> = conn
            .prepare(&format!("pragma index_list({table})"))
            .unwrap()
            .query_map([], |r| {
                Ok((
                    r.get(1)?,
                    r.get(2)?,
                    r.get(4)
                        .map(|p: bool| if p { "p".into() } else { String::new() })?,
                ))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        for (name, unique, partial) in list {
            let cols: Vec<String> = conn
                .prepare(&format!("pragma index_info({name})"))
                .unwrap()
                .query_map([], |r| {
                    r.get::<_, Option<String>>(2)
                        .map(|c| c.unwrap_or_else(|| "rowid".into()))
                })
                .unwrap()
                .map(Result::unwrap)
                .collect();
            indexes.insert(name, (table.clone(), cols, unique, !partial.is_empty()));
        }
        tables.insert(table, columns);
    }
    Schema { tables, indexes }
}

fn decompressed(c1z: &Path, dir: &Path) -> Connection {
    let bytes = std::fs::read(c1z).unwrap();
    let db = dir.join(format!("{}.db", c1z.file_name().unwrap().to_string_lossy()));
    std::fs::write(&db, zstd::decode_all(&bytes[5..]).unwrap()).unwrap();
    Connection::open(db).unwrap()
}

fn ours(dir: &Path) -> Connection {
    let path = dir.join("ours.c1z");
    let mut store = C1zStore::open(&path, &OpenOptions::default()).unwrap();
    let run = store.start_sync().unwrap();
    store.end_sync(&run.sync_id).unwrap();
    store.save(&path).unwrap();
    decompressed(&path, dir)
}

fn go_fixture(name: &str, dir: &Path) -> Connection {
    decompressed(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
        dir,
    )
}

#[test]
fn tables_columns_and_indexes_match_the_reference() {
    let dir = tempfile::tempdir().unwrap();
    let schema = schema_of(&ours(dir.path()));
    let columns =
        |t: &str| -> Vec<&str> { schema.tables[t].iter().map(|c| c.0.as_str()).collect() };
    assert_eq!(
        schema.tables.keys().map(String::as_str).collect::<Vec<_>>(),
        [
            "v1_assets",
            "v1_connector_sessions",
            "v1_entitlements",
            "v1_grants",
            "v1_resource_types",
            "v1_resources",
            "v1_sync_runs"
        ]
    );
    assert_eq!(
        columns("v1_resource_types"),
        ["id", "external_id", "data", "sync_id", "discovered_at"]
    );
    assert_eq!(
        columns("v1_resources"),
        [
            "id",
            "resource_type_id",
            "external_id",
            "parent_resource_type_id",
            "parent_resource_id",
            "data",
            "sync_id",
            "discovered_at"
        ]
    );
    assert_eq!(
        columns("v1_entitlements"),
        [
            "id",
            "resource_type_id",
            "resource_id",
            "external_id",
            "data",
            "sync_id",
            "discovered_at"
        ]
    );
    assert_eq!(
        columns("v1_grants"),
        [
            "id",
            "resource_type_id",
            "resource_id",
            "entitlement_id",
            "principal_resource_type_id",
            "principal_resource_id",
            "external_id",
            "expansion",
            "needs_expansion",
            "data",
            "sync_id",
            "discovered_at"
        ]
    );
    assert_eq!(
        columns("v1_sync_runs"),
        [
            "id",
            "sync_id",
            "started_at",
            "ended_at",
            "sync_token",
            "sync_type",
            "parent_sync_id",
            "linked_sync_id",
            "supports_diff",
            "grants_backfilled",
            "stats",
            "ingest_invariant_generation",
            "ingest_invariant_coverage",
            "ingest_invariant_mode"
        ]
    );
    assert_eq!(
        columns("v1_assets"),
        [
            "id",
            "external_id",
            "content_type",
            "data",
            "sync_id",
            "discovered_at"
        ]
    );
    assert_eq!(
        columns("v1_connector_sessions"),
        ["id", "sync_id", "key", "value"]
    );

    let idx = |name: &str| {
        schema
            .indexes
            .get(name)
            .unwrap_or_else(|| panic!("missing index {name}"))
    };
    let cols = |name: &str| idx(name).1.join(",");
    assert_eq!(
        cols("idx_resource_types_external_sync_v1"),
        "external_id,sync_id"
    );
    assert_eq!(
        cols("idx_resources_resource_type_id_v1"),
        "resource_type_id"
    );
    assert_eq!(
        cols("idx_resources_external_sync_v1"),
        "parent_resource_type_id,parent_resource_id"
    );
    assert_eq!(
        cols("idx_resources_parent_resource_id_v1"),
        "external_id,sync_id"
    );
    assert_eq!(
        cols("idx_entitlements_resource_id_v1"),
        "resource_type_id,resource_id"
    );
    assert_eq!(
        cols("idx_entitlements_external_sync_v1"),
        "external_id,sync_id"
    );
    assert_eq!(
        cols("idx_grants_resource_type_id_resource_id_v1"),
        "resource_type_id,resource_id"
    );
    assert_eq!(
        cols("idx_grants_principal_id_v1"),
        "principal_resource_type_id,principal_resource_id"
    );
    assert_eq!(
        cols("idx_grants_entitlement_id_principal_id_v1"),
        "entitlement_id,principal_resource_type_id,principal_resource_id"
    );
    assert_eq!(cols("idx_grants_external_sync_v1"), "external_id,sync_id");
    assert_eq!(
        cols("idx_grants_entitlement_sync_grant_v1"),
        "entitlement_id,sync_id,id"
    );
    assert_eq!(cols("idx_grants_sync_expansion_v1"), "sync_id");
    assert_eq!(cols("idx_grants_sync_needs_expansion_v1"), "sync_id");
    assert_eq!(cols("idx_sync_runs_sync_id_v1"), "sync_id");
    assert_eq!(cols("idx_assets_external_sync_v1"), "external_id,sync_id");
    assert_eq!(cols("idx_session_store_sync_key_v1"), "sync_id,key");
    assert_eq!(schema.indexes.len(), 16);
    let unique: Vec<_> = schema
        .indexes
        .iter()
        .filter(|(_, i)| i.2)
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(
        unique,
        [
            "idx_assets_external_sync_v1",
            "idx_entitlements_external_sync_v1",
            "idx_grants_external_sync_v1",
            "idx_resource_types_external_sync_v1",
            "idx_resources_parent_resource_id_v1",
            "idx_session_store_sync_key_v1",
            "idx_sync_runs_sync_id_v1"
        ]
    );
    let partial: Vec<_> = schema
        .indexes
        .iter()
        .filter(|(_, i)| i.3)
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(
        partial,
        [
            "idx_grants_sync_expansion_v1",
            "idx_grants_sync_needs_expansion_v1"
        ]
    );
}

#[test]
fn schema_is_identical_to_a_go_v0_25_file() {
    let dir = tempfile::tempdir().unwrap();
    let mine = schema_of(&ours(dir.path()));
    let go = schema_of(&go_fixture("go-baton-sdk-v0.25.0-sqlite.c1z", dir.path()));
    assert_eq!(mine.tables, go.tables);
    assert_eq!(mine.indexes, go.indexes);
}

#[test]
fn an_old_sdk_file_is_brought_up_to_the_same_schema() {
    let dir = tempfile::tempdir().unwrap();
    let old = go_fixture("go-baton-asana-sdk-v0.2.61.c1z", dir.path());
    let before = schema_of(&old);
    assert!(!before.tables["v1_grants"]
        .iter()
        .any(|c| c.0 == "expansion"));
    drop(old);

    let copy = dir.path().join("old.c1z");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/go-baton-asana-sdk-v0.2.61.c1z"),
        &copy,
    )
    .unwrap();
    let mut store = C1zStore::open(&copy, &OpenOptions::default()).unwrap();
    store.flush().unwrap();
    store.save(&copy).unwrap();
    let after = schema_of(&decompressed(&copy, dir.path()));
    let go = schema_of(&go_fixture("go-baton-sdk-v0.25.0-sqlite.c1z", dir.path()));
    // Same column sets as a v0.25 file. ALTER TABLE appends, so in v1_grants the
    // two expansion columns come last, exactly as when baton-sdk migrates a file.
    let names = |s: &Schema| -> BTreeMap<String, Vec<String>> {
        s.tables
            .iter()
            .map(|(t, cols)| {
                let mut names: Vec<String> = cols.iter().map(|c| c.0.clone()).collect();
                names.sort();
                (t.clone(), names)
            })
            .collect()
    };
    assert_eq!(names(&after), names(&go));
    assert_eq!(
        after.indexes.keys().collect::<Vec<_>>(),
        go.indexes.keys().collect::<Vec<_>>()
    );
}

#[test]
fn saved_file_is_a_plain_single_frame_c1z() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.c1z");
    let mut store = C1zStore::open(&path, &OpenOptions::default()).unwrap();
    let run = store.start_sync().unwrap();
    store.end_sync(&run.sync_id).unwrap();
    let info = store.save(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(info.file_bytes, bytes.len() as u64);
    assert_eq!(&bytes[..5], b"C1ZF\0");
    let frame = &bytes[5..];
    // One frame, covering the rest of the file, that declares its content size.
    assert_eq!(
        zstd::zstd_safe::find_frame_compressed_size(frame).unwrap(),
        frame.len()
    );
    assert_eq!(
        zstd::zstd_safe::get_frame_content_size(frame).unwrap(),
        Some(info.db_bytes)
    );
    let db = zstd::decode_all(frame).unwrap();
    assert_eq!(&db[..16], b"SQLite format 3\0");
    assert_eq!(
        (db[18], db[19]),
        (1, 1),
        "rollback-journal database, not WAL"
    );
    // sqlite3 itself agrees the file is sound.
    let conn = decompressed(&path, dir.path());
    let check: String = conn
        .query_row("pragma integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let (sync_type, backfilled, token): (String, i64, String) = conn
        .query_row(
            "select sync_type, grants_backfilled, sync_token from v1_sync_runs",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(
        (sync_type.as_str(), backfilled, token.as_str()),
        ("full", 1, "")
    );
}
