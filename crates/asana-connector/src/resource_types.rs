//! The three resource types, exactly as the Go connector declares them.

use baton_proto::v2::resource_type::Trait;
use baton_proto::v2::ResourceType;

pub const USER: &str = "user";
pub const WORKSPACE: &str = "workspace";
pub const TEAM: &str = "team";

fn resource_type(id: &str, display_name: &str, traits: Trait) -> ResourceType {
    ResourceType {
        id: id.to_owned(),
        display_name: display_name.to_owned(),
        traits: vec![traits as i32],
        ..Default::default()
    }
}

pub fn user() -> ResourceType {
    resource_type(USER, "User", Trait::User)
}

pub fn workspace() -> ResourceType {
    resource_type(WORKSPACE, "Workspace", Trait::Group)
}

pub fn team() -> ResourceType {
    resource_type(TEAM, "Team", Trait::Group)
}
