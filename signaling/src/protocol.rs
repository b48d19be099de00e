//! The wire format: JSON text frames, one message each, `type` first.
//!
//! Messages the SFU itself produces or consumes are [`sfu::signal`] types;
//! this module adds the ones only the signaling layer knows (join, ping,
//! leave, the join answer, errors). `docs/signaling.md` is the reference.

use serde::{Deserialize, Serialize};
use sfu::signal::{FromParticipant, ParticipantInfo};

/// The protocol version this server speaks; a client sends it in `join`.
pub const PROTOCOL_VERSION: u32 = 1;

/// Everything a client may send.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientMessage {
    Join {
        version: u32,
        token: String,
        /// The room to join; must match the token's grant when it names one.
        #[serde(default)]
        room: Option<String>,
    },
    /// Instead of `join`: a connectivity test (twilio-video's
    /// `runPreflight`). The token is checked as for `join`, but the session
    /// is alone in a room of its own and receives its own tracks back.
    Preflight {
        version: u32,
        token: String,
    },
    /// Instead of `join`, on a new websocket after the previous one
    /// dropped: the same participant goes on (`docs/signaling.md` §7).
    Resume {
        version: u32,
        participant_sid: String,
        resume_token: String,
    },
    Ping {
        #[serde(default)]
        id: Option<u64>,
    },
    Leave,
    #[serde(untagged)]
    Media(MediaMessage),
}

impl ClientMessage {
    /// Parses a client's text frame. `type` must be one string, as
    /// `docs/signaling.md` says: serde's tagged enums would also take a
    /// variant's index (`{"type":2}` as `leave`), which fuzzing found; a
    /// second `type` is refused rather than read either way.
    pub fn parse(text: &str) -> Result<ClientMessage, String> {
        serde_json::from_str::<TypeName>(text).map_err(|e| e.to_string())?;
        serde_json::from_str(text).map_err(|e| e.to_string())
    }
}

/// Just a message's `type`: a string, once (other fields are ignored here).
#[derive(Deserialize)]
struct TypeName<'a> {
    #[serde(rename = "type", borrow)]
    _name: std::borrow::Cow<'a, str>,
}

/// The client messages that go on to the SFU. A separate enum so that serde
/// tries the signaling-only types first.
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub struct MediaMessage(pub FromParticipant);

#[derive(Debug, Clone, Serialize)]
pub struct IceServer {
    pub urls: Vec<String>,
    /// TURN only: minted per participant (`ice_servers.rs`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RoomInfo {
    pub sid: String,
    pub name: String,
}

/// What `joined` and `resumed` carry: the room, this participant, the
/// others as they are now, ICE servers, and how to resume.
#[derive(Debug, Serialize)]
pub struct Welcome<'a> {
    pub version: u32,
    pub room: RoomInfo,
    pub participant: &'a ParticipantInfo,
    pub participants: &'a [ParticipantInfo],
    pub ice_servers: Vec<IceServer>,
    /// The secret a `resume` presents, and how long after an interruption
    /// the server keeps this participant's place for one.
    pub resume_token: &'a str,
    pub reconnect_window_secs: u64,
}

/// Messages only the signaling layer sends (the SFU's own are
/// [`sfu::signal::ToParticipant`]).
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage<'a> {
    Joined(Welcome<'a>),
    /// The answer to `resume`: the same fields as `joined`.
    Resumed(Welcome<'a>),
    Pong {
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<u64>,
    },
    Error {
        code: u32,
        message: String,
        /// True when the server closes the connection after this message.
        fatal: bool,
    },
    /// The session ended without an error: the clinic removed this
    /// participant (Twilio's SDK then disconnects with no error, and must
    /// not rejoin).
    Disconnected {
        reason: DisconnectReason,
    },
}

/// Why a [`ServerMessage::Disconnected`] was sent.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DisconnectReason {
    /// Through the REST API (`Status=disconnected`).
    Removed,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_signaling_and_media_messages() {
        let join: ClientMessage =
            serde_json::from_str(r#"{"type":"join","version":1,"token":"t","room":"r"}"#).unwrap();
        assert!(matches!(join, ClientMessage::Join { version: 1, .. }));
        let offer: ClientMessage = serde_json::from_str(
            r#"{"type":"offer","sdp":"v=0","tracks":[{"mid":"0","name":"mic","kind":"audio"}]}"#,
        )
        .unwrap();
        let ClientMessage::Media(MediaMessage(FromParticipant::Offer { tracks, .. })) = offer
        else {
            panic!("offer expected")
        };
        assert_eq!(tracks[0].name, "mic");
        assert!(tracks[0].enabled);
        let candidate: ClientMessage = serde_json::from_str(
            r#"{"type":"candidate","candidate":"candidate:1 1 udp 1 127.0.0.1 9 typ host","sdpMid":"0","sdpMLineIndex":0}"#,
        )
        .unwrap();
        assert!(matches!(
            candidate,
            ClientMessage::Media(MediaMessage(FromParticipant::Candidate { .. }))
        ));
        for bad in [
            r#"{"type":"nope"}"#,
            r#"{"type":"offer"}"#,
            r#"{"sdp":"x"}"#,
            r#"[]"#,
            r#"{"type":"join","version":"1","token":"t"}"#,
        ] {
            assert!(serde_json::from_str::<ClientMessage>(bad).is_err(), "{bad}");
        }
    }
}
