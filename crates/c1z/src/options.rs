//! Settings for opening a c1z and for pruning old syncs, with the `BATON_*`
//! environment variables baton-sdk honours. Like the SDK, an unusable value
//! falls back to the default (with a warning) instead of failing the run.

use std::path::PathBuf;

const MIB: u64 = 1024 * 1024;

/// How to open a c1z.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenOptions {
    /// Where the working database lives; `None` = `std::env::temp_dir()`.
    pub temp_dir: Option<PathBuf>,
    /// Refuse to decompress more than this many bytes (decompression-bomb guard).
    pub max_decoded_size: u64,
    /// Reads only: writes and saves fail with `Error::ReadOnly`.
    pub read_only: bool,
}

impl OpenOptions {
    /// baton-sdk v0.25's default cap: 10 GiB.
    pub const DEFAULT_MAX_DECODED_SIZE: u64 = 10 * 1024 * MIB;
    /// The variable (MiB) that overrides `max_decoded_size`.
    pub const MAX_DECODED_SIZE_ENV: &'static str = "BATON_DECODER_MAX_DECODED_SIZE_MB";

    /// Defaults, with `BATON_DECODER_MAX_DECODED_SIZE_MB` applied when set.
    pub fn from_env() -> Self {
        let mut options = Self::default();
        if let Some(mib) = positive_env(Self::MAX_DECODED_SIZE_ENV) {
            options.max_decoded_size = mib.saturating_mul(MIB);
        }
        options
    }

    /// These options, read-only.
    pub fn read_only(mut self) -> Self {
        self.read_only = true;
        self
    }

    /// These options with the working database under `dir`.
    pub fn with_temp_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.temp_dir = Some(dir.into());
        self
    }

    pub(crate) fn base_dir(&self) -> PathBuf {
        self.temp_dir.clone().unwrap_or_else(std::env::temp_dir)
    }
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            temp_dir: None,
            max_decoded_size: Self::DEFAULT_MAX_DECODED_SIZE,
            read_only: false,
        }
    }
}

/// Which finished syncs to keep after a sync (see `C1zStore::cleanup`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CleanupPolicy {
    /// `BATON_SKIP_CLEANUP=true`: keep everything.
    pub skip: bool,
    /// Newest finished full syncs to keep (`BATON_KEEP_SYNC_COUNT`, default 2).
    pub keep: usize,
}

impl CleanupPolicy {
    pub const DEFAULT_KEEP: usize = 2;
    pub const KEEP_ENV: &'static str = "BATON_KEEP_SYNC_COUNT";
    pub const SKIP_ENV: &'static str = "BATON_SKIP_CLEANUP";

    /// The policy baton-sdk derives from the environment.
    pub fn from_env() -> Self {
        let skip = std::env::var(Self::SKIP_ENV)
            .ok()
            .and_then(|v| parse_go_bool(&v))
            .unwrap_or(false);
        let keep = positive_env(Self::KEEP_ENV)
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(Self::DEFAULT_KEEP);
        CleanupPolicy { skip, keep }
    }
}

impl Default for CleanupPolicy {
    fn default() -> Self {
        CleanupPolicy {
            skip: false,
            keep: Self::DEFAULT_KEEP,
        }
    }
}

/// A positive integer from `name`, or `None` (warning when set but unusable).
fn positive_env(name: &str) -> Option<u64> {
    let value = std::env::var(name).ok()?;
    match value.trim().parse::<u64>() {
        Ok(n) if n > 0 => Some(n),
        _ => {
            tracing::warn!(
                name,
                value,
                "ignoring invalid value; expected a positive integer"
            );
            None
        }
    }
}

/// Go's `strconv.ParseBool`.
fn parse_go_bool(value: &str) -> Option<bool> {
    match value {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_bools() {
        assert_eq!(parse_go_bool("true"), Some(true));
        assert_eq!(parse_go_bool("T"), Some(true));
        assert_eq!(parse_go_bool("0"), Some(false));
        assert_eq!(parse_go_bool("yes"), None);
    }

    #[test]
    fn defaults_match_baton_sdk() {
        assert_eq!(OpenOptions::default().max_decoded_size, 10 << 30);
        assert_eq!(CleanupPolicy::default().keep, 2);
        assert!(!CleanupPolicy::default().skip);
    }
}
