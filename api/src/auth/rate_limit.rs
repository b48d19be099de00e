//! Login attempts are limited per account and per client IP (governor's
//! keyed GCRA limiters), so guessing passwords is slow whichever way it is
//! spread.

use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

pub struct LoginLimits {
    per_account: DefaultKeyedRateLimiter<String>,
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
}

impl Default for LoginLimits {
    fn default() -> Self {
        // 5 attempts at once per account, then one every 12 s; 30 per IP,
        // then one every 2 s (a clinic behind one NAT shares an address).
        Self {
            per_account: RateLimiter::keyed(Quota::per_minute(
                NonZeroU32::new(5).expect("nonzero"),
            )),
            per_ip: RateLimiter::keyed(Quota::per_minute(NonZeroU32::new(30).expect("nonzero"))),
        }
    }
}

impl LoginLimits {
    /// True when this attempt may proceed.
    pub fn check(&self, email: &str, ip: IpAddr) -> bool {
        // Check the IP first so a flood of made-up accounts cannot fill the
        // per-account table without hitting the IP limit.
        self.per_ip.check_key(&ip).is_ok() && self.per_account.check_key(&email.to_owned()).is_ok()
    }

    /// Forgets idle keys; called now and then so the tables stay small.
    pub fn shrink(&self) {
        self.per_account.retain_recent();
        self.per_ip.retain_recent();
    }
}
