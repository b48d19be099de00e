//! The seam to the WebRTC engine: one [`EnginePeer`] per participant, backed
//! by webrtc-rs's sans-IO `RTCPeerConnection`.
//!
//! This module and its children are the only ones that name `rtc` types.
//! Rooms and forwarding speak in its terms (SDP strings, [`SenderSlot`]s,
//! [`MediaIn`], [`OutgoingPacket`](crate::forward::down_track::OutgoingPacket)), so swapping the engine means rewriting
//! this module. Here: the types, offer/answer and the output queues; in
//! `setup`: creating a peer connection (codecs, extensions, interceptors);
//! in `senders`: our sendonly transceivers and writing forwarded RTP; in
//! `read`: datagrams and timers in, translated into [`PeerEvent`]s and
//! [`MediaIn`]; in `fast`: the fast receive leg, which takes an open
//! track's RTP past `rtc`'s pipeline (SRTP in place, our own feedback); in
//! `fast_send`: the fast send leg (forwarded RTP out, the peer's RTCP in,
//! past `rtc` too); in
//! `data`: data channels (data tracks); in `bandwidth`: the estimate of the participant's downlink
//! and the REMB caps sent to it as a publisher, with `send_history`, the
//! fast send leg's record of what it sent; in `connection`: `rtc`'s peer
//! connection, remembering when it has nothing to send, so the fast legs'
//! packets do not walk its pipeline. The children use this file; it names
//! none of them.
//!
//! What the engine is asked to do, and what we do around it:
//! - ICE-lite with credentials we choose, so the demultiplexer can route
//!   STUN by ufrag before the engine sees it.
//! - Interceptors: NACK generator (lost upstream packets), TWCC feedback
//!   (browser congestion control), receiver and sender reports, and TWCC on
//!   our sending leg with a GCC estimator (`bandwidth`). With the fast
//!   receive leg (the default), the first three are `sfu::feedback`'s
//!   instead, sent by `fast`; with the fast send leg (the default too),
//!   the rest are ours as well (`fast_send`, `bandwidth::SendSide`), and
//!   `rtc` sees no RTCP once DTLS is up. Not the NACK
//!   responder: subscriber NACKs are answered from the forwarder's per-track
//!   cache, one copy per track instead of one per subscriber.
//! - `setup::DeliverFeedback` marks PLI, FIR and NACK for delivery to us; `rtc`
//!   drops inbound RTCP at the end of its chain otherwise.
//! - The AV1 Dependency Descriptor extension is negotiated where we receive
//!   video, and `read` turns it into whether a packet starts a keyframe
//!   ([`RtpFields::descriptor_keyframe`]), which end-to-end-encrypted
//!   payloads cannot tell. It is never sent: our senders build their own
//!   headers (`senders`), and it is not offered on their m-lines.
//! - Senders are our own sendonly transceivers with SSRCs we pick; a released
//!   one is set inactive and reused for the next track of its kind, so the
//!   SDP does not grow as people come and go.

mod bandwidth;
mod candidate;
mod connection;
mod data;
mod fast;
mod fast_send;
mod read;
mod send_history;
mod senders;
mod setup;

pub use candidate::{TcpType, host_candidate, tcp_candidate};
pub use data::{DataChannelId, DataChannelOptions, DataSendError, MAX_BUFFERED_BYTES};

use rustc_hash::FxHashMap;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use rtc::peer_connection::sdp::RTCSessionDescription;
use rtc::peer_connection::transport::RTCIceCandidateInit;
use rtc::rtp_transceiver::{RTCRtpReceiverId, RTCRtpSenderId};
use rtc::sansio::Protocol;
use rtc::shared::error::Error as RtcError;
use rtc::shared::time::SystemInstant;

use crate::signal::MediaKind;
use crate::transport::Transport;
use rtc::shared::TransportProtocol;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("{0}")]
    Rtc(#[from] RtcError),
    #[error("{0}")]
    Invalid(String),
}

/// What a peer needs to know about itself.
#[derive(Debug, Clone)]
pub struct PeerSettings {
    pub ice_ufrag: String,
    pub ice_pwd: String,
    /// Host candidates to advertise (the media socket's port on each
    /// advertised IP).
    pub candidates: Vec<SocketAddr>,
    /// Passive TCP candidates (ICE over TCP), when the SFU listens for it.
    pub tcp_candidates: Vec<SocketAddr>,
    /// How long the ICE agent waits without STUN before it calls the
    /// connection disconnected / failed.
    pub ice_disconnected_after: Duration,
    pub ice_failed_after: Duration,
    /// The fast receive leg (`fast`): an open track's RTP skips `rtc`'s
    /// pipeline, and the receive-side feedback is ours.
    pub fast_receive: bool,
    /// The fast send leg (`fast_send`; implies `fast_receive`): forwarded
    /// RTP skips `rtc`'s write pipeline, and the peer's RTCP its read
    /// pipeline; TWCC numbering, congestion control and SRs are ours.
    pub fast_send: bool,
}

/// Our handle for a sender: its SSRC, which we choose and which is unique
/// within the peer connection.
pub type SenderSlot = u32;

/// What a subscriber's answer negotiated for one of our senders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SenderNegotiation {
    pub payload_type: u8,
    pub audio_level_ext_id: Option<u8>,
    /// The RTX flow retransmissions go on, when the subscriber accepted RTX.
    pub repair: Option<RepairFlow>,
}

pub use crate::forward::down_track::RepairFlow;

/// A track the remote publishes, as the engine first saw it.
#[derive(Debug, Clone)]
pub struct IncomingTrack {
    pub track_id: String,
    pub mid: String,
    pub kind: MediaKind,
    pub mime_type: String,
    pub clock_rate: u32,
    pub audio_level_ext_id: Option<u8>,
    /// Simulcast layers the publisher declared (its `a=rid`s, lowest
    /// first, at most [`MAX_LAYERS`]); 1 for a track sent once.
    pub layers: u8,
}

/// State changes of the connection.
#[derive(Debug, Clone)]
pub enum PeerEvent {
    Connected,
    /// DTLS failed or the connection was closed; or ICE failed, which the
    /// core's settings put beyond its reconnect window.
    Closed,
    IncomingTrack(IncomingTrack),
    /// The remote opened a data channel (a data track it publishes).
    DataChannelOpened {
        channel: DataChannelId,
        label: String,
        options: DataChannelOptions,
    },
    /// A data channel closed: one the remote opened, or one of ours.
    DataChannelClosed {
        channel: DataChannelId,
        ours: bool,
    },
}

/// Media and feedback from the remote.
#[derive(Debug)]
pub enum MediaIn {
    Rtp {
        track_id: std::sync::Arc<str>,
        /// The simulcast layer (0 = lowest, and for a track sent once).
        layer: u8,
        header: RtpFields,
        payload: Bytes,
        /// The claim on the received buffer `payload` is a slice of, when
        /// the fast receive leg read it (`crate::buffers`): kept with the
        /// packet in its cache, and given back when the packet leaves.
        buffer: Option<BytesMut>,
    },
    /// PLI or FIR about one of our senders.
    KeyframeRequest { sender: SenderSlot },
    /// NACK about one of our senders: the sequence numbers it lost.
    Nack { sender: SenderSlot, lost: Vec<u16> },
    /// A receiver report block about one of our senders: how the stream
    /// reaches the subscriber.
    Reception {
        sender: SenderSlot,
        /// Fraction lost since its previous report, 0…1.
        loss: f64,
        /// Interarrival jitter, in the sender's RTP clock units.
        jitter: u32,
        /// Round trip time from the report's LSR/DLSR, when it has them.
        rtt: Option<Duration>,
    },
    /// A message on a data channel the remote opened.
    Data {
        channel: DataChannelId,
        is_string: bool,
        data: BytesMut,
    },
}

/// The header fields the forwarder uses.
#[derive(Debug, Clone, Copy)]
pub struct RtpFields {
    pub ssrc: u32,
    pub sequence_number: u16,
    pub timestamp: u32,
    pub marker: bool,
    /// RFC 6464 level and voice flag, when the publisher sent it.
    pub audio_level: Option<(u8, bool)>,
    /// Whether the packet's Dependency Descriptor says it starts a
    /// keyframe; `None` when it carries none.
    pub descriptor_keyframe: Option<bool>,
}

/// What `bandwidth`'s estimator publishes about the participant's
/// downlink, bits per second (0 until the first feedback).
#[derive(Debug, Default)]
struct DownlinkFigures {
    /// GCC's estimate with its floor and at most one cut a second.
    estimate: std::sync::atomic::AtomicU64,
    /// The estimate as far as the delivered rate has shown it.
    cautious: std::sync::atomic::AtomicU64,
}

/// Simulcast layers taken of a track; rids past these are dropped (the
/// protocol allows three).
pub const MAX_LAYERS: usize = 3;

/// A track the remote publishes, as the engine reads it.
struct RemoteTrack {
    receiver: RTCRtpReceiverId,
    /// Its id, shared by every packet's [`MediaIn::Rtp`].
    track_id: std::sync::Arc<str>,
    mid: String,
    audio_level_ext_id: Option<u8>,
    /// The Dependency Descriptor's extension id, when negotiated (video).
    dependency_descriptor_ext_id: Option<u8>,
    /// Each layer's SSRC by layer index (one entry when not simulcast),
    /// `None` until its first packet arrived.
    layer_ssrcs: Vec<Option<u32>>,
}

impl RemoteTrack {
    /// The layer a packet of `ssrc` belongs to (a linear scan of at most
    /// [`MAX_LAYERS`], per packet, beats hashing). A track sent once has
    /// one layer whatever its SSRC; a simulcast packet whose layer is not
    /// known (yet) is `None`: in layer 0 it would corrupt that layer.
    fn layer_of(&self, ssrc: u32) -> Option<u8> {
        if self.layer_ssrcs.len() < 2 {
            return Some(0);
        }
        self.layer_ssrcs
            .iter()
            .position(|s| *s == Some(ssrc))
            .map(|l| l as u8)
    }
}

struct SenderEntry {
    id: RTCRtpSenderId,
    /// The codec the sender was created for: `rtc` negotiates a sender for
    /// its track's codec only, so a sender is reused for the same codec.
    mime_type: String,
    in_use: bool,
    /// The SSRC we chose for its RTX flow (video), whether or not the
    /// subscriber accepted RTX.
    repair_ssrc: Option<u32>,
    /// The repair flow the last negotiation gave it (`write_repair` checks
    /// retransmissions against it).
    repair: Option<RepairFlow>,
    /// The payload type the last negotiation gave it (the fast send leg
    /// checks packets against it, as `rtc`'s sender does).
    payload_type: Option<u8>,
}

pub struct EnginePeer {
    pc: connection::EngineConnection,
    candidates: Vec<RTCIceCandidateInit>,
    senders: FxHashMap<SenderSlot, SenderEntry>,
    /// Remote track id → its receiver, extension ids and layers.
    incoming: FxHashMap<String, RemoteTrack>,
    events: VecDeque<PeerEvent>,
    media: VecDeque<MediaIn>,
    connected: bool,
    /// Maps `Instant`s to NTP time the way `rtc`'s sender reports do, for
    /// round trip times from receiver reports.
    ntp_clock: SystemInstant,
    /// The latest input's time (what a report drained later arrived at).
    last_input: Instant,
    /// Set by the drain that ends `handle_datagram` and `handle_timeout`,
    /// taken by the next `poll_event`, which then need not drain again:
    /// each drain sweeps every handler of `rtc`'s pipeline twice.
    just_drained: bool,
    /// The congestion controller's downlink estimate, bits/s (`bandwidth`).
    downlink: std::sync::Arc<DownlinkFigures>,
    /// Data channels we opened (to a subscriber), as opposed to the
    /// remote's.
    own_channels: rustc_hash::FxHashSet<DataChannelId>,
    /// The fast receive leg, when [`PeerSettings::fast_receive`].
    fast: Option<fast::FastPath>,
}

impl EnginePeer {
    /// Applies a client offer and returns our answer.
    pub fn accept_offer(&mut self, now: Instant, sdp: String) -> Result<String, EngineError> {
        let offer = RTCSessionDescription::offer(sdp)?;
        self.pc.set_remote_description(now, offer)?;
        let answer = self.pc.create_answer(None)?;
        self.pc.set_local_description(now, answer)?;
        if let Some(fast) = &mut self.fast {
            fast.revalidate(&mut self.pc);
        }
        self.local_sdp()
    }

    /// Creates an offer for the current senders; the mids of in-use senders
    /// are read with [`EnginePeer::sender_mid`] afterwards.
    pub fn create_offer(&mut self, now: Instant) -> Result<String, EngineError> {
        let offer = self.pc.create_offer(None)?;
        self.pc.set_local_description(now, offer)?;
        self.local_sdp()
    }

    pub fn accept_answer(&mut self, now: Instant, sdp: String) -> Result<(), EngineError> {
        let answer = RTCSessionDescription::answer(sdp)?;
        self.pc.set_remote_description(now, answer)?;
        if let Some(fast) = &mut self.fast {
            fast.revalidate(&mut self.pc);
        }
        Ok(())
    }

    pub fn add_remote_candidate(
        &mut self,
        candidate: String,
        sdp_mid: Option<String>,
        sdp_mline_index: Option<u16>,
    ) -> Result<(), EngineError> {
        self.pc.add_remote_candidate(RTCIceCandidateInit {
            candidate,
            sdp_mid,
            sdp_mline_index,
            ..Default::default()
        })?;
        Ok(())
    }

    fn local_sdp(&self) -> Result<String, EngineError> {
        let desc = self
            .pc
            .local_description()
            .ok_or_else(|| EngineError::Invalid("no local description".into()))?;
        Ok(setup::without_rtx_where_simulcast(
            &setup::with_opus_preferences(&desc.sdp),
        ))
    }

    pub fn poll_timeout(&mut self) -> Option<Instant> {
        let engine = self.pc.poll_timeout();
        match self.fast.as_ref().and_then(|f| f.poll_timeout()) {
            Some(tick) => Some(engine.map_or(tick, |e| e.min(tick))),
            None => engine,
        }
    }

    pub fn poll_transmit(&mut self) -> Option<(Transport, SocketAddr, BytesMut)> {
        if let Some(out) = self.fast.as_mut().and_then(|f| f.poll_transmit()) {
            return Some(out);
        }
        self.pc.poll_write().map(|m| {
            let transport = match m.transport.transport_protocol {
                TransportProtocol::TCP => Transport::Tcp,
                _ => Transport::Udp,
            };
            (transport, m.transport.peer_addr, m.message)
        })
    }

    /// The first call after an input returns what that input's drain
    /// found; later calls drain the engine again, for what handling those
    /// events made it raise.
    pub fn poll_event(&mut self) -> Option<PeerEvent> {
        if !std::mem::take(&mut self.just_drained) {
            self.drain(true);
        }
        self.events.pop_front()
    }

    /// Media already drained from the engine by `handle_datagram`,
    /// `handle_timeout` or `poll_event` (only reads and timers produce it),
    /// so the per-packet loop does not poll the engine again per packet.
    pub fn poll_media(&mut self) -> Option<MediaIn> {
        self.media.pop_front()
    }

    pub fn close(&mut self) {
        let _ = self.pc.close();
    }

    /// RTP packets the fast receive leg took, and datagrams it refused
    /// (did not decrypt), since the last call.
    pub fn take_fast_counts(&mut self) -> (u64, u64) {
        self.fast.as_mut().map_or((0, 0), |f| f.take_counts())
    }

    /// RTP packets the fast send leg wrote since the last call.
    pub fn take_fast_sent(&mut self) -> u64 {
        self.fast.as_mut().map_or(0, |f| f.take_sent())
    }

    /// The host candidates we advertise (also in every SDP we send).
    pub fn local_candidates(&self) -> &[RTCIceCandidateInit] {
        &self.candidates
    }
}
