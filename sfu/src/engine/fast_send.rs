//! The fast send leg (issue 17; `docs/design/srtp-fast-path.md` §6,
//! step 6), on with [`PeerSettings::fast_send`](super::PeerSettings)
//! beside the fast receive leg (`fast`): a forwarded packet no longer goes
//! through `rtc`'s write pipeline, and every SRTCP datagram from the peer
//! is read here instead of by `rtc`'s interceptors.
//!
//! - **RTP out.** The header is written with [`crate::wire::rtp::write_rtp`]
//!   (the audio level, then the transport-wide sequence number, the
//!   extensions `rtc` wrote), the packet recorded for congestion control
//!   ([`SendSide`]) and for our sender reports (`feedback`), then
//!   protected in place with the pipeline's own SRTP context and queued for
//!   the address the peer's authenticated packets last came from.
//! - **RTCP in.** Decrypted with the same context and walked with
//!   [`crate::wire::rtcp`]: receiver reports (and the report blocks of
//!   sender reports) become [`MediaIn::Reception`], NACKs
//!   [`MediaIn::Nack`], PLI and FIR [`MediaIn::KeyframeRequest`], TWCC
//!   feedback goes to [`SendSide`]; a publisher's SR is the LSR of our next
//!   receiver report.
//! - **RTCP out.** PLI and REMB to a publisher are written with `wire` too.
//!
//! `rtc`'s TWCC sender, congestion control and sender report interceptors
//! are then not registered (`setup::interceptors`): the transport-wide
//! numbering, its history and the estimator are one, here. Until a peer's
//! packets have shown where it is (or before DTLS), packets take `rtc`'s
//! path, unnumbered; the first RTCP from a subscriber, within a second of
//! its first media, moves it over.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use bytes::BytesMut;
use rtc::peer_connection::RTCPeerConnection;
use rtc::peer_connection::transport::RTCIceProtocol;
use rtc::rtp_transceiver::RTCRtpSenderId;
use rustc_hash::FxHashSet;

use super::bandwidth::SendSide;
use super::fast::FastPath;
use super::{DownlinkFigures, EnginePeer, MediaIn};
use crate::forward::down_track::OutgoingPacket;
use crate::transport::Transport;
use crate::wire::rtcp::{self, ReportBlock, RtcpPacket};
use crate::wire::rtp::{RtpHeader, is_rtcp, write_rtp};

/// SRTP's authentication tag at most (AES-CM with HMAC-SHA1-80: 10; GCM: 16).
const MAX_TAG_LEN: usize = 16;
/// The fixed header, and an extension block with the audio level (2 bytes)
/// and the transport-wide sequence number (3), padded: 12 + 4 + 8.
const MAX_HEADER_LEN: usize = 24;

/// The send leg's own state, inside [`FastPath`].
pub(super) struct SendLeg {
    side: SendSide,
    /// The transport-wide sequence number's extension id on our sending
    /// m-lines (the same on all of them, as BUNDLE requires).
    transport_cc_ext_id: Option<u8>,
    /// Senders whose SRs `feedback` writes.
    reported: FxHashSet<u32>,
}

impl SendLeg {
    pub(super) fn new(downlink: Arc<DownlinkFigures>) -> Self {
        Self {
            side: SendSide::new(downlink),
            transport_cc_ext_id: None,
            reported: FxHashSet::default(),
        }
    }
}

/// What became of an SRTCP datagram offered to the send leg.
pub(super) enum RtcpIn {
    /// Not ours to read: `rtc` takes it (no contexts yet, not RTCP).
    NotTaken,
    /// Did not decrypt: dropped, as `rtc` would.
    Refused,
    Plain(BytesMut),
}

impl FastPath {
    pub(super) fn sends(&self) -> bool {
        self.send.is_some()
    }

    /// Before the peer's packets showed where it is: where ICE says.
    pub(super) fn learn_destination(&mut self, pc: &mut RTCPeerConnection, sender: RTCRtpSenderId) {
        if self.send.is_some() && self.remote.is_none() {
            self.remote = selected_udp_pair(pc, sender);
        }
    }

    /// After a STUN datagram (the only input that moves ICE to another
    /// pair, as after an ICE restart): follow ICE's selected pair over
    /// UDP at once, rather than wait for the peer's packets from there.
    pub(super) fn follow_selected_pair(
        &mut self,
        pc: &mut RTCPeerConnection,
        sender: Option<RTCRtpSenderId>,
    ) {
        if self.send.is_none() || self.remote.is_some_and(|(t, _)| t == Transport::Tcp) {
            return;
        }
        if let Some(selected) = sender.and_then(|s| selected_udp_pair(pc, s)) {
            self.remote = Some(selected);
        }
    }

    pub(super) fn set_send_transport_cc_ext_id(&mut self, id: Option<u8>) {
        if let (Some(send), Some(id)) = (self.send.as_mut(), id) {
            send.transport_cc_ext_id = Some(id);
        }
    }

    /// A sender of ours, negotiated: our SRs describe it from now on.
    pub(super) fn report_sender(&mut self, now: Instant, ssrc: u32, clock_rate: u32) {
        if let Some(send) = self.send.as_mut()
            && send.reported.insert(ssrc)
        {
            self.feedback.add_send_stream(now, ssrc, clock_rate);
        }
    }

    pub(super) fn unreport_sender(&mut self, ssrc: u32) {
        if let Some(send) = self.send.as_mut()
            && send.reported.remove(&ssrc)
        {
            self.feedback.remove_send_stream(ssrc);
        }
    }

    /// Writes one forwarded packet into `buf` (empty; from the pool),
    /// protects it and queues it; gives `buf` back unused when the packet
    /// must take `rtc`'s path (no destination or contexts yet). `media`:
    /// on the sender's media SSRC (counted in its SRs), not its repair flow.
    pub(super) fn send_rtp(
        &mut self,
        now: Instant,
        pc: &mut RTCPeerConnection,
        packet: &OutgoingPacket,
        media: bool,
        mut buf: BytesMut,
    ) -> Result<(), BytesMut> {
        let (Some(send), Some((transport, to))) = (self.send.as_mut(), self.remote) else {
            return Err(buf);
        };
        let Some((local, _)) = pc.srtp_contexts() else {
            return Err(buf);
        };
        let transport_seq = send
            .transport_cc_ext_id
            .map(|id| (id, send.side.next_transport_seq()));
        let seq_bytes = transport_seq.map_or([0; 2], |(_, seq)| seq.to_be_bytes());
        let level_byte;
        let mut extensions: [(u8, &[u8]); 2] = [(0, &[]), (0, &[])];
        let mut count = 0;
        if let Some((id, level, voice)) = packet.audio_level {
            level_byte = [(level & 0x7f) | if voice { 0x80 } else { 0 }];
            extensions[count] = (id, &level_byte);
            count += 1;
        }
        if let Some((id, _)) = transport_seq {
            extensions[count] = (id, &seq_bytes);
            count += 1;
        }
        buf.reserve(MAX_HEADER_LEN + packet.payload.len() + MAX_TAG_LEN);
        let header = RtpHeader {
            marker: packet.marker,
            payload_type: packet.payload_type,
            sequence_number: packet.sequence_number,
            timestamp: packet.timestamp,
            ssrc: packet.ssrc,
        };
        if write_rtp(&mut buf, &header, &extensions[..count], &packet.payload).is_err() {
            buf.clear();
            return Err(buf);
        }
        if let Some((_, transport_seq)) = transport_seq {
            send.side.record(
                now,
                packet.ssrc,
                packet.sequence_number,
                transport_seq,
                buf.len(),
            );
        }
        if media {
            self.feedback
                .on_sent(now, packet.ssrc, packet.timestamp, packet.payload.len());
        }
        if local.encrypt_rtp_in_place(&mut buf).is_err() {
            // Not sent, and not to be sent another way: the context
            // refused it (its counters are what they were).
            return Ok(());
        }
        self.out.push_back((transport, to, buf));
        self.sent += 1;
        Ok(())
    }

    /// Decrypts an SRTCP datagram from the peer, once DTLS is up; the
    /// address it came from is where our packets go from now on.
    pub(super) fn receive_rtcp(
        &mut self,
        pc: &mut RTCPeerConnection,
        transport: Transport,
        from: SocketAddr,
        data: &[u8],
    ) -> RtcpIn {
        if self.send.is_none() || !is_rtcp(data) {
            return RtcpIn::NotTaken;
        }
        let Some((_, remote)) = pc.srtp_contexts() else {
            return RtcpIn::NotTaken;
        };
        match remote.decrypt_rtcp(data) {
            Ok(plain) => {
                self.remote = Some((transport, from));
                RtcpIn::Plain(plain)
            }
            Err(_) => {
                self.refused += 1;
                RtcpIn::Refused
            }
        }
    }

    /// Protects and queues an RTCP compound of ours (PLI, REMB); false
    /// when it must take `rtc`'s path.
    pub(super) fn send_rtcp(&mut self, pc: &mut RTCPeerConnection, compound: &[u8]) -> bool {
        let (true, Some((transport, to)), Some((local, _))) =
            (self.send.is_some(), self.remote, pc.srtp_contexts())
        else {
            return false;
        };
        if let Ok(protected) = local.encrypt_rtcp(compound) {
            self.out.push_back((transport, to, protected));
        }
        true
    }

    pub(super) fn send_side_timeout(&self) -> Option<Instant> {
        self.send.as_ref().and_then(|s| s.side.poll_timeout())
    }

    pub(super) fn handle_send_side_timeout(&mut self, now: Instant) {
        if let Some(send) = self.send.as_mut() {
            send.side.handle_timeout(now);
        }
    }

    fn on_transport_feedback(&mut self, now: Instant, feedback: &rtcp::TransportCc<'_>) {
        if let Some(send) = self.send.as_mut() {
            send.side.on_feedback(now, feedback);
        }
    }
}

/// Where ICE says the peer is, over UDP: the remote side of the pair it
/// selected, known before the peer's own packets show it (a subscriber
/// that publishes nothing sends its first RTCP only about a second after
/// media starts). Over TCP the address is the connection's, which only
/// its packets show.
pub(super) fn selected_udp_pair(
    pc: &mut RTCPeerConnection,
    sender: RTCRtpSenderId,
) -> Option<(Transport, SocketAddr)> {
    let sender = pc.rtp_sender(sender)?;
    let pair = sender
        .transport()?
        .ice_transport()
        .get_selected_candidate_pair()?;
    let remote = pair.remote();
    if remote.protocol != RTCIceProtocol::Udp {
        return None;
    }
    let ip: IpAddr = remote.address.parse().ok()?;
    Some((Transport::Udp, SocketAddr::new(ip, remote.port)))
}

impl EnginePeer {
    /// A decrypted RTCP compound from the peer, read on the fast path.
    pub(super) fn on_fast_rtcp(&mut self, now: Instant, compound: &[u8]) {
        let arrival = (self.ntp_clock.ntp(now) >> 16) as u32;
        for packet in rtcp::packets(compound) {
            let Ok(packet) = packet else {
                // A framing error ends the walk; a malformed packet inside
                // is skipped (the walk yields it as an error and goes on).
                continue;
            };
            match packet {
                RtcpPacket::SenderReport(sr) => {
                    if let Some(fast) = &mut self.fast {
                        fast.on_sender_report(now, sr.sender_ssrc(), sr.ntp_timestamp());
                    }
                    for block in sr.report_blocks() {
                        self.reception(arrival, &block);
                    }
                }
                RtcpPacket::ReceiverReport(rr) => {
                    for block in rr.report_blocks() {
                        self.reception(arrival, &block);
                    }
                }
                RtcpPacket::Nack(nack) if self.senders.contains_key(&nack.media_ssrc) => {
                    self.media.push_back(MediaIn::Nack {
                        sender: nack.media_ssrc,
                        lost: nack.lost_sequence_numbers().collect(),
                    });
                }
                RtcpPacket::Pli(pli) => self.feedback_keyframe(pli.media_ssrc),
                RtcpPacket::Fir(fir) => {
                    for (ssrc, _) in fir.entries() {
                        self.feedback_keyframe(ssrc);
                    }
                }
                RtcpPacket::TransportCc(feedback) => {
                    if let Some(fast) = &mut self.fast {
                        fast.on_transport_feedback(now, &feedback);
                    }
                }
                // A subscriber's REMB (we follow its TWCC feedback), SDES,
                // BYE, XR: nothing to do.
                _ => {}
            }
        }
    }

    fn reception(&mut self, arrival: u32, block: &ReportBlock) {
        self.push_reception(
            arrival,
            block.ssrc,
            block.fraction_lost,
            block.jitter,
            block.last_sr,
            block.delay_since_last_sr,
        );
    }
}
