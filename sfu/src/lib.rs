//! Confide's media plane: a selective forwarding unit (SFU), one core per
//! media worker thread, each worker on one UDP port for all its rooms.
//!
//! The crates, and the paths a media packet, a subscriber's PLI or NACK,
//! a video-token request and a reminder take through them, file by file:
//! `docs/architecture.md`.
//!
//! # The model
//!
//! The core is sans-IO, in the manner of str0m: [`core::Sfu`] takes inputs
//! — commands from signaling (join, offer, answer, candidate, leave),
//! datagrams, timeouts — each with the current `Instant`, and yields outputs
//! — datagrams to send, messages for participants, the next deadline. It has
//! no sockets, threads or clock, so tests drive it with a fake clock.
//! [`io`] is the thin tokio layer: media workers, each a thread that owns a
//! socket and a core and calls it, rooms placed on them by load.
//!
//! # How a packet flows
//!
//! ```text
//! UDP datagram ─▶ demux (ICE ufrag / remote address → participant)
//!              ─▶ engine (that participant's rtc peer connection:
//!                         ICE-lite, DTLS, SRTP, interceptors; once a
//!                         track is open, its RTP takes engine::fast
//!                         instead: SRTP in place, wire, feedback)
//!              ─▶ core::media (engine track id → the published track)
//!              ─▶ forward::receiver (the track's TrackReceiver: packet
//!                         cache, then each subscriber's DownTrack rewrites)
//!              ─▶ engine (subscriber's peer connection; engine::fast_send
//!                         writes it with wire into a buffer from
//!                         buffers, numbers it, SRTP in place)
//!              ─▶ UDP datagram (its buffer back to buffers)
//! ```
//!
//! Feedback goes the other way. A subscriber's PLI, FIR or NACK arrives on
//! its own peer connection and names one of our senders there (its SSRC);
//! `core::media` looks the sender up in that participant's
//! `track_by_sender` index (one hash lookup, no scan) and hands it to that
//! track's `TrackReceiver`: a PLI passes its keyframe throttle and goes to
//! the publisher as a PLI of ours; a NACK is answered from its packet cache.
//!
//! # Layout
//!
//! - [`demux`]: which participant a datagram belongs to.
//! - [`engine`]: the seam to webrtc-rs's `rtc` crate; the only module that
//!   names its types (`setup`: creating peer connections; `senders`: our
//!   transceivers; `read`: datagrams in, events and media out).
//! - [`feedback`]: the RTCP we owe each peer connection (NACK, TWCC
//!   feedback, RR, SR), sans-IO and allocation-free, written with [`wire`];
//!   ported from `rtc`'s interceptors. The fast receive leg
//!   (`engine::fast`) sends its receive side, and the fast send leg
//!   (`engine::fast_send`) its SRs.
//! - [`buffers`]: datagram buffers, reused, so forwarding allocates none.
//! - [`forward`]: engine-independent forwarding — keyframe detection (by
//!   the AV1 Dependency Descriptor header extension when a packet has one,
//!   as an end-to-end-encrypted payload cannot be read), packet cache,
//!   sequence/timestamp rewriting, down-tracks, PLI throttling, dominant
//!   speaker, and [`forward::receiver::TrackReceiver`], which owns one
//!   published track's cache, throttle and down-tracks and fans its
//!   packets out.
//! - [`core`]: routing only — rooms, participants, negotiation, tracks and
//!   subscriptions, the per-packet dispatch to receivers, timers,
//!   interruptions and resumes (`reconnect`), network quality levels, and the
//!   counters ([`core::SfuStats`]).
//! - [`quality`]: network quality — per-track uplink counters and the 0–5
//!   level (its formula is in the module doc); `core` aggregates them per
//!   participant with what receiver reports say of its downlink.
//! - [`signal`]: messages exchanged with the signaling layer, and
//!   [`signal::SfuError`], why a request was refused (signaling gives it its
//!   Twilio code).
//! - [`transport`]: UDP or TCP (ICE over TCP), and RFC 4571 framing.
//! - [`io`]: the media workers (the tokio driver), room placement and
//!   [`io::SfuHandle`]; `io::tcp` holds the ICE-over-TCP connections.
//! - [`wire`]: allocation-free views and writers for RTP and RTCP bytes
//!   (header extensions, compound RTCP, feedback writers), for the SRTP
//!   fast path (`docs/design/srtp-fast-path.md`).
//!
//! Dependencies point one way: `io` → `core` → `engine`, `forward`,
//! `demux`, `signal`; within `core` and `engine` the sub-modules use their
//! parent, never the reverse (`scripts/module-cycles.py` checks it).

pub mod buffers;
pub mod core;
pub mod demux;
pub mod engine;
pub mod feedback;
pub mod forward;
pub mod io;
pub mod quality;
pub mod signal;
pub mod transport;
pub mod wire;
