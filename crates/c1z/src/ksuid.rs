//! segmentio/ksuid ids, which baton uses for sync ids: 20 bytes (4-byte
//! big-endian seconds since 2014-05-13 16:53:20 UTC, then 16 random bytes)
//! in base62 (`0-9A-Za-z`), left-padded with `0` to 27 characters.

use chrono::Utc;

const EPOCH: i64 = 1_400_000_000;
const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const ENCODED_LEN: usize = 27;

/// A new ksuid for the current time.
pub fn new_ksuid() -> String {
    encode_ksuid(Utc::now().timestamp(), rand::random::<[u8; 16]>())
}

/// The ksuid for `unix_seconds` and `payload`.
pub fn encode_ksuid(unix_seconds: i64, payload: [u8; 16]) -> String {
    let offset = (unix_seconds - EPOCH).clamp(0, i64::from(u32::MAX)) as u32;
    let mut raw = [0u8; 20];
    raw[..4].copy_from_slice(&offset.to_be_bytes());
    raw[4..].copy_from_slice(&payload);
    base62(raw)
}

/// The unix time (seconds) a ksuid was made at, if `id` is a valid ksuid.
pub fn ksuid_unix_seconds(id: &str) -> Option<i64> {
    let raw = decode_base62(id)?;
    let offset = u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]);
    Some(i64::from(offset) + EPOCH)
}

/// Repeated division of the 160-bit big-endian number by 62.
fn base62(raw: [u8; 20]) -> String {
    let mut number = raw.to_vec();
    let mut digits = Vec::with_capacity(ENCODED_LEN);
    while number.iter().any(|&b| b != 0) {
        let mut remainder = 0u32;
        for byte in number.iter_mut() {
            let acc = (remainder << 8) | u32::from(*byte);
            *byte = (acc / 62) as u8;
            remainder = acc % 62;
        }
        digits.push(ALPHABET[remainder as usize]);
    }
    while digits.len() < ENCODED_LEN {
        digits.push(b'0');
    }
    digits.reverse();
    digits.into_iter().map(char::from).collect()
}

fn decode_base62(id: &str) -> Option<[u8; 20]> {
    if id.len() != ENCODED_LEN {
        return None;
    }
    let mut raw = [0u8; 20];
    for c in id.bytes() {
        let digit = ALPHABET.iter().position(|&a| a == c)? as u32;
        // raw = raw * 62 + digit, overflow past 160 bits means "not a ksuid".
        let mut carry = digit;
        for byte in raw.iter_mut().rev() {
            let acc = u32::from(*byte) * 62 + carry;
            *byte = (acc & 0xff) as u8;
            carry = acc >> 8;
        }
        if carry != 0 {
            return None;
        }
    }
    Some(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_segmentio_reference_vector() {
        // From segmentio/ksuid's README (`ksuid -f inspect`):
        // 0ujtsYcgvSTl8PAuAdqWYSMnLOv = 0669F7EFB5A1CD34B5F99D1154FB6853345C9735.
        let payload = [
            0xB5, 0xA1, 0xCD, 0x34, 0xB5, 0xF9, 0x9D, 0x11, 0x54, 0xFB, 0x68, 0x53, 0x34, 0x5C,
            0x97, 0x35,
        ];
        let id = encode_ksuid(EPOCH + 107_608_047, payload);
        assert_eq!(id, "0ujtsYcgvSTl8PAuAdqWYSMnLOv");
        assert_eq!(ksuid_unix_seconds(&id), Some(EPOCH + 107_608_047));
    }

    #[test]
    fn extremes_pad_and_fit() {
        assert_eq!(encode_ksuid(EPOCH, [0; 16]), "0".repeat(27));
        assert_eq!(
            encode_ksuid(EPOCH + i64::from(u32::MAX), [0xff; 16]),
            "aWgEPTl1tmebfsQzFP4bxwgy80V"
        );
        assert_eq!(ksuid_unix_seconds("aWgEPTl1tmebfsQzFP4bxwgy80W"), None);
        assert_eq!(ksuid_unix_seconds("short"), None);
    }

    #[test]
    fn new_ids_are_27_base62_chars_and_now() {
        let id = new_ksuid();
        assert_eq!(id.len(), 27);
        assert!(id.bytes().all(|b| b.is_ascii_alphanumeric()));
        let made = ksuid_unix_seconds(&id).unwrap();
        assert!((made - Utc::now().timestamp()).abs() < 5);
        assert_ne!(new_ksuid(), new_ksuid());
    }
}
