//! The `.c1z` v1 file: a zstd-compressed SQLite database of baton sync data,
//! readable by ConductorOne's Go `baton` CLI and baton-sdk (every version), and
//! able to read the files they write (v1; v3/Pebble files get a clear error).
//!
//! ```no_run
//! # fn main() -> Result<(), c1z::Error> {
//! use c1z::{C1zStore, OpenOptions};
//! let path = std::path::Path::new("sync.c1z");
//! let mut store = C1zStore::open_resumable(path, &OpenOptions::from_env())?;
//! let (run, _resumed) = store.start_or_resume_sync()?;
//! // ... store.write_batch(&run.sync_id, &batch, Some(&checkpoint_token))? ...
//! store.end_sync(&run.sync_id)?;
//! store.apply_cleanup(&c1z::CleanupPolicy::from_env())?;
//! store.save(path)?;
//! # Ok(()) }
//! ```

mod cleanup;
mod db;
pub mod envelope;
mod error;
mod ksuid;
mod options;
mod read;
mod save;
pub mod schema;
mod stats;
mod store;
mod sync_run;
mod sys;
mod timefmt;
mod workdir;
mod write;

pub use error::{Error, Result};
pub use ksuid::{encode_ksuid, ksuid_unix_seconds, new_ksuid};
pub use options::{CleanupPolicy, OpenOptions};
pub use read::{GrantFilter, Page};
pub use save::SaveInfo;
pub use stats::SyncStats;
pub use store::C1zStore;
pub use sync_run::{SyncRun, SyncType, RESUME_WINDOW_DAYS};
pub use timefmt::{go_timestamp, now_go_timestamp, parse_go_timestamp};
pub use write::WriteBatch;
