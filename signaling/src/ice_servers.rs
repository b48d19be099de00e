//! The STUN/TURN servers each participant is given in `joined`.
//!
//! TURN servers need credentials, and a clinic cannot hand one long-lived
//! password to every patient. So Confide uses the "TURN REST" scheme
//! (draft-uberti-behave-turn-rest, coturn's `use-auth-secret`): the TURN
//! server and Confide share a secret; for each participant Confide mints
//!
//! - username `"<expiry unix seconds>:<participant SID>"`, and
//! - password `base64(HMAC-SHA1(secret, username))`,
//!
//! which the TURN server checks with the same secret, and refuses once the
//! expiry has passed. Nothing is stored on either side.
//!
//! The user part is the participant SID, not the identity: identities are
//! often e-mail addresses, and a TURN server logs usernames.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ring::hmac;

use crate::protocol::IceServer;

/// The servers and the secret their credentials are minted with.
#[derive(Clone, Default)]
pub struct IceServers {
    /// STUN URLs, given without credentials.
    pub stun: Vec<String>,
    /// A TURN server that checks REST-scheme credentials.
    pub turn: Option<TurnRest>,
}

/// A TURN server (or several URLs of one) sharing a secret with Confide.
#[derive(Clone)]
pub struct TurnRest {
    /// `turn:` / `turns:` URLs, for example `turn:turn.example.org:3478?transport=udp`.
    pub urls: Vec<String>,
    key: hmac::Key,
    /// How long minted credentials stay valid.
    pub lifetime_secs: u64,
}

impl TurnRest {
    pub fn new(urls: Vec<String>, secret: &[u8], lifetime_secs: u64) -> Self {
        Self {
            urls,
            key: hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret),
            lifetime_secs,
        }
    }

    /// Username and password for `user`, valid until `now + lifetime`.
    pub fn credentials(&self, user: &str, unix_now: u64) -> (String, String) {
        let username = format!("{}:{user}", unix_now + self.lifetime_secs);
        let tag = hmac::sign(&self.key, username.as_bytes());
        (username, STANDARD.encode(tag.as_ref()))
    }

    /// Whether `password` is what [`TurnRest::credentials`] mints for
    /// `username` and it has not expired (the embedded TURN server's check).
    pub fn verify(&self, username: &str, password: &str, unix_now: u64) -> bool {
        let Some((expiry, _)) = username.split_once(':') else {
            return false;
        };
        let Ok(expiry) = expiry.parse::<u64>() else {
            return false;
        };
        let Ok(tag) = STANDARD.decode(password) else {
            return false;
        };
        expiry >= unix_now && hmac::verify(&self.key, username.as_bytes(), &tag).is_ok()
    }
}

impl IceServers {
    /// What `joined` carries for the participant `user` at `unix_now`.
    pub fn for_participant(&self, user: &str, unix_now: u64) -> Vec<IceServer> {
        let mut servers: Vec<IceServer> = self
            .stun
            .iter()
            .map(|url| IceServer {
                urls: vec![url.clone()],
                username: None,
                credential: None,
            })
            .collect();
        if let Some(turn) = &self.turn
            && !turn.urls.is_empty()
        {
            let (username, credential) = turn.credentials(user, unix_now);
            servers.push(IceServer {
                urls: turn.urls.clone(),
                username: Some(username),
                credential: Some(credential),
            });
        }
        servers
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The expected password comes from an independent computation:
    /// `printf %s 1700000600:PA1 | openssl dgst -sha1 -hmac north -binary | base64`.
    #[test]
    fn mints_coturn_compatible_credentials() {
        let turn = TurnRest::new(vec!["turn:t.example:3478".into()], b"north", 600);
        let (username, password) = turn.credentials("PA1", 1_700_000_000);
        assert_eq!(username, "1700000600:PA1");
        assert_eq!(password, "c859x+sgXhiVPSf8xPowxPbZvJQ=");
        assert!(turn.verify(&username, &password, 1_700_000_600));
        assert!(!turn.verify(&username, &password, 1_700_000_601), "expired");
        assert!(
            !turn.verify("1700000600:PA2", &password, 1_700_000_000),
            "other user"
        );
        assert!(!turn.verify("garbage", &password, 0));
        assert!(!turn.verify(&username, "not base64!", 0));
    }

    #[test]
    fn stun_without_credentials_and_turn_with() {
        let servers = IceServers {
            stun: vec!["stun:s.example:3478".into()],
            turn: Some(TurnRest::new(
                vec!["turn:t.example:3478?transport=tcp".into()],
                b"k",
                60,
            )),
        };
        let list = servers.for_participant("PA1", 100);
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].username, None);
        assert_eq!(list[1].username.as_deref(), Some("160:PA1"));
        assert!(list[1].credential.is_some());
        assert!(IceServers::default().for_participant("PA1", 0).is_empty());
    }
}
