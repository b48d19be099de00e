//! The `confide` server process: the clinic's HTTP API and web app, with the
//! SFU and signaling in the same process.
//!
//! Layout:
//! - [`config`]: defaults → TOML file → environment → CLI flags.
//! - [`api_key`]: the account and API key that sign video access tokens.
//! - [`db`]: SQLite (default) or PostgreSQL, migrated at start.
//! - [`auth`]: passwords, sessions, login rate limits.
//! - [`http`]: the `/api` routes, a file per resource, one error type.
//! - [`queue`]: the one durable queue (leases, ordering, retries, dead
//!   letters) and its runner, used by reminders and status callbacks.
//! - [`callbacks`]: Twilio-style room status callbacks from a durable queue.
//! - [`room_reaper`]: ends rooms past their empty/unused timeout.
//! - [`reminders`]: booking confirmations and reminders by email and
//!   WhatsApp, from a durable outbox written with each appointment change.
//! - [`demo`]: demo accounts on a first, non-production start.
//! - [`clock`]: injected time.
//! - [`metrics`]: `/metrics` for monitoring and the load-test harness.
//! - [`server`]: wires the SFU ([`sfu`]), the signaling websocket
//!   ([`signaling`]), the API and the web app's files into one HTTP server.
//!
//! A request's path: axum router → [`http`] handler (extractors check the
//! bearer token and the JSON) → queries on [`db::Db`] → JSON response or
//! [`http::error::ApiError`].

pub mod api_key;
pub mod auth;
pub mod callbacks;
pub mod clock;
pub mod config;
pub mod db;
pub mod demo;
pub mod http;
pub mod metrics;
pub mod queue;
pub mod reminders;
pub mod room_reaper;
pub mod server;
