//! Errors a participant can be told about, each with Twilio's numeric code,
//! so a client written for twilio-video reacts to them unchanged. This is
//! the one table of codes: the SFU's own refusals ([`SfuError`]) carry none
//! and get theirs here.

use sfu::signal::SfuError;
use thiserror::Error;

#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum SignalError {
    #[error("Invalid Access Token: {0}")]
    InvalidToken(String),
    #[error("Invalid Access Token header: {0}")]
    InvalidTokenHeader(String),
    #[error("Invalid Access Token issuer/subject")]
    InvalidTokenIssuer,
    #[error("Access Token expired or expiration date invalid")]
    TokenExpired,
    #[error("Access Token not yet valid")]
    TokenNotYetValid,
    #[error("Invalid Access Token grants: {0}")]
    InvalidGrants(String),
    #[error("Invalid Access Token signature")]
    InvalidTokenSignature,
    #[error("Signaling connection error: {0}")]
    Protocol(String),
    #[error("Signaling connection timed out")]
    Timeout,
    #[error("Room exceeded max participant count")]
    RoomFull,
    #[error("Room not found")]
    RoomNotFound,
    #[error("Participant disconnected because of duplicate identity")]
    DuplicateIdentity,
    /// A resume named a participant that is gone (its reconnect window
    /// passed, or the server restarted) or gave the wrong resume token:
    /// the client joins anew.
    #[error("Participant not found: it cannot be resumed, join again")]
    ParticipantNotFound,
    #[error("Media connection failed or media activity ceased")]
    MediaConnectionFailed,
    #[error("Too many messages; slow down")]
    RateLimited,
    #[error("Room completed")]
    RoomCompleted,
    #[error("Signaling message too large")]
    MessageTooLarge,
    #[error("Server is shutting down or unavailable")]
    Unavailable,
    /// The server is stopping to restart (an upgrade, `systemctl
    /// restart`): the client should join again, and keeps trying while the
    /// new process starts.
    #[error("Signaling connection disconnected: the server is restarting, reconnect")]
    Restarting,
    /// The room lives on another node, which cannot be reached now (it
    /// died, and the room is placed again once that is known): the client
    /// tries again.
    #[error("Signaling connection disconnected: the room's server cannot be reached, reconnect")]
    NodeUnreachable,
    /// A request the SFU refused (a bad candidate, offer or answer); its
    /// message is the SFU's.
    #[error(transparent)]
    Sfu(#[from] SfuError),
}

impl SignalError {
    /// Twilio's error code for this condition.
    pub fn code(&self) -> u32 {
        match self {
            SignalError::InvalidToken(_) => 20101,
            SignalError::InvalidTokenHeader(_) => 20102,
            SignalError::InvalidTokenIssuer => 20103,
            SignalError::TokenExpired => 20104,
            SignalError::TokenNotYetValid => 20105,
            SignalError::InvalidGrants(_) => 20106,
            SignalError::InvalidTokenSignature => 20107,
            SignalError::Protocol(_) => 53000,
            SignalError::Timeout => 53001,
            SignalError::RoomFull => 53105,
            SignalError::RoomNotFound => 53106,
            SignalError::DuplicateIdentity => 53205,
            SignalError::ParticipantNotFound => 53204,
            SignalError::MediaConnectionFailed => 53405,
            SignalError::RoomCompleted => 53118,
            // Twilio has no per-message rate limit code; 53000 family.
            SignalError::RateLimited => 53000,
            SignalError::MessageTooLarge => 53000,
            SignalError::Unavailable => 53000,
            // Twilio's "signaling connection disconnected": its SDKs
            // reconnect on it.
            SignalError::Restarting | SignalError::NodeUnreachable => 53001,
            SignalError::Sfu(err) => match err {
                SfuError::BadCandidate(_)
                | SfuError::UnknownTrack(_)
                | SfuError::NotSubscribed(_)
                | SfuError::UnexpectedAnswer => 53000,
                SfuError::OfferNotApplied(_) => 53400,
                SfuError::AnswerNotApplied(_) => 53402,
                SfuError::BadTrackName(_) => 53301,
                SfuError::TrackNameTooLong(_) => 53302,
                SfuError::DuplicateTrackName(_) => 53304,
                SfuError::TooManyTracks(_) => 53203,
                // twilio-video's "Client sent an invalid signaling message".
                SfuError::BadE2eeKey(_) => 53004,
            },
        }
    }

    /// Whether the session ends after this error (everything about joining),
    /// or the client may carry on (a bad message, a bad SDP).
    pub fn is_fatal(&self) -> bool {
        !matches!(
            self,
            SignalError::Protocol(_)
                | SignalError::RateLimited
                | SignalError::MessageTooLarge
                | SignalError::Sfu(_)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SFU's refusals reach the client with the codes and messages they
    /// had when the SFU wrote them itself, never fatal.
    #[test]
    fn sfu_errors_keep_their_twilio_codes_and_messages() {
        let cases = [
            (
                SfuError::BadCandidate("no port".into()),
                53000,
                "bad ICE candidate: no port",
            ),
            (
                SfuError::UnknownTrack("cam".into()),
                53000,
                "no published track named \"cam\"",
            ),
            (
                SfuError::UnexpectedAnswer,
                53000,
                "answer without a pending offer",
            ),
            (
                SfuError::OfferNotApplied("bad m-line".into()),
                53400,
                "cannot apply the offer: bad m-line",
            ),
            (
                SfuError::AnswerNotApplied("bad m-line".into()),
                53402,
                "cannot apply the answer: bad m-line",
            ),
            (
                SfuError::BadTrackName("a data track needs a name".into()),
                53301,
                "invalid track name: a data track needs a name",
            ),
            (
                SfuError::TrackNameTooLong(128),
                53302,
                "track name longer than 128 bytes",
            ),
            (
                SfuError::DuplicateTrackName("chat".into()),
                53304,
                "the participant already publishes a track named \"chat\"",
            ),
            (
                SfuError::TooManyTracks(16),
                53203,
                "more than 16 data tracks published at once",
            ),
            (
                SfuError::BadE2eeKey("the public key is empty".into()),
                53004,
                "invalid end-to-end encryption key: the public key is empty",
            ),
        ];
        for (sfu_error, code, message) in cases {
            let err = SignalError::from(sfu_error);
            assert_eq!((err.code(), err.to_string().as_str()), (code, message));
            assert!(!err.is_fatal());
        }
    }
}
