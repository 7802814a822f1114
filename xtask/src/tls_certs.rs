//! The certificates of the TLS listener that the xtask's dockerd opens next to
//! its unix socket, for the tests of dockhand's TLS transport.
//!
//! They are made with the `openssl` CLI into `<repo>/.dockhand/tls/` once and
//! reused while every file is there and still checks out:
//!
//! - `ca/`: `ca.pem`, `ca-key.pem`: the CA that signs the rest.
//! - `server/`: `cert.pem`, `key.pem`: dockerd's certificate, for
//!   `IP:127.0.0.1` only. With no DNS name in it, connecting as `localhost`
//!   is a wrong-server-name case.
//! - `client/`: `ca.pem`, `cert.pem`, `key.pem`: a client certificate and its
//!   CA in the layout `DOCKER_CERT_PATH` points at.
//! - `other-ca/`: the same layout, but the CA and the client certificate it
//!   signed are unrelated to dockerd's: for the wrong-CA cases both ways.
//! - `openssl.cnf`: the extensions they were made with. A copy that differs
//!   from [`CONFIG`] means an older xtask made them, so they are made again.
//!
//! Keys are EC P-256 in PKCS#8 PEM and certificates X.509 v3 with
//! basicConstraints, which is what rustls (webpki) accepts: it rejects v1
//! certificates and CA certificates used as end-entity ones.

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};

use crate::packages;

/// The extensions of each certificate. `req` insists on a
/// `distinguished_name` section even when `-subj` gives the whole name.
const CONFIG: &str = "\
# Written by `cargo xtask` (xtask/src/tls_certs.rs) with the certificates
# next to it; when xtask changes this text, they are made again.
[req]
distinguished_name = dn
[dn]
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
[client]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
";

/// Ten years: long enough to never expire under a checkout.
const DAYS: &str = "3650";
/// Certificates this close to expiry count as invalid and are made again.
const MIN_SECONDS_LEFT: &str = "2592000";

/// Every file a complete directory holds, relative to it.
const FILES: &[&str] = &[
    "openssl.cnf",
    "ca/ca.pem",
    "ca/ca-key.pem",
    "server/cert.pem",
    "server/key.pem",
    "client/ca.pem",
    "client/cert.pem",
    "client/key.pem",
    "other-ca/ca.pem",
    "other-ca/cert.pem",
    "other-ca/key.pem",
];

/// A complete certificate directory.
pub struct TlsCerts {
    pub dir: PathBuf,
    /// Whether this run made them, so that a dockerd still running with
    /// older ones must not be reused.
    pub fresh: bool,
}

impl TlsCerts {
    pub fn ca(&self) -> PathBuf {
        self.dir.join("ca/ca.pem")
    }

    pub fn server_cert(&self) -> PathBuf {
        self.dir.join("server/cert.pem")
    }

    pub fn server_key(&self) -> PathBuf {
        self.dir.join("server/key.pem")
    }
}

/// Returns the certificates in `dir`, made first when any is missing, stale
/// or does not verify.
pub fn ensure(dir: &Path) -> Result<TlsCerts> {
    if is_valid(dir) {
        return Ok(TlsCerts {
            dir: dir.to_path_buf(),
            fresh: false,
        });
    }
    packages::find_program("openssl").context("openssl is not installed")?;
    eprintln!("xtask: making TLS certificates in {}", dir.display());
    // Made aside and moved in whole, so that an interrupted run leaves no
    // half-made directory for the next one to trust.
    let name = dir
        .file_name()
        .unwrap_or(OsStr::new("tls"))
        .to_string_lossy();
    let scratch = dir.with_file_name(format!("{name}.new-{}", std::process::id()));
    let _ = fs::remove_dir_all(&scratch);
    let made = generate(&scratch);
    if let Err(err) = made {
        let _ = fs::remove_dir_all(&scratch);
        return Err(err);
    }
    if dir.exists() {
        fs::remove_dir_all(dir).with_context(|| format!("could not remove {}", dir.display()))?;
    }
    fs::rename(&scratch, dir)
        .with_context(|| format!("could not move {} to {}", scratch.display(), dir.display()))?;
    Ok(TlsCerts {
        dir: dir.to_path_buf(),
        fresh: true,
    })
}

/// Makes every file of [`FILES`] in `dir`, which must not exist yet.
fn generate(dir: &Path) -> Result<()> {
    for sub in ["ca", "server", "client", "other-ca", "work"] {
        let path = dir.join(sub);
        fs::create_dir_all(&path)
            .with_context(|| format!("could not create {}", path.display()))?;
    }
    let config = dir.join("openssl.cnf");
    fs::write(&config, CONFIG).with_context(|| format!("could not write {}", config.display()))?;
    let work = dir.join("work");

    let ca = Issuer {
        cert: dir.join("ca/ca.pem"),
        key: dir.join("ca/ca-key.pem"),
        serial: work.join("ca.srl"),
    };
    make_ca(&config, &ca, "/CN=dockhand test CA")?;
    let server = dir.join("server");
    make_leaf(&config, &ca, "server", "/CN=127.0.0.1", &server, &work)?;
    let client = dir.join("client");
    make_leaf(
        &config,
        &ca,
        "client",
        "/CN=dockhand test client",
        &client,
        &work,
    )?;
    copy(&ca.cert, &client.join("ca.pem"))?;

    // The other CA's key is no use once it has signed: it is left in `work`.
    let other = dir.join("other-ca");
    let other_ca = Issuer {
        cert: other.join("ca.pem"),
        key: work.join("other-ca-key.pem"),
        serial: work.join("other-ca.srl"),
    };
    make_ca(&config, &other_ca, "/CN=dockhand unrelated test CA")?;
    make_leaf(
        &config,
        &other_ca,
        "client",
        "/CN=dockhand client of the unrelated CA",
        &other,
        &work,
    )?;

    fs::remove_dir_all(&work).with_context(|| format!("could not remove {}", work.display()))?;
    if !is_valid(dir) {
        bail!(
            "the TLS certificates just made in {} do not verify",
            dir.display()
        );
    }
    Ok(())
}

/// A CA's certificate and key, and the serial file `openssl x509` keeps for
/// it (created with a random first serial).
struct Issuer {
    cert: PathBuf,
    key: PathBuf,
    serial: PathBuf,
}

/// A new key and a self-signed CA certificate for it.
fn make_ca(config: &Path, ca: &Issuer, subject: &str) -> Result<()> {
    make_key(&ca.key)?;
    run(openssl()
        .args([
            "req", "-x509", "-new", "-sha256", "-days", DAYS, "-subj", subject,
        ])
        .arg("-config")
        .arg(config)
        .args(["-extensions", "ca"])
        .arg("-key")
        .arg(&ca.key)
        .arg("-out")
        .arg(&ca.cert))
    .map(drop)
}

/// `out/key.pem` and `out/cert.pem`: a new key and a certificate for it
/// that `ca` signs, with the extensions of config section `profile`.
fn make_leaf(
    config: &Path,
    ca: &Issuer,
    profile: &str,
    subject: &str,
    out: &Path,
    work: &Path,
) -> Result<()> {
    let key = out.join("key.pem");
    let csr = work.join("request.pem");
    make_key(&key)?;
    run(openssl()
        .args(["req", "-new", "-subj", subject])
        .arg("-config")
        .arg(config)
        .arg("-key")
        .arg(&key)
        .arg("-out")
        .arg(&csr))?;
    run(openssl()
        .args(["x509", "-req", "-sha256", "-days", DAYS])
        .arg("-in")
        .arg(&csr)
        .arg("-CA")
        .arg(&ca.cert)
        .arg("-CAkey")
        .arg(&ca.key)
        .arg("-CAserial")
        .arg(&ca.serial)
        .arg("-CAcreateserial")
        .arg("-extfile")
        .arg(config)
        .args(["-extensions", profile])
        .arg("-out")
        .arg(out.join("cert.pem")))
    .map(drop)
}

/// An EC P-256 key. openssl 3 writes it as PKCS#8 (`BEGIN PRIVATE KEY`),
/// readable by its owner only.
fn make_key(path: &Path) -> Result<()> {
    run(openssl()
        .args([
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ])
        .arg("-out")
        .arg(path))
    .map(drop)
}

fn copy(from: &Path, to: &Path) -> Result<()> {
    fs::copy(from, to)
        .map(drop)
        .with_context(|| format!("could not copy {} to {}", from.display(), to.display()))
}

/// Whether `dir` holds every file, made from the current [`CONFIG`], each
/// certificate with its own key, chaining to its CA and far from expiry.
/// openssl checks the chains and dates; it must be installed for this to
/// say yes.
fn is_valid(dir: &Path) -> bool {
    let file = |name: &str| dir.join(name);
    if !FILES.iter().all(|name| file(name).is_file()) {
        return false;
    }
    let same = |a: &str, b: &str| matches!((fs::read(file(a)), fs::read(file(b))), (Ok(a), Ok(b)) if a == b);
    if fs::read_to_string(file("openssl.cnf")).ok().as_deref() != Some(CONFIG)
        || !same("ca/ca.pem", "client/ca.pem")
    {
        return false;
    }
    let chains = [
        ("ca/ca.pem", "server/cert.pem"),
        ("ca/ca.pem", "client/cert.pem"),
        ("other-ca/ca.pem", "other-ca/cert.pem"),
    ];
    let pairs = [
        ("ca/ca.pem", "ca/ca-key.pem"),
        ("server/cert.pem", "server/key.pem"),
        ("client/cert.pem", "client/key.pem"),
        ("other-ca/cert.pem", "other-ca/key.pem"),
    ];
    let certs = [
        "ca/ca.pem",
        "server/cert.pem",
        "client/cert.pem",
        "other-ca/ca.pem",
        "other-ca/cert.pem",
    ];
    chains
        .iter()
        .all(|(ca, cert)| verifies(&file(ca), &file(cert)))
        && pairs
            .iter()
            .all(|(cert, key)| key_matches(&file(cert), &file(key)))
        && certs.iter().all(|cert| lasts(&file(cert)))
}

/// Whether `cert` chains to `ca` and is within its validity.
fn verifies(ca: &Path, cert: &Path) -> bool {
    run(openssl().arg("verify").arg("-CAfile").arg(ca).arg(cert)).is_ok()
}

/// Whether `cert` is for `key`: their public keys are the same.
fn key_matches(cert: &Path, key: &Path) -> bool {
    let of_cert = run(openssl()
        .args(["x509", "-noout", "-pubkey", "-in"])
        .arg(cert));
    let of_key = run(openssl().args(["pkey", "-pubout", "-in"]).arg(key));
    matches!((of_cert, of_key), (Ok(a), Ok(b)) if !a.is_empty() && a == b)
}

/// Whether `cert` is still valid [`MIN_SECONDS_LEFT`] from now.
fn lasts(cert: &Path) -> bool {
    run(openssl()
        .args(["x509", "-noout", "-checkend", MIN_SECONDS_LEFT, "-in"])
        .arg(cert))
    .is_ok()
}

fn openssl() -> Command {
    let mut cmd = Command::new("openssl");
    cmd.stdin(Stdio::null());
    cmd
}

/// Runs `cmd` and returns its stdout, or fails with its stderr.
fn run(cmd: &mut Command) -> Result<Vec<u8>> {
    let shown = std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(OsStr::to_string_lossy)
        .collect::<Vec<_>>()
        .join(" ");
    let output = cmd
        .output()
        .with_context(|| format!("could not run {shown}"))?;
    if !output.status.success() {
        bail!(
            "`{shown}` failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(output.stdout)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("xtask-tls-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn text(cert: &Path) -> String {
        let out = run(openssl().args(["x509", "-noout", "-text", "-in"]).arg(cert)).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn every_file_is_listed_once() {
        let mut names = FILES.to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), FILES.len());
    }

    #[test]
    fn makes_reuses_and_remakes_certificates() {
        if packages::find_program("openssl").is_none() {
            eprintln!("skipped: openssl is not installed");
            return;
        }
        let root = scratch("cycle");
        let dir = root.join("tls");
        let certs = ensure(&dir).unwrap();
        assert!(certs.fresh);
        assert!(!root
            .read_dir()
            .unwrap()
            .any(|e| { e.unwrap().file_name().to_string_lossy().contains(".new-") }));

        let server = text(&certs.server_cert());
        assert!(server.contains("Version: 3"), "{server}");
        assert!(server.contains("IP Address:127.0.0.1"), "{server}");
        assert!(!server.contains("DNS:"), "{server}");
        assert!(server.contains("TLS Web Server Authentication"), "{server}");
        assert!(server.contains("CA:FALSE"), "{server}");
        let client = text(&dir.join("client/cert.pem"));
        assert!(client.contains("TLS Web Client Authentication"), "{client}");
        assert!(text(&certs.ca()).contains("CA:TRUE"));
        for key in [
            "ca/ca-key.pem",
            "server/key.pem",
            "client/key.pem",
            "other-ca/key.pem",
        ] {
            let pem = fs::read_to_string(dir.join(key)).unwrap();
            assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"), "{key}");
        }
        // Unrelated: neither CA vouches for the other's client.
        assert!(!verifies(&certs.ca(), &dir.join("other-ca/cert.pem")));
        assert!(!verifies(
            &dir.join("other-ca/ca.pem"),
            &dir.join("client/cert.pem")
        ));

        let again = ensure(&dir).unwrap();
        assert!(!again.fresh);

        fs::remove_file(dir.join("other-ca/key.pem")).unwrap();
        assert!(!is_valid(&dir));
        assert!(ensure(&dir).unwrap().fresh);

        // A key that is not the certificate's.
        fs::copy(dir.join("client/key.pem"), dir.join("server/key.pem")).unwrap();
        assert!(!is_valid(&dir));
        assert!(ensure(&dir).unwrap().fresh);

        fs::write(dir.join("openssl.cnf"), "# older\n").unwrap();
        assert!(!is_valid(&dir));
        let _ = fs::remove_dir_all(&root);
    }
}
