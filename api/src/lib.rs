//! The `confide` server process: the clinic's HTTP API and web app, with the
//! SFU and signaling in the same process.
//!
//! The crates, and the paths a media packet, a subscriber's PLI or NACK,
//! a video-token request and a reminder take through them, file by file:
//! `docs/architecture.md`.
//!
//! Layout:
//! - [`config`]: defaults → TOML file → environment → CLI flags.
//! - [`api_key`]: the account and API key that sign video access tokens.
//! - [`db`]: SQLite (default) or PostgreSQL, migrated at start.
//! - [`auth`]: passwords, sessions, login rate limits.
//! - [`backup`]: `confide backup` / `confide restore`.
//! - [`check`]: `confide check`, the configuration tried without starting.
//! - [`state`]: [`state::AppState`], what handlers and tasks share.
//! - [`model`]: the domain, with no HTTP in it: users, appointments and
//!   booking rules, video rooms and tokens, Twilio-style rooms and their
//!   lifecycle, one domain error type.
//! - [`http_listener`]: serves the router: header timeout, connection cap.
//! - [`tls`]: HTTPS from certificate files (reloaded on change), the
//!   port-80 redirect.
//! - [`acme`]: certificates by ACME into those files, the HTTP-01
//!   challenge on the port-80 listener.
//! - [`turn`]: `[turn]`, the STUN/TURN servers handed to participants.
//! - [`http`]: the `/api` and `/v1` routes, thin handlers a file per
//!   resource, one error type that domain errors map onto.
//! - [`queue`]: the one durable queue (leases, ordering, retries, dead
//!   letters) and its runner, used by reminders, account e-mail and status
//!   callbacks.
//! - [`callbacks`]: Twilio-style room status callbacks from a durable queue.
//! - [`cluster`]: several nodes on one PostgreSQL and one Redis: the node
//!   registry, which node each room lives on, signaling relayed there.
//! - [`room_reaper`]: ends rooms past their empty/unused timeout; keeps
//!   this run's heartbeat and closes what dead runs left open.
//! - [`reminders`]: booking confirmations and reminders by email and
//!   WhatsApp, from a durable outbox written with each appointment change;
//!   account e-mail (password resets) through the same queue.
//! - [`retention`]: deletes old audit entries and clears old message texts.
//! - [`demo`]: demo accounts on a first, non-production start.
//! - [`redact`]: e-mail addresses kept out of logs.
//! - [`clock`]: injected time.
//! - [`metrics`]: `/metrics` for monitoring and the load-test harness.
//! - [`ops`]: `/healthz`, `/readyz`, and who may read `/metrics`.
//! - [`web_files`]: the web app's pages, built into the binary.
//! - [`video_app`]: `[video_app]`, Twilio's reference React app served
//!   instead, with its token server ([`http::video_app`]).
//! - [`server`]: wires the SFU ([`sfu`]), the signaling websocket
//!   ([`signaling`]), the API and the web app's files into one HTTP server.
//!
//! A request's path: axum router → [`http`] handler (extractors check the
//! bearer token or API key and the JSON) → [`model`] function (rules and
//! queries on [`db::Db`], reminders planned and status callbacks queued in
//! the same writes, rooms registered with the SFU) → [`model::Error`] or a
//! record → JSON response or [`http::error::ApiError`]. Background tasks
//! ([`callbacks`], [`room_reaper`], [`reminders`]) and [`demo`] use
//! [`model`] and [`state`] too, never [`http`]; `http` depends on them,
//! not the other way round.

pub mod acme;
pub mod api_key;
pub mod auth;
pub mod backup;
pub mod callbacks;
pub mod check;
pub mod clock;
pub mod cluster;
pub mod config;
pub mod db;
pub mod demo;
pub mod http;
pub mod http_listener;
pub mod metrics;
pub mod model;
pub mod ops;
pub mod queue;
pub mod redact;
pub mod reminders;
pub mod retention;
pub mod room_reaper;
pub mod server;
pub mod state;
pub mod tls;
pub mod turn;
pub mod video_app;
pub mod web_files;
