//! The hand-built `quirks` tenant: every hard case we know of, under named gids.
//!
//! Token owners: the admin PAT acts as [`ADMIN_USER`], the member PAT as [`MEMBER_USER`], the
//! guest PAT as [`GUEST_USER`], the service account as [`SERVICE_ACCOUNT_USER`].
//!
//! | case | where |
//! |---|---|
//! | an organization and a plain workspace | [`ORG`], [`PLAIN_WORKSPACE`] |
//! | a workspace where the admin PAT's owner is only a guest | [`GUEST_ONLY_WORKSPACE`] |
//! | a workspace no PAT can see (service account only) | [`HIDDEN_WORKSPACE`] |
//! | one user, different roles per workspace | [`ADMIN_USER`] (org admin, plain member, partner guest), [`MEMBER_USER`] (org member, plain admin), [`MULTI_ROLE_USER`] |
//! | removed then re-added (old inactive + new active membership) | [`REMOVED_READDED_USER`], [`REMOVED_READDED_OLD_MEMBERSHIP`], [`REMOVED_READDED_NEW_MEMBERSHIP`] |
//! | only membership is inactive | [`INACTIVE_ONLY_USER`], [`INACTIVE_ONLY_MEMBERSHIP`]; [`INACTIVE_ADMIN_USER`] (inactive *and* `is_admin`) |
//! | no visible e-mail | [`NO_EMAIL_USER`], [`NO_EMAIL_GUEST_USER`] |
//! | unicode / emoji / RTL names | [`UNICODE_USER`], [`CJK_USER`], [`EMOJI_USER`], [`RTL_USER`], [`UNICODE_TEAM`] |
//! | a name longer than 1024 bytes | [`LONG_NAME_USER`] |
//! | names containing `:` | [`COLON_USER`], [`COLON_USER_2`], [`BIG_TEAM`], [`RESTRICTED_TEAM`] |
//! | view-only licence | [`VIEW_ONLY_USER`] |
//! | not in the organization (team addUser must fail) | [`PLAIN_ONLY_USER`] |
//! | teams with 0, 100, 101 and 350 members | [`EMPTY_TEAM`], [`HUNDRED_TEAM`], [`HUNDRED_ONE_TEAM`], [`BIG_TEAM`] |
//! | team admin, limited-access member, guest team member | [`ALPHA_TEAM`] with [`TEAM_ADMIN_USER`], [`LIMITED_ACCESS_USER`], [`GUEST_USER`] |
//! | add/remove restricted to team admins | [`RESTRICTED_TEAM`] ([`MEMBER_USER`] is a plain member, [`MULTI_ROLE_USER`] its team admin) |
//! | secret teams | [`SECRET_TEAM_WITH_ADMIN`] (admin PAT is in it), [`SECRET_TEAM_HIDDEN`] (no PAT owner is in it) |

use crate::model::{
    Team, TeamMembership, Tenant, TokenOwners, User, Workspace, WorkspaceMembership,
    ACCESS_ALL_TEAM_MEMBERS, ACCESS_ONLY_TEAM_ADMINS, VISIBILITY_PUBLIC,
    VISIBILITY_REQUEST_TO_JOIN, VISIBILITY_SECRET,
};

pub const ORG: &str = "1100000000000001";
pub const PLAIN_WORKSPACE: &str = "1100000000000002";
pub const GUEST_ONLY_WORKSPACE: &str = "1100000000000003";
pub const HIDDEN_WORKSPACE: &str = "1100000000000004";

pub const ORG_DOMAIN: &str = "quirks.example";
pub const GUEST_ONLY_WORKSPACE_DOMAIN: &str = "partner.example";

pub const ADMIN_USER: &str = "1200000000000001";
pub const MEMBER_USER: &str = "1200000000000002";
pub const GUEST_USER: &str = "1200000000000003";
pub const SERVICE_ACCOUNT_USER: &str = "1200000000000004";
pub const MULTI_ROLE_USER: &str = "1200000000000005";
pub const REMOVED_READDED_USER: &str = "1200000000000006";
pub const INACTIVE_ONLY_USER: &str = "1200000000000007";
pub const INACTIVE_ADMIN_USER: &str = "1200000000000008";
pub const NO_EMAIL_USER: &str = "1200000000000009";
pub const NO_EMAIL_GUEST_USER: &str = "1200000000000010";
pub const UNICODE_USER: &str = "1200000000000011";
pub const CJK_USER: &str = "1200000000000012";
pub const EMOJI_USER: &str = "1200000000000013";
pub const RTL_USER: &str = "1200000000000014";
pub const LONG_NAME_USER: &str = "1200000000000015";
pub const COLON_USER: &str = "1200000000000016";
pub const COLON_USER_2: &str = "1200000000000017";
pub const VIEW_ONLY_USER: &str = "1200000000000018";
pub const PLAIN_ONLY_USER: &str = "1200000000000019";
pub const LIMITED_ACCESS_USER: &str = "1200000000000020";
pub const TEAM_ADMIN_USER: &str = "1200000000000021";
pub const PARTNER_USER: &str = "1200000000000022";
pub const PARTNER_ADMIN_USER: &str = "1200000000000023";
pub const HIDDEN_USER: &str = "1200000000000024";

/// Active organization members named `Filler NNN`, used to fill the large teams.
pub const FILLER_USERS: usize = 360;

pub const REMOVED_READDED_OLD_MEMBERSHIP: &str = "1300000000000901";
pub const REMOVED_READDED_NEW_MEMBERSHIP: &str = "1300000000000902";
pub const INACTIVE_ONLY_MEMBERSHIP: &str = "1300000000000903";

pub const ALPHA_TEAM: &str = "1400000000000001";
pub const EMPTY_TEAM: &str = "1400000000000002";
pub const HUNDRED_TEAM: &str = "1400000000000003";
pub const HUNDRED_ONE_TEAM: &str = "1400000000000004";
pub const BIG_TEAM: &str = "1400000000000005";
pub const RESTRICTED_TEAM: &str = "1400000000000006";
pub const SECRET_TEAM_WITH_ADMIN: &str = "1400000000000007";
pub const SECRET_TEAM_HIDDEN: &str = "1400000000000008";
pub const MEMBER_TEAM: &str = "1400000000000009";
pub const UNICODE_TEAM: &str = "1400000000000010";
pub const PARTNER_TEAM_WITH_ADMIN: &str = "1400000000000011";
pub const PARTNER_PUBLIC_TEAM: &str = "1400000000000012";
pub const PARTNER_SECRET_TEAM: &str = "1400000000000013";

pub const BIG_TEAM_SIZE: usize = 350;

/// Gid of the `index`-th filler user (0-based).
pub fn filler_user_gid(index: usize) -> String {
    format!("{}", 1_200_000_000_001_000_u64 + index as u64)
}

/// The name of [`LONG_NAME_USER`]: more than 1024 bytes of mixed-width UTF-8.
pub fn long_name() -> String {
    let mut name = String::from("Maximiliane ");
    for i in 0..120 {
        name.push_str(if i % 2 == 0 {
            "Überlänge-"
        } else {
            "Ωmega-"
        });
    }
    name.push_str("Ende");
    name
}

struct Builder {
    tenant: Tenant,
    next_membership: u64,
    next_team_membership: u64,
    clock_minutes: i64,
}

impl Builder {
    fn workspace(&mut self, gid: &str, name: &str, is_organization: bool, domains: &[&str]) {
        self.tenant.workspaces.push(Workspace {
            gid: gid.to_string(),
            name: name.to_string(),
            is_organization,
            email_domains: domains.iter().map(|d| d.to_string()).collect(),
        });
    }

    fn user(&mut self, gid: &str, name: &str, email: Option<&str>) {
        self.tenant.users.push(User {
            gid: gid.to_string(),
            name: name.to_string(),
            email: email.map(str::to_string),
        });
    }

    /// Deterministic, strictly increasing creation times, starting 2021-01-04.
    fn tick(&mut self) -> String {
        self.clock_minutes += 7 * 60 + 13;
        let base =
            chrono::DateTime::<chrono::Utc>::from_timestamp(1_609_745_400, 0).unwrap_or_default();
        let at = base + chrono::Duration::minutes(self.clock_minutes);
        at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
    }

    fn membership_with_gid(
        &mut self,
        gid: String,
        user: &str,
        workspace: &str,
        role: Role,
        active: bool,
    ) {
        let created_at = self.tick();
        self.tenant.workspace_memberships.push(WorkspaceMembership {
            gid,
            user_gid: user.to_string(),
            workspace_gid: workspace.to_string(),
            is_active: active,
            is_admin: role == Role::Admin,
            is_guest: role == Role::Guest,
            is_view_only: role == Role::ViewOnly,
            created_at,
        });
    }

    fn member(&mut self, user: &str, workspace: &str, role: Role) {
        let gid = self.next_membership.to_string();
        self.next_membership += 1;
        self.membership_with_gid(gid, user, workspace, role, true);
    }

    fn team(&mut self, gid: &str, name: &str, org: &str, visibility: &str, restricted: bool) {
        let level = if restricted {
            ACCESS_ONLY_TEAM_ADMINS
        } else {
            ACCESS_ALL_TEAM_MEMBERS
        };
        self.tenant.teams.push(Team {
            gid: gid.to_string(),
            name: name.to_string(),
            organization_gid: org.to_string(),
            description: format!("{name} — simulated team for edge cases & <markup>"),
            visibility: visibility.to_string(),
            member_invite_management_access_level: level.to_string(),
            team_member_removal_access_level: level.to_string(),
        });
    }

    fn team_member(&mut self, team: &str, user: &str, flags: TeamFlags) {
        let gid = self.next_team_membership.to_string();
        self.next_team_membership += 1;
        self.tenant.team_memberships.push(TeamMembership {
            gid,
            user_gid: user.to_string(),
            team_gid: team.to_string(),
            is_admin: flags.admin,
            is_guest: flags.guest,
            is_limited_access: flags.limited,
        });
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Member,
    Admin,
    Guest,
    ViewOnly,
}

#[derive(Clone, Copy, Default)]
struct TeamFlags {
    admin: bool,
    guest: bool,
    limited: bool,
}

const PLAIN: TeamFlags = TeamFlags {
    admin: false,
    guest: false,
    limited: false,
};
const TEAM_ADMIN: TeamFlags = TeamFlags {
    admin: true,
    guest: false,
    limited: false,
};

/// Builds the quirks tenant. Always the same value.
pub fn quirks_tenant() -> Tenant {
    let mut b = Builder {
        tenant: Tenant::default(),
        next_membership: 1_300_000_000_001_000,
        next_team_membership: 1_500_000_000_001_000,
        clock_minutes: 0,
    };

    b.workspace(
        ORG,
        "Quirks Corp",
        true,
        &[ORG_DOMAIN, "quirks-corp.example"],
    );
    b.workspace(PLAIN_WORKSPACE, "Side Projects", false, &[]);
    b.workspace(
        GUEST_ONLY_WORKSPACE,
        "Partner Network",
        true,
        &[GUEST_ONLY_WORKSPACE_DOMAIN],
    );
    b.workspace(HIDDEN_WORKSPACE, "Skunkworks", false, &[]);

    let long = long_name();
    let named_users: [(&str, &str, Option<&str>); 24] = [
        (ADMIN_USER, "Ada Admin", Some("ada@quirks.example")),
        (MEMBER_USER, "Max Member", Some("max@quirks.example")),
        (GUEST_USER, "Gus Guest", Some("gus@outside.example")),
        (SERVICE_ACCOUNT_USER, "Quirks Service Account", None),
        (MULTI_ROLE_USER, "Mia Multi", Some("mia@quirks.example")),
        (
            REMOVED_READDED_USER,
            "Rae Readded",
            Some("rae@quirks.example"),
        ),
        (
            INACTIVE_ONLY_USER,
            "Ivan Inactive",
            Some("ivan@quirks.example"),
        ),
        (
            INACTIVE_ADMIN_USER,
            "Iris Formeradmin",
            Some("iris@quirks.example"),
        ),
        (NO_EMAIL_USER, "Nora Noemail", None),
        (NO_EMAIL_GUEST_USER, "Gale Hiddenmail", None),
        (
            UNICODE_USER,
            "Zoë Łukasiewicz-Ñúñez",
            Some("zoe@quirks.example"),
        ),
        (CJK_USER, "李小龍", Some("li@quirks.example")),
        (
            EMOJI_USER,
            "🦄 Unicorn Rider 🚀",
            Some("unicorn@quirks.example"),
        ),
        (RTL_USER, "مريم الأحمد", Some("maryam@quirks.example")),
        (LONG_NAME_USER, &long, Some("long@quirks.example")),
        (COLON_USER, "Colon: The User", Some("colon@quirks.example")),
        (COLON_USER_2, "a:b:c", Some("abc@quirks.example")),
        (VIEW_ONLY_USER, "Vera Viewonly", Some("vera@quirks.example")),
        (
            PLAIN_ONLY_USER,
            "Pia Plainonly",
            Some("pia@sideprojects.example"),
        ),
        (
            LIMITED_ACCESS_USER,
            "Lim Limited",
            Some("lim@quirks.example"),
        ),
        (
            TEAM_ADMIN_USER,
            "Tara Teamadmin",
            Some("tara@quirks.example"),
        ),
        (PARTNER_USER, "Pat Partner", Some("pat@partner.example")),
        (
            PARTNER_ADMIN_USER,
            "Paz Partneradmin",
            Some("paz@partner.example"),
        ),
        (HIDDEN_USER, "Hal Hidden", Some("hal@skunk.example")),
    ];
    for (gid, name, email) in named_users {
        b.user(gid, name, email);
    }
    let fillers: Vec<String> = (0..FILLER_USERS).map(filler_user_gid).collect();
    for (i, gid) in fillers.iter().enumerate() {
        b.user(
            gid,
            &format!("Filler {:03}", i + 1),
            Some(&format!("filler{:03}@quirks.example", i + 1)),
        );
    }

    // The named inactive cases first, so their gids sort before everything else.
    b.membership_with_gid(
        REMOVED_READDED_OLD_MEMBERSHIP.into(),
        REMOVED_READDED_USER,
        ORG,
        Role::Member,
        false,
    );
    b.membership_with_gid(
        INACTIVE_ONLY_MEMBERSHIP.into(),
        INACTIVE_ONLY_USER,
        ORG,
        Role::Member,
        false,
    );

    // Organization.
    b.member(ADMIN_USER, ORG, Role::Admin);
    b.member(MEMBER_USER, ORG, Role::Member);
    b.member(GUEST_USER, ORG, Role::Guest);
    b.member(MULTI_ROLE_USER, ORG, Role::Member);
    b.membership_with_gid(
        "1300000000000904".into(),
        INACTIVE_ADMIN_USER,
        ORG,
        Role::Admin,
        false,
    );
    b.member(NO_EMAIL_USER, ORG, Role::Member);
    b.member(NO_EMAIL_GUEST_USER, ORG, Role::Guest);
    for user in [
        UNICODE_USER,
        CJK_USER,
        EMOJI_USER,
        RTL_USER,
        LONG_NAME_USER,
        COLON_USER,
        COLON_USER_2,
    ] {
        b.member(user, ORG, Role::Member);
    }
    b.member(VIEW_ONLY_USER, ORG, Role::ViewOnly);
    b.member(LIMITED_ACCESS_USER, ORG, Role::Member);
    b.member(TEAM_ADMIN_USER, ORG, Role::Member);
    for gid in &fillers {
        b.member(gid, ORG, Role::Member);
    }
    // Re-added long after removal: a new membership, the old one stays inactive.
    b.membership_with_gid(
        REMOVED_READDED_NEW_MEMBERSHIP.into(),
        REMOVED_READDED_USER,
        ORG,
        Role::Member,
        true,
    );

    // Plain workspace: roles differ from the organization's.
    b.member(ADMIN_USER, PLAIN_WORKSPACE, Role::Member);
    b.member(MEMBER_USER, PLAIN_WORKSPACE, Role::Admin);
    b.member(MULTI_ROLE_USER, PLAIN_WORKSPACE, Role::Admin);
    b.member(PLAIN_ONLY_USER, PLAIN_WORKSPACE, Role::Member);
    b.member(EMOJI_USER, PLAIN_WORKSPACE, Role::Member);
    b.member(&fillers[0], PLAIN_WORKSPACE, Role::Member);

    // Partner organization: the admin PAT's owner is only a guest here.
    b.member(ADMIN_USER, GUEST_ONLY_WORKSPACE, Role::Guest);
    b.member(PARTNER_USER, GUEST_ONLY_WORKSPACE, Role::Member);
    b.member(PARTNER_ADMIN_USER, GUEST_ONLY_WORKSPACE, Role::Admin);
    b.member(MULTI_ROLE_USER, GUEST_ONLY_WORKSPACE, Role::Guest);

    // Nobody with a PAT is in the hidden workspace.
    b.member(HIDDEN_USER, HIDDEN_WORKSPACE, Role::Admin);
    b.member(&fillers[1], HIDDEN_WORKSPACE, Role::Member);

    // Teams of the organization.
    b.team(ALPHA_TEAM, "Alpha", ORG, VISIBILITY_PUBLIC, false);
    b.team(EMPTY_TEAM, "Empty Team", ORG, VISIBILITY_PUBLIC, false);
    b.team(
        HUNDRED_TEAM,
        "Exactly One Hundred",
        ORG,
        VISIBILITY_PUBLIC,
        false,
    );
    b.team(
        HUNDRED_ONE_TEAM,
        "One Hundred And One",
        ORG,
        VISIBILITY_PUBLIC,
        false,
    );
    b.team(
        BIG_TEAM,
        "Everyone-ish: Big Team",
        ORG,
        VISIBILITY_REQUEST_TO_JOIN,
        false,
    );
    b.team(
        RESTRICTED_TEAM,
        "Restricted: Admins Only",
        ORG,
        VISIBILITY_PUBLIC,
        true,
    );
    b.team(
        SECRET_TEAM_WITH_ADMIN,
        "Secret Admin Club",
        ORG,
        VISIBILITY_SECRET,
        false,
    );
    b.team(
        SECRET_TEAM_HIDDEN,
        "Secret Skunk",
        ORG,
        VISIBILITY_SECRET,
        false,
    );
    b.team(MEMBER_TEAM, "Member Crew", ORG, VISIBILITY_PUBLIC, false);
    b.team(
        UNICODE_TEAM,
        "Équipe 🚀 Ünïcødé",
        ORG,
        VISIBILITY_PUBLIC,
        false,
    );
    // Teams of the partner organization.
    b.team(
        PARTNER_TEAM_WITH_ADMIN,
        "Partner Liaison",
        GUEST_ONLY_WORKSPACE,
        VISIBILITY_PUBLIC,
        false,
    );
    b.team(
        PARTNER_PUBLIC_TEAM,
        "Partner Internal",
        GUEST_ONLY_WORKSPACE,
        VISIBILITY_PUBLIC,
        false,
    );
    b.team(
        PARTNER_SECRET_TEAM,
        "Partner Secret",
        GUEST_ONLY_WORKSPACE,
        VISIBILITY_SECRET,
        false,
    );

    b.team_member(ALPHA_TEAM, ADMIN_USER, TEAM_ADMIN);
    b.team_member(ALPHA_TEAM, TEAM_ADMIN_USER, TEAM_ADMIN);
    b.team_member(
        ALPHA_TEAM,
        LIMITED_ACCESS_USER,
        TeamFlags {
            limited: true,
            ..TeamFlags::default()
        },
    );
    b.team_member(
        ALPHA_TEAM,
        GUEST_USER,
        TeamFlags {
            guest: true,
            ..TeamFlags::default()
        },
    );
    b.team_member(
        ALPHA_TEAM,
        NO_EMAIL_GUEST_USER,
        TeamFlags {
            guest: true,
            limited: true,
            ..TeamFlags::default()
        },
    );
    for user in [
        NO_EMAIL_USER,
        UNICODE_USER,
        CJK_USER,
        EMOJI_USER,
        RTL_USER,
        LONG_NAME_USER,
        COLON_USER,
        COLON_USER_2,
        MULTI_ROLE_USER,
        VIEW_ONLY_USER,
        REMOVED_READDED_USER,
    ] {
        b.team_member(ALPHA_TEAM, user, PLAIN);
    }
    for gid in &fillers[..100] {
        b.team_member(HUNDRED_TEAM, gid, PLAIN);
    }
    for gid in &fillers[..101] {
        b.team_member(HUNDRED_ONE_TEAM, gid, PLAIN);
    }
    b.team_member(BIG_TEAM, &fillers[0], TEAM_ADMIN);
    for gid in &fillers[1..BIG_TEAM_SIZE] {
        b.team_member(BIG_TEAM, gid, PLAIN);
    }
    b.team_member(RESTRICTED_TEAM, MULTI_ROLE_USER, TEAM_ADMIN);
    b.team_member(RESTRICTED_TEAM, MEMBER_USER, PLAIN);
    b.team_member(RESTRICTED_TEAM, UNICODE_USER, PLAIN);
    b.team_member(RESTRICTED_TEAM, &fillers[2], PLAIN);
    b.team_member(SECRET_TEAM_WITH_ADMIN, ADMIN_USER, PLAIN);
    b.team_member(SECRET_TEAM_WITH_ADMIN, TEAM_ADMIN_USER, TEAM_ADMIN);
    for gid in &fillers[300..305] {
        b.team_member(SECRET_TEAM_HIDDEN, gid, PLAIN);
    }
    b.team_member(MEMBER_TEAM, MEMBER_USER, PLAIN);
    b.team_member(MEMBER_TEAM, REMOVED_READDED_USER, PLAIN);
    b.team_member(MEMBER_TEAM, &fillers[3], TEAM_ADMIN);
    b.team_member(UNICODE_TEAM, UNICODE_USER, TEAM_ADMIN);
    b.team_member(UNICODE_TEAM, CJK_USER, PLAIN);
    b.team_member(UNICODE_TEAM, EMOJI_USER, PLAIN);
    b.team_member(UNICODE_TEAM, RTL_USER, PLAIN);
    b.team_member(
        PARTNER_TEAM_WITH_ADMIN,
        ADMIN_USER,
        TeamFlags {
            guest: true,
            ..TeamFlags::default()
        },
    );
    b.team_member(PARTNER_TEAM_WITH_ADMIN, PARTNER_USER, TEAM_ADMIN);
    b.team_member(PARTNER_PUBLIC_TEAM, PARTNER_USER, PLAIN);
    b.team_member(PARTNER_PUBLIC_TEAM, PARTNER_ADMIN_USER, TEAM_ADMIN);
    b.team_member(PARTNER_SECRET_TEAM, PARTNER_ADMIN_USER, TEAM_ADMIN);

    b.tenant.token_owners = TokenOwners {
        admin: ADMIN_USER.to_string(),
        member: MEMBER_USER.to_string(),
        guest: GUEST_USER.to_string(),
        service_account: SERVICE_ACCOUNT_USER.to_string(),
    };
    b.tenant
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn team_size(t: &Tenant, team: &str) -> usize {
        t.team_memberships
            .iter()
            .filter(|m| m.team_gid == team)
            .count()
    }

    fn memberships<'a>(t: &'a Tenant, user: &str) -> Vec<&'a WorkspaceMembership> {
        t.workspace_memberships
            .iter()
            .filter(|m| m.user_gid == user)
            .collect()
    }

    #[test]
    fn gids_are_unique_across_all_objects() {
        let t = quirks_tenant();
        let all: Vec<&str> = t
            .workspaces
            .iter()
            .map(|x| x.gid.as_str())
            .chain(t.users.iter().map(|x| x.gid.as_str()))
            .chain(t.workspace_memberships.iter().map(|x| x.gid.as_str()))
            .chain(t.teams.iter().map(|x| x.gid.as_str()))
            .chain(t.team_memberships.iter().map(|x| x.gid.as_str()))
            .collect();
        let unique: HashSet<&str> = all.iter().copied().collect();
        assert_eq!(unique.len(), all.len());
    }

    #[test]
    fn team_sizes_hit_the_pagination_boundaries() {
        let t = quirks_tenant();
        assert_eq!(team_size(&t, EMPTY_TEAM), 0);
        assert_eq!(team_size(&t, HUNDRED_TEAM), 100);
        assert_eq!(team_size(&t, HUNDRED_ONE_TEAM), 101);
        assert_eq!(team_size(&t, BIG_TEAM), BIG_TEAM_SIZE);
        const { assert!(BIG_TEAM_SIZE >= 300) };
    }

    #[test]
    fn membership_quirks_are_present() {
        let t = quirks_tenant();
        let rae = memberships(&t, REMOVED_READDED_USER);
        assert_eq!(rae.len(), 2);
        let old = rae
            .iter()
            .find(|m| m.gid == REMOVED_READDED_OLD_MEMBERSHIP)
            .unwrap();
        let new = rae
            .iter()
            .find(|m| m.gid == REMOVED_READDED_NEW_MEMBERSHIP)
            .unwrap();
        assert!(!old.is_active && new.is_active && old.created_at < new.created_at);
        assert_eq!(old.workspace_gid, new.workspace_gid);

        let ivan = memberships(&t, INACTIVE_ONLY_USER);
        assert_eq!(ivan.len(), 1);
        assert!(!ivan[0].is_active);
        assert_eq!(ivan[0].gid, INACTIVE_ONLY_MEMBERSHIP);

        let iris = memberships(&t, INACTIVE_ADMIN_USER);
        assert!(iris.iter().all(|m| !m.is_active && m.is_admin));

        let ada = memberships(&t, ADMIN_USER);
        let role_in = |ws: &str| {
            ada.iter()
                .find(|m| m.workspace_gid == ws)
                .map(|m| (m.is_admin, m.is_guest))
        };
        assert_eq!(role_in(ORG), Some((true, false)));
        assert_eq!(role_in(PLAIN_WORKSPACE), Some((false, false)));
        assert_eq!(role_in(GUEST_ONLY_WORKSPACE), Some((false, true)));
        assert!(t
            .workspace_memberships
            .iter()
            .any(|m| m.is_view_only && m.is_active));
        assert!(!t
            .workspace_memberships
            .iter()
            .any(|m| m.user_gid == PLAIN_ONLY_USER && m.workspace_gid == ORG));
    }

    #[test]
    fn user_quirks_are_present() {
        let t = quirks_tenant();
        let user = |gid: &str| t.users.iter().find(|u| u.gid == gid).unwrap();
        assert!(user(NO_EMAIL_USER).email.is_none());
        assert!(user(NO_EMAIL_GUEST_USER).email.is_none());
        assert!(user(LONG_NAME_USER).name.len() > 1024);
        assert!(user(COLON_USER).name.contains(':'));
        assert!(user(EMOJI_USER).name.chars().any(|c| c as u32 > 0xFFFF));
        assert!(!user(CJK_USER).name.is_ascii());
    }

    #[test]
    fn team_quirks_are_present() {
        let t = quirks_tenant();
        let alpha: Vec<&TeamMembership> = t
            .team_memberships
            .iter()
            .filter(|m| m.team_gid == ALPHA_TEAM)
            .collect();
        assert!(alpha.iter().any(|m| m.is_admin));
        assert!(alpha.iter().any(|m| m.is_guest && m.user_gid == GUEST_USER));
        assert!(alpha
            .iter()
            .any(|m| m.is_limited_access && m.user_gid == LIMITED_ACCESS_USER));
        let restricted = t
            .teams
            .iter()
            .find(|team| team.gid == RESTRICTED_TEAM)
            .unwrap();
        assert_eq!(
            restricted.member_invite_management_access_level,
            ACCESS_ONLY_TEAM_ADMINS
        );
        assert_eq!(
            restricted.team_member_removal_access_level,
            ACCESS_ONLY_TEAM_ADMINS
        );
        assert!(t
            .teams
            .iter()
            .any(|team| team.visibility == VISIBILITY_SECRET));
        assert!(t.teams.iter().all(|team| t
            .workspaces
            .iter()
            .any(|w| w.gid == team.organization_gid && w.is_organization)));
    }

    #[test]
    fn is_deterministic() {
        assert_eq!(quirks_tenant(), quirks_tenant());
    }
}
