//! Shared helpers: start a simulator, call it like a client would.

use std::time::Duration;

use asana_sim::{SimConfig, SimServer, TokenRole};
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde_json::Value;

pub async fn start(config: SimConfig) -> SimServer {
    SimServer::start(config).await.expect("simulator starts")
}

pub async fn quirks() -> SimServer {
    start(SimConfig::default()).await
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn data(&self) -> &Value {
        &self.body["data"]
    }

    pub fn gids(&self) -> Vec<String> {
        self.data()
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .map(|i| i["gid"].as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn error_message(&self) -> String {
        self.body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    #[track_caller]
    pub fn expect(self, status: u16) -> Answer {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected answer: {}",
            self.body
        );
        self
    }
}

/// A client for one token.
#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub token: String,
    pub http: reqwest::Client,
}

impl Api {
    pub fn new(sim: &SimServer, role: TokenRole) -> Api {
        Api::with_token(sim, sim.token(role))
    }

    pub fn with_token(sim: &SimServer, token: String) -> Api {
        Api {
            base: sim.base_url(),
            token,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("client"),
        }
    }

    pub async fn get(&self, path: &str) -> Answer {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("request sent");
        answer(response).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .expect("request sent");
        answer(response).await
    }

    pub async fn post_user(&self, path: &str, user: &str) -> Answer {
        self.post(path, serde_json::json!({"data": {"user": user}}))
            .await
    }

    /// Every item of a paginated list, following `next_page.offset` with `limit`.
    pub async fn collect(&self, path: &str, limit: usize) -> Vec<Value> {
        let separator = if path.contains('?') { '&' } else { '?' };
        let mut items = Vec::new();
        let mut offset: Option<String> = None;
        for _ in 0..10_000 {
            let url = match &offset {
                Some(offset) => format!("{path}{separator}limit={limit}&offset={offset}"),
                None => format!("{path}{separator}limit={limit}"),
            };
            let page = self.get(&url).await.expect(200);
            items.extend(page.data().as_array().cloned().unwrap_or_default());
            let next = page
                .body
                .get("next_page")
                .expect("paginated answers carry next_page");
            match next {
                Value::Null => return items,
                next => offset = Some(next["offset"].as_str().expect("offset").to_string()),
            }
        }
        panic!("pagination of {path} did not end");
    }
}

async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.expect("body read");
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Answer {
        status,
        headers,
        body,
    }
}

pub fn gids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["gid"].as_str().unwrap_or_default().to_string())
        .collect()
}

pub fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    keys.sort();
    keys
}

/// Numeric gid order, as Asana sorts.
pub fn is_sorted_by_gid(gids: &[String]) -> bool {
    gids.windows(2)
        .all(|w| (w[0].len(), &w[0]) < (w[1].len(), &w[1]))
}
