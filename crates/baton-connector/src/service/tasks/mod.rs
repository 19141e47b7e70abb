//! Running one task from ConductorOne and reporting how it ended.
//!
//! Every task but `hello` ends with exactly one FinishTask: success (with the
//! response packed as `Any` and its annotations) or error (with a gRPC status
//! and whether ConductorOne may retry the task).

mod hello;
mod provision;
mod sync;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use baton_proto::baton_v1::baton_service_finish_task_request::{Error, FinalState, Success};
use baton_proto::baton_v1::task::TaskType;
use baton_proto::baton_v1::{BatonServiceFinishTaskRequest, Task};
use baton_proto::google::rpc::Status;
use baton_proto::Any;
use tokio_util::sync::CancellationToken;
use tonic::Code;

use super::config::BuildInfo;
use super::rpc::C1Client;
use crate::connector::Connector;
use crate::sync::SyncOptions;

pub(crate) use hello::hello_request;

/// FinishTask attempts before giving up (ConductorOne then times the task out).
const FINISH_ATTEMPTS: u32 = 5;

/// What every task needs.
pub(crate) struct TaskContext {
    pub connector: Arc<dyn Connector>,
    pub client: C1Client,
    pub provisioning: bool,
    pub sync: SyncOptions,
    pub temp_dir: Option<PathBuf>,
    pub build_info: BuildInfo,
    /// Cancelled when the connector starts shutting down.
    pub shutdown: CancellationToken,
}

/// Why a task failed, as ConductorOne is told.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TaskFailure {
    pub code: Code,
    pub message: String,
    /// ConductorOne must not run the task again (e.g. it is malformed).
    pub non_retryable: bool,
}

impl TaskFailure {
    pub fn retryable(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            non_retryable: false,
        }
    }

    pub fn non_retryable(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            non_retryable: true,
        }
    }
}

/// How a task ended.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Outcome {
    Success {
        response: Option<Any>,
        annotations: Vec<Any>,
    },
    Failed(TaskFailure),
    /// Nothing to report (a hello task is answered by a Hello).
    Answered,
}

/// The task type's field name, for logs.
pub(crate) fn type_name(task: &Task) -> &'static str {
    match &task.task_type {
        None => "unknown",
        Some(t) => match t {
            TaskType::None(_) => "none",
            TaskType::Hello(_) => "hello",
            TaskType::SyncFull(_) => "sync_full",
            TaskType::Grant(_) => "grant",
            TaskType::Revoke(_) => "revoke",
            TaskType::CreateAccount(_) => "create_account",
            TaskType::CreateResource(_) => "create_resource",
            TaskType::DeleteResource(_) => "delete_resource",
            TaskType::RotateCredentials(_) => "rotate_credentials",
            TaskType::EventFeed(_) => "event_feed",
            TaskType::CreateTicketTask(_) => "create_ticket_task",
            TaskType::ListTicketSchemas(_) => "list_ticket_schemas",
            TaskType::GetTicket(_) => "get_ticket",
            TaskType::BulkCreateTickets(_) => "bulk_create_tickets",
            TaskType::BulkGetTickets(_) => "bulk_get_tickets",
            TaskType::ActionListSchemas(_) => "action_list_schemas",
            TaskType::ActionGetSchema(_) => "action_get_schema",
            TaskType::ActionInvoke(_) => "action_invoke",
            TaskType::ActionStatus(_) => "action_status",
            TaskType::CreateSyncDiff(_) => "create_sync_diff",
            TaskType::CompactSyncs(_) => "compact_syncs",
            TaskType::ListEventFeeds(_) => "list_event_feeds",
            TaskType::ListEvents(_) => "list_events",
            TaskType::IssueCredential(_) => "issue_credential",
        },
    }
}

/// Whether a GetTask answer means "nothing to do".
pub(crate) fn is_nothing(task: Option<&Task>) -> bool {
    match task {
        None => true,
        Some(t) => match &t.task_type {
            Some(TaskType::None(_)) => true,
            // A task of a type this build cannot decode still has an id to answer.
            None => t.id.is_empty(),
            Some(_) => false,
        },
    }
}

/// Runs `task` and reports its end to ConductorOne.
pub(crate) async fn run(ctx: Arc<TaskContext>, task: Task, heartbeat_every: Duration) {
    let task_id = task.id.clone();
    let task_type = type_name(&task);
    tracing::info!(task_id, task_type, "running task");
    let outcome = match &task.task_type {
        Some(TaskType::Hello(_)) => hello::answer(&ctx, &task_id).await,
        Some(TaskType::SyncFull(sync_task)) => {
            sync::run(&ctx, &task_id, sync_task, heartbeat_every).await
        }
        Some(TaskType::Grant(grant_task)) => provision::grant(&ctx, &task_id, grant_task).await,
        Some(TaskType::Revoke(revoke_task)) => provision::revoke(&ctx, &task_id, revoke_task).await,
        // As baton-sdk: an error ConductorOne may retry with another connector version.
        _ => Outcome::Failed(TaskFailure::retryable(
            Code::Unknown,
            "unsupported task type",
        )),
    };
    finish(&ctx.client, &task_id, task_type, outcome).await;
}

fn finish_request(task_id: &str, outcome: Outcome) -> Option<BatonServiceFinishTaskRequest> {
    let (status, final_state) = match outcome {
        Outcome::Answered => return None,
        Outcome::Success {
            response,
            annotations,
        } => (
            None,
            FinalState::Success(Success {
                annotations,
                response,
            }),
        ),
        Outcome::Failed(failure) => (
            Some(Status {
                code: failure.code as i32,
                message: failure.message,
                details: Vec::new(),
            }),
            FinalState::Error(Error {
                non_retryable: failure.non_retryable,
                annotations: Vec::new(),
                response: None,
            }),
        ),
    };
    Some(BatonServiceFinishTaskRequest {
        host_id: String::new(),
        task_id: task_id.to_owned(),
        status,
        final_state: Some(final_state),
    })
}

/// Sends FinishTask, retrying a few times: a lost one leaves the task
/// hanging in ConductorOne until it times out.
async fn finish(client: &C1Client, task_id: &str, task_type: &str, outcome: Outcome) {
    let failure = match &outcome {
        Outcome::Failed(f) => Some(f.clone()),
        _ => None,
    };
    let Some(request) = finish_request(task_id, outcome) else {
        return;
    };
    for attempt in 1..=FINISH_ATTEMPTS {
        match client.finish_task(request.clone()).await {
            Ok(_) => {
                match &failure {
                    None => tracing::info!(task_id, task_type, "task finished"),
                    Some(f) => tracing::warn!(
                        task_id,
                        task_type,
                        code = ?f.code,
                        non_retryable = f.non_retryable,
                        error = %f.message,
                        "task failed"
                    ),
                }
                return;
            }
            Err(error) if attempt < FINISH_ATTEMPTS => {
                let wait = Duration::from_secs(1 << (attempt - 1));
                tracing::warn!(task_id, attempt, error = %error, retry_in_s = wait.as_secs(), "cannot report the task's end to ConductorOne; retrying");
                tokio::time::sleep(wait).await;
            }
            Err(error) => {
                tracing::error!(task_id, attempts = attempt, error = %error, "gave up reporting the task's end to ConductorOne");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use baton_proto::baton_v1::task::{GrantTask, HelloTask, NoneTask};

    #[test]
    fn empty_answers_mean_nothing_to_do() {
        assert!(is_nothing(None));
        let none = Task {
            id: "x".into(),
            task_type: Some(TaskType::None(NoneTask::default())),
            ..Default::default()
        };
        assert!(is_nothing(Some(&none)));
        assert!(is_nothing(Some(&Task::default())));
        let unknown_type = Task {
            id: "2abcdefghijklmnopqrstuvwxyz".into(),
            ..Default::default()
        };
        assert!(
            !is_nothing(Some(&unknown_type)),
            "an undecodable type is still a task"
        );
        let hello = Task {
            task_type: Some(TaskType::Hello(HelloTask::default())),
            ..Default::default()
        };
        assert!(!is_nothing(Some(&hello)));
    }

    #[test]
    fn finish_requests_carry_status_and_retryability() {
        let failed = finish_request(
            "t1",
            Outcome::Failed(TaskFailure::non_retryable(
                Code::InvalidArgument,
                "malformed grant task",
            )),
        )
        .unwrap();
        assert_eq!(failed.task_id, "t1");
        let status = failed.status.unwrap();
        assert_eq!(status.code, 3);
        assert_eq!(status.message, "malformed grant task");
        assert!(matches!(
            failed.final_state,
            Some(FinalState::Error(Error {
                non_retryable: true,
                ..
            }))
        ));

        let response = baton_proto::pack_any(&GrantTask::default());
        let ok = finish_request(
            "t2",
            Outcome::Success {
                response: Some(response.clone()),
                annotations: vec![],
            },
        )
        .unwrap();
        assert!(ok.status.is_none());
        match ok.final_state {
            Some(FinalState::Success(s)) => assert_eq!(s.response, Some(response)),
            other => panic!("unexpected {other:?}"),
        }
        assert!(finish_request("t3", Outcome::Answered).is_none());
    }
}
