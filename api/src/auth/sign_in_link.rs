//! One-time sign-in links (`app.magic_links`): a patient's reminder can
//! carry a link that signs them in without a password, so a patient who
//! opens it from WhatsApp on a phone gets to their session. The secret
//! rides in the link's fragment (`#key=…`), which browsers never send to
//! a server and link previewers never see; only its SHA-256 is stored. A
//! link works once, until its appointment's room closes, and the session
//! it starts is bound to that appointment (it opens that session's page,
//! nothing else: [`crate::http::extract`]) and ends when the room closes.

use super::session::{hash_token, random_token};
use crate::db::Db;
use crate::model::users::User;
use crate::model::{Error, Result};

/// A new link's secret for `user` to `appointment`, working until `expires_at`.
pub async fn mint(
    db: &Db,
    user: i64,
    appointment: i64,
    expires_at: i64,
    now: i64,
) -> sqlx::Result<String> {
    let token = random_token();
    sqlx::query(
        "INSERT INTO sign_in_links (token_hash, user_id, appointment_id, expires_at, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(hash_token(&token))
    .bind(user)
    .bind(appointment)
    .bind(expires_at)
    .bind(now)
    .execute(db)
    .await?;
    Ok(token)
}

/// A redeemed link: whose, for which appointment, until when.
pub struct Redeemed {
    pub user: User,
    pub appointment_id: i64,
    pub expires_at: i64,
}

/// Uses a link's secret (once).
pub async fn redeem(db: &Db, token: &str, now: i64) -> Result<Redeemed> {
    let gone = || {
        Error::Gone(
            "this sign-in link was used already or has expired: sign in with your password".into(),
        )
    };
    if token.is_empty() || token.len() > 128 {
        return Err(gone());
    }
    // Claimed by the UPDATE itself: two uses at once cannot both win.
    let found: Option<(i64, i64, i64)> = sqlx::query_as(
        "UPDATE sign_in_links SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 \
         RETURNING user_id, appointment_id, expires_at",
    )
    .bind(now)
    .bind(hash_token(token))
    .fetch_optional(db)
    .await?;
    let (user_id, appointment_id, expires_at) = found.ok_or_else(gone)?;
    let cancelled: Option<String> =
        sqlx::query_scalar("SELECT status FROM appointments WHERE id = $1")
            .bind(appointment_id)
            .fetch_optional(db)
            .await?;
    if cancelled.as_deref() != Some("scheduled") {
        return Err(Error::Gone("this appointment was cancelled".into()));
    }
    let user = User::by_id(db, user_id)
        .await?
        .filter(|u| u.active)
        .ok_or_else(gone)?;
    Ok(Redeemed {
        user,
        appointment_id,
        expires_at,
    })
}

/// The text with a link's secret taken out (what is stored and shown of a
/// sent message).
pub fn redact(text: &str, token: &str) -> String {
    text.replace(token, "(one-time key)")
}
