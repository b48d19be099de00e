//! The seam to the WebRTC engine: one [`EnginePeer`] per participant, backed
//! by webrtc-rs's sans-IO `RTCPeerConnection`.
//!
//! This module (with `setup`, the peer connections' configuration) is the
//! only one that names `rtc` types. Rooms and forwarding speak in its terms
//! (SDP strings, [`SenderSlot`]s, [`MediaIn`], [`OutgoingPacket`]), so
//! swapping the engine means rewriting this module.
//!
//! What the engine is asked to do, and what we do around it:
//! - ICE-lite with credentials we choose, so the demultiplexer can route
//!   STUN by ufrag before the engine sees it.
//! - Interceptors: NACK generator (lost upstream packets), TWCC feedback
//!   (browser congestion control), receiver and sender reports. Not the NACK
//!   responder: subscriber NACKs are answered from the forwarder's per-track
//!   cache, one copy per track instead of one per subscriber.
//! - `setup::DeliverFeedback` marks PLI, FIR and NACK for delivery to us; `rtc`
//!   drops inbound RTCP at the end of its chain otherwise.
//! - Senders are our own sendonly transceivers with SSRCs we pick; a released
//!   one is set inactive and reused for the next track of its kind, so the
//!   SDP does not grow as people come and go.

use rustc_hash::FxHashMap;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use rtc::media_stream::MediaStreamTrack;
use rtc::peer_connection::configuration::RTCConfigurationBuilder;
use rtc::peer_connection::configuration::setting_engine::SettingEngineBuilder;
use rtc::peer_connection::event::{RTCPeerConnectionEvent, RTCTrackEvent};
use rtc::peer_connection::message::RTCMessage;
use rtc::peer_connection::sdp::RTCSessionDescription;
use rtc::peer_connection::state::{RTCIceConnectionState, RTCPeerConnectionState};
use rtc::peer_connection::transport::{
    CandidateConfig, CandidateHostConfig, RTCIceCandidate, RTCIceCandidateInit,
};
use rtc::peer_connection::{RTCPeerConnection, RTCPeerConnectionBuilder};
use rtc::rtcp::payload_feedbacks::full_intra_request::FullIntraRequest;
use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtc::rtcp::transport_feedbacks::transport_layer_nack::TransportLayerNack;
use rtc::rtp_transceiver::rtp_sender::{
    RTCRtpCodingParameters, RTCRtpEncodingParameters, RtpCodecKind,
};
use rtc::rtp_transceiver::{
    RTCRtpReceiverId, RTCRtpSenderId, RTCRtpTransceiverDirection, RTCRtpTransceiverInit,
};
use rtc::sansio::Protocol;
use rtc::shared::error::Error as RtcError;
use rtc::shared::{TaggedBytesMut, TransportContext, TransportProtocol};

use crate::forward::down_track::OutgoingPacket;
use crate::signal::MediaKind;

mod setup;

use setup::AUDIO_LEVEL_URI;

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
    /// How long the ICE agent waits without STUN before it calls the
    /// connection disconnected / failed.
    pub ice_disconnected_after: Duration,
    pub ice_failed_after: Duration,
}

/// Our handle for a sender: its SSRC, which we choose and which is unique
/// within the peer connection.
pub type SenderSlot = u32;

/// A track the remote publishes, as the engine first saw it.
#[derive(Debug, Clone)]
pub struct IncomingTrack {
    pub track_id: String,
    pub mid: String,
    pub kind: MediaKind,
    pub ssrc: u32,
    pub mime_type: String,
    pub clock_rate: u32,
    pub audio_level_ext_id: Option<u8>,
}

/// State changes of the connection.
#[derive(Debug, Clone)]
pub enum PeerEvent {
    Connected,
    /// ICE or DTLS failed, or the connection was closed.
    Failed,
    IncomingTrack(IncomingTrack),
}

/// Media and feedback from the remote.
#[derive(Debug)]
pub enum MediaIn {
    Rtp {
        track_id: String,
        header: RtpFields,
        payload: Bytes,
    },
    /// PLI or FIR about one of our senders.
    KeyframeRequest { sender: SenderSlot },
    /// NACK about one of our senders: the sequence numbers it lost.
    Nack { sender: SenderSlot, lost: Vec<u16> },
}

/// The header fields the forwarder uses.
#[derive(Debug, Clone, Copy)]
pub struct RtpFields {
    pub ssrc: u32,
    pub payload_type: u8,
    pub sequence_number: u16,
    pub timestamp: u32,
    pub marker: bool,
    /// RFC 6464 level and voice flag, when the publisher sent it.
    pub audio_level: Option<(u8, bool)>,
}

struct SenderEntry {
    id: RTCRtpSenderId,
    /// The codec the sender was created for: `rtc` negotiates a sender for
    /// its track's codec only, so a sender is reused for the same codec.
    mime_type: String,
    in_use: bool,
}

pub struct EnginePeer {
    pc: RTCPeerConnection,
    candidates: Vec<RTCIceCandidateInit>,
    senders: FxHashMap<SenderSlot, SenderEntry>,
    /// Remote track id → (receiver, audio level extension id).
    incoming: FxHashMap<String, (RTCRtpReceiverId, Option<u8>)>,
    events: VecDeque<PeerEvent>,
    media: VecDeque<MediaIn>,
    connected: bool,
}

impl EnginePeer {
    pub fn new(now: Instant, settings: &PeerSettings) -> Result<Self, EngineError> {
        let media_engine = setup::media_engine()?;
        let registry = setup::interceptors();
        let setting_engine = SettingEngineBuilder::new()
            .with_lite(true)
            .with_ice_credentials(settings.ice_ufrag.clone(), settings.ice_pwd.clone())
            .with_ice_timeouts(
                Some(settings.ice_disconnected_after),
                Some(settings.ice_failed_after),
                None,
            )
            .build();
        let mut pc = RTCPeerConnectionBuilder::new()
            .with_configuration(RTCConfigurationBuilder::new().build())
            .with_media_engine(media_engine)
            .with_setting_engine(setting_engine)
            .with_interceptor_registry(registry)
            .build(now)?;
        let mut candidates = Vec::new();
        for addr in &settings.candidates {
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
            .new_candidate_host()?;
            let init = RTCIceCandidate::from(&candidate).to_json()?;
            pc.add_local_candidate(init.clone())?;
            candidates.push(init);
        }
        Ok(Self {
            pc,
            candidates,
            senders: FxHashMap::default(),
            incoming: FxHashMap::default(),
            events: VecDeque::new(),
            media: VecDeque::new(),
            connected: false,
        })
    }

    /// Applies a client offer and returns our answer.
    pub fn accept_offer(&mut self, now: Instant, sdp: String) -> Result<String, EngineError> {
        let offer = RTCSessionDescription::offer(sdp)?;
        self.pc.set_remote_description(now, offer)?;
        let answer = self.pc.create_answer(None)?;
        self.pc.set_local_description(now, answer)?;
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
        Ok(desc.sdp)
    }

    /// A sender for a track of `kind` in codec `mime_type`: a released one
    /// for that codec when there is one, else a new sendonly transceiver.
    /// Needs renegotiation.
    pub fn add_sender(
        &mut self,
        kind: MediaKind,
        mime_type: &str,
    ) -> Result<SenderSlot, EngineError> {
        if let Some((&slot, entry)) = self
            .senders
            .iter_mut()
            .find(|(_, e)| !e.in_use && e.mime_type.eq_ignore_ascii_case(mime_type))
        {
            entry.in_use = true;
            let transceiver: usize = entry.id.into();
            if let Some(mut t) = self.pc.rtp_transceiver(transceiver) {
                t.set_direction(RTCRtpTransceiverDirection::Sendonly);
            }
            return Ok(slot);
        }
        let ssrc = loop {
            let candidate = rand::random::<u32>();
            if candidate != 0 && !self.senders.contains_key(&candidate) {
                break candidate;
            }
        };
        let rtc_kind = match kind {
            MediaKind::Audio => RtpCodecKind::Audio,
            MediaKind::Video => RtpCodecKind::Video,
        };
        let codec = setup::codec(mime_type)
            .ok_or_else(|| EngineError::Invalid(format!("codec {mime_type} is not supported")))?;
        let track_id = format!("{kind:?}-{ssrc:08x}").to_lowercase();
        let track = MediaStreamTrack::new(
            format!("confide-{ssrc:08x}"),
            track_id.clone(),
            track_id,
            rtc_kind,
            vec![RTCRtpEncodingParameters {
                rtp_coding_parameters: RTCRtpCodingParameters {
                    ssrc: Some(ssrc),
                    ..Default::default()
                },
                codec: codec.rtp_codec,
                ..Default::default()
            }],
        );
        let transceiver = self.pc.add_transceiver_from_track(
            track,
            Some(RTCRtpTransceiverInit {
                direction: RTCRtpTransceiverDirection::Sendonly,
                streams: vec![],
                send_encodings: vec![],
            }),
        )?;
        let id: usize = transceiver;
        self.senders.insert(
            ssrc,
            SenderEntry {
                id: id.into(),
                mime_type: mime_type.to_owned(),
                in_use: true,
            },
        );
        Ok(ssrc)
    }

    /// Stops a sender and keeps its transceiver (inactive) for reuse.
    pub fn release_sender(&mut self, slot: SenderSlot) {
        if let Some(entry) = self.senders.get_mut(&slot) {
            entry.in_use = false;
            let transceiver: usize = entry.id.into();
            if let Some(mut t) = self.pc.rtp_transceiver(transceiver) {
                t.set_direction(RTCRtpTransceiverDirection::Inactive);
            }
        }
    }

    /// The mid of a sender's m-line (known once an offer was created).
    pub fn sender_mid(&mut self, slot: SenderSlot) -> Option<String> {
        let entry = self.senders.get(&slot)?;
        let transceiver: usize = entry.id.into();
        self.pc
            .rtp_transceiver(transceiver)
            .and_then(|t| t.mid().clone())
    }

    /// The payload type the subscriber negotiated for `mime_type`, and its
    /// audio level extension id, once the sender is negotiated.
    pub fn sender_negotiation(
        &mut self,
        slot: SenderSlot,
        mime_type: &str,
    ) -> Option<(u8, Option<u8>)> {
        let entry = self.senders.get(&slot)?;
        let mut sender = self.pc.rtp_sender(entry.id)?;
        let params = &sender.get_parameters().rtp_parameters;
        let payload_type = params
            .codecs
            .iter()
            .find(|c| c.rtp_codec.mime_type.eq_ignore_ascii_case(mime_type))?
            .payload_type;
        let audio_level = params
            .header_extensions
            .iter()
            .find(|e| e.uri == AUDIO_LEVEL_URI)
            .and_then(|e| u8::try_from(e.id).ok());
        Some((payload_type, audio_level))
    }

    /// Sends one forwarded packet on a sender.
    pub fn write_rtp(
        &mut self,
        now: Instant,
        slot: SenderSlot,
        packet: &OutgoingPacket,
    ) -> Result<(), EngineError> {
        let entry = self
            .senders
            .get(&slot)
            .ok_or_else(|| EngineError::Invalid("unknown sender".into()))?;
        let mut sender = self
            .pc
            .rtp_sender(entry.id)
            .ok_or_else(|| EngineError::Invalid("sender not negotiated".into()))?;
        let mut rtp = rtc::rtp::Packet {
            header: rtc::rtp::Header {
                version: 2,
                marker: packet.marker,
                payload_type: packet.payload_type,
                sequence_number: packet.sequence_number,
                timestamp: packet.timestamp,
                ssrc: packet.ssrc,
                ..Default::default()
            },
            payload: packet.payload.clone(),
        };
        if let Some((id, level, voice)) = packet.audio_level {
            let byte = (level & 0x7f) | if voice { 0x80 } else { 0 };
            rtp.header
                .set_extension(id, Bytes::copy_from_slice(&[byte]))?;
        }
        sender.write_rtp(now, rtp)?;
        Ok(())
    }

    /// Asks the remote publisher of `track_id` for a keyframe (PLI).
    pub fn request_keyframe(&mut self, now: Instant, track_id: &str, media_ssrc: u32) {
        let Some(&(receiver, _)) = self.incoming.get(track_id) else {
            return;
        };
        if let Some(mut rx) = self.pc.rtp_receiver(receiver) {
            let _ = rx.write_rtcp(
                now,
                vec![Box::new(PictureLossIndication {
                    sender_ssrc: 0,
                    media_ssrc,
                })],
            );
        }
    }

    /// `local` must be one of the advertised candidate addresses (ICE
    /// matches it); the core maps the socket's address to one.
    pub fn handle_datagram(
        &mut self,
        now: Instant,
        from: SocketAddr,
        local: SocketAddr,
        data: BytesMut,
    ) {
        let _ = self.pc.handle_read(TaggedBytesMut {
            now,
            transport: TransportContext {
                local_addr: local,
                peer_addr: from,
                ecn: None,
                transport_protocol: TransportProtocol::UDP,
            },
            message: data,
        });
        self.drain();
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        let _ = self.pc.handle_timeout(now);
        self.drain();
    }

    pub fn poll_timeout(&mut self) -> Option<Instant> {
        self.pc.poll_timeout()
    }

    pub fn poll_transmit(&mut self) -> Option<(SocketAddr, BytesMut)> {
        self.pc
            .poll_write()
            .map(|m| (m.transport.peer_addr, m.message))
    }

    pub fn poll_event(&mut self) -> Option<PeerEvent> {
        self.drain();
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

    /// The host candidates we advertise (also in every SDP we send).
    pub fn local_candidates(&self) -> &[RTCIceCandidateInit] {
        &self.candidates
    }

    /// Moves the engine's events and messages into our queues, translated.
    fn drain(&mut self) {
        while let Some(event) = self.pc.poll_event() {
            match event {
                RTCPeerConnectionEvent::OnConnectionStateChangeEvent(state) => match state {
                    RTCPeerConnectionState::Connected if !self.connected => {
                        self.connected = true;
                        self.events.push_back(PeerEvent::Connected);
                    }
                    RTCPeerConnectionState::Failed | RTCPeerConnectionState::Closed => {
                        self.events.push_back(PeerEvent::Failed);
                    }
                    _ => {}
                },
                RTCPeerConnectionEvent::OnIceConnectionStateChangeEvent(
                    RTCIceConnectionState::Failed,
                ) => self.events.push_back(PeerEvent::Failed),
                RTCPeerConnectionEvent::OnTrack(RTCTrackEvent::OnOpen(init)) => {
                    if let Some(track) =
                        self.describe_incoming(init.receiver_id, &init.track_id, init.ssrc)
                    {
                        self.incoming.insert(
                            track.track_id.clone(),
                            (init.receiver_id, track.audio_level_ext_id),
                        );
                        self.events.push_back(PeerEvent::IncomingTrack(track));
                    }
                }
                _ => {}
            }
        }
        while let Some(message) = self.pc.poll_read() {
            match message.message {
                RTCMessage::RtpPacket(track_id, packet) => {
                    let audio_level = self
                        .incoming
                        .get(&track_id)
                        .and_then(|(_, ext)| *ext)
                        .and_then(|id| packet.header.get_extension(id))
                        .and_then(|b| b.first().copied())
                        .map(|b| (b & 0x7f, b & 0x80 != 0));
                    let h = &packet.header;
                    self.media.push_back(MediaIn::Rtp {
                        header: RtpFields {
                            ssrc: h.ssrc,
                            payload_type: h.payload_type,
                            sequence_number: h.sequence_number,
                            timestamp: h.timestamp,
                            marker: h.marker,
                            audio_level,
                        },
                        track_id,
                        payload: packet.payload,
                    });
                }
                RTCMessage::RtcpPacket(_, packets) => {
                    for packet in &packets {
                        let any = packet.as_any();
                        if let Some(pli) = any.downcast_ref::<PictureLossIndication>() {
                            self.feedback_keyframe(pli.media_ssrc);
                        } else if let Some(fir) = any.downcast_ref::<FullIntraRequest>() {
                            for entry in &fir.fir {
                                self.feedback_keyframe(entry.ssrc);
                            }
                        } else if let Some(nack) = any.downcast_ref::<TransportLayerNack>()
                            && self.senders.contains_key(&nack.media_ssrc)
                        {
                            let lost = nack
                                .nacks
                                .iter()
                                .flat_map(|pair| pair.packet_list())
                                .collect();
                            self.media.push_back(MediaIn::Nack {
                                sender: nack.media_ssrc,
                                lost,
                            });
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn feedback_keyframe(&mut self, media_ssrc: u32) {
        if self.senders.contains_key(&media_ssrc) {
            self.media
                .push_back(MediaIn::KeyframeRequest { sender: media_ssrc });
        }
    }

    fn describe_incoming(
        &mut self,
        receiver_id: RTCRtpReceiverId,
        track_id: &str,
        ssrc: u32,
    ) -> Option<IncomingTrack> {
        let transceiver: usize = receiver_id.into();
        let mid = self
            .pc
            .rtp_transceiver(transceiver)
            .and_then(|t| t.mid().clone())?;
        let mut receiver = self.pc.rtp_receiver(receiver_id)?;
        let kind = match receiver.track().kind() {
            RtpCodecKind::Audio => MediaKind::Audio,
            RtpCodecKind::Video => MediaKind::Video,
            _ => return None,
        };
        let params = &receiver.get_parameters().rtp_parameters;
        let codec = params.codecs.first()?;
        let audio_level_ext_id = params
            .header_extensions
            .iter()
            .find(|e| e.uri == AUDIO_LEVEL_URI)
            .and_then(|e| u8::try_from(e.id).ok());
        Some(IncomingTrack {
            track_id: track_id.to_owned(),
            mid,
            kind,
            ssrc,
            mime_type: codec.rtp_codec.mime_type.clone(),
            clock_rate: codec.rtp_codec.clock_rate,
            audio_level_ext_id,
        })
    }
}
