//! End-to-end encryption keys, relayed and never used. A participant whose
//! browser encrypts its media (SFrame, `web/sdk/e2ee.js`) announces the
//! public half of its key-agreement key pair; everyone else in its room is
//! told (`e2ee_key`), and a newcomer reads it in the participant list of
//! `joined` or `participant_connected`. The browsers derive media keys from
//! each other's public keys, so the server holds no secret that opens the
//! media it forwards; what it could do (swap public keys) is what the
//! safety code both people compare is there to catch.

use super::{ParticipantKey, Sfu};
use crate::signal::{SfuError, ToParticipant};

/// The longest public key accepted, in characters: a P-256 point, raw and
/// base64url, is 87; room for larger curves, not for arbitrary payloads.
pub const MAX_E2EE_KEY_LEN: usize = 256;

impl Sfu {
    /// `key` announces `public_key`; a repeat of the one it has is not
    /// relayed again.
    pub(super) fn set_e2ee_key(&mut self, key: ParticipantKey, public_key: String) {
        if let Err(why) = check_public_key(&public_key) {
            self.tell_error(key, SfuError::BadE2eeKey(why.to_owned()));
            return;
        }
        let Some(p) = self.participants.get_mut(&key) else {
            return;
        };
        if p.e2ee_key.as_deref() == Some(public_key.as_str()) {
            return;
        }
        p.e2ee_key = Some(public_key.clone());
        let participant_sid = p.sid.clone();
        self.tell_room(key, |_| ToParticipant::E2eeKey {
            participant_sid: participant_sid.clone(),
            public_key: public_key.clone(),
        });
    }
}

/// base64url (RFC 4648 §5) without padding, 1 to [`MAX_E2EE_KEY_LEN`]
/// characters: the server does not parse the key, but it relays nothing
/// else either.
fn check_public_key(public_key: &str) -> Result<(), &'static str> {
    if public_key.is_empty() {
        return Err("the public key is empty");
    }
    if public_key.len() > MAX_E2EE_KEY_LEN {
        return Err("the public key is too long");
    }
    if !public_key
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err("the public key is not base64url");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_keys_are_short_base64url() {
        assert!(check_public_key("BHx_y-0").is_ok());
        assert!(check_public_key("").is_err());
        assert!(check_public_key("a+b/c=").is_err());
        assert!(check_public_key("a b").is_err());
        assert!(check_public_key(&"A".repeat(MAX_E2EE_KEY_LEN)).is_ok());
        assert!(check_public_key(&"A".repeat(MAX_E2EE_KEY_LEN + 1)).is_err());
    }
}
