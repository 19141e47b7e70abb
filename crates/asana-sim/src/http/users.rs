//! User reads.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::Response;
use axum::Extension;

use super::listing::{single, unpaginated, ListQuery};
use super::params::Params;
use super::{App, Caller};
use crate::api_error::ApiError;
use crate::fields::{Kind, Selection, Shape};
use crate::gid::gid_cmp;
use crate::render::Node;
use crate::store::{Ix, Store};
use crate::visibility::Viewer;

/// Asana caps the unpaginated member lists at 2000 users.
const UNPAGINATED_USERS_MAX: usize = 2000;

pub(crate) async fn get_user(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Path(user_gid): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let params = Params::parse(uri.query());
    let selection = Selection::parse(&params.opt_fields(), Kind::User)?;
    let store = app.read_store();
    let viewer = caller.viewer(&store)?;
    let user = store.visible_user(viewer, &user_gid)?;
    Ok(single(
        &store,
        viewer,
        Node::User(user),
        selection.as_ref(),
        Shape::Full,
    ))
}

/// `GET /users?workspace=&team=`, sorted by user gid. Only users with an active membership are
/// listed; removed users stay reachable through their (inactive) workspace memberships.
pub(crate) async fn list_users(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let query = ListQuery::parse(&app, &uri, Kind::User)?;
    let store = app.read_store();
    let viewer = caller.viewer(&store)?;
    let user_gid = |i: Ix| store.user(i).gid.as_str();
    let workspace = query
        .param("workspace")
        .map(|gid| store.visible_workspace(viewer, gid))
        .transpose()?;
    let team = query
        .param("team")
        .map(|gid| store.visible_team(viewer, gid))
        .transpose()?;
    match (workspace, team) {
        (workspace, Some(team)) => {
            if let Some(workspace) = workspace {
                if store.team_org[team as usize] != Some(workspace) {
                    return Err(ApiError::bad_request(
                        "team: The team is not in the given workspace",
                    ));
                }
            }
            let mut members: Vec<Ix> = store.team_tms[team as usize]
                .iter()
                .filter_map(|&m| store.tm_link(m).map(|(u, _)| u))
                .collect();
            members.sort_by(|&a, &b| gid_cmp(user_gid(a), user_gid(b)));
            let start = query.start(&members, user_gid);
            query.respond(
                &app,
                &store,
                viewer,
                members[start..].iter().map(|&u| Node::User(u)),
            )
        }
        (Some(workspace), None) => {
            let list = &store.workspace_active_users[workspace as usize];
            let start = query.start(list, user_gid);
            let items = list[start..]
                .iter()
                .copied()
                .filter(|&u| store.user_visible_in(viewer, u, workspace))
                .map(Node::User);
            query.respond(&app, &store, viewer, items)
        }
        (None, None) => {
            // Cross-workspace listings cannot be paginated on Asana.
            if query.page.limit.is_some() {
                return Err(ApiError::bad_request(
                    "workspace: Pagination of users requires a workspace or team; please specify one",
                ));
            }
            let list = &store.users_sorted;
            let items = list
                .iter()
                .copied()
                .filter(|&u| is_active_somewhere_visible(&store, viewer, u))
                .map(Node::User);
            query.respond(&app, &store, viewer, items)
        }
    }
}

fn is_active_somewhere_visible(store: &Store, viewer: Viewer, user: Ix) -> bool {
    store.user_wms[user as usize].iter().any(|&m| {
        store.wm(m).is_active
            && store
                .wm_link(m)
                .is_some_and(|(_, workspace)| store.user_visible_in(viewer, user, workspace))
    })
}

/// Alphabetical by name (case-insensitive), then gid; at most 2000.
fn alphabetical(store: &Store, mut users: Vec<Ix>) -> Vec<Node> {
    users.sort_by_cached_key(|&u| {
        (
            store.user(u).name.to_lowercase(),
            store.user(u).gid.len(),
            store.user(u).gid.clone(),
        )
    });
    users.dedup();
    users.truncate(UNPAGINATED_USERS_MAX);
    users.into_iter().map(Node::User).collect()
}

/// `GET /workspaces/{gid}/users`: not paginated, alphabetical, capped at 2000 like Asana.
pub(crate) async fn users_for_workspace(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Path(workspace_gid): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let params = Params::parse(uri.query());
    let selection = Selection::parse(&params.opt_fields(), Kind::User)?;
    let store = app.read_store();
    let viewer = caller.viewer(&store)?;
    let workspace = store.visible_workspace(viewer, &workspace_gid)?;
    let users: Vec<Ix> = store.workspace_active_users[workspace as usize]
        .iter()
        .copied()
        .filter(|&u| store.user_visible_in(viewer, u, workspace))
        .collect();
    let nodes = alphabetical(&store, users);
    Ok(unpaginated(&store, viewer, &nodes, selection.as_ref()))
}

/// `GET /teams/{gid}/users`: not paginated, alphabetical, capped at 2000 like Asana.
pub(crate) async fn users_for_team(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Path(team_gid): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let params = Params::parse(uri.query());
    let selection = Selection::parse(&params.opt_fields(), Kind::User)?;
    let store = app.read_store();
    let viewer = caller.viewer(&store)?;
    let team = store.visible_team(viewer, &team_gid)?;
    let users: Vec<Ix> = store.team_tms[team as usize]
        .iter()
        .filter_map(|&m| store.tm_link(m).map(|(u, _)| u))
        .collect();
    let nodes = alphabetical(&store, users);
    Ok(unpaginated(&store, viewer, &nodes, selection.as_ref()))
}
