//! Grant and revoke tasks: the same provisioners as the one-shot CLI, gated
//! by `--provisioning`, answered with the GrantManagerService response packed
//! as `Any` and its annotations.

use baton_proto::baton_v1::task::{GrantTask, RevokeTask};
use baton_proto::v2::{GrantManagerServiceGrantResponse, GrantManagerServiceRevokeResponse};
use baton_proto::{pack_any, v2::ResourceId};
use tonic::Code;

use super::{Outcome, TaskContext, TaskFailure};
use crate::error::ErrorCode;
use crate::provision::{self, ProvisionError};

fn code_of(code: ErrorCode) -> Code {
    Code::from_i32(code.grpc_code())
}

/// How a provisioning failure is reported. A task naming something this
/// connector cannot provision is malformed (never retried); the connector's
/// own errors are retryable only when temporary.
fn failure(error: ProvisionError) -> TaskFailure {
    match error {
        ProvisionError::Refused(e) if e.code.is_retryable() => {
            TaskFailure::retryable(code_of(e.code), e.message)
        }
        ProvisionError::Refused(e) => TaskFailure::non_retryable(code_of(e.code), e.message),
        ProvisionError::NotProvisionable(t) => TaskFailure::non_retryable(
            Code::Unimplemented,
            format!("resource type {t:?} does not support provisioning"),
        ),
        other => TaskFailure::non_retryable(Code::InvalidArgument, other.to_string()),
    }
}

fn refuse_unless_enabled(ctx: &TaskContext, what: &str) -> Result<(), TaskFailure> {
    if ctx.provisioning {
        return Ok(());
    }
    Err(TaskFailure::non_retryable(
        Code::FailedPrecondition,
        format!("provisioning is not enabled: refusing to {what}; start the connector with --provisioning (BATON_PROVISIONING=true)"),
    ))
}

fn key(id: Option<&ResourceId>) -> String {
    id.map(|i| format!("{}:{}", i.resource_type, i.resource))
        .unwrap_or_default()
}

fn audit(task_id: &str, action: &str, target: &str, outcome: &Outcome) {
    let result = match outcome {
        Outcome::Success { .. } => "succeeded",
        Outcome::Failed(_) => "failed",
        Outcome::Answered => "answered",
    };
    tracing::info!(
        audit = true,
        task_id,
        action,
        target,
        result,
        "provisioning audit"
    );
}

pub(super) async fn grant(ctx: &TaskContext, task_id: &str, task: &GrantTask) -> Outcome {
    let (Some(entitlement), Some(principal)) = (&task.entitlement, &task.principal) else {
        return Outcome::Failed(TaskFailure::non_retryable(
            Code::InvalidArgument,
            "malformed grant task: it has no entitlement or no principal",
        ));
    };
    let target = format!("{} -> {}", entitlement.id, key(principal.id.as_ref()));
    if let Err(refused) = refuse_unless_enabled(ctx, &format!("grant {}", entitlement.id)) {
        let outcome = Outcome::Failed(refused);
        audit(task_id, "grant", &target, &outcome);
        return outcome;
    }
    let outcome = match provision::grant(&*ctx.connector, principal, entitlement).await {
        Ok(done) => {
            let response = GrantManagerServiceGrantResponse {
                annotations: done.annotations,
                grants: done.grants,
            };
            Outcome::Success {
                response: Some(pack_any(&response)),
                annotations: response.annotations,
            }
        }
        Err(e) => Outcome::Failed(failure(e)),
    };
    audit(task_id, "grant", &target, &outcome);
    outcome
}

pub(super) async fn revoke(ctx: &TaskContext, task_id: &str, task: &RevokeTask) -> Outcome {
    let Some(grant) = task.grant.as_ref().filter(|g| g.entitlement.is_some()) else {
        return Outcome::Failed(TaskFailure::non_retryable(
            Code::InvalidArgument,
            "malformed revoke task: it has no grant or the grant has no entitlement",
        ));
    };
    let target = grant.id.clone();
    if let Err(refused) = refuse_unless_enabled(ctx, &format!("revoke {}", grant.id)) {
        let outcome = Outcome::Failed(refused);
        audit(task_id, "revoke", &target, &outcome);
        return outcome;
    }
    let outcome = match provision::revoke(&*ctx.connector, grant).await {
        Ok(done) => {
            let response = GrantManagerServiceRevokeResponse {
                annotations: done.annotations,
            };
            Outcome::Success {
                response: Some(pack_any(&response)),
                annotations: response.annotations,
            }
        }
        Err(e) => Outcome::Failed(failure(e)),
    };
    audit(task_id, "revoke", &target, &outcome);
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ConnectorError;

    #[test]
    fn connector_errors_keep_their_code_and_only_temporary_ones_are_retryable() {
        let f = failure(ProvisionError::Refused(ConnectorError::new(
            ErrorCode::Unavailable,
            "Asana is down",
        )));
        assert_eq!((f.code, f.non_retryable), (Code::Unavailable, false));
        let f = failure(ProvisionError::Refused(ConnectorError::invalid_argument(
            "only Team Member can be granted",
        )));
        assert_eq!((f.code, f.non_retryable), (Code::InvalidArgument, true));
        assert_eq!(f.message, "only Team Member can be granted");
        let f = failure(ProvisionError::NoResourceType {
            what: "entitlement \"x\"".into(),
        });
        assert_eq!((f.code, f.non_retryable), (Code::InvalidArgument, true));
        let f = failure(ProvisionError::NotProvisionable("user".into()));
        assert_eq!((f.code, f.non_retryable), (Code::Unimplemented, true));
    }
}
