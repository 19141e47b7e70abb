//! ConductorOne client credentials, as baton-sdk reads them.
//!
//! The client id is `<client name>@<host[:port]>/<anything>`: the host is
//! where the token endpoint and the gRPC API live. The client secret is
//! `<a>:<b>:v1:<base64url of a JSON Web Key>`, the key being a *private*
//! Ed25519 (OKP) key that signs the token request.
//!
//! Neither value is ever put into an error message or a log: a malformed one
//! is reported by name and by what is wrong with it only.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ed25519_dalek::SigningKey;
use serde::Deserialize;
use zeroize::Zeroizing;

/// Why a credential could not be used. The message never contains the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialsError {
    #[error(
        "invalid client id (--client-id / BATON_CLIENT_ID): {0}; expected <name>@<host>/<rest>"
    )]
    ClientId(&'static str),
    #[error("invalid client secret (--client-secret / BATON_CLIENT_SECRET): {0}")]
    ClientSecret(&'static str),
}

/// A parsed client id.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientId {
    raw: String,
    name_len: usize,
    host: String,
}

impl ClientId {
    /// Splits at the first `@`, then the rest at the first `/`, as baton-sdk does.
    pub fn parse(raw: &str) -> Result<Self, CredentialsError> {
        let raw = raw.trim();
        let (name, rest) = raw
            .split_once('@')
            .ok_or(CredentialsError::ClientId("there is no '@'"))?;
        let (host, _) = rest
            .split_once('/')
            .ok_or(CredentialsError::ClientId("there is no '/' after the host"))?;
        if host.is_empty() {
            return Err(CredentialsError::ClientId("the host is empty"));
        }
        if host.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(CredentialsError::ClientId("the host contains whitespace"));
        }
        Ok(Self {
            raw: raw.to_owned(),
            name_len: name.len(),
            host: host.to_owned(),
        })
    }

    /// The whole client id (the `iss`/`sub` of the token request and its `client_id`).
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The part before `@` (ConductorOne's name for this connector client).
    pub fn client_name(&self) -> &str {
        &self.raw[..self.name_len]
    }

    /// `host[:port]` between `@` and `/`.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The token audience: the host without a port.
    pub fn audience(&self) -> &str {
        split_host_port(&self.host).0
    }
}

impl fmt::Debug for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientId")
            .field("host", &self.host)
            .finish_non_exhaustive()
    }
}

/// The private key of a client secret.
pub struct ClientSecret {
    key: SigningKey,
    key_id: Option<String>,
}

/// The JSON Web Key fields we read; any others are ignored.
#[derive(Deserialize)]
struct Jwk {
    kty: Option<String>,
    crv: Option<String>,
    d: Option<String>,
    x: Option<String>,
    kid: Option<String>,
}

impl ClientSecret {
    pub fn parse(raw: &str) -> Result<Self, CredentialsError> {
        let bad = CredentialsError::ClientSecret;
        let parts: Vec<&str> = raw.trim().splitn(4, ':').collect();
        if parts.len() != 4 {
            return Err(bad("expected 4 ':'-separated parts (<a>:<b>:v1:<key>)"));
        }
        if parts[2] != "v1" {
            return Err(bad("unsupported version (the third part must be v1)"));
        }
        // Go's RawURLEncoding; trailing padding is tolerated.
        let json = Zeroizing::new(
            URL_SAFE_NO_PAD
                .decode(parts[3].trim_end_matches('='))
                .map_err(|_| bad("the key is not base64url"))?,
        );
        // serde_json's messages quote the input: never pass them on.
        let jwk: Jwk =
            serde_json::from_slice(&json).map_err(|_| bad("the key is not a JSON Web Key"))?;
        if jwk.kty.as_deref() != Some("OKP") || jwk.crv.as_deref() != Some("Ed25519") {
            return Err(bad("the key is not an Ed25519 (OKP) key"));
        }
        let d = jwk
            .d
            .ok_or(bad("the key is a public key; a private key is needed"))?;
        let d = Zeroizing::new(d);
        let d = Zeroizing::new(
            URL_SAFE_NO_PAD
                .decode(d.trim_end_matches('='))
                .map_err(|_| bad("the key's private part is not base64url"))?,
        );
        let seed: Zeroizing<[u8; 32]> = d
            .as_slice()
            .try_into()
            .map(Zeroizing::new)
            .map_err(|_| bad("the key's private part is not 32 bytes"))?;
        let key = SigningKey::from_bytes(&seed);
        // go-jose requires the public half too; a mismatched one would only
        // show up later as rejected token requests.
        let x = jwk.x.ok_or(bad("the key has no public part (x)"))?;
        let x = URL_SAFE_NO_PAD
            .decode(x.trim_end_matches('='))
            .map_err(|_| bad("the key's public part is not base64url"))?;
        if x.as_slice() != key.verifying_key().as_bytes() {
            return Err(bad("the key's public part does not match its private part"));
        }
        Ok(Self {
            key,
            key_id: jwk.kid.filter(|k| !k.is_empty()),
        })
    }

    pub(crate) fn signing_key(&self) -> &SigningKey {
        &self.key
    }

    /// The JWK's `kid`, sent in the assertion header (as go-jose does).
    pub fn key_id(&self) -> Option<&str> {
        self.key_id.as_deref()
    }

    /// The public key (what ConductorOne verifies assertions with).
    pub fn public_key(&self) -> [u8; 32] {
        self.key.verifying_key().to_bytes()
    }
}

impl fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientSecret([redacted])")
    }
}

/// Both credentials, parsed.
#[derive(Debug)]
pub struct Credentials {
    pub client_id: ClientId,
    pub client_secret: ClientSecret,
}

impl Credentials {
    /// Parses the id first, then the secret, so the error names the first bad one.
    pub fn parse(client_id: &str, client_secret: &str) -> Result<Self, CredentialsError> {
        Ok(Self {
            client_id: ClientId::parse(client_id)?,
            client_secret: ClientSecret::parse(client_secret)?,
        })
    }
}

/// Splits `host[:port]` (IPv6 literals in brackets) into the host and the port, if any.
pub(crate) fn split_host_port(value: &str) -> (&str, Option<&str>) {
    if let Some(rest) = value.strip_prefix('[') {
        if let Some((host, after)) = rest.split_once(']') {
            let port = after.strip_prefix(':').filter(|p| !p.is_empty());
            return (host, port);
        }
        return (value, None);
    }
    match value.rsplit_once(':') {
        // Exactly one ':' — more would be a bare IPv6 address without a port.
        Some((host, port)) if !host.contains(':') && !port.is_empty() => (host, Some(port)),
        _ => (value, None),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A secret in ConductorOne's format for `seed`, and its JWK JSON.
    pub(crate) fn secret_for(seed: [u8; 32], kid: Option<&str>) -> String {
        let key = SigningKey::from_bytes(&seed);
        let mut jwk = serde_json::json!({
            "kty": "OKP",
            "crv": "Ed25519",
            "d": URL_SAFE_NO_PAD.encode(seed),
            "x": URL_SAFE_NO_PAD.encode(key.verifying_key().as_bytes()),
        });
        if let Some(kid) = kid {
            jwk["kid"] = serde_json::Value::from(kid);
        }
        format!(
            "secret-token:conductorone.com:v1:{}",
            URL_SAFE_NO_PAD.encode(jwk.to_string())
        )
    }

    #[test]
    fn client_id_splits_like_baton_sdk() {
        let id = ClientId::parse("my-connector@acme.conductor.one/pcc").unwrap();
        assert_eq!(id.client_name(), "my-connector");
        assert_eq!(id.host(), "acme.conductor.one");
        assert_eq!(id.audience(), "acme.conductor.one");
        assert_eq!(id.as_str(), "my-connector@acme.conductor.one/pcc");

        let id = ClientId::parse("a@b@127.0.0.1:8443/x/y").unwrap();
        assert_eq!(id.client_name(), "a");
        assert_eq!(id.host(), "b@127.0.0.1:8443");

        let id = ClientId::parse("n@127.0.0.1:8443/x").unwrap();
        assert_eq!(id.host(), "127.0.0.1:8443");
        assert_eq!(id.audience(), "127.0.0.1");
    }

    #[test]
    fn malformed_client_ids_are_named_but_not_printed() {
        for bad in [
            "no-at-sign/x",
            "name@host-without-slash",
            "name@/x",
            "n@ho st/x",
        ] {
            let err = ClientId::parse(bad).unwrap_err();
            let text = err.to_string();
            assert!(text.starts_with("invalid client id"), "{text}");
            assert!(!text.contains(bad), "{text} contains the value");
        }
    }

    #[test]
    fn secret_round_trips_and_keeps_kid() {
        let seed = [7u8; 32];
        let secret = ClientSecret::parse(&secret_for(seed, Some("key-1"))).unwrap();
        assert_eq!(secret.key_id(), Some("key-1"));
        assert_eq!(
            secret.public_key(),
            SigningKey::from_bytes(&seed).verifying_key().to_bytes()
        );
        assert_eq!(format!("{secret:?}"), "ClientSecret([redacted])");
    }

    #[test]
    fn malformed_secrets_are_refused_without_echoing_them() {
        let good = secret_for([9u8; 32], None);
        let key_part = good.rsplit(':').next().unwrap().to_owned();
        let public_only = {
            let key = SigningKey::from_bytes(&[9u8; 32]);
            let jwk = serde_json::json!({
                "kty": "OKP", "crv": "Ed25519",
                "x": URL_SAFE_NO_PAD.encode(key.verifying_key().as_bytes()),
            });
            format!("a:b:v1:{}", URL_SAFE_NO_PAD.encode(jwk.to_string()))
        };
        let wrong_x = {
            let other = SigningKey::from_bytes(&[1u8; 32]);
            let jwk = serde_json::json!({
                "kty": "OKP", "crv": "Ed25519",
                "d": URL_SAFE_NO_PAD.encode([9u8; 32]),
                "x": URL_SAFE_NO_PAD.encode(other.verifying_key().as_bytes()),
            });
            format!("a:b:v1:{}", URL_SAFE_NO_PAD.encode(jwk.to_string()))
        };
        let rsa = format!(
            "a:b:v1:{}",
            URL_SAFE_NO_PAD.encode(r#"{"kty":"RSA","n":"AQAB","e":"AQAB","d":"AQAB"}"#)
        );
        let cases = [
            ("not-a-secret".to_owned(), "4 ':'-separated parts"),
            (format!("a:b:v2:{key_part}"), "version"),
            ("a:b:v1:***".to_owned(), "not base64url"),
            (
                format!("a:b:v1:{}", URL_SAFE_NO_PAD.encode("{not json")),
                "not a JSON Web Key",
            ),
            (rsa, "not an Ed25519"),
            (public_only, "public key"),
            (wrong_x, "does not match"),
        ];
        for (secret, why) in cases {
            let err = ClientSecret::parse(&secret).unwrap_err();
            let text = err.to_string();
            assert!(text.starts_with("invalid client secret"), "{text}");
            assert!(text.contains(why), "{text} should say {why}");
            assert!(!text.contains(&secret), "{text} echoes the secret");
            assert!(!text.contains(&key_part), "{text} echoes the key");
        }
    }

    #[test]
    fn host_and_port_split() {
        assert_eq!(split_host_port("example.com"), ("example.com", None));
        assert_eq!(
            split_host_port("example.com:8443"),
            ("example.com", Some("8443"))
        );
        assert_eq!(split_host_port("[::1]:8443"), ("::1", Some("8443")));
        assert_eq!(split_host_port("[::1]"), ("::1", None));
        assert_eq!(split_host_port("::1"), ("::1", None));
    }
}
