//! Tiny scripted HTTP servers for behaviour tests that do not need the simulator.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asana_api::{AsanaClient, ClientConfig, RetryPolicy};
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// One request as the mock saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: HashMap<String, String>,
    pub headers: HashMap<String, String>,
    pub body: String,
    pub at: tokio::time::Instant,
}

/// What the mock answers.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

impl Reply {
    pub fn json(status: u16, body: serde_json::Value) -> Self {
        Reply {
            status,
            headers: vec![("content-type", "application/json".into())],
            body: body.to_string(),
        }
    }
    pub fn header(mut self, k: &'static str, v: &str) -> Self {
        self.headers.push((k, v.to_owned()));
        self
    }
}

pub type Handler = Arc<dyn Fn(&Seen, usize) -> Reply + Send + Sync>;

pub struct Mock {
    pub base_url: String,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

impl Mock {
    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
    pub fn count(&self, method: &str, path: &str) -> usize {
        self.requests()
            .iter()
            .filter(|s| s.method == method && s.path == path)
            .count()
    }
}

/// Start an axum server whose every request is answered by `handler(request, index)`; `index` is
/// the 0-based arrival number.
pub async fn mock(handler: impl Fn(&Seen, usize) -> Reply + Send + Sync + 'static) -> Mock {
    let handler: Handler = Arc::new(handler);
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let seen2 = Arc::clone(&seen);
    let app = axum::Router::new().fallback(
        move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
            let handler = Arc::clone(&handler);
            let seen = Arc::clone(&seen2);
            async move {
                let query = uri
                    .query()
                    .map(|q| {
                        url::form_urlencoded::parse(q.as_bytes())
                            .into_owned()
                            .collect::<HashMap<_, _>>()
                    })
                    .unwrap_or_default();
                let s = Seen {
                    method: method.to_string(),
                    path: uri.path().to_owned(),
                    query,
                    headers: headers
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_owned()))
                        .collect(),
                    body: String::from_utf8_lossy(&body).into_owned(),
                    at: tokio::time::Instant::now(),
                };
                let idx = {
                    let mut g = seen.lock().unwrap();
                    g.push(s.clone());
                    g.len() - 1
                };
                let r = handler(&s, idx);
                let mut resp = Response::builder().status(StatusCode::from_u16(r.status).unwrap());
                for (k, v) in r.headers {
                    resp = resp.header(k, v);
                }
                resp.body(Body::from(r.body)).unwrap()
            }
        },
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Mock {
        base_url: format!("http://{addr}/api/1.0"),
        seen,
    }
}

/// What the raw server does with connection number `n`.
#[derive(Clone, Copy, Debug)]
pub enum Raw {
    /// Close without answering.
    Reset,
    /// Announce a longer Content-Length, send part of the body, close.
    Truncate,
    /// A complete JSON answer with this body.
    Ok(&'static str),
}

/// A raw TCP server for failures axum cannot produce; connection `n` gets `script(n)`.
pub async fn raw(
    script: impl Fn(usize) -> Raw + Send + Sync + 'static,
) -> (String, Arc<Mutex<usize>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(Mutex::new(0usize));
    let c2 = Arc::clone(&count);
    tokio::spawn(async move {
        loop {
            let (mut sock, _) = listener.accept().await.unwrap();
            let n = {
                let mut g = c2.lock().unwrap();
                *g += 1;
                *g - 1
            };
            let action = script(n);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16384];
                let mut got = Vec::new();
                while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(k) => got.extend_from_slice(&buf[..k]),
                    }
                }
                match action {
                    Raw::Reset => {
                        drop(sock);
                    }
                    Raw::Truncate => {
                        let body = r#"{"data":[{"gid":"1","name":"Ann"},{"gid":"2","#;
                        let head = format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                            body.len() * 2
                        );
                        let _ = sock.write_all(head.as_bytes()).await;
                        let _ = sock.write_all(body.as_bytes()).await;
                        let _ = sock.flush().await;
                        drop(sock);
                    }
                    Raw::Ok(body) => {
                        let head = format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                            body.len()
                        );
                        let _ = sock.write_all(head.as_bytes()).await;
                        let _ = sock.write_all(body.as_bytes()).await;
                        let _ = sock.shutdown().await;
                    }
                }
            });
        }
    });
    (format!("http://{addr}/api/1.0"), count)
}

/// A client for tests: fast retries, no rate limit unless asked.
pub fn client(base_url: &str, token: &str) -> AsanaClient {
    AsanaClient::new(test_config(base_url, token)).unwrap()
}

pub fn test_config(base_url: &str, token: &str) -> ClientConfig {
    ClientConfig {
        base_url: base_url.to_owned(),
        requests_per_minute: 0,
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(5),
        retry: RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
            max_total_wait: Duration::from_secs(30),
        },
        ..ClientConfig::with_token(token)
    }
}
