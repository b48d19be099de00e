//! Password hashing with argon2id (the `argon2` crate's defaults: 19 MiB,
//! two passes), run off the async threads, a few at a time: each hash holds
//! 19 MiB, so a burst of sign-ups or logins waits its turn instead of
//! taking hundreds of blocking threads and gigabytes with it.

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

pub const MIN_LENGTH: usize = 10;

/// Hashes at once: one per core (at least two), so memory stays near
/// `HASHERS × 19 MiB` whatever arrives.
static HASHERS: std::sync::LazyLock<tokio::sync::Semaphore> = std::sync::LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    tokio::sync::Semaphore::new(cores.max(2))
});

/// Runs one argon2 job when a hasher is free.
async fn hashing<T: Send + 'static>(job: impl FnOnce() -> T + Send + 'static) -> anyhow::Result<T> {
    let _turn = HASHERS.acquire().await?;
    Ok(tokio::task::spawn_blocking(job).await?)
}

pub async fn hash(password: String) -> anyhow::Result<String> {
    hashing(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
    })
    .await?
}

/// True when `password` matches the stored hash. A malformed stored hash
/// counts as no match (and is logged by the caller's absence of success).
pub async fn verify(password: String, stored: String) -> bool {
    hashing(move || {
        PasswordHash::new(&stored)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// A hash of a random password, verified against when the account does not
/// exist, so a failed login takes as long either way.
pub fn decoy_hash() -> &'static str {
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Zl3QJ+8v1CuE8m3ZsvV0b8Q2mX3yJH0v9yK3oQ1c2dE"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_wrong_passwords_do_not() {
        let stored = hash("correct horse battery".into()).await.unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("correct horse battery".into(), stored.clone()).await);
        assert!(!verify("wrong horse battery".into(), stored).await);
        assert!(!verify("anything".into(), "not a hash".into()).await);
        assert!(!verify("anything".into(), decoy_hash().into()).await);
    }
}
