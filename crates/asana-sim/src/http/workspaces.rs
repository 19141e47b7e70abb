//! Workspace reads.

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
use crate::render::Node;
use crate::store::Ix;

/// `GET /workspaces`: the workspaces the caller belongs to, by gid.
pub(crate) async fn list_workspaces(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let query = ListQuery::parse(&app, &uri, Kind::Workspace)?;
    let store = app.read_store();
    let viewer = caller.viewer(&store)?;
    let list = &store.workspaces_sorted;
    let start = query.start(list, |w: Ix| store.workspace(w).gid.as_str());
    let items = list[start..]
        .iter()
        .copied()
        .filter(|&w| store.workspace_visible(viewer, w))
        .map(Node::Workspace);
    query.respond(&app, &store, viewer, items)
}

pub(crate) async fn get_workspace(
    State(app): State<Arc<App>>,
    Extension(caller): Extension<Caller>,
    Path(workspace_gid): Path<String>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let params = Params::parse(uri.query());
    let selection = Selection::parse(&params.opt_fields(), Kind::Workspace)?;
    let store = app.read_store();
    let viewer = caller.viewer(&store)?;
    let workspace = store.visible_workspace(viewer, &workspace_gid)?;
    Ok(single(
        &store,
        viewer,
        Node::Workspace(workspace),
        selection.as_ref(),
        Shape::Full,
    ))
}
