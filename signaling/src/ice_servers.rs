//! The STUN/TURN servers each participant is given in `joined`.
//!
//! TURN servers need credentials, and a clinic cannot hand one long-lived
//! password to every patient: each participant gets short-lived TURN REST
//! credentials ([`turn::rest`]) for the embedded TURN server or an external
//! one (coturn's `use-auth-secret`).
//!
//! The user part is the participant SID, not the identity: identities are
//! often e-mail addresses, and a TURN server logs usernames.

pub use turn::rest::TurnRest;

use crate::protocol::IceServer;

/// The servers and the secret their credentials are minted with.
#[derive(Clone, Default)]
pub struct IceServers {
    /// STUN URLs, given without credentials.
    pub stun: Vec<String>,
    /// A TURN server that checks REST-scheme credentials.
    pub turn: Option<TurnRest>,
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
