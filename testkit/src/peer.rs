//! One participant's WebRTC side on webrtc-rs's sans-IO `rtc` core, as a
//! browser does it: full ICE (controlling) against the SFU's ICE-lite,
//! DTLS, SRTP, the default codecs and interceptors (NACK responder, RTCP
//! reports, TWCC), an Opus and a VP8 (or H.264) sending track (with the
//! audio-level and Dependency Descriptor extensions when asked), and
//! whatever the server offers to receive.
//!
//! Sans-IO: the caller hands in datagrams ([`Peer::handle_datagram`]) and
//! time ([`Peer::handle_timeout`]) and takes out datagrams
//! ([`Peer::poll_transmit`]) and what arrived ([`Peer::poll_incoming`]).

use std::net::SocketAddr;
use std::time::Instant;

use anyhow::Context;
use bytes::{Bytes, BytesMut};
use rtc::interceptor::Registry;
use rtc::media_stream::MediaStreamTrack;
use rtc::peer_connection::configuration::RTCConfigurationBuilder;
use rtc::peer_connection::configuration::interceptor_registry::register_default_interceptors;
use rtc::peer_connection::configuration::media_engine::MediaEngine;
pub use rtc::peer_connection::configuration::media_engine::{
    MIME_TYPE_H264, MIME_TYPE_OPUS, MIME_TYPE_VP8,
};
use rtc::peer_connection::event::{RTCDataChannelEvent, RTCPeerConnectionEvent, RTCTrackEvent};
use rtc::peer_connection::message::RTCMessage;
use rtc::peer_connection::sdp::RTCSessionDescription;
use rtc::peer_connection::state::RTCPeerConnectionState;
use rtc::peer_connection::{RTCPeerConnection, RTCPeerConnectionBuilder};
use rtc::rtp_transceiver::RTCRtpSenderId;
pub use rtc::rtp_transceiver::rtp_sender::RtpCodecKind;
use rtc::rtp_transceiver::rtp_sender::{
    RTCRtpCodec, RTCRtpCodingParameters, RTCRtpEncodingParameters, RTCRtpHeaderExtensionCapability,
};
use rtc::sansio::Protocol;
use rtc::shared::{TaggedBytesMut, TransportContext, TransportProtocol};
pub use sfu::transport::Transport;

/// RFC 6464 client-to-mixer audio level.
pub use rtc::sdp::extmap::AUDIO_LEVEL_URI;
/// The AV1 Dependency Descriptor, which Chromium sends on every video
/// packet when it is negotiated.
pub use sfu::forward::dependency_descriptor::DEPENDENCY_DESCRIPTOR_URI;

/// What a peer publishes.
#[derive(Debug, Clone)]
pub struct Publish {
    /// An Opus track with this SSRC.
    pub audio_ssrc: Option<u32>,
    /// A camera track: its codec (`MIME_TYPE_VP8`, `MIME_TYPE_H264`) and SSRC.
    pub video: Option<(&'static str, u32)>,
    /// Offer the RFC 6464 audio-level header extension.
    pub audio_level: bool,
    /// Offer the Dependency Descriptor header extension on video (as our
    /// SDK has Chromium do, for end-to-end-encrypted video).
    pub dependency_descriptor: bool,
}

impl Publish {
    /// Opus at `ssrc_base`, VP8 at `ssrc_base + 1`, no audio levels.
    pub fn audio_video(ssrc_base: u32) -> Publish {
        Publish {
            audio_ssrc: Some(ssrc_base),
            video: Some((MIME_TYPE_VP8, ssrc_base.wrapping_add(1))),
            audio_level: false,
            dependency_descriptor: false,
        }
    }
}

/// A sending track and what writing to it needs.
#[derive(Debug)]
pub struct Sender {
    pub id: RTCRtpSenderId,
    pub ssrc: u32,
    pub mime: &'static str,
    /// Payload type and extension ids, once negotiated.
    negotiated: Option<Negotiated>,
}

/// What a sender's negotiation fixed that writing needs.
#[derive(Debug, Clone, Copy)]
struct Negotiated {
    payload_type: u8,
    audio_level_id: Option<u8>,
    dependency_descriptor_id: Option<u8>,
}

/// One RTP packet to write; the peer fills in the payload type and SSRC.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub sequence_number: u16,
    pub timestamp: u32,
    pub marker: bool,
    pub payload: Bytes,
    /// An RFC 6464 level (0 loud … 127 silent), if negotiated.
    pub audio_level: Option<u8>,
    /// A Dependency Descriptor's bytes for a video packet
    /// ([`crate::media::dependency_descriptor`]); writing fails when the
    /// extension was not negotiated.
    pub dependency_descriptor: Option<Bytes>,
}

/// What came out of the peer.
pub enum Incoming {
    /// The server started sending a track.
    TrackOpened {
        track_id: String,
        kind: RtpCodecKind,
    },
    /// A decrypted RTP packet on a received track.
    Rtp {
        track_id: String,
        packet: rtc::rtp::Packet,
    },
    /// RTCP about one of our tracks (PLI, FIR, NACK, reports).
    Rtcp(Vec<Box<dyn rtc::rtcp::Packet>>),
    /// A data channel opened (ours or the server's), with its label.
    DataChannelOpened { channel: usize, label: String },
    /// A data channel closed.
    DataChannelClosed { channel: usize },
    /// A message on a data channel.
    Data {
        channel: usize,
        is_string: bool,
        data: BytesMut,
    },
}

pub struct Peer {
    pub pc: RTCPeerConnection,
    /// Our host candidate's address.
    pub local: SocketAddr,
    /// UDP, or TCP as an active ICE-TCP candidate (the SFU's passive one
    /// accepts; datagrams are then framed on one connection).
    pub transport: Transport,
    pub audio: Option<Sender>,
    pub video: Option<Sender>,
    /// ICE and DTLS are up.
    pub connected: bool,
    /// The connection failed or closed.
    pub failed: bool,
    /// Received tracks and their kinds, in the order they opened.
    tracks: Vec<(String, RtpCodecKind)>,
}

impl Peer {
    /// A peer that publishes `publish` and its first offer (the SDP to send
    /// in the signaling `offer`).
    pub fn publishing(
        local: SocketAddr,
        now: Instant,
        publish: &Publish,
    ) -> anyhow::Result<(Peer, String)> {
        Peer::publishing_on(Transport::Udp, local, now, publish)
    }

    /// Like [`Peer::publishing`], over `transport` (TCP: ICE over TCP, our
    /// candidate active, `local` being our end of the connection).
    pub fn publishing_on(
        transport: Transport,
        local: SocketAddr,
        now: Instant,
        publish: &Publish,
    ) -> anyhow::Result<(Peer, String)> {
        let mut peer = Peer::build(
            local,
            transport,
            now,
            publish.audio_level,
            publish.dependency_descriptor,
        )?;
        if let Some(ssrc) = publish.audio_ssrc {
            let id = peer.pc.add_track(track(
                RtpCodecKind::Audio,
                MIME_TYPE_OPUS,
                48_000,
                2,
                ssrc,
                "mic",
            ))?;
            peer.audio = Some(Sender {
                id,
                ssrc,
                mime: MIME_TYPE_OPUS,
                negotiated: None,
            });
        }
        if let Some((mime, ssrc)) = publish.video {
            let id =
                peer.pc
                    .add_track(track(RtpCodecKind::Video, mime, 90_000, 0, ssrc, "camera"))?;
            peer.video = Some(Sender {
                id,
                ssrc,
                mime,
                negotiated: None,
            });
        }
        let offer = peer.pc.create_offer(None)?;
        peer.pc.set_local_description(now, offer)?;
        let sdp = peer.local_sdp()?;
        Ok((peer, sdp))
    }

    /// A receive-only peer answering a server's offer (Janus subscriber
    /// legs: the server offers what it sends).
    pub fn answering(
        local: SocketAddr,
        now: Instant,
        offer: String,
    ) -> anyhow::Result<(Peer, String)> {
        let mut peer = Peer::build(local, Transport::Udp, now, false, false)?;
        let answer = peer.answer_offer(now, offer)?;
        Ok((peer, answer))
    }

    /// An `rtc` peer connection with the default codecs and interceptors
    /// and a host candidate at `local` (TCP: an active one, at port 9 as
    /// RFC 6544 has it), offering the audio-level and Dependency
    /// Descriptor extensions when asked.
    fn build(
        local: SocketAddr,
        transport: Transport,
        now: Instant,
        audio_level: bool,
        dependency_descriptor: bool,
    ) -> anyhow::Result<Peer> {
        let mut media_engine = MediaEngine::default();
        media_engine.register_default_codecs()?;
        if audio_level {
            media_engine.register_header_extension(
                RTCRtpHeaderExtensionCapability {
                    uri: AUDIO_LEVEL_URI.to_owned(),
                },
                RtpCodecKind::Audio,
                None,
            )?;
        }
        if dependency_descriptor {
            media_engine.register_header_extension(
                RTCRtpHeaderExtensionCapability {
                    uri: DEPENDENCY_DESCRIPTOR_URI.to_owned(),
                },
                RtpCodecKind::Video,
                None,
            )?;
        }
        let registry = register_default_interceptors(Registry::new(), &mut media_engine)?;
        let mut pc = RTCPeerConnectionBuilder::new()
            .with_configuration(RTCConfigurationBuilder::new().build())
            .with_media_engine(media_engine)
            .with_interceptor_registry(registry)
            .build(now)?;
        let candidate = match transport {
            Transport::Udp => sfu::engine::host_candidate(local)?,
            Transport::Tcp => sfu::engine::tcp_candidate(
                SocketAddr::new(local.ip(), 9),
                sfu::engine::TcpType::Active,
            )?,
        };
        pc.add_local_candidate(candidate)?;
        Ok(Peer {
            pc,
            local,
            transport,
            audio: None,
            video: None,
            connected: false,
            failed: false,
            tracks: Vec::new(),
        })
    }

    fn local_sdp(&self) -> anyhow::Result<String> {
        Ok(self
            .pc
            .local_description()
            .context("no local description")?
            .sdp)
    }

    /// Opens a data channel (a data track named `label`) and makes a new
    /// offer carrying it: the SDP to send in the signaling `offer`.
    pub fn open_data_channel(
        &mut self,
        now: Instant,
        label: &str,
        init: rtc::data_channel::RTCDataChannelInit,
    ) -> anyhow::Result<(usize, String)> {
        let channel = self.pc.create_data_channel(label, Some(init))?.id();
        let offer = self.pc.create_offer(None)?;
        self.pc.set_local_description(now, offer)?;
        Ok((channel, self.local_sdp()?))
    }

    /// Sends one message on a data channel (text when `is_string`).
    pub fn send_data(
        &mut self,
        now: Instant,
        channel: usize,
        is_string: bool,
        data: &[u8],
    ) -> anyhow::Result<()> {
        let mut dc = self.pc.data_channel(channel).context("no such channel")?;
        if is_string {
            dc.send_text(now, std::str::from_utf8(data)?)?;
        } else {
            dc.send(now, BytesMut::from(data))?;
        }
        Ok(())
    }

    /// The server's answer to our offer.
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
        self.local_sdp()
    }

    /// A datagram from `from` arrived at our host candidate.
    pub fn handle_datagram(&mut self, now: Instant, from: SocketAddr, datagram: BytesMut) {
        let _ = self.pc.handle_read(TaggedBytesMut {
            now,
            transport: TransportContext {
                local_addr: self.local,
                peer_addr: from,
                ecn: None,
                transport_protocol: match self.transport {
                    Transport::Udp => TransportProtocol::UDP,
                    Transport::Tcp => TransportProtocol::TCP,
                },
            },
            message: datagram,
        });
    }

    /// Fires the timers due by `now` (ICE checks, DTLS retransmits, RTCP).
    pub fn handle_timeout(&mut self, now: Instant) {
        let _ = self.pc.handle_timeout(now);
    }

    /// Closes the connection (DTLS close_notify goes out with the next
    /// [`Peer::poll_transmit`]).
    pub fn close(&mut self) {
        let _ = self.pc.close();
    }

    /// When [`Peer::handle_timeout`] is next due.
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        self.pc.poll_timeout()
    }

    /// The next datagram to send, and where to.
    pub fn poll_transmit(&mut self) -> Option<(SocketAddr, BytesMut)> {
        self.pc
            .poll_write()
            .map(|out| (out.transport.peer_addr, out.message))
    }

    /// What arrived, events first (they also update [`Peer::connected`]
    /// and [`Peer::failed`]).
    pub fn poll_incoming(&mut self) -> Option<Incoming> {
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
                    self.tracks.push((init.track_id.clone(), kind));
                    return Some(Incoming::TrackOpened {
                        track_id: init.track_id,
                        kind,
                    });
                }
                RTCPeerConnectionEvent::OnDataChannel(RTCDataChannelEvent::OnOpen(channel)) => {
                    let label = self
                        .pc
                        .data_channel(channel)
                        .map(|dc| dc.label().to_owned())
                        .unwrap_or_default();
                    return Some(Incoming::DataChannelOpened { channel, label });
                }
                RTCPeerConnectionEvent::OnDataChannel(RTCDataChannelEvent::OnClose(channel)) => {
                    return Some(Incoming::DataChannelClosed { channel });
                }
                _ => {}
            }
        }
        while let Some(message) = self.pc.poll_read() {
            match message.message {
                RTCMessage::RtpPacket(track_id, packet) => {
                    return Some(Incoming::Rtp { track_id, packet });
                }
                RTCMessage::RtcpPacket(_, packets) => return Some(Incoming::Rtcp(packets)),
                RTCMessage::DataChannelMessage(channel, message) => {
                    return Some(Incoming::Data {
                        channel,
                        is_string: message.is_string,
                        data: message.data,
                    });
                }
                _ => {}
            }
        }
        None
    }

    /// The kind of a received track.
    pub fn track_kind(&self, track_id: &str) -> RtpCodecKind {
        self.tracks
            .iter()
            .find(|(t, _)| t == track_id)
            .map(|(_, k)| *k)
            .unwrap_or(RtpCodecKind::Unspecified)
    }

    /// Writes one packet on our audio or video track (SRTP, into the
    /// datagrams [`Peer::poll_transmit`] returns). False when the track
    /// does not exist or is not negotiated yet, or the packet has a
    /// Dependency Descriptor and the track did not negotiate one.
    pub fn write_rtp(&mut self, now: Instant, kind: RtpCodecKind, packet: Outgoing) -> bool {
        let sender = match kind {
            RtpCodecKind::Audio => self.audio.as_mut(),
            _ => self.video.as_mut(),
        };
        let Some(sender) = sender else {
            return false;
        };
        let Some(mut s) = self.pc.rtp_sender(sender.id) else {
            return false;
        };
        let negotiated = match sender.negotiated {
            Some(negotiated) => negotiated,
            None => {
                let params = &s.get_parameters().rtp_parameters;
                let Some(payload_type) = params
                    .codecs
                    .iter()
                    .find(|c| c.rtp_codec.mime_type.eq_ignore_ascii_case(sender.mime))
                    .map(|c| c.payload_type)
                else {
                    return false;
                };
                let ext_id = |uri: &str| {
                    params
                        .header_extensions
                        .iter()
                        .find(|e| e.uri == uri)
                        .map(|e| e.id as u8)
                };
                let negotiated = Negotiated {
                    payload_type,
                    audio_level_id: ext_id(AUDIO_LEVEL_URI),
                    dependency_descriptor_id: ext_id(DEPENDENCY_DESCRIPTOR_URI),
                };
                sender.negotiated = Some(negotiated);
                negotiated
            }
        };
        let mut rtp = rtc::rtp::Packet {
            header: rtc::rtp::Header {
                version: 2,
                marker: packet.marker,
                payload_type: negotiated.payload_type,
                sequence_number: packet.sequence_number,
                timestamp: packet.timestamp,
                ssrc: sender.ssrc,
                ..Default::default()
            },
            payload: packet.payload,
        };
        if let (Some(level), Some(id), RtpCodecKind::Audio) =
            (packet.audio_level, negotiated.audio_level_id, kind)
            && rtp
                .header
                .set_extension(id, Bytes::from(vec![0x80 | level]))
                .is_err()
        {
            return false;
        }
        if let Some(descriptor) = packet.dependency_descriptor {
            let Some(id) = negotiated.dependency_descriptor_id else {
                return false;
            };
            if rtp.header.set_extension(id, descriptor).is_err() {
                return false;
            }
        }
        s.write_rtp(now, rtp).is_ok()
    }

    /// The payload type negotiated for our `kind` track.
    pub fn payload_type(&mut self, kind: RtpCodecKind) -> Option<u8> {
        let sender = match kind {
            RtpCodecKind::Audio => self.audio.as_ref(),
            _ => self.video.as_ref(),
        }?;
        let mut s = self.pc.rtp_sender(sender.id)?;
        s.get_parameters()
            .rtp_parameters
            .codecs
            .iter()
            .find(|c| c.rtp_codec.mime_type.eq_ignore_ascii_case(sender.mime))
            .map(|c| c.payload_type)
    }
}

fn track(
    kind: RtpCodecKind,
    mime: &str,
    clock_rate: u32,
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
                clock_rate,
                channels,
                ..Default::default()
            },
            ..Default::default()
        }],
    )
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

/// The tracks an offer publishes as the signaling protocol names them:
/// `(mid, name, kind)`, `mic` for audio and `camera` for video.
pub fn published_tracks(sdp: &str) -> Vec<(String, &'static str, RtpCodecKind)> {
    mids(sdp)
        .into_iter()
        .filter_map(|(mid, kind)| match kind.as_str() {
            "audio" => Some((mid, "mic", RtpCodecKind::Audio)),
            "video" => Some((mid, "camera", RtpCodecKind::Video)),
            _ => None,
        })
        .collect()
}
