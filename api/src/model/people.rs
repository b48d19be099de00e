//! The clinic's people, as an admin looks after them: correcting an
//! account (name, e-mail, phone, time zone, WhatsApp consent), closing one
//! (it can no longer sign in and its sessions end; its appointments and
//! records stay) and opening it again. A password reset for someone is
//! [`crate::auth::reset::request`] with their address.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::users::User;
use super::{Error, Result, validate};
use crate::db::Db;

/// Fields to change; those left out stay.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonUpdate {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    /// `""` removes the phone number (and with it WhatsApp).
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub time_zone: Option<String>,
    #[serde(default)]
    pub whatsapp_opt_in: Option<bool>,
}

/// Applies `update` to the account `id`.
pub async fn update(db: &Db, id: i64, update: PersonUpdate) -> Result<User> {
    let current = User::by_id(db, id).await?.ok_or(Error::NotFound)?;
    let mut problems = BTreeMap::new();
    let mut check = |field: &str, value: Option<std::result::Result<String, String>>| match value {
        None => None,
        Some(Ok(v)) => Some(v),
        Some(Err(problem)) => {
            problems.insert(field.to_owned(), problem);
            None
        }
    };
    let name = check("name", update.name.as_deref().map(validate::name));
    let email = check("email", update.email.as_deref().map(validate::email));
    let time_zone = check(
        "time_zone",
        update.time_zone.as_deref().map(validate::time_zone),
    );
    let phone = match update.phone.as_deref() {
        None => current.phone.clone(),
        Some("") => None,
        Some(p) => check("phone", Some(validate::phone(p))),
    };
    let whatsapp = update.whatsapp_opt_in.unwrap_or(current.whatsapp_opt_in) && phone.is_some();
    if update.whatsapp_opt_in == Some(true) && phone.is_none() && !problems.contains_key("phone") {
        problems.insert("phone".into(), "is needed for WhatsApp messages".into());
    }
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    let done = sqlx::query(
        "UPDATE users SET name = $1, email = $2, phone = $3, time_zone = $4, whatsapp_opt_in = $5 WHERE id = $6",
    )
    .bind(name.unwrap_or(current.name))
    .bind(email.unwrap_or(current.email))
    .bind(phone)
    .bind(time_zone.unwrap_or(current.time_zone))
    .bind(whatsapp as i64)
    .bind(id)
    .execute(db)
    .await;
    match done {
        Ok(_) => User::by_id(db, id).await?.ok_or(Error::NotFound),
        Err(sqlx::Error::Database(err)) if err.is_unique_violation() => Err(Error::Conflict(
            "an account with this email already exists".into(),
        )),
        Err(err) => Err(err.into()),
    }
}

/// Closes (`active = false`) or reopens an account; closing ends its
/// sessions. `actor` cannot close their own.
pub async fn set_active(db: &Db, actor: &User, id: i64, active: bool, now: i64) -> Result<User> {
    if id == actor.id && !active {
        return Err(Error::Rejected("you cannot close your own account".into()));
    }
    User::by_id(db, id).await?.ok_or(Error::NotFound)?;
    let mut tx = crate::db::begin_write(db).await?;
    if active {
        sqlx::query("UPDATE users SET deactivated_at = NULL WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
    } else {
        sqlx::query(
            "UPDATE users SET deactivated_at = $1 WHERE id = $2 AND deactivated_at IS NULL",
        )
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    User::by_id(db, id).await?.ok_or(Error::NotFound)
}
