//! Login and sign-up attempts are limited (governor's keyed GCRA limiters),
//! so guessing passwords is slow whichever way it is spread, without
//! letting a stranger lock a patient out:
//!
//! - per account *and* client address: 5 at once, then one every 12 s. A
//!   guesser elsewhere does not lock the real person out;
//! - per account from anywhere: 60 a minute (guessing spread over many
//!   addresses);
//! - per client address: 30 a minute (a clinic behind one NAT shares one);
//! - sign-ups per client address: 10 at once, then one every 6 s (each
//!   costs a password hash);
//! - password reset e-mails per address asked for: 3 at once, then one
//!   every 20 minutes (nobody's inbox is flooded by strangers), counted
//!   whether or not an account uses the address, so the refusal says
//!   nothing about accounts; and each request counts against the client
//!   address's login limit;
//! - wrong `[video_app]` passcodes per client address: 5 at once, then one
//!   every 12 s. Only wrong ones count (a clinic behind one NAT signs in
//!   many times), but an address with none left is held back whatever it
//!   sends: were the right passcode let through, the refusals would only
//!   tell a guesser which guesses were wrong.
//!
//! A refusal says when to try again (`Retry-After`).

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::{DefaultKeyedRateLimiter, NotUntil, Quota, RateLimiter};

pub struct LoginLimits {
    per_account_and_ip: DefaultKeyedRateLimiter<(String, IpAddr)>,
    per_account: DefaultKeyedRateLimiter<String>,
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
    sign_ups_per_ip: DefaultKeyedRateLimiter<IpAddr>,
    resets_per_email: DefaultKeyedRateLimiter<String>,
    /// Says how many wrong passcodes an address has left, so the one that
    /// uses up the last holds the address back at once.
    wrong_passcodes_per_ip: DefaultKeyedRateLimiter<IpAddr, StateInformationMiddleware>,
    /// Addresses with no wrong passcode left, and until when (governor
    /// cannot be asked without counting an attempt).
    passcode_holds: Mutex<HashMap<IpAddr, Instant>>,
}

fn per_minute(n: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(n).expect("nonzero"))
}

impl Default for LoginLimits {
    fn default() -> Self {
        Self {
            per_account_and_ip: RateLimiter::keyed(per_minute(5)),
            per_account: RateLimiter::keyed(per_minute(60)),
            per_ip: RateLimiter::keyed(per_minute(30)),
            sign_ups_per_ip: RateLimiter::keyed(per_minute(10)),
            resets_per_email: RateLimiter::keyed(Quota::per_hour(
                NonZeroU32::new(3).expect("nonzero"),
            )),
            wrong_passcodes_per_ip: RateLimiter::keyed(per_minute(5))
                .with_middleware::<StateInformationMiddleware>(),
            passcode_holds: Mutex::new(HashMap::new()),
        }
    }
}

/// How long until the refused caller may try again (whole seconds, ≥ 1).
fn wait(refused: NotUntil<<DefaultClock as Clock>::Instant>) -> Duration {
    whole_seconds(refused.wait_time_from(DefaultClock::default().now()))
}

impl LoginLimits {
    /// `Ok` when this login attempt may proceed; else how long to wait.
    pub fn check(&self, email: &str, ip: IpAddr) -> Result<(), Duration> {
        // The address first, so a flood of made-up accounts cannot fill the
        // per-account tables without hitting the address's limit.
        self.per_ip.check_key(&ip).map_err(wait)?;
        self.per_account_and_ip
            .check_key(&(email.to_owned(), ip))
            .map_err(wait)?;
        self.per_account.check_key(&email.to_owned()).map_err(wait)
    }

    /// `Ok` when this sign-up may proceed; else how long to wait.
    pub fn check_sign_up(&self, ip: IpAddr) -> Result<(), Duration> {
        self.sign_ups_per_ip.check_key(&ip).map_err(wait)
    }

    /// `Ok` when a reset e-mail to `email` may be asked for now; else how
    /// long to wait.
    pub fn check_reset(&self, email: &str, ip: IpAddr) -> Result<(), Duration> {
        self.per_ip.check_key(&ip).map_err(wait)?;
        self.resets_per_email
            .check_key(&email.to_owned())
            .map_err(wait)
    }

    /// `Ok` when this address may try a passcode now; else how long to
    /// wait. Asked before the passcode is compared.
    pub fn check_passcode(&self, ip: IpAddr) -> Result<(), Duration> {
        let holds = self.passcode_holds.lock().expect("passcode holds lock");
        let left = holds
            .get(&ip)
            .and_then(|until| until.checked_duration_since(Instant::now()))
            .filter(|left| !left.is_zero());
        match left {
            Some(left) => Err(whole_seconds(left)),
            None => Ok(()),
        }
    }

    /// Counts a wrong passcode from this address. `Err(wait)` when it was
    /// one too many; when it was the last allowed, the address is held back
    /// from the next attempt on.
    pub fn wrong_passcode(&self, ip: IpAddr) -> Result<(), Duration> {
        let (hold, refused) = match self.wrong_passcodes_per_ip.check_key(&ip) {
            Ok(left) if left.remaining_burst_capacity() > 0 => return Ok(()),
            // The next one comes back within a replenish interval: held
            // that long, at most a few seconds more than needed.
            Ok(left) => (left.quota().replenish_interval(), false),
            Err(not_until) => (wait(not_until), true),
        };
        self.passcode_holds
            .lock()
            .expect("passcode holds lock")
            .insert(ip, Instant::now() + hold);
        if refused { Err(hold) } else { Ok(()) }
    }

    /// Forgets idle keys, so the tables stay small (called every minute).
    pub fn shrink(&self) {
        self.per_account_and_ip.retain_recent();
        self.per_account.retain_recent();
        self.per_ip.retain_recent();
        self.sign_ups_per_ip.retain_recent();
        self.resets_per_email.retain_recent();
        self.wrong_passcodes_per_ip.retain_recent();
        let now = Instant::now();
        self.passcode_holds
            .lock()
            .expect("passcode holds lock")
            .retain(|_, until| *until > now);
    }
}

/// A wait in whole seconds, at least one (what `Retry-After` can say).
fn whole_seconds(wait: Duration) -> Duration {
    Duration::from_secs(wait.as_secs_f64().ceil().max(1.0) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_guesser_elsewhere_does_not_lock_the_account_owner_out() {
        let limits = LoginLimits::default();
        let guesser: IpAddr = "203.0.113.9".parse().unwrap();
        let owner: IpAddr = "198.51.100.4".parse().unwrap();
        for _ in 0..5 {
            assert!(limits.check("pat@clinic.example", guesser).is_ok());
        }
        let wait = limits.check("pat@clinic.example", guesser).unwrap_err();
        assert!(wait >= Duration::from_secs(1) && wait <= Duration::from_secs(12));
        assert!(limits.check("pat@clinic.example", owner).is_ok());
    }

    #[test]
    fn sign_ups_are_limited_per_address() {
        let limits = LoginLimits::default();
        let ip: IpAddr = "203.0.113.9".parse().unwrap();
        for _ in 0..10 {
            assert!(limits.check_sign_up(ip).is_ok());
        }
        assert!(limits.check_sign_up(ip).is_err());
        assert!(
            limits
                .check_sign_up("203.0.113.10".parse().unwrap())
                .is_ok()
        );
    }

    #[test]
    fn only_wrong_passcodes_count_and_the_last_holds_the_address_back() {
        let limits = LoginLimits::default();
        let guesser: IpAddr = "203.0.113.9".parse().unwrap();
        let clinic: IpAddr = "198.51.100.4".parse().unwrap();
        // Right passcodes are never counted.
        for _ in 0..50 {
            assert!(limits.check_passcode(clinic).is_ok());
        }
        for _ in 0..5 {
            assert!(limits.check_passcode(guesser).is_ok());
            assert!(limits.wrong_passcode(guesser).is_ok());
        }
        // Held back now, whatever it sends, for about one replenish interval.
        let wait = limits.check_passcode(guesser).unwrap_err();
        assert!(wait >= Duration::from_secs(1) && wait <= Duration::from_secs(12));
        assert!(limits.wrong_passcode(guesser).is_err());
        assert!(limits.check_passcode(clinic).is_ok());
        limits.shrink();
        assert!(
            limits.check_passcode(guesser).is_err(),
            "a live hold is kept"
        );
    }
}
