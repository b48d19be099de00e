//! Confide's media plane: a selective forwarding unit (SFU) on one UDP port.
//!
//! # The model
//!
//! The core is sans-IO, in the manner of str0m: [`core::Sfu`] takes inputs
//! — commands from signaling (join, offer, answer, candidate, leave),
//! datagrams, timeouts — each with the current `Instant`, and yields outputs
//! — datagrams to send, messages for participants, the next deadline. It has
//! no sockets, threads or clock, so tests drive it with a fake clock.
//! [`io`] is the thin tokio layer that owns the socket and calls it.
//!
//! # How a packet flows
//!
//! ```text
//! UDP datagram ─▶ demux (ICE ufrag / remote address → participant)
//!              ─▶ engine (that participant's rtc peer connection:
//!                         ICE-lite, DTLS, SRTP, interceptors)
//!              ─▶ core::forward (per published track: packet cache,
//!                         audio level; per subscriber: DownTrack)
//!              ─▶ engine (subscriber's peer connection: SRTP)
//!              ─▶ UDP datagram
//! ```
//!
//! # Layout
//!
//! - [`demux`]: which participant a datagram belongs to.
//! - [`engine`]: the seam to webrtc-rs's `rtc` crate; the only module that
//!   names its types.
//! - [`forward`]: engine-independent forwarding — keyframe detection, packet
//!   cache, sequence/timestamp rewriting, down-tracks, PLI throttling,
//!   dominant speaker.
//! - [`core`]: rooms, participants, negotiation and the forwarding loop.
//! - [`signal`]: messages exchanged with the signaling layer.
//! - [`io`]: the tokio driver and [`io::SfuHandle`].

pub mod core;
pub mod demux;
pub mod engine;
pub mod forward;
pub mod io;
pub mod signal;
