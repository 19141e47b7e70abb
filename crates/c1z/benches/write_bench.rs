//! Write benchmark: one sync of 50,000 users, 5,000 teams, 20,000 entitlements
//! and 1,000,000 grants (realistic messages with traits and annotations),
//! written in pages of 5,000 rows with a checkpoint each, through a resumable
//! store, as the sync engine does; then the sync is ended and the file saved.
//! Prints rows/s, seconds per phase, file size and peak RSS (VmHWM).
//!
//! Run: `cargo bench -p c1z` (release build). Targets on a 2-core machine:
//! ≤ 30 s end to end, ≤ 200 MB peak RSS. `C1Z_BENCH_SCALE=0.1` runs a tenth.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use c1z::{C1zStore, OpenOptions, WriteBatch};
use common::*;

const USERS: u64 = 50_000;
const GROUPS: u64 = 5_000;
const SLUGS: [&str; 4] = ["member", "admin", "guest", "limited"];
const GRANTS: u64 = 1_000_000;
const PAGE: usize = 5_000;

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

fn main() -> Result<(), c1z::Error> {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing
    // extra and must stay quick, so it runs a small scale.
    let benching = std::env::args().any(|a| a == "--bench");
    let scale: f64 = std::env::var("C1Z_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if benching { 1.0 } else { 0.01 });
    let n = |x: u64| ((x as f64 * scale).round() as u64).max(1);
    let (users, groups, grants) = (n(USERS), n(GROUPS), n(GRANTS));

    let dir = tempfile::tempdir().map_err(|e| c1z::Error::InvalidArgument(e.to_string()))?;
    let path = dir.path().join("bench.c1z");
    let opts = OpenOptions::default().with_temp_dir(dir.path());
    let start = Instant::now();
    // The resumable working copy is what a sync uses (fsync at commits).
    let mut store = C1zStore::open_resumable(&path, &opts)?;
    let (run, _) = store.start_or_resume_sync()?;
    let sync = run.sync_id.clone();
    let mut rows: u64 = 0;
    let mut batch = WriteBatch {
        resource_types: vec![workspace_type(), group_type(), user_type()],
        resources: vec![workspace()],
        ..WriteBatch::default()
    };
    let mut page_no = 0u64;
    let mut flush =
        |store: &mut C1zStore, batch: &mut WriteBatch, rows: &mut u64| -> Result<(), c1z::Error> {
            page_no += 1;
            *rows += batch.len() as u64;
            store.write_batch(&sync, batch, Some(&format!("{{\"page\":{page_no}}}")))?;
            batch.clear();
            Ok(())
        };

    for i in 0..users {
        batch.resources.push(user(i));
        if batch.len() >= PAGE {
            flush(&mut store, &mut batch, &mut rows)?;
        }
    }
    let teams: Vec<_> = (0..groups).map(group).collect();
    for team in &teams {
        batch.resources.push(team.clone());
        for slug in SLUGS {
            batch.entitlements.push(entitlement(team, slug));
        }
        if batch.len() >= PAGE {
            flush(&mut store, &mut batch, &mut rows)?;
        }
    }
    flush(&mut store, &mut batch, &mut rows)?;
    let t_resources = start.elapsed();

    // Grants arrive per team, as a connector lists them: each team's members.
    let per_team = grants.div_ceil(groups);
    let mut written = 0u64;
    'teams: for (t, team) in teams.iter().enumerate() {
        for k in 0..per_team {
            if written == grants {
                break 'teams;
            }
            // Distinct members per team (k < users), spread over the user id space.
            let member = user_id((t as u64 * 7919 + k * 13) % users);
            let slug = SLUGS[(k % 10).min(3) as usize];
            let g = match k {
                1 => expandable_grant(team, "admin", &teams[(t + 1) % teams.len()]),
                k if k % 50 == 0 => annotated_grant(team, slug, &member),
                _ => grant(team, slug, &member),
            };
            batch.grants.push(g);
            written += 1;
            if batch.len() >= PAGE {
                flush(&mut store, &mut batch, &mut rows)?;
            }
        }
    }
    flush(&mut store, &mut batch, &mut rows)?;
    let t_written = start.elapsed();

    let stats = store.end_sync(&run.sync_id)?;
    let t_ended = start.elapsed();
    let info = store.save(&path)?;
    let total = start.elapsed();

    let secs = total.as_secs_f64();
    println!("c1z write benchmark (scale {scale})");
    println!(
        "  rows written:   {rows} ({} resources, {} entitlements, {} grants stored)",
        stats.resources, stats.entitlements, stats.grants
    );
    println!("  resources+ents: {:>7.2} s", t_resources.as_secs_f64());
    println!(
        "  grants:         {:>7.2} s",
        (t_written - t_resources).as_secs_f64()
    );
    println!(
        "  end_sync:       {:>7.2} s",
        (t_ended - t_written).as_secs_f64()
    );
    println!(
        "  save:           {:>7.2} s",
        (total - t_ended).as_secs_f64()
    );
    println!(
        "  total:          {secs:>7.2} s  ({:.0} rows/s)",
        rows as f64 / secs
    );
    println!(
        "  database:       {:>7.1} MB, c1z file {:.1} MB",
        info.db_bytes as f64 / 1e6,
        info.file_bytes as f64 / 1e6
    );
    println!("  peak RSS:       {:>7.1} MB (VmHWM)", peak_rss_mb());

    // Check the file is complete before calling it a result.
    let check = C1zStore::open(&path, &opts.clone().read_only())?;
    let latest = check
        .latest_finished_sync(None)?
        .ok_or_else(|| c1z::Error::InvalidArgument("benchmark file has no finished sync".into()))?;
    let reread = check.stats(&latest.sync_id)?;
    if reread.grants != stats.grants || reread.resources != stats.resources {
        return Err(c1z::Error::InvalidArgument(
            "benchmark file does not read back".into(),
        ));
    }
    Ok(())
}
