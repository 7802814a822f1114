//! TLS settings for `tcp://` and `https://` daemons: the docker CLI's
//! `DOCKER_TLS_VERIFY` / `DOCKER_TLS` / `DOCKER_CERT_PATH` model, or PEM
//! material handed over in code. The client that uses them, with rustls,
//! is `tls_client.rs` (the `tls` feature).
//!
//! Verification is on unless the caller asks for TLS without it (the CLI's
//! `--tls` without `--tlsverify`). The CA is the cert directory's `ca.pem`
//! (or the system's roots when there is none); `cert.pem` and `key.pem`
//! are the client identity daemons started with `--tlsverify` require.

use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// The files of a cert directory, as the docker CLI names them.
const CA_FILE: &str = "ca.pem";
const CERT_FILE: &str = "cert.pem";
const KEY_FILE: &str = "key.pem";

/// PEM text and where it came from, for error messages.
#[derive(Clone, Debug)]
#[cfg_attr(not(feature = "tls"), allow(dead_code))] // Read by the TLS client.
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
}

/// The default cert directory: `~/.docker`.
pub(crate) fn default_cert_dir() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".docker"))
}

#[cfg(feature = "tls")]
pub(crate) use super::tls_client::TlsClient;

/// Without the `tls` feature there is no TLS client: asking for TLS is an
/// error naming the feature, before any connection.
#[cfg(not(feature = "tls"))]
#[derive(Clone, Debug)]
pub(crate) enum TlsClient {}

#[cfg(not(feature = "tls"))]
impl TlsClient {
    /// The error that TLS is not built in.
    pub(crate) fn new(_host: &str, _settings: &TlsSettings) -> Result<TlsClient> {
        Err(Error::invalid(
            "TLS",
            "this build of dockhand has no TLS: enable its `tls` feature (on by default)",
        ))
    }

    /// Never called: there is no value of this type.
    pub(crate) async fn handshake(
        &self,
        _tcp: tokio::net::TcpStream,
        _host: &str,
        _port: u16,
        _timeout: std::time::Duration,
    ) -> std::result::Result<Box<dyn super::connector::Io>, crate::BoxError> {
        match *self {}
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

    #[cfg(not(feature = "tls"))]
    #[test]
    fn without_the_tls_feature_asking_for_tls_is_an_error_naming_it() {
        let err = crate::Docker::builder()
            .host("tcp://127.0.0.1:2376")
            .tls(true)
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::InvalidArgument { .. }), "{err:?}");
        assert!(err.to_string().contains("`tls` feature"), "{err}");
        // Plain TCP needs no TLS.
        crate::Docker::builder()
            .host("tcp://127.0.0.1:2375")
            .build()
            .unwrap();
    }
}
