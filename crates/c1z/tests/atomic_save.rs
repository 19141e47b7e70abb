//! Saving is atomic: a writer killed with SIGKILL at random instants leaves the
//! target either the old complete file or the new complete file. Also: mode
//! 0600, a missing directory fails cleanly, working dirs are removed.

mod common;

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use baton_proto::v2::ResourceType;
use c1z::{C1zStore, GrantFilter, OpenOptions, WriteBatch};
use common::*;

const CHILD_TARGET: &str = "C1Z_TEST_SAVE_CHILD_TARGET";
const GRANTS: u64 = 8_000;

/// The marker resource type whose display name counts saves (generations).
fn marker(generation: u64) -> ResourceType {
    ResourceType {
        id: "marker".into(),
        display_name: generation.to_string(),
        ..ResourceType::default()
    }
}

fn generation_of(store: &C1zStore, sync_id: &str) -> u64 {
    store
        .get_resource_type(sync_id, "marker")
        .unwrap()
        .map(|m| m.display_name.parse().unwrap())
        .unwrap_or(0)
}

/// A finished sync of GRANTS grants plus the marker at generation 0.
fn initial_file(path: &Path, temp: &Path) {
    let mut store = C1zStore::open(path, &OpenOptions::default().with_temp_dir(temp)).unwrap();
    let run = store.start_sync().unwrap();
    let teams: Vec<_> = (0..20).map(group).collect();
    let mut batch = WriteBatch {
        resource_types: vec![marker(0), group_type(), user_type()],
        resources: teams.clone(),
        ..WriteBatch::default()
    };
    for i in 0..GRANTS {
        batch
            .grants
            .push(grant(&teams[(i % 20) as usize], "member", &user_id(i)));
    }
    store.write_batch(&run.sync_id, &batch, None).unwrap();
    store.end_sync(&run.sync_id).unwrap();
    store.save(path).unwrap();
}

/// Opens the target and checks it is complete: the finished sync holds every
/// grant. Returns the newest generation any sync's marker records.
fn check_complete(path: &Path, temp: &Path) -> u64 {
    let store = C1zStore::open(
        path,
        &OpenOptions::default().with_temp_dir(temp).read_only(),
    )
    .unwrap_or_else(|e| panic!("target is not a complete c1z: {e}"));
    let run = store.latest_finished_sync(None).unwrap().unwrap();
    let mut grants = 0u64;
    store
        .for_each_grant(&run.sync_id, &GrantFilter::default(), |_| {
            grants += 1;
            Ok::<(), c1z::Error>(())
        })
        .unwrap();
    assert_eq!(grants, GRANTS, "every grant is there");
    newest_generation(&store)
}

fn newest_generation(store: &C1zStore) -> u64 {
    store
        .list_sync_runs()
        .unwrap()
        .iter()
        .map(|r| generation_of(store, &r.sync_id))
        .max()
        .unwrap_or(0)
}

/// Not a test on its own: the writer child of `sigkill_during_save_leaves_old_or_new_file`.
/// It bumps a marker in a running sync and saves the target, over and over,
/// so nearly all of its time is spent inside `save_copy`.
#[test]
fn save_child_process() {
    let Ok(target) = std::env::var(CHILD_TARGET) else {
        return;
    };
    let target = Path::new(&target);
    let temp = target.parent().unwrap().join("work");
    let mut store = C1zStore::open(target, &OpenOptions::default().with_temp_dir(&temp)).unwrap();
    let mut generation = newest_generation(&store);
    let running = store.start_sync().unwrap();
    println!("C1Z-CHILD-LOOP");
    loop {
        generation += 1;
        store
            .put_resource_types(&running.sync_id, &[marker(generation)])
            .unwrap();
        store.save_copy(target).unwrap();
    }
}

fn temp_files(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .count()
}

#[test]
fn sigkill_during_save_leaves_old_or_new_file() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("target.c1z");
    let temp = dir.path().join("work");
    std::fs::create_dir(&temp).unwrap();
    initial_file(&target, &temp);
    let mut last = check_complete(&target, &temp);
    let (mut advanced, mut interrupted) = (0, 0);

    for round in 0..12u64 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "save_child_process",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_TARGET, &target)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let looping = BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .any(|l| l.contains("C1Z-CHILD-LOOP"));
        assert!(looping, "child never reached its save loop");
        // A pseudo-random instant inside the save loop.
        let wait = (round * 7919 + rand_ms()) % 700;
        std::thread::sleep(Duration::from_millis(wait));
        child.kill().unwrap();
        child.wait().unwrap();

        interrupted += temp_files(dir.path());
        let generation = check_complete(&target, &temp);
        assert!(generation >= last, "generations only move forward");
        if generation > last {
            advanced += 1;
        }
        last = generation;
        let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    eprintln!(
        "kill test: {advanced} rounds saw a new file, {interrupted} saves were cut mid-write"
    );
    assert!(
        advanced > 0,
        "the child never completed a save: the test proved nothing"
    );
    assert!(
        interrupted > 0,
        "no kill landed inside a save: the test proved nothing"
    );

    // The next save sweeps the temp files the killed writers left.
    let mut store = C1zStore::open(&target, &OpenOptions::default().with_temp_dir(&temp)).unwrap();
    store.flush().unwrap();
    store.save(&target).unwrap();
    assert_eq!(temp_files(dir.path()), 0);
    check_complete(&target, &temp);
    // A killed process cannot remove its ephemeral working dir (resumable
    // stores exist for that case); each child left one, this process none.
    assert_eq!(std::fs::read_dir(&temp).unwrap().count(), 12);
}

fn rand_ms() -> u64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::from(d.subsec_nanos()) / 1000)
        .unwrap_or(0)
}

#[test]
fn saving_over_an_existing_file_makes_it_0600() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("sync.c1z");
    std::fs::write(&target, b"").unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut store = C1zStore::open(&target, &OpenOptions::default()).unwrap();
    let run = store.start_sync().unwrap();
    store.end_sync(&run.sync_id).unwrap();
    store.save(&target).unwrap();
    let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn saving_into_a_missing_directory_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let temp = dir.path().join("work");
    std::fs::create_dir(&temp).unwrap();
    let source = dir.path().join("in.c1z");
    let store = C1zStore::open(&source, &OpenOptions::default().with_temp_dir(&temp)).unwrap();
    let err = store.save(&dir.path().join("missing/out.c1z")).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("missing/out.c1z") && message.contains("does not exist"),
        "{message}"
    );
    assert!(!message.contains('\n'));
    assert_eq!(
        std::fs::read_dir(&temp).unwrap().count(),
        0,
        "working dir removed on error"
    );
    assert!(!dir.path().join("missing").exists());
}

#[test]
fn working_dirs_are_removed_after_drop_and_save() {
    let dir = tempfile::tempdir().unwrap();
    let temp = dir.path().join("work");
    std::fs::create_dir(&temp).unwrap();
    let opts = OpenOptions::default().with_temp_dir(&temp);
    let target = dir.path().join("sync.c1z");

    let store = C1zStore::open(&target, &opts).unwrap();
    let work = store.working_dir().unwrap().to_owned();
    assert!(work.starts_with(&temp) && work.join("db").exists());
    drop(store);
    assert!(!work.exists());

    let mut store = C1zStore::open(&target, &opts).unwrap();
    let run = store.start_sync().unwrap();
    store.end_sync(&run.sync_id).unwrap();
    let info = store.save(&target).unwrap();
    assert!(info.db_bytes > 0 && info.file_bytes > 0 && info.file_bytes < info.db_bytes);
    assert_eq!(std::fs::read_dir(&temp).unwrap().count(), 0);

    let store = C1zStore::open(&target, &opts.clone().read_only()).unwrap();
    store.discard().unwrap();
    assert_eq!(std::fs::read_dir(&temp).unwrap().count(), 0);
}
