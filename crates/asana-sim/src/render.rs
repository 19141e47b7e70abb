//! Asana-shaped JSON, written straight into a byte buffer (no intermediate `Value` trees: list
//! pages are the hot path of every benchmark).

use crate::fields::{Kind, Selection, Shape};
use crate::model::ACCESS_ALL_TEAM_MEMBERS;
use crate::store::{Ix, Store};
use crate::visibility::Viewer;

/// A minimal streaming JSON writer that places commas itself.
pub(crate) struct JsonWriter {
    buf: Vec<u8>,
    first: bool,
    after_key: bool,
}

impl JsonWriter {
    pub fn with_capacity(capacity: usize) -> Self {
        JsonWriter {
            buf: Vec::with_capacity(capacity),
            first: true,
            after_key: false,
        }
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    fn before_value(&mut self) {
        if self.after_key {
            self.after_key = false;
        } else if !self.first {
            self.buf.push(b',');
        }
        self.first = false;
    }

    pub fn begin_object(&mut self) {
        self.before_value();
        self.buf.push(b'{');
        self.first = true;
    }

    pub fn end_object(&mut self) {
        self.buf.push(b'}');
        self.first = false;
    }

    pub fn begin_array(&mut self) {
        self.before_value();
        self.buf.push(b'[');
        self.first = true;
    }

    pub fn end_array(&mut self) {
        self.buf.push(b']');
        self.first = false;
    }

    pub fn key(&mut self, key: &str) {
        if !self.first {
            self.buf.push(b',');
        }
        self.write_escaped(key);
        self.buf.push(b':');
        self.first = false;
        self.after_key = true;
    }

    pub fn string(&mut self, value: &str) {
        self.before_value();
        self.write_escaped(value);
    }

    pub fn bool(&mut self, value: bool) {
        self.before_value();
        self.buf
            .extend_from_slice(if value { b"true" } else { b"false" });
    }

    pub fn null(&mut self) {
        self.before_value();
        self.buf.extend_from_slice(b"null");
    }

    fn write_escaped(&mut self, value: &str) {
        self.buf.push(b'"');
        let bytes = value.as_bytes();
        let mut start = 0;
        for (i, &b) in bytes.iter().enumerate() {
            let escape: &[u8] = match b {
                b'"' => b"\\\"",
                b'\\' => b"\\\\",
                b'\n' => b"\\n",
                b'\r' => b"\\r",
                b'\t' => b"\\t",
                0x00..=0x1f => b"",
                _ => continue,
            };
            self.buf.extend_from_slice(&bytes[start..i]);
            if escape.is_empty() {
                self.buf.extend_from_slice(format!("\\u{b:04x}").as_bytes());
            } else {
                self.buf.extend_from_slice(escape);
            }
            start = i + 1;
        }
        self.buf.extend_from_slice(&bytes[start..]);
        self.buf.push(b'"');
    }
}

/// A renderable object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Node {
    User(Ix),
    Workspace(Ix),
    WorkspaceMembership(Ix),
    Team(Ix),
    TeamMembership(Ix),
    /// The "My tasks" list behind a workspace membership.
    UserTaskList(Ix),
}

impl Node {
    pub fn kind(self) -> Kind {
        match self {
            Node::User(_) => Kind::User,
            Node::Workspace(_) => Kind::Workspace,
            Node::WorkspaceMembership(_) => Kind::WorkspaceMembership,
            Node::Team(_) => Kind::Team,
            Node::TeamMembership(_) => Kind::TeamMembership,
            Node::UserTaskList(_) => Kind::UserTaskList,
        }
    }
}

/// Renders objects as one viewer sees them.
pub(crate) struct Renderer<'a> {
    pub store: &'a Store,
    pub viewer: Viewer,
}

impl Renderer<'_> {
    /// One object: `gid`, `resource_type`, then either the selected fields or the shape's defaults.
    pub fn object(
        &self,
        out: &mut JsonWriter,
        node: Node,
        selection: Option<&Selection>,
        shape: Shape,
    ) {
        out.begin_object();
        out.key("gid");
        self.write_gid(out, node);
        out.key("resource_type");
        out.string(node.kind().resource_type());
        match selection {
            Some(selection) => {
                for (name, sub) in &selection.fields {
                    self.field(out, node, name, Some(sub));
                }
            }
            None => {
                for name in node.kind().default_fields(shape) {
                    self.field(out, node, name, None);
                }
            }
        }
        out.end_object();
    }

    fn write_gid(&self, out: &mut JsonWriter, node: Node) {
        let s = self.store;
        match node {
            Node::User(i) => out.string(&s.user(i).gid),
            Node::Workspace(i) => out.string(&s.workspace(i).gid),
            Node::WorkspaceMembership(i) => out.string(&s.wm(i).gid),
            Node::Team(i) => out.string(&s.team(i).gid),
            Node::TeamMembership(i) => out.string(s.tm(i).map_or("", |m| m.gid.as_str())),
            Node::UserTaskList(i) => out.string(&user_task_list_gid(&s.wm(i).gid)),
        }
    }

    /// A nested object: its compact form unless fields were named for it.
    fn nested(&self, out: &mut JsonWriter, node: Option<Node>, sub: Option<&Selection>) {
        match node {
            None => out.null(),
            Some(node) => match sub.filter(|s| s.explicit) {
                Some(sub) => self.object(out, node, Some(sub), Shape::Compact),
                None => self.object(out, node, None, Shape::Compact),
            },
        }
    }

    fn field(&self, out: &mut JsonWriter, node: Node, name: &str, sub: Option<&Selection>) {
        let s = self.store;
        match node {
            Node::User(i) => {
                let user = s.user(i);
                match name {
                    "name" => {
                        out.key(name);
                        out.string(&user.name);
                    }
                    "email" => {
                        // Asana omits what the caller may not see; the spec's email is not nullable.
                        if let Some(email) = user
                            .email
                            .as_deref()
                            .filter(|_| s.email_visible(self.viewer, i))
                        {
                            out.key(name);
                            out.string(email);
                        }
                    }
                    "photo" => {
                        out.key(name);
                        out.null();
                    }
                    "workspaces" => {
                        out.key(name);
                        out.begin_array();
                        let mut seen: Vec<Ix> = Vec::new();
                        for &m in &s.user_wms[i as usize] {
                            let Some((_, w)) = s.wm_link(m) else { continue };
                            if s.wm(m).is_active
                                && !seen.contains(&w)
                                && s.workspace_visible(self.viewer, w)
                            {
                                seen.push(w);
                            }
                        }
                        seen.sort_by(|&a, &b| {
                            crate::gid::gid_cmp(&s.workspace(a).gid, &s.workspace(b).gid)
                        });
                        for w in seen {
                            self.nested(out, Some(Node::Workspace(w)), sub);
                        }
                        out.end_array();
                    }
                    "custom_fields" => empty_array(out, name),
                    _ => {}
                }
            }
            Node::Workspace(i) => {
                let workspace = s.workspace(i);
                match name {
                    "name" => {
                        out.key(name);
                        out.string(&workspace.name);
                    }
                    "email_domains" => {
                        out.key(name);
                        out.begin_array();
                        for domain in &workspace.email_domains {
                            out.string(domain);
                        }
                        out.end_array();
                    }
                    "is_organization" => {
                        out.key(name);
                        out.bool(workspace.is_organization);
                    }
                    _ => {}
                }
            }
            Node::WorkspaceMembership(i) => {
                let membership = s.wm(i);
                let link = s.wm_link(i);
                match name {
                    "user" => {
                        out.key(name);
                        self.nested(out, link.map(|(u, _)| Node::User(u)), sub);
                    }
                    "workspace" => {
                        out.key(name);
                        self.nested(out, link.map(|(_, w)| Node::Workspace(w)), sub);
                    }
                    "user_task_list" => {
                        out.key(name);
                        self.nested(out, Some(Node::UserTaskList(i)), sub);
                    }
                    "is_active" => bool_field(out, name, membership.is_active),
                    "is_admin" => bool_field(out, name, membership.is_admin),
                    "is_guest" => bool_field(out, name, membership.is_guest),
                    "is_view_only" => bool_field(out, name, membership.is_view_only),
                    "vacation_dates" => {
                        out.key(name);
                        out.null();
                    }
                    "created_at" => {
                        out.key(name);
                        out.string(&membership.created_at);
                    }
                    _ => {}
                }
            }
            Node::UserTaskList(i) => {
                let link = s.wm_link(i);
                match name {
                    "name" => {
                        out.key(name);
                        let workspace = link.map_or("", |(_, w)| s.workspace(w).name.as_str());
                        out.string(&format!("My Tasks in {workspace}"));
                    }
                    "owner" => {
                        out.key(name);
                        self.nested(out, link.map(|(u, _)| Node::User(u)), sub);
                    }
                    "workspace" => {
                        out.key(name);
                        self.nested(out, link.map(|(_, w)| Node::Workspace(w)), sub);
                    }
                    _ => {}
                }
            }
            Node::Team(i) => {
                let team = s.team(i);
                match name {
                    "name" => string_field(out, name, &team.name),
                    "description" => string_field(out, name, &team.description),
                    "html_description" => string_field(
                        out,
                        name,
                        &format!("<body>{}</body>", html_escape(&team.description)),
                    ),
                    "organization" => {
                        out.key(name);
                        self.nested(out, s.team_org[i as usize].map(Node::Workspace), sub);
                    }
                    "permalink_url" => string_field(
                        out,
                        name,
                        &format!("https://app.asana.com/0/team/{}", team.gid),
                    ),
                    "visibility" => string_field(out, name, &team.visibility),
                    "member_invite_management_access_level" => {
                        string_field(out, name, &team.member_invite_management_access_level)
                    }
                    "team_member_removal_access_level" => {
                        string_field(out, name, &team.team_member_removal_access_level)
                    }
                    "edit_team_name_or_description_access_level"
                    | "edit_team_visibility_or_trash_team_access_level"
                    | "guest_invite_management_access_level"
                    | "join_request_management_access_level" => {
                        string_field(out, name, ACCESS_ALL_TEAM_MEMBERS)
                    }
                    "team_content_management_access_level" => {
                        string_field(out, name, "no_restriction")
                    }
                    "endorsed" => bool_field(out, name, false),
                    "custom_field_settings" => empty_array(out, name),
                    _ => {}
                }
            }
            Node::TeamMembership(i) => {
                let Some(membership) = s.tm(i) else { return };
                let link = s.tm_link(i);
                match name {
                    "user" => {
                        out.key(name);
                        self.nested(out, link.map(|(u, _)| Node::User(u)), sub);
                    }
                    "team" => {
                        out.key(name);
                        self.nested(out, link.map(|(_, t)| Node::Team(t)), sub);
                    }
                    "is_admin" => bool_field(out, name, membership.is_admin),
                    "is_guest" => bool_field(out, name, membership.is_guest),
                    "is_limited_access" => bool_field(out, name, membership.is_limited_access),
                    _ => {}
                }
            }
        }
    }
}

fn bool_field(out: &mut JsonWriter, name: &str, value: bool) {
    out.key(name);
    out.bool(value);
}

fn string_field(out: &mut JsonWriter, name: &str, value: &str) {
    out.key(name);
    out.string(value);
}

fn empty_array(out: &mut JsonWriter, name: &str) {
    out.key(name);
    out.begin_array();
    out.end_array();
}

/// The "My tasks" list has no record of its own; its gid is derived from the membership's
/// (one digit longer, so it cannot collide with a scenario gid of the same length).
fn user_task_list_gid(membership_gid: &str) -> String {
    format!("{membership_gid}1")
}

fn html_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '&' => escaped.push_str("&amp;"),
            '"' => escaped.push_str("&quot;"),
            _ => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writer_places_commas_and_escapes() {
        let mut out = JsonWriter::with_capacity(16);
        out.begin_object();
        out.key("a");
        out.begin_array();
        out.string("x\"y\\z\n\u{1}é🦄");
        out.bool(true);
        out.begin_object();
        out.end_object();
        out.null();
        out.end_array();
        out.key("b");
        out.begin_object();
        out.key("c");
        out.bool(false);
        out.end_object();
        out.end_object();
        let text = String::from_utf8(out.into_bytes()).unwrap();
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            parsed,
            serde_json::json!({"a": ["x\"y\\z\n\u{1}é🦄", true, {}, null], "b": {"c": false}})
        );
    }
}
