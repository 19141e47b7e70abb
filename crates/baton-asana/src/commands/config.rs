//! `config`: the connector's configuration schema as protojson of
//! `c1.config.v1.Configuration` — the connector's own fields plus baton-sdk's
//! operational ones, so ConductorOne can render a settings form.

use baton_proto::c1::config::v1::{
    field, BoolField, Configuration, Constraint, ConstraintKind, Field, Int64Rules, IntField,
    StringField, StringRules,
};

use crate::error::{AppError, AppResult};

fn string_field(name: &str, display: &str, description: &str, default: &str) -> Field {
    Field {
        name: name.into(),
        display_name: display.into(),
        description: description.into(),
        field: Some(field::Field::StringField(StringField {
            default_value: default.into(),
            ..Default::default()
        })),
        ..Default::default()
    }
}

fn bool_field(name: &str, display: &str, description: &str) -> Field {
    Field {
        name: name.into(),
        display_name: display.into(),
        description: description.into(),
        field: Some(field::Field::BoolField(BoolField::default())),
        ..Default::default()
    }
}

fn int_field(
    name: &str,
    display: &str,
    description: &str,
    default: i64,
    min: i64,
    max: i64,
) -> Field {
    Field {
        name: name.into(),
        display_name: display.into(),
        description: description.into(),
        field: Some(field::Field::IntField(IntField {
            default_value: default,
            rules: Some(Int64Rules {
                gte: Some(min),
                lte: Some(max),
                ..Default::default()
            }),
            ..Default::default()
        })),
        ..Default::default()
    }
}

fn ops(mut f: Field) -> Field {
    f.is_ops = true;
    f
}

/// The schema of baton-asana's settings.
pub fn configuration() -> Configuration {
    let mut token = string_field(
        "token",
        "Token",
        "Asana personal access token of a workspace admin, or an Enterprise service-account token",
        "",
    );
    token.is_required = true;
    token.is_secret = true;
    if let Some(field::Field::StringField(s)) = token.field.as_mut() {
        s.rules = Some(StringRules {
            is_required: true,
            ..Default::default()
        });
    }
    Configuration {
        display_name: "Asana".into(),
        help_url: "https://developers.asana.com/docs/personal-access-token".into(),
        fields: vec![
            token,
            string_field(
                "asana-api-url",
                "Asana API URL",
                "Base URL of Asana's REST API",
                asana_api::DEFAULT_BASE_URL,
            ),
            bool_field(
                "use-service-account",
                "Use service account",
                "The token is an Enterprise service account's; sync every workspace it can see",
            ),
            int_field(
                "asana-rate-limit",
                "Asana rate limit",
                "Requests per minute for this token (1500 on paid plans, 150 on free)",
                1500,
                1,
                100_000,
            ),
            int_field(
                "asana-max-concurrency",
                "Asana max concurrency",
                "Requests in flight at once (Asana allows 50 reads per token)",
                50,
                1,
                50,
            ),
            ops(string_field(
                "log-level",
                "Log level",
                "The log level: debug, info, warn, error",
                "info",
            )),
            ops(bool_field(
                "health-check",
                "Health check",
                "Serve /health, /ready and /live in service mode",
            )),
            ops(int_field(
                "health-check-port",
                "Health check port",
                "Port of the health-check server",
                8081,
                1,
                65535,
            )),
            ops(string_field(
                "health-check-bind-address",
                "Health check bind address",
                "Address the health-check server binds",
                "127.0.0.1",
            )),
            ops(int_field(
                "http-timeout-seconds",
                "HTTP timeout",
                "Timeout of each HTTP request, in seconds",
                300,
                1,
                1800,
            )),
        ],
        constraints: vec![Constraint {
            kind: ConstraintKind::DependentOn as i32,
            field_names: vec![
                "health-check-port".into(),
                "health-check-bind-address".into(),
            ],
            secondary_field_names: vec!["health-check".into()],
            ..Default::default()
        }],
        ..Default::default()
    }
}

pub fn run() -> AppResult<()> {
    let text = serde_json::to_string_pretty(&configuration())
        .map_err(|e| AppError::runtime(format!("cannot encode the configuration schema: {e}")))?;
    println!("{text}");
    Ok(())
}
