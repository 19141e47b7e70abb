//! Bearer tokens: opaque-looking, distinct per role, derived from the seed.

use sha2::{Digest, Sha256};

use crate::model::{TokenOwners, TokenRole};

/// The four tokens a simulator accepts.
#[derive(Clone, Debug)]
pub(crate) struct TokenTable {
    values: [String; 4],
}

fn digest(seed: u64, role: TokenRole, purpose: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(b"asana-sim token\0");
    hasher.update(seed.to_le_bytes());
    hasher.update(role.as_str().as_bytes());
    hasher.update(purpose.as_bytes());
    hasher.finalize().into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl TokenTable {
    /// Shaped like Asana PATs: `2/<owner gid>/<token gid>:<32 hex digits>`.
    pub fn new(seed: u64, owners: &TokenOwners) -> TokenTable {
        let values = TokenRole::ALL.map(|role| {
            let id_bytes = digest(seed, role, "id");
            let mut id = [0u8; 8];
            id.copy_from_slice(&id_bytes[..8]);
            let token_gid = 1_200_000_000_000_000 + u64::from_le_bytes(id) % 100_000_000_000_000;
            let owner = match owners.owner(role) {
                "" => "0",
                owner => owner,
            };
            format!(
                "{owner}/{token_gid}:{}",
                hex(&digest(seed, role, "secret")[..16])
            )
        });
        TokenTable {
            values: values.map(|v| format!("2/{v}")),
        }
    }

    pub fn value(&self, role: TokenRole) -> &str {
        &self.values[role.index()]
    }

    pub fn role_for(&self, token: &str) -> Option<TokenRole> {
        TokenRole::ALL
            .into_iter()
            .find(|role| self.values[role.index()] == token)
    }

    /// The role behind an `Authorization` header value (`Bearer <token>`).
    pub fn role_for_header(&self, header: &str) -> Option<TokenRole> {
        let (scheme, token) = header.trim().split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return None;
        }
        self.role_for(token.trim())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quirks::quirks_tenant;

    #[test]
    fn tokens_are_distinct_deterministic_and_resolvable() {
        let owners = quirks_tenant().token_owners;
        let table = TokenTable::new(9, &owners);
        let again = TokenTable::new(9, &owners);
        let other = TokenTable::new(10, &owners);
        for role in TokenRole::ALL {
            let value = table.value(role);
            assert!(value.starts_with(&format!("2/{}/", owners.owner(role))));
            assert_eq!(value, again.value(role));
            assert_ne!(value, other.value(role));
            assert_eq!(table.role_for(value), Some(role));
            assert_eq!(
                table.role_for_header(&format!("Bearer {value}")),
                Some(role)
            );
            assert_eq!(
                table.role_for_header(&format!("bearer  {value} ")),
                Some(role)
            );
        }
        let distinct: std::collections::HashSet<&str> =
            TokenRole::ALL.iter().map(|r| table.value(*r)).collect();
        assert_eq!(distinct.len(), 4);
        assert_eq!(table.role_for_header("Basic abc"), None);
        assert_eq!(table.role_for("2/1/2:00"), None);
    }
}
