//! Which certificate authorities service mode trusts: the system's roots plus,
//! when `SSL_CERT_FILE` is set, the certificates in that PEM file (so a test
//! CA or a corporate TLS proxy can be added without replacing the system's).
//!
//! `rustls-native-certs` treats `SSL_CERT_FILE` as a *replacement* of the
//! system roots, so on Linux the system bundle is read from the well-known
//! locations directly (the list Go's crypto/x509 uses).

use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

/// The trust roots could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read the CA file {path} (SSL_CERT_FILE): {source}")]
    ReadCaFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the CA file {path} (SSL_CERT_FILE) holds no PEM certificates")]
    EmptyCaFile { path: PathBuf },
    #[error("no trusted CA certificates: the system has none and SSL_CERT_FILE is not set")]
    NoRoots,
}

/// Linux CA bundles, in the order Go's crypto/x509 tries them.
#[cfg(target_os = "linux")]
const LINUX_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/tls/cacert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

/// The certificates to trust (DER).
#[derive(Clone)]
pub struct TrustRoots {
    certs: Vec<CertificateDer<'static>>,
    system: usize,
}

impl std::fmt::Debug for TrustRoots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrustRoots")
            .field("system", &self.system)
            .field("extra", &(self.certs.len() - self.system))
            .finish()
    }
}

impl TrustRoots {
    /// The system roots plus the certificates of `extra_ca_file`.
    pub fn load(extra_ca_file: Option<&Path>) -> Result<Self, TlsError> {
        let mut certs = system_roots();
        let system = certs.len();
        if let Some(path) = extra_ca_file {
            let extra = pem_file(path)?;
            if extra.is_empty() {
                return Err(TlsError::EmptyCaFile {
                    path: path.to_owned(),
                });
            }
            certs.extend(extra);
        }
        if certs.is_empty() {
            return Err(TlsError::NoRoots);
        }
        tracing::debug!(
            system_roots = system,
            extra_roots = certs.len() - system,
            "loaded trusted CA certificates"
        );
        Ok(Self { certs, system })
    }

    pub fn certificates(&self) -> &[CertificateDer<'static>] {
        &self.certs
    }

    /// All certificates as one PEM text (tonic takes roots as PEM).
    pub fn to_pem(&self) -> String {
        let mut out = String::new();
        for cert in &self.certs {
            out.push_str("-----BEGIN CERTIFICATE-----\n");
            let encoded = STANDARD.encode(cert.as_ref());
            for line in encoded.as_bytes().chunks(64) {
                // base64 output is ASCII, so every chunk is valid UTF-8.
                out.push_str(&String::from_utf8_lossy(line));
                out.push('\n');
            }
            out.push_str("-----END CERTIFICATE-----\n");
        }
        out
    }
}

/// Every parsable certificate of a PEM file; other PEM sections are skipped.
fn pem_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let data = std::fs::read(path).map_err(|source| TlsError::ReadCaFile {
        path: path.to_owned(),
        source,
    })?;
    Ok(CertificateDer::pem_slice_iter(&data)
        .filter_map(Result::ok)
        .collect())
}

#[cfg(target_os = "linux")]
fn system_roots() -> Vec<CertificateDer<'static>> {
    for bundle in LINUX_BUNDLES {
        let path = Path::new(bundle);
        if path.is_file() {
            match pem_file(path) {
                Ok(certs) if !certs.is_empty() => return certs,
                Ok(_) => {}
                Err(e) => tracing::debug!(error = %e, "skipping a system CA bundle"),
            }
        }
    }
    native_roots()
}

#[cfg(not(target_os = "linux"))]
fn system_roots() -> Vec<CertificateDer<'static>> {
    native_roots()
}

/// The platform's store (certificate directories on Linux without a bundle).
fn native_roots() -> Vec<CertificateDer<'static>> {
    let result = rustls_native_certs::load_native_certs();
    for error in &result.errors {
        tracing::debug!(error = %error, "while loading the system CA certificates");
    }
    result.certs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test_cert_pem() -> String {
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])
            .unwrap()
            .cert
            .pem()
    }

    #[test]
    fn extra_ca_file_is_added_to_the_system_roots() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, format!("junk before\n{}", test_cert_pem())).unwrap();
        let without = TrustRoots::load(None);
        let with = TrustRoots::load(Some(&path)).unwrap();
        let system = without.map(|r| r.certificates().len()).unwrap_or(0);
        assert_eq!(with.certificates().len(), system + 1);
        // The PEM re-encoding parses back to the same certificates.
        let back: Vec<_> = CertificateDer::pem_slice_iter(with.to_pem().as_bytes())
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(back, with.certificates());
    }

    #[test]
    fn unusable_ca_files_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        assert!(matches!(
            TrustRoots::load(Some(&missing)),
            Err(TlsError::ReadCaFile { .. })
        ));
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate").unwrap();
        assert!(matches!(
            TrustRoots::load(Some(&empty)),
            Err(TlsError::EmptyCaFile { .. })
        ));
    }
}
