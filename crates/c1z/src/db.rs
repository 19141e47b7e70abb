//! Opening the working SQLite database with the session settings baton-sdk v0.25
//! uses for a writer (rollback journal, never WAL, so the file is always
//! self-contained; `synchronous=NORMAL`; exclusive locking), then the schema.

use std::path::Path;

use rusqlite::{Connection, ErrorCode, OpenFlags};

use crate::error::{Error, Result, SqlContext};
use crate::schema;

/// Page size for new databases. Bulk inserts of a million grants (five
/// indexes, one of them in random principal order) run markedly faster with
/// big pages; every SQLite since 3.7 (and so every Go reader) handles 64 KiB.
const NEW_DB_PAGE_SIZE: u32 = 65536;
/// Page cache, KiB (negative `cache_size` means KiB): big enough for the hot
/// index pages of a million-grant sync, small enough to keep RSS modest.
const CACHE_KIB: i64 = 64 * 1024;

/// What the working copy is for, which decides how much durability it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Never written back: no journal, no fsync.
    ReadOnly,
    /// Deleted on drop and on crash: rollback journal (for failed batches), no fsync.
    Ephemeral,
    /// Kept across crashes for resuming: rollback journal, fsync at commits.
    Resumable,
}

/// Opens `db` (creating it when missing) and brings its schema up to date.
/// `source` names the c1z in error messages.
pub(crate) fn open(db: &Path, source: &Path, mode: Mode) -> Result<Connection> {
    let fresh = std::fs::metadata(db).map(|m| m.len() == 0).unwrap_or(true);
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(db, flags)
        .ctx(|| format!("opening the working copy of {}", source.display()))?;
    // A c1z can come from anywhere: do not let its schema run functions with side effects.
    conn.pragma_update(None, "trusted_schema", false)
        .ctx(|| "configuring sqlite".to_owned())?;
    check_is_database(&conn, source)?;
    if fresh {
        conn.pragma_update(None, "page_size", NEW_DB_PAGE_SIZE)
            .ctx(|| "configuring sqlite".to_owned())?;
    }
    let (journal, synchronous) = match mode {
        Mode::ReadOnly => ("off", "off"),
        // A crash deletes an ephemeral copy anyway: fsyncs would buy nothing.
        Mode::Ephemeral => ("truncate", "off"),
        Mode::Resumable => ("truncate", "normal"),
    };
    let read_only = mode == Mode::ReadOnly;
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", journal, |row| row.get(0))
        .ctx(|| format!("switching {} to a rollback journal", source.display()))?;
    // A read-only copy is never saved, so only a writer needs the rollback journal.
    if !read_only && !mode.eq_ignore_ascii_case(journal) {
        return Err(Error::Corrupt {
            path: source.to_owned(),
            detail: format!("sqlite kept journal mode {mode:?} instead of {journal:?}"),
        });
    }
    conn.pragma_update(None, "synchronous", synchronous)
        .ctx(|| "configuring sqlite".to_owned())?;
    if !read_only {
        conn.pragma_update(None, "locking_mode", "exclusive")
            .ctx(|| "configuring sqlite".to_owned())?;
    }
    conn.pragma_update(None, "cache_size", -CACHE_KIB)
        .ctx(|| "configuring sqlite".to_owned())?;
    conn.set_prepared_statement_cache_capacity(64);
    schema::create_and_migrate(&conn).map_err(|e| corrupt_if_damaged(e, source))?;
    Ok(conn)
}

/// Reads the schema once, turning "not a database"/"malformed" into a c1z error.
fn check_is_database(conn: &Connection, source: &Path) -> Result<()> {
    conn.query_row("select count(*) from sqlite_master", [], |row| {
        row.get::<_, i64>(0)
    })
    .ctx(|| format!("reading the database inside {}", source.display()))
    .map(|_| ())
    .map_err(|e| corrupt_if_damaged(e, source))
}

fn corrupt_if_damaged(e: Error, source: &Path) -> Error {
    if let Error::Sqlite {
        source: rusqlite::Error::SqliteFailure(failure, message),
        ..
    } = &e
    {
        if matches!(
            failure.code,
            ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt
        ) {
            return Error::Corrupt {
                path: source.to_owned(),
                detail: format!(
                    "the database inside is damaged: {}",
                    message.clone().unwrap_or_else(|| failure.to_string())
                ),
            };
        }
    }
    e
}
