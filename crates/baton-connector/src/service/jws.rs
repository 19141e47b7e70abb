//! The client assertion of the token request: a compact JWS signed with the
//! client secret's Ed25519 key (alg `EdDSA`), shaped as go-jose writes it for
//! baton-sdk: a random `nonce` (and the key's `kid`) in the protected header,
//! claims `iss` = `sub` = client id, `aud` = the host without its port,
//! `iat` = now, `nbf` = now − 2 min, `exp` = now + 2 min.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ed25519_dalek::Signer as _;
use serde::Serialize;

use super::credentials::{ClientId, ClientSecret};

/// How far `nbf` and `exp` are from `iat`, in seconds.
pub const ASSERTION_SKEW_SECS: i64 = 120;

#[derive(Serialize)]
struct Header<'a> {
    alg: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    kid: Option<&'a str>,
    nonce: String,
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: &'a str,
    // go-jose writes a one-element audience as a plain string; every JWT
    // reader accepts that form, and it is the form ConductorOne receives
    // from the Go SDK.
    aud: &'a str,
    exp: i64,
    iat: i64,
    nbf: i64,
}

/// Signs an assertion issued at `now_unix` (seconds) with the 16-byte `nonce`.
pub fn sign_assertion(
    client_id: &ClientId,
    secret: &ClientSecret,
    now_unix: i64,
    nonce: [u8; 16],
) -> Result<String, serde_json::Error> {
    let header = Header {
        alg: "EdDSA",
        kid: secret.key_id(),
        nonce: URL_SAFE_NO_PAD.encode(nonce),
    };
    let claims = Claims {
        iss: client_id.as_str(),
        sub: client_id.as_str(),
        aud: client_id.audience(),
        exp: now_unix + ASSERTION_SKEW_SECS,
        iat: now_unix,
        nbf: now_unix - ASSERTION_SKEW_SECS,
    };
    let header = serde_json::to_vec(&header)?;
    let claims = serde_json::to_vec(&claims)?;
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims)
    );
    let signature = secret.signing_key().sign(signing_input.as_bytes());
    Ok(format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature.to_bytes())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::credentials::tests::secret_for;
    use ed25519_dalek::{Signature, VerifyingKey};

    fn decode_json(part: &str) -> serde_json::Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    }

    #[test]
    fn assertion_verifies_with_the_public_key_and_carries_the_claims() {
        let id = ClientId::parse("conn@acme.example.com:8443/pcc").unwrap();
        let secret = ClientSecret::parse(&secret_for([3u8; 32], Some("kid-7"))).unwrap();
        let jws = sign_assertion(&id, &secret, 1_700_000_000, [0xAB; 16]).unwrap();

        let parts: Vec<&str> = jws.split('.').collect();
        assert_eq!(parts.len(), 3, "compact serialization has three parts");
        let key = VerifyingKey::from_bytes(&secret.public_key()).unwrap();
        let sig = Signature::from_slice(&URL_SAFE_NO_PAD.decode(parts[2]).unwrap()).unwrap();
        key.verify_strict(format!("{}.{}", parts[0], parts[1]).as_bytes(), &sig)
            .expect("signature verifies");

        let header = decode_json(parts[0]);
        assert_eq!(header["alg"], "EdDSA");
        assert_eq!(header["kid"], "kid-7");
        assert_eq!(header["nonce"], URL_SAFE_NO_PAD.encode([0xAB; 16]));

        let claims = decode_json(parts[1]);
        assert_eq!(claims["iss"], "conn@acme.example.com:8443/pcc");
        assert_eq!(claims["sub"], "conn@acme.example.com:8443/pcc");
        assert_eq!(claims["aud"], "acme.example.com", "audience has no port");
        assert_eq!(claims["iat"], 1_700_000_000);
        assert_eq!(claims["nbf"], 1_700_000_000 - 120);
        assert_eq!(claims["exp"], 1_700_000_000 + 120);
    }

    #[test]
    fn tampering_breaks_the_signature_and_nonces_differ() {
        let id = ClientId::parse("conn@h/x").unwrap();
        let secret = ClientSecret::parse(&secret_for([5u8; 32], None)).unwrap();
        let a = sign_assertion(&id, &secret, 10, [1; 16]).unwrap();
        let b = sign_assertion(&id, &secret, 10, [2; 16]).unwrap();
        assert_ne!(a, b);
        assert!(decode_json(a.split('.').next().unwrap())
            .get("kid")
            .is_none());

        let parts: Vec<&str> = a.split('.').collect();
        let forged_claims = URL_SAFE_NO_PAD.encode(br#"{"iss":"someone-else"}"#);
        let key = VerifyingKey::from_bytes(&secret.public_key()).unwrap();
        let sig = Signature::from_slice(&URL_SAFE_NO_PAD.decode(parts[2]).unwrap()).unwrap();
        assert!(key
            .verify_strict(format!("{}.{forged_claims}", parts[0]).as_bytes(), &sig)
            .is_err());
    }
}
