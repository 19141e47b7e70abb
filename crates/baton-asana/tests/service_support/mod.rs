//! A ConductorOne double for the service-mode tests, written from our own
//! protos: one TLS port (certificate from a test CA) serving the OAuth token
//! endpoint over HTTP/1.1 — which verifies the EdDSA client assertion with
//! the client's public key — and BatonService over HTTP/2, which checks
//! every call's access token, hands out a scripted task queue and records
//! everything the connector sends.
//!
//! Plus: a running `baton-asana` in service mode whose logs are collected
//! as it runs, and helpers to read uploaded c1z files.

#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::extract::Form;
use axum::http::{StatusCode, Version};
use axum::response::IntoResponse;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use baton_proto::baton_v1::baton_service_server::{BatonService, BatonServiceServer};
use baton_proto::baton_v1::baton_service_upload_asset_request::Msg;
use baton_proto::baton_v1::{
    BatonServiceFinishTaskRequest, BatonServiceFinishTaskResponse, BatonServiceGetTaskRequest,
    BatonServiceGetTaskResponse, BatonServiceGetTasksRequest, BatonServiceGetTasksResponse,
    BatonServiceHeartbeatRequest, BatonServiceHeartbeatResponse, BatonServiceHelloRequest,
    BatonServiceHelloResponse, BatonServiceUploadAssetRequest, BatonServiceUploadAssetResponse,
    StartDebuggingRequest, StartDebuggingResponse, Task,
};
use baton_proto::Duration as ProtoDuration;
use ed25519_dalek::{Signature, SigningKey, VerifyingKey};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use sha2::{Digest, Sha256};
use tokio::io::AsyncBufReadExt;
use tokio::net::TcpListener;
use tokio_rustls::rustls;
use tokio_rustls::TlsAcceptor;
use tokio_stream::StreamExt;

pub const UPLOAD_CHUNK_LIMIT: usize = 512 * 1024;

// ---- credentials ----------------------------------------------------------

/// A ConductorOne client: its id, secret (as the operator pastes it) and public key.
pub struct TestClient {
    pub client_id: String,
    pub client_secret: String,
    pub audience: String,
    pub public_key: VerifyingKey,
    pub key_id: String,
}

impl TestClient {
    /// A fresh Ed25519 key for `client_id` (whose host, without port, is the audience).
    pub fn new(client_id: &str) -> Self {
        let seed: [u8; 32] = rand::random();
        let key = SigningKey::from_bytes(&seed);
        let key_id = format!("kid-{}", hex(&rand::random::<[u8; 4]>()));
        let jwk = serde_json::json!({
            "kty": "OKP",
            "crv": "Ed25519",
            "kid": key_id,
            "d": URL_SAFE_NO_PAD.encode(seed),
            "x": URL_SAFE_NO_PAD.encode(key.verifying_key().as_bytes()),
        });
        let host = client_id
            .split_once('@')
            .and_then(|(_, rest)| rest.split_once('/'))
            .map(|(h, _)| h)
            .expect("client id has a host");
        let audience = host.rsplit_once(':').map(|(h, _)| h).unwrap_or(host);
        Self {
            client_id: client_id.to_owned(),
            client_secret: format!(
                "secret-token:conductorone.com:v1:{}",
                URL_SAFE_NO_PAD.encode(jwk.to_string())
            ),
            audience: audience.to_owned(),
            public_key: key.verifying_key(),
            key_id,
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A task id in ConductorOne's format (27 alphanumerics, like a KSUID).
pub fn task_id() -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    (0..27)
        .map(|_| ALPHABET[rand::random::<u8>() as usize % ALPHABET.len()] as char)
        .collect()
}

// ---- PKI ------------------------------------------------------------------

/// A test CA (written to `ca_pem` for SSL_CERT_FILE) and a server certificate
/// for 127.0.0.1 and localhost signed by it.
pub struct TestPki {
    pub dir: tempfile::TempDir,
    pub ca_pem: PathBuf,
    pub server: Arc<rustls::ServerConfig>,
}

pub fn pki() -> TestPki {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "baton-asana test CA");
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();

    let leaf_key = KeyPair::generate().unwrap();
    let mut params =
        CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "conductorone double");
    let leaf = params.signed_by(&leaf_key, &ca).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let ca_pem = dir.path().join("test-ca.pem");
    std::fs::write(&ca_pem, ca.pem()).unwrap();

    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into());
    let mut server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![leaf.der().clone(), ca.der().clone()], key)
        .unwrap();
    server.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    TestPki {
        dir,
        ca_pem,
        server: Arc::new(server),
    }
}

// ---- what the double records -----------------------------------------------

#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub value: String,
    /// ConductorOne stopped accepting it before it expired.
    pub revoked: bool,
    pub at: Instant,
    pub expires: Instant,
    pub http_version: Version,
    pub nonce: String,
}

#[derive(Debug, Clone)]
pub struct Upload {
    pub at: Instant,
    pub task_id: String,
    pub host_id: String,
    pub data: Vec<u8>,
    pub chunk_sizes: Vec<usize>,
    pub sha256_ok: bool,
    /// Metadata first, then data, then EOF, then the end of the stream.
    pub well_formed: bool,
}

#[derive(Debug, Clone)]
pub struct Finish {
    pub at: Instant,
    pub request: BatonServiceFinishTaskRequest,
}

#[derive(Debug, Default)]
pub struct Log {
    pub tokens: Vec<IssuedToken>,
    pub token_rejections: Vec<String>,
    pub auth_failures: Vec<String>,
    pub hellos: Vec<(Instant, BatonServiceHelloRequest)>,
    pub get_tasks: Vec<(Instant, String)>,
    pub heartbeats: Vec<(Instant, BatonServiceHeartbeatRequest)>,
    pub finishes: Vec<Finish>,
    pub uploads: Vec<Upload>,
    pub bad_uploads: Vec<String>,
    /// When each task was handed out.
    pub handed_out: HashMap<String, Instant>,
}

impl Log {
    pub fn finish_of(&self, task_id: &str) -> Option<&Finish> {
        self.finishes.iter().find(|f| f.request.task_id == task_id)
    }

    pub fn upload_of(&self, task_id: &str) -> Option<&Upload> {
        self.uploads.iter().find(|u| u.task_id == task_id)
    }

    pub fn heartbeats_of(&self, task_id: &str) -> Vec<Instant> {
        self.heartbeats
            .iter()
            .filter(|(_, h)| h.task_id == task_id)
            .map(|(at, _)| *at)
            .collect()
    }
}

/// How the double behaves; changeable while it runs.
#[derive(Debug, Clone)]
pub struct Script {
    pub token_lifetime: Duration,
    pub next_poll: Duration,
    /// `next_heartbeat` in GetTask and Heartbeat answers.
    pub next_heartbeat: Duration,
    /// Answer this many GetTask calls with UNAVAILABLE.
    pub fail_get_tasks: usize,
    /// Answer heartbeats of these tasks with `cancelled`.
    pub cancel_tasks: Vec<String>,
    /// Answer heartbeats of these tasks with UNAVAILABLE.
    pub fail_heartbeats: Vec<String>,
}

impl Default for Script {
    fn default() -> Self {
        Self {
            token_lifetime: Duration::from_secs(3600),
            next_poll: Duration::from_millis(200),
            next_heartbeat: Duration::from_secs(1),
            fail_get_tasks: 0,
            cancel_tasks: Vec::new(),
            fail_heartbeats: Vec::new(),
        }
    }
}

pub struct State {
    client_id: String,
    audience: String,
    public_key: VerifyingKey,
    key_id: String,
    pub script: Mutex<Script>,
    pub queue: Mutex<VecDeque<Task>>,
    pub log: Mutex<Log>,
}

fn proto_duration(d: Duration) -> ProtoDuration {
    ProtoDuration {
        seconds: d.as_secs() as i64,
        nanos: d.subsec_nanos() as i32,
    }
}

impl State {
    /// Checks `authorization: Bearer <token>` against the issued, unexpired tokens.
    fn authorize<T>(&self, method: &str, request: &tonic::Request<T>) -> Result<(), tonic::Status> {
        let header = request
            .metadata()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let token = header
            .strip_prefix("Bearer ")
            .unwrap_or_default()
            .to_owned();
        let mut log = self.log.lock().unwrap();
        let now = Instant::now();
        let valid = log
            .tokens
            .iter()
            .any(|t| t.value == token && now < t.expires && !t.revoked);
        if valid {
            Ok(())
        } else {
            let why = if token.is_empty() {
                format!("{method}: no bearer token in {header:?}")
            } else if log.tokens.iter().any(|t| t.value == token && t.revoked) {
                format!("{method}: revoked token")
            } else if log.tokens.iter().any(|t| t.value == token) {
                format!("{method}: expired token")
            } else {
                format!("{method}: unknown token")
            };
            log.auth_failures.push(why.clone());
            Err(tonic::Status::unauthenticated(why))
        }
    }

    /// Verifies a client assertion as ConductorOne would; `Err` says why not.
    fn verify_assertion(&self, form: &HashMap<String, String>) -> Result<String, String> {
        let field = |k: &str| form.get(k).cloned().unwrap_or_default();
        if field("grant_type") != "client_credentials" {
            return Err("grant_type".into());
        }
        if field("client_assertion_type")
            != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        {
            return Err("client_assertion_type".into());
        }
        if field("client_id") != self.client_id {
            return Err("client_id".into());
        }
        let jws = field("client_assertion");
        let parts: Vec<&str> = jws.split('.').collect();
        if parts.len() != 3 {
            return Err("not a compact JWS".into());
        }
        let decode = |p: &str| URL_SAFE_NO_PAD.decode(p).map_err(|_| "base64".to_string());
        let header: serde_json::Value =
            serde_json::from_slice(&decode(parts[0])?).map_err(|_| "header json")?;
        let claims: serde_json::Value =
            serde_json::from_slice(&decode(parts[1])?).map_err(|_| "claims json")?;
        let signature = Signature::from_slice(&decode(parts[2])?).map_err(|_| "signature size")?;
        self.public_key
            .verify_strict(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
            .map_err(|_| "bad signature")?;
        if header["alg"] != "EdDSA" {
            return Err("alg".into());
        }
        if header["kid"] != self.key_id.as_str() {
            return Err("kid".into());
        }
        let nonce = header["nonce"].as_str().unwrap_or_default().to_owned();
        if nonce.len() < 16 {
            return Err("nonce".into());
        }
        if claims["iss"] != self.client_id.as_str() || claims["sub"] != self.client_id.as_str() {
            return Err("iss/sub".into());
        }
        let aud_ok = match &claims["aud"] {
            serde_json::Value::String(s) => s == &self.audience,
            serde_json::Value::Array(items) => {
                items.len() == 1 && items[0] == self.audience.as_str()
            }
            _ => false,
        };
        if !aud_ok {
            return Err(format!("aud {} != {}", claims["aud"], self.audience));
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let iat = claims["iat"].as_i64().ok_or("iat")?;
        if (iat - now).abs() > 30 {
            return Err("iat not now".into());
        }
        if claims["nbf"].as_i64() != Some(iat - 120) || claims["exp"].as_i64() != Some(iat + 120) {
            return Err("nbf/exp not iat ∓ 2 min".into());
        }
        if self
            .log
            .lock()
            .unwrap()
            .tokens
            .iter()
            .any(|t| t.nonce == nonce)
        {
            return Err("nonce reused".into());
        }
        Ok(nonce)
    }
}

#[derive(Clone)]
struct Service(Arc<State>);

#[tonic::async_trait]
impl BatonService for Service {
    async fn hello(
        &self,
        request: tonic::Request<BatonServiceHelloRequest>,
    ) -> Result<tonic::Response<BatonServiceHelloResponse>, tonic::Status> {
        self.0.authorize("Hello", &request)?;
        self.0
            .log
            .lock()
            .unwrap()
            .hellos
            .push((Instant::now(), request.into_inner()));
        Ok(tonic::Response::new(BatonServiceHelloResponse::default()))
    }

    async fn get_task(
        &self,
        request: tonic::Request<BatonServiceGetTaskRequest>,
    ) -> Result<tonic::Response<BatonServiceGetTaskResponse>, tonic::Status> {
        self.0.authorize("GetTask", &request)?;
        let host_id = request.into_inner().host_id;
        self.0
            .log
            .lock()
            .unwrap()
            .get_tasks
            .push((Instant::now(), host_id));
        let script = {
            let mut script = self.0.script.lock().unwrap();
            if script.fail_get_tasks > 0 {
                script.fail_get_tasks -= 1;
                return Err(tonic::Status::unavailable("scripted outage"));
            }
            script.clone()
        };
        let task = self.0.queue.lock().unwrap().pop_front();
        if let Some(t) = &task {
            self.0
                .log
                .lock()
                .unwrap()
                .handed_out
                .insert(t.id.clone(), Instant::now());
        }
        Ok(tonic::Response::new(BatonServiceGetTaskResponse {
            task,
            next_poll: Some(proto_duration(script.next_poll)),
            next_heartbeat: Some(proto_duration(script.next_heartbeat)),
            annotations: Vec::new(),
        }))
    }

    async fn get_tasks(
        &self,
        _request: tonic::Request<BatonServiceGetTasksRequest>,
    ) -> Result<tonic::Response<BatonServiceGetTasksResponse>, tonic::Status> {
        Err(tonic::Status::unimplemented(
            "the double only serves GetTask",
        ))
    }

    async fn heartbeat(
        &self,
        request: tonic::Request<BatonServiceHeartbeatRequest>,
    ) -> Result<tonic::Response<BatonServiceHeartbeatResponse>, tonic::Status> {
        self.0.authorize("Heartbeat", &request)?;
        let request = request.into_inner();
        let script = self.0.script.lock().unwrap().clone();
        let cancelled = script.cancel_tasks.contains(&request.task_id);
        let fail = script.fail_heartbeats.contains(&request.task_id);
        self.0
            .log
            .lock()
            .unwrap()
            .heartbeats
            .push((Instant::now(), request));
        if fail {
            return Err(tonic::Status::unavailable("scripted heartbeat failure"));
        }
        Ok(tonic::Response::new(BatonServiceHeartbeatResponse {
            next_heartbeat: Some(proto_duration(script.next_heartbeat)),
            cancelled,
            ..Default::default()
        }))
    }

    async fn finish_task(
        &self,
        request: tonic::Request<BatonServiceFinishTaskRequest>,
    ) -> Result<tonic::Response<BatonServiceFinishTaskResponse>, tonic::Status> {
        self.0.authorize("FinishTask", &request)?;
        let request = request.into_inner();
        self.0.log.lock().unwrap().finishes.push(Finish {
            at: Instant::now(),
            request,
        });
        Ok(tonic::Response::new(
            BatonServiceFinishTaskResponse::default(),
        ))
    }

    async fn upload_asset(
        &self,
        request: tonic::Request<tonic::Streaming<BatonServiceUploadAssetRequest>>,
    ) -> Result<tonic::Response<BatonServiceUploadAssetResponse>, tonic::Status> {
        self.0.authorize("UploadAsset", &request)?;
        let mut stream = request.into_inner();
        let mut upload = Upload {
            at: Instant::now(),
            task_id: String::new(),
            host_id: String::new(),
            data: Vec::new(),
            chunk_sizes: Vec::new(),
            sha256_ok: false,
            well_formed: true,
        };
        let mut saw_metadata = false;
        let mut saw_eof = false;
        while let Some(message) = stream.next().await {
            let message = match message {
                Ok(m) => m,
                Err(status) => {
                    // The client reset the stream: nothing is accepted.
                    self.0
                        .log
                        .lock()
                        .unwrap()
                        .bad_uploads
                        .push(format!("stream error: {status}"));
                    return Err(status);
                }
            };
            match message.msg {
                Some(Msg::Metadata(m)) if !saw_metadata && upload.chunk_sizes.is_empty() => {
                    saw_metadata = true;
                    upload.task_id = m.task_id;
                    upload.host_id = m.host_id;
                }
                Some(Msg::Data(d)) if saw_metadata && !saw_eof => {
                    upload.chunk_sizes.push(d.data.len());
                    upload.data.extend_from_slice(&d.data);
                }
                Some(Msg::Eof(e)) if saw_metadata && !saw_eof => {
                    saw_eof = true;
                    let digest: [u8; 32] = Sha256::digest(&upload.data).into();
                    upload.sha256_ok = e.sha256_checksum == digest;
                }
                _ => upload.well_formed = false,
            }
        }
        if !saw_eof {
            self.0
                .log
                .lock()
                .unwrap()
                .bad_uploads
                .push(format!("no EOF for task {}", upload.task_id));
            return Err(tonic::Status::invalid_argument("upload without EOF"));
        }
        upload.at = Instant::now();
        self.0.log.lock().unwrap().uploads.push(upload);
        Ok(tonic::Response::new(
            BatonServiceUploadAssetResponse::default(),
        ))
    }

    async fn start_debugging(
        &self,
        _request: tonic::Request<StartDebuggingRequest>,
    ) -> Result<tonic::Response<StartDebuggingResponse>, tonic::Status> {
        Err(tonic::Status::unimplemented("not used"))
    }
}

async fn token_endpoint(
    state: Arc<State>,
    version: Version,
    form: HashMap<String, String>,
) -> axum::response::Response {
    match state.verify_assertion(&form) {
        Ok(nonce) => {
            let lifetime = state.script.lock().unwrap().token_lifetime;
            let value = hex(&rand::random::<[u8; 24]>());
            let now = Instant::now();
            state.log.lock().unwrap().tokens.push(IssuedToken {
                value: value.clone(),
                revoked: false,
                at: now,
                expires: now + lifetime,
                http_version: version,
                nonce,
            });
            axum::Json(serde_json::json!({
                "access_token": value,
                "token_type": "bearer",
                "expires_in": lifetime.as_secs_f64(),
            }))
            .into_response()
        }
        Err(why) => {
            state.log.lock().unwrap().token_rejections.push(why.clone());
            (
                StatusCode::UNAUTHORIZED,
                axum::Json(
                    serde_json::json!({"error": "invalid_client", "error_description": why}),
                ),
            )
                .into_response()
        }
    }
}

/// The running double.
pub struct C1Double {
    pub addr: SocketAddr,
    pub state: Arc<State>,
    pub pki: TestPki,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for C1Double {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl C1Double {
    /// Starts the double on 127.0.0.1 for `client`.
    pub async fn start(client: &TestClient, script: Script) -> C1Double {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        Self::start_on(listener, client, script).await
    }

    pub async fn start_on(listener: TcpListener, client: &TestClient, script: Script) -> C1Double {
        let addr = listener.local_addr().unwrap();
        let pki = pki();
        let state = Arc::new(State {
            client_id: client.client_id.clone(),
            audience: client.audience.clone(),
            public_key: client.public_key,
            key_id: client.key_id.clone(),
            script: Mutex::new(script),
            queue: Mutex::new(VecDeque::new()),
            log: Mutex::new(Log::default()),
        });
        let token_state = Arc::clone(&state);
        let app = tonic::service::Routes::new(BatonServiceServer::new(Service(Arc::clone(&state))))
            .into_axum_router()
            .route(
                "/auth/v1/token",
                axum::routing::post(
                    move |version: Version, Form(form): Form<HashMap<String, String>>| {
                        token_endpoint(Arc::clone(&token_state), version, form)
                    },
                ),
            );
        let acceptor = TlsAcceptor::from(Arc::clone(&pki.server));
        let server = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let acceptor = acceptor.clone();
                let app = app.clone();
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let service = hyper_util::service::TowerToHyperService::new(app);
                    let _ = hyper_util::server::conn::auto::Builder::new(
                        hyper_util::rt::TokioExecutor::new(),
                    )
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                    .await;
                });
            }
        });
        C1Double {
            addr,
            state,
            pki,
            server,
        }
    }

    pub fn host_port(&self) -> String {
        format!("127.0.0.1:{}", self.addr.port())
    }

    pub fn push(&self, task: Task) -> String {
        let id = task.id.clone();
        self.state.queue.lock().unwrap().push_back(task);
        id
    }

    /// Stops accepting every token issued so far (as after a key rotation).
    pub fn revoke_tokens(&self) {
        for token in &mut self.state.log.lock().unwrap().tokens {
            token.revoked = true;
        }
    }

    pub fn script(&self, change: impl FnOnce(&mut Script)) {
        change(&mut self.state.script.lock().unwrap());
    }

    /// Polls `check` over the log until it yields a value, or panics after `timeout`.
    pub async fn wait_for<T>(
        &self,
        what: &str,
        timeout: Duration,
        mut check: impl FnMut(&Log) -> Option<T>,
    ) -> T {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(value) = check(&self.state.log.lock().unwrap()) {
                return value;
            }
            if Instant::now() > deadline {
                let log = self.state.log.lock().unwrap();
                panic!(
                    "timed out waiting for {what}; hellos {}, get_tasks {}, heartbeats {}, finishes {:?}, uploads {}, bad uploads {:?}, token rejections {:?}, auth failures {:?}",
                    log.hellos.len(),
                    log.get_tasks.len(),
                    log.heartbeats.len(),
                    log.finishes.iter().map(|f| (&f.request.task_id, &f.request.status)).collect::<Vec<_>>(),
                    log.uploads.len(),
                    log.bad_uploads,
                    log.token_rejections,
                    log.auth_failures,
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn wait_finish(&self, task_id: &str, timeout: Duration) -> Finish {
        self.wait_for(&format!("FinishTask of {task_id}"), timeout, |log| {
            log.finish_of(task_id).cloned()
        })
        .await
    }

    pub fn log<T>(&self, read: impl FnOnce(&Log) -> T) -> T {
        read(&self.state.log.lock().unwrap())
    }
}

// ---- the connector process -----------------------------------------------------------------

/// `baton-asana` running in service mode, its stderr collected line by line.
pub struct Connector {
    pub child: tokio::process::Child,
    pub lines: Arc<Mutex<Vec<String>>>,
    pub stdout: Arc<Mutex<Vec<String>>>,
}

impl Connector {
    /// Starts the binary with `args` and `env` (plus a clean BATON_* environment from `common`).
    pub fn start(mut cmd: tokio::process::Command) -> Connector {
        let mut child = cmd.spawn().expect("start baton-asana");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stdout = Arc::new(Mutex::new(Vec::new()));
        if let Some(stderr) = child.stderr.take() {
            let lines = Arc::clone(&lines);
            tokio::spawn(async move {
                let mut reader = tokio::io::BufReader::new(stderr).lines();
                while let Ok(Some(line)) = reader.next_line().await {
                    lines.lock().unwrap().push(line);
                }
            });
        }
        if let Some(out) = child.stdout.take() {
            let stdout = Arc::clone(&stdout);
            tokio::spawn(async move {
                let mut reader = tokio::io::BufReader::new(out).lines();
                while let Ok(Some(line)) = reader.next_line().await {
                    stdout.lock().unwrap().push(line);
                }
            });
        }
        Connector {
            child,
            lines,
            stdout,
        }
    }

    pub fn output(&self) -> String {
        let mut all = self.stdout.lock().unwrap().join("\n");
        all.push('\n');
        all.push_str(&self.lines.lock().unwrap().join("\n"));
        all
    }

    /// JSON log records whose `msg` contains `needle`.
    pub fn records(&self, needle: &str) -> Vec<serde_json::Value> {
        self.lines
            .lock()
            .unwrap()
            .iter()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| v["msg"].as_str().is_some_and(|m| m.contains(needle)))
            .collect()
    }

    /// Sends SIGTERM and waits for the exit.
    pub async fn terminate(&mut self, timeout: Duration) -> ExitStatus {
        let pid = self.child.id().expect("running") as libc::pid_t;
        // SAFETY: plain kill(2) on our own child's pid.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        tokio::time::timeout(timeout, self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("no exit within {timeout:?} of SIGTERM:\n{}", self.output()))
            .unwrap()
    }
}

/// The usual service-mode environment for a connector talking to `double` and `sim`.
pub fn service_env(
    client: &TestClient,
    double: &C1Double,
    asana_url: &str,
    asana_token: &str,
) -> Vec<(String, String)> {
    vec![
        ("BATON_CLIENT_ID".into(), client.client_id.clone()),
        ("BATON_CLIENT_SECRET".into(), client.client_secret.clone()),
        ("BATON_TOKEN".into(), asana_token.to_owned()),
        ("BATON_ASANA_API_URL".into(), asana_url.to_owned()),
        ("BATON_C1_API_HOST".into(), double.host_port()),
        ("BATON_HOST_ID".into(), "baton-asana-test-host".into()),
        (
            "SSL_CERT_FILE".into(),
            double.pki.ca_pem.to_string_lossy().into_owned(),
        ),
    ]
}

/// Starts `baton-asana <args>` in service mode against `double`, with the
/// Asana at `asana_url`, working in `work`.
pub fn start_service(
    args: &[&str],
    work: &Path,
    client: &TestClient,
    double: &C1Double,
    asana_url: &str,
    asana_token: &str,
) -> Connector {
    let mut cmd = crate::common::command(args, work);
    for (k, v) in service_env(client, double, asana_url, asana_token) {
        cmd.env(k, v);
    }
    Connector::start(cmd)
}

/// Writes an uploaded c1z to `dir` and opens it read-only.
pub fn open_upload(upload: &Upload, dir: &Path) -> c1z::C1zStore {
    let path = dir.join(format!("upload-{}.c1z", upload.task_id));
    std::fs::write(&path, &upload.data).unwrap();
    c1z::C1zStore::open(&path, &c1z::OpenOptions::default().read_only())
        .expect("the upload is a c1z")
}
