//! Hello: who this connector is (build, machine, metadata and capabilities).
//! Sent at start-up, and as the answer to a `hello` task (no FinishTask).

use baton_proto::baton_v1::baton_service_hello_request::BuildInfo as ProtoBuildInfo;
use baton_proto::baton_v1::BatonServiceHelloRequest;

use super::{Outcome, TaskContext};
use crate::connector::{metadata_with_capabilities, Connector};
use crate::service::config::BuildInfo;
use crate::service::host;

/// The Hello message; `task_id` is empty at start-up.
pub(crate) fn hello_request(
    connector: &dyn Connector,
    build: &BuildInfo,
    task_id: &str,
) -> BatonServiceHelloRequest {
    BatonServiceHelloRequest {
        host_id: String::new(),
        task_id: task_id.to_owned(),
        build_info: Some(ProtoBuildInfo {
            lang_version: build.lang_version.clone(),
            package: build.package.clone(),
            package_version: build.package_version.clone(),
        }),
        os_info: Some(host::os_info()),
        connector_metadata: Some(metadata_with_capabilities(connector)),
        annotations: Vec::new(),
    }
}

/// Answers a hello task with a Hello carrying its id.
pub(super) async fn answer(ctx: &TaskContext, task_id: &str) -> Outcome {
    let request = hello_request(&*ctx.connector, &ctx.build_info, task_id);
    match ctx.client.hello(request).await {
        Ok(_) => tracing::info!(task_id, "answered the hello task"),
        // As baton-sdk: logged only; ConductorOne asks again if it cares.
        Err(error) => tracing::error!(task_id, error = %error, "could not answer the hello task"),
    }
    Outcome::Answered
}
