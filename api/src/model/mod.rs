//! The domain: records, queries and rules, with no HTTP in them. Handlers in
//! [`crate::http`] parse a request, call in here and shape the answer;
//! background tasks ([`crate::callbacks`], [`crate::room_reaper`],
//! [`crate::demo`]) call in here too.
//!
//! - [`users`]: accounts and roles; [`people`]: an admin correcting,
//!   closing and reopening them.
//! - [`appointments`]: the appointment record, its queries and who sees it;
//!   [`attendance`]: who was in its call, when, and who never came.
//! - [`audit`]: the append-only log of who did what, when, from where.
//! - [`booking`]: booking, rescheduling and cancelling (locks, overlaps),
//!   under the clinic's [`policy`]; [`change_requests`]: a patient's move
//!   waiting for the psychologist's approval.
//! - [`video`]: an appointment's room and access token; [`waiting_room`]:
//!   patients wait there until the psychologist lets them in.
//! - [`rooms`]: Twilio-style rooms: records, opening one (for an
//!   appointment or a REST request), participants; [`rooms::lifecycle`]
//!   ends, reaps and re-registers them.
//! - [`validate`]: field checks; [`time`]: how instants are written.
//!
//! Every fallible function answers [`Error`], which [`crate::http::error`]
//! maps to HTTP statuses and Twilio codes.

pub mod appointments;
pub mod attendance;
pub mod audit;
pub mod booking;
pub mod change_requests;
pub mod people;
pub mod policy;
pub mod rooms;
pub mod time;
pub mod users;
pub mod validate;
pub mod video;
pub mod waiting_room;

use std::collections::BTreeMap;

/// What went wrong, in domain terms.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Field → what is wrong with it.
    #[error("invalid fields")]
    Invalid(BTreeMap<String, String>),
    /// The request cannot apply to this record (an in-person appointment
    /// has no video room, …).
    #[error("{0}")]
    Rejected(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Gone(String),
    /// A room with that unique name is in progress.
    #[error("Room exists")]
    RoomExists,
    /// Only a room in progress can be completed.
    #[error("Status is invalid: set Status=completed on a room in progress")]
    RoomNotInProgress,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl Error {
    /// One invalid field.
    pub fn field(name: &str, problem: impl Into<String>) -> Error {
        Error::Invalid(BTreeMap::from([(name.to_owned(), problem.into())]))
    }
}

impl From<sqlx::Error> for Error {
    fn from(err: sqlx::Error) -> Self {
        Error::Internal(err.into())
    }
}

pub type Result<T> = std::result::Result<T, Error>;
