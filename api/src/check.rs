//! `confide check`: what an IT person wants to know before (or instead of)
//! starting the server, in plain words. It covers:
//! - the configuration and data directory;
//! - the ports;
//! - the HTTPS certificate (loads, matches its key, not near expiry);
//! - the database, and Redis with several nodes;
//! - whether browsers can reach the media;
//! - SMTP (a dry connection: greeting, STARTTLS, sign-in, no message);
//! - WhatsApp (the phone number read back with the access token);
//! - `[video_app]`'s pages (twilio-video-app-react's build folder).
//!
//! Nothing is written or sent. Each finding is fine, a warning, or a
//! problem; any problem makes the command exit 1.

use std::fmt;

use crate::config::Config;
use crate::db;
use crate::reminders::email::SmtpMailer;
use crate::reminders::whatsapp::WhatsAppClient;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Fine,
    Warning,
    Problem,
}

#[derive(Debug)]
pub struct Finding {
    pub level: Level,
    pub what: &'static str,
    pub detail: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mark = match self.level {
            Level::Fine => "ok     ",
            Level::Warning => "warning",
            Level::Problem => "PROBLEM",
        };
        write!(f, "{mark}  {:<13} {}", self.what, self.detail)
    }
}

fn finding(level: Level, what: &'static str, detail: impl Into<String>) -> Finding {
    Finding {
        level,
        what,
        detail: detail.into(),
    }
}

/// Runs every check (the configuration itself was read and validated
/// before this is called).
pub async fn run(config: &Config) -> Vec<Finding> {
    let mut found = vec![finding(Level::Fine, "configuration", "read and valid")];
    found.push(data_dir(config));
    found.push(port(
        "HTTP port",
        std::net::TcpListener::bind(config.http.listen).map(drop),
        config.http.listen,
    ));
    // One UDP port per media worker, from media.listen's up; the first one
    // taken is the finding (port 0: the kernel picks each).
    let media = config.media.listen;
    let workers = config.media.worker_count();
    let media_ports = (0..workers as u16)
        .map(|i| std::net::SocketAddr::new(media.ip(), media.port().saturating_add(i)))
        .take(if media.port() == 0 { 1 } else { workers });
    let taken = media_ports
        .map(|addr| (addr, std::net::UdpSocket::bind(addr).map(drop)))
        .find(|(_, bound)| bound.is_err());
    found.push(match taken {
        Some((addr, bound)) => port("media ports", bound, addr),
        None if media.port() == 0 => port("media ports", Ok(()), media),
        None => finding(
            Level::Fine,
            "media ports",
            format!(
                "{media} and the next {} (one per media worker) are free",
                workers - 1
            ),
        ),
    });
    if let Some(tcp) = config.media.tcp_listen {
        found.push(port(
            "ICE-over-TCP port",
            std::net::TcpListener::bind(tcp).map(drop),
            tcp,
        ));
    }
    if let Some(turn) = config.turn.listen {
        found.push(port(
            "TURN port (UDP)",
            std::net::UdpSocket::bind(turn).map(drop),
            turn,
        ));
        found.push(port(
            "TURN port (TCP)",
            std::net::TcpListener::bind(turn).map(drop),
            turn,
        ));
    }
    if let Some(tls) = config.turn.tls_listen {
        found.push(port(
            "TURN-over-TLS port",
            std::net::TcpListener::bind(tls).map(drop),
            tls,
        ));
    }
    found.push(match config.media_reachability_warning() {
        Some(warning) => finding(Level::Warning, "media address", warning),
        None => finding(Level::Fine, "media address", "reachable as configured"),
    });
    if let Some(files) = &config.tls_files() {
        found.push(if config.http.acme.is_some() && !files.cert_file.exists() {
            finding(
                Level::Fine,
                "certificate",
                "none yet: Confide orders one by ACME when it starts",
            )
        } else {
            certificate_finding(files)
        });
    }
    found.push(database(config).await);
    if config.cluster.redis_url.is_some() {
        found.push(match crate::cluster::probe(&config.cluster).await {
            Ok(nodes) => finding(
                Level::Fine,
                "cluster",
                format!(
                    "Redis answers; it lists {nodes} node(s) of cluster {:?} now",
                    config.cluster.name
                ),
            ),
            Err(err) => finding(
                Level::Problem,
                "cluster",
                format!("Redis at cluster.redis_url does not answer: {err:#}"),
            ),
        });
    }
    found.push(smtp(config).await);
    found.push(whatsapp(config).await);
    if let Some(video_app) = &config.video_app {
        found.push(video_app_finding(video_app));
    }
    if !config.app.production {
        found.push(finding(
            Level::Warning,
            "mode",
            "not production: demo accounts are created on an empty database (app.production = true for a clinic)",
        ));
    }
    if config.app.public_url.starts_with("http://")
        && !config.app.public_url.contains("://127.0.0.1")
        && !config.app.public_url.contains("://localhost")
    {
        found.push(finding(
            Level::Warning,
            "public URL",
            "app.public_url is plain http: browsers allow camera and microphone only over HTTPS",
        ));
    }
    found
}

fn data_dir(config: &Config) -> Finding {
    let dir = &config.data_dir;
    let probe = dir.join(".confide-check");
    let writable = std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&probe, b"check"))
        .and_then(|()| std::fs::remove_file(&probe));
    match writable {
        Ok(()) => finding(
            Level::Fine,
            "data dir",
            format!("{} is writable", dir.display()),
        ),
        Err(err) => finding(
            Level::Problem,
            "data dir",
            format!("{} cannot be written: {err}", dir.display()),
        ),
    }
}

fn port(what: &'static str, bound: std::io::Result<()>, address: std::net::SocketAddr) -> Finding {
    match bound {
        Ok(()) => finding(Level::Fine, what, format!("{address} is free")),
        Err(err) if err.kind() == std::io::ErrorKind::AddrInUse => finding(
            Level::Warning,
            what,
            format!("{address} is in use (fine if Confide itself is running)"),
        ),
        Err(err) => finding(
            Level::Problem,
            what,
            format!("{address} cannot be used: {err}"),
        ),
    }
}

/// The HTTPS certificate: it loads, matches its key, and how long it is
/// still valid.
pub fn certificate_finding(files: &crate::tls::TlsFiles) -> Finding {
    match crate::tls::expiry(files) {
        Err(err) => finding(Level::Problem, "certificate", format!("{err:#}")),
        Ok(not_after) => {
            let days = (not_after - chrono::Utc::now().timestamp()) / 86_400;
            let until = chrono::DateTime::from_timestamp(not_after, 0).map_or_else(
                || not_after.to_string(),
                |t| t.format("%Y-%m-%d").to_string(),
            );
            if days < 0 {
                finding(Level::Problem, "certificate", format!("expired on {until}"))
            } else if days < 14 {
                finding(
                    Level::Warning,
                    "certificate",
                    format!("expires in {days} days ({until}): is renewal running?"),
                )
            } else {
                finding(
                    Level::Fine,
                    "certificate",
                    format!("valid until {until} ({days} days)"),
                )
            }
        }
    }
}

/// `index.html` readable, and no inline script in it: Confide's content
/// security policy allows scripts from files only, so an inline one (the
/// bootstrap create-react-app inlines unless `INLINE_RUNTIME_CHUNK=false`)
/// leaves a blank page.
fn video_app_finding(video_app: &crate::video_app::VideoAppConfig) -> Finding {
    let index = video_app.index_html();
    match std::fs::read_to_string(&index) {
        Err(err) => finding(
            Level::Problem,
            "video app",
            format!("{} cannot be read: {err}", index.display()),
        ),
        Ok(html) if has_inline_script(&html) => finding(
            Level::Warning,
            "video app",
            format!(
                "{} has an inline <script>, which browsers refuse here (scripts must be files): \
                 build the app with INLINE_RUNTIME_CHUNK=false",
                index.display()
            ),
        ),
        Ok(_) => finding(
            Level::Fine,
            "video app",
            format!(
                "twilio-video-app-react from {}, its tokens at POST /token",
                video_app.dir.display()
            ),
        ),
    }
}

/// Whether a page has a `<script>` element without `src` (JSON data
/// blocks are not run, so not counted).
fn has_inline_script(html: &str) -> bool {
    let lower = html.to_ascii_lowercase();
    lower.match_indices("<script").any(|(at, _)| {
        let tag = &lower[at..];
        let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
        let body = &lower[at + tag.len()..];
        let empty = body
            .strip_prefix('>')
            .is_some_and(|rest| rest.trim_start().starts_with("</script"));
        !tag.contains("src=") && !tag.contains("json") && !empty
    })
}

async fn database(config: &Config) -> Finding {
    let url = db::url(config.database_url.as_deref(), &config.data_dir);
    let answered = async {
        let pool = db::open(&url).await?;
        let one: i64 = sqlx::query_scalar("SELECT 1").fetch_one(&pool).await?;
        pool.close().await;
        anyhow::Ok(one)
    };
    match tokio::time::timeout(std::time::Duration::from_secs(10), answered).await {
        Ok(Ok(_)) => finding(
            Level::Fine,
            "database",
            match db::Backend::of(&url) {
                db::Backend::Sqlite => "SQLite answers".to_owned(),
                db::Backend::Postgres => "PostgreSQL answers".to_owned(),
            },
        ),
        Ok(Err(err)) => finding(Level::Problem, "database", format!("{err:#}")),
        Err(_) => finding(Level::Problem, "database", "did not answer within 10 s"),
    }
}

async fn smtp(config: &Config) -> Finding {
    let Some(smtp) = &config.notifications.smtp else {
        return finding(
            Level::Warning,
            "e-mail",
            "notifications.smtp is not set: e-mails go to the development outbox, nobody receives them",
        );
    };
    let checked = match SmtpMailer::new(smtp, &config.notifications.clinic_name) {
        Ok(mailer) => mailer.check().await,
        Err(err) => Err(format!("{err:#}")),
    };
    match checked {
        Ok(()) => finding(
            Level::Fine,
            "e-mail",
            format!(
                "{} accepts a connection and the sign-in (nothing sent)",
                smtp.host
            ),
        ),
        Err(err) => finding(Level::Problem, "e-mail", err),
    }
}

async fn whatsapp(config: &Config) -> Finding {
    let Some(whatsapp) = &config.notifications.whatsapp else {
        return finding(
            Level::Warning,
            "WhatsApp",
            "notifications.whatsapp is not set: WhatsApp messages go to the development outbox",
        );
    };
    let checked = match WhatsAppClient::new(whatsapp) {
        Ok(client) => client.check().await,
        Err(err) => Err(format!("{err:#}")),
    };
    match checked {
        Ok(number) => finding(
            Level::Fine,
            "WhatsApp",
            format!("the token reads phone number {number} (nothing sent)"),
        ),
        Err(err) => finding(Level::Problem, "WhatsApp", err),
    }
}
