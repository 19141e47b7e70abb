//! `v1_sync_runs`: one row per sync. A sync is started (ksuid id, Go-layout
//! local `started_at`, empty token), checkpointed (opaque `sync_token`), and
//! ended (`ended_at` + stats JSON). An unfinished full sync younger than seven
//! days is resumed; the cutoff is compared as TEXT, as baton does.

use std::fmt;
use std::str::FromStr;

use rusqlite::types::ValueRef;
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::error::{Error, Result, SqlContext};
use crate::ksuid::new_ksuid;
use crate::schema::SYNC_RUNS;
use crate::stats::SyncStats;
use crate::timefmt::{days_ago_go_timestamp, now_go_timestamp};

/// How long an unfinished sync stays resumable (baton's rule).
pub const RESUME_WINDOW_DAYS: i64 = 7;

/// `v1_sync_runs.sync_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SyncType {
    Full,
    Partial,
    ResourcesOnly,
    PartialUpserts,
    PartialDeletions,
}

impl SyncType {
    /// The text stored in the column.
    pub fn as_str(self) -> &'static str {
        match self {
            SyncType::Full => "full",
            SyncType::Partial => "partial",
            SyncType::ResourcesOnly => "resources_only",
            SyncType::PartialUpserts => "partial_upserts",
            SyncType::PartialDeletions => "partial_deletions",
        }
    }
}

impl fmt::Display for SyncType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SyncType {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            // The column defaults to 'full'; "" means "any" in baton's APIs and
            // only shows up in hand-made files, where full is the right reading.
            "full" | "" => SyncType::Full,
            "partial" => SyncType::Partial,
            "resources_only" => SyncType::ResourcesOnly,
            "partial_upserts" => SyncType::PartialUpserts,
            "partial_deletions" => SyncType::PartialDeletions,
            other => {
                return Err(Error::BadValue {
                    what: format!("unknown sync_type {other:?} in v1_sync_runs"),
                })
            }
        })
    }
}

/// One row of `v1_sync_runs`.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncRun {
    pub sync_id: String,
    /// Go layout, local time (see [`crate::go_timestamp`]).
    pub started_at: String,
    pub ended_at: Option<String>,
    /// The syncer's opaque checkpoint; `""` until the first checkpoint.
    pub sync_token: String,
    pub sync_type: SyncType,
    pub parent_sync_id: String,
    pub linked_sync_id: String,
    pub supports_diff: bool,
    pub grants_backfilled: bool,
    /// The stored stats, if any were stored and they parse.
    pub stats: Option<SyncStats>,
}

impl SyncRun {
    pub fn is_finished(&self) -> bool {
        self.ended_at.is_some()
    }
}

const COLUMNS: &str = "sync_id, started_at, ended_at, sync_token, sync_type, parent_sync_id, \
                       linked_sync_id, supports_diff, grants_backfilled, stats";

/// Reads a TEXT-ish column leniently: Go drivers may have stored numbers.
fn text(row: &Row<'_>, idx: usize) -> rusqlite::Result<Option<String>> {
    Ok(match row.get_ref(idx)? {
        ValueRef::Null => None,
        ValueRef::Integer(i) => Some(i.to_string()),
        ValueRef::Real(f) => Some(f.to_string()),
        ValueRef::Text(t) | ValueRef::Blob(t) => Some(String::from_utf8_lossy(t).into_owned()),
    })
}

/// The raw row, before the sync type is validated.
struct RawRun {
    run: SyncRun,
    sync_type: String,
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<RawRun> {
    let stats_text = text(row, 9)?;
    let stats = stats_text.as_deref().and_then(|t| {
        let parsed = SyncStats::from_json(t);
        if parsed.is_none() {
            tracing::warn!(stats = t, "ignoring unreadable stats JSON in v1_sync_runs");
        }
        parsed
    });
    Ok(RawRun {
        run: SyncRun {
            sync_id: text(row, 0)?.unwrap_or_default(),
            started_at: text(row, 1)?.unwrap_or_default(),
            ended_at: text(row, 2)?,
            sync_token: text(row, 3)?.unwrap_or_default(),
            sync_type: SyncType::Full,
            parent_sync_id: text(row, 5)?.unwrap_or_default(),
            linked_sync_id: text(row, 6)?.unwrap_or_default(),
            supports_diff: row.get::<_, Option<i64>>(7)?.unwrap_or(0) != 0,
            grants_backfilled: row.get::<_, Option<i64>>(8)?.unwrap_or(0) != 0,
            stats,
        },
        sync_type: text(row, 4)?.unwrap_or_default(),
    })
}

fn finish(raw: RawRun) -> Result<SyncRun> {
    let mut run = raw.run;
    run.sync_type = raw.sync_type.parse()?;
    Ok(run)
}

fn query_one(
    conn: &Connection,
    where_order: &str,
    params: impl rusqlite::Params,
    what: &str,
) -> Result<Option<SyncRun>> {
    let sql = format!("select {COLUMNS} from {SYNC_RUNS} {where_order}");
    let raw = conn
        .prepare_cached(&sql)
        .and_then(|mut stmt| stmt.query_row(params, from_row).optional())
        .ctx(|| format!("reading {what}"))?;
    raw.map(finish).transpose()
}

/// The row of `sync_id`, if any.
pub(crate) fn get(conn: &Connection, sync_id: &str) -> Result<Option<SyncRun>> {
    query_one(conn, "where sync_id = ?1", params![sync_id], "a sync run")
}

/// Every sync run, oldest first.
pub(crate) fn list(conn: &Connection) -> Result<Vec<SyncRun>> {
    let sql = format!("select {COLUMNS} from {SYNC_RUNS} order by started_at, id");
    let context = || "listing sync runs".to_owned();
    let mut stmt = conn.prepare_cached(&sql).ctx(context)?;
    let raws = stmt
        .query_map([], from_row)
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        .ctx(context)?;
    raws.into_iter().map(finish).collect()
}

/// The latest unfinished full sync started within the resume window.
pub(crate) fn resumable(conn: &Connection) -> Result<Option<SyncRun>> {
    let cutoff = days_ago_go_timestamp(RESUME_WINDOW_DAYS);
    query_one(
        conn,
        "where ended_at is null and sync_type = 'full' and started_at >= ?1 \
         order by started_at desc, id desc limit 1",
        params![cutoff],
        "the resumable sync",
    )
}

/// baton's "latest finished sync": by `ended_at`, ties broken by sync id.
pub(crate) fn latest_finished(
    conn: &Connection,
    sync_type: Option<SyncType>,
) -> Result<Option<SyncRun>> {
    match sync_type {
        None => query_one(
            conn,
            "where ended_at is not null order by ended_at desc, sync_id desc limit 1",
            [],
            "the latest finished sync",
        ),
        Some(t) => query_one(
            conn,
            "where ended_at is not null and sync_type = ?1 order by ended_at desc, sync_id desc limit 1",
            params![t.as_str()],
            "the latest finished sync",
        ),
    }
}

/// Inserts a new full sync row.
pub(crate) fn insert_new(conn: &Connection) -> Result<SyncRun> {
    let run = SyncRun {
        sync_id: new_ksuid(),
        started_at: now_go_timestamp(),
        ended_at: None,
        sync_token: String::new(),
        sync_type: SyncType::Full,
        parent_sync_id: String::new(),
        linked_sync_id: String::new(),
        supports_diff: false,
        grants_backfilled: true,
        stats: None,
    };
    conn.prepare_cached(&format!(
        "insert into {SYNC_RUNS} (sync_id, started_at, sync_token, sync_type, grants_backfilled) \
         values (?1, ?2, '', ?3, 1)"
    ))
    .and_then(|mut stmt| stmt.execute(params![run.sync_id, run.started_at, run.sync_type.as_str()]))
    .ctx(|| "starting a sync".to_owned())?;
    tracing::info!(sync_id = %run.sync_id, "sync started");
    Ok(run)
}

/// Fails unless `sync_id` exists and has not ended.
pub(crate) fn require_running(conn: &Connection, sync_id: &str) -> Result<()> {
    let ended: Option<Option<String>> = conn
        .prepare_cached(&format!(
            "select ended_at from {SYNC_RUNS} where sync_id = ?1"
        ))
        .and_then(|mut stmt| {
            stmt.query_row(params![sync_id], |row| text(row, 0))
                .optional()
        })
        .ctx(|| format!("looking up sync {sync_id}"))?;
    match ended {
        None => Err(Error::SyncNotFound {
            sync_id: sync_id.to_owned(),
        }),
        Some(Some(_)) => Err(Error::SyncEnded {
            sync_id: sync_id.to_owned(),
        }),
        Some(None) => Ok(()),
    }
}

/// Stores `token` as the checkpoint of the running sync `sync_id`.
pub(crate) fn set_token(conn: &Connection, sync_id: &str, token: &str) -> Result<()> {
    let changed = conn
        .prepare_cached(&format!(
            "update {SYNC_RUNS} set sync_token = ?2 where sync_id = ?1 and ended_at is null"
        ))
        .and_then(|mut stmt| stmt.execute(params![sync_id, token]))
        .ctx(|| format!("checkpointing sync {sync_id}"))?;
    if changed == 0 {
        require_running(conn, sync_id)?;
    }
    Ok(())
}

/// Sets `ended_at` and the stats of the running sync `sync_id`.
pub(crate) fn mark_ended(conn: &Connection, sync_id: &str, stats: &SyncStats) -> Result<()> {
    let changed = conn
        .prepare_cached(&format!(
            "update {SYNC_RUNS} set ended_at = ?2, stats = ?3 where sync_id = ?1 and ended_at is null"
        ))
        .and_then(|mut stmt| stmt.execute(params![sync_id, now_go_timestamp(), stats.to_json()]))
        .ctx(|| format!("ending sync {sync_id}"))?;
    if changed == 0 {
        require_running(conn, sync_id)?;
    }
    Ok(())
}

/// Stores stats for a sync that has none (or unusable ones).
pub(crate) fn store_stats(conn: &Connection, sync_id: &str, stats: &SyncStats) -> Result<()> {
    conn.prepare_cached(&format!(
        "update {SYNC_RUNS} set stats = ?2 where sync_id = ?1"
    ))
    .and_then(|mut stmt| stmt.execute(params![sync_id, stats.to_json()]))
    .ctx(|| format!("storing stats of sync {sync_id}"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sync_types_round_trip_their_column_text() {
        for t in [
            SyncType::Full,
            SyncType::Partial,
            SyncType::ResourcesOnly,
            SyncType::PartialUpserts,
            SyncType::PartialDeletions,
        ] {
            assert_eq!(t.as_str().parse::<SyncType>().unwrap(), t);
        }
        assert!("bogus".parse::<SyncType>().is_err());
    }
}
