//! Shared plumbing of read endpoints: parsing a list request, cutting a page, and writing the
//! `{"data": ..., "next_page": ...}` envelope.

use axum::http::{StatusCode, Uri};
use axum::response::Response;

use super::params::Params;
use super::{json_response, App};
use crate::api_error::ApiError;
use crate::counters::FaultKind;
use crate::fields::{Kind, Selection, Shape};
use crate::pagination::{take_page, PageRequest};
use crate::render::{JsonWriter, Node, Renderer};
use crate::store::{position_after, Ix, Store};
use crate::visibility::Viewer;

/// A parsed request for a paginated list.
pub(crate) struct ListQuery {
    pub params: Params,
    path: String,
    list_key: String,
    pub selection: Option<Selection>,
    pub page: PageRequest,
}

impl ListQuery {
    /// `uri` is the request URI as the nested router sees it (without `/api/1.0`).
    pub fn parse(app: &App, uri: &Uri, kind: Kind) -> Result<ListQuery, ApiError> {
        let params = Params::parse(uri.query());
        let selection = Selection::parse(&params.opt_fields(), kind)?;
        let path = uri.path().to_string();
        let list_key = format!("{path}?{}", params.filters_key());
        let page = PageRequest::parse(
            params.get("limit"),
            params.get("offset"),
            &app.offsets,
            &list_key,
        )?;
        Ok(ListQuery {
            params,
            path,
            list_key,
            selection,
            page,
        })
    }

    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name)
    }

    pub fn require(&self, name: &str) -> Result<&str, ApiError> {
        self.param(name)
            .ok_or_else(|| ApiError::missing_input(name))
    }

    /// Where to resume in a gid-sorted index.
    pub fn start<'a>(&self, list: &[Ix], gid_of: impl Fn(Ix) -> &'a str) -> usize {
        match &self.page.border {
            Some(border) => position_after(list, border, gid_of),
            None => 0,
        }
    }

    /// One page of `items` (already positioned after the border, in gid order).
    pub fn respond(
        &self,
        app: &App,
        store: &Store,
        viewer: Viewer,
        items: impl Iterator<Item = Node>,
    ) -> Result<Response, ApiError> {
        let page = take_page(items, self.page.limit)?;
        let renderer = Renderer { store, viewer };
        let mut out = JsonWriter::with_capacity(256 + page.items.len() * 160);
        out.begin_object();
        out.key("data");
        out.begin_array();
        for &node in &page.items {
            renderer.object(&mut out, node, self.selection.as_ref(), Shape::Compact);
        }
        out.end_array();
        // `next_page` exists only when the caller paginated.
        if self.page.limit.is_some() {
            let border = page
                .items
                .last()
                .filter(|_| page.has_more)
                .map(|&node| node_gid(store, node));
            match border {
                None => {
                    out.key("next_page");
                    out.null();
                }
                Some(_) if app.settings().faults.drop_next_page_key => {
                    app.counters.fault(FaultKind::DroppedNextPage);
                }
                Some(border) => {
                    let offset = app.offsets.issue(&self.list_key, &border);
                    let path = format!("{}?{}", self.path, self.params.with_offset(&offset));
                    out.key("next_page");
                    out.begin_object();
                    out.key("offset");
                    out.string(&offset);
                    out.key("path");
                    out.string(&path);
                    out.key("uri");
                    out.string(&format!("{}{}", app.base_url, path));
                    out.end_object();
                }
            }
        }
        out.end_object();
        Ok(json_response(StatusCode::OK, out.into_bytes()))
    }
}

/// The gid that orders `node` in its list.
pub(crate) fn node_gid(store: &Store, node: Node) -> String {
    match node {
        Node::User(i) => store.user(i).gid.clone(),
        Node::Workspace(i) => store.workspace(i).gid.clone(),
        Node::WorkspaceMembership(i) => store.wm(i).gid.clone(),
        Node::Team(i) => store.team(i).gid.clone(),
        Node::TeamMembership(i) => store.tm(i).map(|m| m.gid.clone()).unwrap_or_default(),
        Node::UserTaskList(i) => store.wm(i).gid.clone(),
    }
}

/// `{"data": <object>}` for single-object reads and write results.
pub(crate) fn single(
    store: &Store,
    viewer: Viewer,
    node: Node,
    selection: Option<&Selection>,
    shape: Shape,
) -> Response {
    let mut out = JsonWriter::with_capacity(512);
    out.begin_object();
    out.key("data");
    Renderer { store, viewer }.object(&mut out, node, selection, shape);
    out.end_object();
    json_response(StatusCode::OK, out.into_bytes())
}

/// `{"data": [...]}` for the grandfathered unpaginated lists (`limit`/`offset` ignored).
pub(crate) fn unpaginated(
    store: &Store,
    viewer: Viewer,
    nodes: &[Node],
    selection: Option<&Selection>,
) -> Response {
    let renderer = Renderer { store, viewer };
    let mut out = JsonWriter::with_capacity(64 + nodes.len() * 64);
    out.begin_object();
    out.key("data");
    out.begin_array();
    for &node in nodes {
        renderer.object(&mut out, node, selection, Shape::Compact);
    }
    out.end_array();
    out.end_object();
    json_response(StatusCode::OK, out.into_bytes())
}

/// `{"data": {}}`, Asana's EmptyResponse.
pub(crate) fn empty_data() -> Response {
    json_response(StatusCode::OK, br#"{"data":{}}"#.to_vec())
}
