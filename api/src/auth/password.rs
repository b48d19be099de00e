//! Password hashing with argon2id (the `argon2` crate's defaults: 19 MiB,
//! two passes), run off the async threads, a few at a time, each in
//! working memory allocated once and reused. A burst of sign-ups or logins
//! waits its turn instead of taking hundreds of blocking threads and
//! gigabytes with it; and since no hash allocates, none leaves 19 MiB behind
//! in an allocator arena (glibc keeps such blocks once its mmap threshold has
//! grown past them: 120 registrations used to leave the process at 866 MiB).

use std::sync::{LazyLock, Mutex};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::Semaphore;

pub const MIN_LENGTH: usize = 10;

/// Hashes at once at most, however many cores: bounds the memory a burst
/// can take (`MAX_HASHERS × 19 MiB`).
pub const MAX_HASHERS: usize = 8;

/// The hashers' turns and their working memory.
struct HasherPool {
    /// One per core (two to eight).
    turns: Semaphore,
    /// Working memory not in use; at most one per turn ever exists.
    idle: Mutex<Vec<Vec<Block>>>,
}

static POOL: LazyLock<HasherPool> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    HasherPool {
        turns: Semaphore::new(cores.clamp(2, MAX_HASHERS)),
        idle: Mutex::new(Vec::new()),
    }
});

/// Runs one argon2 job, on a blocking thread, when a hasher is free. The
/// turn and the memory go back only when the job is done, even if the
/// request that asked for it has gone.
async fn hashing<T: Send + 'static>(
    job: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
) -> anyhow::Result<T> {
    let turn = POOL.turns.acquire().await?;
    Ok(tokio::task::spawn_blocking(move || {
        let _turn = turn;
        let mut memory = POOL
            .idle
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop()
            .unwrap_or_default();
        let result = job(&mut memory);
        POOL.idle
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(memory);
        result
    })
    .await?)
}

/// Hashes into `out` with `params`, in `memory` (grown when a stored hash
/// asks for more than the defaults).
fn hash_into(
    memory: &mut Vec<Block>,
    argon: &Argon2<'_>,
    params: &Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> argon2::Result<()> {
    if params.block_count() > MAX_BLOCKS {
        return Err(argon2::Error::MemoryTooMuch);
    }
    if memory.len() < params.block_count() {
        memory.resize(params.block_count(), Block::default());
    }
    let hashed = argon.hash_password_into_with_memory(password, salt, out, &mut memory[..]);
    // A stored hash with bigger costs than today's grew the memory: give
    // the extra back rather than keep it for every later hash.
    if memory.len() > Params::DEFAULT.block_count() {
        memory.truncate(Params::DEFAULT.block_count());
        memory.shrink_to_fit();
    }
    hashed
}

/// The most memory a stored hash may ask for (256 MiB, 1 KiB blocks): more
/// than any sensible parameters, less than a hostile row could.
const MAX_BLOCKS: usize = 256 * 1024;

pub async fn hash(password: String) -> anyhow::Result<String> {
    hashing(move |memory| {
        let params = Params::default();
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
        let salt = SaltString::generate(&mut OsRng);
        let mut salt_bytes = [0u8; 64];
        let salt_bytes = salt
            .decode_b64(&mut salt_bytes)
            .map_err(|e| anyhow::anyhow!("decoding a salt: {e}"))?;
        let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
        hash_into(
            memory,
            &argon,
            &params,
            password.as_bytes(),
            salt_bytes,
            &mut out,
        )
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))?;
        let phc = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&params)
                .map_err(|e| anyhow::anyhow!("encoding parameters: {e}"))?,
            salt: Some(salt.as_salt()),
            hash: Some(Output::new(&out).map_err(|e| anyhow::anyhow!("{e}"))?),
        };
        Ok(phc.to_string())
    })
    .await?
}

/// True when `password` matches the stored hash (with the parameters it
/// was made with). A malformed stored hash counts as no match.
pub async fn verify(password: String, stored: String) -> bool {
    hashing(move |memory| matches(memory, password.as_bytes(), &stored))
        .await
        .unwrap_or(false)
}

fn matches(memory: &mut Vec<Block>, password: &[u8], stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let algorithm = Algorithm::try_from(parsed.algorithm);
    let version = parsed
        .version
        .map_or(Ok(Version::default()), Version::try_from);
    let params = Params::try_from(&parsed);
    let (Ok(algorithm), Ok(version), Ok(params)) = (algorithm, version, params) else {
        return false;
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt_bytes) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let argon = Argon2::new(algorithm, version, params.clone());
    let mut out = vec![0u8; expected.len()];
    hash_into(memory, &argon, &params, password, salt_bytes, &mut out).is_ok()
        // `Output` compares in constant time.
        && Output::new(&out).is_ok_and(|computed| computed == expected)
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

    /// Hashes made by the crate's own `PasswordHasher` (every account
    /// created before the pool) still verify, and ours verify with it.
    #[tokio::test]
    async fn agrees_with_the_crates_own_hasher() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let salt = SaltString::generate(&mut OsRng);
        let theirs = Argon2::default()
            .hash_password(b"correct horse battery", &salt)
            .unwrap()
            .to_string();
        assert!(verify("correct horse battery".into(), theirs.clone()).await);
        assert!(!verify("correct horse batterY".into(), theirs).await);
        let ours = hash("correct horse battery".into()).await.unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"correct horse battery", &parsed)
                .is_ok()
        );
        // A hash with other costs than today's verifies too.
        let cheap = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8192, 1, 1, None).unwrap(),
        )
        .hash_password(b"old account", &salt)
        .unwrap()
        .to_string();
        assert!(verify("old account".into(), cheap).await);
    }
}
