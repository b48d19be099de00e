//! Who is calling: passwords (argon2id), sessions (a short-lived JWT access
//! token plus a rotating refresh token stored hashed), and the login rate
//! limits; password resets by e-mail; one-time sign-in links in reminders.

pub mod password;
pub mod rate_limit;
pub mod reset;
pub mod session;
pub mod sign_in_link;
