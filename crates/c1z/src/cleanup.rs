//! Pruning old syncs, as baton-sdk does after a sync: keep the newest N
//! finished full syncs; drop older full syncs, other finished syncs that
//! ended before the oldest kept full sync started, and unfinished syncs too
//! old to be resumed (never the running one); then VACUUM if anything went.

use rusqlite::Connection;

use crate::error::{Error, Result, SqlContext};
use crate::schema::ALL_TABLES;
use crate::sync_run::{self, SyncType, RESUME_WINDOW_DAYS};
use crate::timefmt::days_ago_go_timestamp;

/// Deletes what the policy above says and returns the deleted sync ids.
pub(crate) fn run(conn: &Connection, keep: usize, running: Option<&str>) -> Result<Vec<String>> {
    if keep == 0 {
        return Err(Error::InvalidArgument(
            "cleanup must keep at least one finished sync; set BATON_KEEP_SYNC_COUNT to 1 or more"
                .to_owned(),
        ));
    }
    let runs = sync_run::list(conn)?; // oldest first
    let mut full: Vec<_> = runs
        .iter()
        .filter(|r| r.is_finished() && r.sync_type == SyncType::Full)
        .collect();
    full.reverse(); // newest first
    let mut doomed: Vec<&str> = Vec::new();
    if full.len() > keep {
        doomed.extend(full[keep..].iter().map(|r| r.sync_id.as_str()));
        let earliest_kept_start = full[keep - 1].started_at.as_str();
        doomed.extend(
            runs.iter()
                .filter(|r| r.sync_type != SyncType::Full)
                .filter(|r| {
                    r.ended_at
                        .as_deref()
                        .is_some_and(|end| end < earliest_kept_start)
                })
                .map(|r| r.sync_id.as_str()),
        );
    }
    let resume_cutoff = days_ago_go_timestamp(RESUME_WINDOW_DAYS);
    doomed.extend(
        runs.iter()
            .filter(|r| !r.is_finished() && Some(r.sync_id.as_str()) != running)
            .filter(|r| r.started_at < resume_cutoff)
            .map(|r| r.sync_id.as_str()),
    );
    if doomed.is_empty() {
        return Ok(Vec::new());
    }

    let tx = conn
        .unchecked_transaction()
        .ctx(|| "starting cleanup".to_owned())?;
    for sync_id in &doomed {
        for table in ALL_TABLES {
            tx.prepare_cached(&format!("delete from {table} where sync_id = ?1"))
                .and_then(|mut stmt| stmt.execute([sync_id]))
                .ctx(|| format!("deleting old sync {sync_id} from {table}"))?;
        }
        tracing::info!(sync_id, "removed old sync data");
    }
    tx.commit().ctx(|| "committing cleanup".to_owned())?;
    conn.execute_batch("vacuum")
        .ctx(|| "vacuuming after cleanup".to_owned())?;
    Ok(doomed.into_iter().map(str::to_owned).collect())
}
