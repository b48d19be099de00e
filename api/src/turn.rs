//! `[turn]`: the STUN/TURN servers handed to participants in `joined`.
//!
//! Patients on networks that block UDP (hospitals, hotels, offices) need a
//! relay. Either Confide's own TURN server (`listen`, `tls_listen`: the
//! `turn` crate, relaying only to this server's media ports), or an external
//! one such as coturn configured with `use-auth-secret` and
//! `static-auth-secret` (`urls`, `secret`). Either way each participant is
//! handed short-lived credentials (`turn::rest`).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use signaling::ice_servers::{IceServers, TurnRest};
use turn::io::{Listeners, TurnHandle};
use turn::server::{PeerRoute, ServerConfig};

/// The `[turn]` section.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct TurnConfig {
    /// `turn:` / `turns:` URLs of a TURN server that checks TURN REST
    /// credentials (coturn: `use-auth-secret`), for example
    /// `turn:turn.clinic.example:3478?transport=tcp`. Empty: no TURN.
    pub urls: Vec<String>,
    /// The secret shared with the TURN server (coturn: `static-auth-secret`).
    pub secret: Option<String>,
    /// How long a participant's credentials stay valid. They only need to
    /// outlive the allocation's start, but a long session refreshes its
    /// allocation with the same credentials, so keep it above the longest
    /// session.
    pub credential_lifetime_secs: u64,
    /// `stun:` URLs handed out without credentials (rarely needed: the SFU
    /// is ICE-lite and its own candidates are public).
    pub stun_urls: Vec<String>,
    /// The embedded TURN server, on UDP and TCP at this address (3478 is
    /// TURN's port). Off when unset.
    pub listen: Option<SocketAddr>,
    /// The embedded TURN server over TLS (`turns:`), with the HTTPS
    /// certificate. The same address as `http.listen` shares HTTPS's port
    /// (told apart by the first byte); or a port of its own (5349).
    pub tls_listen: Option<SocketAddr>,
    /// The host name in the embedded server's URLs (default: the host of
    /// `app.public_url`, which the certificate names).
    pub host: Option<String>,
    /// Relays at once (each participant on a restrictive network holds one
    /// to three).
    pub max_allocations: usize,
}

impl Default for TurnConfig {
    fn default() -> Self {
        Self {
            urls: Vec::new(),
            secret: None,
            credential_lifetime_secs: 12 * 3600,
            stun_urls: Vec::new(),
            listen: None,
            tls_listen: None,
            host: None,
            max_allocations: 1000,
        }
    }
}

impl TurnConfig {
    pub fn validate(&self) -> Result<(), String> {
        for url in &self.urls {
            if !(url.starts_with("turn:") || url.starts_with("turns:")) {
                return Err(format!(
                    "turn.urls: {url:?} is not a TURN URL (turn:host:port or turns:host:port)"
                ));
            }
        }
        for url in &self.stun_urls {
            if !(url.starts_with("stun:") || url.starts_with("stuns:")) {
                return Err(format!(
                    "turn.stun_urls: {url:?} is not a STUN URL (stun:host:port)"
                ));
            }
        }
        let secret_len = self.secret.as_deref().map_or(0, str::len);
        if self.embedded() && !self.urls.is_empty() {
            return Err(
                "turn: set either listen/tls_listen (Confide's own TURN server) or urls (an external one), not both"
                    .to_owned(),
            );
        }
        if self.secret.is_some() && secret_len < 16 {
            return Err("turn.secret must be at least 16 characters".to_owned());
        }
        if !(1..=100_000).contains(&self.max_allocations) {
            return Err("turn.max_allocations must be between 1 and 100000".to_owned());
        }
        if !self.urls.is_empty() && secret_len < 16 {
            return Err(
                "turn.secret must be set (at least 16 characters) when turn.urls is: \
                 the same value as the TURN server's static-auth-secret"
                    .to_owned(),
            );
        }
        if !(60..=7 * 24 * 3600).contains(&self.credential_lifetime_secs) {
            return Err(
                "turn.credential_lifetime_secs must be between 60 and 604800 (a week)".to_owned(),
            );
        }
        Ok(())
    }

    /// Whether Confide runs its own TURN server.
    pub fn embedded(&self) -> bool {
        self.listen.is_some() || self.tls_listen.is_some()
    }

    /// What signaling hands out when the TURN server is an external one.
    pub fn ice_servers(&self) -> IceServers {
        IceServers {
            stun: self.stun_urls.clone(),
            turn: match (&self.secret, self.urls.is_empty()) {
                (Some(secret), false) => Some(TurnRest::new(
                    self.urls.clone(),
                    secret.as_bytes(),
                    self.credential_lifetime_secs,
                )),
                _ => None,
            },
        }
    }
}

/// Confide's own TURN server, running, and what participants are handed
/// to use it.
pub struct EmbeddedTurn {
    pub handle: TurnHandle,
    pub ice_servers: IceServers,
    /// TURN over TLS is on the HTTPS port: the HTTPS listener hands TURN
    /// connections to `handle`.
    pub shares_https: bool,
}

/// Starts the embedded TURN server when `[turn]` asks for it. Its only
/// peers are the SFU's media addresses: `advertise` (what ICE candidates
/// name) on each media worker's port, reached at that worker's socket
/// (`media_locals`). TURN over TLS listens
/// on its own port, or shares HTTPS's (`http_addr`) when `tls_listen` is
/// that address.
pub async fn start_embedded(
    config: &TurnConfig,
    public_url: &str,
    advertise: &[IpAddr],
    media_locals: &[SocketAddr],
    http_addr: SocketAddr,
    tls: Option<tokio_rustls::TlsAcceptor>,
) -> anyhow::Result<Option<EmbeddedTurn>> {
    if !config.embedded() {
        return Ok(None);
    }
    let host = match &config.host {
        Some(host) => host.clone(),
        None => url::Url::parse(public_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .context("app.public_url has no host for the TURN URLs; set turn.host")?,
    };
    let shares_https = config.tls_listen == Some(http_addr);
    let tls = match (config.tls_listen, tls) {
        (Some(_), Some(_)) if shares_https => None,
        (Some(addr), Some(acceptor)) => Some((addr, acceptor)),
        (Some(_), None) => {
            anyhow::bail!("turn.tls_listen needs HTTPS's certificate: set http.tls or http.acme")
        }
        (None, _) => None,
    };
    let Some(first_local) = media_locals.first() else {
        anyhow::bail!("no media socket for the TURN server to relay to");
    };
    let advertised: Vec<IpAddr> = if advertise.is_empty() {
        vec![first_local.ip()]
    } else {
        advertise.to_vec()
    };
    // Where a relay socket reaches the SFU: its advertised address when
    // that is one of this machine's (the SFU then sees the relay address
    // the browser announced), else the media socket's own address.
    let local_target = |ip: IpAddr, media_local: SocketAddr| {
        if !ip.is_unspecified() && std::net::UdpSocket::bind((ip, 0)).is_ok() {
            SocketAddr::new(ip, media_local.port())
        } else if media_local.ip().is_unspecified() {
            SocketAddr::new(Ipv4Addr::LOCALHOST.into(), media_local.port())
        } else {
            media_local
        }
    };
    let peers: Vec<PeerRoute> = advertised
        .iter()
        .flat_map(|ip| {
            media_locals.iter().map(|local| PeerRoute {
                advertised: SocketAddr::new(*ip, local.port()),
                local: local_target(*ip, *local),
            })
        })
        .collect();
    let relay_bind = peers[0].local.ip();
    let secret = match &config.secret {
        Some(secret) => secret.as_bytes().to_vec(),
        // Nothing outside this process checks these credentials.
        None => {
            let mut secret = vec![0u8; 32];
            rand::fill(&mut secret[..]);
            secret
        }
    };
    let rest = TurnRest::new(Vec::new(), &secret, config.credential_lifetime_secs);
    let server = ServerConfig {
        realm: host.clone(),
        peers,
        relay_ip: advertised[0],
        max_allocations: config.max_allocations,
        max_allocations_per_user: 8,
    };
    let listeners = Listeners {
        udp: config.listen,
        tcp: config.listen,
        tls,
    };
    let handle = TurnHandle::start(server, rest.clone(), listeners, relay_bind)
        .await
        .context("binding the TURN ports (turn.listen, turn.tls_listen)")?;
    let mut urls = Vec::new();
    if let Some(udp) = handle.bound.udp {
        urls.push(format!("turn:{host}:{}?transport=udp", udp.port()));
    }
    if let Some(tcp) = handle.bound.tcp {
        urls.push(format!("turn:{host}:{}?transport=tcp", tcp.port()));
    }
    let tls_port = match handle.bound.tls {
        Some(tls) => Some(tls.port()),
        None => shares_https.then_some(http_addr.port()),
    };
    if let Some(port) = tls_port {
        urls.push(format!("turns:{host}:{port}?transport=tcp"));
    }
    let ice_servers = IceServers {
        stun: config.stun_urls.clone(),
        turn: Some(TurnRest::new(
            urls,
            &secret,
            config.credential_lifetime_secs,
        )),
    };
    Ok(Some(EmbeddedTurn {
        handle,
        ice_servers,
        shares_https,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turn_needs_a_secret_and_real_urls() {
        assert!(TurnConfig::default().validate().is_ok());
        assert!(TurnConfig::default().ice_servers().turn.is_none());
        let mut config = TurnConfig {
            urls: vec!["turn:turn.example:3478?transport=tcp".into()],
            ..TurnConfig::default()
        };
        assert!(config.validate().unwrap_err().contains("turn.secret"));
        config.secret = Some("a-long-enough-shared-secret".into());
        assert!(config.validate().is_ok());
        assert!(config.ice_servers().turn.is_some());
        config.urls.push("http://nope".into());
        assert!(config.validate().unwrap_err().contains("not a TURN URL"));
        config.urls.pop();
        config.credential_lifetime_secs = 5;
        assert!(config.validate().is_err());
    }

    #[test]
    fn embedded_or_external_not_both() {
        let mut config = TurnConfig {
            listen: Some("0.0.0.0:3478".parse().unwrap()),
            ..TurnConfig::default()
        };
        assert!(config.validate().is_ok(), "the secret is optional");
        config.secret = Some("short".into());
        assert!(config.validate().unwrap_err().contains("16"));
        config.secret = None;
        config.urls = vec!["turn:coturn.example:3478".into()];
        assert!(config.validate().unwrap_err().contains("not both"));
    }

    /// The embedded server starts on free ports, offers a URL per transport
    /// with the configured host, and mints credentials it accepts.
    #[tokio::test]
    async fn embedded_server_urls_and_credentials() {
        let config = TurnConfig {
            listen: Some("127.0.0.1:0".parse().unwrap()),
            host: Some("video.clinic.example".into()),
            ..TurnConfig::default()
        };
        let media: SocketAddr = "127.0.0.1:50000".parse().unwrap();
        let http: SocketAddr = "127.0.0.1:8443".parse().unwrap();
        let turn = start_embedded(
            &config,
            "https://ignored.example",
            &[],
            &[media],
            http,
            None,
        )
        .await
        .unwrap()
        .expect("listen is set");
        let servers = turn.ice_servers.for_participant("PA1", 1_000);
        assert_eq!(servers.len(), 1);
        let udp = turn.handle.bound.udp.unwrap().port();
        let tcp = turn.handle.bound.tcp.unwrap().port();
        assert_eq!(
            servers[0].urls,
            vec![
                format!("turn:video.clinic.example:{udp}?transport=udp"),
                format!("turn:video.clinic.example:{tcp}?transport=tcp"),
            ]
        );
        let rest = turn.ice_servers.turn.as_ref().unwrap();
        assert!(rest.verify(
            servers[0].username.as_deref().unwrap(),
            servers[0].credential.as_deref().unwrap(),
            1_000
        ));
        turn.handle.stop();
        let tls = TurnConfig {
            tls_listen: Some("127.0.0.1:0".parse().unwrap()),
            ..TurnConfig::default()
        };
        let refused = start_embedded(&tls, "https://x.example", &[], &[media], http, None).await;
        assert!(refused.err().unwrap().to_string().contains("certificate"));
    }
}
