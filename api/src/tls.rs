//! HTTPS in the binary: a certificate and key from PEM files
//! (`http.tls.cert_file`, `http.tls.key_file`), served with rustls, and
//! picked up again when the files change (a renewal by certbot or another
//! ACME client needs no restart). The files are looked at on each new
//! connection; a replacement that does not load (half-written, wrong key)
//! is logged and the previous certificate is kept.
//!
//! `http.redirect_listen` (port 80) answers every request with a permanent
//! redirect to the same path on `app.public_url`, never to whatever a
//! request's `Host` names.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::SystemTime;

use anyhow::Context;
use axum::Router;
use axum::extract::Request;
use axum::response::Redirect;
use rustls::crypto::ring::sign::any_supported_type;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use serde::{Deserialize, Serialize};

/// Where the certificate and its key are.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TlsFiles {
    /// The certificate chain, PEM (the server's first, e.g. `fullchain.pem`).
    pub cert_file: PathBuf,
    /// Its private key, PEM (PKCS#8, PKCS#1 or SEC1).
    pub key_file: PathBuf,
}

/// The certificate being served, and the files it came from.
#[derive(Debug)]
pub struct CertStore {
    files: TlsFiles,
    current: RwLock<Arc<CertifiedKey>>,
    /// The files' modification times when last looked at.
    seen: Mutex<(Option<SystemTime>, Option<SystemTime>)>,
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

fn load(files: &TlsFiles) -> anyhow::Result<CertifiedKey> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.cert_file)
        .and_then(|certs| certs.collect::<Result<_, _>>())
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(|| format!("http.tls.cert_file {}", files.cert_file.display()))?;
    if chain.is_empty() {
        anyhow::bail!(
            "http.tls.cert_file {} holds no certificate",
            files.cert_file.display()
        );
    }
    let key = PrivateKeyDer::from_pem_file(&files.key_file)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(|| format!("http.tls.key_file {}", files.key_file.display()))?;
    let key = any_supported_type(&key).map_err(|e| anyhow::anyhow!("http.tls.key_file: {e}"))?;
    let certified = CertifiedKey::new(chain, key);
    certified.keys_match().map_err(|e| {
        anyhow::anyhow!("http.tls.key_file does not belong to the certificate: {e}")
    })?;
    Ok(certified)
}

impl CertStore {
    /// Loads the files; at start, a bad file is the operator's to fix.
    pub fn open(files: &TlsFiles) -> anyhow::Result<Arc<CertStore>> {
        let seen = (modified(&files.cert_file), modified(&files.key_file));
        let certified = load(files)?;
        Ok(Arc::new(CertStore {
            files: files.clone(),
            current: RwLock::new(Arc::new(certified)),
            seen: Mutex::new(seen),
        }))
    }

    /// Loads the files again if either changed since last looked at.
    pub fn reload_if_changed(&self) {
        let now = (
            modified(&self.files.cert_file),
            modified(&self.files.key_file),
        );
        {
            let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
            if *seen == now {
                return;
            }
            *seen = now;
        }
        match load(&self.files) {
            Ok(certified) => {
                *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(certified);
                tracing::info!(cert = %self.files.cert_file.display(), "loaded the renewed certificate");
            }
            Err(err) => tracing::error!(
                error = %format!("{err:#}"),
                "the changed certificate files do not load; still serving the previous certificate"
            ),
        }
    }

    /// The rustls configuration for the HTTP listener (HTTP/1.1: the
    /// signaling websocket upgrades from it).
    pub fn server_config(self: &Arc<Self>) -> Arc<rustls::ServerConfig> {
        let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("ring supports the default versions")
        .with_no_client_auth()
        .with_cert_resolver(self.clone());
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Arc::new(config)
    }
}

/// When the certificate in `files` (its first, the server's own) stops
/// being valid, as Unix seconds; and whether its key matches.
pub fn expiry(files: &TlsFiles) -> anyhow::Result<i64> {
    let certified = load(files)?;
    let leaf = certified.cert.first().expect("load refuses an empty chain");
    let (_, parsed) = x509_parser::parse_x509_certificate(leaf.as_ref())
        .map_err(|e| anyhow::anyhow!("http.tls.cert_file: {e}"))?;
    Ok(parsed.validity().not_after.timestamp())
}

impl ResolvesServerCert for CertStore {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.reload_if_changed();
        Some(
            self.current
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
        )
    }
}

/// The port-80 listener's app: everything goes to HTTPS at `public_url`.
pub fn redirect_app(public_url: &str) -> Router {
    let base = public_url.trim_end_matches('/').to_owned();
    Router::new().fallback(move |request: Request| {
        let base = base.clone();
        async move {
            let path = request
                .uri()
                .path_and_query()
                .map_or("/", |p| p.as_str())
                .to_owned();
            Redirect::permanent(&format!("{base}{path}"))
        }
    })
}
