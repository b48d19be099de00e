//! `[turn]`: the STUN/TURN servers handed to participants in `joined`.
//!
//! Patients on networks that block UDP (hospitals, hotels, offices) need a
//! relay. Today that is an external TURN server, such as coturn configured
//! with `use-auth-secret` and `static-auth-secret`: Confide shares the
//! secret and mints each participant short-lived credentials
//! (`signaling::ice_servers`).

use serde::{Deserialize, Serialize};
use signaling::ice_servers::{IceServers, TurnRest};

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
}

impl Default for TurnConfig {
    fn default() -> Self {
        Self {
            urls: Vec::new(),
            secret: None,
            credential_lifetime_secs: 12 * 3600,
            stun_urls: Vec::new(),
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

    /// What signaling hands out.
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
}
