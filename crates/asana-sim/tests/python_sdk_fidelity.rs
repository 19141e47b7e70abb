//! Fidelity against code we did not write: Asana's official Python SDK (from PyPI) drives the
//! simulator, and every JSON body it receives is validated against the response schema of the
//! matching operation in Asana's OpenAPI spec (`tests/python/fidelity.py`).
//!
//! Needs `python3` (or `ASANA_SIM_PYTHON`) with `venv`, and PyPI. The venv lives in Cargo's
//! target tmp dir and is reused while it matches `tests/python/requirements.txt`. The spec is
//! read from `ASANA_SIM_OPENAPI` or `../shared/asana-openapi/asana_oas.yaml` beside the
//! repository. Without Python or the spec the test FAILS; `ASANA_SIM_SKIP_PYTHON=1` skips it
//! with a loud notice.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use asana_sim::quirks::*;
use asana_sim::{SimConfig, SimServer};
use tokio::process::Command;

const SKIP_ENV: &str = "ASANA_SIM_SKIP_PYTHON";
const PIP_TIMEOUT: Duration = Duration::from_secs(900);
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(600);

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn spec_path() -> PathBuf {
    if let Some(path) = std::env::var_os("ASANA_SIM_OPENAPI") {
        return PathBuf::from(path);
    }
    // crates/asana-sim → repository root → its sibling `shared/`.
    crate_dir().join("../../../shared/asana-openapi/asana_oas.yaml")
}

async fn run(command: &mut Command, timeout: Duration, what: &str) -> std::process::Output {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let child = command
        .spawn()
        .unwrap_or_else(|e| panic!("{what}: could not start: {e}"));
    match tokio::time::timeout(timeout, child.wait_with_output()).await {
        Ok(Ok(output)) => output,
        Ok(Err(e)) => panic!("{what}: failed while running: {e}"),
        Err(_) => panic!("{what}: did not finish within {timeout:?}"),
    }
}

fn describe(output: &std::process::Output) -> String {
    format!(
        "exit: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn venv_python(venv: &Path) -> PathBuf {
    if cfg!(windows) {
        venv.join("Scripts").join("python.exe")
    } else {
        venv.join("bin").join("python")
    }
}

/// Creates (or reuses) the venv with the SDK and the schema tools; returns its interpreter.
async fn prepare_venv() -> PathBuf {
    let requirements_path = crate_dir().join("tests/python/requirements.txt");
    let requirements =
        std::fs::read_to_string(&requirements_path).expect("requirements.txt is readable");
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("asana-sim-pyvenv");
    let marker = venv.join(".asana-sim-requirements");
    let python = venv_python(&venv);

    let marker_matches = std::fs::read_to_string(&marker).is_ok_and(|m| m == requirements);
    if marker_matches {
        let check = run(
            Command::new(&python).args(["-c", "import asana, yaml, jsonschema"]),
            Duration::from_secs(120),
            "venv check",
        )
        .await;
        if check.status.success() {
            return python;
        }
    }

    let system_python = std::env::var("ASANA_SIM_PYTHON").unwrap_or_else(|_| "python3".to_string());
    let version = Command::new(&system_python).arg("--version").output().await;
    if !version.as_ref().is_ok_and(|o| o.status.success()) {
        panic!(
            "Python 3 is required for the SDK fidelity test but `{system_python} --version` failed ({version:?}). \
             Install python3 with venv support, point ASANA_SIM_PYTHON at one, or set {SKIP_ENV}=1 to skip \
             this test (not recommended)."
        );
    }
    if venv.exists() {
        std::fs::remove_dir_all(&venv).expect("stale venv can be removed");
    }
    let created = run(
        Command::new(&system_python).args(["-m", "venv"]).arg(&venv),
        Duration::from_secs(300),
        "python3 -m venv",
    )
    .await;
    assert!(
        created.status.success(),
        "creating the venv failed (is python3-venv installed?)\n{}",
        describe(&created)
    );
    let installed = run(
        Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "--quiet",
                "-r",
            ])
            .arg(&requirements_path),
        PIP_TIMEOUT,
        "pip install",
    )
    .await;
    assert!(
        installed.status.success(),
        "pip install of the Asana SDK and schema tools failed\n{}",
        describe(&installed)
    );
    std::fs::write(&marker, requirements).expect("venv marker is writable");
    python
}

fn quirks_json() -> String {
    serde_json::json!({
        "org": ORG,
        "plain_workspace": PLAIN_WORKSPACE,
        "alpha_team": ALPHA_TEAM,
        "big_team": BIG_TEAM,
        "big_team_size": BIG_TEAM_SIZE,
        "restricted_team": RESTRICTED_TEAM,
        "secret_team_with_admin": SECRET_TEAM_WITH_ADMIN,
        "plain_only_user": PLAIN_ONLY_USER,
        "cjk_user": CJK_USER,
    })
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_python_sdk_sees_schema_valid_answers() {
    if std::env::var(SKIP_ENV).is_ok_and(|v| v == "1") {
        eprintln!(
            "\n!!!!!!!! {SKIP_ENV}=1: the Python SDK fidelity test is SKIPPED. Nothing checked the simulator \
             against Asana's SDK and OpenAPI schemas in this run. !!!!!!!!\n"
        );
        return;
    }
    let spec = spec_path();
    assert!(
        spec.is_file(),
        "Asana's OpenAPI spec not found at {} (set ASANA_SIM_OPENAPI to its path)",
        spec.display()
    );
    let python = prepare_venv().await;

    let sim = SimServer::start(SimConfig::default())
        .await
        .expect("simulator starts");
    let script = crate_dir().join("tests/python/fidelity.py");
    let output = run(
        Command::new(&python)
            .arg(&script)
            .env("ASANA_SIM_BASE_URL", sim.base_url())
            .env("ASANA_SIM_CONTROL_URL", sim.control_url())
            .env("ASANA_SIM_SPEC", &spec)
            .env("ASANA_SIM_QUIRKS", quirks_json())
            .env("PYTHONUNBUFFERED", "1")
            .env("PYTHONDONTWRITEBYTECODE", "1"),
        SCRIPT_TIMEOUT,
        "fidelity.py",
    )
    .await;
    assert!(
        output.status.success(),
        "the SDK fidelity script failed\n{}",
        describe(&output)
    );
    println!("{}", String::from_utf8_lossy(&output.stdout));

    // The script's effects are real state changes, and its traffic went through the gate.
    let tenant = sim.tenant();
    let person = tenant
        .users
        .iter()
        .find(|u| u.email.as_deref() == Some("sdk.person@quirks.example"))
        .expect("the SDK-invited user exists");
    let memberships: Vec<bool> = tenant
        .workspace_memberships
        .iter()
        .filter(|m| m.user_gid == person.gid && m.workspace_gid == ORG)
        .map(|m| m.is_active)
        .collect();
    assert_eq!(memberships, vec![false, true]);
    let counters = sim.counters();
    assert!(counters.total > 200, "{counters:?}");
    assert!(counters.rate_limited >= 2, "{counters:?}");
    assert!(counters.count("POST", "/teams/{team_gid}/addUser") >= 2);
    assert!(counters.count("GET", "/teams/{team_gid}/team_memberships") >= 10);
    sim.shutdown().await;
}
