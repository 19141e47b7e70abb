//! `capabilities`: the connector's capabilities as protojson of an `Any`
//! wrapping `c1.connector.v2.ConnectorCapabilities`, as baton-sdk prints them.
//! They do not depend on the token, so none is needed.

use asana_connector::AsanaConnector;
use baton_connector::Connector;
use baton_proto::prost::Name;
use baton_proto::v2::ConnectorCapabilities;
use serde_json::{Map, Value};

use crate::error::{AppError, AppResult};

/// Serializes `caps` as protojson of an Any (`@type` first, then the fields).
pub fn any_json(caps: &ConnectorCapabilities) -> AppResult<Value> {
    let fields = serde_json::to_value(caps)
        .map_err(|e| AppError::runtime(format!("cannot encode capabilities: {e}")))?;
    let mut object = Map::new();
    object.insert(
        "@type".into(),
        Value::from(ConnectorCapabilities::type_url()),
    );
    if let Value::Object(fields) = fields {
        object.extend(fields);
    }
    Ok(Value::Object(object))
}

pub fn run() -> AppResult<()> {
    let connector = AsanaConnector::without_credentials()
        .map_err(|e| AppError::runtime(format!("cannot build the connector: {e}")))?;
    let caps = baton_connector::capabilities(&connector.syncers());
    let json = any_json(&caps)?;
    let text = serde_json::to_string_pretty(&json)
        .map_err(|e| AppError::runtime(format!("cannot encode capabilities: {e}")))?;
    // No trailing newline, as baton-sdk.
    print!("{text}");
    Ok(())
}
