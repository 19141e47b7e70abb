//! `limit`/`offset` pagination with opaque, expiring, keyset offset tokens.
//!
//! A token records the gid of the last object served ("border rank", as in Asana's own
//! JWT-shaped tokens), the list it belongs to, when it expires, and the generation it was issued
//! in. Resuming after the border makes pages stable while the tenant changes.
//! [`OffsetCodec::expire_all`] bumps the generation, invalidating every token issued so far.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::api_error::ApiError;

pub(crate) const MAX_LIMIT: usize = 100;
/// Without `limit`, Asana answers lists of up to about this many objects and refuses larger ones.
pub(crate) const UNPAGINATED_MAX: usize = 1000;
/// Page size used when a client passes `offset` without `limit`.
const DEFAULT_LIMIT_WITH_OFFSET: usize = 100;

/// base64url of `{"typ":"JWT","alg":"HS256"}`, so tokens look like Asana's.
const TOKEN_HEADER: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9";

#[derive(Serialize, Deserialize)]
struct OffsetPayload {
    border_rank: String,
    list: String,
    generation: u64,
    iat: u64,
    exp_ms: u64,
}

pub(crate) struct OffsetCodec {
    secret: [u8; 32],
    ttl: Duration,
    generation: AtomicU64,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn short_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest[..6].iter().map(|b| format!("{b:02x}")).collect()
}

fn invalid_offset() -> ApiError {
    ApiError::bad_request(
        "offset: Not a valid offset token for this request. Restart the listing without an offset.",
    )
}

fn expired_offset() -> ApiError {
    ApiError::bad_request(
        "offset: Your pagination token has expired. Offsets are only valid for a limited time; restart the listing without an offset.",
    )
}

impl OffsetCodec {
    pub fn new(seed: u64, ttl: Duration) -> OffsetCodec {
        let mut hasher = Sha256::new();
        hasher.update(b"asana-sim offsets\0");
        hasher.update(seed.to_le_bytes());
        OffsetCodec {
            secret: hasher.finalize().into(),
            ttl,
            generation: AtomicU64::new(0),
        }
    }

    fn sign(&self, signed_part: &str) -> String {
        let mut hasher = Sha256::new();
        hasher.update(self.secret);
        hasher.update(signed_part.as_bytes());
        URL_SAFE_NO_PAD.encode(&hasher.finalize()[..18])
    }

    /// A token resuming `list` after the object with gid `border`.
    pub fn issue(&self, list: &str, border: &str) -> String {
        let now = now_ms();
        let payload = OffsetPayload {
            border_rank: border.to_string(),
            list: short_hash(list),
            generation: self.generation.load(Ordering::SeqCst),
            iat: now / 1000,
            exp_ms: now.saturating_add(u64::try_from(self.ttl.as_millis()).unwrap_or(u64::MAX)),
        };
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&payload).unwrap_or_default());
        let signed = format!("{TOKEN_HEADER}.{body}");
        let signature = self.sign(&signed);
        format!("{signed}.{signature}")
    }

    /// The border gid of a token issued for `list`, or Asana's 400.
    pub fn decode(&self, token: &str, list: &str) -> Result<String, ApiError> {
        let (signed, signature) = token.rsplit_once('.').ok_or_else(invalid_offset)?;
        if self.sign(signed) != signature {
            return Err(invalid_offset());
        }
        let (_, body) = signed.split_once('.').ok_or_else(invalid_offset)?;
        let bytes = URL_SAFE_NO_PAD.decode(body).map_err(|_| invalid_offset())?;
        let payload: OffsetPayload =
            serde_json::from_slice(&bytes).map_err(|_| invalid_offset())?;
        if payload.list != short_hash(list) {
            return Err(invalid_offset());
        }
        if payload.generation != self.generation.load(Ordering::SeqCst) || now_ms() > payload.exp_ms
        {
            return Err(expired_offset());
        }
        Ok(payload.border_rank)
    }

    pub fn expire_all(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }
}

/// What the caller asked for: a page size (none = unpaginated) and where to resume.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PageRequest {
    pub limit: Option<usize>,
    pub border: Option<String>,
}

impl PageRequest {
    pub fn parse(
        limit: Option<&str>,
        offset: Option<&str>,
        codec: &OffsetCodec,
        list: &str,
    ) -> Result<Self, ApiError> {
        let limit = match limit {
            None => None,
            Some(text) => {
                let value: i64 = text.trim().parse().map_err(|_| {
                    ApiError::bad_request(format!("limit: Not a valid integer: {text}"))
                })?;
                match usize::try_from(value) {
                    Ok(value) if (1..=MAX_LIMIT).contains(&value) => Some(value),
                    _ => {
                        return Err(ApiError::bad_request(format!(
                            "limit: Must be between 1 and {MAX_LIMIT}, got {value}"
                        )))
                    }
                }
            }
        };
        let border = offset.map(|token| codec.decode(token, list)).transpose()?;
        let limit = match (limit, &border) {
            (None, Some(_)) => Some(DEFAULT_LIMIT_WITH_OFFSET),
            (limit, _) => limit,
        };
        Ok(PageRequest { limit, border })
    }
}

/// The objects of one page and whether more follow.
pub(crate) struct Page<T> {
    pub items: Vec<T>,
    pub has_more: bool,
}

/// Takes one page from `items` (already positioned after the border).
pub(crate) fn take_page<T>(
    mut items: impl Iterator<Item = T>,
    limit: Option<usize>,
) -> Result<Page<T>, ApiError> {
    let cap = limit.unwrap_or(UNPAGINATED_MAX);
    let mut page = Vec::with_capacity(cap.min(MAX_LIMIT));
    for item in items.by_ref() {
        page.push(item);
        if page.len() == cap {
            break;
        }
    }
    let has_more = page.len() == cap && items.next().is_some();
    if has_more && limit.is_none() {
        return Err(ApiError::bad_request(
            "The result is too large. You should use pagination (may require specifying a workspace)!",
        ));
    }
    Ok(Page {
        items: page,
        has_more,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codec() -> OffsetCodec {
        OffsetCodec::new(3, Duration::from_secs(60))
    }

    #[test]
    fn tokens_round_trip_and_are_bound_to_their_list() {
        let c = codec();
        let token = c.issue("/teams/1/team_memberships", "1500");
        assert!(token.starts_with("eyJ"));
        assert_eq!(
            c.decode(&token, "/teams/1/team_memberships").unwrap(),
            "1500"
        );
        assert!(c.decode(&token, "/teams/2/team_memberships").is_err());
        let tampered = token.replacen("eyJ0", "eyJ1", 1);
        assert!(c.decode(&tampered, "/teams/1/team_memberships").is_err());
        assert!(c.decode("garbage", "/teams/1/team_memberships").is_err());
        // Another seed's codec does not accept it.
        assert!(OffsetCodec::new(4, Duration::from_secs(60))
            .decode(&token, "/teams/1/team_memberships")
            .is_err());
    }

    #[test]
    fn tokens_expire_by_ttl_and_by_generation() {
        let c = OffsetCodec::new(3, Duration::ZERO);
        let token = c.issue("l", "1");
        std::thread::sleep(Duration::from_millis(5));
        let err = c.decode(&token, "l").unwrap_err();
        assert!(err.message.starts_with("offset:"));

        let c = codec();
        let token = c.issue("l", "1");
        c.expire_all();
        assert!(c.decode(&token, "l").is_err());
        let fresh = c.issue("l", "1");
        assert!(c.decode(&fresh, "l").is_ok());
    }

    #[test]
    fn limit_must_be_between_1_and_100() {
        let c = codec();
        for bad in ["0", "101", "-1", "abc", ""] {
            let err = PageRequest::parse(Some(bad), None, &c, "l").unwrap_err();
            assert!(err.message.starts_with("limit:"), "{bad}: {}", err.message);
        }
        assert_eq!(
            PageRequest::parse(Some("100"), None, &c, "l")
                .unwrap()
                .limit,
            Some(100)
        );
        assert_eq!(
            PageRequest::parse(Some("1"), None, &c, "l").unwrap().limit,
            Some(1)
        );
        assert_eq!(PageRequest::parse(None, None, &c, "l").unwrap().limit, None);
    }

    #[test]
    fn take_page_boundaries() {
        let page = take_page(0..100, Some(100)).unwrap();
        assert_eq!((page.items.len(), page.has_more), (100, false));
        let page = take_page(0..101, Some(100)).unwrap();
        assert_eq!((page.items.len(), page.has_more), (100, true));
        let page = take_page(0..0, Some(100)).unwrap();
        assert_eq!((page.items.len(), page.has_more), (0, false));
        assert_eq!(
            take_page(0..UNPAGINATED_MAX, None).unwrap().items.len(),
            UNPAGINATED_MAX
        );
        assert!(take_page(0..=UNPAGINATED_MAX, None).is_err());
    }
}
