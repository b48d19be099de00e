//! The harness's SRTP fast path (issue 17, item 4): the generator must
//! cost less per packet than the server it measures, and `rtc`'s generic
//! pipeline (interceptors, handler queues, a packet struct per RTP packet)
//! cost about 13 µs a packet. So once DTLS is up, media skips that
//! pipeline both ways, as the server's own fast path does
//! (`sfu/src/engine/fast.rs` and `fast_send.rs`, the model):
//!
//! - **Send.** A packet is written with [`sfu::wire::rtp::write_rtp`]
//!   (our SSRC, the negotiated payload type, no extensions, as `rtc` wrote
//!   them), protected in place with the pipeline's own SRTP context
//!   (`RTCPeerConnection::srtp_contexts`, a patch of ours) and queued for
//!   the address the server's DTLS and SRTP come from. Video packets stay
//!   in a ring of 1024, as in `rtc`'s NACK responder, so a NACK from the
//!   server is answered by sending the same protected packet again.
//! - **Receive.** An SRTP datagram whose SSRC is a route is decrypted in
//!   place with the pipeline's context and its payload read where it lies.
//!   Routes are learned from `rtc`: the first packets of a track still go
//!   through it, which raises the track; its first packet names the SSRC.
//!   A packet that does not decrypt is dropped (never handed to `rtc`: its
//!   buffer is then undefined and the replay window would count it twice).
//! - **Feedback.** What `rtc`'s interceptors did for those packets comes
//!   from [`sfu::feedback::PeerFeedback`], as on the server: transport-wide
//!   congestion control feedback (every RTP datagram counts, whichever way
//!   it goes), NACKs for lost video, receiver reports, and sender reports
//!   for our own tracks, protected with the pipeline's SRTCP context.
//! - **RTCP in.** The server's SRTCP is decrypted and read here too
//!   ([`sfu::wire::rtcp`]): PLI and FIR ask for a keyframe, NACKs are
//!   answered from the ring, an SR is the LSR of our next receiver report.
//!   `rtc` never handed inbound RTCP to us: its interceptor chain ends in a
//!   terminus that delivers it only when an interceptor marks it, and none
//!   of the default ones does.
//!
//! `rtc`'s interceptors stay registered (testkit builds the peer): they see
//! only the packets that went through `rtc`, so after the switch its
//! receiver reports about the routed SSRCs are stale (no new packets, no
//! loss) beside ours, and its NACK generator and TWCC receiver fall silent.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use bytes::{Bytes, BytesMut};
use rtc::peer_connection::RTCPeerConnection;
use rtc::rtp_transceiver::rtp_sender::RtpCodecKind;
use rtc::sdp::extmap::TRANSPORT_CC_URI;
use sfu::feedback::{FeedbackConfig, PeerFeedback};
use sfu::wire::rtcp::{self, RtcpPacket};
use sfu::wire::rtp::{RtpHeader, RtpView, is_rtcp, is_rtp, write_rtp};

/// SRTP's authentication tag at most (AES-CM with HMAC-SHA1-80: 10; GCM: 16).
const MAX_TAG_LEN: usize = 16;
/// The fixed RTP header (we write no CSRCs and no extensions).
const HEADER_LEN: usize = 12;
/// Sent video packets kept for NACKs, as `rtc`'s NACK responder kept them.
const RESEND_SLOTS: usize = 1024;
/// Seconds from the NTP epoch (1900) to the Unix epoch (1970).
const NTP_UNIX_OFFSET: u64 = 2_208_988_800;

/// One of our sending tracks, as the fast path writes it.
#[derive(Debug, Default)]
struct SendTrack {
    /// The negotiated payload type (stable once negotiated).
    payload_type: Option<u8>,
    /// Our sender reports describe it.
    reported: bool,
}

/// What became of a datagram offered to [`FastPath::receive`].
pub(crate) enum Received<'a> {
    /// Not for the fast path: give it to `rtc`.
    NotTaken,
    /// On a route, but it did not decrypt or parse: dropped.
    Refused,
    /// A decrypted packet on `track_id` (the `rtc` track id).
    Rtp {
        track_id: &'a str,
        payload: &'a [u8],
    },
    /// An SRTCP compound from the server, read here: how many keyframe
    /// requests (PLI, FIR) and NACKs it held. NACKs are answered and SRs
    /// noted already.
    Rtcp { keyframe_requests: u64, nacks: u64 },
}

/// Packets the fast path handled, since the peer was made.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct FastCounts {
    pub sent: u64,
    pub received: u64,
    pub refused: u64,
    pub resent: u64,
}

pub(crate) struct FastPath {
    /// Where the server's DTLS and SRTP come from: ours goes there.
    remote: Option<SocketAddr>,
    /// Received SSRCs and their `rtc` track ids.
    routes: HashMap<u32, String>,
    feedback: PeerFeedback,
    /// The transport-wide sequence number's extension id, as negotiated.
    transport_cc_ext_id: Option<u8>,
    /// Audio, then video.
    tracks: [SendTrack; 2],
    /// Our video SSRC and its last protected packets, by sequence number.
    video_ssrc: Option<u32>,
    resend: Vec<Option<(u16, Bytes)>>,
    /// Protected datagrams, for `poll_transmit`.
    out: VecDeque<(SocketAddr, Bytes)>,
    /// A received datagram, decrypted in place (reused).
    scratch: BytesMut,
    pub(crate) counts: FastCounts,
}

impl FastPath {
    pub(crate) fn new() -> Self {
        FastPath {
            remote: None,
            routes: HashMap::new(),
            feedback: PeerFeedback::new(FeedbackConfig {
                sender_ssrc: rand::random(),
                ..FeedbackConfig::default()
            }),
            transport_cc_ext_id: None,
            tracks: Default::default(),
            video_ssrc: None,
            resend: Vec::new(),
            out: VecDeque::new(),
            scratch: BytesMut::with_capacity(2048),
            counts: FastCounts::default(),
        }
    }

    /// After a negotiation: the transport-wide sequence number's id in the
    /// remote description (the same on every m-line, as BUNDLE requires).
    pub(crate) fn negotiated(&mut self, pc: &RTCPeerConnection) {
        if let Some(id) = pc
            .remote_description()
            .and_then(|d| extmap_id(&d.sdp, TRANSPORT_CC_URI))
        {
            self.transport_cc_ext_id = Some(id);
        }
    }

    /// `rtc` delivered a packet of `ssrc` on `track_id`: from now on that
    /// SSRC takes the fast route. If it already did, the packet was a
    /// repair `rtc` unwrapped from RTX: no longer missing.
    pub(crate) fn learn(
        &mut self,
        now: Instant,
        ssrc: u32,
        sequence_number: u16,
        track_id: &str,
        kind: RtpCodecKind,
    ) {
        if self.routes.contains_key(&ssrc) {
            self.feedback.on_repaired(ssrc, sequence_number);
            return;
        }
        let video = kind == RtpCodecKind::Video;
        self.feedback
            .add_receive_stream(now, ssrc, clock_rate(kind), video);
        self.routes.insert(ssrc, track_id.to_owned());
    }

    /// Takes an RTP datagram off `rtc`'s hands when its SSRC is a route and
    /// DTLS is up. Every RTP datagram counts for the feedback.
    pub(crate) fn receive(
        &mut self,
        now: Instant,
        pc: &mut RTCPeerConnection,
        from: SocketAddr,
        data: &[u8],
    ) -> Received<'_> {
        // STUN (first byte 0..=3) may come from any of the server's
        // candidates; DTLS and SRTP come from the selected one.
        if data.first().is_some_and(|&b| b >= 20) {
            self.remote = Some(from);
        }
        if is_rtcp(data) {
            return self.receive_rtcp(now, pc, data);
        }
        if !is_rtp(data) {
            return Received::NotTaken;
        }
        let Some(header) = RtpView::parse_protected(data) else {
            return Received::NotTaken;
        };
        let ssrc = header.ssrc();
        let transport_seq = transport_seq(self.transport_cc_ext_id, &header);
        let (Some(track_id), Some((_, remote))) = (self.routes.get(&ssrc), pc.srtp_contexts())
        else {
            // `rtc` takes it (the first packets of a track, RTX, or an SSRC
            // it will drop); the feedback still counts it.
            self.feedback.on_rtp(
                now,
                ssrc,
                header.sequence_number(),
                header.timestamp(),
                transport_seq,
            );
            return Received::NotTaken;
        };
        self.scratch.clear();
        self.scratch.extend_from_slice(data);
        if remote.decrypt_rtp_in_place(&mut self.scratch).is_err() {
            self.counts.refused += 1;
            return Received::Refused;
        }
        let Some(packet) = RtpView::parse(&self.scratch) else {
            self.counts.refused += 1;
            return Received::Refused;
        };
        self.feedback.on_rtp(
            now,
            ssrc,
            packet.sequence_number(),
            packet.timestamp(),
            transport_seq,
        );
        self.counts.received += 1;
        Received::Rtp {
            track_id,
            payload: packet.payload(),
        }
    }

    /// Decrypts and reads an SRTCP compound from the server once DTLS is
    /// up. `rtc` would keep it from us: its interceptor chain ends in a
    /// terminus that delivers inbound RTCP to the application only when an
    /// interceptor marks it, and none of the default ones does (its NACK
    /// responder answered from its own history, which holds only what
    /// `rtc` sent).
    fn receive_rtcp(
        &mut self,
        now: Instant,
        pc: &mut RTCPeerConnection,
        data: &[u8],
    ) -> Received<'_> {
        let Some((_, remote)) = pc.srtp_contexts() else {
            return Received::NotTaken;
        };
        let Ok(plain) = remote.decrypt_rtcp(data) else {
            self.counts.refused += 1;
            return Received::Refused;
        };
        let (mut keyframe_requests, mut nacks) = (0, 0);
        // A framing error ends the walk; a malformed packet inside is
        // skipped.
        for packet in rtcp::packets(&plain).flatten() {
            match packet {
                RtcpPacket::Pli(_) | RtcpPacket::Fir(_) => keyframe_requests += 1,
                RtcpPacket::Nack(nack) => {
                    nacks += 1;
                    self.on_nack(nack.media_ssrc, nack.lost_sequence_numbers());
                }
                RtcpPacket::SenderReport(sr) => {
                    self.feedback
                        .on_sender_report(now, sr.sender_ssrc(), sr.ntp_timestamp());
                }
                // Reports about our streams, REMB, SDES, BYE: nothing to do.
                _ => {}
            }
        }
        Received::Rtcp {
            keyframe_requests,
            nacks,
        }
    }

    /// Writes, protects and queues one packet on our `kind` track. `None`
    /// when it must take `rtc`'s path (not connected, no destination, not
    /// negotiated yet); `Some(false)` when the SRTP context refused it.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn send(
        &mut self,
        now: Instant,
        rtc: &mut testkit::Peer,
        kind: RtpCodecKind,
        marker: bool,
        sequence_number: u16,
        timestamp: u32,
        payload: &[u8],
    ) -> Option<bool> {
        let to = self.remote.filter(|_| rtc.connected)?;
        let (index, sender) = match kind {
            RtpCodecKind::Audio => (0, rtc.audio.as_ref()),
            _ => (1, rtc.video.as_ref()),
        };
        let ssrc = sender?.ssrc;
        let payload_type = match self.tracks[index].payload_type {
            Some(payload_type) => payload_type,
            None => {
                let payload_type = rtc.payload_type(kind)?;
                self.tracks[index].payload_type = Some(payload_type);
                payload_type
            }
        };
        let (local, _) = rtc.pc.srtp_contexts()?;
        let mut buf = BytesMut::with_capacity(HEADER_LEN + payload.len() + MAX_TAG_LEN);
        let header = RtpHeader {
            marker,
            payload_type,
            sequence_number,
            timestamp,
            ssrc,
        };
        write_rtp(&mut buf, &header, &[], payload).ok()?;
        let track = &mut self.tracks[index];
        if !track.reported {
            track.reported = true;
            self.feedback.add_send_stream(now, ssrc, clock_rate(kind));
        }
        self.feedback.on_sent(now, ssrc, timestamp, payload.len());
        if local.encrypt_rtp_in_place(&mut buf).is_err() {
            return Some(false);
        }
        let buf = buf.freeze();
        if index == 1 {
            if self.resend.is_empty() {
                self.resend.resize(RESEND_SLOTS, None);
            }
            self.video_ssrc = Some(ssrc);
            self.resend[usize::from(sequence_number) % RESEND_SLOTS] =
                Some((sequence_number, buf.clone()));
        }
        self.out.push_back((to, buf));
        self.counts.sent += 1;
        Some(true)
    }

    /// The server NACKed `lost` of `media_ssrc`: the packets of ours still
    /// in the ring go out again, as they went the first time.
    fn on_nack(&mut self, media_ssrc: u32, lost: impl IntoIterator<Item = u16>) {
        let (Some(to), Some(video)) = (self.remote, self.video_ssrc) else {
            return;
        };
        if media_ssrc != video {
            return;
        }
        for seq in lost {
            if let Some((sent, packet)) = &self.resend[usize::from(seq) % RESEND_SLOTS]
                && *sent == seq
            {
                self.out.push_back((to, packet.clone()));
                self.counts.resent += 1;
            }
        }
    }

    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        self.feedback.poll_timeout()
    }

    /// Runs the feedback tick if it is due; what it writes is protected
    /// and queued for the server.
    pub(crate) fn handle_timeout(&mut self, now: Instant, pc: &mut RTCPeerConnection) {
        if self.feedback.poll_timeout().is_none_or(|due| due > now) {
            return;
        }
        let ntp = ntp_now();
        let (Some(to), Some((local, _))) = (self.remote, pc.srtp_contexts()) else {
            // Nobody to tell yet; the tick still runs, so nothing piles up.
            self.feedback.handle_timeout(now, ntp, |_| {});
            return;
        };
        let out = &mut self.out;
        self.feedback.handle_timeout(now, ntp, |compound| {
            if let Ok(protected) = local.encrypt_rtcp(compound) {
                out.push_back((to, protected.freeze()));
            }
        });
    }

    pub(crate) fn poll_transmit(&mut self) -> Option<(SocketAddr, Bytes)> {
        self.out.pop_front()
    }
}

fn clock_rate(kind: RtpCodecKind) -> u32 {
    match kind {
        RtpCodecKind::Audio => 48_000,
        _ => 90_000,
    }
}

fn transport_seq(id: Option<u8>, header: &RtpView<'_>) -> Option<u16> {
    let value = header.extension(id?)?;
    Some(u16::from_be_bytes(value.get(..2)?.try_into().ok()?))
}

/// The id of header extension `uri` in an SDP (`a=extmap:<id>[/<dir>] <uri>`).
pub(crate) fn extmap_id(sdp: &str, uri: &str) -> Option<u8> {
    sdp.lines().find_map(|line| {
        let rest = line.strip_prefix("a=extmap:")?;
        let (id, rest) = rest.split_once(' ')?;
        let id = id.split('/').next()?;
        (rest.split_whitespace().next()? == uri)
            .then(|| id.parse().ok())
            .flatten()
    })
}

/// Now as a 64-bit NTP timestamp: seconds since 1900, and the fraction.
fn ntp_now() -> u64 {
    let since_unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let seconds = since_unix.as_secs() + NTP_UNIX_OFFSET;
    let fraction = (u64::from(since_unix.subsec_nanos()) << 32) / 1_000_000_000;
    (seconds << 32) | fraction
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_extension_id_from_an_sdp() {
        let sdp = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n\
                   a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n\
                   a=extmap:5/recvonly http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n";
        assert_eq!(extmap_id(sdp, TRANSPORT_CC_URI), Some(5));
        assert_eq!(extmap_id("v=0\r\n", TRANSPORT_CC_URI), None);
    }

    #[test]
    fn ntp_time_is_after_1900_by_the_unix_offset() {
        let ntp = ntp_now();
        let unix = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert!((ntp >> 32).abs_diff(unix + NTP_UNIX_OFFSET) <= 1);
    }
}
