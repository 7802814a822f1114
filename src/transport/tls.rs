//! TLS for `tcp://` and `https://` daemons, with rustls: the docker CLI's
//! `DOCKER_TLS_VERIFY` / `DOCKER_TLS` / `DOCKER_CERT_PATH` model, or PEM
//! material handed over in code.
//!
//! Verification is on unless the caller asks for TLS without it (the CLI's
//! `--tls` without `--tlsverify`). The CA is the cert directory's `ca.pem`
//! (or the system's roots when there is none); `cert.pem` and `key.pem`
//! are the client identity daemons started with `--tlsverify` require.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};

use crate::{Error, Result};

/// The files of a cert directory, as the docker CLI names them.
const CA_FILE: &str = "ca.pem";
const CERT_FILE: &str = "cert.pem";
const KEY_FILE: &str = "key.pem";

/// PEM text and where it came from, for error messages.
#[derive(Clone, Debug)]
pub(crate) struct Pem {
    pub(crate) origin: String,
    pub(crate) text: Vec<u8>,
}

impl Pem {
    /// PEM given in code.
    pub(crate) fn given(what: &str, text: Vec<u8>) -> Pem {
        Pem {
            origin: format!("the {what} PEM given to the builder"),
            text,
        }
    }

    /// Read `path`; `Ok(None)` when it does not exist.
    fn read_if_present(path: &Path) -> Result<Option<Pem>> {
        match std::fs::read(path) {
            Ok(text) => Ok(Some(Pem {
                origin: path.display().to_string(),
                text,
            })),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(err) => Err(Error::invalid(
                "TLS file",
                format!("cannot read {}: {err}", path.display()),
            )),
        }
    }
}

/// What a TLS connection to the daemon uses.
#[derive(Clone, Debug, Default)]
pub(crate) struct TlsSettings {
    /// Verify the daemon's certificate and name.
    pub(crate) verify: bool,
    /// The CA to trust; the system's roots when `None`.
    pub(crate) ca: Option<Pem>,
    /// The client certificate chain and key.
    pub(crate) identity: Option<(Pem, Pem)>,
}

impl TlsSettings {
    /// Fill what is not set yet from a cert directory. A directory the user
    /// named (`explicit`) must hold `ca.pem` when verifying, and `cert.pem`
    /// with `key.pem` or neither; in the default `~/.docker` missing files
    /// are skipped, as the docker CLI skips them.
    pub(crate) fn load_dir(&mut self, dir: &Path, explicit: bool) -> Result<()> {
        let missing = |file: &str| {
            Error::invalid(
                "TLS file",
                format!(
                    "{} does not exist (DOCKER_CERT_PATH / cert_path names {})",
                    dir.join(file).display(),
                    dir.display()
                ),
            )
        };
        if self.ca.is_none() && self.verify {
            self.ca = Pem::read_if_present(&dir.join(CA_FILE))?;
            if self.ca.is_none() && explicit {
                return Err(missing(CA_FILE));
            }
        }
        if self.identity.is_none() {
            let cert = Pem::read_if_present(&dir.join(CERT_FILE))?;
            let key = Pem::read_if_present(&dir.join(KEY_FILE))?;
            self.identity = match (cert, key) {
                (Some(cert), Some(key)) => Some((cert, key)),
                (None, None) => None,
                (Some(_), None) if explicit => return Err(missing(KEY_FILE)),
                (None, Some(_)) if explicit => return Err(missing(CERT_FILE)),
                _ => None,
            };
        }
        Ok(())
    }

    /// The rustls configuration these settings describe.
    pub(crate) fn client_config(&self) -> Result<Arc<ClientConfig>> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::invalid("TLS setup", e.to_string()))?;
        let builder = if self.verify {
            builder.with_root_certificates(self.roots()?)
        } else {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)))
        };
        let config = match &self.identity {
            None => builder.with_no_client_auth(),
            Some((cert, key)) => {
                let chain = certificates(cert)?;
                let key = PrivateKeyDer::from_pem_slice(&key.text).map_err(|e| {
                    Error::invalid(
                        key.origin.to_string(),
                        format!("no usable private key: {e}"),
                    )
                })?;
                builder
                    .with_client_auth_cert(chain, key)
                    .map_err(|e| Error::invalid(cert.origin.to_string(), e.to_string()))?
            }
        };
        Ok(Arc::new(config))
    }

    /// The CA certificates to trust.
    fn roots(&self) -> Result<RootCertStore> {
        let mut roots = RootCertStore::empty();
        match &self.ca {
            Some(ca) => {
                for cert in certificates(ca)? {
                    roots
                        .add(cert)
                        .map_err(|e| Error::invalid(ca.origin.to_string(), e.to_string()))?;
                }
            }
            None => {
                let native = rustls_native_certs::load_native_certs();
                roots.add_parsable_certificates(native.certs);
                if roots.is_empty() {
                    return Err(Error::invalid(
                        "TLS CA",
                        "TLS verification needs a CA: give ca.pem in DOCKER_CERT_PATH \
                         (none found, and the system has no CA certificates)",
                    ));
                }
            }
        }
        Ok(roots)
    }
}

/// The certificates in a PEM text; at least one.
fn certificates(pem: &Pem) -> Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_slice_iter(&pem.text)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::invalid(pem.origin.to_string(), e.to_string()))?;
    if certs.is_empty() {
        return Err(Error::invalid(
            pem.origin.to_string(),
            "no certificate in it",
        ));
    }
    Ok(certs)
}

/// The name the daemon's certificate must carry: its host name or IP.
pub(crate) fn server_name(host: &str) -> Result<ServerName<'static>> {
    ServerName::try_from(host.to_owned()).map_err(|e| {
        Error::invalid(
            "TLS server name",
            format!("{host:?} cannot be checked against a certificate: {e}"),
        )
    })
}

/// The default cert directory: `~/.docker`.
pub(crate) fn default_cert_dir() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".docker"))
}

/// TLS without verification (`DOCKER_TLS` without `DOCKER_TLS_VERIFY`):
/// any certificate is accepted, but the handshake's signatures are still
/// checked so the session is at least encrypted to whoever answered.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_explicit_dir_without_ca_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = TlsSettings {
            verify: true,
            ..Default::default()
        };
        let err = settings.load_dir(dir.path(), true).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
        assert!(
            err.to_string()
                .contains(&dir.path().join("ca.pem").display().to_string()),
            "{err}"
        );
    }

    #[test]
    fn a_cert_without_its_key_is_an_error_naming_the_key() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("cert.pem"), "x").unwrap();
        let err = TlsSettings::default()
            .load_dir(dir.path(), true)
            .unwrap_err();
        assert!(err.to_string().contains("key.pem"), "{err}");
    }

    #[test]
    fn the_default_dir_skips_missing_files() {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = TlsSettings::default();
        settings.load_dir(dir.path(), false).unwrap();
        assert!(settings.ca.is_none() && settings.identity.is_none());
    }

    #[test]
    fn garbage_pem_is_an_error_naming_its_origin() {
        let settings = TlsSettings {
            verify: true,
            ca: Some(Pem::given("CA", b"not a certificate".to_vec())),
            identity: None,
        };
        let err = settings.client_config().unwrap_err();
        assert!(err.to_string().contains("the CA PEM given"), "{err}");
    }

    #[test]
    fn ip_addresses_and_names_are_server_names() {
        assert!(matches!(
            server_name("127.0.0.1").unwrap(),
            ServerName::IpAddress(_)
        ));
        assert!(matches!(
            server_name("docker.example").unwrap(),
            ServerName::DnsName(_)
        ));
    }
}
