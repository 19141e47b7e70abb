//! The seven `v1_*` tables of a c1z, exactly as baton-sdk v0.25 creates them
//! (column names, order, declared types, defaults and index names are what the
//! Go readers query), plus the migrations that bring a file written by an older
//! SDK up to that schema. Like the Go SDK, we run all of it on every open: it is
//! `IF NOT EXISTS` / add-missing-column only, and it works on the temp copy.

use rusqlite::Connection;

use crate::error::{Result, SqlContext};

pub const RESOURCE_TYPES: &str = "v1_resource_types";
pub const RESOURCES: &str = "v1_resources";
pub const ENTITLEMENTS: &str = "v1_entitlements";
pub const GRANTS: &str = "v1_grants";
pub const SYNC_RUNS: &str = "v1_sync_runs";
pub const ASSETS: &str = "v1_assets";
/// baton-sdk calls this the session store; the table is `v1_connector_sessions`.
pub const CONNECTOR_SESSIONS: &str = "v1_connector_sessions";

/// Every table that holds per-sync rows (all have a `sync_id` column).
pub const ALL_TABLES: [&str; 7] = [
    RESOURCE_TYPES,
    RESOURCES,
    ENTITLEMENTS,
    GRANTS,
    SYNC_RUNS,
    ASSETS,
    CONNECTOR_SESSIONS,
];

/// (index name, table, columns, unique, partial-index WHERE clause).
pub type IndexDef = (
    &'static str,
    &'static str,
    &'static str,
    bool,
    Option<&'static str>,
);

/// Every index of the schema, in baton-sdk's creation order.
pub const INDEXES: [IndexDef; 16] = [
    (
        "idx_resource_types_external_sync_v1",
        RESOURCE_TYPES,
        "external_id, sync_id",
        true,
        None,
    ),
    (
        "idx_resources_resource_type_id_v1",
        RESOURCES,
        "resource_type_id",
        false,
        None,
    ),
    // baton-sdk swapped these two names; the names are what readers and tools see.
    (
        "idx_resources_external_sync_v1",
        RESOURCES,
        "parent_resource_type_id, parent_resource_id",
        false,
        None,
    ),
    (
        "idx_resources_parent_resource_id_v1",
        RESOURCES,
        "external_id, sync_id",
        true,
        None,
    ),
    (
        "idx_entitlements_resource_id_v1",
        ENTITLEMENTS,
        "resource_type_id, resource_id",
        false,
        None,
    ),
    (
        "idx_entitlements_external_sync_v1",
        ENTITLEMENTS,
        "external_id, sync_id",
        true,
        None,
    ),
    ("idx_sync_runs_sync_id_v1", SYNC_RUNS, "sync_id", true, None),
    (
        "idx_grants_resource_type_id_resource_id_v1",
        GRANTS,
        "resource_type_id, resource_id",
        false,
        None,
    ),
    (
        "idx_grants_principal_id_v1",
        GRANTS,
        "principal_resource_type_id, principal_resource_id",
        false,
        None,
    ),
    (
        "idx_grants_entitlement_id_principal_id_v1",
        GRANTS,
        "entitlement_id, principal_resource_type_id, principal_resource_id",
        false,
        None,
    ),
    (
        "idx_grants_external_sync_v1",
        GRANTS,
        "external_id, sync_id",
        true,
        None,
    ),
    (
        "idx_grants_entitlement_sync_grant_v1",
        GRANTS,
        "entitlement_id, sync_id, id",
        false,
        None,
    ),
    (
        "idx_grants_sync_expansion_v1",
        GRANTS,
        "sync_id",
        false,
        Some("expansion is not null"),
    ),
    (
        "idx_grants_sync_needs_expansion_v1",
        GRANTS,
        "sync_id",
        false,
        Some("needs_expansion = 1"),
    ),
    (
        "idx_assets_external_sync_v1",
        ASSETS,
        "external_id, sync_id",
        true,
        None,
    ),
    (
        "idx_session_store_sync_key_v1",
        CONNECTOR_SESSIONS,
        "sync_id, key",
        true,
        None,
    ),
];

const CREATE_TABLES: &str = "
create table if not exists v1_resource_types (
    id integer primary key,
    external_id text not null,
    data blob not null,
    sync_id text not null,
    discovered_at datetime not null
);
create table if not exists v1_resources (
    id integer primary key,
    resource_type_id text not null,
    external_id text not null,
    parent_resource_type_id text,
    parent_resource_id text,
    data blob not null,
    sync_id text not null,
    discovered_at datetime not null
);
create table if not exists v1_entitlements (
    id integer primary key,
    resource_type_id text not null,
    resource_id text not null,
    external_id text not null,
    data blob not null,
    sync_id text not null,
    discovered_at datetime not null
);
create table if not exists v1_sync_runs (
    id integer primary key,
    sync_id text not null,
    started_at datetime not null,
    ended_at datetime,
    sync_token text not null,
    sync_type text not null default 'full',
    parent_sync_id text not null default '',
    linked_sync_id text not null default '',
    supports_diff integer not null default 0,
    grants_backfilled integer not null default 0,
    stats text,
    ingest_invariant_generation text not null default '',
    ingest_invariant_coverage text not null default '',
    ingest_invariant_mode text not null default ''
);
create table if not exists v1_grants (
    id integer primary key,
    resource_type_id text not null,
    resource_id text not null,
    entitlement_id text not null,
    principal_resource_type_id text not null,
    principal_resource_id text not null,
    external_id text not null,
    expansion blob,                             -- Serialized GrantExpandable proto; NULL if grant is not expandable.
    needs_expansion integer not null default 0, -- 1 if grant should be processed during expansion.
    data blob not null,
    sync_id text not null,
    discovered_at datetime not null
);
create table if not exists v1_assets (
    id integer primary key,
    external_id text not null,
    content_type text not null,
    data blob not null,
    sync_id text not null,
    discovered_at datetime not null
);
create table if not exists v1_connector_sessions (
    id integer primary key,
    sync_id text NOT NULL,
    key TEXT NOT NULL,
    value BLOB NOT NULL
);
";

/// Columns newer SDKs added with `ALTER TABLE ... ADD COLUMN` (table, column, definition).
const ADDED_COLUMNS: [(&str, &str, &str); 11] = [
    (SYNC_RUNS, "sync_type", "text not null default 'full'"),
    (SYNC_RUNS, "parent_sync_id", "text not null default ''"),
    (SYNC_RUNS, "linked_sync_id", "text not null default ''"),
    (SYNC_RUNS, "supports_diff", "integer not null default 0"),
    (SYNC_RUNS, "grants_backfilled", "integer not null default 0"),
    (SYNC_RUNS, "stats", "text"),
    (
        SYNC_RUNS,
        "ingest_invariant_generation",
        "text not null default ''",
    ),
    (
        SYNC_RUNS,
        "ingest_invariant_coverage",
        "text not null default ''",
    ),
    (
        SYNC_RUNS,
        "ingest_invariant_mode",
        "text not null default ''",
    ),
    (GRANTS, "expansion", "blob"),
    (GRANTS, "needs_expansion", "integer not null default 0"),
];

/// Creates missing tables, columns and indexes. Idempotent.
pub(crate) fn create_and_migrate(conn: &Connection) -> Result<()> {
    conn.execute_batch(CREATE_TABLES)
        .ctx(|| "creating the v1_* tables".to_owned())?;
    for (table, column, definition) in ADDED_COLUMNS {
        if !has_column(conn, table, column)? {
            tracing::debug!(table, column, "adding column from a newer baton-sdk schema");
            conn.execute_batch(&format!(
                "alter table {table} add column {column} {definition}"
            ))
            .ctx(|| format!("adding column {column} to {table}"))?;
        }
    }
    for (name, table, columns, unique, partial) in INDEXES {
        let unique = if unique { "unique " } else { "" };
        let partial = partial.map(|w| format!(" where {w}")).unwrap_or_default();
        conn.execute_batch(&format!(
            "create {unique}index if not exists {name} on {table} ({columns}){partial}"
        ))
        .ctx(|| format!("creating index {name}"))?;
    }
    Ok(())
}

/// The column names of `table`, in order.
pub(crate) fn columns(conn: &Connection, table: &str) -> Result<Vec<String>> {
    let mut stmt = conn
        .prepare(&format!("pragma table_info({table})"))
        .ctx(|| format!("reading the columns of {table}"))?;
    let names = stmt
        .query_map([], |row| row.get::<_, String>(1))
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        .ctx(|| format!("reading the columns of {table}"))?;
    Ok(names)
}

fn has_column(conn: &Connection, table: &str, column: &str) -> Result<bool> {
    Ok(columns(conn, table)?.iter().any(|c| c == column))
}
