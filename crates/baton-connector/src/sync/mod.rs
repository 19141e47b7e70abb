//! The sync engine: drives any [`Connector`] and writes what it lists into a
//! c1z store as one baton sync, resumable after a crash.

mod checkpoint;
mod engine;
mod progress;
mod writer;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use c1z::{C1zStore, SyncStats};
pub use checkpoint::{Checkpoint, CHECKPOINT_FORMAT};
pub use progress::{Phase, ProgressSnapshot, SyncProgress};
pub use tokio_util::sync::CancellationToken;

use crate::connector::{Connector, ResourceSyncer};
use crate::error::ConnectorError;
use engine::Engine;
use writer::{Command, Writer};

/// How a sync runs.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Connector calls in flight at once.
    pub max_concurrency: usize,
    /// Resources whose entitlements/grants may be in progress (or finished
    /// out of order) at once; bounds memory and checkpoint size.
    pub window: usize,
    /// Pending entitlement/grant rows that force a commit.
    pub flush_rows: usize,
    /// Longest time between commits while work is finishing.
    pub flush_interval: Duration,
    /// Engine-level retries of a call that failed with a temporary error.
    pub max_retries: u32,
    /// Objects that vanished mid-sync tolerated (as warnings) before failing.
    pub max_warnings: usize,
    /// Finished full syncs to keep in the file; `None` skips cleanup.
    pub keep_syncs: Option<usize>,
    /// Record an empty finished sync without calling the connector.
    pub skip_full_sync: bool,
    /// Store resource types and resources only.
    pub skip_entitlements_and_grants: bool,
    pub cancel: CancellationToken,
    pub progress: Arc<SyncProgress>,
}

impl Default for SyncOptions {
    fn default() -> Self {
        Self {
            max_concurrency: 32,
            window: 2048,
            flush_rows: 10_000,
            flush_interval: Duration::from_millis(500),
            max_retries: 3,
            max_warnings: 10,
            keep_syncs: Some(2),
            skip_full_sync: false,
            skip_entitlements_and_grants: false,
            cancel: CancellationToken::new(),
            progress: Arc::new(SyncProgress::default()),
        }
    }
}

/// Why a sync failed. The sync is left unfinished (and resumable).
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The connector's configuration or credentials were refused before any sync started.
    #[error("{0}")]
    Validation(ConnectorError),
    #[error("{context}: {error}")]
    Connector {
        context: String,
        error: ConnectorError,
    },
    #[error("c1z store: {0}")]
    Store(String),
    #[error("the sync was cancelled")]
    Cancelled,
    #[error("internal error: {0}")]
    Internal(String),
}

impl SyncError {
    /// The connector error behind this failure, if any.
    pub fn connector_error(&self) -> Option<&ConnectorError> {
        match self {
            SyncError::Connector { error, .. } | SyncError::Validation(error) => Some(error),
            _ => None,
        }
    }
}

impl From<c1z::Error> for SyncError {
    fn from(value: c1z::Error) -> Self {
        SyncError::Store(value.to_string())
    }
}

/// A finished sync.
#[derive(Debug, Clone)]
pub struct SyncOutcome {
    pub sync_id: String,
    /// Whether an interrupted sync was continued.
    pub resumed: bool,
    pub stats: SyncStats,
    pub warnings: Vec<String>,
    pub duration: Duration,
}

/// Runs one full sync of `connector` into `store` and ends it. On success the
/// store is handed back for saving; on failure the sync stays unfinished in
/// the store's working copy, so the next run resumes it.
pub async fn run_sync(
    connector: &dyn Connector,
    mut store: C1zStore,
    options: &SyncOptions,
) -> Result<(C1zStore, SyncOutcome), SyncError> {
    let started = Instant::now();
    let progress = Arc::clone(&options.progress);
    progress.set_phase(Phase::Starting);

    if options.skip_full_sync {
        let run = store.start_sync()?;
        let stats = store.end_sync(&run.sync_id)?;
        cleanup(&mut store, options)?;
        progress.set_phase(Phase::Done);
        return Ok((
            store,
            SyncOutcome {
                sync_id: run.sync_id,
                resumed: false,
                stats,
                warnings: Vec::new(),
                duration: started.elapsed(),
            },
        ));
    }

    if let Err(error) = connector.validate().await {
        // Nothing was started: drop a working copy that holds nothing to
        // resume, so a failed start leaves no temp files behind.
        if matches!(store.resumable_sync(), Ok(None)) && store.is_resumable() {
            if let Err(e) = store.discard() {
                tracing::debug!(error = %e, "could not remove the unused working copy");
            }
        }
        return Err(SyncError::Validation(error));
    }

    let mut syncers: HashMap<String, Arc<dyn ResourceSyncer>> = HashMap::new();
    for syncer in connector.syncers() {
        let id = syncer.resource_type().id;
        if syncers.insert(id.clone(), syncer).is_some() {
            return Err(SyncError::Internal(format!(
                "two syncers for resource type {id:?}"
            )));
        }
    }

    let (run, resumed) = store.start_or_resume_sync()?;
    let (run, checkpoint, resumed) = if resumed {
        match (
            run.sync_token.trim().is_empty(),
            Checkpoint::parse(&run.sync_token),
        ) {
            (true, _) => (run, None, true),
            (false, Some(cp)) => (run, Some(cp), true),
            (false, None) => {
                tracing::info!(
                    sync_id = %run.sync_id,
                    "the unfinished sync in this file was written by another program; starting a new sync"
                );
                (store.start_sync()?, None, false)
            }
        }
    } else {
        (run, None, false)
    };
    if resumed {
        tracing::info!(sync_id = %run.sync_id, "resuming an interrupted sync");
    }

    let writer = Writer::spawn(store, run.sync_id.clone(), syncers.clone())
        .map_err(|e| SyncError::Internal(format!("cannot start the c1z writer thread: {e}")))?;
    let mut engine = Engine::new(
        syncers,
        writer.commands.clone(),
        options,
        Arc::clone(&progress),
    );
    let result = async {
        if let Some(cp) = checkpoint {
            engine.restore(cp).await?;
        }
        engine.run().await?;
        progress.set_phase(Phase::Finishing);
        let (reply, reply_rx) = tokio::sync::oneshot::channel();
        writer
            .commands
            .send(Command::End { reply })
            .await
            .map_err(|_| SyncError::Store("the c1z writer stopped unexpectedly".into()))?;
        match reply_rx.await {
            Ok(Ok(stats)) => Ok(stats),
            Ok(Err(message)) => Err(SyncError::Store(message)),
            Err(_) => Err(SyncError::Store(
                "the c1z writer stopped unexpectedly".into(),
            )),
        }
    }
    .await;
    let warnings = engine.warnings().to_vec();
    drop(engine);
    let mut store = writer.finish().map_err(SyncError::Store)?;
    let stats = result?;
    cleanup(&mut store, options)?;
    progress.set_phase(Phase::Done);
    Ok((
        store,
        SyncOutcome {
            sync_id: run.sync_id,
            resumed,
            stats,
            warnings,
            duration: started.elapsed(),
        },
    ))
}

fn cleanup(store: &mut C1zStore, options: &SyncOptions) -> Result<(), SyncError> {
    if let Some(keep) = options.keep_syncs {
        store.cleanup(keep)?;
    }
    Ok(())
}
