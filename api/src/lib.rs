//! The `confide` server process.
//!
//! Layout:
//! - [`config`]: defaults → TOML file → `CONFIDE_*` environment → CLI flags.
//! - [`api_key`]: the account and API key that sign access tokens.
//! - [`server`]: wires the SFU ([`sfu`]), the signaling websocket
//!   ([`signaling`]) and the web app's files into one HTTP server.
//!
//! `main.rs` parses the command line and either serves or mints a token.

pub mod api_key;
pub mod config;
pub mod server;
