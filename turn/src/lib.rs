//! Confide's embedded TURN server (RFC 8656), so a patient whose network
//! blocks UDP — or lets only TLS on 443 out — still reaches the call.
//!
//! # The model
//!
//! A browser that cannot reach the SFU's UDP port directly asks this server
//! for an allocation (a relay address) over UDP, TCP or TLS, with the
//! short-lived credentials signaling handed it in `joined`
//! ([`rest::TurnRest`]). It then sends its media to the SFU through the
//! relay: client ⇄ TURN listener ⇄ relay socket ⇄ SFU's UDP port. The SFU
//! sees an ordinary UDP peer (the relay socket) and needs nothing special.
//! The relay only ever talks to the SFU's media addresses: it is not an
//! open relay.
//!
//! As with the SFU, the protocol is sans-IO: [`server::TurnServer`] takes
//! client messages, relayed datagrams and time, and yields messages to
//! send, relay sockets to bind or close, and its next deadline; [`io`] is
//! the tokio layer with the sockets.
//!
//! # Layout
//!
//! - [`rest`]: TURN REST credentials, minted by signaling and checked here
//!   (and by coturn, when a clinic runs its own).
//! - [`nonce`]: stateless NONCE values.
//! - [`server`]: allocations, permissions, channels, authentication.
//! - [`messages`]: signed responses, challenges, shared attributes.
//! - [`framing`]: splitting a TCP/TLS stream into messages.
//! - [`io`]: listeners, connections and relay sockets; [`io::TurnHandle`].
//!
//! STUN and TURN messages are parsed and built with `rtc`'s `stun` and
//! `turn` crates (the client side of the latter is what webrtc-rs offers;
//! the server side is ours).

pub mod framing;
pub mod io;
pub mod messages;
pub mod nonce;
pub mod rest;
pub mod server;
