//! Our own small pool of SMTP connections for plain and STARTTLS servers,
//! built on lettre's `AsyncSmtpConnection`. Why not lettre's pooled
//! transport: it never sets `TCP_NODELAY`, so after each message body the
//! 5-byte end-of-data marker waits for the server's delayed ACK (40 ms on
//! Linux) — a stall per message that caps a local relay at ~25 messages/s
//! per connection. Here every socket has Nagle off.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::response::Response;

use super::kinds::SendError;

/// Idle connections older than this are closed rather than reused: servers
/// drop idle clients, and a dead pooled connection would fail a send.
const MAX_IDLE: Duration = Duration::from_secs(20);
const MAX_POOLED: usize = 32;

pub struct SmtpConnections {
    host: String,
    port: u16,
    timeout: Duration,
    /// `Some`: STARTTLS is required before anything is sent.
    starttls: Option<TlsParameters>,
    credentials: Option<Credentials>,
    hello: ClientId,
    idle: Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
}

fn classify(err: lettre::transport::smtp::Error) -> SendError {
    if err.is_permanent() {
        SendError::Permanent(format!("SMTP: {err}"))
    } else {
        SendError::Transient(format!("SMTP: {err}"))
    }
}

impl SmtpConnections {
    pub fn new(
        host: String,
        port: u16,
        timeout: Duration,
        starttls: Option<TlsParameters>,
        credentials: Option<Credentials>,
    ) -> Self {
        Self {
            host,
            port,
            timeout,
            starttls,
            credentials,
            hello: ClientId::default(),
            idle: Mutex::new(Vec::new()),
        }
    }

    fn pooled(&self) -> Option<AsyncSmtpConnection> {
        let mut idle = self.idle.lock().expect("pool lock");
        while let Some((conn, since)) = idle.pop() {
            if since.elapsed() < MAX_IDLE && !conn.has_broken() {
                return Some(conn);
            }
        }
        None
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, SendError> {
        let tcp = tokio::net::TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| {
                SendError::Transient(format!(
                    "SMTP: connecting to {}:{}: {e}",
                    self.host, self.port
                ))
            })?;
        tcp.set_nodelay(true)
            .map_err(|e| SendError::Transient(format!("SMTP: {e}")))?;
        let mut conn = AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &self.hello)
            .await
            .map_err(classify)?;
        if let Some(tls) = &self.starttls {
            if !conn.can_starttls() {
                return Err(SendError::Transient(
                    "SMTP: the server does not offer STARTTLS, and nothing is sent unencrypted"
                        .into(),
                ));
            }
            conn.starttls(tls.clone(), &self.hello)
                .await
                .map_err(classify)?;
        }
        if let Some(credentials) = &self.credentials {
            conn.auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                .await
                .map_err(classify)?;
        }
        Ok(conn)
    }

    async fn send_on(&self, envelope: &Envelope, message: &[u8]) -> Result<Response, SendError> {
        let mut conn = match self.pooled() {
            Some(conn) => conn,
            None => self.connect().await?,
        };
        match conn.send(envelope, message).await {
            Ok(response) => {
                let mut idle = self.idle.lock().expect("pool lock");
                if idle.len() < MAX_POOLED && !conn.has_broken() {
                    idle.push((conn, Instant::now()));
                }
                Ok(response)
            }
            Err(err) => {
                conn.abort().await;
                Err(classify(err))
            }
        }
    }

    /// Connects, greets, upgrades and signs in as a send would, then quits
    /// without sending (`confide check`).
    pub async fn check(&self) -> Result<(), SendError> {
        let mut conn = tokio::time::timeout(self.timeout, self.connect())
            .await
            .map_err(|_| {
                SendError::Transient("SMTP: the server did not answer in time".into())
            })??;
        let _ = conn.quit().await;
        Ok(())
    }

    /// Sends one message; the whole exchange is bounded by the timeout.
    pub async fn send(&self, envelope: &Envelope, message: &[u8]) -> Result<Response, SendError> {
        tokio::time::timeout(self.timeout, self.send_on(envelope, message))
            .await
            .unwrap_or_else(|_| Err(SendError::Transient("SMTP: timed out".into())))
    }
}
