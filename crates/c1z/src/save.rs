//! Writing a c1z atomically: the envelope goes to a private temp file beside
//! the target, which is fsynced, renamed over the target, and the directory
//! fsynced. A crash at any instant leaves either the old file or the new one.
//!
//! Temp files are named `.<target name>.<pid>.<random>.tmp` so two writers
//! never share one; those left by a killed process are removed by the next
//! save into the same directory (their pid is no longer alive).

use std::fs::{self, File};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

use crate::envelope::{create_private, encode_file};
use crate::error::{io_err, Error, Result};
use crate::sys::process_alive;

/// Sizes of a saved c1z.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SaveInfo {
    /// The SQLite database, decompressed.
    pub db_bytes: u64,
    /// The c1z file written.
    pub file_bytes: u64,
}

/// Removes the temp file unless the rename succeeded.
struct TempGuard(Option<PathBuf>);

impl Drop for TempGuard {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            if let Err(e) = fs::remove_file(&path) {
                tracing::warn!(path = %path.display(), error = %e, "could not remove temp file");
            }
        }
    }
}

/// Writes the c1z of database file `db` to `target`, atomically.
pub(crate) fn write_c1z(db: &Path, target: &Path) -> Result<SaveInfo> {
    let name = target.file_name().and_then(|n| n.to_str()).ok_or_else(|| {
        Error::InvalidArgument(format!(
            "cannot save to {}: not a file path",
            target.display()
        ))
    })?;
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Err(Error::Io {
            op: "save",
            path: target.to_owned(),
            source: io::Error::new(
                io::ErrorKind::NotFound,
                "its directory does not exist; create it first",
            ),
        });
    }
    sweep_stale_temps(&dir, name);

    let tmp = dir.join(format!(
        ".{name}.{}.{:08x}.tmp",
        std::process::id(),
        rand::random::<u32>()
    ));
    let mut guard = TempGuard(Some(tmp.clone()));
    let file = create_private(&tmp)?;
    let mut writer = BufWriter::with_capacity(1 << 20, file);
    let db_bytes = encode_file(db, &mut writer)?;
    let file = writer
        .into_inner()
        .map_err(|e| io_err("write", &tmp)(e.into_error()))?;
    set_private(&file, &tmp)?;
    file.sync_all().map_err(io_err("fsync", &tmp))?;
    let file_bytes = file
        .metadata()
        .map_err(io_err("read metadata of", &tmp))?
        .len();
    drop(file);

    fs::rename(&tmp, target).map_err(io_err("rename the new c1z over", target))?;
    guard.0 = None;
    File::open(&dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err("fsync directory", &dir))?;
    tracing::info!(path = %target.display(), db_bytes, file_bytes, "c1z: saved");
    Ok(SaveInfo {
        db_bytes,
        file_bytes,
    })
}

/// Mode 0600 whatever the umask or an earlier file's mode was.
fn set_private(file: &File, path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(fs::Permissions::from_mode(0o600))
            .map_err(io_err("set permissions of", path))?;
    }
    Ok(())
}

/// Removes `.<name>.<pid>.<random>.tmp` files whose writer process is gone.
fn sweep_stale_temps(dir: &Path, name: &str) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let prefix = format!(".{name}.");
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(file_name) = file_name.to_str() else {
            continue;
        };
        let Some(pid) = stale_temp_pid(file_name, &prefix) else {
            continue;
        };
        if pid == std::process::id() || process_alive(pid) {
            continue;
        }
        match fs::remove_file(entry.path()) {
            Ok(()) => {
                tracing::info!(path = %entry.path().display(), "removed temp file of an interrupted save")
            }
            Err(e) => {
                tracing::warn!(path = %entry.path().display(), error = %e, "could not remove stale temp file")
            }
        }
    }
}

/// The writer pid of a temp file name `<prefix><pid>.<8 hex>.tmp`.
fn stale_temp_pid(file_name: &str, prefix: &str) -> Option<u32> {
    let rest = file_name.strip_prefix(prefix)?.strip_suffix(".tmp")?;
    let (pid, random) = rest.split_once('.')?;
    if random.len() != 8 || !random.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    pid.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_only_its_own_temp_names() {
        assert_eq!(
            stale_temp_pid(".sync.c1z.1234.0badf00d.tmp", ".sync.c1z."),
            Some(1234)
        );
        assert_eq!(stale_temp_pid(".sync.c1z.1234.xyz.tmp", ".sync.c1z."), None);
        assert_eq!(
            stale_temp_pid(".other.c1z.1234.0badf00d.tmp", ".sync.c1z."),
            None
        );
        assert_eq!(stale_temp_pid("sync.c1z", ".sync.c1z."), None);
    }

    #[test]
    fn missing_directory_is_a_clean_error() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("db");
        fs::write(&db, b"x").unwrap();
        let err = write_c1z(&db, &dir.path().join("nope/out.c1z")).unwrap_err();
        assert!(
            err.to_string().contains("directory does not exist"),
            "{err}"
        );
    }

    #[test]
    fn writer_failure_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.c1z");
        let err = write_c1z(&dir.path().join("missing-db"), &target).unwrap_err();
        assert!(err.to_string().contains("missing-db"), "{err}");
        let left: Vec<_> = fs::read_dir(dir.path()).unwrap().flatten().collect();
        assert!(left.is_empty(), "{left:?}");
    }

    #[test]
    fn sweeps_temp_files_of_dead_writers_only() {
        let dir = tempfile::tempdir().unwrap();
        // A pid far above pid_max cannot be alive.
        let dead = dir.path().join(".out.c1z.4000000000.0badf00d.tmp");
        let mine = dir
            .path()
            .join(format!(".out.c1z.{}.0badf00d.tmp", std::process::id()));
        let other = dir.path().join(".keep.c1z.4000000000.0badf00d.tmp");
        for p in [&dead, &mine, &other] {
            fs::write(p, b"partial").unwrap();
        }
        sweep_stale_temps(dir.path(), "out.c1z");
        assert!(!dead.exists());
        assert!(mine.exists());
        assert!(other.exists());
    }
}
