//! An appointment's video: its room (opened on demand) and the access
//! token that lets its patient or psychologist (staff when configured) in,
//! inside the join window.

use super::appointments::{Appointment, visible};
use super::rooms::{self, RoomFor};
use super::time::rfc3339;
use super::users::User;
use super::{Error, Result};
use crate::state::AppState;

const IN_PERSON: &str = "this is an in-person appointment; it has no video room";
const CANCELLED: &str = "this appointment was cancelled";

/// The room an appointment has, opened if it has none yet (idempotent).
pub async fn ensure_room(state: &AppState, user: &User, id: i64) -> Result<Appointment> {
    let a = visible(&state.db, user, id).await?;
    if a.is_cancelled() {
        return Err(Error::Gone(CANCELLED.into()));
    }
    if !a.is_telehealth() {
        return Err(Error::Rejected(IN_PERSON.into()));
    }
    if a.video_room_id.is_some() {
        return Ok(a);
    }
    let tx = crate::db::begin_write(&state.db).await?;
    rooms::open(tx, state, RoomFor::Appointment(a.id)).await?;
    Appointment::reload(&state.db, a.id).await
}

/// A Twilio-format access token for an appointment's room.
pub struct Grant {
    pub access_token: String,
    pub room_name: String,
    pub identity: String,
    pub ttl: u64,
}

/// A token for the user to join an appointment's room.
pub async fn token(state: &AppState, user: &User, id: i64) -> Result<Grant> {
    let config = &state.config;
    let a = visible(&state.db, user, id).await?;
    if !a.may_join(user, config) {
        return Err(Error::Forbidden(
            "only the patient and the psychologist join this session".into(),
        ));
    }
    if a.is_cancelled() {
        return Err(Error::Gone(CANCELLED.into()));
    }
    let Some(room) = a.video_room_id.clone().filter(|_| a.is_telehealth()) else {
        return Err(Error::Rejected(IN_PERSON.into()));
    };
    let now = state.clock.now();
    let (opens, closes) = a.join_window(config);
    if now < opens {
        let minutes = (opens - now).num_minutes() + 1;
        return Err(Error::Forbidden(format!(
            "the video room opens at {} (in about {minutes} minutes)",
            rfc3339(opens)
        )));
    }
    if now > closes {
        return Err(Error::Forbidden(format!(
            "the video room closed at {}",
            rfc3339(closes)
        )));
    }
    if !super::waiting_room::admitted(state, user, &a).await? {
        return Err(Error::Forbidden(format!(
            "{} will let you in shortly: wait on the session's page",
            a.psychologist_name
        )));
    }
    let identity = identity(user);
    let ttl = config.app.video_token_ttl_secs;
    let access_token = signaling::token::mint(
        &state.credentials.account_sid,
        &state.credentials.api_key(),
        &identity,
        Some(&room),
        ttl,
        now.timestamp().max(0) as u64,
    );
    Ok(Grant {
        access_token,
        room_name: room,
        identity,
        ttl,
    })
}

/// `{id}-{email}`: the id makes it unique, the e-mail makes it readable. A
/// long e-mail (up to 254 bytes are valid) is cut to fit a token's identity.
pub fn identity(user: &User) -> String {
    identity_of(user.id, &user.email)
}

/// [`identity`] from the account's id and e-mail.
pub fn identity_of(id: i64, email: &str) -> String {
    let mut identity = format!("{id}-{email}");
    let mut end = identity.len().min(signaling::token::MAX_IDENTITY_BYTES);
    while !identity.is_char_boundary(end) {
        end -= 1;
    }
    identity.truncate(end);
    identity
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::users::Role;

    #[test]
    fn the_longest_valid_email_still_makes_a_token_that_joins() {
        let email = format!("{}@{}.example", "a".repeat(64), "b".repeat(181));
        assert_eq!(email.len(), 254);
        let user = User {
            id: 1_234_567,
            email,
            name: "Long".into(),
            role: Role::Patient,
            phone: None,
            time_zone: "UTC".into(),
            whatsapp_opt_in: false,
            active: true,
        };
        let identity = identity(&user);
        assert!(identity.starts_with("1234567-aaaa"), "{identity}");
        assert_eq!(identity.len(), signaling::token::MAX_IDENTITY_BYTES);
        let key = signaling::token::ApiKey {
            sid: "SK00000000000000000000000000000000".into(),
            secret: "s".repeat(32),
        };
        let account = "AC00000000000000000000000000000000";
        let token = signaling::token::mint(account, &key, &identity, Some("room"), 60, 1_000);
        let grant = signaling::token::TokenVerifier::new(account.into(), vec![key])
            .verify(&token, 1_010)
            .expect("the token's identity fits");
        assert_eq!(grant.identity, identity);
    }
}
