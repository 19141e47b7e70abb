//! Per-sync row counts, stored in `v1_sync_runs.stats` as the JSON that Go's
//! `encoding/json` makes of `c1.reader.v2.SyncStats`: snake_case keys in the
//! message's field order, zero counts and empty maps left out (`omitempty`).

use std::collections::BTreeMap;

use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};

use crate::error::{Result, SqlContext};
use crate::schema::{ASSETS, ENTITLEMENTS, GRANTS, RESOURCES, RESOURCE_TYPES};

/// Row counts of one sync. `grants_by_resource_type` is keyed by the type of
/// the granted entitlement's resource, as in baton-sdk.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncStats {
    #[serde(default, skip_serializing_if = "is_zero")]
    pub resource_types: i64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub resources: i64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub entitlements: i64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub grants: i64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub assets: i64,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub resources_by_resource_type: BTreeMap<String, i64>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub grants_by_resource_type: BTreeMap<String, i64>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub entitlements_by_resource_type: BTreeMap<String, i64>,
    /// Timing detail newer Go SDKs record; kept as-is when read, never computed here.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub step_durations_ms: BTreeMap<String, serde_json::Value>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub connector_call_stats: BTreeMap<String, serde_json::Value>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub session_store_stats: BTreeMap<String, serde_json::Value>,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

impl SyncStats {
    /// The JSON baton stores in `v1_sync_runs.stats`.
    pub fn to_json(&self) -> String {
        // Serializing plain maps of strings and numbers cannot fail.
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }

    /// Parses stored stats; `None` if the text is not SyncStats JSON.
    pub fn from_json(text: &str) -> Option<SyncStats> {
        serde_json::from_str(text).ok()
    }
}

/// Counts the rows of `sync_id` in every table.
pub(crate) fn compute(conn: &Connection, sync_id: &str) -> Result<SyncStats> {
    let resources_by_resource_type = count_by_type(conn, RESOURCES, sync_id)?;
    let entitlements_by_resource_type = count_by_type(conn, ENTITLEMENTS, sync_id)?;
    let grants_by_resource_type = count_by_type(conn, GRANTS, sync_id)?;
    Ok(SyncStats {
        resource_types: count(conn, RESOURCE_TYPES, sync_id)?,
        resources: resources_by_resource_type.values().sum(),
        entitlements: entitlements_by_resource_type.values().sum(),
        grants: grants_by_resource_type.values().sum(),
        assets: count(conn, ASSETS, sync_id)?,
        resources_by_resource_type,
        grants_by_resource_type,
        entitlements_by_resource_type,
        ..SyncStats::default()
    })
}

fn count(conn: &Connection, table: &str, sync_id: &str) -> Result<i64> {
    conn.prepare_cached(&format!("select count(*) from {table} where sync_id = ?1"))
        .and_then(|mut stmt| stmt.query_row(params![sync_id], |row| row.get(0)))
        .ctx(|| format!("counting {table} rows of sync {sync_id}"))
}

fn count_by_type(conn: &Connection, table: &str, sync_id: &str) -> Result<BTreeMap<String, i64>> {
    let sql = format!(
        "select resource_type_id, count(*) from {table} where sync_id = ?1 group by resource_type_id"
    );
    let context = || format!("counting {table} rows of sync {sync_id} by resource type");
    let mut stmt = conn.prepare_cached(&sql).ctx(context)?;
    let rows = stmt
        .query_map(params![sync_id], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
        })
        .ctx(context)?;
    rows.collect::<rusqlite::Result<BTreeMap<_, _>>>()
        .ctx(context)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_matches_go_encoding() {
        let mut stats = SyncStats {
            resource_types: 2,
            resources: 5,
            entitlements: 2,
            grants: 3,
            ..SyncStats::default()
        };
        stats.resources_by_resource_type.insert("user".into(), 3);
        stats.resources_by_resource_type.insert("group".into(), 2);
        stats.grants_by_resource_type.insert("group".into(), 3);
        stats
            .entitlements_by_resource_type
            .insert("group".into(), 2);
        // Byte-for-byte what baton-sdk v0.25.0 stored in tests/fixtures/go-baton-sdk-v0.25.0-sqlite.c1z.
        let go = r#"{"resource_types":2,"resources":5,"entitlements":2,"grants":3,"resources_by_resource_type":{"group":2,"user":3},"grants_by_resource_type":{"group":3},"entitlements_by_resource_type":{"group":2}}"#;
        assert_eq!(stats.to_json(), go);
        assert_eq!(SyncStats::from_json(go).unwrap(), stats);
        assert_eq!(SyncStats::default().to_json(), "{}");
        assert!(SyncStats::from_json("not json").is_none());
    }
}
