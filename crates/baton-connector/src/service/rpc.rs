//! The BatonService client: one lazily connected TLS channel for the life of
//! the process (it reconnects by itself), every call stamped with the host id
//! and `authorization: <token_type> <token>`.

use std::sync::Arc;
use std::time::Duration;

use baton_proto::baton_v1::baton_service_client::BatonServiceClient;
use baton_proto::baton_v1::{
    BatonServiceFinishTaskRequest, BatonServiceFinishTaskResponse, BatonServiceGetTaskRequest,
    BatonServiceGetTaskResponse, BatonServiceHeartbeatRequest, BatonServiceHeartbeatResponse,
    BatonServiceHelloRequest, BatonServiceHelloResponse, BatonServiceUploadAssetRequest,
    BatonServiceUploadAssetResponse,
};
use tonic::metadata::{Ascii, MetadataValue};
use tonic::transport::{Certificate, Channel, ClientTlsConfig};
use tonic::Code;

use super::config::Endpoint;
use super::error::ServiceError;
use super::tls::TrustRoots;
use super::token::{TokenError, TokenSource};

/// A failed call to ConductorOne.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RpcError {
    #[error("{method}: {source}")]
    Token {
        method: &'static str,
        source: TokenError,
    },
    #[error("{method}: {code:?}: {message}")]
    Status {
        method: &'static str,
        code: Code,
        message: String,
    },
}

/// An error and its sources on one line (`a: b: c`), without repeats.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = vec![error.to_string()];
    let mut source = error.source();
    while let Some(e) = source {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = e.source();
    }
    parts.join(": ").replace(['\n', '\r'], " ")
}

/// ConductorOne's BatonService, authenticated.
#[derive(Clone)]
pub struct C1Client {
    grpc: BatonServiceClient<Channel>,
    tokens: Arc<TokenSource>,
    host_id: String,
    timeout: Duration,
}

impl std::fmt::Debug for C1Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("C1Client")
            .field("host_id", &self.host_id)
            .finish_non_exhaustive()
    }
}

impl C1Client {
    /// A client for `endpoint` trusting `roots`; connects on first use.
    pub fn new(
        endpoint: &Endpoint,
        roots: &TrustRoots,
        tokens: Arc<TokenSource>,
        host_id: String,
        user_agent: String,
        timeout: Duration,
    ) -> Result<Self, ServiceError> {
        let startup = |what: &str, e: &dyn std::error::Error| {
            ServiceError::Startup(format!("{what}: {}", error_chain(e)))
        };
        let tls = ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(roots.to_pem()))
            .domain_name(endpoint.tls_domain.clone());
        let channel = Channel::from_shared(endpoint.grpc_uri.clone())
            .map_err(|e| startup("the ConductorOne API address", &e))?
            .user_agent(user_agent)
            .map_err(|e| startup("the User-Agent", &e))?
            .tls_config(tls)
            .map_err(|e| startup("TLS settings for ConductorOne", &e))?
            .connect_timeout(Duration::from_secs(30))
            .tcp_keepalive(Some(Duration::from_secs(60)))
            .connect_lazy();
        Ok(Self {
            grpc: BatonServiceClient::new(channel),
            tokens,
            host_id,
            timeout,
        })
    }

    pub fn host_id(&self) -> &str {
        &self.host_id
    }

    async fn request<T>(
        &self,
        method: &'static str,
        message: T,
        timeout: Option<Duration>,
    ) -> Result<(tonic::Request<T>, MetadataValue<Ascii>), RpcError> {
        let auth = self
            .tokens
            .authorization()
            .await
            .map_err(|source| RpcError::Token { method, source })?;
        let mut request = tonic::Request::new(message);
        request.metadata_mut().insert("authorization", auth.clone());
        if let Some(timeout) = timeout {
            request.set_timeout(timeout);
        }
        Ok((request, auth))
    }

    async fn failed(
        &self,
        method: &'static str,
        status: tonic::Status,
        auth: &MetadataValue<Ascii>,
    ) -> RpcError {
        if status.code() == Code::Unauthenticated {
            // Fetch a new token next time instead of reusing a rejected one.
            self.tokens.invalidate(auth).await;
        }
        let mut message = status.message().to_owned();
        if let Some(source) = std::error::Error::source(&status) {
            let chain = error_chain(source);
            if !message.contains(&chain) {
                message = if message.is_empty() {
                    chain
                } else {
                    format!("{message}: {chain}")
                };
            }
        }
        RpcError::Status {
            method,
            code: status.code(),
            message: message.replace(['\n', '\r'], " "),
        }
    }

    /// A unary call with the client's deadline (enforced locally too, in
    /// case the server ignores `grpc-timeout`).
    async fn unary<Req, Resp, F, Fut>(
        &self,
        method: &'static str,
        message: Req,
        call: F,
    ) -> Result<Resp, RpcError>
    where
        F: FnOnce(BatonServiceClient<Channel>, tonic::Request<Req>) -> Fut,
        Fut: std::future::Future<Output = Result<tonic::Response<Resp>, tonic::Status>>,
    {
        let (request, auth) = self.request(method, message, Some(self.timeout)).await?;
        let grace = self.timeout + Duration::from_secs(1);
        let result = match tokio::time::timeout(grace, call(self.grpc.clone(), request)).await {
            Ok(result) => result,
            Err(_) => Err(tonic::Status::deadline_exceeded(format!(
                "no answer within {} s",
                self.timeout.as_secs()
            ))),
        };
        match result {
            Ok(response) => Ok(response.into_inner()),
            Err(status) => Err(self.failed(method, status, &auth).await),
        }
    }

    pub async fn hello(
        &self,
        mut message: BatonServiceHelloRequest,
    ) -> Result<BatonServiceHelloResponse, RpcError> {
        message.host_id = self.host_id.clone();
        self.unary("Hello", message, |mut c, r| async move { c.hello(r).await })
            .await
    }

    pub async fn get_task(&self) -> Result<BatonServiceGetTaskResponse, RpcError> {
        let message = BatonServiceGetTaskRequest {
            host_id: self.host_id.clone(),
        };
        self.unary(
            "GetTask",
            message,
            |mut c, r| async move { c.get_task(r).await },
        )
        .await
    }

    pub async fn heartbeat(
        &self,
        task_id: &str,
    ) -> Result<BatonServiceHeartbeatResponse, RpcError> {
        let message = BatonServiceHeartbeatRequest {
            host_id: self.host_id.clone(),
            task_id: task_id.to_owned(),
            ..Default::default()
        };
        self.unary("Heartbeat", message, |mut c, r| async move {
            c.heartbeat(r).await
        })
        .await
    }

    pub async fn finish_task(
        &self,
        mut message: BatonServiceFinishTaskRequest,
    ) -> Result<BatonServiceFinishTaskResponse, RpcError> {
        message.host_id = self.host_id.clone();
        self.unary("FinishTask", message, |mut c, r| async move {
            c.finish_task(r).await
        })
        .await
    }

    /// A client-streaming upload; no overall deadline (files can be large),
    /// the caller cancels it by dropping the future.
    pub async fn upload_asset<S>(
        &self,
        stream: S,
    ) -> Result<BatonServiceUploadAssetResponse, RpcError>
    where
        S: futures::Stream<Item = BatonServiceUploadAssetRequest> + Send + 'static,
    {
        let (request, auth) = self.request("UploadAsset", stream, None).await?;
        match self.grpc.clone().upload_asset(request).await {
            Ok(response) => Ok(response.into_inner()),
            Err(status) => Err(self.failed("UploadAsset", status, &auth).await),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Outer(std::io::Error);
    impl std::fmt::Display for Outer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("transport error")
        }
    }
    impl std::error::Error for Outer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn error_chains_are_one_line() {
        let e = Outer(std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "connection refused\nby peer",
        ));
        assert_eq!(
            error_chain(&e),
            "transport error: connection refused by peer"
        );
    }
}
