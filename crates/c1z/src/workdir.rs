//! Where the working SQLite database lives while a c1z is open.
//!
//! - Ephemeral: a fresh `c1z*` temp dir, removed when the store goes away.
//! - Resumable: `<temp dir>/baton-c1z-<sha256 of the absolute target path>/`,
//!   guarded by an exclusive `flock` on its `lock` file (the kernel drops it
//!   when the process dies, even by SIGKILL), and holding `source.json`, the
//!   fingerprint (length, mtime, inode) of the c1z the database was made from.
//!   It survives crashes so the next run can resume the unfinished sync; it is
//!   removed after a successful save or an explicit discard.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{io_err, Error, Result};
use crate::sys::try_lock_exclusive;

pub(crate) const DB_FILE: &str = "db";
const LOCK_FILE: &str = "lock";
const FINGERPRINT_FILE: &str = "source.json";
/// SQLite's side files next to `db`.
const DB_SIDE_FILES: [&str; 3] = ["db-journal", "db-wal", "db-shm"];

pub(crate) enum WorkDir {
    Ephemeral(tempfile::TempDir),
    Resumable(Resumable),
}

pub(crate) struct Resumable {
    dir: PathBuf,
    /// Held open for the lock; closing it releases the lock.
    _lock: File,
}

impl WorkDir {
    /// A new, empty ephemeral working dir under `base`.
    pub(crate) fn ephemeral(base: &Path) -> Result<WorkDir> {
        let dir = tempfile::Builder::new()
            .prefix("c1z")
            .tempdir_in(base)
            .map_err(io_err("create a temp dir in", base))?;
        Ok(WorkDir::Ephemeral(dir))
    }

    pub(crate) fn path(&self) -> &Path {
        match self {
            WorkDir::Ephemeral(dir) => dir.path(),
            WorkDir::Resumable(r) => &r.dir,
        }
    }

    pub(crate) fn db_path(&self) -> PathBuf {
        self.path().join(DB_FILE)
    }

    pub(crate) fn is_resumable(&self) -> bool {
        matches!(self, WorkDir::Resumable(_))
    }

    /// Deletes the working dir and everything in it (releasing any lock last).
    pub(crate) fn remove(self) -> Result<()> {
        match self {
            WorkDir::Ephemeral(dir) => {
                let path = dir.path().to_owned();
                dir.close().map_err(io_err("remove working dir", path))
            }
            WorkDir::Resumable(r) => {
                fs::remove_dir_all(&r.dir).map_err(io_err("remove working dir", &r.dir))
            }
        }
    }
}

/// The absolute path of `target`, resolving symlinks of the directory (and of
/// the file, when it exists) so every spelling of one file maps to one dir.
pub(crate) fn absolute_target(target: &Path) -> Result<PathBuf> {
    if target.exists() {
        return fs::canonicalize(target).map_err(io_err("resolve", target));
    }
    let name = target.file_name().ok_or_else(|| {
        Error::InvalidArgument(format!("{} is not a file path", target.display()))
    })?;
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let parent = fs::canonicalize(parent).map_err(io_err("resolve the directory of", target))?;
    Ok(parent.join(name))
}

/// `<base>/baton-c1z-<hex sha256(absolute target)>`.
pub(crate) fn resumable_dir(base: &Path, absolute: &Path) -> PathBuf {
    let digest = Sha256::digest(absolute.as_os_str().as_encoded_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    base.join(format!("baton-c1z-{hex}"))
}

/// Creates (if needed) and locks the resumable dir for `target`.
pub(crate) fn lock_resumable(dir: &Path, target: &Path) -> Result<Resumable> {
    // The previous holder may delete the dir (after its save) between our
    // open and our flock; then we locked a file nobody else will see, so retry.
    for _ in 0..8 {
        create_private_dir(dir)?;
        let lock_path = dir.join(LOCK_FILE);
        let lock = open_lock_file(&lock_path)?;
        if !try_lock_exclusive(&lock).map_err(io_err("lock", &lock_path))? {
            return Err(Error::Locked {
                path: target.to_owned(),
            });
        }
        if same_file(&lock, &lock_path) {
            return Ok(Resumable {
                dir: dir.to_owned(),
                _lock: lock,
            });
        }
    }
    Err(Error::Locked {
        path: target.to_owned(),
    })
}

fn open_lock_file(path: &Path) -> Result<File> {
    let mut options = File::options();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path).map_err(io_err("open lock file", path))
}

#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

fn create_private_dir(dir: &Path) -> Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(io_err("create working dir", dir))
}

/// Identifies one version of the source c1z.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Fingerprint {
    target: String,
    /// `None` when the source did not exist.
    file: Option<FileId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct FileId {
    len: u64,
    modified_ns: i128,
    dev: u64,
    ino: u64,
}

impl Fingerprint {
    /// The fingerprint of `target` as it is now.
    pub(crate) fn of(target: &Path) -> Result<Fingerprint> {
        let file = match fs::metadata(target) {
            Ok(meta) => Some(file_id(&meta)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(io_err("read metadata of", target)(e)),
        };
        Ok(Fingerprint {
            target: target.to_string_lossy().into_owned(),
            file,
        })
    }

    /// The fingerprint recorded in `dir`, if one was written completely.
    pub(crate) fn recorded(dir: &Path) -> Option<Fingerprint> {
        let text = fs::read(dir.join(FINGERPRINT_FILE)).ok()?;
        serde_json::from_slice(&text).ok()
    }

    /// Records this fingerprint in `dir` (atomically, durably).
    pub(crate) fn record(&self, dir: &Path) -> Result<()> {
        let path = dir.join(FINGERPRINT_FILE);
        let tmp = dir.join(format!("{FINGERPRINT_FILE}.tmp"));
        let json = serde_json::to_vec(self).map_err(|e| Error::InvalidArgument(e.to_string()))?;
        let mut file = File::create(&tmp).map_err(io_err("create", &tmp))?;
        file.write_all(&json).map_err(io_err("write", &tmp))?;
        file.sync_all().map_err(io_err("fsync", &tmp))?;
        fs::rename(&tmp, &path).map_err(io_err("rename", &path))
    }

    /// Forgets the recorded fingerprint, so a crash from here on rebuilds the db.
    pub(crate) fn forget(dir: &Path) -> Result<()> {
        remove_if_exists(&dir.join(FINGERPRINT_FILE))
    }
}

#[cfg(unix)]
fn file_id(meta: &fs::Metadata) -> FileId {
    use std::os::unix::fs::MetadataExt;
    FileId {
        len: meta.len(),
        modified_ns: i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
        dev: meta.dev(),
        ino: meta.ino(),
    }
}

/// Deletes the working database and SQLite's side files, if present.
pub(crate) fn remove_db_files(dir: &Path) -> Result<()> {
    remove_if_exists(&dir.join(DB_FILE))?;
    for side in DB_SIDE_FILES {
        remove_if_exists(&dir.join(side))?;
    }
    Ok(())
}

fn remove_if_exists(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_err("remove", path)(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_dir_per_absolute_target() {
        let base = Path::new("/tmp");
        let a = resumable_dir(base, Path::new("/data/sync.c1z"));
        let b = resumable_dir(base, Path::new("/data/other.c1z"));
        assert_ne!(a, b);
        assert_eq!(a, resumable_dir(base, Path::new("/data/sync.c1z")));
        let name = a.file_name().unwrap().to_str().unwrap();
        assert!(name.starts_with("baton-c1z-") && name.len() == "baton-c1z-".len() + 64);
    }

    #[test]
    fn relative_and_absolute_spellings_agree() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("sync.c1z");
        let dotted = dir.path().join(".").join("sync.c1z");
        assert_eq!(
            absolute_target(&target).unwrap(),
            absolute_target(&dotted).unwrap()
        );
        fs::write(&target, b"x").unwrap();
        assert_eq!(
            absolute_target(&target).unwrap(),
            absolute_target(&dotted).unwrap()
        );
    }

    #[test]
    fn fingerprint_changes_when_the_file_does() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("sync.c1z");
        let missing = Fingerprint::of(&target).unwrap();
        fs::write(&target, b"one").unwrap();
        let one = Fingerprint::of(&target).unwrap();
        assert_ne!(missing, one);
        one.record(dir.path()).unwrap();
        assert_eq!(Fingerprint::recorded(dir.path()), Some(one.clone()));
        // Replace by rename, as a save does: a new inode even if size and time match.
        let tmp = dir.path().join("new");
        fs::write(&tmp, b"two").unwrap();
        fs::rename(&tmp, &target).unwrap();
        assert_ne!(Fingerprint::of(&target).unwrap(), one);
        Fingerprint::forget(dir.path()).unwrap();
        assert_eq!(Fingerprint::recorded(dir.path()), None);
    }
}
