//! A token bucket per websocket connection.
//!
//! Written here rather than taken from `governor`: it is owned by one task
//! (no atomics needed), takes the time as an argument so tests control it,
//! and is a dozen lines.

use std::time::Instant;

#[derive(Debug, Clone)]
pub struct TokenBucket {
    capacity: f64,
    per_second: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    pub fn new(now: Instant, capacity: u32, per_second: u32) -> Self {
        Self {
            capacity: capacity as f64,
            per_second: per_second as f64,
            tokens: capacity as f64,
            last: now,
        }
    }

    /// Takes one token; false when the bucket is empty.
    pub fn try_take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.capacity);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn allows_a_burst_then_the_rate() {
        let t0 = Instant::now();
        let mut bucket = TokenBucket::new(t0, 5, 10);
        assert_eq!((0..10).filter(|_| bucket.try_take(t0)).count(), 5);
        assert!(!bucket.try_take(t0 + Duration::from_millis(50)));
        assert!(bucket.try_take(t0 + Duration::from_millis(150)));
        assert_eq!(
            (0..10)
                .filter(|_| bucket.try_take(t0 + Duration::from_secs(60)))
                .count(),
            5,
            "never more than the capacity"
        );
    }
}
