//! The forwarding path, engine-independent: what happens to a packet between
//! arriving from a publisher and leaving for each subscriber.
//!
//! - [`codec`]: keyframe detection (VP8, H.264) so subscribers start clean.
//! - [`packet_cache`]: recent packets per published track, for NACKs.
//! - [`rewrite`]: continuous sequence numbers and timestamps per subscriber.
//! - [`down_track`]: one subscriber's copy of one track (SSRC, payload type,
//!   extension ids, the rewriter).
//! - [`keyframe_request`]: PLI throttling towards publishers.
//! - [`receiver`]: one published track — its cache, PLI throttle and
//!   down-tracks, and the fan-out of each packet to them.
//! - [`dominant_speaker`]: audio levels → who is speaking.

pub mod codec;
pub mod dominant_speaker;
pub mod down_track;
pub mod keyframe_request;
pub mod packet_cache;
pub mod receiver;
pub mod rewrite;
