//! Confide's signaling server: the websocket that lets a browser join a room.
//!
//! The crates, and the paths a media packet, a subscriber's PLI or NACK,
//! a video-token request and a reminder take through them, file by file:
//! `docs/architecture.md`.
//!
//! Layout (a message's path, top to bottom):
//! - [`protocol`]: the JSON messages on the wire (`docs/signaling.md`).
//! - [`session`]: one websocket connection — join, then relay between the
//!   client and the SFU, with a size limit, a rate limit and keep-alives.
//! - [`token`]: Twilio-format access tokens (verification, and minting for
//!   the CLI and tests).
//! - [`rate_limit`]: the per-connection token bucket.
//! - [`relay`]: several nodes: a session for a room on another node is
//!   relayed to it, message by message ([`relay::NodeRouter`] says where).
//! - [`ice_servers`]: STUN/TURN servers for `joined`, with TURN
//!   credentials minted per participant (the TURN REST scheme).
//! - [`state`]: what every session shares (SFU handle, token verifier,
//!   clock, ICE servers).
//! - [`error`]: every error a client can be told, with Twilio's code.
//! - [`clock`]: injected time, shared with the API (tokens are checked at
//!   the same "now" they were minted at).
//!
//! The SFU ([`sfu::io::SfuHandle`]) owns rooms and media; signaling only
//! authenticates and translates.

pub mod clock;
pub mod error;
pub mod ice_servers;
pub mod protocol;
pub mod rate_limit;
pub mod relay;
pub mod session;
pub mod state;
pub mod token;

use axum::Extension;
use axum::Router;
use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;

pub use state::SignalingState;

/// The `/rtc` websocket route.
pub fn router(state: SignalingState) -> Router {
    Router::new().route("/rtc", get(upgrade)).with_state(state)
}

async fn upgrade(
    ws: WebSocketUpgrade,
    State(state): State<SignalingState>,
    client: Option<Extension<state::ClientAddress>>,
    headers: HeaderMap,
) -> Response {
    let mut client_ip = client.map(|Extension(state::ClientAddress(ip))| ip);
    // A node relaying a session vouches for its client's address.
    let relayed = match (&state.router, headers.get(relay::RELAY_HEADER)) {
        (Some(router), Some(secret)) => secret
            .to_str()
            .is_ok_and(|secret| router.accepts_relay(secret)),
        _ => false,
    };
    if relayed {
        client_ip = headers
            .get(relay::CLIENT_HEADER)
            .and_then(|v| v.to_str().ok()?.parse().ok());
    }
    // Frames a little over our own limit still reach the session, which
    // answers "too large" instead of the connection just dropping.
    ws.max_message_size(session::MAX_MESSAGE_BYTES * 4)
        .max_frame_size(session::MAX_MESSAGE_BYTES * 4)
        .on_upgrade(move |socket| session::run(socket, state, client_ip, relayed))
}
