//! The fast receive leg (issue 17; `docs/design/srtp-fast-path.md` §6,
//! step 5): once a remote track is open, its RTP no longer goes through
//! `rtc`'s pipeline. The datagram is decrypted in place with the
//! pipeline's own SRTP context (`RTCPeerConnection::srtp_contexts`, a
//! patch of ours, vendor/README.md), its header is read with
//! [`crate::wire`], and it becomes a [`MediaIn::Rtp`] whose payload is a
//! slice of the same buffer. No allocation, no handler queue, no sweep.
//!
//! What the pipeline did for those packets is done here instead:
//! - the receive-side feedback — NACKs for lost packets, transport-wide
//!   congestion control feedback, receiver reports — comes from
//!   [`crate::feedback::PeerFeedback`], on its own 100 ms tick, and is
//!   protected with the pipeline's SRTCP context. `rtc`'s NACK generator,
//!   TWCC receiver and receiver-report interceptors are then not
//!   registered (`setup::interceptors`), so nothing is sent twice.
//! - RTX is unwrapped: the original sequence number comes first in the
//!   payload (RFC 4588); the repaired packet also counts as received in the
//!   NACK log, which `rtc` never did (it unwrapped after its interceptors,
//!   so a repaired packet was NACKed again).
//!
//! A packet takes this route only when all of these hold: the flag is on
//! ([`PeerSettings::fast_receive`](super::PeerSettings)), the contexts
//! exist (DTLS is up), the datagram is RTP, and its SSRC is a route — the
//! SSRC of a layer of an open track, or that layer's RTX SSRC. The first
//! packets of a track still go through `rtc`, which binds the SSRC and
//! raises the track. Every RTP datagram that `rtc` handles still counts
//! for the feedback, by its cleartext header.
//!
//! A packet that fails to decrypt here is dropped and counted, never handed
//! to `rtc` afterwards: the buffer is then undefined, and the replay window
//! would count it twice. After a renegotiation, routes whose SSRC the
//! receiver no longer lists are dropped, so that `rtc` sees the packets and
//! can raise the track again.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use bytes::BytesMut;
use rtc::peer_connection::RTCPeerConnection;
use rtc::rtp_transceiver::RTCRtpReceiverId;
use rustc_hash::FxHashMap;

use super::fast_send::SendLeg;
use super::{MediaIn, RtpFields};
use crate::feedback::{FeedbackConfig, PeerFeedback};
use crate::forward::dependency_descriptor;
use crate::transport::Transport;
use crate::wire::rtp::{RtpView, is_rtp};

/// Where the packets of one inbound SSRC go.
#[derive(Debug, Clone)]
struct InboundRoute {
    receiver: RTCRtpReceiverId,
    track_id: Arc<str>,
    layer: u8,
    /// `Some(primary SSRC)` for an RTX flow.
    repair_of: Option<u32>,
    audio_level_ext_id: Option<u8>,
    dependency_descriptor_ext_id: Option<u8>,
}

/// An open layer of a remote track, as `read` tells it on `OnOpen`.
pub(super) struct OpenLayer {
    pub receiver: RTCRtpReceiverId,
    pub track_id: Arc<str>,
    pub layer: u8,
    pub ssrc: u32,
    pub repair_ssrc: Option<u32>,
    pub clock_rate: u32,
    /// Whether lost packets are NACKed (video).
    pub nack: bool,
    pub audio_level_ext_id: Option<u8>,
    pub dependency_descriptor_ext_id: Option<u8>,
}

pub(super) struct FastPath {
    routes: FxHashMap<u32, InboundRoute>,
    pub(super) feedback: PeerFeedback,
    /// The transport-wide sequence number's extension id (negotiated for
    /// every m-line; the same id on all of them, as BUNDLE requires).
    transport_cc_ext_id: Option<u8>,
    /// Where the peer's RTP (and, with the send leg, its RTCP) comes
    /// from: what we send it goes there.
    pub(super) remote: Option<(Transport, SocketAddr)>,
    /// Protected datagrams, for `poll_transmit`.
    pub(super) out: VecDeque<(Transport, SocketAddr, BytesMut)>,
    /// The fast send leg (`fast_send`), when on.
    pub(super) send: Option<SendLeg>,
    /// Since the last [`FastPath::take_counts`]: packets taken by the
    /// fast route, and datagrams dropped because they did not decrypt or
    /// parse.
    taken: u64,
    pub(super) refused: u64,
    /// Forwarded packets the send leg wrote.
    pub(super) sent: u64,
}

impl FastPath {
    /// With `send`, the send leg too.
    pub(super) fn new(send: Option<SendLeg>) -> Self {
        Self {
            routes: FxHashMap::default(),
            feedback: PeerFeedback::new(FeedbackConfig {
                sender_ssrc: rand::random(),
                ..FeedbackConfig::default()
            }),
            transport_cc_ext_id: None,
            remote: None,
            out: VecDeque::new(),
            send,
            sent: 0,
            taken: 0,
            refused: 0,
        }
    }

    /// Since the last call: packets taken, datagrams refused.
    pub(super) fn take_counts(&mut self) -> (u64, u64) {
        (
            std::mem::take(&mut self.taken),
            std::mem::take(&mut self.refused),
        )
    }

    /// Packets the send leg wrote since the last call.
    pub(super) fn take_sent(&mut self) -> u64 {
        std::mem::take(&mut self.sent)
    }

    pub(super) fn set_transport_cc_ext_id(&mut self, id: Option<u8>) {
        if id.is_some() {
            self.transport_cc_ext_id = id;
        }
    }

    /// A layer opened (or opened again): its SSRC, and its RTX SSRC, take
    /// the fast route from now on; its feedback starts.
    pub(super) fn open(&mut self, now: Instant, layer: OpenLayer) {
        let route = InboundRoute {
            receiver: layer.receiver,
            track_id: layer.track_id,
            layer: layer.layer,
            repair_of: None,
            audio_level_ext_id: layer.audio_level_ext_id,
            dependency_descriptor_ext_id: layer.dependency_descriptor_ext_id,
        };
        if !self.routes.contains_key(&layer.ssrc) {
            self.feedback
                .add_receive_stream(now, layer.ssrc, layer.clock_rate, layer.nack);
        }
        if let Some(repair) = layer.repair_ssrc {
            self.routes.insert(
                repair,
                InboundRoute {
                    repair_of: Some(layer.ssrc),
                    ..route.clone()
                },
            );
        }
        self.routes.insert(layer.ssrc, route);
    }

    /// After a negotiation: routes whose SSRC the receiver no longer
    /// lists, or whose m-line no longer receives (a track unpublished),
    /// go back to `rtc`, which rebinds them and raises the track again
    /// when media flows (then [`FastPath::open`] takes them back): the
    /// core learns of a track sent again on the same m-line from that.
    pub(super) fn revalidate(&mut self, pc: &mut RTCPeerConnection) {
        let feedback = &mut self.feedback;
        self.routes.retain(|&ssrc, route| {
            let primary = route.repair_of.unwrap_or(ssrc);
            let transceiver: usize = route.receiver.into();
            let receiving = pc
                .rtp_transceiver(transceiver)
                .is_some_and(|t| t.current_direction().has_recv());
            let listed = receiving
                && pc.rtp_receiver(route.receiver).is_some_and(|r| {
                    r.track().codings().iter().any(|c| {
                        let coding = &c.rtp_coding_parameters;
                        coding.ssrc == Some(primary)
                            && (route.repair_of.is_none()
                                || coding.rtx.as_ref().is_some_and(|rtx| rtx.ssrc == ssrc))
                    })
                });
            if !listed && route.repair_of.is_none() {
                feedback.remove_receive_stream(ssrc);
            }
            listed
        });
    }

    /// Takes an RTP datagram off `rtc`'s hands if it is on a route: true
    /// when it was handled (forwarded, or dropped as refused). False: give
    /// it to `rtc` (its cleartext header has been counted for feedback).
    pub(super) fn receive(
        &mut self,
        now: Instant,
        pc: &mut RTCPeerConnection,
        transport: Transport,
        from: SocketAddr,
        data: &mut BytesMut,
        media: &mut VecDeque<MediaIn>,
    ) -> bool {
        if !is_rtp(data) {
            return false;
        }
        let Some(header) = RtpView::parse_protected(data) else {
            return false;
        };
        self.remote = Some((transport, from));
        let ssrc = header.ssrc();
        let transport_seq = self.transport_seq(&header);
        let route = match self.routes.get(&ssrc) {
            Some(route) => route,
            None => {
                // `rtc` takes it (the first packets of a track, or an SSRC
                // it will drop); the feedback still counts it.
                self.feedback.on_rtp(
                    now,
                    ssrc,
                    header.sequence_number(),
                    header.timestamp(),
                    transport_seq,
                );
                return false;
            }
        };
        let Some((_, remote)) = pc.srtp_contexts() else {
            return false;
        };
        if remote.decrypt_rtp_in_place(data).is_err() {
            self.refused += 1;
            return true;
        }
        let Some(packet) = RtpView::parse(data) else {
            self.refused += 1;
            return true;
        };
        let (sequence_number, timestamp) = (packet.sequence_number(), packet.timestamp());
        let mut payload_start = packet.header_len();
        let payload_end = payload_start + packet.payload().len();
        self.feedback
            .on_rtp(now, ssrc, sequence_number, timestamp, transport_seq);
        self.taken += 1;
        let (primary, sequence_number) = match route.repair_of {
            None => (ssrc, sequence_number),
            Some(primary) => {
                let Some(original) = packet.payload().get(..2) else {
                    // A padding-only probe: it counted for congestion
                    // control, and carries nothing.
                    return true;
                };
                let original = u16::from_be_bytes([original[0], original[1]]);
                self.feedback.on_repaired(primary, original);
                payload_start += 2;
                (primary, original)
            }
        };
        if payload_start >= payload_end {
            // Padding only: nothing to forward.
            return true;
        }
        let audio_level = route
            .audio_level_ext_id
            .and_then(|id| packet.extension(id))
            .and_then(|b| b.first().copied())
            .map(|b| (b & 0x7f, b & 0x80 != 0));
        let descriptor_keyframe = route
            .dependency_descriptor_ext_id
            .and_then(|id| packet.extension(id))
            .map(dependency_descriptor::starts_keyframe);
        let header = RtpFields {
            ssrc: primary,
            sequence_number,
            timestamp,
            marker: packet.marker(),
            audio_level,
            descriptor_keyframe,
        };
        let (track_id, layer) = (route.track_id.clone(), route.layer);
        // The packet leaves as a handle of its own; what stays of `data`
        // (empty) keeps a claim on the whole buffer (`crate::buffers`).
        let payload = data.split().freeze().slice(payload_start..payload_end);
        media.push_back(MediaIn::Rtp {
            track_id,
            layer,
            header,
            payload,
            buffer: Some(std::mem::take(data)),
        });
        true
    }

    fn transport_seq(&self, header: &RtpView<'_>) -> Option<u16> {
        let value = header.extension(self.transport_cc_ext_id?)?;
        Some(u16::from_be_bytes(value.get(..2)?.try_into().ok()?))
    }

    /// A sender report from the publisher: its NTP time is the LSR of our
    /// next receiver report about that SSRC.
    pub(super) fn on_sender_report(&mut self, now: Instant, ssrc: u32, ntp: u64) {
        self.feedback.on_sender_report(now, ssrc, ntp);
    }

    pub(super) fn poll_timeout(&self) -> Option<Instant> {
        match (self.feedback.poll_timeout(), self.send_side_timeout()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Runs the feedback tick if it is due; what it writes is protected
    /// and queued for the peer.
    pub(super) fn handle_timeout(
        &mut self,
        now: Instant,
        ntp_now: u64,
        pc: &mut RTCPeerConnection,
    ) {
        if self.send_side_timeout().is_some_and(|due| due <= now) {
            self.handle_send_side_timeout(now);
        }
        if self.feedback.poll_timeout().is_none_or(|due| due > now) {
            return;
        }
        let (Some((transport, to)), Some((local, _))) = (self.remote, pc.srtp_contexts()) else {
            // Nobody to tell yet; the tick still runs, so nothing piles up.
            self.feedback.handle_timeout(now, ntp_now, |_| {});
            return;
        };
        let out = &mut self.out;
        self.feedback.handle_timeout(now, ntp_now, |compound| {
            if let Ok(protected) = local.encrypt_rtcp(compound) {
                out.push_back((transport, to, protected));
            }
        });
    }

    pub(super) fn poll_transmit(&mut self) -> Option<(Transport, SocketAddr, BytesMut)> {
        self.out.pop_front()
    }
}
