//! Workspace and team `addUser` / `removeUser`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, Uri};
use axum::response::Response;
use axum::Extension;
use serde_json::Value;

use super::listing::{empty_data, single};
use super::params::Params;
use super::{App, Caller};
use crate::api_error::ApiError;
use crate::fields::{Kind, Selection, Shape};
use crate::render::Node;

/// The `user` of a write body: JSON `{"data":{"user":...}}` or a form field `user=...`.
fn user_from_body(headers: &HeaderMap, body: &[u8]) -> Result<String, ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json");
    // curl -d sends JSON labelled as a form; accept it the way a forgiving server would.
    let looks_like_json = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    let user = if content_type.starts_with("application/x-www-form-urlencoded") && !looks_like_json
    {
        url::form_urlencoded::parse(body)
            .find(|(key, _)| key == "user")
            .map(|(_, value)| value.into_owned())
    } else {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::missing_input("user"));
        }
        let json: Value = serde_json::from_slice(body).map_err(|e| {
            ApiError::bad_request(format!("Could not parse request data, invalid JSON: {e}"))
        })?;
        match json.get("data").and_then(|data| data.get("user")) {
            None | Some(Value::Null) => None,
            Some(Value::String(user)) => Some(user.clone()),
            Some(Value::Number(number)) => Some(number.to_string()),
            Some(_) => return Err(ApiError::bad_request("user: Not a valid user reference")),
        }
    };
    user.map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty())
        .ok_or_else(|| ApiError::missing_input("user"))
}

fn now() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// `POST /workspaces/{gid}/addUser` → 200 UserBaseResponse.
pub(crate) async fn add_user_to_workspace(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Path(workspace_gid): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let selection = Selection::parse(&Params::parse(uri.query()).opt_fields(), Kind::User)?;
    let user_ref = user_from_body(&headers, &body)?;
    let mut store = app.write_store();
    let viewer = caller.viewer(&store)?;
    let user = store.add_user_to_workspace(viewer, &workspace_gid, &user_ref, &now())?;
    Ok(single(
        &store,
        viewer,
        Node::User(user.value()),
        selection.as_ref(),
        Shape::Base,
    ))
}

/// `POST /workspaces/{gid}/removeUser` → 200 `{"data":{}}`.
pub(crate) async fn remove_user_from_workspace(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Path(workspace_gid): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let user_ref = user_from_body(&headers, &body)?;
    let mut store = app.write_store();
    let viewer = caller.viewer(&store)?;
    store.remove_user_from_workspace(viewer, &workspace_gid, &user_ref)?;
    Ok(empty_data())
}

/// `POST /teams/{gid}/addUser` → 200 TeamMembershipResponse.
pub(crate) async fn add_user_to_team(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Path(team_gid): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let selection = Selection::parse(
        &Params::parse(uri.query()).opt_fields(),
        Kind::TeamMembership,
    )?;
    let user_ref = user_from_body(&headers, &body)?;
    let mut store = app.write_store();
    let viewer = caller.viewer(&store)?;
    let membership = store.add_user_to_team(viewer, &team_gid, &user_ref)?;
    Ok(single(
        &store,
        viewer,
        Node::TeamMembership(membership.value()),
        selection.as_ref(),
        Shape::Full,
    ))
}

/// `POST /teams/{gid}/removeUser` → 200 `{"data":{}}`.
pub(crate) async fn remove_user_from_team(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Path(team_gid): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let user_ref = user_from_body(&headers, &body)?;
    let mut store = app.write_store();
    let viewer = caller.viewer(&store)?;
    store.remove_user_from_team(viewer, &team_gid, &user_ref)?;
    Ok(empty_data())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(content_type: &'static str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        h
    }

    #[test]
    fn reads_user_from_json_and_form_bodies() {
        let json = headers("application/json");
        assert_eq!(
            user_from_body(&json, br#"{"data":{"user":"123"}}"#).unwrap(),
            "123"
        );
        assert_eq!(
            user_from_body(&json, br#"{"data":{"user":" a@b.example "}}"#).unwrap(),
            "a@b.example"
        );
        assert_eq!(
            user_from_body(&json, br#"{"data":{"user":42}}"#).unwrap(),
            "42"
        );
        let form = headers("application/x-www-form-urlencoded");
        assert_eq!(user_from_body(&form, b"user=me").unwrap(), "me");
        assert_eq!(
            user_from_body(&form, br#" {"data":{"user":"7"}}"#).unwrap(),
            "7"
        );
    }

    #[test]
    fn rejects_missing_or_malformed_user() {
        let json = headers("application/json");
        for body in [
            &br#"{"data":{}}"#[..],
            br#"{"data":{"user":""}}"#,
            b"",
            br#"{"user":"1"}"#,
        ] {
            assert_eq!(
                user_from_body(&json, body).unwrap_err().message,
                "user: Missing input"
            );
        }
        assert!(user_from_body(&json, b"{not json")
            .unwrap_err()
            .message
            .contains("invalid JSON"));
        assert!(user_from_body(&json, br#"{"data":{"user":[1]}}"#).is_err());
    }
}
