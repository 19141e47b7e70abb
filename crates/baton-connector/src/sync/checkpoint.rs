//! The engine's resumable state, stored as JSON in `v1_sync_runs.sync_token`.
//!
//! It is written in the same SQLite transaction as the rows it accounts for,
//! so after a kill the data and the checkpoint always agree: a resumed sync
//! re-fetches only pages whose results were never committed.

use serde::{Deserialize, Serialize};

/// Identifies this checkpoint format; other writers' tokens (e.g. the Go
/// SDK's action stack) are not resumed.
pub const CHECKPOINT_FORMAT: &str = "baton-asana-rs/sync/v1";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct Checkpoint {
    pub format: String,
    /// Resource types are stored and the initial listings queued.
    pub resource_types_done: bool,
    /// Resource listings not finished yet, each at the page still to fetch.
    pub listings: Vec<ListingState>,
    /// Every resource row of this sync with id <= cursor has had its
    /// entitlements and grants listed.
    pub cursor: i64,
    /// Resource rows after the cursor taken for entitlement/grant listing and not finished.
    pub works: Vec<WorkState>,
    /// Resource rows after the cursor that are finished.
    pub done_after_cursor: Vec<i64>,
    /// Non-fatal problems so far (e.g. an object that vanished mid-sync).
    pub warnings: Vec<String>,
}

impl Checkpoint {
    pub fn new() -> Self {
        Self {
            format: CHECKPOINT_FORMAT.to_owned(),
            ..Default::default()
        }
    }

    /// Parses a stored token; `None` if it is empty or not ours.
    pub fn parse(token: &str) -> Option<Self> {
        if token.trim().is_empty() {
            return None;
        }
        let parsed: Checkpoint = serde_json::from_str(token).ok()?;
        (parsed.format == CHECKPOINT_FORMAT).then_some(parsed)
    }

    pub fn to_token(&self) -> String {
        // Serializing plain structs of strings and integers cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// A resource listing: all resources of a type under an optional parent.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Hash)]
pub struct ListingState {
    pub resource_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_token: Option<String>,
}

/// Which listing of a resource's own data is under way.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum WorkStage {
    Entitlements,
    Grants,
}

/// Entitlement and grant listing for one stored resource.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct WorkState {
    pub row: i64,
    pub resource_type: String,
    pub resource_id: String,
    pub stage: WorkStage,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_token: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_foreign_tokens() {
        let mut cp = Checkpoint::new();
        cp.listings.push(ListingState {
            resource_type: "user".into(),
            parent_type: Some("workspace".into()),
            parent_id: Some("1".into()),
            page_token: Some("eyJ".into()),
        });
        cp.cursor = 7;
        let token = cp.to_token();
        assert_eq!(Checkpoint::parse(&token), Some(cp));
        assert_eq!(Checkpoint::parse(""), None);
        assert_eq!(
            Checkpoint::parse(r#"{"actions":null,"current_action":{"operation":"init"}}"#),
            None
        );
    }
}
