//! Team reads.

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
use crate::gid::gid_cmp;
use crate::render::Node;
use crate::store::{Ix, Store};

fn require_organization(store: &Store, workspace: Ix) -> Result<(), ApiError> {
    let ws = store.workspace(workspace);
    if ws.is_organization {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "workspace: {} is not an organization. Teams exist only in organizations.",
            ws.gid
        )))
    }
}

/// `GET /workspaces/{gid}/teams`: organizations only (a plain workspace is a 400).
pub(crate) async fn teams_for_workspace(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Path(workspace_gid): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let query = ListQuery::parse(&app, &uri, Kind::Team)?;
    let store = app.read_store();
    let viewer = caller.viewer(&store)?;
    let workspace = store.visible_workspace(viewer, &workspace_gid)?;
    require_organization(&store, workspace)?;
    let list = &store.workspace_teams[workspace as usize];
    let start = query.start(list, |t: Ix| store.team(t).gid.as_str());
    let items = list[start..]
        .iter()
        .copied()
        .filter(|&t| store.team_visible(viewer, t))
        .map(Node::Team);
    query.respond(&app, &store, viewer, items)
}

/// `GET /users/{gid}/teams?organization=` (`organization` required), by team gid.
pub(crate) async fn teams_for_user(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Path(user_gid): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let query = ListQuery::parse(&app, &uri, Kind::Team)?;
    let store = app.read_store();
    let viewer = caller.viewer(&store)?;
    let organization = store.visible_workspace(viewer, query.require("organization")?)?;
    require_organization(&store, organization)?;
    let user = store.visible_user(viewer, &user_gid)?;
    let team_gid = |t: Ix| store.team(t).gid.as_str();
    let mut teams: Vec<Ix> = store.user_tms[user as usize]
        .iter()
        .filter_map(|&m| store.tm_link(m).map(|(_, team)| team))
        .filter(|&t| {
            store.team_org[t as usize] == Some(organization) && store.team_visible(viewer, t)
        })
        .collect();
    teams.sort_by(|&a, &b| gid_cmp(team_gid(a), team_gid(b)));
    let start = query.start(&teams, team_gid);
    query.respond(
        &app,
        &store,
        viewer,
        teams[start..].iter().map(|&t| Node::Team(t)),
    )
}

pub(crate) async fn get_team(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Path(team_gid): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let params = Params::parse(uri.query());
    let selection = Selection::parse(&params.opt_fields(), Kind::Team)?;
    let store = app.read_store();
    let viewer = caller.viewer(&store)?;
    let team = store.visible_team(viewer, &team_gid)?;
    Ok(single(
        &store,
        viewer,
        Node::Team(team),
        selection.as_ref(),
        Shape::Full,
    ))
}
