//! Throttles keyframe requests (PLI) sent to a publisher.
//!
//! Every subscriber that joins, loses packets or resumes asks for a keyframe,
//! and a keyframe costs the publisher several times a normal frame's bits. We
//! relay at most one request per interval; a request inside the interval is
//! remembered and sent when it ends, so nobody waits forever.

use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct KeyframeRequestThrottle {
    interval: Duration,
    last_sent: Option<Instant>,
    pending: bool,
}

impl KeyframeRequestThrottle {
    pub fn new(interval: Duration) -> Self {
        Self {
            interval,
            last_sent: None,
            pending: false,
        }
    }

    /// Records a request; true when a PLI should go to the publisher now.
    pub fn request(&mut self, now: Instant) -> bool {
        match self.last_sent {
            Some(at) if now.saturating_duration_since(at) < self.interval => {
                self.pending = true;
                false
            }
            _ => {
                self.last_sent = Some(now);
                self.pending = false;
                true
            }
        }
    }

    /// Called on timeouts: true when a held-back request is now due.
    pub fn poll(&mut self, now: Instant) -> bool {
        if self.pending && self.next_due().is_some_and(|due| now >= due) {
            self.last_sent = Some(now);
            self.pending = false;
            return true;
        }
        false
    }

    /// When a held-back request becomes due, if one is waiting.
    pub fn next_due(&self) -> Option<Instant> {
        if !self.pending {
            return None;
        }
        self.last_sent.map(|at| at + self.interval)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_request_per_interval_and_the_held_back_one_goes_later() {
        let t0 = Instant::now();
        let mut throttle = KeyframeRequestThrottle::new(Duration::from_millis(500));
        assert!(throttle.request(t0));
        assert!(!throttle.request(t0 + Duration::from_millis(10)));
        assert!(!throttle.request(t0 + Duration::from_millis(200)));
        assert_eq!(throttle.next_due(), Some(t0 + Duration::from_millis(500)));
        assert!(!throttle.poll(t0 + Duration::from_millis(499)));
        assert!(throttle.poll(t0 + Duration::from_millis(500)));
        assert!(
            !throttle.poll(t0 + Duration::from_millis(2000)),
            "sent once"
        );
        assert_eq!(throttle.next_due(), None);
        assert!(throttle.request(t0 + Duration::from_millis(1001)));
    }
}
