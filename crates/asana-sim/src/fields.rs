//! `opt_fields`: which fields each resource type has, which it shows by default, and parsing
//! the caller's (possibly nested) selection.

use crate::api_error::ApiError;

/// The resource types the simulator renders.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    User,
    Workspace,
    WorkspaceMembership,
    Team,
    TeamMembership,
    UserTaskList,
    /// Always `null` (no photos in the simulator).
    Photo,
    /// Always `null` (deprecated field).
    VacationDates,
    /// Elements of always-empty arrays: any sub-field is accepted.
    Opaque,
}

impl Kind {
    pub fn resource_type(self) -> &'static str {
        match self {
            Kind::User => "user",
            Kind::Workspace => "workspace",
            Kind::WorkspaceMembership => "workspace_membership",
            Kind::Team => "team",
            Kind::TeamMembership => "team_membership",
            Kind::UserTaskList => "user_task_list",
            Kind::Photo => "photo",
            Kind::VacationDates => "vacation_dates",
            Kind::Opaque => "object",
        }
    }

    /// Known fields, with the kind of object a nested field holds.
    fn fields(self) -> &'static [(&'static str, Option<Kind>)] {
        match self {
            Kind::User => &[
                ("name", None),
                ("email", None),
                ("photo", Some(Kind::Photo)),
                ("workspaces", Some(Kind::Workspace)),
                ("custom_fields", Some(Kind::Opaque)),
            ],
            Kind::Workspace => &[
                ("name", None),
                ("email_domains", None),
                ("is_organization", None),
            ],
            Kind::WorkspaceMembership => &[
                ("user", Some(Kind::User)),
                ("workspace", Some(Kind::Workspace)),
                ("user_task_list", Some(Kind::UserTaskList)),
                ("is_active", None),
                ("is_admin", None),
                ("is_guest", None),
                ("is_view_only", None),
                ("vacation_dates", Some(Kind::VacationDates)),
                ("created_at", None),
            ],
            Kind::Team => &[
                ("name", None),
                ("description", None),
                ("html_description", None),
                ("organization", Some(Kind::Workspace)),
                ("permalink_url", None),
                ("visibility", None),
                ("edit_team_name_or_description_access_level", None),
                ("edit_team_visibility_or_trash_team_access_level", None),
                ("member_invite_management_access_level", None),
                ("guest_invite_management_access_level", None),
                ("join_request_management_access_level", None),
                ("team_member_removal_access_level", None),
                ("team_content_management_access_level", None),
                ("endorsed", None),
                ("custom_field_settings", Some(Kind::Opaque)),
            ],
            Kind::TeamMembership => &[
                ("user", Some(Kind::User)),
                ("team", Some(Kind::Team)),
                ("is_admin", None),
                ("is_guest", None),
                ("is_limited_access", None),
            ],
            Kind::UserTaskList => &[
                ("name", None),
                ("owner", Some(Kind::User)),
                ("workspace", Some(Kind::Workspace)),
            ],
            Kind::Photo => &[
                ("image_21x21", None),
                ("image_27x27", None),
                ("image_36x36", None),
                ("image_60x60", None),
                ("image_128x128", None),
                ("image_1024x1024", None),
            ],
            Kind::VacationDates => &[("start_on", None), ("end_on", None)],
            Kind::Opaque => &[],
        }
    }

    /// Fields shown when the caller names none.
    pub fn default_fields(self, shape: Shape) -> &'static [&'static str] {
        match (self, shape) {
            (Kind::User, Shape::Full) => &["name", "email", "photo", "workspaces"],
            (Kind::User, Shape::Base) => &["name", "email", "photo"],
            (Kind::Workspace, Shape::Full) => &["name", "email_domains", "is_organization"],
            (Kind::WorkspaceMembership, Shape::Compact) => &["user", "workspace"],
            (Kind::WorkspaceMembership, _) => &[
                "user",
                "workspace",
                "user_task_list",
                "is_active",
                "is_admin",
                "is_guest",
                "is_view_only",
                "vacation_dates",
                "created_at",
            ],
            (Kind::Team, Shape::Full) => &[
                "name",
                "organization",
                "permalink_url",
                "visibility",
                "edit_team_name_or_description_access_level",
                "edit_team_visibility_or_trash_team_access_level",
                "member_invite_management_access_level",
                "guest_invite_management_access_level",
                "join_request_management_access_level",
                "team_member_removal_access_level",
                "team_content_management_access_level",
                "endorsed",
            ],
            // The spec gives team memberships one schema for compact and full records.
            (Kind::TeamMembership, _) => {
                &["user", "team", "is_admin", "is_guest", "is_limited_access"]
            }
            (Kind::Photo | Kind::VacationDates | Kind::Opaque, _) => &[],
            _ => &["name"],
        }
    }

    fn nested_kind(self, field: &str) -> Result<Option<Kind>, ()> {
        if self == Kind::Opaque {
            return Ok(Some(Kind::Opaque));
        }
        self.fields()
            .iter()
            .find(|(name, _)| *name == field)
            .map(|(_, nested)| *nested)
            .ok_or(())
    }
}

/// Compact records in lists, full records from single-object reads, `UserBaseResponse` from
/// workspace `addUser`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    Compact,
    Full,
    Base,
}

/// A parsed `opt_fields` tree. An empty selection on a nested object means its compact form.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Selection {
    pub fields: Vec<(String, Selection)>,
    /// Fields were named for this object (possibly only `gid`), so its compact form is not used.
    pub explicit: bool,
}

/// Top-level names that select parts of the pagination envelope rather than record fields.
const ENVELOPE_FIELDS: [&str; 4] = ["next_page", "offset", "path", "uri"];

impl Selection {
    /// Parses a comma-separated `opt_fields` value for records of `kind`. `Ok(None)` when no
    /// field was named (default shape). Unknown fields are a 400, as on Asana.
    pub fn parse(opt_fields: &str, kind: Kind) -> Result<Option<Selection>, ApiError> {
        let mut root = Selection {
            explicit: true,
            ..Selection::default()
        };
        let mut named_any = false;
        for path in opt_fields
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            if ENVELOPE_FIELDS.contains(&path) {
                named_any = true;
                continue;
            }
            root.insert(path, kind)?;
            named_any = true;
        }
        Ok(named_any.then_some(root))
    }

    fn insert(&mut self, path: &str, kind: Kind) -> Result<(), ApiError> {
        let segments: Vec<&str> = path.split('.').collect();
        let mut node = self;
        let mut kind = kind;
        for (i, segment) in segments.iter().enumerate() {
            let is_last = i + 1 == segments.len();
            if segment.is_empty() {
                return Err(unknown_field(path, kind));
            }
            // gid and resource_type are always part of an object; naming them only makes the
            // object's field list explicit.
            if *segment == "gid" || *segment == "resource_type" {
                if !is_last {
                    return Err(unknown_field(path, kind));
                }
                node.explicit = true;
                return Ok(());
            }
            let nested = kind
                .nested_kind(segment)
                .map_err(|()| unknown_field(path, kind))?;
            node.explicit = true;
            let position = match node.fields.iter().position(|(name, _)| name == segment) {
                Some(position) => position,
                None => {
                    node.fields
                        .push((segment.to_string(), Selection::default()));
                    node.fields.len() - 1
                }
            };
            node = &mut node.fields[position].1;
            match nested {
                Some(next) => kind = next,
                None if is_last => return Ok(()),
                // A scalar has no sub-fields.
                None => return Err(unknown_field(path, kind)),
            }
        }
        Ok(())
    }
}

fn unknown_field(path: &str, kind: Kind) -> ApiError {
    ApiError::bad_request(format!(
        "opt_fields: '{path}' is not a valid field for a {}",
        kind.resource_type()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(sel: &Selection) -> Vec<&str> {
        sel.fields.iter().map(|(n, _)| n.as_str()).collect()
    }

    #[test]
    fn parses_nested_paths_into_a_tree() {
        let sel = Selection::parse(
            "user.name,user.email, is_admin,workspace,user.name",
            Kind::WorkspaceMembership,
        )
        .unwrap()
        .unwrap();
        assert_eq!(names(&sel), ["user", "is_admin", "workspace"]);
        assert_eq!(names(&sel.fields[0].1), ["name", "email"]);
        assert!(sel.fields[2].1.fields.is_empty());
    }

    #[test]
    fn empty_or_envelope_only_selection() {
        assert_eq!(Selection::parse("", Kind::User).unwrap(), None);
        assert_eq!(Selection::parse(" , ", Kind::User).unwrap(), None);
        let envelope_only = Selection::parse("offset,path,uri", Kind::User)
            .unwrap()
            .unwrap();
        assert!(envelope_only.fields.is_empty());
    }

    #[test]
    fn rejects_unknown_fields_and_subfields_of_scalars() {
        let err = Selection::parse("is_admin,bogus", Kind::TeamMembership).unwrap_err();
        assert_eq!(err.status, axum::http::StatusCode::BAD_REQUEST);
        assert!(err.message.contains("bogus"));
        assert!(Selection::parse("is_admin.x", Kind::TeamMembership).is_err());
        assert!(Selection::parse("user.bogus", Kind::TeamMembership).is_err());
        assert!(Selection::parse("user..name", Kind::TeamMembership).is_err());
    }

    #[test]
    fn gid_and_opaque_subfields_are_accepted() {
        let sel = Selection::parse("gid,resource_type,user.gid", Kind::TeamMembership)
            .unwrap()
            .unwrap();
        assert_eq!(names(&sel), ["user"]);
        assert!(sel.fields[0].1.explicit && sel.fields[0].1.fields.is_empty());
        assert!(Selection::parse("user.gid.x", Kind::TeamMembership).is_err());
        assert!(Selection::parse("custom_fields.anything.deeper", Kind::User).is_ok());
        assert!(Selection::parse("photo.image_128x128", Kind::User).is_ok());
    }
}
