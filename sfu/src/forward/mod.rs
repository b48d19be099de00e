//! The forwarding path, engine-independent: what happens to a packet between
//! arriving from a publisher and leaving for each subscriber.
//!
//! - [`codec`]: keyframe detection so subscribers start clean: by the
//!   packet's Dependency Descriptor when it has one, else by the payload
//!   (VP8, H.264).
//! - [`dependency_descriptor`]: the DD header extension's fixed fields,
//!   which say where a keyframe starts without reading the payload (it may
//!   be end-to-end encrypted).
//! - [`packet_cache`]: recent packets per published track, for NACKs.
//! - [`rewrite`]: continuous sequence numbers and timestamps per subscriber.
//! - [`down_track`]: one subscriber's copy of one track (SSRC, payload type,
//!   extension ids, the rewriter).
//! - [`vp8`]: VP8 picture numbers kept continuous when a down-track
//!   switches layer or source.
//! - [`keyframe_request`]: PLI throttling towards publishers.
//! - [`layer`]: one simulcast layer as it arrives (a track sent once has
//!   one): its cache and PLI throttle, whether it arrives, its bitrate.
//! - [`layer_choice`]: the highest layer a subscriber's downlink may take.
//! - [`receiver`]: one published track — its layers and down-tracks, and
//!   the fan-out of each packet to them.
//! - [`dominant_speaker`]: audio levels → who is speaking.

pub mod codec;
pub mod dependency_descriptor;
pub mod dominant_speaker;
pub mod down_track;
pub mod keyframe_request;
pub mod layer;
pub mod layer_choice;
pub mod packet_cache;
pub mod receiver;
pub mod rewrite;
pub mod vp8;
