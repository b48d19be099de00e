//! Time, injected: handlers and schedulers ask a [`Clock`], so tests can set
//! "now" to anywhere on an appointment's timeline. The same clock checks
//! access tokens in signaling, whose module this is.

pub use signaling::clock::{Clock, ManualClock, SystemClock};
