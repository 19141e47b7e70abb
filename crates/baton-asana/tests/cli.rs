//! The command line as operators and existing deployments use it: flags,
//! `BATON_*` variables, `.baton.yaml`, subcommands, usage errors and exit codes.

mod common;

use asana_sim::{SimConfig, TokenRole};
use common::*;
use serde_json::json;

#[tokio::test]
async fn capabilities_are_the_any_wrapped_protojson_baton_prints() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["capabilities"], dir.path(), &[]).await;
    assert!(out.ok(), "{}", out.stderr);
    let value: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let rt = |id: &str, name: &str, t: &str, caps: &[&str]| json!({"resourceType": {"id": id, "displayName": name, "traits": [t]}, "capabilities": caps});
    assert_eq!(
        value,
        json!({
            "@type": "type.googleapis.com/c1.connector.v2.ConnectorCapabilities",
            "resourceTypeCapabilities": [
                rt("team", "Team", "TRAIT_GROUP", &["CAPABILITY_SYNC", "CAPABILITY_PROVISION"]),
                rt("user", "User", "TRAIT_USER", &["CAPABILITY_SYNC"]),
                rt("workspace", "Workspace", "TRAIT_GROUP", &["CAPABILITY_SYNC", "CAPABILITY_PROVISION"]),
            ],
            "connectorCapabilities": ["CAPABILITY_PROVISION", "CAPABILITY_SYNC"],
            "credentialDetails": {}
        })
    );
    assert!(
        out.stdout.starts_with("{\n  \"@type\""),
        "@type comes first"
    );
}

#[tokio::test]
async fn config_prints_the_configuration_schema() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["config"], dir.path(), &[]).await;
    assert!(out.ok(), "{}", out.stderr);
    let value: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(value["displayName"], "Asana");
    let fields = value["fields"].as_array().unwrap();
    let token = fields.iter().find(|f| f["name"] == "token").unwrap();
    assert_eq!(token["isSecret"], true);
    assert_eq!(token["isRequired"], true);
    assert!(token["stringField"].is_object());
    let level = fields.iter().find(|f| f["name"] == "log-level").unwrap();
    assert_eq!(level["isOps"], true);
    assert!(fields.iter().any(|f| f["name"] == "asana-api-url"));
}

#[tokio::test]
async fn version_help_and_completion() {
    let dir = tempfile::tempdir().unwrap();
    for flag in ["-v", "--version"] {
        let out = run(&[flag], dir.path(), &[]).await;
        assert!(out.ok());
        assert!(out.stdout.starts_with("baton-asana "), "{}", out.stdout);
    }
    let help = run(&["--help"], dir.path(), &[]).await;
    assert!(help.ok());
    for flag in [
        "--file",
        "--token",
        "--asana-api-url",
        "--provisioning",
        "--log-format",
        "--c1z-temp-dir",
    ] {
        assert!(help.stdout.contains(flag), "--help lacks {flag}");
    }
    let completion = run(&["completion", "bash"], dir.path(), &[]).await;
    assert!(completion.ok());
    assert!(completion.stdout.contains("baton-asana"));
}

#[tokio::test]
async fn usage_errors_exit_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let missing_dir = dir.path().join("nope").join("sync.c1z");
    let missing_dir = missing_dir.to_str().unwrap();
    // (arguments, environment, what the error must mention)
    type Case<'a> = (Vec<&'a str>, Vec<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case> = vec![
        (
            vec!["--log-level", "loud"],
            vec![("BATON_TOKEN", "t")],
            "loud",
        ),
        (vec![], vec![], "--token"),
        (
            vec!["--asana-api-url", "http://asana.example.com/api/1.0"],
            vec![("BATON_TOKEN", "t")],
            "plain http",
        ),
        (
            vec!["--c1z-temp-dir", "/definitely/not/here"],
            vec![("BATON_TOKEN", "t")],
            "--c1z-temp-dir",
        ),
        (
            vec!["-f", missing_dir],
            vec![("BATON_TOKEN", "t")],
            "does not exist",
        ),
        (
            vec!["--create-account-login", "x"],
            vec![("BATON_TOKEN", "t")],
            "--create-account-login",
        ),
        (
            vec!["--client-id", "x"],
            vec![("BATON_TOKEN", "t")],
            "client-secret",
        ),
        (vec!["_connector-service"], vec![], "in-process"),
        (
            vec![],
            vec![("BATON_CONFIG_PATH", "/tmp/baton.json")],
            ".yaml",
        ),
    ];
    for (args, env, needle) in cases {
        let mut all = vec!["--log-format", "console"];
        all.extend(args.iter());
        let out = run(&all, dir.path(), &env).await;
        assert_eq!(out.code, Some(2), "{args:?} {env:?}: {}", out.all_output());
        assert!(
            out.stderr.contains(needle),
            "{args:?}: expected {needle:?} in {}",
            out.stderr
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_file_env_and_flags_take_precedence_in_that_order() {
    let sim = start_sim(SimConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let token = sim.token(TokenRole::Admin);
    // The file names a dead URL and the right token; the environment fixes the URL.
    std::fs::write(
        dir.path().join(".baton.yaml"),
        format!("token: {token}\nasana-api-url: http://127.0.0.1:1/api/1.0\nfile: from-file.c1z\n"),
    )
    .unwrap();
    let base = sim.base_url();
    let out = run(
        &["-f", "from-flag.c1z"],
        dir.path(),
        &[("BATON_ASANA_API_URL", base.as_str())],
    )
    .await;
    assert!(out.ok(), "{}", out.stderr);
    assert!(
        dir.path().join("from-flag.c1z").is_file(),
        "the flag beats the config file"
    );
    assert!(!dir.path().join("from-file.c1z").exists());
    assert!(!out.all_output().contains(&token));

    // BATON_CONFIG_PATH points elsewhere.
    let other = dir.path().join("other.yml");
    std::fs::write(&other, format!("token: {token}\nasana-api-url: {base}\n")).unwrap();
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    let out = run(
        &["-f", "x.c1z"],
        &sub,
        &[("BATON_CONFIG_PATH", other.to_str().unwrap())],
    )
    .await;
    assert!(out.ok(), "{}", out.stderr);
    assert!(sub.join("x.c1z").is_file());
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_sdk_flags_are_accepted_and_json_logs_are_zap_shaped() {
    let sim = start_sim(SimConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sync.c1z");
    let out = sync(
        &sim,
        TokenRole::Admin,
        &file,
        dir.path(),
        &[
            "--workers",
            "4",
            "--otel-collector-endpoint",
            "http://otel:4317",
            "--storage-engine",
            "pebble",
            "--ticketing",
        ],
    )
    .await;
    assert!(out.ok(), "{}", out.stderr);
    assert!(
        out.stderr.contains("--otel-collector-endpoint"),
        "ignored flags get a debug line"
    );
    for line in out.stderr.lines().filter(|l| !l.trim().is_empty()) {
        let record: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(
            record["level"].is_string() && record["ts"].is_f64() && record["msg"].is_string(),
            "{line}"
        );
    }
    // We always write the SQLite (v1) format every baton reads.
    let bytes = std::fs::read(&file).unwrap();
    assert_eq!(&bytes[..5], b"C1ZF\0");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_files_fail_clearly_and_stay_untouched() {
    let sim = start_sim(SimConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let pebble = dir.path().join("pebble.c1z");
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../c1z/tests/fixtures/go-baton-sdk-v0.25.0-pebble-v3.c1z"),
        &pebble,
    )
    .unwrap();
    let garbage = dir.path().join("garbage.c1z");
    std::fs::write(&garbage, b"C1ZF\0this is not zstd at all").unwrap();
    for (file, needle) in [(&pebble, "Pebble"), (&garbage, "c1z")] {
        let before = std::fs::read(file).unwrap();
        let out = sync(
            &sim,
            TokenRole::Admin,
            file,
            dir.path(),
            &["--log-format", "console"],
        )
        .await;
        assert_eq!(out.code, Some(1), "{}", out.stderr);
        assert!(out.stderr.contains(needle), "{}", out.stderr);
        assert_eq!(
            out.stderr.trim().lines().count(),
            1,
            "one line: {}",
            out.stderr
        );
        assert_eq!(std::fs::read(file).unwrap(), before);
    }
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_syncs_are_cleaned_up_and_skip_full_sync_records_an_empty_one() {
    let sim = start_sim(SimConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sync.c1z");
    for _ in 0..3 {
        let out = sync(&sim, TokenRole::Admin, &file, dir.path(), &[]).await;
        assert!(out.ok(), "{}", out.stderr);
    }
    let finished = |file: &std::path::Path| {
        let store = c1z::C1zStore::open(file, &c1z::OpenOptions::default().read_only()).unwrap();
        store
            .list_sync_runs()
            .unwrap()
            .into_iter()
            .filter(|r| r.ended_at.is_some())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        finished(&file).len(),
        2,
        "keeps the newest 2 syncs by default"
    );

    let base = sim.base_url();
    let token = sim.token(TokenRole::Admin);
    let f = file.to_str().unwrap();
    let out = run(
        &["--asana-api-url", &base, "-f", f],
        dir.path(),
        &[("BATON_TOKEN", &token), ("BATON_KEEP_SYNC_COUNT", "1")],
    )
    .await;
    assert!(out.ok(), "{}", out.stderr);
    assert_eq!(finished(&file).len(), 1);

    sim.reset_counters();
    let out = run(
        &["--asana-api-url", &base, "-f", f, "--skip-full-sync"],
        dir.path(),
        &[("BATON_TOKEN", &token), ("BATON_SKIP_CLEANUP", "true")],
    )
    .await;
    assert!(out.ok(), "{}", out.stderr);
    assert_eq!(sim.counters().total, 0, "--skip-full-sync calls nothing");
    let latest = read_latest(&file);
    assert!(latest.resources.is_empty());
    assert_eq!(finished(&file).len(), 2);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skip_entitlements_and_grants_stores_resources_only() {
    let sim = start_sim(SimConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sync.c1z");
    let out = sync(
        &sim,
        TokenRole::Admin,
        &file,
        dir.path(),
        &["--skip-entitlements-and-grants"],
    )
    .await;
    assert!(out.ok(), "{}", out.stderr);
    let got = read_latest(&file);
    let want = expected(&sim, TokenRole::Admin);
    assert_eq!(got.resources_of("user").len(), want.users.len());
    assert_eq!(got.resources_of("team").len(), want.teams.len());
    assert!(got.entitlements.is_empty());
    assert!(got.grants.is_empty());
    sim.shutdown().await;
}
