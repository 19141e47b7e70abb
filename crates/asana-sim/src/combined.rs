//! The demo tenant: the quirks tenant plus a generated organization, served
//! by one simulator so a single sync shows both the hard cases and volume.

use crate::generator::generate_tenant;
use crate::generator::GeneratorConfig;
use crate::gid::GidAllocator;
use crate::model::{Tenant, WorkspaceMembership};
use crate::quirks::quirks_tenant;

/// Added to every generated gid so they never collide with the quirks
/// tenant's (both allocate from the same 16-digit range).
const GENERATED_GID_OFFSET: u64 = 2_000_000_000_000_000;

fn shift(gid: &str) -> String {
    match gid.parse::<u64>() {
        Ok(n) => n.saturating_add(GENERATED_GID_OFFSET).to_string(),
        Err(_) => format!("g{gid}"),
    }
}

/// The quirks tenant with a generated organization added. The quirks token
/// owners join the generated organization in their roles (the admin as an
/// admin, the member as a member, the guest as a guest), so each token sees
/// it as it sees the quirks organization; the quirks tokens stay the tokens.
pub fn quirks_with_generated(generator: &GeneratorConfig) -> Tenant {
    let mut tenant = quirks_tenant();
    let generated = generate_tenant(generator);

    tenant
        .workspaces
        .extend(generated.workspaces.into_iter().map(|mut w| {
            w.gid = shift(&w.gid);
            w
        }));
    tenant
        .users
        .extend(generated.users.into_iter().map(|mut u| {
            u.gid = shift(&u.gid);
            u
        }));
    tenant
        .workspace_memberships
        .extend(generated.workspace_memberships.into_iter().map(|mut m| {
            m.gid = shift(&m.gid);
            m.user_gid = shift(&m.user_gid);
            m.workspace_gid = shift(&m.workspace_gid);
            m
        }));
    tenant
        .teams
        .extend(generated.teams.into_iter().map(|mut t| {
            t.gid = shift(&t.gid);
            t.organization_gid = shift(&t.organization_gid);
            t
        }));
    tenant
        .team_memberships
        .extend(generated.team_memberships.into_iter().map(|mut m| {
            m.gid = shift(&m.gid);
            m.user_gid = shift(&m.user_gid);
            m.team_gid = shift(&m.team_gid);
            m
        }));

    let generated_org = tenant
        .workspaces
        .iter()
        .find(|w| {
            w.is_organization
                && w.gid
                    .parse::<u64>()
                    .is_ok_and(|n| n >= GENERATED_GID_OFFSET)
        })
        .map(|w| w.gid.clone());
    if let Some(org) = generated_org {
        // Gids are unique across object kinds, so start above all of them.
        let mut gids = GidAllocator::after(
            tenant
                .workspaces
                .iter()
                .map(|w| w.gid.as_str())
                .chain(tenant.users.iter().map(|u| u.gid.as_str()))
                .chain(tenant.teams.iter().map(|t| t.gid.as_str()))
                .chain(tenant.workspace_memberships.iter().map(|m| m.gid.as_str()))
                .chain(tenant.team_memberships.iter().map(|m| m.gid.as_str())),
            1,
        );
        let owners = tenant.token_owners.clone();
        for (user, is_admin, is_guest) in [
            (owners.admin, true, false),
            (owners.member, false, false),
            (owners.guest, false, true),
        ] {
            tenant.workspace_memberships.push(WorkspaceMembership {
                gid: gids.next_gid(),
                user_gid: user,
                workspace_gid: org.clone(),
                is_active: true,
                is_admin,
                is_guest,
                is_view_only: false,
                created_at: "2024-06-01T09:00:00.000Z".to_owned(),
            });
        }
    }
    tenant
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn gids_are_unique_and_token_owners_join_the_generated_org() {
        let tenant = quirks_with_generated(&GeneratorConfig {
            users: 200,
            teams: 20,
            members_per_team: 10,
            workspaces: 2,
            seed: 9,
            ..GeneratorConfig::default()
        });
        let mut seen = HashSet::new();
        for gid in tenant
            .workspaces
            .iter()
            .map(|w| &w.gid)
            .chain(tenant.users.iter().map(|u| &u.gid))
            .chain(tenant.teams.iter().map(|t| &t.gid))
            .chain(tenant.workspace_memberships.iter().map(|m| &m.gid))
            .chain(tenant.team_memberships.iter().map(|m| &m.gid))
        {
            assert!(seen.insert(gid.clone()), "duplicate gid {gid}");
        }
        let org = tenant
            .workspaces
            .iter()
            .find(|w| w.name.starts_with("Generated Org"))
            .unwrap();
        assert!(tenant.workspace_memberships.iter().any(|m| {
            m.workspace_gid == org.gid
                && m.user_gid == tenant.token_owners.admin
                && m.is_admin
                && m.is_active
        }));
        assert!(tenant.users.len() > 200);
    }
}
