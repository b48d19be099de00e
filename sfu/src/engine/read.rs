//! What comes in from a peer: datagrams and timers go into the engine, and
//! what it produces is translated into our terms — state changes and new
//! remote tracks as [`PeerEvent`]s; RTP, and the subscriber's PLI, FIR and
//! NACK about our senders, as [`MediaIn`]. Also the PLI we send a publisher.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use rtc::peer_connection::event::{RTCPeerConnectionEvent, RTCTrackEvent};
use rtc::peer_connection::message::RTCMessage;
use rtc::peer_connection::state::{RTCIceConnectionState, RTCPeerConnectionState};
use rtc::rtcp::payload_feedbacks::full_intra_request::FullIntraRequest;
use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtc::rtcp::receiver_report::ReceiverReport;
use rtc::rtcp::reception_report::ReceptionReport;
use rtc::rtcp::sender_report::SenderReport;
use rtc::rtcp::transport_feedbacks::transport_layer_nack::TransportLayerNack;
use rtc::rtp_transceiver::RTCRtpReceiverId;
use rtc::rtp_transceiver::rtp_sender::RtpCodecKind;
use rtc::sansio::Protocol;
use rtc::shared::{TaggedBytesMut, TransportContext, TransportProtocol};

use super::setup::AUDIO_LEVEL_URI;
use super::{EnginePeer, IncomingTrack, MediaIn, PeerEvent, RtpFields};
use crate::signal::MediaKind;
use crate::transport::Transport;

impl EnginePeer {
    /// Asks the remote publisher of `track_id` for a keyframe (PLI).
    pub fn request_keyframe(&mut self, now: Instant, track_id: &str, media_ssrc: u32) {
        self.write_to_publisher(
            now,
            track_id,
            Box::new(PictureLossIndication {
                sender_ssrc: 0,
                media_ssrc,
            }),
        );
    }

    /// Sends one RTCP packet about a track the remote publishes, on that
    /// track's receiver (nothing if the track is gone).
    pub(super) fn write_to_publisher(
        &mut self,
        now: Instant,
        track_id: &str,
        packet: Box<dyn rtc::rtcp::Packet>,
    ) {
        let Some(&(receiver, _)) = self.incoming.get(track_id) else {
            return;
        };
        if let Some(mut rx) = self.pc.rtp_receiver(receiver) {
            let _ = rx.write_rtcp(now, vec![packet]);
        }
    }

    /// `local` must be one of the advertised candidate addresses (ICE
    /// matches it); the core maps the socket's address to one.
    pub fn handle_datagram(
        &mut self,
        now: Instant,
        transport: Transport,
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
                transport_protocol: match transport {
                    Transport::Udp => TransportProtocol::UDP,
                    Transport::Tcp => TransportProtocol::TCP,
                },
            },
            message: data,
        });
        self.last_input = now;
        self.drain();
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        let _ = self.pc.handle_timeout(now);
        self.last_input = now;
        self.drain();
    }

    /// Moves the engine's events and messages into our queues, translated.
    pub(super) fn drain(&mut self) {
        while let Some(event) = self.pc.poll_event() {
            match event {
                RTCPeerConnectionEvent::OnConnectionStateChangeEvent(state) => match state {
                    RTCPeerConnectionState::Connected if !self.connected => {
                        self.connected = true;
                        self.events.push_back(PeerEvent::Connected);
                    }
                    RTCPeerConnectionState::Failed | RTCPeerConnectionState::Closed => {
                        self.events.push_back(PeerEvent::Closed);
                    }
                    _ => {}
                },
                RTCPeerConnectionEvent::OnIceConnectionStateChangeEvent(
                    RTCIceConnectionState::Failed,
                ) => self.events.push_back(PeerEvent::Closed),
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
                        } else if let Some(rr) = any.downcast_ref::<ReceiverReport>() {
                            self.feedback_reception(&rr.reports);
                        } else if let Some(sr) = any.downcast_ref::<SenderReport>() {
                            self.feedback_reception(&sr.reports);
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

    /// Report blocks about our senders (a publishing browser puts them in
    /// its sender reports). The round trip is RFC 3550's: arrival − LSR −
    /// DLSR, in NTP's 1/65536 s, with arrival on the clock our sender
    /// reports were stamped with.
    fn feedback_reception(&mut self, reports: &[ReceptionReport]) {
        let arrival = (self.ntp_clock.ntp(self.last_input) >> 16) as u32;
        for report in reports {
            if !self.senders.contains_key(&report.ssrc) {
                continue;
            }
            let rtt = (report.last_sender_report != 0).then(|| {
                let units = arrival
                    .wrapping_sub(report.last_sender_report)
                    .wrapping_sub(report.delay);
                Duration::from_secs_f64(f64::from(units) / 65_536.0)
            });
            self.media.push_back(MediaIn::Reception {
                sender: report.ssrc,
                loss: f64::from(report.fraction_lost) / 256.0,
                jitter: report.jitter,
                // A clock step can make it wrap: beyond 10 s it is noise.
                rtt: rtt.filter(|r| *r < Duration::from_secs(10)),
            });
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
