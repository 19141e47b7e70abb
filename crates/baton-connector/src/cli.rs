//! The command-line surface every baton connector shares: the same flags and
//! `BATON_*` environment variables as baton-sdk, so existing deployments keep
//! working when they switch binaries.
//!
//! Precedence is flag > environment > config file > default, as with viper:
//! [`load_config_file`] copies config-file values into `BATON_*` variables
//! that are not already set, before clap reads the environment.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

/// Log verbosity, as baton's `--log-level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogLevel {
    Debug,
    Info,
    #[value(alias = "warning")]
    Warn,
    Error,
}

/// Log encoding, as baton's `--log-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Json,
    Console,
}

/// Flags shared by every baton connector.
#[derive(Debug, Clone, Args)]
pub struct CommonArgs {
    /// The path to the c1z file to sync with
    #[arg(
        short = 'f',
        long = "file",
        env = "BATON_FILE",
        default_value = "sync.c1z",
        global = true
    )]
    pub file: PathBuf,

    /// The log level: debug, info, warn, error
    #[arg(
        long,
        env = "BATON_LOG_LEVEL",
        default_value = "info",
        ignore_case = true,
        global = true
    )]
    pub log_level: LogLevel,

    /// The output format for logs: json, console (default: console on a terminal, json otherwise)
    #[arg(long, env = "BATON_LOG_FORMAT", ignore_case = true, global = true)]
    pub log_format: Option<LogFormat>,

    /// A directory for the working copy of the c1z file (must exist)
    #[arg(long, env = "BATON_C1Z_TEMP_DIR", global = true)]
    pub c1z_temp_dir: Option<PathBuf>,

    /// Record an empty sync instead of syncing (service mode answers sync tasks with it)
    #[arg(long, env = "BATON_SKIP_FULL_SYNC", global = true)]
    pub skip_full_sync: bool,

    /// List only resource types and resources, not entitlements and grants
    #[arg(long, env = "BATON_SKIP_ENTITLEMENTS_AND_GRANTS", global = true)]
    pub skip_entitlements_and_grants: bool,

    /// Allow grant and revoke operations to change the target system
    #[arg(short = 'p', long, env = "BATON_PROVISIONING", global = true)]
    pub provisioning: bool,

    /// Grant this entitlement id (one-shot provisioning; needs --grant-principal)
    #[arg(
        long,
        env = "BATON_GRANT_ENTITLEMENT",
        requires = "grant_principal",
        conflicts_with = "revoke_grant"
    )]
    pub grant_entitlement: Option<String>,

    /// The principal (resource id) to grant the entitlement to
    #[arg(long, env = "BATON_GRANT_PRINCIPAL", requires = "grant_entitlement")]
    pub grant_principal: Option<String>,

    /// The resource type of the principal
    #[arg(long, env = "BATON_GRANT_PRINCIPAL_TYPE", default_value = "user")]
    pub grant_principal_type: String,

    /// Revoke this grant id (one-shot provisioning)
    #[arg(long, env = "BATON_REVOKE_GRANT")]
    pub revoke_grant: Option<String>,

    /// ConductorOne client id: runs the connector in service mode (with --client-secret)
    #[arg(
        long,
        env = "BATON_CLIENT_ID",
        requires = "client_secret",
        hide_env_values = true
    )]
    pub client_id: Option<String>,

    /// ConductorOne client secret (with --client-id)
    #[arg(
        long,
        env = "BATON_CLIENT_SECRET",
        requires = "client_id",
        hide_env_values = true
    )]
    pub client_secret: Option<String>,

    /// Service mode: tasks run at once
    #[arg(long, env = "BATON_TASK_CONCURRENCY", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub task_concurrency: u32,

    /// Service mode: serve /health, /ready and /live for probes
    #[arg(long, env = "BATON_HEALTH_CHECK")]
    pub health_check: bool,

    /// Service mode: port of the health-check server
    #[arg(long, env = "BATON_HEALTH_CHECK_PORT", default_value_t = 8081)]
    pub health_check_port: u16,

    /// Service mode: address the health-check server binds
    #[arg(
        long,
        env = "BATON_HEALTH_CHECK_BIND_ADDRESS",
        default_value = "127.0.0.1",
        hide = true
    )]
    pub health_check_bind_address: String,

    /// Timeout of each HTTP request to the target system, in seconds
    #[arg(long, env = "BATON_HTTP_TIMEOUT_SECONDS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=1800))]
    pub http_timeout_seconds: u64,

    #[command(flatten)]
    pub unsupported: UnsupportedModes,

    #[command(flatten)]
    pub ignored: IgnoredFlags,
}

/// baton-sdk one-shot modes this connector does not implement. Accepted so
/// that parsing matches baton-sdk, then refused with a clear message —
/// silently ignoring them would run a sync instead of what was asked.
#[derive(Debug, Clone, Default, Args)]
pub struct UnsupportedModes {
    #[arg(long, env = "BATON_CREATE_ACCOUNT_LOGIN", hide = true)]
    pub create_account_login: Option<String>,
    #[arg(long, env = "BATON_CREATE_ACCOUNT_EMAIL", hide = true)]
    pub create_account_email: Option<String>,
    #[arg(long, env = "BATON_CREATE_ACCOUNT_PROFILE", hide = true)]
    pub create_account_profile: Option<String>,
    #[arg(long, env = "BATON_DELETE_RESOURCE", hide = true)]
    pub delete_resource: Option<String>,
    #[arg(long, env = "BATON_ROTATE_CREDENTIALS", hide = true)]
    pub rotate_credentials: Option<String>,
    #[arg(long, env = "BATON_EVENT_FEED", hide = true)]
    pub event_feed: Option<String>,
    #[arg(long, env = "BATON_CREATE_TICKET", hide = true)]
    pub create_ticket: bool,
    #[arg(long, env = "BATON_BULK_CREATE_TICKET", hide = true)]
    pub bulk_create_ticket: bool,
    #[arg(long, env = "BATON_GET_TICKET", hide = true)]
    pub get_ticket: bool,
    #[arg(long, env = "BATON_LIST_TICKET_SCHEMAS", hide = true)]
    pub list_ticket_schemas: bool,
    #[arg(long, env = "BATON_INVOKE_ACTION", hide = true)]
    pub invoke_action: Option<String>,
    #[arg(long, env = "BATON_LIST_ACTION_SCHEMAS", hide = true)]
    pub list_action_schemas: bool,
    #[arg(long, env = "BATON_LIST_RESOURCE_ACTIONS", hide = true)]
    pub list_resource_actions: bool,
    #[arg(long, env = "BATON_INVOKE_RESOURCE_ACTION", hide = true)]
    pub invoke_resource_action: Option<String>,
    #[arg(long, env = "BATON_DIFF_SYNCS", hide = true)]
    pub diff_syncs: bool,
    #[arg(long, env = "BATON_COMPACT_SYNCS", hide = true)]
    pub compact_syncs: bool,
    #[arg(long, env = "BATON_SYNC_RESOURCES", hide = true, value_delimiter = ',')]
    pub sync_resources: Vec<String>,
}

impl UnsupportedModes {
    /// The first unsupported mode that was asked for, as its flag name.
    pub fn requested(&self) -> Option<&'static str> {
        let event_feed = self
            .event_feed
            .as_deref()
            .is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "1" | "t" | "true"));
        [
            (
                self.create_account_login.is_some(),
                "--create-account-login",
            ),
            (
                self.create_account_email.is_some(),
                "--create-account-email",
            ),
            (
                self.create_account_profile.is_some(),
                "--create-account-profile",
            ),
            (self.delete_resource.is_some(), "--delete-resource"),
            (self.rotate_credentials.is_some(), "--rotate-credentials"),
            (event_feed, "--event-feed"),
            (self.create_ticket, "--create-ticket"),
            (self.bulk_create_ticket, "--bulk-create-ticket"),
            (self.get_ticket, "--get-ticket"),
            (self.list_ticket_schemas, "--list-ticket-schemas"),
            (self.invoke_action.is_some(), "--invoke-action"),
            (self.list_action_schemas, "--list-action-schemas"),
            (self.list_resource_actions, "--list-resource-actions"),
            (
                self.invoke_resource_action.is_some(),
                "--invoke-resource-action",
            ),
            (self.diff_syncs, "--diff-syncs"),
            (self.compact_syncs, "--compact-syncs"),
            (!self.sync_resources.is_empty(), "--sync-resources"),
        ]
        .into_iter()
        .find(|(set, _)| *set)
        .map(|(_, name)| name)
    }
}

/// baton-sdk flags that change nothing here (tuning, telemetry, options of
/// modes above). Accepted so existing deployments keep working; each one set
/// is reported at debug level.
#[derive(Debug, Clone, Default, Args)]
pub struct IgnoredFlags {
    #[arg(long, env = "BATON_TICKETING", hide = true)]
    pub ticketing: bool,
    #[arg(long, env = "BATON_TICKET_TEMPLATE_PATH", hide = true)]
    pub ticket_template_path: Option<String>,
    #[arg(long, env = "BATON_BULK_TICKET_TEMPLATE_PATH", hide = true)]
    pub bulk_ticket_template_path: Option<String>,
    #[arg(long, env = "BATON_TICKET_ID", hide = true)]
    pub ticket_id: Option<String>,
    #[arg(long, env = "BATON_DELETE_RESOURCE_TYPE", hide = true)]
    pub delete_resource_type: Option<String>,
    #[arg(long, env = "BATON_ROTATE_CREDENTIALS_TYPE", hide = true)]
    pub rotate_credentials_type: Option<String>,
    #[arg(long, env = "BATON_CREATE_ACCOUNT_RESOURCE_TYPE", hide = true)]
    pub create_account_resource_type: Option<String>,
    #[arg(long, env = "BATON_EVENT_FEED_ID", hide = true)]
    pub event_feed_id: Option<String>,
    #[arg(long, env = "BATON_EVENT_FEED_START_AT", hide = true)]
    pub event_feed_start_at: Option<String>,
    #[arg(long, env = "BATON_EVENT_FEED_CURSOR", hide = true)]
    pub event_feed_cursor: Option<String>,
    #[arg(long, env = "BATON_LOG_PATH", hide = true, value_delimiter = ',')]
    pub log_path: Vec<String>,
    #[arg(long, env = "BATON_LOG_LEVEL_DEBUG_EXPIRES_AT", hide = true)]
    pub log_level_debug_expires_at: Option<String>,
    #[arg(
        long,
        env = "BATON_SYNC_RESOURCE_TYPES",
        hide = true,
        value_delimiter = ','
    )]
    pub sync_resource_types: Vec<String>,
    #[arg(long, env = "BATON_SKIP_GRANTS", hide = true)]
    pub skip_grants: bool,
    #[arg(long, env = "BATON_EXTERNAL_RESOURCE_C1Z", hide = true)]
    pub external_resource_c1z: Option<String>,
    #[arg(
        long,
        env = "BATON_EXTERNAL_RESOURCE_ENTITLEMENT_ID_FILTER",
        hide = true
    )]
    pub external_resource_entitlement_id_filter: Option<String>,
    #[arg(long, env = "BATON_EXTERNAL_RESOURCE_TRAITS", hide = true)]
    pub external_resource_traits: Option<String>,
    #[arg(long, env = "BATON_KEEP_PREVIOUS_SYNC_C1Z", hide = true)]
    pub keep_previous_sync_c1z: bool,
    #[arg(long, env = "BATON_BASE_SYNC_ID", hide = true)]
    pub base_sync_id: Option<String>,
    #[arg(long, env = "BATON_APPLIED_SYNC_ID", hide = true)]
    pub applied_sync_id: Option<String>,
    #[arg(long, env = "BATON_COMPACT_FILE_PATHS", hide = true)]
    pub compact_file_paths: Option<String>,
    #[arg(long, env = "BATON_COMPACT_SYNC_IDS", hide = true)]
    pub compact_sync_ids: Option<String>,
    #[arg(long, env = "BATON_COMPACT_OUTPUT_PATH", hide = true)]
    pub compact_output_path: Option<String>,
    #[arg(long, env = "BATON_INVOKE_ACTION_ARGS", hide = true)]
    pub invoke_action_args: Option<String>,
    #[arg(long, env = "BATON_INVOKE_ACTION_RESOURCE_TYPE", hide = true)]
    pub invoke_action_resource_type: Option<String>,
    #[arg(long, env = "BATON_LIST_ACTION_SCHEMAS_RESOURCE_TYPE", hide = true)]
    pub list_action_schemas_resource_type: Option<String>,
    #[arg(long, env = "BATON_INVOKE_RESOURCE_ACTION_RESOURCE_TYPE", hide = true)]
    pub invoke_resource_action_resource_type: Option<String>,
    #[arg(long, env = "BATON_INVOKE_RESOURCE_ACTION_ARGS", hide = true)]
    pub invoke_resource_action_args: Option<String>,
    #[arg(long, env = "BATON_SESSION_STORE_MAXIMUM_SIZE", hide = true)]
    pub session_store_maximum_size: Option<String>,
    #[arg(long, env = "BATON_WORKERS", hide = true)]
    pub workers: Option<String>,
    #[arg(long, env = "BATON_PARALLEL_SYNC", hide = true)]
    pub parallel_sync: bool,
    #[arg(long, env = "BATON_OTEL_COLLECTOR_ENDPOINT", hide = true)]
    pub otel_collector_endpoint: Option<String>,
    #[arg(long, env = "BATON_OTEL_COLLECTOR_ENDPOINT_TLS_CERT_PATH", hide = true)]
    pub otel_collector_endpoint_tls_cert_path: Option<String>,
    #[arg(long, env = "BATON_OTEL_COLLECTOR_ENDPOINT_TLS_CERT", hide = true)]
    pub otel_collector_endpoint_tls_cert: Option<String>,
    #[arg(long, env = "BATON_OTEL_COLLECTOR_ENDPOINT_TLS_INSECURE", hide = true)]
    pub otel_collector_endpoint_tls_insecure: bool,
    #[arg(long, env = "BATON_OTEL_TRACING_DISABLED", hide = true)]
    pub otel_tracing_disabled: bool,
    #[arg(long, env = "BATON_OTEL_LOGGING_DISABLED", hide = true)]
    pub otel_logging_disabled: bool,
    #[arg(long, env = "BATON_AUTH_METHOD", hide = true)]
    pub auth_method: Option<String>,
    #[arg(long, env = "BATON_STORAGE_ENGINE", hide = true)]
    pub storage_engine: Option<String>,
}

impl IgnoredFlags {
    /// Names of the ignored flags that were set, for a debug line each.
    pub fn set_flags(&self) -> Vec<&'static str> {
        let s = |v: &Option<String>| v.is_some();
        [
            (self.ticketing, "--ticketing"),
            (s(&self.ticket_template_path), "--ticket-template-path"),
            (
                s(&self.bulk_ticket_template_path),
                "--bulk-ticket-template-path",
            ),
            (s(&self.ticket_id), "--ticket-id"),
            (s(&self.delete_resource_type), "--delete-resource-type"),
            (
                s(&self.rotate_credentials_type),
                "--rotate-credentials-type",
            ),
            (
                s(&self.create_account_resource_type),
                "--create-account-resource-type",
            ),
            (s(&self.event_feed_id), "--event-feed-id"),
            (s(&self.event_feed_start_at), "--event-feed-start-at"),
            (s(&self.event_feed_cursor), "--event-feed-cursor"),
            (!self.log_path.is_empty(), "--log-path"),
            (
                s(&self.log_level_debug_expires_at),
                "--log-level-debug-expires-at",
            ),
            (
                !self.sync_resource_types.is_empty(),
                "--sync-resource-types",
            ),
            (self.skip_grants, "--skip-grants"),
            (s(&self.external_resource_c1z), "--external-resource-c1z"),
            (
                s(&self.external_resource_entitlement_id_filter),
                "--external-resource-entitlement-id-filter",
            ),
            (
                s(&self.external_resource_traits),
                "--external-resource-traits",
            ),
            (self.keep_previous_sync_c1z, "--keep-previous-sync-c1z"),
            (s(&self.base_sync_id), "--base-sync-id"),
            (s(&self.applied_sync_id), "--applied-sync-id"),
            (s(&self.compact_file_paths), "--compact-file-paths"),
            (s(&self.compact_sync_ids), "--compact-sync-ids"),
            (s(&self.compact_output_path), "--compact-output-path"),
            (s(&self.invoke_action_args), "--invoke-action-args"),
            (
                s(&self.invoke_action_resource_type),
                "--invoke-action-resource-type",
            ),
            (
                s(&self.list_action_schemas_resource_type),
                "--list-action-schemas-resource-type",
            ),
            (
                s(&self.invoke_resource_action_resource_type),
                "--invoke-resource-action-resource-type",
            ),
            (
                s(&self.invoke_resource_action_args),
                "--invoke-resource-action-args",
            ),
            (
                s(&self.session_store_maximum_size),
                "--session-store-maximum-size",
            ),
            (s(&self.workers), "--workers"),
            (self.parallel_sync, "--parallel-sync"),
            (
                s(&self.otel_collector_endpoint),
                "--otel-collector-endpoint",
            ),
            (
                s(&self.otel_collector_endpoint_tls_cert_path),
                "--otel-collector-endpoint-tls-cert-path",
            ),
            (
                s(&self.otel_collector_endpoint_tls_cert),
                "--otel-collector-endpoint-tls-cert",
            ),
            (
                self.otel_collector_endpoint_tls_insecure,
                "--otel-collector-endpoint-tls-insecure",
            ),
            (self.otel_tracing_disabled, "--otel-tracing-disabled"),
            (self.otel_logging_disabled, "--otel-logging-disabled"),
            (s(&self.auth_method), "--auth-method"),
            (s(&self.storage_engine), "--storage-engine"),
        ]
        .into_iter()
        .filter(|(set, _)| *set)
        .map(|(_, name)| name)
        .collect()
    }
}

/// A config file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigFileError {
    #[error("BATON_CONFIG_PATH must name a .yaml or .yml file, got {0}")]
    BadExtension(PathBuf),
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is not a YAML map of flag names to values: {message}")]
    Parse { path: PathBuf, message: String },
}

/// The config file to use: `BATON_CONFIG_PATH`, else `./.baton.yaml` or `./.baton.yml` if present.
pub fn config_file_path() -> Result<Option<PathBuf>, ConfigFileError> {
    if let Some(path) = std::env::var_os("BATON_CONFIG_PATH").filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default();
        if ext != "yaml" && ext != "yml" {
            return Err(ConfigFileError::BadExtension(path));
        }
        return Ok(Some(path));
    }
    Ok([".baton.yaml", ".baton.yml"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file()))
}

/// The `BATON_*` variables a config file sets: each top-level key is a flag
/// name (`log-level`, `token`, ...; `_` and `-` both work).
pub fn config_file_env(path: &Path) -> Result<Vec<(String, String)>, ConfigFileError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigFileError::Read {
        path: path.to_owned(),
        source,
    })?;
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let parsed: serde_yaml::Value =
        serde_yaml::from_str(&text).map_err(|e| ConfigFileError::Parse {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
    let serde_yaml::Value::Mapping(map) = parsed else {
        return Err(ConfigFileError::Parse {
            path: path.to_owned(),
            message: "the top level is not a map".into(),
        });
    };
    let mut vars = Vec::new();
    for (key, value) in map {
        let serde_yaml::Value::String(key) = key else {
            continue;
        };
        let value = match value {
            serde_yaml::Value::String(s) => s,
            serde_yaml::Value::Bool(b) => b.to_string(),
            serde_yaml::Value::Number(n) => n.to_string(),
            serde_yaml::Value::Sequence(items) => items
                .into_iter()
                .filter_map(|v| match v {
                    serde_yaml::Value::String(s) => Some(s),
                    serde_yaml::Value::Number(n) => Some(n.to_string()),
                    serde_yaml::Value::Bool(b) => Some(b.to_string()),
                    _ => None,
                })
                .collect::<Vec<_>>()
                .join(","),
            serde_yaml::Value::Null => continue,
            _ => {
                return Err(ConfigFileError::Parse {
                    path: path.to_owned(),
                    message: format!("the value of {key:?} is not a string, number, bool or list"),
                })
            }
        };
        vars.push((env_name(&key), value));
    }
    Ok(vars)
}

/// `log-level` → `BATON_LOG_LEVEL`.
pub fn env_name(flag: &str) -> String {
    format!(
        "BATON_{}",
        flag.replace(['-', '.'], "_").to_ascii_uppercase()
    )
}

/// Copies config-file values into the environment where no `BATON_*`
/// variable is set, so clap sees them with flag > env > file precedence.
/// Call before parsing arguments and before starting threads.
pub fn load_config_file() -> Result<Option<PathBuf>, ConfigFileError> {
    let Some(path) = config_file_path()? else {
        return Ok(None);
    };
    for (name, value) in config_file_env(&path)? {
        if std::env::var_os(&name).is_none() {
            std::env::set_var(&name, OsString::from(value));
        }
    }
    Ok(Some(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_names_map_to_baton_env_vars() {
        assert_eq!(env_name("log-level"), "BATON_LOG_LEVEL");
        assert_eq!(env_name("token"), "BATON_TOKEN");
        assert_eq!(env_name("asana_api_url"), "BATON_ASANA_API_URL");
    }

    #[test]
    fn reads_yaml_maps_and_rejects_other_shapes() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("c.yaml");
        std::fs::write(
            &good,
            "log-level: debug\nprovisioning: true\nsync-resource-types: [user, team]\nworkers: 4\n",
        )
        .unwrap();
        let vars = config_file_env(&good).unwrap();
        assert!(vars.contains(&("BATON_LOG_LEVEL".into(), "debug".into())));
        assert!(vars.contains(&("BATON_PROVISIONING".into(), "true".into())));
        assert!(vars.contains(&("BATON_SYNC_RESOURCE_TYPES".into(), "user,team".into())));
        assert!(vars.contains(&("BATON_WORKERS".into(), "4".into())));

        let bad = dir.path().join("bad.yaml");
        std::fs::write(&bad, "- a\n- b\n").unwrap();
        assert!(matches!(
            config_file_env(&bad),
            Err(ConfigFileError::Parse { .. })
        ));
    }
}
