//! Heartbeats of a long task: one at once, then one every `next_heartbeat`
//! (clamped to 1 s – 5 min, 30 s by default). ConductorOne answering
//! `cancelled` stops the task, and so do ten failed heartbeats in a row
//! (ConductorOne has then most likely given the task to someone else).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use baton_proto::baton_v1::BatonServiceHeartbeatResponse;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::intervals::heartbeat_interval;
use super::rpc::C1Client;

/// Consecutive failed heartbeats that stop a task.
pub const MAX_HEARTBEAT_FAILURES: u32 = 10;

/// Why a task was stopped before it finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// ConductorOne answered a heartbeat with `cancelled`.
    CancelledByC1,
    /// Too many heartbeats in a row failed.
    HeartbeatFailed,
    /// The connector is shutting down.
    Shutdown,
}

impl StopReason {
    pub fn describe(self) -> &'static str {
        match self {
            StopReason::CancelledByC1 => "the task was cancelled by ConductorOne",
            StopReason::HeartbeatFailed => {
                "the task failed its heartbeats (ConductorOne was unreachable)"
            }
            StopReason::Shutdown => "the connector is shutting down",
        }
    }
}

/// The stop signal of one task, carrying the first reason it was stopped for.
#[derive(Clone, Default)]
pub struct TaskStop {
    token: CancellationToken,
    reason: Arc<OnceLock<StopReason>>,
}

impl TaskStop {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn stop(&self, reason: StopReason) {
        let _ = self.reason.set(reason);
        self.token.cancel();
    }

    pub fn reason(&self) -> Option<StopReason> {
        self.reason.get().copied()
    }

    pub fn token(&self) -> &CancellationToken {
        &self.token
    }
}

/// A running heartbeat loop; stop it when the task ends.
pub struct Heartbeat {
    done: CancellationToken,
    handle: Option<JoinHandle<()>>,
}

fn is_cancelled(response: &BatonServiceHeartbeatResponse, task_id: &str) -> bool {
    response.cancelled || response.cancelled_task_ids.iter().any(|id| id == task_id)
}

impl Heartbeat {
    /// Sends the first heartbeat now (stopping `task` if ConductorOne already
    /// cancelled it), then keeps beating in the background. `first_interval`
    /// is the GetTask response's `next_heartbeat`, used until a heartbeat
    /// answers with its own.
    pub async fn start(
        client: C1Client,
        task_id: String,
        first_interval: Duration,
        task: TaskStop,
    ) -> Heartbeat {
        let mut interval = first_interval;
        let mut failures = 0u32;
        match client.heartbeat(&task_id).await {
            Ok(response) => {
                interval = heartbeat_interval(response.next_heartbeat.as_ref());
                if is_cancelled(&response, &task_id) {
                    tracing::info!(task_id, "ConductorOne cancelled the task");
                    task.stop(StopReason::CancelledByC1);
                    return Heartbeat {
                        done: CancellationToken::new(),
                        handle: None,
                    };
                }
                tracing::debug!(
                    task_id,
                    next_heartbeat_s = interval.as_secs_f64(),
                    "heartbeat sent"
                );
            }
            Err(error) => {
                failures = 1;
                tracing::warn!(task_id, failures, error = %error, "heartbeat failed");
            }
        }
        let done = CancellationToken::new();
        let handle = tokio::spawn(beat(
            client,
            task_id,
            interval,
            failures,
            task,
            done.clone(),
        ));
        Heartbeat {
            done,
            handle: Some(handle),
        }
    }

    /// Stops the loop (no heartbeat is sent after this returns).
    pub async fn stop(mut self) {
        self.done.cancel();
        if let Some(handle) = self.handle.take() {
            let _ = handle.await;
        }
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.done.cancel();
    }
}

async fn beat(
    client: C1Client,
    task_id: String,
    mut interval: Duration,
    mut failures: u32,
    task: TaskStop,
    done: CancellationToken,
) {
    loop {
        tokio::select! {
            _ = done.cancelled() => return,
            _ = task.token().cancelled() => return,
            _ = tokio::time::sleep(interval) => {}
        }
        let result = tokio::select! {
            _ = done.cancelled() => return,
            result = client.heartbeat(&task_id) => result,
        };
        match result {
            Ok(response) => {
                failures = 0;
                interval = heartbeat_interval(response.next_heartbeat.as_ref());
                if is_cancelled(&response, &task_id) {
                    tracing::info!(task_id, "ConductorOne cancelled the task");
                    task.stop(StopReason::CancelledByC1);
                    return;
                }
                tracing::debug!(
                    task_id,
                    next_heartbeat_s = interval.as_secs_f64(),
                    "heartbeat sent"
                );
            }
            Err(error) => {
                failures += 1;
                if failures >= MAX_HEARTBEAT_FAILURES {
                    tracing::error!(task_id, failures, error = %error, "heartbeats keep failing; stopping the task");
                    task.stop(StopReason::HeartbeatFailed);
                    return;
                }
                tracing::warn!(task_id, failures, error = %error, "heartbeat failed");
            }
        }
    }
}
