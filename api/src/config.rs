//! Configuration: defaults, then a TOML file, then `CONFIDE_*` environment
//! variables, then command-line flags (figment merges them in that order).
//! Everything has a default that works on localhost.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use anyhow::bail;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub http: HttpConfig,
    pub media: MediaConfig,
    /// Where Confide keeps its data (database, generated keys).
    pub data_dir: PathBuf,
    /// A folder of web app files to serve instead of the ones built into
    /// the binary (a clinic's own pages).
    pub web_dir: Option<PathBuf>,
    /// Twilio's reference React app served instead of Confide's pages, with
    /// the token server it calls.
    pub video_app: Option<crate::video_app::VideoAppConfig>,
    pub tokens: TokenConfig,
    /// `postgres://…` for PostgreSQL; unset: SQLite in `data_dir`. Also read
    /// from the plain `DATABASE_URL` environment variable.
    pub database_url: Option<String>,
    pub app: AppConfig,
    /// Confirmations and reminders: templates, providers, dispatch.
    pub notifications: crate::reminders::NotificationsConfig,
    pub log: LogConfig,
    /// STUN/TURN servers for patients on networks that block UDP.
    pub turn: crate::turn::TurnConfig,
    pub shutdown: ShutdownConfig,
    /// Several nodes sharing PostgreSQL and Redis.
    pub cluster: crate::cluster::ClusterConfig,
}

/// How the server stops on SIGTERM or SIGINT.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ShutdownConfig {
    /// The most a stop takes: telling every participant to reconnect,
    /// recording their departure and sending the status callbacks owed.
    /// What is left when it runs out is done by the next start.
    pub deadline_secs: u64,
}

/// How the server writes its log (to standard error; `RUST_LOG` still
/// chooses what is written).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    pub format: LogFormat,
}

/// `text` for people reading a terminal or the journal; `json`, one object
/// a line, for a log collector.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// How the clinic's application behaves.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AppConfig {
    /// The address patients and staff open (links in messages use it).
    pub public_url: String,
    /// Production mode: no demo accounts, ever.
    pub production: bool,
    /// The video room opens this many minutes before the appointment…
    pub join_opens_minutes_before: i64,
    /// …and closes this many minutes after its scheduled end.
    pub join_closes_minutes_after_end: i64,
    /// Lifetime of a video access token, in seconds (Twilio's default).
    pub video_token_ttl_secs: u64,
    /// Whether clinic admins may join appointments' video rooms.
    pub admins_may_join: bool,
    /// Whether patients may create their own accounts (else the clinic
    /// creates them).
    pub self_sign_up: bool,
    /// Patients cannot move or cancel a session this many hours before it
    /// starts (the clinic does it for them).
    pub patient_change_cutoff_hours: i64,
    /// A patient's move is a request the psychologist approves.
    pub patient_moves_need_approval: bool,
    /// Patients wait until the psychologist lets them into the call.
    pub waiting_room: bool,
    /// Sessions' media is end-to-end encrypted by the two browsers (the
    /// server forwards what it cannot read). Not with `admins_may_join`:
    /// a third person would hold no key.
    pub end_to_end_encryption: bool,
    /// A patient's reminders carry a one-time sign-in link to their
    /// session (no password needed), valid until its room closes.
    pub magic_links: bool,
    /// Audit entries are kept this many days.
    pub audit_retention_days: i64,
    /// The text of sent reminders (names, times, links) is kept this many
    /// days; the record that each went stays.
    pub message_retention_days: i64,
    /// The clinic's first admin, created at start when no account has this
    /// email (how a production install gets its first login). With it set,
    /// no demo accounts are made.
    pub initial_admin: Option<InitialAdmin>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct InitialAdmin {
    pub email: String,
    pub password: String,
    #[serde(default = "default_admin_name")]
    pub name: String,
}

impl AppConfig {
    /// Whether sessions are end-to-end encrypted: asked for, and nobody
    /// but the two people can join them.
    pub fn encrypts_sessions(&self) -> bool {
        self.end_to_end_encryption && !self.admins_may_join
    }
}

fn default_admin_name() -> String {
    "Clinic admin".to_owned()
}

impl Default for AppConfig {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:8080".to_owned(),
            production: false,
            join_opens_minutes_before: 15,
            join_closes_minutes_after_end: 30,
            video_token_ttl_secs: 7200,
            admins_may_join: false,
            self_sign_up: true,
            patient_change_cutoff_hours: 24,
            patient_moves_need_approval: true,
            waiting_room: true,
            end_to_end_encryption: true,
            magic_links: false,
            audit_retention_days: 2190,
            message_retention_days: 90,
            initial_admin: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    pub listen: SocketAddr,
    /// Reverse proxies whose `X-Forwarded-For` is believed (their own
    /// addresses as Confide sees them). Empty: the socket peer is the client.
    pub trusted_proxies: Vec<IpAddr>,
    /// Seconds a client has to send a request's headers (slow or stalled
    /// clients are cut off).
    pub header_timeout_secs: u64,
    /// Open HTTP connections at most (keep it under the process's file
    /// limit, `ulimit -n`, minus room for the database and sockets).
    pub max_connections: usize,
    /// A bearer token for `/metrics` from other machines. Unset: `/metrics`
    /// answers only clients on this machine (not through a proxy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics_token: Option<String>,
    /// HTTPS on `listen` with this certificate and key (reloaded when the
    /// files change). Unset: plain HTTP (local use, or behind a proxy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<crate::tls::TlsFiles>,
    /// HTTPS with certificates by ACME (Let's Encrypt) instead of files:
    /// the domains, and the CA. Needs `redirect_listen` on port 80 for the
    /// HTTP-01 challenge.
    pub acme: Option<crate::acme::AcmeConfig>,
    /// With `tls`: a plain-HTTP listener (usually `0.0.0.0:80`) that
    /// redirects everything to `app.public_url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_listen: Option<SocketAddr>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MediaConfig {
    /// The UDP address for participants' media: the first media worker's
    /// port; worker *i* uses this port + *i* (open the whole range).
    pub listen: SocketAddr,
    /// Media workers: threads that each forward their own rooms, with
    /// their own UDP port. 0: one per core.
    pub workers: usize,
    /// ICE over TCP: a TCP address browsers on networks that block UDP
    /// connect to for media (its port is offered on every advertised IP).
    /// Unset: UDP only. 443 gets through most firewalls, when the HTTPS
    /// listener is on another address.
    pub tcp_listen: Option<SocketAddr>,
    /// IPs put in ICE candidates; set the public IP behind NAT. Empty: the
    /// listen IP (which must not be 0.0.0.0 then).
    pub advertise: Vec<IpAddr>,
    pub max_participants_per_room: usize,
    /// Kernel buffer for the media socket, each way, in bytes: room for
    /// bursts (0: the kernel's default, about 208 KB on Linux).
    pub socket_buffer_bytes: usize,
    /// How long a participant whose network dropped keeps its place (SID,
    /// tracks, subscriptions) for its browser to come back, in seconds.
    /// Twilio's is 30.
    pub reconnect_window_secs: u64,
    /// Serve `/ops/packet-cache/{room}` (to this machine or a bearer of
    /// `http.metrics_token`): the media packets the server holds for a
    /// room, to check that an end-to-end encrypted session leaves it only
    /// ciphertext. Off by default: other rooms' packets are media.
    pub inspect_packet_cache: bool,
    /// Media from publishers skips the WebRTC engine's generic pipeline
    /// once a track is open (the fast receive leg, `sfu::engine::fast`):
    /// about a third less CPU per forwarded packet. On by default; off
    /// puts every packet through the engine, as releases before it did.
    pub fast_receive: bool,
    /// Forwarded media, and the RTCP that comes back, skip the engine's
    /// pipeline too (the fast send leg, `sfu::engine::fast_send`; implies
    /// `fast_receive`): about half the CPU per forwarded packet again. On
    /// by default; off (with `fast_receive` off) puts every packet through
    /// the engine, as before.
    pub fast_send: bool,
}

impl MediaConfig {
    /// How many media workers run: `workers`, or one per core when 0.
    pub fn worker_count(&self) -> usize {
        sfu::io::worker_count(self.workers)
    }
}

/// The Twilio-style account and API key that sign access tokens.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TokenConfig {
    pub account_sid: Option<String>,
    pub api_key_sid: Option<String>,
    pub api_key_secret: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            http: HttpConfig {
                listen: "127.0.0.1:8080".parse().expect("valid"),
                trusted_proxies: Vec::new(),
                header_timeout_secs: 10,
                max_connections: 768,
                metrics_token: None,
                tls: None,
                acme: None,
                redirect_listen: None,
            },
            media: MediaConfig {
                listen: "127.0.0.1:50000".parse().expect("valid"),
                workers: 0,
                tcp_listen: None,
                advertise: Vec::new(),
                max_participants_per_room: 10,
                socket_buffer_bytes: 4 << 20,
                reconnect_window_secs: 30,
                inspect_packet_cache: false,
                fast_receive: true,
                fast_send: true,
            },
            data_dir: PathBuf::from("data"),
            web_dir: None,
            video_app: None,
            tokens: TokenConfig::default(),
            database_url: None,
            app: AppConfig::default(),
            notifications: Default::default(),
            log: LogConfig::default(),
            turn: Default::default(),
            shutdown: ShutdownConfig { deadline_secs: 20 },
            cluster: Default::default(),
        }
    }
}

/// Values given on the command line; `None` leaves the lower layers alone.
#[derive(Debug, Default, Serialize)]
pub struct CliOverrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http: Option<HttpOverride>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media: Option<MediaOverride>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
}

#[derive(Debug, Serialize)]
pub struct HttpOverride {
    pub listen: SocketAddr,
}

#[derive(Debug, Default, Serialize)]
pub struct MediaOverride {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advertise: Option<Vec<IpAddr>>,
}

/// Read from the working directory when present and no `--config` is given.
pub const DEFAULT_FILE: &str = "confide.toml";

impl Config {
    /// Loads the layers. `file`: an explicit `--config` (must exist), else
    /// `confide.toml` in the working directory when present.
    pub fn load(file: Option<&Path>, cli: &CliOverrides) -> anyhow::Result<Config> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(path) => {
                if !path.exists() {
                    bail!("config file {} does not exist", path.display());
                }
                figment = figment.merge(Toml::file_exact(path));
            }
            None if Path::new(DEFAULT_FILE).exists() => {
                figment = figment.merge(Toml::file_exact(DEFAULT_FILE));
            }
            None => {}
        }
        // CONFIDE_HTTP__LISTEN, CONFIDE_MEDIA__ADVERTISE="[\"203.0.113.7\"]", …
        figment = figment
            .merge(Env::raw().filter(|key| key == "database_url"))
            .merge(Env::prefixed("CONFIDE_").split("__"))
            .merge(Serialized::defaults(cli));
        let config: Config = figment.extract().map_err(describe)?;
        config.validate()?;
        Ok(config)
    }

    /// The certificate files HTTPS serves: the operator's (`http.tls`), or
    /// those ACME keeps current in `data_dir/acme/`; `None`: plain HTTP.
    pub fn tls_files(&self) -> Option<crate::tls::TlsFiles> {
        match (&self.http.tls, &self.http.acme) {
            (Some(files), _) => Some(files.clone()),
            (None, Some(_)) => Some(crate::acme::files(&self.data_dir)),
            (None, None) => None,
        }
    }

    /// A warning for the operator when the clinic's address is on the
    /// internet but every address media is offered at is private or
    /// loopback: patients' browsers would reach the pages and never the
    /// media (the usual 1:1 NAT mistake: a cloud server whose public IP is
    /// not on its interface).
    pub fn media_reachability_warning(&self) -> Option<String> {
        let url = url::Url::parse(&self.app.public_url).ok()?;
        let public_site = match url.host()? {
            url::Host::Domain(name) => {
                let name = name.trim_end_matches('.');
                !(name == "localhost"
                    || [".localhost", ".local", ".internal", ".lan", ".home.arpa"]
                        .iter()
                        .any(|suffix| name.ends_with(suffix)))
            }
            url::Host::Ipv4(ip) => is_public(IpAddr::V4(ip)),
            url::Host::Ipv6(ip) => is_public(IpAddr::V6(ip)),
        };
        let offered: Vec<IpAddr> = if self.media.advertise.is_empty() {
            vec![self.media.listen.ip()]
        } else {
            self.media.advertise.clone()
        };
        if !public_site || offered.iter().copied().any(is_public) {
            return None;
        }
        let list: Vec<String> = offered.iter().map(IpAddr::to_string).collect();
        Some(format!(
            "app.public_url ({}) is on the internet, but media is offered only at {} \
             (private or loopback): browsers outside this network will load the pages and \
             never connect a call. Set media.advertise to this server's public IP (behind \
             1:1 NAT, such as a cloud elastic IP, the public one; media.listen stays on \
             the private address).",
            self.app.public_url,
            list.join(", ")
        ))
    }

    fn validate(&self) -> anyhow::Result<()> {
        let on_postgres = self
            .database_url
            .as_deref()
            .is_some_and(|url| url.starts_with("postgres://") || url.starts_with("postgresql://"));
        self.cluster.validate(on_postgres)?;
        if self.media.advertise.is_empty() && self.media.listen.ip().is_unspecified() {
            bail!(
                "media.listen is {} but media.advertise is empty: say which IP browsers should send media to",
                self.media.listen
            );
        }
        if let Some(url) = &self.database_url
            && !(url.starts_with("postgres://")
                || url.starts_with("postgresql://")
                || url.starts_with("sqlite:"))
        {
            bail!("database_url must start with postgres:// or sqlite: (got {url:?})");
        }
        if !(self.app.public_url.starts_with("http://")
            || self.app.public_url.starts_with("https://"))
        {
            bail!("app.public_url must be an http(s) URL");
        }
        if self.app.join_opens_minutes_before < 0 || self.app.join_closes_minutes_after_end < 0 {
            bail!("app.join_* minutes cannot be negative");
        }
        for (name, days) in [
            ("audit_retention_days", self.app.audit_retention_days),
            ("message_retention_days", self.app.message_retention_days),
        ] {
            if !(1..=36_500).contains(&days) {
                bail!("app.{name} must be 1 to 36500");
            }
        }
        if !(0..=24 * 90).contains(&self.app.patient_change_cutoff_hours) {
            bail!("app.patient_change_cutoff_hours must be 0 to 2160 (90 days)");
        }
        if let Some(video_app) = &self.video_app {
            video_app
                .validate(self.web_dir.as_deref())
                .map_err(anyhow::Error::msg)?;
        }
        self.notifications.validate().map_err(anyhow::Error::msg)?;
        self.turn.validate().map_err(anyhow::Error::msg)?;
        if self.turn.tls_listen.is_some() && self.tls_files().is_none() {
            bail!(
                "turn.tls_listen serves TURN over TLS with the HTTPS certificate: set http.tls or http.acme"
            );
        }
        if self.http.header_timeout_secs == 0 || self.http.max_connections == 0 {
            bail!("http.header_timeout_secs and http.max_connections must be at least 1");
        }
        if let Some(acme) = &self.http.acme {
            acme.validate().map_err(anyhow::Error::msg)?;
            if self.http.tls.is_some() {
                bail!("http.tls and http.acme are two ways to get a certificate: set one");
            }
            if self.http.redirect_listen.is_none() {
                bail!(
                    "http.acme answers the CA's HTTP-01 challenge on port 80: set http.redirect_listen (for example \"0.0.0.0:80\") for domains {:?}",
                    acme.domains
                );
            }
        }
        if self.http.redirect_listen.is_some()
            && self.http.tls.is_none()
            && self.http.acme.is_none()
        {
            bail!(
                "http.redirect_listen redirects to HTTPS, which needs http.tls (cert_file and key_file)"
            );
        }
        if !(1..=600).contains(&self.shutdown.deadline_secs) {
            bail!("shutdown.deadline_secs must be between 1 and 600");
        }
        if self.media.workers > sfu::io::MAX_WORKERS {
            bail!("media.workers must be at most {}", sfu::io::MAX_WORKERS);
        }
        let last_port = usize::from(self.media.listen.port()) + self.media.worker_count() - 1;
        if self.media.listen.port() != 0 && last_port > usize::from(u16::MAX) {
            bail!(
                "media.listen's port {} leaves no room for {} media workers (one UDP port each, up to {last_port})",
                self.media.listen.port(),
                self.media.worker_count()
            );
        }
        if self.media.max_participants_per_room == 0 {
            bail!("media.max_participants_per_room must be at least 1");
        }
        if !(5..=300).contains(&self.media.reconnect_window_secs) {
            bail!("media.reconnect_window_secs must be between 5 and 300");
        }
        Ok(())
    }
}

/// Every problem figment found, one line each, naming the setting the way
/// the operator wrote it: `CONFIDE_HTTP__LISTN`, `http.listn in
/// confide.toml`, or the command-line flag.
fn describe(err: figment::Error) -> anyhow::Error {
    let lines: Vec<String> = err
        .into_iter()
        .map(|e| {
            let key = e.path.join(".");
            let name = e.metadata.as_ref().map(|m| m.name.as_ref()).unwrap_or("");
            let file = e
                .metadata
                .as_ref()
                .and_then(|m| m.source.as_ref())
                .and_then(|s| s.file_path().map(|p| p.display().to_string()));
            let place = if let Some(file) = file {
                format!("`{key}` in {file}")
            } else if name.contains("CONFIDE_") {
                format!("CONFIDE_{}", e.path.join("__").to_ascii_uppercase())
            } else if name.contains("environment") {
                e.path.join("__").to_ascii_uppercase()
            } else if key.is_empty() {
                "the configuration".to_owned()
            } else {
                format!("`{key}`")
            };
            let what = match &e.kind {
                figment::error::Kind::UnknownField(field, expected) => format!(
                    "unknown setting `{field}` (expected one of: {})",
                    expected.join(", ")
                ),
                kind => kind.to_string(),
            };
            format!("{place}: {what}")
        })
        .collect();
    anyhow::anyhow!("invalid configuration: {}", lines.join("; "))
}

/// Whether browsers on the internet could send to `ip`.
fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                // 100.64.0.0/10, carrier-grade NAT
                || (v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64))
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || (first & 0xfe00) == 0xfc00 // unique local
                || (first & 0xffc0) == 0xfe80) // link local
        }
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment::Jail's closure signature
mod tests {
    use super::*;

    #[test]
    fn layers_merge_in_order() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "custom.toml",
                r#"
                data_dir = "/var/lib/confide"
                [media]
                listen = "0.0.0.0:40000"
                advertise = ["203.0.113.7"]
                "#,
            )?;
            jail.set_env("CONFIDE_HTTP__LISTEN", "127.0.0.1:9999");
            let cli = CliOverrides {
                media: Some(MediaOverride {
                    listen: Some("0.0.0.0:41000".parse().unwrap()),
                    advertise: None,
                }),
                ..Default::default()
            };
            let config = Config::load(Some(Path::new("custom.toml")), &cli).unwrap();
            assert_eq!(config.data_dir, PathBuf::from("/var/lib/confide"));
            assert_eq!(config.http.listen.port(), 9999, "env beats file");
            assert_eq!(config.media.listen.port(), 41000, "flag beats file");
            assert_eq!(
                config.media.advertise,
                vec!["203.0.113.7".parse::<IpAddr>().unwrap()]
            );
            Ok(())
        });
    }

    #[test]
    fn the_shipped_example_parses_to_the_defaults() {
        // Inside a jail: other tests set CONFIDE_* variables in theirs.
        figment::Jail::expect_with(|_jail| {
            let example = Path::new(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../deploy/confide.toml"
            ));
            let config = Config::load(Some(example), &CliOverrides::default()).unwrap();
            assert_eq!(config, Config::default());
            Ok(())
        });
    }

    #[test]
    fn the_initial_admin_can_come_from_the_environment() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("CONFIDE_APP__INITIAL_ADMIN__EMAIL", "boss@clinic.example");
            jail.set_env(
                "CONFIDE_APP__INITIAL_ADMIN__PASSWORD",
                "a long admin password",
            );
            let config = Config::load(None, &CliOverrides::default()).unwrap();
            let admin = config.app.initial_admin.unwrap();
            assert_eq!(admin.email, "boss@clinic.example");
            assert_eq!(admin.name, "Clinic admin");
            Ok(())
        });
    }

    #[test]
    fn the_plain_database_url_variable_is_read() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("DATABASE_URL", "postgres://confide@127.0.0.1/confide");
            jail.set_env("HOME_URL_UNRELATED", "x");
            let config = Config::load(None, &CliOverrides::default()).unwrap();
            assert_eq!(
                config.database_url.as_deref(),
                Some("postgres://confide@127.0.0.1/confide")
            );
            Ok(())
        });
    }

    #[test]
    fn sessions_are_encrypted_unless_admins_may_join() {
        let mut app = AppConfig::default();
        assert!(app.encrypts_sessions(), "on by default");
        app.admins_may_join = true;
        assert!(!app.encrypts_sessions(), "a third person would hold no key");
        app.admins_may_join = false;
        app.end_to_end_encryption = false;
        assert!(!app.encrypts_sessions());
    }

    #[test]
    fn no_file_at_all_is_fine() {
        figment::Jail::expect_with(|_jail| {
            let config = Config::load(None, &CliOverrides::default()).unwrap();
            assert_eq!(config, Config::default());
            Ok(())
        });
    }

    #[test]
    fn bad_configuration_is_a_clear_error() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("typo.toml", "[media]\nlisten_port = 1\n")?;
            let err =
                Config::load(Some(Path::new("typo.toml")), &CliOverrides::default()).unwrap_err();
            assert!(format!("{err:#}").contains("listen_port"), "{err:#}");
            jail.create_file("nat.toml", "[media]\nlisten = \"0.0.0.0:5\"\n")?;
            let err =
                Config::load(Some(Path::new("nat.toml")), &CliOverrides::default()).unwrap_err();
            assert!(format!("{err:#}").contains("advertise"));
            let err = Config::load(Some(Path::new("missing.toml")), &CliOverrides::default())
                .unwrap_err();
            assert!(format!("{err:#}").contains("does not exist"));
            // A typo in the environment names the variable as it was set.
            jail.set_env("CONFIDE_HTTP__LISTN", "x");
            let err = Config::load(None, &CliOverrides::default()).unwrap_err();
            let text = format!("{err:#}");
            assert!(
                text.contains("CONFIDE_HTTP__LISTN: unknown setting `listn`"),
                "{text}"
            );
            assert!(text.contains("listen"), "lists what is allowed: {text}");
            jail.clear_env();
            // ACME answers its challenge on port 80, and is the only
            // source of the certificate.
            jail.create_file(
                "acme.toml",
                "[http.acme]\ndomains = [\"video.clinic.example\"]\n",
            )?;
            let err =
                Config::load(Some(Path::new("acme.toml")), &CliOverrides::default()).unwrap_err();
            assert!(format!("{err:#}").contains("redirect_listen"), "{err:#}");
            jail.create_file(
                "both.toml",
                "[http]\nredirect_listen = \"127.0.0.1:80\"\n[http.tls]\ncert_file = \"c\"\nkey_file = \"k\"\n[http.acme]\ndomains = [\"video.clinic.example\"]\n",
            )?;
            let err =
                Config::load(Some(Path::new("both.toml")), &CliOverrides::default()).unwrap_err();
            assert!(format!("{err:#}").contains("set one"), "{err:#}");
            jail.create_file(
                "good.toml",
                "data_dir = \"/srv/confide\"\n[http]\nredirect_listen = \"0.0.0.0:80\"\n[http.acme]\ndomains = [\"video.clinic.example\"]\n",
            )?;
            let config = Config::load(Some(Path::new("good.toml")), &CliOverrides::default())
                .expect("valid");
            assert_eq!(
                config.tls_files().unwrap().cert_file,
                Path::new("/srv/confide/acme/cert.pem")
            );
            Ok(())
        });
    }
}

#[cfg(test)]
mod reachability_tests {
    use super::*;

    fn with(public_url: &str, listen: &str, advertise: &[&str]) -> Config {
        let mut config = Config::default();
        config.app.public_url = public_url.into();
        config.media.listen = listen.parse().unwrap();
        config.media.advertise = advertise.iter().map(|a| a.parse().unwrap()).collect();
        config
    }

    #[test]
    fn warns_when_a_public_site_offers_media_only_privately() {
        // The usual mistake: a cloud server behind 1:1 NAT.
        let warning = with("https://video.clinic.example", "10.0.0.5:50000", &[])
            .media_reachability_warning()
            .expect("a warning");
        assert!(
            warning.contains("media.advertise") && warning.contains("10.0.0.5"),
            "{warning}"
        );
        assert!(
            with(
                "https://video.clinic.example",
                "0.0.0.0:50000",
                &["192.168.1.20", "fd00::1"]
            )
            .media_reachability_warning()
            .is_some()
        );
        assert!(
            with("https://203.0.113.9", "127.0.0.1:50000", &[])
                .media_reachability_warning()
                .is_some()
        );
        // Fine: a public address is offered, or the site itself is local.
        for config in [
            with(
                "https://video.clinic.example",
                "10.0.0.5:50000",
                &["203.0.113.7"],
            ),
            with(
                "https://video.clinic.example",
                "0.0.0.0:50000",
                &["10.0.0.5", "203.0.113.7"],
            ),
            with("http://127.0.0.1:8080", "127.0.0.1:50000", &[]),
            with("http://localhost:8080", "127.0.0.1:50000", &[]),
            with("https://confide.clinic.lan", "192.168.1.20:50000", &[]),
            with("https://192.168.1.20", "192.168.1.20:50000", &[]),
        ] {
            assert_eq!(
                config.media_reachability_warning(),
                None,
                "{:?}",
                config.app.public_url
            );
        }
    }
}
