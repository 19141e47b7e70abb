//! Resumable working copies: survive a SIGKILL (and a plain drop), resume the
//! unfinished sync with its last committed checkpoint, refuse a second writer,
//! and rebuild when the source c1z changed underneath.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use c1z::{C1zStore, Error, GrantFilter, OpenOptions, WriteBatch};
use common::*;

fn rows(n: u64) -> WriteBatch {
    let team = group(n);
    WriteBatch {
        resource_types: vec![user_type(), group_type()],
        resources: vec![team.clone(), user(n)],
        entitlements: vec![entitlement(&team, "member")],
        grants: vec![grant(&team, "member", &user_id(n))],
    }
}

fn opts(base: &Path) -> OpenOptions {
    OpenOptions::default().with_temp_dir(base)
}

fn working_dirs(base: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(base)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("baton-c1z-")
        })
        .collect()
}

const CHILD_TARGET: &str = "C1Z_TEST_RESUME_CHILD_TARGET";
const CHILD_BASE: &str = "C1Z_TEST_RESUME_CHILD_BASE";

/// Not a test on its own: the child process of `survives_sigkill_and_resumes`.
/// It commits batch 1 with checkpoint "1", writes batch 2 with checkpoint "2"
/// without committing, says READY and waits to be killed.
#[test]
fn resume_child_process() {
    let (Ok(target), Ok(base)) = (std::env::var(CHILD_TARGET), std::env::var(CHILD_BASE)) else {
        return;
    };
    let mut store = C1zStore::open_resumable(Path::new(&target), &opts(Path::new(&base))).unwrap();
    let (run, _) = store.start_or_resume_sync().unwrap();
    store
        .write_batch(&run.sync_id, &rows(1), Some("1"))
        .unwrap();
    store.flush().unwrap();
    store
        .write_batch(&run.sync_id, &rows(2), Some("2"))
        .unwrap();
    // libtest may print "test ... " on the same line first.
    println!("C1Z-CHILD-READY");
    std::thread::sleep(std::time::Duration::from_secs(120));
    unreachable!("the parent kills this process");
}

#[test]
fn survives_sigkill_and_resumes_the_last_committed_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("sync.c1z");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "resume_child_process",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_TARGET, &target)
        .env(CHILD_BASE, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let ready = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .any(|l| l.contains("C1Z-CHILD-READY"));
    assert!(ready, "child never got ready");
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    assert!(!target.exists(), "nothing was saved");
    assert_eq!(
        working_dirs(dir.path()).len(),
        1,
        "the working copy survives the kill"
    );
    // The kernel dropped the dead child's lock: we can take over.
    let mut store = C1zStore::open_resumable(&target, &opts(dir.path())).unwrap();
    let run = store
        .resumable_sync()
        .unwrap()
        .expect("an unfinished sync to resume");
    assert_eq!(
        run.sync_token, "1",
        "the uncommitted batch and its checkpoint went together"
    );
    let users = store
        .list_resources(&run.sync_id, Some("user"), None)
        .unwrap();
    // Whole messages compare equal across processes: Struct encodes with
    // sorted keys, so another process's bytes are the same.
    assert_eq!(users, vec![user(1)]);
    let (again, resumed) = store.start_or_resume_sync().unwrap();
    assert!(resumed);
    assert_eq!(again.sync_id, run.sync_id);
    store
        .write_batch(&run.sync_id, &rows(2), Some("2"))
        .unwrap();
    store.end_sync(&run.sync_id).unwrap();
    store.save(&target).unwrap();
    assert!(
        working_dirs(dir.path()).is_empty(),
        "a successful save removes the working copy"
    );

    let done = C1zStore::open(&target, &opts(dir.path()).read_only()).unwrap();
    let finished = done.latest_finished_sync(None).unwrap().unwrap();
    assert_eq!(finished.sync_id, run.sync_id);
    assert_eq!(
        done.list_grants(&finished.sync_id, &GrantFilter::default())
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn a_dropped_store_keeps_its_work_for_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("sync.c1z");
    let mut store = C1zStore::open_resumable(&target, &opts(dir.path())).unwrap();
    assert!(store.is_resumable());
    let (run, resumed) = store.start_or_resume_sync().unwrap();
    assert!(!resumed);
    store
        .write_batch(&run.sync_id, &rows(1), Some("page-1"))
        .unwrap();
    drop(store); // no save, no explicit flush

    let mut store = C1zStore::open_resumable(&target, &opts(dir.path())).unwrap();
    let (again, resumed) = store.start_or_resume_sync().unwrap();
    assert!(resumed);
    assert_eq!(
        (again.sync_id.as_str(), again.sync_token.as_str()),
        (run.sync_id.as_str(), "page-1")
    );
    assert!(store.resource_exists(&run.sync_id, &user_id(1)).unwrap());

    store.discard().unwrap();
    assert!(
        working_dirs(dir.path()).is_empty(),
        "discard removes the working copy"
    );
    let mut store = C1zStore::open_resumable(&target, &opts(dir.path())).unwrap();
    assert_eq!(store.resumable_sync().unwrap(), None);
    assert!(!store.start_or_resume_sync().unwrap().1);
}

#[test]
fn a_second_writer_on_the_same_target_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("sync.c1z");
    let first = C1zStore::open_resumable(&target, &opts(dir.path())).unwrap();
    // Another spelling of the same path maps to the same working copy.
    let same = dir.path().join(".").join("sync.c1z");
    let err = C1zStore::open_resumable(&same, &opts(dir.path())).unwrap_err();
    assert!(matches!(err, Error::Locked { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.starts_with("another process is writing "),
        "{message}"
    );
    assert!(message.contains("sync.c1z"), "{message}");
    // A different target is independent.
    C1zStore::open_resumable(&dir.path().join("other.c1z"), &opts(dir.path())).unwrap();
    drop(first);
    C1zStore::open_resumable(&target, &opts(dir.path())).unwrap();
}

#[test]
fn a_changed_source_file_is_not_resumed_from_a_stale_copy() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("sync.c1z");
    let mut store = C1zStore::open_resumable(&target, &opts(dir.path())).unwrap();
    let (run, _) = store.start_or_resume_sync().unwrap();
    store
        .write_batch(&run.sync_id, &rows(1), Some("page-1"))
        .unwrap();
    drop(store);

    // Someone else writes the target meanwhile (e.g. a one-shot run).
    let mut other = C1zStore::open(&target, &opts(dir.path())).unwrap();
    let theirs = other.start_sync().unwrap();
    other.end_sync(&theirs.sync_id).unwrap();
    other.save(&target).unwrap();

    let store = C1zStore::open_resumable(&target, &opts(dir.path())).unwrap();
    assert_eq!(store.resumable_sync().unwrap(), None);
    let runs: Vec<_> = store
        .list_sync_runs()
        .unwrap()
        .into_iter()
        .map(|r| r.sync_id)
        .collect();
    assert_eq!(runs, vec![theirs.sync_id]);
}

#[test]
fn a_damaged_working_copy_is_rebuilt_from_the_source() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("sync.c1z");
    let mut store = C1zStore::open_resumable(&target, &opts(dir.path())).unwrap();
    let (run, _) = store.start_or_resume_sync().unwrap();
    store
        .write_batch(&run.sync_id, &rows(1), Some("page-1"))
        .unwrap();
    let work = store.working_dir().unwrap().to_owned();
    drop(store);
    std::fs::write(work.join("db"), b"this is not a database, it was damaged").unwrap();

    let store = C1zStore::open_resumable(&target, &opts(dir.path())).unwrap();
    assert_eq!(store.resumable_sync().unwrap(), None);
    assert!(store.list_sync_runs().unwrap().is_empty());
}
