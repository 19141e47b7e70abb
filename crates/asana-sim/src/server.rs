//! Starting, steering and stopping a simulator.
//!
//! The server runs its own accept loop (rather than `axum::serve`) so that fault injection can
//! abort a single TCP connection with a reset.

use std::net::{Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt;
use tracing::{debug, info, warn};

use crate::combined::quirks_with_generated;
use crate::config::{FaultConfig, LatencyConfig, RateLimitConfig, Scenario, SimConfig};
use crate::counters::CounterSnapshot;
use crate::error::SimError;
use crate::generator::generate_tenant;
use crate::http::{router, App, ConnectionKill, Settings, API_PREFIX};
use crate::model::{Tenant, TokenRole};
use crate::pagination::OffsetCodec;
use crate::quirks::quirks_tenant;
use crate::store::Store;
use crate::tokens::TokenTable;
use crate::visibility::Viewer;

/// A running simulated Asana on 127.0.0.1.
pub struct SimServer {
    app: Arc<App>,
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

fn validate(config: &SimConfig) -> Result<(), SimError> {
    let faults = &config.faults;
    for (name, rate) in [
        ("server_error_rate", faults.server_error_rate),
        ("connection_reset_rate", faults.connection_reset_rate),
        ("truncated_body_rate", faults.truncated_body_rate),
        ("spurious_429_rate", faults.spurious_429_rate),
    ] {
        if !(0.0..=1.0).contains(&rate) {
            return Err(SimError::InvalidConfig(format!(
                "{name} must be within 0..=1, got {rate}"
            )));
        }
    }
    if let Scenario::Generated(generator) | Scenario::QuirksWithGenerated(generator) =
        &config.scenario
    {
        generator.validate()?;
    }
    Ok(())
}

impl SimServer {
    /// Builds the tenant, binds `127.0.0.1:port` (0 = ephemeral) and starts serving.
    pub async fn start(config: SimConfig) -> Result<SimServer, SimError> {
        validate(&config)?;
        let scenario = config.scenario.clone();
        let tenant = tokio::task::spawn_blocking(move || match scenario {
            Scenario::Quirks => quirks_tenant(),
            Scenario::Generated(generator) => generate_tenant(&generator),
            Scenario::QuirksWithGenerated(generator) => quirks_with_generated(&generator),
        })
        .await
        .map_err(|e| SimError::TenantBuild(e.to_string()))?;
        let tokens = TokenTable::new(config.seed, &tenant.token_owners);
        let store = tokio::task::spawn_blocking(move || Store::new(tenant))
            .await
            .map_err(|e| SimError::TenantBuild(e.to_string()))?;

        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, config.port))
            .await
            .map_err(|source| SimError::Bind {
                port: config.port,
                source,
            })?;
        let addr = listener.local_addr().map_err(SimError::LocalAddr)?;
        let settings = Settings {
            faults: config.faults,
            latency: config.latency,
            rate_limit: config.rate_limit,
        };
        let app = Arc::new(App::new(
            store,
            tokens,
            OffsetCodec::new(config.seed, config.offset_ttl),
            settings,
            config.seed,
            format!("http://{addr}{API_PREFIX}"),
        ));
        let (shutdown, shutdown_rx) = watch::channel(false);
        let task = tokio::spawn(accept_loop(listener, router(app.clone()), shutdown_rx));
        info!(%addr, "asana-sim listening");
        Ok(SimServer {
            app,
            addr,
            shutdown,
            task: Some(task),
        })
    }

    /// `http://127.0.0.1:PORT/api/1.0`
    pub fn base_url(&self) -> String {
        self.app.base_url.clone()
    }

    /// `http://127.0.0.1:PORT/_sim`, the control surface (see the crate docs).
    pub fn control_url(&self) -> String {
        format!("http://{}/_sim", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn token(&self, role: TokenRole) -> String {
        self.app.tokens.value(role).to_string()
    }

    pub fn tokens(&self) -> Vec<(TokenRole, String)> {
        TokenRole::ALL
            .into_iter()
            .map(|role| (role, self.token(role)))
            .collect()
    }

    pub fn counters(&self) -> CounterSnapshot {
        self.app.counters.snapshot()
    }

    pub fn reset_counters(&self) {
        self.app.counters.reset();
    }

    /// A copy of the whole current ground truth.
    pub fn tenant(&self) -> Tenant {
        self.app.read_store().to_tenant()
    }

    /// Exactly what `role`'s token can read through the API (same rules as the HTTP layer;
    /// e-mails it may not see are `None`). Empty if the tenant lacks the token's owner.
    pub fn visible_tenant(&self, role: TokenRole) -> Tenant {
        let store = self.app.read_store();
        match Viewer::for_role(&store, role) {
            Some(viewer) => store.visible_tenant(viewer),
            None => Tenant {
                token_owners: store.token_owners.clone(),
                ..Tenant::default()
            },
        }
    }

    /// Edits the ground truth; every index is rebuilt afterwards (O(tenant)).
    pub fn with_tenant_mut<R>(&self, f: impl FnOnce(&mut Tenant) -> R) -> R {
        let mut store = self.app.write_store();
        let mut tenant = store.to_tenant();
        let result = f(&mut tenant);
        store.replace(tenant);
        result
    }

    pub fn set_faults(&self, faults: FaultConfig) {
        self.app.update_settings(|s| s.faults = faults);
    }

    pub fn set_latency(&self, latency: LatencyConfig) {
        self.app.update_settings(|s| s.latency = latency);
    }

    pub fn set_rate_limit(&self, rate_limit: RateLimitConfig) {
        self.app.update_settings(|s| s.rate_limit = rate_limit);
    }

    /// Every offset token issued so far now answers 400.
    pub fn expire_all_offsets(&self) {
        self.app.offsets.expire_all();
    }

    /// Stops accepting, drops open connections and waits for the server task.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            if let Err(error) = task.await {
                warn!(%error, "asana-sim server task ended abnormally");
            }
        }
    }
}

impl Drop for SimServer {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

async fn accept_loop(listener: TcpListener, app: Router, mut shutdown: watch::Receiver<bool>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    debug!(%peer, "connection accepted");
                    connections.spawn(serve_connection(stream, app.clone(), shutdown.clone()));
                }
                Err(error) => {
                    // Typically EMFILE under load; back off instead of spinning.
                    warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
            _ = shutdown.changed() => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.shutdown().await;
}

async fn serve_connection(stream: TcpStream, app: Router, mut shutdown: watch::Receiver<bool>) {
    if let Err(error) = stream.set_nodelay(true) {
        debug!(%error, "could not set TCP_NODELAY");
    }
    let kill = ConnectionKill::default();
    let io = KillableStream {
        inner: stream,
        kill: kill.clone(),
    };
    let service_kill = kill.clone();
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(service_kill.clone());
        app.clone().oneshot(request.map(axum::body::Body::new))
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(io), service);
    tokio::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(error) = result {
                debug!(%error, "connection ended with an error");
            }
        }
        _ = kill.fired() => debug!("connection reset by fault injection"),
        _ = shutdown.changed() => {}
    }
}

/// A TCP stream that closes with RST instead of FIN once its connection was killed, so the
/// client sees a reset rather than an orderly end.
struct KillableStream {
    inner: TcpStream,
    kill: ConnectionKill,
}

impl Drop for KillableStream {
    fn drop(&mut self) {
        if self.kill.is_fired() {
            if let Err(error) = socket2::SockRef::from(&self.inner).set_linger(Some(Duration::ZERO))
            {
                debug!(%error, "could not arm the connection reset");
            }
        }
    }
}

impl AsyncRead for KillableStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for KillableStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
