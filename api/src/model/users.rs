//! Accounts: the `users` table, roles, checking a new account's fields and
//! inserting it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::validate;
use super::{Error, Result};
use crate::auth::password;
use crate::db::Db;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Patient,
    Psychologist,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Patient => "patient",
            Role::Psychologist => "psychologist",
            Role::Admin => "admin",
        }
    }

    pub fn parse(value: &str) -> Option<Role> {
        match value {
            "patient" => Some(Role::Patient),
            "psychologist" => Some(Role::Psychologist),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// A user as the API shows it (never the password hash).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub phone: Option<String>,
    pub time_zone: String,
    pub whatsapp_opt_in: bool,
    /// False once the clinic closed the account (it cannot sign in).
    pub active: bool,
}

type UserRow = (
    i64,
    String,
    String,
    String,
    Option<String>,
    String,
    i64,
    i64,
);
type UserHashRow = (
    i64,
    String,
    String,
    String,
    Option<String>,
    String,
    i64,
    i64,
    String,
);

const USER_COLUMNS: &str = "id, email, name, role, phone, time_zone, whatsapp_opt_in, \
     CASE WHEN deactivated_at IS NULL THEN 1 ELSE 0 END";

impl User {
    fn from_row((id, email, name, role, phone, time_zone, whatsapp, active): UserRow) -> User {
        User {
            id,
            email,
            name,
            role: Role::parse(&role).unwrap_or(Role::Patient),
            phone,
            time_zone,
            whatsapp_opt_in: whatsapp != 0,
            active: active != 0,
        }
    }

    pub fn is(&self, role: Role) -> bool {
        self.role == role
    }

    pub async fn by_id(db: &Db, id: i64) -> sqlx::Result<Option<User>> {
        let row: Option<UserRow> =
            sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
                .bind(id)
                .fetch_optional(db)
                .await?;
        Ok(row.map(User::from_row))
    }

    /// The user and password hash for a login.
    pub async fn by_email_with_hash(db: &Db, email: &str) -> sqlx::Result<Option<(User, String)>> {
        let row: Option<UserHashRow> = sqlx::query_as(&format!(
            "SELECT {USER_COLUMNS}, password_hash FROM users WHERE email = $1"
        ))
        .bind(email)
        .fetch_optional(db)
        .await?;
        Ok(
            row.map(|(id, email, name, role, phone, tz, wa, active, hash)| {
                (
                    User::from_row((id, email, name, role, phone, tz, wa, active)),
                    hash,
                )
            }),
        )
    }

    pub async fn count(db: &Db) -> sqlx::Result<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(db)
            .await
    }

    /// Everyone, or everyone with a role, by name.
    pub async fn list(db: &Db, role: Option<Role>) -> sqlx::Result<Vec<User>> {
        let rows: Vec<UserRow> = match role {
            Some(role) => {
                sqlx::query_as(&format!(
                    "SELECT {USER_COLUMNS} FROM users WHERE role = $1 ORDER BY name"
                ))
                .bind(role.as_str())
                .fetch_all(db)
                .await?
            }
            None => {
                sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY name"))
                    .fetch_all(db)
                    .await?
            }
        };
        Ok(rows.into_iter().map(User::from_row).collect())
    }
}

/// A new account, checked.
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub phone: Option<String>,
    pub time_zone: String,
    pub whatsapp_opt_in: bool,
    pub password: String,
}

/// A new account as given, unchecked.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserInput {
    pub email: String,
    pub password: String,
    pub name: String,
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub time_zone: Option<String>,
    #[serde(default)]
    pub whatsapp_opt_in: bool,
}

impl UserInput {
    pub fn check(self, default_role: Role) -> Result<NewUser> {
        let mut problems = BTreeMap::new();
        let mut note = |field: &str, result: std::result::Result<String, String>| match result {
            Ok(v) => Some(v),
            Err(problem) => {
                problems.insert(field.to_owned(), problem);
                None
            }
        };
        let email = note("email", validate::email(&self.email));
        let name = note("name", validate::name(&self.name));
        let password = note("password", validate::password(&self.password));
        let time_zone = note(
            "time_zone",
            validate::time_zone(self.time_zone.as_deref().unwrap_or("UTC")),
        );
        let phone = match self.phone.as_deref().filter(|p| !p.is_empty()) {
            Some(p) => note("phone", validate::phone(p)),
            None => None,
        };
        let role = match self.role.as_deref() {
            None => Some(default_role),
            Some(r) => match Role::parse(r) {
                Some(role) => Some(role),
                None => {
                    problems.insert(
                        "role".into(),
                        "must be patient, psychologist or admin".into(),
                    );
                    None
                }
            },
        };
        if self.whatsapp_opt_in && phone.is_none() && !problems.contains_key("phone") {
            problems.insert("phone".into(), "is needed for WhatsApp messages".into());
        }
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
        Ok(NewUser {
            email: email.expect("checked"),
            name: name.expect("checked"),
            role: role.expect("checked"),
            phone,
            time_zone: time_zone.expect("checked"),
            whatsapp_opt_in: self.whatsapp_opt_in,
            password: password.expect("checked"),
        })
    }
}

/// Inserts a user; a conflict when the email is taken.
pub async fn insert(db: &Db, user: NewUser, now: i64) -> Result<User> {
    let hash = password::hash(user.password).await?;
    let inserted: std::result::Result<i64, sqlx::Error> = sqlx::query_scalar(
        "INSERT INTO users (email, name, role, phone, time_zone, whatsapp_opt_in, password_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(&user.email)
    .bind(&user.name)
    .bind(user.role.as_str())
    .bind(&user.phone)
    .bind(&user.time_zone)
    .bind(user.whatsapp_opt_in as i64)
    .bind(hash)
    .bind(now)
    .fetch_one(db)
    .await;
    match inserted {
        Ok(id) => Ok(User::by_id(db, id).await?.ok_or(Error::NotFound)?),
        Err(sqlx::Error::Database(err)) if err.is_unique_violation() => Err(Error::Conflict(
            "an account with this email already exists".into(),
        )),
        Err(err) => Err(err.into()),
    }
}
