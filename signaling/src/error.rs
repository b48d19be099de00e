//! Errors a participant can be told about, each with Twilio's numeric code,
//! so a client written for twilio-video reacts to them unchanged.

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
    #[error("Client is unable to create or apply a local media description: {0}")]
    Sdp(String),
    #[error("Room exceeded max participant count")]
    RoomFull,
    #[error("Room not found")]
    RoomNotFound,
    #[error("Participant disconnected because of duplicate identity")]
    DuplicateIdentity,
    #[error("Media connection failed or media activity ceased")]
    MediaConnectionFailed,
    #[error("Too many messages; slow down")]
    RateLimited,
    #[error("Room completed")]
    RoomCompleted,
    #[error("Participant removed from the Room by the server")]
    ParticipantRemoved,
    #[error("Signaling message too large")]
    MessageTooLarge,
    #[error("Server is shutting down or unavailable")]
    Unavailable,
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
            SignalError::Sdp(_) => 53400,
            SignalError::RoomFull => 53105,
            SignalError::RoomNotFound => 53106,
            SignalError::DuplicateIdentity => 53205,
            SignalError::MediaConnectionFailed => 53405,
            SignalError::RoomCompleted => 53118,
            SignalError::ParticipantRemoved => 53000,
            // Twilio has no per-message rate limit code; 53000 family.
            SignalError::RateLimited => 53000,
            SignalError::MessageTooLarge => 53000,
            SignalError::Unavailable => 53000,
        }
    }

    /// Whether the session ends after this error (everything about joining),
    /// or the client may carry on (a bad message, a bad SDP).
    pub fn is_fatal(&self) -> bool {
        !matches!(
            self,
            SignalError::Protocol(_)
                | SignalError::Sdp(_)
                | SignalError::RateLimited
                | SignalError::MessageTooLarge
        )
    }
}
