//! Waiting for something to become true, with a deadline generous enough
//! for a loaded machine, instead of sleeping for a guessed time.

use std::future::Future;
use std::time::Duration;

/// How long any wait may take before the test fails.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// How often a condition is looked at again.
const POLL: Duration = Duration::from_millis(20);

/// Polls `check` until it returns `Some`, and returns that; an error
/// naming `what` after [`DEADLINE`].
pub async fn until<T, F, Fut>(what: &str, mut check: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        if let Some(value) = check().await {
            return Ok(value);
        }
        if tokio::time::Instant::now() >= deadline {
            anyhow::bail!("{what}: not within {} s", DEADLINE.as_secs());
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Polls `check` until it is true; panics naming `what` after
/// [`DEADLINE`].
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    until(what, || {
        let fut = check();
        async move { fut.await.then_some(()) }
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));
}

/// `future`'s output, or an error naming `what` after [`DEADLINE`].
pub async fn within<T>(what: &str, future: impl Future<Output = T>) -> anyhow::Result<T> {
    tokio::time::timeout(DEADLINE, future)
        .await
        .map_err(|_| anyhow::anyhow!("{what}: not within {} s", DEADLINE.as_secs()))
}

/// Polls a blocking `check` (no runtime needed) until it is true; panics
/// naming `what` after [`DEADLINE`].
pub fn blocking_until(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + DEADLINE;
    while !check() {
        assert!(
            std::time::Instant::now() < deadline,
            "{what}: not within {} s",
            DEADLINE.as_secs()
        );
        std::thread::sleep(POLL);
    }
}
