//! Sync runs: start, checkpoint, end (stats), resume rules (7 days, full only),
//! "latest finished", and cleanup of old syncs.

mod common;

use c1z::{
    go_timestamp, parse_go_timestamp, C1zStore, CleanupPolicy, OpenOptions, SyncType, WriteBatch,
};
use chrono::{Duration, Local};
use common::*;

fn new_store(dir: &std::path::Path) -> (std::path::PathBuf, C1zStore) {
    let path = dir.join("sync.c1z");
    let store = C1zStore::open(&path, &OpenOptions::default()).unwrap();
    (path, store)
}

/// One small sync's worth of rows, distinct per `n`.
fn rows(n: u64) -> WriteBatch {
    let team = group(n);
    WriteBatch {
        resource_types: vec![user_type(), group_type()],
        resources: vec![team.clone(), user(n), user(n + 100)],
        entitlements: vec![entitlement(&team, "member")],
        grants: vec![
            grant(&team, "member", &user_id(n)),
            grant(&team, "member", &user_id(n + 100)),
        ],
    }
}

#[test]
fn a_sync_starts_checkpoints_and_ends_like_baton() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut store) = new_store(dir.path());
    let before = Local::now().naive_local();
    let run = store.start_sync().unwrap();
    assert_eq!(run.sync_id.len(), 27);
    assert!(run.sync_id.bytes().all(|b| b.is_ascii_alphanumeric()));
    let started = parse_go_timestamp(&run.started_at).unwrap();
    assert!(started >= before - Duration::seconds(1) && started <= Local::now().naive_local());
    assert_eq!(run.sync_type, SyncType::Full);
    assert!(run.grants_backfilled);
    assert_eq!(run.sync_token, "");
    assert_eq!(run.ended_at, None);
    assert_eq!(store.sync_run(&run.sync_id).unwrap().unwrap(), run);
    assert_eq!(store.running_sync(), Some(run.sync_id.as_str()));

    store
        .write_batch(&run.sync_id, &rows(1), Some("{\"step\":1}"))
        .unwrap();
    store.checkpoint(&run.sync_id, "{\"step\":2}").unwrap();
    assert_eq!(
        store.sync_run(&run.sync_id).unwrap().unwrap().sync_token,
        "{\"step\":2}"
    );
    assert_eq!(store.latest_finished_sync(None).unwrap(), None);

    let stats = store.end_sync(&run.sync_id).unwrap();
    assert_eq!(store.running_sync(), None);
    assert_eq!(
        (
            stats.resource_types,
            stats.resources,
            stats.entitlements,
            stats.grants
        ),
        (2, 3, 1, 2)
    );
    assert_eq!(stats.resources_by_resource_type.get("user"), Some(&2));
    assert_eq!(stats.grants_by_resource_type.get("team"), Some(&2));
    let ended = store.sync_run(&run.sync_id).unwrap().unwrap();
    assert!(parse_go_timestamp(ended.ended_at.as_deref().unwrap()).is_some());
    assert_eq!(
        ended.sync_token, "{\"step\":2}",
        "the final checkpoint stays"
    );
    assert_eq!(ended.stats.as_ref(), Some(&stats));
    assert_eq!(store.stats(&run.sync_id).unwrap(), stats);
    assert_eq!(
        store
            .latest_finished_sync(Some(SyncType::Full))
            .unwrap()
            .unwrap()
            .sync_id,
        run.sync_id
    );
    assert!(matches!(
        store.stats("missing"),
        Err(c1z::Error::SyncNotFound { .. })
    ));
}

#[test]
fn an_unfinished_full_sync_is_resumed_within_seven_days_only() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut store) = new_store(dir.path());
    let (run, resumed) = store.start_or_resume_sync().unwrap();
    assert!(!resumed);
    store
        .write_batch(&run.sync_id, &rows(1), Some("tok-1"))
        .unwrap();
    store.save(&path).unwrap();

    let mut store = C1zStore::open(&path, &OpenOptions::default()).unwrap();
    let found = store.resumable_sync().unwrap().unwrap();
    assert_eq!(
        (found.sync_id.as_str(), found.sync_token.as_str()),
        (run.sync_id.as_str(), "tok-1")
    );
    let (again, resumed) = store.start_or_resume_sync().unwrap();
    assert!(resumed);
    assert_eq!(again.sync_id, run.sync_id);
    drop(store);

    for (days, resumable) in [(6, true), (8, false)] {
        let at = go_timestamp(Local::now() - Duration::days(days));
        edit_c1z(&path, |conn| {
            conn.execute("update v1_sync_runs set started_at = ?1", [&at])
                .unwrap();
        });
        let mut store = C1zStore::open(&path, &OpenOptions::default()).unwrap();
        assert_eq!(
            store.resumable_sync().unwrap().is_some(),
            resumable,
            "{days} days old"
        );
        let (next, resumed) = store.start_or_resume_sync().unwrap();
        assert_eq!(resumed, resumable);
        assert_eq!(next.sync_id == run.sync_id, resumable);
    }

    // Only full syncs are resumed.
    edit_c1z(&path, |conn| {
        conn.execute(
            "update v1_sync_runs set started_at = ?1, sync_type = 'partial'",
            [go_timestamp(Local::now())],
        )
        .unwrap();
    });
    let store = C1zStore::open(&path, &OpenOptions::default()).unwrap();
    assert_eq!(store.resumable_sync().unwrap(), None);
}

#[test]
fn latest_finished_is_by_end_time_and_type() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut store) = new_store(dir.path());
    let mut ids = Vec::new();
    for n in 0..3 {
        let run = store.start_sync().unwrap();
        store.write_batch(&run.sync_id, &rows(n), None).unwrap();
        store.end_sync(&run.sync_id).unwrap();
        ids.push(run.sync_id);
    }
    store.save(&path).unwrap();
    // Make the middle one a partial sync that ended last.
    edit_c1z(&path, |conn| {
        conn.execute(
            "update v1_sync_runs set sync_type = 'partial', ended_at = '2999-01-01 00:00:00' where sync_id = ?1",
            [&ids[1]],
        )
        .unwrap();
    });
    let store = C1zStore::open(&path, &OpenOptions::default().read_only()).unwrap();
    assert_eq!(
        store.latest_finished_sync(None).unwrap().unwrap().sync_id,
        ids[1]
    );
    assert_eq!(
        store
            .latest_finished_sync(Some(SyncType::Partial))
            .unwrap()
            .unwrap()
            .sync_id,
        ids[1]
    );
    assert_eq!(
        store
            .latest_finished_sync(Some(SyncType::Full))
            .unwrap()
            .unwrap()
            .sync_id,
        ids[2]
    );
    assert_eq!(
        store
            .latest_finished_sync(Some(SyncType::ResourcesOnly))
            .unwrap(),
        None
    );
    let listed: Vec<_> = store
        .list_sync_runs()
        .unwrap()
        .into_iter()
        .map(|r| r.sync_id)
        .collect();
    assert_eq!(listed, ids);
}

#[test]
fn cleanup_keeps_the_newest_full_syncs_and_the_running_one() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut store) = new_store(dir.path());
    let mut finished = Vec::new();
    for n in 0..4 {
        let run = store.start_sync().unwrap();
        store.write_batch(&run.sync_id, &rows(n), None).unwrap();
        store.end_sync(&run.sync_id).unwrap();
        finished.push(run.sync_id);
    }
    let stale = store.start_sync().unwrap();
    store.write_batch(&stale.sync_id, &rows(10), None).unwrap();
    store.save(&path).unwrap();
    // finished[0] becomes a partial that ended long ago; `stale` is an abandoned sync from last month.
    edit_c1z(&path, |conn| {
        let old = |days: i64| go_timestamp(Local::now() - Duration::days(days));
        conn.execute(
            "update v1_sync_runs set sync_type = 'partial', started_at = ?2, ended_at = ?2 where sync_id = ?1",
            [&finished[0], &old(40)],
        )
        .unwrap();
        conn.execute(
            "update v1_sync_runs set started_at = ?2 where sync_id = ?1",
            [&stale.sync_id, &old(30)],
        )
        .unwrap();
    });

    let mut store = C1zStore::open(&path, &OpenOptions::default()).unwrap();
    let running = store.start_sync().unwrap();
    store
        .write_batch(&running.sync_id, &rows(20), None)
        .unwrap();
    assert!(store.cleanup(0).is_err());
    store
        .apply_cleanup(&CleanupPolicy {
            skip: true,
            keep: 1,
        })
        .unwrap();
    assert_eq!(
        store.list_sync_runs().unwrap().len(),
        6,
        "skip keeps everything"
    );

    let mut deleted = store.prune_syncs(2).unwrap();
    deleted.sort();
    let mut expected = vec![
        finished[0].clone(),
        finished[1].clone(),
        stale.sync_id.clone(),
    ];
    expected.sort();
    assert_eq!(
        deleted, expected,
        "oldest full, the partial that ended before the kept ones, the stale one"
    );
    let left: Vec<_> = store
        .list_sync_runs()
        .unwrap()
        .into_iter()
        .map(|r| r.sync_id)
        .collect();
    assert_eq!(
        left,
        vec![
            finished[2].clone(),
            finished[3].clone(),
            running.sync_id.clone()
        ]
    );
    for gone in &deleted {
        assert!(store.list_resources(gone, None, None).unwrap().is_empty());
        assert!(store
            .list_grants(gone, &c1z::GrantFilter::default())
            .unwrap()
            .is_empty());
        assert!(store.list_resource_types(gone).unwrap().is_empty());
    }
    assert_eq!(
        store
            .list_grants(&running.sync_id, &c1z::GrantFilter::default())
            .unwrap()
            .len(),
        2
    );
    assert_eq!(store.stats(&finished[3]).unwrap().grants, 2);

    // Nothing more to do with the same limit; a smaller one drops one more.
    assert!(store.prune_syncs(2).unwrap().is_empty());
    store.end_sync(&running.sync_id).unwrap();
    store
        .apply_cleanup(&CleanupPolicy {
            skip: false,
            keep: 1,
        })
        .unwrap();
    assert_eq!(store.list_sync_runs().unwrap().len(), 1);
}

#[test]
fn environment_settings_follow_baton_sdk() {
    // The only test touching these variables.
    std::env::set_var("BATON_KEEP_SYNC_COUNT", "5");
    std::env::set_var("BATON_SKIP_CLEANUP", "true");
    std::env::set_var("BATON_DECODER_MAX_DECODED_SIZE_MB", "3");
    assert_eq!(
        CleanupPolicy::from_env(),
        CleanupPolicy {
            skip: true,
            keep: 5
        }
    );
    assert_eq!(OpenOptions::from_env().max_decoded_size, 3 << 20);
    std::env::set_var("BATON_KEEP_SYNC_COUNT", "zero");
    std::env::set_var("BATON_SKIP_CLEANUP", "nope");
    std::env::set_var("BATON_DECODER_MAX_DECODED_SIZE_MB", "-1");
    assert_eq!(CleanupPolicy::from_env(), CleanupPolicy::default());
    assert_eq!(OpenOptions::from_env(), OpenOptions::default());
    std::env::remove_var("BATON_KEEP_SYNC_COUNT");
    std::env::remove_var("BATON_SKIP_CLEANUP");
    std::env::remove_var("BATON_DECODER_MAX_DECODED_SIZE_MB");
    assert_eq!(CleanupPolicy::from_env(), CleanupPolicy::default());
}
