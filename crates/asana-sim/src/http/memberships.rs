//! Workspace-membership and team-membership reads.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::Response;
use axum::Extension;

use super::listing::{single, ListQuery};
use super::params::Params;
use super::{App, Caller};
use crate::api_error::ApiError;
use crate::fields::{Kind, Selection, Shape};
use crate::provisioning::not_found_or_malformed;
use crate::render::Node;
use crate::store::{Ix, Store};
use crate::visibility::Viewer;

fn wm_gid<'s>(store: &'s Store) -> impl Fn(Ix) -> &'s str + 's {
    move |m| store.wm(m).gid.as_str()
}

fn tm_gid<'s>(store: &'s Store) -> impl Fn(Ix) -> &'s str + 's {
    move |m| store.tm(m).map_or("", |tm| tm.gid.as_str())
}

/// `GET /workspaces/{gid}/workspace_memberships[?user=]`: active and inactive memberships.
pub(crate) async fn workspace_memberships_for_workspace(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Path(workspace_gid): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let query = ListQuery::parse(&app, &uri, Kind::WorkspaceMembership)?;
    let store = app.read_store();
    let viewer = caller.viewer(&store)?;
    let workspace = store.visible_workspace(viewer, &workspace_gid)?;
    let list = match query.param("user") {
        Some(user) => {
            let user = store.visible_user(viewer, user)?;
            &store.user_wms[user as usize]
        }
        None => &store.workspace_wms[workspace as usize],
    };
    let start = query.start(list, wm_gid(&store));
    let items = list[start..]
        .iter()
        .copied()
        .filter(|&m| {
            store.wm_link(m).map(|(_, w)| w) == Some(workspace) && store.wm_visible(viewer, m)
        })
        .map(Node::WorkspaceMembership);
    query.respond(&app, &store, viewer, items)
}

/// `GET /users/{gid}/workspace_memberships`: the user's memberships the caller can see.
pub(crate) async fn workspace_memberships_for_user(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Path(user_gid): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let query = ListQuery::parse(&app, &uri, Kind::WorkspaceMembership)?;
    let store = app.read_store();
    let viewer = caller.viewer(&store)?;
    let user = store.visible_user(viewer, &user_gid)?;
    let list = &store.user_wms[user as usize];
    let start = query.start(list, wm_gid(&store));
    let items = list[start..]
        .iter()
        .copied()
        .filter(|&m| store.wm_visible(viewer, m))
        .map(Node::WorkspaceMembership);
    query.respond(&app, &store, viewer, items)
}

pub(crate) async fn get_workspace_membership(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Path(membership_gid): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let params = Params::parse(uri.query());
    let selection = Selection::parse(&params.opt_fields(), Kind::WorkspaceMembership)?;
    let store = app.read_store();
    let viewer = caller.viewer(&store)?;
    let membership = match store.wm_by_gid(&membership_gid) {
        Some(m) if store.wm_visible(viewer, m) => m,
        Some(_) => {
            return Err(ApiError::unknown_object(
                "workspace_membership",
                &membership_gid,
            ))
        }
        None => {
            return Err(not_found_or_malformed(
                "workspace_membership",
                &membership_gid,
            ))
        }
    };
    Ok(single(
        &store,
        viewer,
        Node::WorkspaceMembership(membership),
        selection.as_ref(),
        Shape::Full,
    ))
}

fn team_page(
    app: &App,
    store: &Store,
    viewer: Viewer,
    query: &ListQuery,
    team: Ix,
    only_user: Option<Ix>,
) -> Result<Response, ApiError> {
    let list = &store.team_tms[team as usize];
    let start = query.start(list, tm_gid(store));
    let items = list[start..]
        .iter()
        .copied()
        .filter(|&m| only_user.is_none() || store.tm_link(m).map(|(u, _)| u) == only_user)
        .map(Node::TeamMembership);
    query.respond(app, store, viewer, items)
}

/// The user's memberships in the (visible) teams of `workspace`.
fn user_page(
    app: &App,
    store: &Store,
    viewer: Viewer,
    query: &ListQuery,
    user: Ix,
    workspace: Ix,
) -> Result<Response, ApiError> {
    let list = &store.user_tms[user as usize];
    let start = query.start(list, tm_gid(store));
    let items = list[start..]
        .iter()
        .copied()
        .filter(|&m| {
            store.tm_link(m).is_some_and(|(_, team)| {
                store.team_org[team as usize] == Some(workspace) && store.team_visible(viewer, team)
            })
        })
        .map(Node::TeamMembership);
    query.respond(app, store, viewer, items)
}

/// `GET /teams/{gid}/team_memberships`.
pub(crate) async fn team_memberships_for_team(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Path(team_gid): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let query = ListQuery::parse(&app, &uri, Kind::TeamMembership)?;
    let store = app.read_store();
    let viewer = caller.viewer(&store)?;
    let team = store.visible_team(viewer, &team_gid)?;
    team_page(&app, &store, viewer, &query, team, None)
}

/// `GET /team_memberships?team=` | `?user=&workspace=` | `?team=&user=`.
pub(crate) async fn list_team_memberships(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let query = ListQuery::parse(&app, &uri, Kind::TeamMembership)?;
    let store = app.read_store();
    let viewer = caller.viewer(&store)?;
    let team = query
        .param("team")
        .map(|gid| store.visible_team(viewer, gid))
        .transpose()?;
    let user = query
        .param("user")
        .map(|gid| store.visible_user(viewer, gid))
        .transpose()?;
    match (team, user) {
        (Some(team), user) => team_page(&app, &store, viewer, &query, team, user),
        (None, Some(user)) => {
            let workspace = store.visible_workspace(viewer, query.require("workspace")?)?;
            user_page(&app, &store, viewer, &query, user, workspace)
        }
        (None, None) => Err(ApiError::bad_request(
            "team: Must specify either team, or user and workspace",
        )),
    }
}

/// `GET /users/{gid}/team_memberships?workspace=` (`workspace` required).
pub(crate) async fn team_memberships_for_user(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Path(user_gid): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let query = ListQuery::parse(&app, &uri, Kind::TeamMembership)?;
    let store = app.read_store();
    let viewer = caller.viewer(&store)?;
    let workspace_gid = query.require("workspace")?;
    let workspace = store.visible_workspace(viewer, workspace_gid)?;
    let user = store.visible_user(viewer, &user_gid)?;
    user_page(&app, &store, viewer, &query, user, workspace)
}

pub(crate) async fn get_team_membership(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Path(membership_gid): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let params = Params::parse(uri.query());
    let selection = Selection::parse(&params.opt_fields(), Kind::TeamMembership)?;
    let store = app.read_store();
    let viewer = caller.viewer(&store)?;
    let membership = match store.tm_by_gid(&membership_gid) {
        Some(m) if store.tm_visible(viewer, m) => m,
        Some(_) => return Err(ApiError::unknown_object("team_membership", &membership_gid)),
        None => return Err(not_found_or_malformed("team_membership", &membership_gid)),
    };
    Ok(single(
        &store,
        viewer,
        Node::TeamMembership(membership),
        selection.as_ref(),
        Shape::Full,
    ))
}
