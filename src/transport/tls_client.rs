//! The TLS client, with rustls (the `tls` feature): the configuration
//! [`TlsSettings`] describe, the daemon's server name, the handshake and
//! what a failed one means.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use tokio::net::TcpStream;

use super::connector::{timed_out, Io};
use super::tls::{Pem, TlsSettings};
use crate::{BoxError, Error, Result};

/// What a TLS connection to one daemon needs: its name to verify and the
/// rustls configuration.
#[derive(Clone)]
pub(crate) struct TlsClient {
    server_name: ServerName<'static>,
    config: Arc<ClientConfig>,
}

impl std::fmt::Debug for TlsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsClient")
            .field("server_name", &self.server_name)
            .finish_non_exhaustive()
    }
}

impl TlsClient {
    /// The client for the daemon at `host`, configured as `settings` say.
    /// The PEM material is parsed here, so a bad file is an error before
    /// any connection.
    pub(crate) fn new(host: &str, settings: &TlsSettings) -> Result<TlsClient> {
        Ok(TlsClient {
            server_name: server_name(host)?,
            config: client_config(settings)?,
        })
    }

    /// Handshake over `tcp` within `timeout`.
    pub(crate) async fn handshake(
        &self,
        tcp: TcpStream,
        host: &str,
        port: u16,
        timeout: Duration,
    ) -> std::result::Result<Box<dyn Io>, BoxError> {
        let handshake = tokio_rustls::TlsConnector::from(Arc::clone(&self.config))
            .connect(self.server_name.clone(), tcp);
        let tls = tokio::time::timeout(timeout, handshake)
            .await
            .map_err(|_| timed_out("the TLS handshake", host, port, timeout))?
            .map_err(|e| tls_error(e, host, port))?;
        Ok(Box::new(tls))
    }
}

/// A failed TLS handshake, saying which side refused and why: rustls' own
/// message names the reason (unknown issuer, name mismatch, a certificate
/// the server required, …).
fn tls_error(error: io::Error, host: &str, port: u16) -> BoxError {
    let detail = match error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(rustls::Error::InvalidCertificate(reason)) => {
            format!("the daemon's certificate was refused: {reason:?}")
        }
        Some(rustls::Error::AlertReceived(alert)) => {
            format!("the daemon refused the handshake ({alert:?}): does it want a client certificate this client lacks, or one signed by another CA?")
        }
        Some(other) => other.to_string(),
        None if error.kind() == io::ErrorKind::UnexpectedEof => {
            "the daemon closed the connection during the TLS handshake (is it speaking TLS, and does it accept this client certificate?)".to_owned()
        }
        None => error.to_string(),
    };
    format!("TLS handshake with {host}:{port}: {detail}").into()
}

/// The rustls configuration `settings` describe.
fn client_config(settings: &TlsSettings) -> Result<Arc<ClientConfig>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::invalid("TLS setup", e.to_string()))?;
    let builder = if settings.verify {
        builder.with_root_certificates(roots(settings)?)
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)))
    };
    let config = match &settings.identity {
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
fn roots(settings: &TlsSettings) -> Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    match &settings.ca {
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
fn server_name(host: &str) -> Result<ServerName<'static>> {
    ServerName::try_from(host.to_owned()).map_err(|e| {
        Error::invalid(
            "TLS server name",
            format!("{host:?} cannot be checked against a certificate: {e}"),
        )
    })
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
    fn garbage_pem_is_an_error_naming_its_origin() {
        let settings = TlsSettings {
            verify: true,
            ca: Some(Pem::given("CA", b"not a certificate".to_vec())),
            identity: None,
        };
        let err = client_config(&settings).unwrap_err();
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
