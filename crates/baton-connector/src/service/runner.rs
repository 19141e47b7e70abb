//! The task loop: Hello at start-up, then GetTask polling with up to
//! `task_concurrency` tasks running at once, until shutdown.
//!
//! Failures talking to ConductorOne never end the loop: the start-up Hello
//! is retried with exponential back-off (1 s … 5 min), GetTask with
//! min(n², 60) s after n failures in a row. On shutdown no new task is
//! taken, running syncs are stopped (uploads already under way finish),
//! grants and revokes finish, and after the grace period anything still
//! running is aborted.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::config::{Endpoint, ServiceConfig};
use super::error::ServiceError;
use super::health::{self, HealthState};
use super::intervals::{get_task_backoff, heartbeat_interval, hello_backoff, next_poll};
use super::rpc::C1Client;
use super::tasks::{self, hello_request, TaskContext};
use super::tls::TrustRoots;
use super::token::TokenSource;
use crate::connector::Connector;

/// A connector ready to run under ConductorOne.
pub struct Service {
    ctx: Arc<TaskContext>,
    concurrency: usize,
    health_check: Option<std::net::SocketAddr>,
    shutdown_grace: Duration,
    api: String,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("api", &self.api)
            .field("concurrency", &self.concurrency)
            .finish_non_exhaustive()
    }
}

impl Service {
    /// Checks the settings and builds the clients; nothing is sent yet.
    pub fn new(connector: Arc<dyn Connector>, config: ServiceConfig) -> Result<Self, ServiceError> {
        if config.task_concurrency == 0 {
            return Err(ServiceError::Config(
                "the task concurrency must be at least 1".into(),
            ));
        }
        let endpoint = Endpoint::resolve(&config.credentials, config.api_host_override.as_deref())?;
        let roots = TrustRoots::load(config.extra_ca_file.as_deref())?;
        let user_agent = format!(
            "{} {}",
            config.credentials.client_id.client_name(),
            config.user_agent
        );
        let tokens = TokenSource::new(
            config.credentials,
            endpoint.token_url.clone(),
            &roots,
            &user_agent,
        )
        .map_err(|e| ServiceError::Startup(e.to_string()))?;
        let client = C1Client::new(
            &endpoint,
            &roots,
            Arc::new(tokens),
            config.host_id,
            user_agent,
            config.rpc_timeout,
        )?;
        Ok(Self {
            ctx: Arc::new(TaskContext {
                connector,
                client,
                provisioning: config.provisioning,
                sync: config.sync,
                temp_dir: config.temp_dir,
                build_info: config.build_info,
                shutdown: CancellationToken::new(),
            }),
            concurrency: config.task_concurrency,
            health_check: config.health_check,
            shutdown_grace: config.shutdown_grace,
            api: endpoint.grpc_uri,
        })
    }

    /// Runs until `shutdown` is cancelled; returns once running tasks have
    /// finished or been aborted. Only start-up problems are errors.
    pub async fn run(self, shutdown: CancellationToken) -> Result<(), ServiceError> {
        let health_state = HealthState::new(Arc::clone(&self.ctx.connector));
        let health_stop = CancellationToken::new();
        let health_server = match self.health_check {
            Some(addr) => {
                Some(health::start(addr, Arc::clone(&health_state), health_stop.clone()).await?)
            }
            None => None,
        };
        tracing::info!(
            api = %self.api,
            host_id = %self.ctx.client.host_id(),
            task_concurrency = self.concurrency,
            provisioning = self.ctx.provisioning,
            "service mode: connecting to ConductorOne"
        );

        health_state.set_ready(true);
        if self.hello_until_accepted(&shutdown).await {
            self.poll(&shutdown).await;
        }
        health_state.set_ready(false);

        health_stop.cancel();
        if let Some(server) = health_server {
            let _ = server.await;
        }
        tracing::info!("service mode stopped");
        Ok(())
    }

    /// Sends the start-up Hello until ConductorOne accepts it; false if
    /// shutdown came first.
    async fn hello_until_accepted(&self, shutdown: &CancellationToken) -> bool {
        let mut failures = 0u32;
        loop {
            let request = hello_request(&*self.ctx.connector, &self.ctx.build_info, "");
            let result = tokio::select! {
                _ = shutdown.cancelled() => return false,
                result = self.ctx.client.hello(request) => result,
            };
            match result {
                Ok(_) => {
                    tracing::info!("said hello to ConductorOne; waiting for tasks");
                    return true;
                }
                Err(error) => {
                    failures += 1;
                    let wait = hello_backoff(failures);
                    tracing::warn!(
                        error = %error,
                        failures,
                        retry_in_s = wait.as_secs_f64(),
                        "cannot say hello to ConductorOne; retrying"
                    );
                    tokio::select! {
                        _ = shutdown.cancelled() => return false,
                        _ = tokio::time::sleep(wait) => {}
                    }
                }
            }
        }
    }

    async fn poll(&self, shutdown: &CancellationToken) {
        let slots = Arc::new(Semaphore::new(self.concurrency));
        let mut running: JoinSet<()> = JoinSet::new();
        let mut wait = Duration::ZERO;
        let mut failures = 0u32;
        loop {
            reap(&mut running);
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(wait) => {}
            }
            // Claim a slot before asking, so a task is never taken that cannot start.
            let permit = tokio::select! {
                _ = shutdown.cancelled() => break,
                permit = Arc::clone(&slots).acquire_owned() => match permit {
                    Ok(permit) => permit,
                    Err(_) => break,
                },
            };
            let answer = tokio::select! {
                _ = shutdown.cancelled() => break,
                answer = self.ctx.client.get_task() => answer,
            };
            let response = match answer {
                Ok(response) => response,
                Err(error) => {
                    failures += 1;
                    wait = get_task_backoff(failures);
                    tracing::warn!(
                        error = %error,
                        failures,
                        retry_in_s = wait.as_secs_f64(),
                        "cannot get a task from ConductorOne; retrying"
                    );
                    continue;
                }
            };
            if failures > 0 {
                tracing::info!(failures, "reached ConductorOne again");
            }
            failures = 0;
            wait = next_poll(response.next_poll.as_ref());
            let heartbeat_every = heartbeat_interval(response.next_heartbeat.as_ref());
            let Some(task) = response.task.filter(|t| !tasks::is_nothing(Some(t))) else {
                tracing::debug!(next_poll_s = wait.as_secs_f64(), "no task");
                continue;
            };
            if task.id.is_empty() {
                tracing::error!(
                    task_type = tasks::type_name(&task),
                    "ConductorOne sent a task without an id; it cannot be answered"
                );
                continue;
            }
            let ctx = Arc::clone(&self.ctx);
            running.spawn(async move {
                let _slot = permit;
                tasks::run(ctx, task, heartbeat_every).await;
            });
        }
        self.drain(running).await;
    }

    /// Stops running syncs and waits (up to the grace period) for every task.
    async fn drain(&self, mut running: JoinSet<()>) {
        self.ctx.shutdown.cancel();
        reap(&mut running);
        if running.is_empty() {
            return;
        }
        tracing::info!(
            tasks = running.len(),
            grace_s = self.shutdown_grace.as_secs(),
            "shutting down: no new tasks; stopping syncs and finishing running tasks"
        );
        let finished = tokio::time::timeout(self.shutdown_grace, async {
            while let Some(result) = running.join_next().await {
                log_panic(result);
            }
        })
        .await;
        if finished.is_err() {
            tracing::warn!(
                tasks = running.len(),
                "tasks still running after the shutdown grace period; aborting them"
            );
            running.abort_all();
            while running.join_next().await.is_some() {}
        }
    }
}

fn reap(running: &mut JoinSet<()>) {
    while let Some(result) = running.try_join_next() {
        log_panic(result);
    }
}

fn log_panic(result: Result<(), tokio::task::JoinError>) {
    if let Err(e) = result {
        if e.is_panic() {
            tracing::error!("a task panicked; the connector keeps running");
        }
    }
}
