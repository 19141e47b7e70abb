//! A `sync_full` task: a full sync into a fresh temporary c1z, uploaded to
//! ConductorOne, with heartbeats throughout. The temporary directory (and
//! with it the c1z and its working copy) is removed whatever happens.
//!
//! Stopping: a cancelled heartbeat or too many failed ones stop the sync and
//! the upload; shutting down stops the sync but lets an upload that already
//! began finish (within the shutdown grace), so ConductorOne gets either the
//! whole file or nothing.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use baton_proto::baton_v1::task::SyncFullTask;
use c1z::C1zStore;
use tonic::Code;

use super::{Outcome, TaskContext, TaskFailure};
use crate::service::heartbeat::{Heartbeat, StopReason, TaskStop};
use crate::service::upload::{upload_file, UploadError};
use crate::sync::{run_sync, SyncError, SyncOptions, SyncProgress};

/// How long a stopped sync may take to wind down before it is dropped.
const STOP_WAIT: Duration = Duration::from_secs(5);

fn stopped(reason: StopReason) -> Outcome {
    Outcome::Failed(TaskFailure::retryable(Code::Cancelled, reason.describe()))
}

fn sync_failure(error: SyncError) -> TaskFailure {
    let code = match (&error, error.connector_error()) {
        (_, Some(e)) => Code::from_i32(e.code.grpc_code()),
        (SyncError::Cancelled, _) => Code::Cancelled,
        _ => Code::Internal,
    };
    TaskFailure::retryable(code, format!("sync failed: {error}"))
}

pub(super) async fn run(
    ctx: &TaskContext,
    task_id: &str,
    task: &SyncFullTask,
    heartbeat_every: Duration,
) -> Outcome {
    let stop = TaskStop::new();
    let heartbeat = Heartbeat::start(
        ctx.client.clone(),
        task_id.to_owned(),
        heartbeat_every,
        stop.clone(),
    )
    .await;
    let outcome = match stop.reason() {
        Some(reason) => stopped(reason),
        None => sync_and_upload(ctx, task_id, task, &stop).await,
    };
    heartbeat.stop().await;
    outcome
}

async fn sync_and_upload(
    ctx: &TaskContext,
    task_id: &str,
    task: &SyncFullTask,
    stop: &TaskStop,
) -> Outcome {
    if !task.targeted_sync_resources.is_empty() || !task.sync_resource_type_ids.is_empty() {
        tracing::warn!(
            task_id,
            "the task asks for a targeted sync, which this connector does not advertise; running a full sync"
        );
    }
    let base = ctx.temp_dir.clone().unwrap_or_else(std::env::temp_dir);
    let dir = match tempfile::Builder::new()
        .prefix("baton-sync-upload-")
        .tempdir_in(&base)
    {
        Ok(dir) => dir,
        Err(e) => {
            return Outcome::Failed(TaskFailure::retryable(
                Code::Internal,
                format!(
                    "cannot create a temporary directory in {}: {e}",
                    base.display()
                ),
            ))
        }
    };
    let path = dir.path().join("sync.c1z");
    let options = SyncOptions {
        cancel: stop.token().clone(),
        progress: Arc::new(SyncProgress::default()),
        // A fresh file holds exactly this one sync.
        keep_syncs: None,
        skip_entitlements_and_grants: ctx.sync.skip_entitlements_and_grants
            || task.skip_entitlements_and_grants,
        ..ctx.sync.clone()
    };

    if let Err(failure) = sync_into(ctx, task_id, &path, &options, stop).await {
        return match stop.reason() {
            Some(reason) => stopped(reason),
            None => Outcome::Failed(failure),
        };
    }
    if let Some(reason) = stop.reason() {
        return stopped(reason);
    }

    // Shutdown no longer stops the task: the upload finishes or is reset.
    match upload_file(&ctx.client, task_id, &path, stop.token()).await {
        Ok(report) => {
            tracing::info!(
                task_id,
                bytes = report.bytes,
                chunks = report.chunks,
                "uploaded the sync"
            );
            Outcome::Success {
                response: None,
                annotations: Vec::new(),
            }
        }
        Err(UploadError::Cancelled) => stopped(stop.reason().unwrap_or(StopReason::Shutdown)),
        Err(e @ UploadError::Read { .. }) => {
            Outcome::Failed(TaskFailure::retryable(Code::Internal, e.to_string()))
        }
        Err(e) => Outcome::Failed(TaskFailure::retryable(Code::Unavailable, e.to_string())),
    }
}

/// Runs the sync into a new c1z at `path`; shutdown stops it.
async fn sync_into(
    ctx: &TaskContext,
    task_id: &str,
    path: &std::path::Path,
    options: &SyncOptions,
    stop: &TaskStop,
) -> Result<(), TaskFailure> {
    // The working copy lives next to the file, so removing the task's
    // directory removes everything the task wrote.
    let open = c1z::OpenOptions {
        temp_dir: path.parent().map(std::path::Path::to_path_buf),
        ..c1z::OpenOptions::from_env()
    };
    let store_path: PathBuf = path.to_owned();
    let store = tokio::task::spawn_blocking(move || C1zStore::open(&store_path, &open))
        .await
        .map_err(|e| TaskFailure::retryable(Code::Internal, format!("opening the c1z: {e}")))?
        .map_err(|e| TaskFailure::retryable(Code::Internal, format!("opening the c1z: {e}")))?;

    tracing::info!(task_id, "starting a full sync");
    let sync = run_sync(&*ctx.connector, store, options);
    tokio::pin!(sync);
    // A stopped sync normally returns at once; one stuck in a slow call
    // (validation is not cancellable) is abandoned after a short wait —
    // dropping it removes its working copy.
    let far = tokio::time::Instant::now() + Duration::from_secs(86_400 * 365);
    let abandon = tokio::time::sleep_until(far);
    tokio::pin!(abandon);
    let mut abandon_armed = false;
    let result = loop {
        tokio::select! {
            result = &mut sync => break result,
            _ = ctx.shutdown.cancelled(), if !stop.token().is_cancelled() => {
                tracing::info!(task_id, "stopping the sync: the connector is shutting down");
                stop.stop(StopReason::Shutdown);
            }
            _ = stop.token().cancelled(), if !abandon_armed => {
                abandon_armed = true;
                abandon.as_mut().reset(tokio::time::Instant::now() + STOP_WAIT);
            }
            _ = &mut abandon, if abandon_armed => {
                tracing::warn!(task_id, "the stopped sync did not end within {} s; abandoning it", STOP_WAIT.as_secs());
                break Err(SyncError::Cancelled);
            }
        }
    };
    let (store, outcome) = result.map_err(sync_failure)?;
    tracing::info!(
        task_id,
        sync_id = %outcome.sync_id,
        resources = outcome.stats.resources,
        entitlements = outcome.stats.entitlements,
        grants = outcome.stats.grants,
        duration_s = outcome.duration.as_secs_f64(),
        "sync complete"
    );
    let save_path: PathBuf = path.to_owned();
    tokio::task::spawn_blocking(move || store.save(&save_path))
        .await
        .map_err(|e| TaskFailure::retryable(Code::Internal, format!("saving the c1z: {e}")))?
        .map_err(|e| TaskFailure::retryable(Code::Internal, format!("saving the c1z: {e}")))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{ConnectorError, ErrorCode};

    #[test]
    fn sync_failures_carry_the_connector_code() {
        let f = sync_failure(SyncError::Validation(ConnectorError::new(
            ErrorCode::Unauthenticated,
            "token rejected",
        )));
        assert_eq!(f.code, Code::Unauthenticated);
        assert!(!f.non_retryable);
        assert!(f.message.contains("token rejected"));
        assert_eq!(
            sync_failure(SyncError::Store("disk full".into())).code,
            Code::Internal
        );
        assert_eq!(sync_failure(SyncError::Cancelled).code, Code::Cancelled);
    }
}
