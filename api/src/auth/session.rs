//! Sessions: a login creates a row holding the SHA-256 of a random refresh
//! token; the client gets that token plus a JWT access token (15 minutes)
//! naming the session. Every request checks the session is not revoked, so
//! logout ends it at once; refresh rotates the refresh token, and a
//! replaced token used again revokes the session (it was copied).

use std::path::Path;

use anyhow::Context;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::db::Db;

/// Lifetime of an access token.
pub const ACCESS_TTL_SECS: i64 = 15 * 60;
/// Lifetime of a refresh token (and so of a session left alone).
pub const REFRESH_TTL_SECS: i64 = 30 * 24 * 3600;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessClaims {
    /// User id.
    pub sub: i64,
    /// Session id.
    pub sid: i64,
    pub iat: i64,
    pub exp: i64,
}

/// The key that signs access tokens (not the Twilio API key: a leaked video
/// token must not be usable against the API, nor the other way round).
#[derive(Clone)]
pub struct SessionKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl SessionKeys {
    pub fn from_secret(secret: &[u8]) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
        }
    }

    /// Reads `data_dir/session.key`, creating it on first start.
    pub fn load_or_create(data_dir: &Path) -> anyhow::Result<Self> {
        let path = data_dir.join("session.key");
        if let Ok(text) = std::fs::read_to_string(&path) {
            let secret = text.trim();
            if secret.len() >= 32 {
                return Ok(Self::from_secret(secret.as_bytes()));
            }
            anyhow::bail!("{} is too short to be a session key", path.display());
        }
        std::fs::create_dir_all(data_dir)?;
        let secret = random_token();
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        use std::io::Write;
        options
            .open(&path)
            .and_then(|mut f| f.write_all(secret.as_bytes()))
            .with_context(|| format!("creating {}", path.display()))?;
        Ok(Self::from_secret(secret.as_bytes()))
    }

    pub fn access_token(&self, user_id: i64, session_id: i64, now: i64) -> String {
        let claims = AccessClaims {
            sub: user_id,
            sid: session_id,
            iat: now,
            exp: now + ACCESS_TTL_SECS,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 encoding of plain claims cannot fail")
    }

    /// Verifies signature, algorithm and expiry.
    pub fn verify(&self, token: &str) -> Option<AccessClaims> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &validation)
            .ok()
            .map(|d| d.claims)
    }
}

/// 256 random bits, hex.
pub fn random_token() -> String {
    format!(
        "{:032x}{:032x}",
        rand::random::<u128>(),
        rand::random::<u128>()
    )
}

pub fn hash_token(token: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, token.as_bytes());
    hex::encode(digest)
}

/// A new session for `user_id`: its id and refresh token.
pub async fn create(db: &Db, user_id: i64, now: i64) -> sqlx::Result<(i64, String)> {
    create_bound(db, user_id, None, now + REFRESH_TTL_SECS, now).await
}

/// A session bound to one appointment (a one-time sign-in link's), ending
/// at `expires_at` however often it is refreshed.
pub async fn create_bound(
    db: &Db,
    user_id: i64,
    appointment_id: Option<i64>,
    expires_at: i64,
    now: i64,
) -> sqlx::Result<(i64, String)> {
    let refresh = random_token();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO sessions (user_id, refresh_token_hash, expires_at, created_at, appointment_id) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(user_id)
    .bind(hash_token(&refresh))
    .bind(expires_at)
    .bind(now)
    .bind(appointment_id)
    .fetch_one(db)
    .await?;
    Ok((id, refresh))
}

/// A replaced refresh token presented within this many seconds of its
/// rotation is a race between two tabs, not theft.
const REUSE_GRACE_SECS: i64 = 30;

/// Exchanges a refresh token for a new one; returns (user, session, token).
/// A token already exchanged, presented again later, was copied: the
/// session it belonged to is revoked, so neither copy works any more.
pub async fn rotate(db: &Db, refresh: &str, now: i64) -> sqlx::Result<Option<(i64, i64, String)>> {
    let presented = hash_token(refresh);
    let row: Option<(i64, i64)> = sqlx::query_as(
        "SELECT id, user_id FROM sessions WHERE refresh_token_hash = $1 AND revoked_at IS NULL AND expires_at > $2",
    )
    .bind(&presented)
    .bind(now)
    .fetch_optional(db)
    .await?;
    let Some((session_id, user_id)) = row else {
        sqlx::query(
            "UPDATE sessions SET revoked_at = $1 WHERE previous_refresh_hash = $2 \
             AND revoked_at IS NULL AND rotated_at + $3 < $1",
        )
        .bind(now)
        .bind(&presented)
        .bind(REUSE_GRACE_SECS)
        .execute(db)
        .await?;
        return Ok(None);
    };
    let next = random_token();
    let updated = sqlx::query(
        "UPDATE sessions SET refresh_token_hash = $1, \
         expires_at = CASE WHEN appointment_id IS NULL THEN $2 ELSE expires_at END, \
         previous_refresh_hash = $4, rotated_at = $5 WHERE id = $3 AND refresh_token_hash = $4",
    )
    .bind(hash_token(&next))
    .bind(now + REFRESH_TTL_SECS)
    .bind(session_id)
    .bind(&presented)
    .bind(now)
    .execute(db)
    .await?;
    // Two refreshes racing with the same token: only one wins.
    if updated.rows_affected() != 1 {
        return Ok(None);
    }
    Ok(Some((user_id, session_id, next)))
}

/// Whether the session is live: `None` if not; `Some(bound)` if it is,
/// with the appointment it is bound to (a sign-in link's session).
pub async fn is_live(db: &Db, session_id: i64, now: i64) -> sqlx::Result<Option<Option<i64>>> {
    let found: Option<(i64, Option<i64>)> = sqlx::query_as(
        "SELECT id, appointment_id FROM sessions WHERE id = $1 AND revoked_at IS NULL AND expires_at > $2",
    )
    .bind(session_id)
    .bind(now)
    .fetch_optional(db)
    .await?;
    Ok(found.map(|(_, bound)| bound))
}

pub async fn revoke(db: &Db, session_id: i64, now: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(session_id)
        .execute(db)
        .await?;
    Ok(())
}
