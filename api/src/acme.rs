//! Certificates by ACME (RFC 8555: Let's Encrypt by default), so a clinic
//! needs no certbot: `[http.acme]` names the domains, and Confide keeps a
//! certificate for them in `data_dir/acme/`.
//!
//! How it fits with [`crate::tls`]: the HTTPS listener serves
//! `data_dir/acme/cert.pem` and `key.pem` through the same [`CertStore`]
//! as operator-provided files, which picks up new files on the next
//! connection. Until the first certificate arrives a self-signed one stands
//! in, so the listener can start. The HTTP-01 challenge is answered by the
//! port-80 listener (`http.redirect_listen`), which serves
//! `/.well-known/acme-challenge/{token}` from [`Challenges`] and redirects
//! everything else to HTTPS.
//!
//! The task checks twice a day and orders a new certificate when the
//! current one is missing, self-signed, for other domains, or within
//! `renew_days_before` of expiring; failures are retried with backoff and
//! logged. The ACME account's key is kept in `account.json` (mode 0600).
//! The ACME client is instant-acme; its HTTP goes through the reqwest
//! client the server already has (rustls on ring), with an extra root for
//! a private ACME server (`directory_ca_file`: a company CA, or pebble in
//! tests).
//!
//! [`CertStore`]: crate::tls::CertStore

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::Context;
use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use bytes::Bytes;
use http_body_util::BodyExt;
use instant_acme::{
    Account, AccountCredentials, BodyWrapper, BytesResponse, ChallengeType, HttpClient, Identifier,
    NewAccount, NewOrder, OrderStatus, RetryPolicy,
};
use serde::{Deserialize, Serialize};

use crate::tls::TlsFiles;

/// The `[http.acme]` section.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AcmeConfig {
    /// The names the certificate is for (the first is `app.public_url`'s).
    pub domains: Vec<String>,
    /// Who the CA writes to about the certificate, e.g.
    /// `["mailto:it@clinic.example"]`.
    #[serde(default)]
    pub contact: Vec<String>,
    /// The CA's directory URL.
    #[serde(default = "lets_encrypt")]
    pub directory: String,
    /// A PEM root to trust for the directory's HTTPS besides the public
    /// ones (a private ACME server).
    #[serde(default)]
    pub directory_ca_file: Option<PathBuf>,
    /// Renew when the certificate expires within this many days.
    #[serde(default = "thirty")]
    pub renew_days_before: i64,
}

fn lets_encrypt() -> String {
    "https://acme-v02.api.letsencrypt.org/directory".to_owned()
}

fn thirty() -> i64 {
    30
}

impl AcmeConfig {
    pub fn validate(&self) -> Result<(), String> {
        if self.domains.is_empty() {
            return Err("http.acme.domains must name at least one domain".into());
        }
        for domain in &self.domains {
            // Lower case, as certificates carry names (the renewal check
            // compares them), and no IP address or trailing dot.
            let ok = !domain.is_empty()
                && domain.len() <= 253
                && !domain.ends_with('.')
                && domain.parse::<std::net::IpAddr>().is_err()
                && domain.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.'
                });
            if !ok {
                return Err(format!(
                    "http.acme.domains: {domain:?} is not a domain name in lower case"
                ));
            }
        }
        if !self.directory.starts_with("https://") {
            return Err("http.acme.directory must be an https:// URL".into());
        }
        if !(1..=60).contains(&self.renew_days_before) {
            return Err("http.acme.renew_days_before must be between 1 and 60".into());
        }
        Ok(())
    }
}

/// Where the certificate, its key and the account live.
pub fn files(data_dir: &Path) -> TlsFiles {
    TlsFiles {
        cert_file: data_dir.join("acme").join("cert.pem"),
        key_file: data_dir.join("acme").join("key.pem"),
    }
}

/// Pending HTTP-01 challenges: token → key authorization.
#[derive(Clone, Default)]
pub struct Challenges(Arc<RwLock<HashMap<String, String>>>);

impl Challenges {
    fn set(&self, token: &str, key_authorization: &str) {
        self.0
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(token.to_owned(), key_authorization.to_owned());
    }

    fn clear(&self) {
        self.0.write().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

/// `GET /.well-known/acme-challenge/{token}` on the port-80 listener.
pub async fn answer_challenge(
    State(challenges): State<Challenges>,
    UrlPath(token): UrlPath<String>,
) -> Result<String, StatusCode> {
    challenges
        .0
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .get(&token)
        .cloned()
        .ok_or(StatusCode::NOT_FOUND)
}

/// Writes a self-signed certificate for the domains when there is no
/// certificate that loads (none yet, or a pair a crash left half-replaced),
/// so the HTTPS listener can start; the task then orders a real one.
pub fn ensure_placeholder(config: &AcmeConfig, files: &TlsFiles) -> anyhow::Result<()> {
    if crate::tls::CertStore::open(files).is_ok() {
        return Ok(());
    }
    let dir = files.cert_file.parent().expect("in data_dir/acme");
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let placeholder = rcgen::generate_simple_self_signed(config.domains.clone())?;
    write_private(
        &files.key_file,
        placeholder.signing_key.serialize_pem().as_bytes(),
    )?;
    std::fs::write(&files.cert_file, placeholder.cert.pem())?;
    Ok(())
}

/// Starts the task that keeps the certificate current.
pub fn spawn(
    config: AcmeConfig,
    data_dir: PathBuf,
    challenges: Challenges,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let files = files(&data_dir);
        let mut retry = Duration::from_secs(30);
        loop {
            match due(&config, &files) {
                Ok(false) => {
                    retry = Duration::from_secs(30);
                    tokio::time::sleep(Duration::from_secs(12 * 3600)).await;
                    continue;
                }
                Ok(true) => {}
                Err(err) => {
                    tracing::warn!(error = %format!("{err:#}"), "reading the ACME certificate")
                }
            }
            match order(&config, &data_dir, &challenges).await {
                Ok(()) => {
                    tracing::info!(domains = ?config.domains, "ACME certificate issued");
                    retry = Duration::from_secs(30);
                    // Never order again at once, whatever `due` says of a
                    // short-lived certificate.
                    challenges.clear();
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    continue;
                }
                Err(err) => {
                    tracing::error!(
                        error = %format!("{err:#}"),
                        retry_in_secs = retry.as_secs(),
                        "could not get a certificate by ACME"
                    );
                    tokio::time::sleep(retry).await;
                    retry = (retry * 2).min(Duration::from_secs(3600));
                }
            }
            challenges.clear();
        }
    })
}

/// Whether a new certificate is needed.
fn due(config: &AcmeConfig, files: &TlsFiles) -> anyhow::Result<bool> {
    let pem = match std::fs::read(&files.cert_file) {
        Ok(pem) => pem,
        Err(_) => return Ok(true),
    };
    let (_, pem) = x509_parser::pem::parse_x509_pem(&pem).map_err(|e| anyhow::anyhow!("{e}"))?;
    let cert = pem.parse_x509().map_err(|e| anyhow::anyhow!("{e}"))?;
    if cert.issuer() == cert.subject() {
        return Ok(true); // the placeholder
    }
    let names: Vec<String> = cert
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|san| {
            san.value
                .general_names
                .iter()
                .filter_map(|name| match name {
                    x509_parser::extensions::GeneralName::DNSName(dns) => Some(dns.to_string()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    if config.domains.iter().any(|d| !names.contains(d)) {
        return Ok(true);
    }
    // Renew `renew_days_before` ahead, or at a third of the lifetime left
    // for certificates shorter than that.
    let (issued, expires) = (
        cert.validity().not_before.timestamp(),
        cert.validity().not_after.timestamp(),
    );
    let ahead = (config.renew_days_before * 86_400).min((expires - issued) / 3);
    Ok(expires - chrono::Utc::now().timestamp() < ahead)
}

/// One order: account, HTTP-01 challenges, CSR, certificate, files.
async fn order(
    config: &AcmeConfig,
    data_dir: &Path,
    challenges: &Challenges,
) -> anyhow::Result<()> {
    let account = account(config, data_dir).await?;
    let identifiers: Vec<Identifier> = config
        .domains
        .iter()
        .map(|d| Identifier::Dns(d.clone()))
        .collect();
    let mut order = account.new_order(&NewOrder::new(&identifiers)).await?;
    let mut authorizations = order.authorizations();
    while let Some(authorization) = authorizations.next().await {
        let mut authorization = authorization?;
        if authorization.status == instant_acme::AuthorizationStatus::Valid {
            continue;
        }
        let mut challenge = authorization
            .challenge(ChallengeType::Http01)
            .context("the CA offers no HTTP-01 challenge")?;
        challenges.set(&challenge.token, challenge.key_authorization().as_str());
        challenge.set_ready().await?;
    }
    let retries = RetryPolicy::default().timeout(Duration::from_secs(120));
    let status = order.poll_ready(&retries).await?;
    if status != OrderStatus::Ready {
        anyhow::bail!(
            "the order is {status:?}, not ready: {:?}",
            order.state().error
        );
    }
    let key_pem = order.finalize().await?;
    let chain = order.poll_certificate(&retries).await?;
    let files = files(data_dir);
    // The key first: a connection between the two writes sees a pair that
    // does not match and keeps serving the old certificate.
    write_private(&files.key_file, key_pem.as_bytes())?;
    replace(&files.cert_file, chain.as_bytes())?;
    Ok(())
}

async fn account(config: &AcmeConfig, data_dir: &Path) -> anyhow::Result<Account> {
    // One account per CA: a saved account names its own directory, so
    // switching from staging to production must not reuse it.
    let directory = ring::digest::digest(&ring::digest::SHA256, config.directory.as_bytes());
    let path = data_dir
        .join("acme")
        .join(format!("account-{}.json", &hex::encode(directory)[..16]));
    let http = Box::new(ReqwestClient::new(config)?);
    if let Ok(saved) = std::fs::read(&path) {
        let credentials: AccountCredentials = serde_json::from_slice(&saved)
            .with_context(|| format!("reading {}", path.display()))?;
        return Ok(Account::builder_with_http(http)
            .from_credentials(credentials)
            .await?);
    }
    let contact: Vec<&str> = config.contact.iter().map(String::as_str).collect();
    let (account, credentials) = Account::builder_with_http(http)
        .create(
            &NewAccount {
                contact: &contact,
                terms_of_service_agreed: true,
                only_return_existing: false,
            },
            config.directory.clone(),
            None,
        )
        .await?;
    write_private(&path, &serde_json::to_vec(&credentials)?)?;
    Ok(account)
}

/// Writes a file only its owner may read, replacing it in one step.
fn write_private(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let partial = path.with_extension("partial");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&partial)
        .with_context(|| format!("writing {}", partial.display()))?;
    file.write_all(contents)?;
    file.sync_all()?;
    std::fs::rename(&partial, path).with_context(|| format!("replacing {}", path.display()))
}

fn replace(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    let partial = path.with_extension("partial");
    std::fs::write(&partial, contents).with_context(|| format!("writing {}", partial.display()))?;
    std::fs::rename(&partial, path).with_context(|| format!("replacing {}", path.display()))
}

/// instant-acme's HTTP through reqwest (rustls on ring, the public roots,
/// plus `directory_ca_file`).
struct ReqwestClient(reqwest::Client);

impl ReqwestClient {
    fn new(config: &AcmeConfig) -> anyhow::Result<ReqwestClient> {
        let mut builder = reqwest::Client::builder().timeout(Duration::from_secs(30));
        if let Some(ca) = &config.directory_ca_file {
            let pem = std::fs::read(ca)
                .with_context(|| format!("http.acme.directory_ca_file {}", ca.display()))?;
            builder = builder.add_root_certificate(reqwest::Certificate::from_pem(&pem)?);
        }
        Ok(ReqwestClient(builder.build()?))
    }
}

impl HttpClient for ReqwestClient {
    fn request(
        &self,
        request: axum::http::Request<BodyWrapper<Bytes>>,
    ) -> Pin<Box<dyn Future<Output = Result<BytesResponse, instant_acme::Error>> + Send>> {
        let client = self.0.clone();
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let body = body
                .collect()
                .await
                .map_err(|e| instant_acme::Error::Other(Box::new(e)))?
                .to_bytes();
            let response = client
                .request(parts.method, parts.uri.to_string())
                .headers(parts.headers)
                .body(body)
                .send()
                .await
                .map_err(|e| instant_acme::Error::Other(Box::new(e)))?;
            Ok(BytesResponse::from(
                axum::http::Response::<reqwest::Body>::from(response),
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(domains: &[&str]) -> AcmeConfig {
        AcmeConfig {
            domains: domains.iter().map(|d| d.to_string()).collect(),
            contact: Vec::new(),
            directory: lets_encrypt(),
            directory_ca_file: None,
            renew_days_before: 30,
        }
    }

    #[test]
    fn domains_must_be_names() {
        assert!(config(&["video.clinic.example"]).validate().is_ok());
        assert!(config(&[]).validate().is_err());
        for bad in [
            "",
            "video clinic",
            "https://video.clinic.example",
            "a/b",
            "Video.Clinic.example",
            "video.clinic.example.",
            "203.0.113.7",
        ] {
            assert!(config(&[bad]).validate().is_err(), "{bad:?}");
        }
        let mut plain = config(&["video.clinic.example"]);
        plain.directory = "http://acme.example/dir".into();
        assert!(plain.validate().is_err(), "the directory is HTTPS");
    }

    #[test]
    fn a_placeholder_is_written_once_and_is_due_for_renewal() {
        let dir =
            std::env::temp_dir().join(format!("confide-acme-unit-{:016x}", rand::random::<u64>()));
        let files = files(&dir);
        let config = config(&["video.clinic.example"]);
        assert!(due(&config, &files).unwrap(), "no certificate yet");
        ensure_placeholder(&config, &files).unwrap();
        let first = std::fs::read(&files.cert_file).unwrap();
        ensure_placeholder(&config, &files).unwrap();
        assert_eq!(std::fs::read(&files.cert_file).unwrap(), first, "kept");
        assert!(
            due(&config, &files).unwrap(),
            "a self-signed stand-in is replaced"
        );
        crate::tls::CertStore::open(&files).expect("the stand-in serves");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
