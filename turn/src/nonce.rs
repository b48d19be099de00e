//! NONCE values that need no table: the time they were issued and an HMAC
//! of it under a key only this process knows. A nonce is accepted for an
//! hour; after that the client is told 438 (Stale Nonce) with a new one and
//! retries, as every TURN client does.

use ring::hmac;

/// How long a nonce is accepted.
const NONCE_LIFETIME_SECS: u64 = 3600;

pub struct Nonces {
    key: hmac::Key,
}

impl Nonces {
    pub fn new(secret: [u8; 32]) -> Self {
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, &secret),
        }
    }

    /// A nonce issued at `unix_now`.
    pub fn issue(&self, unix_now: u64) -> String {
        format!("{unix_now:x}.{}", self.tag(unix_now))
    }

    /// Whether `nonce` is one of ours and under an hour old.
    pub fn fresh(&self, nonce: &str, unix_now: u64) -> bool {
        let Some((issued, tag)) = nonce.split_once('.') else {
            return false;
        };
        let Ok(issued) = u64::from_str_radix(issued, 16) else {
            return false;
        };
        issued <= unix_now
            && unix_now - issued < NONCE_LIFETIME_SECS
            && rtc::crypto::constant_time_eq(tag.as_bytes(), self.tag(issued).as_bytes())
    }

    fn tag(&self, issued: u64) -> String {
        let tag = hmac::sign(&self.key, &issued.to_be_bytes());
        tag.as_ref()[..12]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_expire_and_cannot_be_forged() {
        let nonces = Nonces::new([7; 32]);
        let nonce = nonces.issue(1_000);
        assert!(nonces.fresh(&nonce, 1_000));
        assert!(nonces.fresh(&nonce, 1_000 + 3599));
        assert!(!nonces.fresh(&nonce, 1_000 + 3600), "stale");
        assert!(!nonces.fresh(&nonce, 999), "from the future");
        assert!(!Nonces::new([8; 32]).fresh(&nonce, 1_000), "another key");
        let forged = format!("{:x}.{}", 5_000, nonce.split_once('.').unwrap().1);
        assert!(!nonces.fresh(&forged, 5_000));
        assert!(!nonces.fresh("garbage", 1_000));
    }
}
