//! The simulated tenant's ground truth: plain data, no indexes.
//!
//! These records are what tests compare against; the HTTP layer renders them in Asana's shapes.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Everything the simulated Asana knows about.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Tenant {
    pub workspaces: Vec<Workspace>,
    pub users: Vec<User>,
    pub workspace_memberships: Vec<WorkspaceMembership>,
    pub teams: Vec<Team>,
    pub team_memberships: Vec<TeamMembership>,
    /// The user each token acts as.
    pub token_owners: TokenOwners,
}

/// The user gid behind each token role. The service account is a user record with no
/// workspace memberships (it sees everything through its Enterprise scope instead).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenOwners {
    pub admin: String,
    pub member: String,
    pub guest: String,
    pub service_account: String,
}

impl TokenOwners {
    pub fn owner(&self, role: TokenRole) -> &str {
        match role {
            TokenRole::Admin => &self.admin,
            TokenRole::Member => &self.member,
            TokenRole::Guest => &self.guest,
            TokenRole::ServiceAccount => &self.service_account,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub gid: String,
    pub name: String,
    /// `None` means the e-mail address is never visible through the API (the key is omitted).
    pub email: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Workspace {
    pub gid: String,
    pub name: String,
    pub is_organization: bool,
    pub email_domains: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceMembership {
    pub gid: String,
    pub user_gid: String,
    pub workspace_gid: String,
    pub is_active: bool,
    pub is_admin: bool,
    pub is_guest: bool,
    pub is_view_only: bool,
    /// RFC 3339 with milliseconds and `Z`, as Asana prints it.
    pub created_at: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    pub gid: String,
    pub name: String,
    pub organization_gid: String,
    pub description: String,
    /// `secret`, `request_to_join` or `public`.
    pub visibility: String,
    /// `all_team_members` or `only_team_admins`.
    pub member_invite_management_access_level: String,
    /// `all_team_members` or `only_team_admins`.
    pub team_member_removal_access_level: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamMembership {
    pub gid: String,
    pub user_gid: String,
    pub team_gid: String,
    pub is_admin: bool,
    pub is_guest: bool,
    pub is_limited_access: bool,
}

pub const VISIBILITY_SECRET: &str = "secret";
pub const VISIBILITY_REQUEST_TO_JOIN: &str = "request_to_join";
pub const VISIBILITY_PUBLIC: &str = "public";
pub const ACCESS_ALL_TEAM_MEMBERS: &str = "all_team_members";
pub const ACCESS_ONLY_TEAM_ADMINS: &str = "only_team_admins";

/// Who a token acts as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TokenRole {
    /// PAT of an organization admin.
    Admin,
    /// PAT of a plain organization member.
    Member,
    /// PAT of a guest of the organization.
    Guest,
    /// Enterprise service-account token with full permissions.
    ServiceAccount,
}

impl TokenRole {
    pub const ALL: [TokenRole; 4] = [
        TokenRole::Admin,
        TokenRole::Member,
        TokenRole::Guest,
        TokenRole::ServiceAccount,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TokenRole::Admin => "admin",
            TokenRole::Member => "member",
            TokenRole::Guest => "guest",
            TokenRole::ServiceAccount => "service-account",
        }
    }

    pub(crate) fn index(self) -> usize {
        match self {
            TokenRole::Admin => 0,
            TokenRole::Member => 1,
            TokenRole::Guest => 2,
            TokenRole::ServiceAccount => 3,
        }
    }
}

impl fmt::Display for TokenRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text was not one of `admin`, `member`, `guest`, `service-account`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown token role {0:?} (expected admin, member, guest or service-account)")]
pub struct UnknownTokenRole(pub String);

impl FromStr for TokenRole {
    type Err = UnknownTokenRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TokenRole::ALL
            .into_iter()
            .find(|role| role.as_str() == s)
            .ok_or_else(|| UnknownTokenRole(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_roles_round_trip_through_text() {
        for role in TokenRole::ALL {
            assert_eq!(role.to_string().parse::<TokenRole>(), Ok(role));
        }
        assert_eq!(TokenRole::ServiceAccount.to_string(), "service-account");
        assert!("owner".parse::<TokenRole>().is_err());
        let json = serde_json::to_string(&TokenRole::ServiceAccount).unwrap();
        assert_eq!(json, "\"service-account\"");
    }
}
