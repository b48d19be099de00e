//! Email over SMTP with lettre: multipart/alternative plain text and HTML,
//! plus the iMIP calendar part for confirmations and changes. Every message
//! carries a Message-ID fixed per outbox row, so a repeat after a crash is
//! recognisably the same message.

use std::time::{Duration, SystemTime};

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::config::{SmtpConfig, SmtpSecurity};
use super::kinds::SendError;
use super::render::Rendered;
use super::smtp_pool::SmtpConnections;

/// An outgoing email, rendered.
pub struct Email<'a> {
    pub message_id: &'a str,
    pub to_name: &'a str,
    pub to_address: &'a str,
    pub date: SystemTime,
    pub content: &'a Rendered,
    /// `(method, iCalendar text)` for confirmations and changes.
    pub calendar: Option<(&'static str, String)>,
}

pub struct SmtpMailer {
    transport: Transport,
    from: Mailbox,
}

enum Transport {
    /// Plain and STARTTLS servers: our pool, with Nagle off.
    Direct(SmtpConnections),
    /// Implicit TLS (port 465): lettre's pooled transport.
    Lettre(AsyncSmtpTransport<Tokio1Executor>),
}

impl SmtpMailer {
    pub fn new(config: &SmtpConfig, clinic_name: &str) -> anyhow::Result<SmtpMailer> {
        let mut from: Mailbox = config
            .from
            .parse()
            .map_err(|e| anyhow::anyhow!("notifications.smtp.from: {e}"))?;
        if from.name.is_none() {
            from.name = Some(clinic_name.to_owned());
        }
        let mut tls = TlsParameters::builder(config.host.clone());
        if let Some(ca_file) = &config.ca_file {
            let ca = std::fs::read(ca_file)
                .map_err(anyhow::Error::from)
                .and_then(|pem| Certificate::from_pem(&pem).map_err(anyhow::Error::from))
                .map_err(|e| {
                    anyhow::anyhow!("notifications.smtp.ca_file {}: {e}", ca_file.display())
                })?;
            tls = tls.add_root_certificate(ca);
        }
        let tls = tls.build_rustls()?;
        let port = config.port.unwrap_or(match config.security {
            SmtpSecurity::Starttls => 587,
            SmtpSecurity::Tls => 465,
            SmtpSecurity::None => 25,
        });
        let credentials = config
            .username
            .clone()
            .zip(config.password.clone())
            .map(|(user, password)| Credentials::new(user, password));
        let timeout = Duration::from_secs(config.timeout_secs);
        let transport = match config.security {
            SmtpSecurity::Tls => {
                let mut builder =
                    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
                        .tls(Tls::Wrapper(tls))
                        .port(port)
                        .timeout(Some(timeout))
                        .pool_config(PoolConfig::new().max_size(32));
                if let Some(credentials) = credentials {
                    builder = builder.credentials(credentials);
                }
                Transport::Lettre(builder.build())
            }
            security => Transport::Direct(SmtpConnections::new(
                config.host.clone(),
                port,
                timeout,
                (security == SmtpSecurity::Starttls).then_some(tls),
                credentials,
            )),
        };
        Ok(SmtpMailer { transport, from })
    }

    pub fn from(&self) -> &Mailbox {
        &self.from
    }

    /// A dry connection: everything a send does before the message.
    pub async fn check(&self) -> Result<(), String> {
        match &self.transport {
            Transport::Direct(pool) => pool.check().await.map_err(|e| match e {
                SendError::Permanent(m) | SendError::Transient(m) => m,
            }),
            Transport::Lettre(transport) => match transport.test_connection().await {
                Ok(true) => Ok(()),
                Ok(false) => Err("SMTP: the server did not accept the connection".into()),
                Err(err) => Err(format!("SMTP: {err}")),
            },
        }
    }

    /// Sends; on success returns the server's answer (it names the queue id).
    pub async fn send(&self, email: &Email<'_>) -> Result<String, SendError> {
        let message = build(&self.from, email).map_err(SendError::Permanent)?;
        let response = match &self.transport {
            Transport::Direct(pool) => pool.send(message.envelope(), &message.formatted()).await?,
            Transport::Lettre(transport) => match transport.send(message).await {
                Ok(response) => response,
                Err(err) if err.is_permanent() => {
                    return Err(SendError::Permanent(format!("SMTP: {err}")));
                }
                Err(err) => return Err(SendError::Transient(format!("SMTP: {err}"))),
            },
        };
        Ok(response.message().collect::<Vec<_>>().join(" "))
    }
}

/// The MIME message.
pub fn build(from: &Mailbox, email: &Email<'_>) -> Result<Message, String> {
    let to = Mailbox::new(
        Some(email.to_name.to_owned()),
        email
            .to_address
            .parse()
            .map_err(|e| format!("recipient address {:?}: {e}", email.to_address))?,
    );
    let mut parts = MultiPart::alternative()
        .singlepart(SinglePart::plain(email.content.text.clone()))
        .singlepart(SinglePart::html(email.content.html.clone()));
    if let Some((method, ics)) = &email.calendar {
        let kind = ContentType::parse(&format!("text/calendar; charset=utf-8; method={method}"))
            .map_err(|e| e.to_string())?;
        parts = parts.singlepart(SinglePart::builder().header(kind).body(ics.clone()));
    }
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(email.content.subject.clone())
        .message_id(Some(email.message_id.to_owned()))
        .date(email.date)
        .multipart(parts)
        .map_err(|e| e.to_string())
}
