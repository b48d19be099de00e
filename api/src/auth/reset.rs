//! Password resets: someone who forgot their password asks for a link by
//! e-mail; the link carries a single-use secret that expires after
//! [`RESET_TTL_SECS`], of which only the SHA-256 is stored. Asking never
//! says whether the address has an account. Using a link sets the new
//! password, ends every other reset and every session of the account (a
//! thief signed in with the old password is signed out), and signs the
//! person in.
//!
//! The e-mail goes through the `account_emails` queue
//! ([`crate::reminders::account_mail`]), written in the same transaction
//! as the reset, so a committed request always has its message.

use std::net::IpAddr;

use super::session::{hash_token, random_token};
use crate::model::users::User;
use crate::model::{Error, Result, validate};
use crate::state::AppState;

/// How long a reset link works.
pub const RESET_TTL_SECS: i64 = 3600;

/// Records a reset for `email` when an account uses it, with the e-mail
/// that carries the link. Returns whether one was recorded (for logs and
/// tests only: the caller answers the same either way).
pub async fn request(state: &AppState, email: &str, ip: IpAddr) -> Result<bool> {
    let email = email.trim().to_lowercase();
    // A closed account gets no link (it could not sign in with it anyway).
    let Some((user, _)) = User::by_email_with_hash(&state.db, &email)
        .await?
        .filter(|(user, _)| user.active)
    else {
        return Ok(false);
    };
    let now = state.clock.now().timestamp();
    let token = random_token();
    let link = format!(
        "{}/reset-password#token={token}",
        state.config.app.public_url.trim_end_matches('/')
    );
    let mut tx = crate::db::begin_write(&state.db).await?;
    sqlx::query(
        "INSERT INTO password_resets (user_id, token_hash, expires_at, requested_ip, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(user.id)
    .bind(hash_token(&token))
    .bind(now + RESET_TTL_SECS)
    .bind(ip.to_string())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO account_emails (kind, recipient_id, link, expires_at, next_attempt_at, state, created_at, updated_at) \
         VALUES ('password_reset', $1, $2, $3, $4, 'pending', $4, $4)",
    )
    .bind(user.id)
    .bind(&link)
    .bind(now + RESET_TTL_SECS)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    state.account_mail_wake.notify_one();
    Ok(true)
}

/// Sets a new password with a reset secret; the user it belongs to, whose
/// other resets and sessions have ended.
pub async fn complete(state: &AppState, token: &str, new_password: &str) -> Result<User> {
    let password = validate::password(new_password)
        .map_err(|problem| Error::Invalid([("password".to_owned(), problem)].into()))?;
    let now = state.clock.now().timestamp();
    let hash = super::password::hash(password)
        .await
        .map_err(Error::Internal)?;
    let mut tx = crate::db::begin_write(&state.db).await?;
    // Claimed by the UPDATE itself, so two uses at once cannot both win.
    let user_id: Option<i64> = sqlx::query_scalar(
        "UPDATE password_resets SET used_at = $1 \
         WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 RETURNING user_id",
    )
    .bind(now)
    .bind(hash_token(token))
    .fetch_optional(&mut *tx)
    .await?;
    let Some(user_id) = user_id else {
        return Err(Error::Gone(
            "this link has expired or was already used: ask for a new one".into(),
        ));
    };
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE password_resets SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL")
        .bind(now)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    User::by_id(&state.db, user_id)
        .await?
        .ok_or(Error::NotFound)
}
