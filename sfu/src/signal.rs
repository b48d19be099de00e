//! What crosses between the SFU and the signaling layer, per participant.
//!
//! [`FromParticipant`] is what a participant asks for; [`ToParticipant`] is
//! what the SFU tells it. Both serialize as the JSON messages of the
//! signaling protocol (`docs/signaling.md`), so there is one definition of
//! each message, not one here and another on the wire. [`SfuError`] is why
//! a request failed; signaling turns it into an `error` message.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaKind {
    Audio,
    Video,
}

/// What a published track carries, as participants and the REST API see
/// it: media, or messages (a data track: an SCTP data channel, not an
/// m-line).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrackKind {
    Audio,
    Video,
    Data,
}

impl From<MediaKind> for TrackKind {
    fn from(kind: MediaKind) -> Self {
        match kind {
            MediaKind::Audio => TrackKind::Audio,
            MediaKind::Video => TrackKind::Video,
        }
    }
}

/// twilio-video's track priority: how much of a narrow downlink a video
/// track gets next to the others a subscriber receives
/// (`core::downlink_shares`). A publisher sets one for everyone; a
/// subscriber may set its own for a track it receives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    Low,
    #[default]
    Standard,
    High,
}

impl Priority {
    /// Its weight when a downlink is shared out: each step doubles a
    /// track's share against the others.
    pub fn weight(self) -> u64 {
        match self {
            Priority::Low => 1,
            Priority::Standard => 2,
            Priority::High => 4,
        }
    }
}

/// A published track as others see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrackInfo {
    pub sid: String,
    pub name: String,
    pub kind: TrackKind,
    pub enabled: bool,
    /// The publisher's priority for it.
    pub priority: Priority,
}

/// The size a subscriber shows a video track at, in CSS pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct RenderDimensions {
    pub width: u32,
    pub height: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParticipantInfo {
    pub sid: String,
    pub identity: String,
    pub tracks: Vec<TrackInfo>,
    /// Interrupted and within its reconnect window (absent when not).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub reconnecting: bool,
    /// The public key it announced for end-to-end encryption
    /// (`e2ee_key`), absent when none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub e2ee_key: Option<String>,
}

/// A track a participant publishes, named in its offer by the m-line's mid.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PublishedTrackSpec {
    pub mid: String,
    pub name: String,
    pub kind: MediaKind,
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
    #[serde(default)]
    pub priority: Priority,
}

fn enabled_by_default() -> bool {
    true
}

/// Which remote track an m-line of a server offer carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubscribedTrackMid {
    pub mid: String,
    pub participant_sid: String,
    pub track_sid: String,
    pub kind: MediaKind,
}

/// Requests from a participant after it joined.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FromParticipant {
    /// A client offer: the first one, or a renegotiation when it publishes or
    /// unpublishes. `tracks` lists everything it publishes after this offer.
    Offer {
        sdp: String,
        #[serde(default)]
        tracks: Vec<PublishedTrackSpec>,
    },
    /// The answer to a server offer.
    Answer { sdp: String },
    /// A trickled ICE candidate of the client.
    Candidate {
        candidate: String,
        #[serde(default, rename = "sdpMid")]
        sdp_mid: Option<String>,
        #[serde(default, rename = "sdpMLineIndex")]
        sdp_mline_index: Option<u16>,
    },
    /// Mute / unmute, camera off / on, by track name.
    TrackEnabled { name: String, enabled: bool },
    /// The publisher's priority for one of its tracks, by name.
    TrackPriority { name: String, priority: Priority },
    /// What this subscriber wants of a track it receives: its own priority
    /// (`None`: the publisher's), whether it is switched on, and the size
    /// it is shown at.
    TrackPreferences {
        track_sid: String,
        #[serde(default)]
        priority: Option<Priority>,
        #[serde(default = "enabled_by_default")]
        enabled: bool,
        #[serde(default)]
        render_dimensions: Option<RenderDimensions>,
    },
    /// The public key of its end-to-end encryption, for the others in
    /// the room (`core::e2ee_keys`).
    E2eeKey { public_key: String },
}

/// One participant's network quality (`crate::quality`): its level
/// (0–5) and what each of its links measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NetworkQualityInfo {
    pub participant_sid: String,
    pub level: u8,
    /// Its uplink: what it sends us.
    pub send: LinkStats,
    /// Its downlink: what we send it.
    pub recv: LinkStats,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LinkStats {
    pub level: u8,
    /// Fraction of packets lost, 0…1.
    pub loss: f64,
    pub rtt_ms: u32,
    pub jitter_ms: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub video_kbps: Option<u32>,
}

/// Why the SFU closed a participant's session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// Another session joined with the same identity (Twilio 53205).
    DuplicateIdentity,
    /// ICE consent or DTLS failed, or no media arrived for too long (53405).
    MediaTimeout,
    /// The server is shutting down.
    ServerShutdown,
    /// The room was ended through the REST API (Twilio 53118).
    RoomCompleted,
    /// This participant was removed through the REST API.
    Removed,
    /// The participant resumed on another signaling connection; this one
    /// ends without a word (the client has already left it).
    Replaced,
}

/// What the SFU tells one participant.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToParticipant {
    Answer {
        sdp: String,
    },
    Offer {
        sdp: String,
        tracks: Vec<SubscribedTrackMid>,
    },
    ParticipantConnected {
        participant: ParticipantInfo,
    },
    ParticipantDisconnected {
        participant_sid: String,
        identity: String,
    },
    /// The participant's media or signaling connection was interrupted; it
    /// keeps its place for the reconnect window.
    ParticipantReconnecting {
        participant_sid: String,
    },
    /// It is back (media and signaling), within the window.
    ParticipantReconnected {
        participant_sid: String,
    },
    TrackPublished {
        participant_sid: String,
        track: TrackInfo,
    },
    TrackUnpublished {
        participant_sid: String,
        track_sid: String,
    },
    TrackEnabled {
        participant_sid: String,
        track_sid: String,
        enabled: bool,
    },
    /// A publisher changed its priority for a track.
    TrackPriority {
        participant_sid: String,
        track_sid: String,
        priority: Priority,
    },
    /// The SFU stopped (`off`) or started again forwarding a track to this
    /// subscriber, as its preferences asked.
    TrackSwitched {
        track_sid: String,
        off: bool,
    },
    DominantSpeaker {
        participant_sid: Option<String>,
    },
    /// Which simulcast layers of one of its own tracks (by the m-line it
    /// sends it on) someone receives, lowest first: the client sends
    /// those and pauses the rest.
    PublishLayers {
        mid: String,
        active: Vec<bool>,
    },
    /// Another participant's public key for end-to-end encryption.
    E2eeKey {
        participant_sid: String,
        public_key: String,
    },
    /// Network quality levels of the room's participants (this one's
    /// included), sent when one changes.
    NetworkQuality {
        participants: Vec<NetworkQualityInfo>,
    },
    /// A request failed; the session goes on (session-ending conditions
    /// are [`ToParticipant::Closed`]). The signaling layer words it for the
    /// client, with its Twilio code.
    #[serde(skip)]
    Error(SfuError),
    /// The session is over; the signaling layer tells the client and closes.
    #[serde(skip)]
    Closed(CloseReason),
}

/// Why the SFU refused a participant's request. The session goes on. These
/// carry no Twilio codes: the signaling layer maps every error a client can
/// see to its code in one table (`signaling/src/error.rs`). The messages are
/// what the client reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SfuError {
    /// A trickled ICE candidate the engine cannot parse or add.
    #[error("bad ICE candidate: {0}")]
    BadCandidate(String),
    /// Mute / unmute of a track the participant does not publish.
    #[error("no published track named {0:?}")]
    UnknownTrack(String),
    /// Preferences for a track the participant does not receive.
    #[error("no subscribed track {0:?}")]
    NotSubscribed(String),
    /// An answer when no server offer is pending.
    #[error("answer without a pending offer")]
    UnexpectedAnswer,
    /// The client's offer cannot be applied.
    #[error("cannot apply the offer: {0}")]
    OfferNotApplied(String),
    /// The client's answer to a server offer cannot be applied.
    #[error("cannot apply the answer: {0}")]
    AnswerNotApplied(String),
    /// A data channel without a usable track name (its label).
    #[error("invalid track name: {0}")]
    BadTrackName(String),
    #[error("track name longer than {0} bytes")]
    TrackNameTooLong(usize),
    #[error("the participant already publishes a track named {0:?}")]
    DuplicateTrackName(String),
    #[error("more than {0} data tracks published at once")]
    TooManyTracks(usize),
    /// An `e2ee_key` the server will not relay.
    #[error("invalid end-to-end encryption key: {0}")]
    BadE2eeKey(String),
}

/// Something that happened in a room, for the REST API's status callbacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoomEventKind {
    ParticipantConnected,
    ParticipantDisconnected,
    TrackAdded,
    TrackRemoved,
    TrackEnabled,
    TrackDisabled,
    RoomEnded,
}

impl RoomEventKind {
    /// Twilio's `StatusCallbackEvent` name.
    pub fn twilio_name(self) -> &'static str {
        match self {
            RoomEventKind::ParticipantConnected => "participant-connected",
            RoomEventKind::ParticipantDisconnected => "participant-disconnected",
            RoomEventKind::TrackAdded => "track-added",
            RoomEventKind::TrackRemoved => "track-removed",
            RoomEventKind::TrackEnabled => "track-enabled",
            RoomEventKind::TrackDisabled => "track-disabled",
            RoomEventKind::RoomEnded => "room-ended",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomEvent {
    pub room: String,
    pub room_sid: String,
    pub kind: RoomEventKind,
    /// (sid, identity) of the participant concerned.
    pub participant: Option<(String, String)>,
    /// The address that participant's signaling connection came from,
    /// when known (the audit log records it with joins and leaves).
    pub participant_ip: Option<std::net::IpAddr>,
    pub track: Option<TrackInfo>,
}
