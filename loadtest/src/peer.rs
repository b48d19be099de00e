//! One simulated participant's WebRTC side, on webrtc-rs's sans-IO `rtc`
//! core, as a browser does it: full ICE (controlling) against the SFU's
//! ICE-lite, DTLS, SRTP, an Opus and a VP8 sending track, and whatever the
//! SFU offers to receive. The worker thread feeds it datagrams and time and
//! takes out datagrams; this file does the media and the counting.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use rtc::interceptor::Registry;
use rtc::media_stream::MediaStreamTrack;
use rtc::peer_connection::configuration::RTCConfigurationBuilder;
use rtc::peer_connection::configuration::interceptor_registry::register_default_interceptors;
use rtc::peer_connection::configuration::media_engine::{
    MIME_TYPE_OPUS, MIME_TYPE_VP8, MediaEngine,
};
use rtc::peer_connection::event::{RTCPeerConnectionEvent, RTCTrackEvent};
use rtc::peer_connection::message::RTCMessage;
use rtc::peer_connection::sdp::RTCSessionDescription;
use rtc::peer_connection::state::RTCPeerConnectionState;
use rtc::peer_connection::transport::{CandidateConfig, CandidateHostConfig, RTCIceCandidate};
use rtc::peer_connection::{RTCPeerConnection, RTCPeerConnectionBuilder};
use rtc::rtcp::payload_feedbacks::full_intra_request::FullIntraRequest;
use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtc::rtcp::transport_feedbacks::transport_layer_nack::TransportLayerNack;
use rtc::rtp_transceiver::RTCRtpSenderId;
use rtc::rtp_transceiver::rtp_sender::{
    RTCRtpCodec, RTCRtpCodingParameters, RTCRtpEncodingParameters, RtpCodecKind,
};
use rtc::sansio::Protocol;
use rtc::shared::{TaggedBytesMut, TransportContext, TransportProtocol};

use crate::payload::{self, Stamp, VideoShape};
use crate::stats::TrackStats;

/// What a publisher sends.
#[derive(Debug, Clone, Copy)]
pub struct MediaPlan {
    pub audio: bool,
    pub video: Option<VideoShape>,
    pub opus_bytes: usize,
}

/// Counters a worker adds up across its peers.
#[derive(Debug, Default, Clone)]
pub struct PeerCounters {
    pub rtp_sent: u64,
    pub plis_received: u64,
    pub nacks_received: u64,
    pub keyframes_sent: u64,
}

struct Sender {
    id: RTCRtpSenderId,
    ssrc: u32,
    payload_type: Option<u8>,
    seq: u16,
    stamp_seq: u32,
    timestamp: u32,
    next_at: Instant,
}

pub struct Peer {
    pub pc: RTCPeerConnection,
    pub local: SocketAddr,
    pub connected: bool,
    pub failed: bool,
    plan: MediaPlan,
    audio: Option<Sender>,
    video: Option<Sender>,
    frames: u32,
    keyframe_requested: bool,
    /// Received tracks by rtc track id: kind and counts.
    pub received: HashMap<String, (RtpCodecKind, TrackStats)>,
    /// Latency samples (µs) since the worker last took them.
    pub latencies: Vec<u64>,
    pub counters: PeerCounters,
    /// When the signaling websocket opened, and the first remote media.
    pub opened_at: Instant,
    pub first_media_at: Option<Instant>,
}

fn track(
    kind: RtpCodecKind,
    mime: &str,
    clock: u32,
    channels: u16,
    ssrc: u32,
    name: &str,
) -> MediaStreamTrack {
    MediaStreamTrack::new(
        format!("stream-{ssrc}"),
        format!("{name}-{ssrc}"),
        name.to_owned(),
        kind,
        vec![RTCRtpEncodingParameters {
            rtp_coding_parameters: RTCRtpCodingParameters {
                ssrc: Some(ssrc),
                ..Default::default()
            },
            codec: RTCRtpCodec {
                mime_type: mime.to_owned(),
                clock_rate: clock,
                channels,
                ..Default::default()
            },
            ..Default::default()
        }],
    )
}

/// An `rtc` peer connection with the default codecs and interceptors
/// (NACK responder, RTCP reports, TWCC) and a host candidate at `local`.
fn build_pc(local: SocketAddr, now: Instant) -> anyhow::Result<RTCPeerConnection> {
    let mut media_engine = MediaEngine::default();
    media_engine.register_default_codecs()?;
    let registry = register_default_interceptors(Registry::new(), &mut media_engine)?;
    let mut pc = RTCPeerConnectionBuilder::new()
        .with_configuration(RTCConfigurationBuilder::new().build())
        .with_media_engine(media_engine)
        .with_interceptor_registry(registry)
        .build(now)?;
    let candidate = CandidateHostConfig {
        base_config: CandidateConfig {
            network: "udp".to_owned(),
            address: local.ip().to_string(),
            port: local.port(),
            component: 1,
            ..Default::default()
        },
        ..Default::default()
    }
    .new_candidate_host()?;
    pc.add_local_candidate(RTCIceCandidate::from(&candidate).to_json()?)?;
    Ok(pc)
}

/// The `(mid, kind)` of every m-line, from an SDP.
pub fn mids(sdp: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut kind = None;
    for line in sdp.lines() {
        if let Some(rest) = line.strip_prefix("m=") {
            kind = rest.split(' ').next().map(str::to_owned);
        } else if let (Some(mid), Some(k)) = (line.strip_prefix("a=mid:"), &kind) {
            out.push((mid.trim().to_owned(), k.clone()));
        }
    }
    out
}

impl Peer {
    /// Builds the peer and its first offer (returned with the tracks it
    /// publishes, as the signaling protocol wants them).
    pub fn new(
        local: SocketAddr,
        plan: MediaPlan,
        ssrc_base: u32,
        now: Instant,
        opened_at: Instant,
    ) -> anyhow::Result<(Peer, String)> {
        let mut pc = build_pc(local, now)?;
        let sender = |id, ssrc| Sender {
            id,
            ssrc,
            payload_type: None,
            seq: rand::random(),
            stamp_seq: 0,
            timestamp: rand::random(),
            // Spread publishers over the packet interval.
            next_at: now + Duration::from_micros(rand::random_range(0..20_000)),
        };
        let audio = if plan.audio {
            let id = pc.add_track(track(
                RtpCodecKind::Audio,
                MIME_TYPE_OPUS,
                48_000,
                2,
                ssrc_base,
                "mic",
            ))?;
            Some(sender(id, ssrc_base))
        } else {
            None
        };
        let video = if plan.video.is_some() {
            let id = pc.add_track(track(
                RtpCodecKind::Video,
                MIME_TYPE_VP8,
                90_000,
                0,
                ssrc_base + 1,
                "camera",
            ))?;
            Some(sender(id, ssrc_base + 1))
        } else {
            None
        };
        let offer = pc.create_offer(None)?;
        pc.set_local_description(now, offer)?;
        let sdp = pc
            .local_description()
            .ok_or_else(|| anyhow::anyhow!("no local description"))?
            .sdp;
        Ok((Peer::with(pc, local, plan, audio, video, opened_at), sdp))
    }

    fn with(
        pc: RTCPeerConnection,
        local: SocketAddr,
        plan: MediaPlan,
        audio: Option<Sender>,
        video: Option<Sender>,
        opened_at: Instant,
    ) -> Peer {
        Peer {
            pc,
            local,
            connected: false,
            failed: false,
            plan,
            audio,
            video,
            frames: 0,
            keyframe_requested: false,
            received: HashMap::new(),
            latencies: Vec::new(),
            counters: PeerCounters::default(),
            opened_at,
            first_media_at: None,
        }
    }

    /// A receive-only peer answering a server's offer (Janus subscriber
    /// legs: the server offers what it sends).
    pub fn answering(
        local: SocketAddr,
        now: Instant,
        opened_at: Instant,
        offer: String,
    ) -> anyhow::Result<(Peer, String)> {
        let plan = MediaPlan {
            audio: false,
            video: None,
            opus_bytes: 0,
        };
        let mut peer = Peer::with(build_pc(local, now)?, local, plan, None, None, opened_at);
        let answer = peer.answer_offer(now, offer)?;
        Ok((peer, answer))
    }

    pub fn apply_answer(&mut self, now: Instant, sdp: String) -> anyhow::Result<()> {
        self.pc
            .set_remote_description(now, RTCSessionDescription::answer(sdp)?)?;
        Ok(())
    }

    /// A server offer (new subscriptions): returns our answer.
    pub fn answer_offer(&mut self, now: Instant, sdp: String) -> anyhow::Result<String> {
        self.pc
            .set_remote_description(now, RTCSessionDescription::offer(sdp)?)?;
        let answer = self.pc.create_answer(None)?;
        self.pc.set_local_description(now, answer)?;
        Ok(self
            .pc
            .local_description()
            .ok_or_else(|| anyhow::anyhow!("no local description"))?
            .sdp)
    }

    pub fn handle_datagram(&mut self, now: Instant, from: SocketAddr, data: &[u8]) {
        let _ = self.pc.handle_read(TaggedBytesMut {
            now,
            transport: TransportContext {
                local_addr: self.local,
                peer_addr: from,
                ecn: None,
                transport_protocol: TransportProtocol::UDP,
            },
            message: BytesMut::from(data),
        });
    }

    /// When the next packet of ours is due.
    pub fn next_media_at(&self) -> Option<Instant> {
        if !self.connected {
            return None;
        }
        [self.audio.as_ref(), self.video.as_ref()]
            .into_iter()
            .flatten()
            .map(|s| s.next_at)
            .min()
    }

    /// Sends every packet due by `now`, stamped with `clock_us`.
    pub fn send_due(&mut self, now: Instant, clock_us: u64) {
        if !self.connected {
            return;
        }
        let opus_bytes = self.plan.opus_bytes;
        if let Some(audio) = self.audio.as_mut() {
            while audio.next_at <= now {
                let stamp = Stamp {
                    sent_us: clock_us,
                    seq: audio.stamp_seq,
                };
                audio.stamp_seq += 1;
                let packet = payload::opus_packet(opus_bytes, stamp);
                write(
                    &mut self.pc,
                    audio,
                    now,
                    packet,
                    MIME_TYPE_OPUS,
                    &mut self.counters,
                );
                audio.timestamp = audio.timestamp.wrapping_add(960);
                audio.next_at += Duration::from_millis(20);
            }
        }
        if let (Some(video), Some(shape)) = (self.video.as_mut(), self.plan.video) {
            let interval = Duration::from_micros(1_000_000 / shape.fps.max(1) as u64);
            while video.next_at <= now {
                let keyframe = self.keyframe_requested
                    || self
                        .frames
                        .is_multiple_of(shape.keyframe_interval_frames.max(1));
                self.keyframe_requested = false;
                if keyframe {
                    self.counters.keyframes_sent += 1;
                }
                let packets = payload::vp8_frame(
                    shape.frame_len(keyframe),
                    keyframe,
                    Stamp {
                        sent_us: clock_us,
                        seq: video.stamp_seq,
                    },
                );
                video.stamp_seq += packets.len() as u32;
                for packet in packets {
                    write(
                        &mut self.pc,
                        video,
                        now,
                        packet,
                        MIME_TYPE_VP8,
                        &mut self.counters,
                    );
                }
                video.timestamp = video.timestamp.wrapping_add(90_000 / shape.fps.max(1));
                video.next_at += interval;
                self.frames += 1;
            }
        }
    }

    /// Takes events and received media out of the peer.
    pub fn drain(&mut self, now: Instant, clock_us: u64) {
        while let Some(event) = self.pc.poll_event() {
            match event {
                RTCPeerConnectionEvent::OnConnectionStateChangeEvent(state) => match state {
                    RTCPeerConnectionState::Connected => self.connected = true,
                    RTCPeerConnectionState::Failed | RTCPeerConnectionState::Closed => {
                        self.connected = false;
                        self.failed = true;
                    }
                    _ => {}
                },
                RTCPeerConnectionEvent::OnTrack(RTCTrackEvent::OnOpen(init)) => {
                    let kind = self
                        .pc
                        .rtp_receiver(init.receiver_id)
                        .map(|r| r.track().kind())
                        .unwrap_or(RtpCodecKind::Unspecified);
                    self.received
                        .entry(init.track_id.clone())
                        .or_insert((kind, TrackStats::default()));
                }
                _ => {}
            }
        }
        while let Some(message) = self.pc.poll_read() {
            match message.message {
                RTCMessage::RtpPacket(track_id, packet) => {
                    let Some(stamp) = Stamp::read(&packet.payload) else {
                        continue;
                    };
                    self.first_media_at.get_or_insert(now);
                    let entry = self
                        .received
                        .entry(track_id)
                        .or_insert((RtpCodecKind::Unspecified, TrackStats::default()));
                    if let Some(latency) =
                        entry
                            .1
                            .record(stamp.seq, stamp.sent_us, clock_us, packet.payload.len())
                    {
                        self.latencies.push(latency);
                    }
                }
                RTCMessage::RtcpPacket(_, packets) => {
                    for packet in &packets {
                        let any = packet.as_any();
                        if any.downcast_ref::<PictureLossIndication>().is_some()
                            || any.downcast_ref::<FullIntraRequest>().is_some()
                        {
                            self.counters.plis_received += 1;
                            self.keyframe_requested = true;
                        } else if any.downcast_ref::<TransportLayerNack>().is_some() {
                            self.counters.nacks_received += 1;
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

fn write(
    pc: &mut RTCPeerConnection,
    sender: &mut Sender,
    now: Instant,
    packet: payload::Outgoing,
    mime: &str,
    counters: &mut PeerCounters,
) {
    let Some(mut s) = pc.rtp_sender(sender.id) else {
        return;
    };
    let payload_type = match sender.payload_type {
        Some(pt) => pt,
        None => {
            let Some(pt) = s
                .get_parameters()
                .rtp_parameters
                .codecs
                .iter()
                .find(|c| c.rtp_codec.mime_type.eq_ignore_ascii_case(mime))
                .map(|c| c.payload_type)
            else {
                return;
            };
            sender.payload_type = Some(pt);
            pt
        }
    };
    let rtp = rtc::rtp::Packet {
        header: rtc::rtp::Header {
            version: 2,
            marker: packet.marker,
            payload_type,
            sequence_number: sender.seq,
            timestamp: sender.timestamp,
            ssrc: sender.ssrc,
            ..Default::default()
        },
        payload: packet.payload,
    };
    sender.seq = sender.seq.wrapping_add(1);
    if s.write_rtp(now, rtp).is_ok() {
        counters.rtp_sent += 1;
    }
}
