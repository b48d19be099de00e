//! An in-memory network for the sans-IO core: [`Sfu`] and client peer
//! connections (webrtc-rs `rtc`, full ICE) exchange datagrams through
//! queues, under a fake clock the test advances. No socket, no thread.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use rtc::interceptor::Registry;
use rtc::media_stream::MediaStreamTrack;
use rtc::peer_connection::configuration::RTCConfigurationBuilder;
use rtc::peer_connection::configuration::interceptor_registry::register_default_interceptors;
use rtc::peer_connection::configuration::media_engine::{
    MIME_TYPE_H264, MIME_TYPE_OPUS, MIME_TYPE_VP8, MediaEngine,
};
use rtc::peer_connection::event::RTCPeerConnectionEvent;
use rtc::peer_connection::message::RTCMessage;
use rtc::peer_connection::sdp::RTCSessionDescription;
use rtc::peer_connection::state::RTCPeerConnectionState;
use rtc::peer_connection::transport::{CandidateConfig, CandidateHostConfig, RTCIceCandidate};
use rtc::peer_connection::{RTCPeerConnection, RTCPeerConnectionBuilder};
use rtc::rtp_transceiver::RTCRtpSenderId;
use rtc::rtp_transceiver::rtp_sender::{
    RTCRtpCodec, RTCRtpCodingParameters, RTCRtpEncodingParameters, RTCRtpHeaderExtensionCapability,
    RtpCodecKind,
};
use rtc::sansio::Protocol;
use rtc::shared::{TaggedBytesMut, TransportContext, TransportProtocol};
use serde_json::Value;
use sfu::core::{ParticipantKey, Sfu, SfuConfig};
use sfu::signal::{FromParticipant, MediaKind, PublishedTrackSpec, ToParticipant};

pub const SERVER: &str = "127.0.0.1:50000";
const AUDIO_LEVEL_URI: &str = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";

pub struct Client {
    pub identity: String,
    pub sid: String,
    pub key: ParticipantKey,
    pub addr: SocketAddr,
    pub pc: RTCPeerConnection,
    pub audio: RTCRtpSenderId,
    pub video: RTCRtpSenderId,
    audio_ssrc: u32,
    video_ssrc: u32,
    /// When false, the network drops everything to and from this client
    /// (a laptop lid closed, a tab killed).
    pub online: bool,
    pub connected: bool,
    /// Packets received, in arrival order.
    pub received: Vec<Received>,
    /// The next this-many RTP datagrams with this payload type to this
    /// client are lost (SRTP leaves the header in the clear).
    pub lose_rtp: Option<(u8, usize)>,
    /// The same, on the way from this client to the SFU.
    pub lose_rtp_upstream: Option<(u8, usize)>,
    video_mime: String,
    /// RFC 6464 level (0 loud … 127 silent) put on outgoing audio.
    pub audio_level: Option<u8>,
    /// What the SFU told this client (JSON, as on the wire).
    pub signals: Vec<Value>,
    pub closed: bool,
    track_kinds: Vec<(String, RtpCodecKind)>,
}

pub struct Net {
    pub now: Instant,
    pub sfu: Sfu,
    pub clients: Vec<Client>,
    server: SocketAddr,
}

impl Net {
    pub fn new(config: SfuConfig) -> Net {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
        let now = Instant::now();
        let server: SocketAddr = SERVER.parse().unwrap();
        Net {
            now,
            sfu: Sfu::new(
                SfuConfig {
                    bind: server,
                    ..config
                },
                now,
            ),
            clients: Vec::new(),
            server,
        }
    }

    /// Joins a client that publishes Opus and VP8, negotiates, and connects.
    pub fn join(&mut self, room: &str, identity: &str) -> usize {
        self.join_with(room, identity, MIME_TYPE_VP8)
    }

    /// Joins a client whose camera sends `video_mime` (VP8 or H.264); it can
    /// also send RFC 6464 audio levels ([`Client::audio_level`]).
    pub fn join_with(&mut self, room: &str, identity: &str, video_mime: &str) -> usize {
        let joined = self.sfu.join(self.now, room, identity).expect("join");
        let index = self.clients.len();
        let addr: SocketAddr = format!("127.0.0.1:{}", 40_000 + index).parse().unwrap();
        let mut media_engine = MediaEngine::default();
        media_engine.register_default_codecs().unwrap();
        media_engine
            .register_header_extension(
                RTCRtpHeaderExtensionCapability {
                    uri: AUDIO_LEVEL_URI.to_owned(),
                },
                RtpCodecKind::Audio,
                None,
            )
            .unwrap();
        let registry = register_default_interceptors(Registry::new(), &mut media_engine).unwrap();
        let mut pc = RTCPeerConnectionBuilder::new()
            .with_configuration(RTCConfigurationBuilder::new().build())
            .with_media_engine(media_engine)
            .with_interceptor_registry(registry)
            .build(self.now)
            .unwrap();
        let candidate = CandidateHostConfig {
            base_config: CandidateConfig {
                network: "udp".to_owned(),
                address: addr.ip().to_string(),
                port: addr.port(),
                component: 1,
                ..Default::default()
            },
            ..Default::default()
        }
        .new_candidate_host()
        .unwrap();
        pc.add_local_candidate(RTCIceCandidate::from(&candidate).to_json().unwrap())
            .unwrap();
        let audio_ssrc = 1000 + index as u32;
        let video_ssrc = 2000 + index as u32;
        let audio = pc
            .add_track(track(
                RtpCodecKind::Audio,
                MIME_TYPE_OPUS,
                48_000,
                2,
                audio_ssrc,
                "mic",
            ))
            .unwrap();
        let video = pc
            .add_track(track(
                RtpCodecKind::Video,
                video_mime,
                90_000,
                0,
                video_ssrc,
                "camera",
            ))
            .unwrap();
        let offer = pc.create_offer(None).unwrap();
        pc.set_local_description(self.now, offer).unwrap();
        let sdp = pc.local_description().unwrap().sdp;
        let tracks = mids(&sdp)
            .into_iter()
            .map(|(mid, kind)| PublishedTrackSpec {
                mid,
                name: if kind == "audio" {
                    "mic".into()
                } else {
                    "camera".into()
                },
                kind: if kind == "audio" {
                    MediaKind::Audio
                } else {
                    MediaKind::Video
                },
                enabled: true,
            })
            .collect();
        self.clients.push(Client {
            identity: identity.to_owned(),
            sid: joined.participant_sid.clone(),
            key: joined.participant,
            addr,
            pc,
            audio,
            video,
            audio_ssrc,
            video_ssrc,
            online: true,
            connected: false,
            received: Vec::new(),
            lose_rtp: None,
            lose_rtp_upstream: None,
            video_mime: video_mime.to_owned(),
            audio_level: None,
            signals: Vec::new(),
            closed: false,
            track_kinds: Vec::new(),
        });
        self.sfu.handle_signal(
            self.now,
            joined.participant,
            FromParticipant::Offer { sdp, tracks },
        );
        self.run_for(Duration::from_millis(500));
        assert!(self.clients[index].connected, "{identity} connected");
        index
    }

    /// Advances the fake clock in 5 ms steps, moving every datagram and
    /// message and firing every timer on the way.
    pub fn run_for(&mut self, duration: Duration) {
        let end = self.now + duration;
        while self.now < end {
            self.pump();
            self.now += Duration::from_millis(5);
            self.sfu.handle_timeout(self.now);
            for c in &mut self.clients {
                if !c.closed {
                    let _ = c.pc.handle_timeout(self.now);
                }
            }
        }
        self.pump();
    }

    /// Moves everything that is ready until nothing moves.
    pub fn pump(&mut self) {
        loop {
            let mut moved = false;
            for i in 0..self.clients.len() {
                while let Some(out) = self.clients[i].pc.poll_write() {
                    moved = true;
                    if loses(&mut self.clients[i].lose_rtp_upstream, &out.message) {
                        continue;
                    }
                    if self.clients[i].online && !self.clients[i].closed {
                        let from = self.clients[i].addr;
                        self.sfu
                            .handle_datagram(self.now, from, self.server, out.message);
                    }
                }
            }
            while let Some(transmit) = self.sfu.poll_transmit() {
                moved = true;
                if let Some(c) = self.clients.iter_mut().find(|c| c.addr == transmit.to)
                    && c.online
                    && !c.closed
                {
                    if loses(&mut c.lose_rtp, &transmit.data) {
                        continue;
                    }
                    let _ = c.pc.handle_read(TaggedBytesMut {
                        now: self.now,
                        transport: TransportContext {
                            local_addr: c.addr,
                            peer_addr: self.server,
                            ecn: None,
                            transport_protocol: TransportProtocol::UDP,
                        },
                        message: transmit.data,
                    });
                }
            }
            while let Some((key, message)) = self.sfu.poll_event() {
                moved = true;
                self.deliver(key, message);
            }
            for c in &mut self.clients {
                while let Some(event) = c.pc.poll_event() {
                    moved = true;
                    match event {
                        RTCPeerConnectionEvent::OnConnectionStateChangeEvent(
                            RTCPeerConnectionState::Connected,
                        ) => {
                            c.connected = true;
                        }
                        RTCPeerConnectionEvent::OnTrack(
                            rtc::peer_connection::event::RTCTrackEvent::OnOpen(init),
                        ) => {
                            let kind =
                                c.pc.rtp_receiver(init.receiver_id)
                                    .map(|r| r.track().kind())
                                    .unwrap_or(RtpCodecKind::Unspecified);
                            c.track_kinds.push((init.track_id.clone(), kind));
                        }
                        _ => {}
                    }
                }
                while let Some(message) = c.pc.poll_read() {
                    moved = true;
                    if let RTCMessage::RtpPacket(track_id, packet) = message.message {
                        let kind = c
                            .track_kinds
                            .iter()
                            .find(|(t, _)| *t == track_id)
                            .map(|(_, k)| *k)
                            .unwrap_or(RtpCodecKind::Unspecified);
                        c.received.push(Received {
                            kind,
                            ssrc: packet.header.ssrc,
                            sequence_number: packet.header.sequence_number,
                            timestamp: packet.header.timestamp,
                            payload: packet.payload,
                        });
                    }
                }
            }
            if !moved {
                break;
            }
        }
    }

    fn deliver(&mut self, key: ParticipantKey, message: ToParticipant) {
        let now = self.now;
        let Some(c) = self.clients.iter_mut().find(|c| c.key == key && !c.closed) else {
            return;
        };
        match &message {
            ToParticipant::Answer { sdp } => {
                c.pc.set_remote_description(
                    now,
                    RTCSessionDescription::answer(sdp.clone()).unwrap(),
                )
                .unwrap();
            }
            ToParticipant::Offer { sdp, .. } => {
                c.pc.set_remote_description(
                    now,
                    RTCSessionDescription::offer(sdp.clone()).unwrap(),
                )
                .unwrap();
                let answer = c.pc.create_answer(None).unwrap();
                c.pc.set_local_description(now, answer).unwrap();
                let sdp = c.pc.local_description().unwrap().sdp;
                self.sfu
                    .handle_signal(now, key, FromParticipant::Answer { sdp });
            }
            ToParticipant::Closed(_) => c.closed = true,
            _ => {}
        }
        if let Ok(json) = serde_json::to_value(&message) {
            c.signals.push(json);
        }
    }

    /// Sends one audio and one video packet from client `i`; video payloads
    /// start a VP8 keyframe when `keyframe`.
    pub fn send(&mut self, i: usize, seq: u16, keyframe: bool) {
        let now = self.now;
        let c = &mut self.clients[i];
        let video_payload = {
            // "Keyframe or not" in the codec's own terms (VP8 descriptor and
            // header; H.264 NAL header), three bytes either way.
            let mut p = if c.video_mime.eq_ignore_ascii_case(MIME_TYPE_H264) {
                vec![if keyframe { 0x65 } else { 0x41 }, 0x88, 0x80]
            } else {
                vec![0x10, if keyframe { 0x00 } else { 0x01 }, 0x9d]
            };
            p.extend_from_slice(format!("{}-video-{seq}", c.identity).as_bytes());
            p
        };
        let audio_payload = format!("{}-audio-{seq}", c.identity).into_bytes();
        for (sender, ssrc, clock, payload) in [
            (c.audio, c.audio_ssrc, 960u32, audio_payload),
            (c.video, c.video_ssrc, 3000u32, video_payload),
        ] {
            let mut s = c.pc.rtp_sender(sender).unwrap();
            let params = &s.get_parameters().rtp_parameters;
            let mime = if sender == c.audio {
                MIME_TYPE_OPUS
            } else {
                c.video_mime.as_str()
            };
            let payload_type = params
                .codecs
                .iter()
                .find(|codec| codec.rtp_codec.mime_type.eq_ignore_ascii_case(mime))
                .expect("the track's codec is negotiated")
                .payload_type;
            let level_id = params
                .header_extensions
                .iter()
                .find(|e| e.uri == AUDIO_LEVEL_URI)
                .map(|e| e.id as u8);
            let mut packet = rtc::rtp::Packet {
                header: rtc::rtp::Header {
                    version: 2,
                    marker: true,
                    payload_type,
                    sequence_number: seq,
                    timestamp: seq as u32 * clock,
                    ssrc,
                    ..Default::default()
                },
                payload: Bytes::from(payload),
            };
            if let (Some(level), Some(id), true) = (c.audio_level, level_id, sender == c.audio) {
                packet
                    .header
                    .set_extension(id, Bytes::from(vec![0x80 | level]))
                    .unwrap();
            }
            s.write_rtp(now, packet).unwrap();
        }
    }

    /// Sends like [`Net::send`] but returns client `i`'s datagrams instead
    /// of delivering them (for benchmarks that feed them to the SFU).
    pub fn send_captured(&mut self, i: usize, seq: u16, keyframe: bool) -> Vec<BytesMut> {
        self.send(i, seq, keyframe);
        let mut out = Vec::new();
        while let Some(msg) = self.clients[i].pc.poll_write() {
            out.push(msg.message);
        }
        out
    }

    /// Delivers a datagram to the SFU as if client `i` had sent it (spoofed
    /// or corrupted traffic from a known address).
    pub fn inject_from(&mut self, i: usize, datagram: BytesMut) {
        let from = self.clients[i].addr;
        self.sfu
            .handle_datagram(self.now, from, self.server, datagram);
    }

    pub fn client_addr(&self, i: usize) -> SocketAddr {
        self.clients[i].addr
    }

    pub fn server_addr(&self) -> SocketAddr {
        self.server
    }

    /// How many payloads of `kind` client `i` received from `from`.
    pub fn received_from(&self, i: usize, kind: RtpCodecKind, from: &str) -> usize {
        let prefix = format!("{from}-");
        self.clients[i]
            .received
            .iter()
            .filter(|r| r.kind == kind && r.text().starts_with(&prefix))
            .count()
    }

    pub fn signals_of(&self, i: usize, kind: &str) -> Vec<&Value> {
        self.clients[i]
            .signals
            .iter()
            .filter(|s| s["type"] == kind)
            .collect()
    }
}

#[derive(Debug, Clone)]
pub struct Received {
    pub kind: RtpCodecKind,
    pub ssrc: u32,
    pub sequence_number: u16,
    pub timestamp: u32,
    pub payload: Bytes,
}

impl Received {
    /// The payload's text (after the VP8 descriptor for video).
    pub fn text(&self) -> String {
        let skip = if self.kind == RtpCodecKind::Video {
            3
        } else {
            0
        };
        String::from_utf8_lossy(&self.payload[skip.min(self.payload.len())..]).into_owned()
    }
}

/// Whether a loss rule (`lose_rtp`, `lose_rtp_upstream`) takes this
/// datagram, counting it down if so.
fn loses(rule: &mut Option<(u8, usize)>, datagram: &[u8]) -> bool {
    match *rule {
        Some((payload_type, count))
            if count > 0 && is_rtp(datagram) && datagram[1] & 0x7f == payload_type =>
        {
            *rule = Some((payload_type, count - 1));
            true
        }
        _ => false,
    }
}

/// SRTP carrying RTP, not RTCP (RFC 5761 §4: RTCP types 200–207 masked).
fn is_rtp(datagram: &[u8]) -> bool {
    datagram.len() > 1
        && (128..=191).contains(&datagram[0])
        && !(72..=79).contains(&(datagram[1] & 0x7f))
}

fn track(
    kind: RtpCodecKind,
    mime: &str,
    clock_rate: u32,
    channels: u16,
    ssrc: u32,
    id: &str,
) -> MediaStreamTrack {
    MediaStreamTrack::new(
        "stream".to_owned(),
        id.to_owned(),
        id.to_owned(),
        kind,
        vec![RTCRtpEncodingParameters {
            rtp_coding_parameters: RTCRtpCodingParameters {
                ssrc: Some(ssrc),
                ..Default::default()
            },
            codec: RTCRtpCodec {
                mime_type: mime.to_owned(),
                clock_rate,
                channels,
                sdp_fmtp_line: String::new(),
                rtcp_feedback: vec![],
            },
            ..Default::default()
        }],
    )
}

fn mids(sdp: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut kind = None;
    for line in sdp.lines() {
        if let Some(rest) = line.strip_prefix("m=") {
            kind = rest.split(' ').next().map(str::to_owned);
        } else if let Some(mid) = line.strip_prefix("a=mid:")
            && let Some(kind) = &kind
        {
            out.push((mid.trim().to_owned(), kind.clone()));
        }
    }
    out
}

/// Bytes for a datagram that is just noise, for tests that need some.
pub fn noise(len: usize, seed: u32) -> BytesMut {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as u8
        })
        .collect::<Vec<u8>>()
        .as_slice()
        .into()
}
