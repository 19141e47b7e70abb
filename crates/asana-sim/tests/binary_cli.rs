//! The `asana-sim serve` binary: announces its URL and tokens, then serves until killed.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(args: &[&str]) -> (KillOnDrop, Vec<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_asana-sim"))
        .arg("serve")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("asana-sim starts");
    let stdout = child.stdout.take().expect("stdout");
    let guard = KillOnDrop(child);
    let lines: Vec<String> = BufReader::new(stdout)
        .lines()
        .take(5)
        .map(|l| l.expect("utf-8 line"))
        .collect();
    (guard, lines)
}

#[tokio::test]
async fn serve_prints_url_and_tokens_then_answers() {
    let (_child, lines) = serve(&[
        "--scenario",
        "generated",
        "--users",
        "120",
        "--teams",
        "6",
        "--members-per-team",
        "10",
        "--workspaces",
        "2",
        "--seed",
        "5",
        "--rpm",
        "150",
    ]);
    assert_eq!(lines.len(), 5, "{lines:?}");
    let url = lines[0]
        .strip_prefix("url ")
        .expect("first line is the url");
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with("/api/1.0"),
        "{url}"
    );
    let mut tokens = Vec::new();
    for (line, role) in lines[1..]
        .iter()
        .zip(["admin", "member", "guest", "service-account"])
    {
        let mut parts = line.splitn(3, ' ');
        assert_eq!(parts.next(), Some("token"));
        assert_eq!(parts.next(), Some(role));
        let token = parts.next().expect("token value");
        assert!(token.starts_with("2/"), "{token}");
        tokens.push(token.to_string());
    }
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let me: serde_json::Value = client
        .get(format!("{url}/users/me"))
        .bearer_auth(&tokens[0])
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(me["data"]["resource_type"], "user");
    let workspaces: serde_json::Value = client
        .get(format!("{url}/workspaces?limit=10"))
        .bearer_auth(&tokens[3])
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(workspaces["data"].as_array().map(Vec::len), Some(2));
    let unauthorized = client
        .get(format!("{url}/users/me"))
        .bearer_auth("nope")
        .send()
        .await
        .expect("request");
    assert_eq!(unauthorized.status(), 401);
}

#[tokio::test]
async fn quirks_is_the_default_and_faults_can_be_switched_on() {
    let (_child, lines) = serve(&["--spurious-429-rate", "1.0"]);
    let url = lines[0].strip_prefix("url ").expect("url");
    let token = lines[1].rsplit(' ').next().expect("admin token");
    let answer = reqwest::Client::new()
        .get(format!("{url}/workspaces/1100000000000001"))
        .bearer_auth(token)
        .send()
        .await
        .expect("request");
    assert_eq!(answer.status(), 429);
    assert_eq!(answer.headers()["retry-after"], "1");
}

#[test]
fn invalid_settings_fail_with_a_message() {
    let output = Command::new(env!("CARGO_BIN_EXE_asana-sim"))
        .args(["serve", "--scenario", "generated", "--admin-ratio", "2"])
        .output()
        .expect("asana-sim runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("admin_ratio"), "{stderr}");
}
