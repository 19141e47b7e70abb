//! The crate's one error type. Every message is one line that says what was
//! wrong and what to do about it, so the binary can print it as is.

use std::io;
use std::path::PathBuf;

/// Anything that can go wrong opening, reading, writing or saving a c1z.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file is baton-sdk's v3 (Pebble) format, which only the Go SDK reads.
    #[error(
        "{path}: written by baton-sdk's Pebble engine (c1z v3), which this tool cannot read; \
         re-sync with --storage-engine=sqlite, or convert it to a v1 (SQLite) c1z with the Go tools"
    )]
    PebbleFormat { path: PathBuf },

    /// The file does not start with the `C1ZF\0` magic.
    #[error(
        "{path}: not a c1z file ({found}); check that --file points at a .c1z written by baton"
    )]
    NotC1z { path: PathBuf, found: String },

    /// The file ends before its content does.
    #[error(
        "{path}: truncated c1z file ({detail}); restore it from a good copy, or move it away and run a new sync"
    )]
    Truncated { path: PathBuf, detail: String },

    /// The file's content is damaged (bad zstd data, checksum mismatch, not a SQLite database...).
    #[error("{path}: corrupt c1z file ({detail}); restore it from a good copy, or move it away and run a new sync")]
    Corrupt { path: PathBuf, detail: String },

    /// Decompressing would exceed the configured cap (decompression-bomb guard).
    #[error(
        "{path}: the database inside is larger than the limit of {limit} bytes{found}; \
         raise BATON_DECODER_MAX_DECODED_SIZE_MB (MiB) if the file is trusted"
    )]
    TooLarge {
        path: PathBuf,
        limit: u64,
        /// Empty, or " (frame header says N bytes)".
        found: String,
    },

    /// Another process holds the resumable working copy of this target.
    #[error("another process is writing {path}; wait for it to finish or stop it, then retry")]
    Locked { path: PathBuf },

    /// A filesystem operation failed.
    #[error("cannot {op} {path}: {source}")]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// SQLite reported an error.
    #[error("sqlite error while {context}: {source}")]
    Sqlite {
        context: String,
        #[source]
        source: rusqlite::Error,
    },

    /// A stored protobuf blob does not decode.
    #[error(
        "stored {kind} {id:?} is not a valid protobuf message ({source}); the file is damaged; move it away and run a new sync"
    )]
    Decode {
        kind: &'static str,
        id: String,
        #[source]
        source: prost::DecodeError,
    },

    /// A stored value other than a blob is not what baton writes.
    #[error("{what}; the file is damaged or written by an unknown baton version; move it away and run a new sync")]
    BadValue { what: String },

    /// No `v1_sync_runs` row has this id.
    #[error("sync {sync_id:?} does not exist in this c1z; start a sync first")]
    SyncNotFound { sync_id: String },

    /// The sync has ended, so it can no longer be written to.
    #[error("sync {sync_id:?} has already ended; start or resume a sync before writing")]
    SyncEnded { sync_id: String },

    /// A message handed to a `put_*` call lacks what its row needs.
    #[error("cannot store {kind}: {reason}")]
    InvalidRecord { kind: &'static str, reason: String },

    /// A write was attempted on a store opened with `read_only`.
    #[error("cannot {op}: the c1z was opened read-only; open it writable to change it")]
    ReadOnly { op: &'static str },

    /// A caller passed an argument that cannot work.
    #[error("{0}")]
    InvalidArgument(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Attaches "while doing X" context to SQLite errors.
pub(crate) trait SqlContext<T> {
    fn ctx(self, context: impl FnOnce() -> String) -> Result<T>;
}

impl<T> SqlContext<T> for rusqlite::Result<T> {
    fn ctx(self, context: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|source| Error::Sqlite {
            context: context(),
            source,
        })
    }
}

/// Builds an `Error::Io` for `op` on `path`.
pub(crate) fn io_err(
    op: &'static str,
    path: impl Into<PathBuf>,
) -> impl FnOnce(io::Error) -> Error {
    let path = path.into();
    move |source| Error::Io { op, path, source }
}
