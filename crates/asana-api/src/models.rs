//! Typed Asana records. `gid` is always present; every other field is optional because `opt_fields`
//! decide what Asana returns. Unknown fields are ignored, so requesting more never breaks decoding.

use serde::{Deserialize, Serialize};

/// A user (`resource_type: "user"`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct User {
    pub gid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Only on full records when requested (`workspaces`, `workspaces.name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspaces: Option<Vec<Workspace>>,
}

/// A workspace or organization (`resource_type: "workspace"`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Workspace {
    pub gid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_organization: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_domains: Option<Vec<String>>,
}

/// One user's membership in one workspace (`resource_type: "workspace_membership"`). A user
/// removed and re-added has several: the old ones stay with `is_active: false`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct WorkspaceMembership {
    pub gid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<Workspace>,
    /// True also for invited users who have not accepted yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_active: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_admin: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_guest: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_view_only: Option<bool>,
    /// ISO-8601 date-time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
}

impl WorkspaceMembership {
    /// Gid of the member, if `user` was returned.
    pub fn user_gid(&self) -> Option<&str> {
        self.user.as_ref().map(|u| u.gid.as_str())
    }
}

/// A team (`resource_type: "team"`); teams exist only in organizations.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Team {
    pub gid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html_description: Option<String>,
    /// The organization the team belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<Workspace>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permalink_url: Option<String>,
    /// `secret`, `request_to_join` or `public`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<String>,
    /// `all_team_members` or `only_team_admins`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edit_team_name_or_description_access_level: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edit_team_visibility_or_trash_team_access_level: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_invite_management_access_level: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guest_invite_management_access_level: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub join_request_management_access_level: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_member_removal_access_level: Option<String>,
    /// `no_restriction` or `only_team_admins`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_content_management_access_level: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endorsed: Option<bool>,
}

/// One user's membership in one team (`resource_type: "team_membership"`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TeamMembership {
    pub gid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<Team>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_admin: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_guest: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_limited_access: Option<bool>,
}

impl TeamMembership {
    /// Gid of the member, if `user` was returned.
    pub fn user_gid(&self) -> Option<&str> {
        self.user.as_ref().map(|u| u.gid.as_str())
    }

    /// Gid of the team, if `team` was returned.
    pub fn team_gid(&self) -> Option<&str> {
        self.team.as_ref().map(|t| t.gid.as_str())
    }
}

/// Default `opt_fields` per model, used by the list and get helpers.
pub mod fields {
    /// Users.
    pub const USER: &[&str] = &["name", "email"];
    /// Workspaces.
    pub const WORKSPACE: &[&str] = &["name", "is_organization", "email_domains"];
    /// Workspace memberships.
    pub const WORKSPACE_MEMBERSHIP: &[&str] = &[
        "user",
        "user.name",
        "user.email",
        "workspace",
        "workspace.name",
        "is_active",
        "is_admin",
        "is_guest",
        "is_view_only",
        "created_at",
    ];
    /// Teams.
    pub const TEAM: &[&str] = &[
        "name",
        "description",
        "visibility",
        "organization",
        "organization.name",
        "permalink_url",
        "edit_team_name_or_description_access_level",
        "edit_team_visibility_or_trash_team_access_level",
        "member_invite_management_access_level",
        "guest_invite_management_access_level",
        "join_request_management_access_level",
        "team_member_removal_access_level",
        "team_content_management_access_level",
    ];
    /// Team memberships.
    pub const TEAM_MEMBERSHIP: &[&str] = &[
        "user",
        "user.name",
        "user.email",
        "team",
        "team.name",
        "is_admin",
        "is_guest",
        "is_limited_access",
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_asana_shapes_and_ignores_unknown_fields() {
        let m: WorkspaceMembership = serde_json::from_str(
            r#"{"gid":"9001","resource_type":"workspace_membership",
                "user":{"gid":"1","resource_type":"user","name":"Ann","photo":null},
                "is_active":true,"is_admin":true,"is_guest":false,"is_view_only":false,
                "created_at":"2024-01-02T03:04:05.000Z","vacation_dates":null}"#,
        )
        .unwrap();
        assert_eq!(m.user_gid(), Some("1"));
        assert_eq!(m.is_admin, Some(true));
        assert_eq!(m.workspace, None);

        let t: TeamMembership = serde_json::from_str(
            r#"{"gid":"7002","resource_type":"team_membership","user":{"gid":"1"},
                "team":{"gid":"222","name":"Eng"},"is_admin":false,"is_guest":false,
                "is_limited_access":true}"#,
        )
        .unwrap();
        assert_eq!(t.team_gid(), Some("222"));
        assert_eq!(t.is_limited_access, Some(true));

        let w: Workspace = serde_json::from_str(r#"{"gid":"1"}"#).unwrap();
        assert_eq!(w.name, None);
        assert!(serde_json::from_str::<User>(r#"{"name":"no gid"}"#).is_err());
    }

    #[test]
    fn unicode_and_long_names_round_trip() {
        let name = format!("Zoë 🚀 {}", "x".repeat(2000));
        let u = User {
            gid: "1".into(),
            name: Some(name.clone()),
            ..User::default()
        };
        let back: User = serde_json::from_str(&serde_json::to_string(&u).unwrap()).unwrap();
        assert_eq!(back.name.as_deref(), Some(name.as_str()));
    }
}
