//! Pure functions from Asana objects to baton resources, entitlements and
//! grants. The IDs, slugs and display names are a contract with ConductorOne
//! (they match the Go connector); the roles and user status are computed
//! correctly where the Go connector gets them wrong.

use std::collections::HashMap;

use asana_api::{Team, TeamMembership, WorkspaceMembership};
use baton_proto::ids::{entitlement_id, grant_id, resource_id};
use baton_proto::v2::entitlement::PurposeValue;
use baton_proto::v2::resource::status::ResourceStatus;
use baton_proto::v2::resource::CreationSource;
use baton_proto::v2::resource::Status as ResourceStatusMessage;
use baton_proto::v2::user_trait::{self, AccountType, Email, StructuredName};
use baton_proto::v2::{
    ChildResourceType, Entitlement, Grant, GrantImmutable, GroupTrait, Resource, ResourceId,
    UserTrait,
};
use baton_proto::{find_annotation, pack_any, Struct, Value};

use crate::resource_types::{self, TEAM, USER, WORKSPACE};

/// baton limits display names to 1024 bytes.
pub const MAX_DISPLAY_NAME_BYTES: usize = 1024;

pub const WORKSPACE_ADMIN: &str = "Admin";
pub const WORKSPACE_MEMBER: &str = "Member";
pub const WORKSPACE_GUEST: &str = "Guest";
/// Workspace entitlement slugs in the Go connector's order.
pub const WORKSPACE_SLUGS: [&str; 3] = [WORKSPACE_ADMIN, WORKSPACE_MEMBER, WORKSPACE_GUEST];

pub const TEAM_GUEST: &str = "Guest";
pub const TEAM_ADMIN: &str = "Admin";
pub const TEAM_LIMITED_ACCESS: &str = "Limited Access";
pub const TEAM_MEMBER: &str = "Team Member";
/// Team entitlement slugs in the Go connector's order.
pub const TEAM_SLUGS: [&str; 4] = [TEAM_GUEST, TEAM_ADMIN, TEAM_LIMITED_ACCESS, TEAM_MEMBER];

/// Profile key holding the user's role in each synced workspace.
pub const PROFILE_WORKSPACE_ROLES: &str = "workspace_roles";
const ROLE_ADMIN: &str = "admin";
const ROLE_MEMBER: &str = "member";
const ROLE_GUEST: &str = "guest";
const ROLE_INACTIVE: &str = "inactive";
const DISABLED_DETAILS: &str = "no active membership in any synced Asana workspace";

/// A workspace the sync covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncedWorkspace {
    pub gid: String,
    pub name: String,
    pub is_organization: bool,
}

/// Truncates to at most `max` bytes without splitting a character.
pub fn truncate_bytes(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

fn display_name(name: Option<&str>, fallbacks: &[Option<&str>], gid: &str) -> String {
    let chosen = std::iter::once(name)
        .chain(fallbacks.iter().copied())
        .flatten()
        .map(str::trim)
        .find(|s| !s.is_empty())
        .unwrap_or(gid);
    truncate_bytes(chosen, MAX_DISPLAY_NAME_BYTES).to_owned()
}

fn string(value: impl Into<String>) -> Value {
    Value::from(value.into())
}

fn profile(entries: impl IntoIterator<Item = (&'static str, Value)>) -> Struct {
    Struct {
        fields: entries
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
    }
}

/// The workspace resource: GroupTrait profile as the Go connector, and
/// `user` and `team` as child resource types.
pub fn workspace_resource(ws: &SyncedWorkspace) -> Resource {
    let trait_ = GroupTrait {
        profile: Some(profile([
            ("workspace_id", string(&ws.gid)),
            ("workspace_name", string(&ws.name)),
            ("is_organization", Value::from(ws.is_organization)),
        ])),
        ..Default::default()
    };
    Resource {
        // As stored by the sync, so grants embedding it carry the same bytes.
        creation_source: CreationSource::ConnectorListResources as i32,
        id: Some(resource_id(WORKSPACE, &ws.gid)),
        display_name: display_name(Some(&ws.name), &[], &ws.gid),
        annotations: vec![
            pack_any(&ChildResourceType {
                resource_type_id: USER.to_owned(),
            }),
            pack_any(&ChildResourceType {
                resource_type_id: TEAM.to_owned(),
            }),
            pack_any(&trait_),
        ],
        ..Default::default()
    }
}

/// A team resource under its organization.
pub fn team_resource(team: &Team, workspace_gid: &str) -> Resource {
    let name = team.name.clone().unwrap_or_default();
    let mut entries = vec![("team_id", string(&team.gid)), ("team_name", string(&name))];
    if let Some(visibility) = team.visibility.as_deref().filter(|v| !v.is_empty()) {
        entries.push(("visibility", string(visibility)));
    }
    if let Some(description) = team.description.as_deref().filter(|d| !d.is_empty()) {
        entries.push(("description", string(description)));
    }
    let trait_ = GroupTrait {
        profile: Some(profile(entries)),
        ..Default::default()
    };
    Resource {
        id: Some(resource_id(TEAM, &team.gid)),
        parent_resource_id: Some(resource_id(WORKSPACE, workspace_gid)),
        display_name: display_name(team.name.as_deref(), &[], &team.gid),
        annotations: vec![pack_any(&trait_)],
        ..Default::default()
    }
}

fn role_of(membership: &WorkspaceMembership) -> &'static str {
    if !membership.is_active.unwrap_or(false) {
        ROLE_INACTIVE
    } else if membership.is_admin.unwrap_or(false) {
        ROLE_ADMIN
    } else if membership.is_guest.unwrap_or(false) {
        ROLE_GUEST
    } else {
        ROLE_MEMBER
    }
}

/// Orders roles so merging two memberships in one workspace keeps the
/// active one (a removed-then-re-added user has both).
fn role_rank(role: &str) -> u8 {
    match role {
        ROLE_ADMIN => 4,
        ROLE_MEMBER => 3,
        ROLE_GUEST => 2,
        ROLE_INACTIVE => 1,
        _ => 0,
    }
}

fn split_name(name: &str) -> (String, String) {
    match name.trim().split_once(' ') {
        Some((first, last)) => (first.to_owned(), last.trim().to_owned()),
        None => (name.trim().to_owned(), String::new()),
    }
}

/// What we know of a user, gathered from one or more workspace memberships.
#[derive(Debug, Clone, PartialEq, Default)]
struct UserFacts {
    gid: String,
    name: Option<String>,
    email: Option<String>,
    /// workspace gid → role (`admin`, `member`, `guest`, `inactive`).
    roles: HashMap<String, String>,
}

impl UserFacts {
    fn is_active(&self) -> bool {
        self.roles.values().any(|r| r != ROLE_INACTIVE)
    }

    /// The parent workspace, chosen independently of listing order so that
    /// two syncs of the same tenant give the same file: the lowest gid among
    /// workspaces where the user is active (else among all).
    fn parent(&self) -> Option<&str> {
        let pick = |active_only: bool| {
            self.roles
                .iter()
                .filter(|(_, r)| !active_only || r.as_str() != ROLE_INACTIVE)
                .map(|(ws, _)| ws.as_str())
                .min_by(|a, b| gid_order(a, b))
        };
        pick(true).or_else(|| pick(false))
    }

    fn merge(mut self, other: UserFacts) -> UserFacts {
        if self.name.as_deref().is_none_or(|n| n.trim().is_empty()) {
            self.name = other.name;
        }
        if self.email.as_deref().is_none_or(str::is_empty) {
            self.email = other.email;
        }
        for (ws, role) in other.roles {
            let entry = self.roles.entry(ws).or_insert_with(|| role.clone());
            if role_rank(&role) > role_rank(entry) {
                *entry = role;
            }
        }
        self
    }
}

/// Asana gids are decimal strings; compare them as numbers.
fn gid_order(a: &str, b: &str) -> std::cmp::Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

fn facts_from_membership(
    membership: &WorkspaceMembership,
    workspace_gid: &str,
) -> Option<UserFacts> {
    let user = membership.user.as_ref()?;
    let mut roles = HashMap::new();
    roles.insert(workspace_gid.to_owned(), role_of(membership).to_owned());
    Some(UserFacts {
        gid: user.gid.clone(),
        name: user.name.clone(),
        email: user.email.clone().filter(|e| !e.trim().is_empty()),
        roles,
    })
}

fn facts_from_resource(resource: &Resource) -> Option<UserFacts> {
    let trait_: UserTrait = find_annotation(&resource.annotations).ok().flatten()?;
    let gid = resource.id.as_ref()?.resource.clone();
    let profile = trait_.profile.unwrap_or_default();
    let text = |key: &str| match profile.fields.get(key).and_then(|v| v.kind.as_ref()) {
        Some(baton_proto::ValueKind::StringValue(s)) => Some(s.clone()),
        _ => None,
    };
    let mut roles = HashMap::new();
    if let Some(baton_proto::ValueKind::StructValue(s)) = profile
        .fields
        .get(PROFILE_WORKSPACE_ROLES)
        .and_then(|v| v.kind.as_ref())
    {
        for (ws, v) in &s.fields {
            if let Some(baton_proto::ValueKind::StringValue(role)) = v.kind.as_ref() {
                roles.insert(ws.clone(), role.clone());
            }
        }
    }
    Some(UserFacts {
        gid,
        name: text("full_name"),
        email: trait_
            .emails
            .iter()
            .find(|e| e.is_primary)
            .or(trait_.emails.first())
            .map(|e| e.address.clone()),
        roles,
    })
}

fn user_resource_from_facts(facts: &UserFacts) -> Resource {
    let name = facts.name.clone().unwrap_or_default();
    let email = facts.email.clone().unwrap_or_default();
    let (first_name, last_name) = split_name(&name);
    let active = facts.is_active();
    let roles: Struct = Struct {
        fields: facts
            .roles
            .iter()
            .map(|(ws, role)| (ws.clone(), string(role)))
            .collect(),
    };
    let user_profile = profile([
        ("first_name", string(&first_name)),
        ("last_name", string(&last_name)),
        ("full_name", string(&name)),
        ("login", string(&email)),
        ("email", string(&email)),
        ("user_id", string(&facts.gid)),
        (PROFILE_WORKSPACE_ROLES, Value::from(roles)),
    ]);
    let (status, details) = if active {
        (user_trait::status::Status::Enabled, String::new())
    } else {
        (
            user_trait::status::Status::Disabled,
            DISABLED_DETAILS.to_owned(),
        )
    };
    let trait_ = UserTrait {
        emails: if email.is_empty() {
            Vec::new()
        } else {
            vec![Email {
                address: email.clone(),
                is_primary: true,
            }]
        },
        status: Some(user_trait::Status {
            status: status as i32,
            details: details.clone(),
        }),
        profile: Some(user_profile),
        account_type: AccountType::Human as i32,
        login: email.clone(),
        structured_name: (!name.trim().is_empty()).then(|| StructuredName {
            given_name: first_name.clone(),
            family_name: last_name.clone(),
            ..Default::default()
        }),
        ..Default::default()
    };
    Resource {
        id: Some(resource_id(USER, &facts.gid)),
        parent_resource_id: facts.parent().map(|ws| resource_id(WORKSPACE, ws)),
        display_name: display_name(facts.name.as_deref(), &[facts.email.as_deref()], &facts.gid),
        annotations: vec![pack_any(&trait_)],
        status: Some(ResourceStatusMessage {
            status: if active {
                ResourceStatus::Enabled as i32
            } else {
                ResourceStatus::Disabled as i32
            },
            details,
        }),
        ..Default::default()
    }
}

/// The user resource one workspace membership describes (status from this
/// membership alone; [`merge_users`] combines several).
pub fn user_from_membership(
    membership: &WorkspaceMembership,
    workspace_gid: &str,
) -> Option<Resource> {
    facts_from_membership(membership, workspace_gid).map(|f| user_resource_from_facts(&f))
}

/// Combines two listings of the same user (several workspaces, or a removed
/// and re-added membership): enabled if active anywhere, roles per workspace,
/// a deterministic parent.
pub fn merge_users(existing: &Resource, incoming: Resource) -> Resource {
    match (
        facts_from_resource(existing),
        facts_from_resource(&incoming),
    ) {
        (Some(a), Some(b)) => user_resource_from_facts(&a.merge(b)),
        _ => incoming,
    }
}

fn permission_entitlement(
    resource: &Resource,
    slug: &str,
    display_name: String,
    description: String,
) -> Entitlement {
    let id = resource.id.clone().unwrap_or_default();
    Entitlement {
        resource: Some(resource.clone()),
        id: entitlement_id(&id, slug),
        display_name,
        description,
        grantable_to: vec![resource_types::user()],
        purpose: PurposeValue::Permission as i32,
        slug: slug.to_owned(),
        ..Default::default()
    }
}

pub fn workspace_entitlements(workspace: &Resource) -> Vec<Entitlement> {
    WORKSPACE_SLUGS
        .iter()
        .map(|slug| {
            permission_entitlement(
                workspace,
                slug,
                format!("{} Workspace {}", workspace.display_name, slug),
                format!("Role in {} Asana workspace", workspace.display_name),
            )
        })
        .collect()
}

pub fn team_entitlements(team: &Resource) -> Vec<Entitlement> {
    TEAM_SLUGS
        .iter()
        .map(|slug| {
            permission_entitlement(
                team,
                slug,
                format!("{} Team {}", team.display_name, slug),
                format!("Role in {} Asana team", team.display_name),
            )
        })
        .collect()
}

/// A grant of `slug` on `resource` to a user, as baton-sdk's NewGrant builds it
/// (entitlement carries only its id and resource; principal only its id).
pub fn grant(resource: &Resource, slug: &str, user_gid: &str, immutable: bool) -> Grant {
    let rid = resource.id.clone().unwrap_or_default();
    let ent_id = entitlement_id(&rid, slug);
    let principal: ResourceId = resource_id(USER, user_gid);
    Grant {
        id: grant_id(&ent_id, &principal),
        entitlement: Some(Entitlement {
            id: ent_id,
            resource: Some(resource.clone()),
            ..Default::default()
        }),
        principal: Some(Resource {
            id: Some(principal),
            ..Default::default()
        }),
        annotations: if immutable {
            vec![pack_any(&GrantImmutable::default())]
        } else {
            Vec::new()
        },
        ..Default::default()
    }
}

/// Grants of one workspace membership: none if inactive; `Guest` or `Member`,
/// plus `Admin` (immutable: Asana's API cannot change it) for admins.
pub fn workspace_grants(workspace: &Resource, membership: &WorkspaceMembership) -> Vec<Grant> {
    let Some(user) = membership.user.as_ref() else {
        return Vec::new();
    };
    if !membership.is_active.unwrap_or(false) {
        return Vec::new();
    }
    let mut grants = Vec::with_capacity(2);
    if membership.is_guest.unwrap_or(false) {
        grants.push(grant(workspace, WORKSPACE_GUEST, &user.gid, false));
    } else {
        grants.push(grant(workspace, WORKSPACE_MEMBER, &user.gid, false));
    }
    if membership.is_admin.unwrap_or(false) {
        grants.push(grant(workspace, WORKSPACE_ADMIN, &user.gid, true));
    }
    grants
}

/// Grants of one team membership: `Team Member` always, plus `Admin`,
/// `Limited Access` and `Guest` (all immutable) per its flags.
pub fn team_grants(team: &Resource, membership: &TeamMembership) -> Vec<Grant> {
    let Some(user) = membership.user.as_ref() else {
        return Vec::new();
    };
    let mut grants = vec![grant(team, TEAM_MEMBER, &user.gid, false)];
    if membership.is_admin.unwrap_or(false) {
        grants.push(grant(team, TEAM_ADMIN, &user.gid, true));
    }
    if membership.is_limited_access.unwrap_or(false) {
        grants.push(grant(team, TEAM_LIMITED_ACCESS, &user.gid, true));
    }
    if membership.is_guest.unwrap_or(false) {
        grants.push(grant(team, TEAM_GUEST, &user.gid, true));
    }
    grants
}

#[cfg(test)]
mod tests {
    use super::*;
    use asana_api::User;
    use baton_proto::v2::resource_type::Trait;

    fn membership(user: &str, active: bool, admin: bool, guest: bool) -> WorkspaceMembership {
        WorkspaceMembership {
            gid: format!("m{user}"),
            user: Some(User {
                gid: user.into(),
                name: Some(format!("User {user}")),
                email: Some(format!("u{user}@example.com")),
                ..Default::default()
            }),
            is_active: Some(active),
            is_admin: Some(admin),
            is_guest: Some(guest),
            ..Default::default()
        }
    }

    fn ws(gid: &str) -> SyncedWorkspace {
        SyncedWorkspace {
            gid: gid.into(),
            name: format!("WS {gid}"),
            is_organization: true,
        }
    }

    fn trait_of(r: &Resource) -> UserTrait {
        find_annotation(&r.annotations).unwrap().unwrap()
    }

    fn status(r: &Resource) -> i32 {
        trait_of(r).status.unwrap().status
    }

    #[test]
    fn truncates_at_char_boundaries() {
        let s = "é".repeat(600); // 1200 bytes
        let t = truncate_bytes(&s, 1024);
        assert!(t.len() <= 1024 && t.len() >= 1022);
        assert!(s.starts_with(t));
        assert_eq!(truncate_bytes("abc", 1024), "abc");
    }

    #[test]
    fn workspace_grants_follow_the_active_membership_roles() {
        let w = workspace_resource(&ws("1"));
        let ids = |m: &WorkspaceMembership| -> Vec<String> {
            workspace_grants(&w, m).into_iter().map(|g| g.id).collect()
        };
        assert_eq!(
            ids(&membership("7", true, false, false)),
            ["workspace:1:Member:user:7"]
        );
        assert_eq!(
            ids(&membership("7", true, true, false)),
            ["workspace:1:Member:user:7", "workspace:1:Admin:user:7"]
        );
        assert_eq!(
            ids(&membership("7", true, false, true)),
            ["workspace:1:Guest:user:7"]
        );
        assert!(ids(&membership("7", false, true, false)).is_empty());
        let admin = workspace_grants(&w, &membership("7", true, true, false));
        assert!(find_annotation::<GrantImmutable>(&admin[1].annotations)
            .unwrap()
            .is_some());
        assert!(find_annotation::<GrantImmutable>(&admin[0].annotations)
            .unwrap()
            .is_none());
    }

    #[test]
    fn team_grants_cover_every_flag() {
        let team = team_resource(
            &Team {
                gid: "9".into(),
                name: Some("Eng".into()),
                ..Default::default()
            },
            "1",
        );
        let m = TeamMembership {
            gid: "tm".into(),
            user: Some(User {
                gid: "7".into(),
                ..Default::default()
            }),
            is_admin: Some(true),
            is_guest: Some(true),
            is_limited_access: Some(true),
            ..Default::default()
        };
        let grants = team_grants(&team, &m);
        let ids: Vec<_> = grants.iter().map(|g| g.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "team:9:Team Member:user:7",
                "team:9:Admin:user:7",
                "team:9:Limited Access:user:7",
                "team:9:Guest:user:7"
            ]
        );
        assert!(grants[1..]
            .iter()
            .all(|g| find_annotation::<GrantImmutable>(&g.annotations)
                .unwrap()
                .is_some()));
        assert!(find_annotation::<GrantImmutable>(&grants[0].annotations)
            .unwrap()
            .is_none());
    }

    #[test]
    fn entitlements_use_go_ids_and_names() {
        let w = workspace_resource(&ws("1"));
        let e = workspace_entitlements(&w);
        assert_eq!(e[0].id, "workspace:1:Admin");
        assert_eq!(e[1].display_name, "WS 1 Workspace Member");
        assert_eq!(e[2].description, "Role in WS 1 Asana workspace");
        assert_eq!(e[0].grantable_to[0].traits, vec![Trait::User as i32]);
        let t = team_resource(
            &Team {
                gid: "9".into(),
                name: Some("Eng".into()),
                ..Default::default()
            },
            "1",
        );
        let te = team_entitlements(&t);
        let ids: Vec<_> = te.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "team:9:Guest",
                "team:9:Admin",
                "team:9:Limited Access",
                "team:9:Team Member"
            ]
        );
        assert_eq!(te[3].display_name, "Eng Team Team Member");
    }

    #[test]
    fn user_status_is_enabled_if_active_anywhere_and_merge_is_order_independent() {
        let inactive = user_from_membership(&membership("7", false, false, false), "2").unwrap();
        let active = user_from_membership(&membership("7", true, true, false), "10").unwrap();
        assert_eq!(
            status(&inactive),
            user_trait::status::Status::Disabled as i32
        );
        assert_eq!(status(&active), user_trait::status::Status::Enabled as i32);
        let a = merge_users(&inactive, active.clone());
        let b = merge_users(&active, inactive.clone());
        assert_eq!(a, b);
        assert_eq!(status(&a), user_trait::status::Status::Enabled as i32);
        // Parent: the workspace where the user is active.
        assert_eq!(a.parent_resource_id.unwrap().resource, "10");
    }

    #[test]
    fn display_name_falls_back_to_email_then_gid() {
        let mut m = membership("7", true, false, false);
        m.user.as_mut().unwrap().name = Some(String::new());
        assert_eq!(
            user_from_membership(&m, "1").unwrap().display_name,
            "u7@example.com"
        );
        m.user.as_mut().unwrap().email = None;
        let r = user_from_membership(&m, "1").unwrap();
        assert_eq!(r.display_name, "7");
        assert!(trait_of(&r).emails.is_empty());
    }
}
