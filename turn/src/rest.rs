//! TURN REST credentials (draft-uberti-behave-turn-rest, coturn's
//! `use-auth-secret`): the TURN server and Confide share a secret; for each
//! participant Confide mints
//!
//! - username `"<expiry unix seconds>:<participant SID>"`, and
//! - password `base64(HMAC-SHA1(secret, username))`,
//!
//! which the TURN server (coturn, or [`crate::server`]) recomputes from the
//! username with the same secret, and refuses once the expiry has passed.
//! Nothing is stored on either side.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ring::hmac;

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
        (username.clone(), self.password_of(&username))
    }

    fn password_of(&self, username: &str) -> String {
        STANDARD.encode(hmac::sign(&self.key, username.as_bytes()).as_ref())
    }

    /// The password for `username`, unless it is not one of ours or has
    /// expired (the TURN server's side: the key it checks MESSAGE-INTEGRITY
    /// with is derived from it).
    pub fn password(&self, username: &str, unix_now: u64) -> Option<String> {
        let (expiry, _) = username.split_once(':')?;
        let expiry = expiry.parse::<u64>().ok()?;
        (expiry >= unix_now).then(|| self.password_of(username))
    }

    /// Whether `password` is what [`TurnRest::credentials`] mints for
    /// `username` and it has not expired.
    pub fn verify(&self, username: &str, password: &str, unix_now: u64) -> bool {
        self.password(username, unix_now)
            .is_some_and(|p| rtc::crypto::constant_time_eq(p.as_bytes(), password.as_bytes()))
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
        assert_eq!(turn.password(&username, 1_700_000_601), None);
    }
}
