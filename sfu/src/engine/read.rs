//! What comes in from a peer: datagrams and timers go into the engine, and
//! what it produces is translated into our terms — state changes and new
//! remote tracks as [`PeerEvent`]s; RTP, and the subscriber's PLI, FIR and
//! NACK about our senders, as [`MediaIn`]. Also the PLI we send a publisher.
//!
//! Of a packet's header extensions, two are read here, by the ids its
//! track negotiated: the audio level, and the Dependency Descriptor, which
//! says whether a video packet starts a keyframe without reading the
//! payload (end-to-end-encrypted video has a ciphertext payload).

use std::net::SocketAddr;
use std::sync::Arc;
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

use super::fast_send::RtcpIn;
use super::setup::{AUDIO_LEVEL_URI, TRANSPORT_CC_URI};
use super::{EnginePeer, IncomingTrack, MAX_LAYERS, MediaIn, PeerEvent, RemoteTrack, RtpFields};
use crate::forward::dependency_descriptor::{self, DEPENDENCY_DESCRIPTOR_URI};
use crate::signal::MediaKind;
use crate::transport::Transport;
use rtc::peer_connection::RTCPeerConnection;

impl EnginePeer {
    /// Asks the remote publisher of `track_id` for a keyframe (PLI) of
    /// one simulcast layer (0 when not simulcast); nothing until that
    /// layer's first packet named its SSRC.
    pub fn request_keyframe(&mut self, now: Instant, track_id: &str, layer: u8) {
        let Some(media_ssrc) = self
            .incoming
            .get(track_id)
            .and_then(|t| t.layer_ssrcs.get(usize::from(layer)).copied().flatten())
        else {
            return;
        };
        if let Some(fast) = self.fast.as_mut().filter(|f| f.sends()) {
            let mut pli = BytesMut::with_capacity(12);
            let sender_ssrc = fast.feedback.config().sender_ssrc;
            if crate::wire::rtcp::write_pli(&mut pli, sender_ssrc, media_ssrc).is_ok()
                && fast.send_rtcp(self.pc.quiet(), &pli)
            {
                return;
            }
        }
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
        let Some(receiver) = self.incoming.get(track_id).map(|t| t.receiver) else {
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
        mut data: BytesMut,
    ) {
        if let Some(fast) = &mut self.fast {
            match fast.receive_rtcp(self.pc.quiet(), transport, from, &data) {
                RtcpIn::NotTaken => {}
                RtcpIn::Refused => {
                    self.last_input = now;
                    self.just_drained = true;
                    return;
                }
                RtcpIn::Plain(compound) => {
                    self.last_input = now;
                    self.on_fast_rtcp(now, &compound);
                    self.just_drained = true;
                    return;
                }
            }
        }
        if let Some(fast) = &mut self.fast
            && fast.receive(
                now,
                self.pc.quiet(),
                transport,
                from,
                &mut data,
                &mut self.media,
            )
        {
            // Nothing reached `rtc`: it has nothing new to drain.
            self.last_input = now;
            self.just_drained = true;
            return;
        }
        // RFC 7983: 0..=3 is STUN.
        let stun = data.first().is_some_and(|b| *b < 4);
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
        if stun && let Some(fast) = &mut self.fast {
            let sender = self.senders.values().next().map(|e| e.id);
            fast.follow_selected_pair(self.pc.quiet(), sender);
        }
        self.last_input = now;
        // `handle_read` pushed the datagram through the whole pipeline:
        // what it produced is queued, and is taken without another sweep.
        self.drain(false);
        self.just_drained = true;
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        // The wake may be the fast legs' alone: `rtc` is not walked for a
        // timer its last answer says is not due (`connection`).
        let engine_due = self.pc.may_be_due(now);
        if engine_due {
            let _ = self.pc.handle_timeout(now);
        }
        if let Some(fast) = &mut self.fast {
            fast.handle_timeout(now, self.ntp_clock.ntp(now), self.pc.quiet());
        }
        self.last_input = now;
        // Timers leave what they produce inside the handlers: sweep.
        if engine_due {
            self.drain(true);
        }
        self.just_drained = true;
    }

    /// Moves the engine's events and messages into our queues, translated.
    /// With `sweep`, every read first pumps `rtc`'s pipeline (what a
    /// handler queued outside `handle_read`); without, reads already
    /// queued are taken directly, until a data-channel message shows that
    /// SCTP may hold more (it releases messages as they are consumed).
    pub(super) fn drain(&mut self, mut sweep: bool) {
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
                    // Simulcast: one `OnOpen` per layer (rid), all under
                    // the track's id, each adding its layer's SSRC. The
                    // track is reported every time (the core ignores one it
                    // has): an `OnOpen` for a track it unpublished is the
                    // same m-line carrying media again.
                    if let Some((track, mut remote)) = self.describe_incoming(
                        init.receiver_id,
                        &init.track_id,
                        init.ssrc,
                        init.rid.as_deref(),
                    ) {
                        if let Some(known) = self.incoming.get(&init.track_id)
                            && known.layer_ssrcs.len() == remote.layer_ssrcs.len()
                        {
                            for (slot, old) in remote.layer_ssrcs.iter_mut().zip(&known.layer_ssrcs)
                            {
                                *slot = slot.or(*old);
                            }
                        }
                        if init.rid.is_some() {
                            tracing::debug!(track = %init.track_id, rid = ?init.rid, ssrc = init.ssrc, layers = ?remote.layer_ssrcs, "simulcast layer");
                        }
                        if let Some(fast) = &mut self.fast {
                            open_fast_route(
                                fast,
                                self.last_input,
                                &mut self.pc,
                                &track,
                                &remote,
                                init.ssrc,
                            );
                        }
                        self.incoming.insert(track.track_id.clone(), remote);
                        self.events.push_back(PeerEvent::IncomingTrack(track));
                    }
                }
                RTCPeerConnectionEvent::OnDataChannel(event) => self.on_data_channel_event(event),
                _ => {}
            }
        }
        loop {
            let next = if sweep {
                self.pc.poll_read()
            } else {
                self.pc
                    .poll_media_read()
                    .or_else(|| self.pc.poll_data_read())
            };
            let Some(message) = next else {
                break;
            };
            match message.message {
                RTCMessage::RtpPacket(track_id, packet) => {
                    let remote = self.incoming.get(&track_id);
                    let Some(layer) = remote.map_or(Some(0), |t| t.layer_of(packet.header.ssrc))
                    else {
                        continue;
                    };
                    let audio_level = remote
                        .and_then(|t| t.audio_level_ext_id)
                        .and_then(|id| packet.header.get_extension(id))
                        .and_then(|b| b.first().copied())
                        .map(|b| (b & 0x7f, b & 0x80 != 0));
                    let descriptor_keyframe = remote
                        .and_then(|t| t.dependency_descriptor_ext_id)
                        .and_then(|id| extension(&packet.header, id))
                        .map(dependency_descriptor::starts_keyframe);
                    let h = &packet.header;
                    self.media.push_back(MediaIn::Rtp {
                        header: RtpFields {
                            ssrc: h.ssrc,
                            sequence_number: h.sequence_number,
                            timestamp: h.timestamp,
                            marker: h.marker,
                            audio_level,
                            descriptor_keyframe,
                        },
                        // The track's shared name: no allocation per packet.
                        track_id: remote.map_or_else(|| track_id.into(), |t| t.track_id.clone()),
                        layer,
                        payload: packet.payload,
                        // `rtc` decrypted it into a buffer of its own.
                        buffer: None,
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
                            if let Some(fast) = &mut self.fast {
                                fast.on_sender_report(self.last_input, sr.ssrc, sr.ntp_time);
                            }
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
                RTCMessage::DataChannelMessage(channel, message) => {
                    sweep = true;
                    self.on_data_message(channel, message.is_string, message.data);
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
            self.push_reception(
                arrival,
                report.ssrc,
                report.fraction_lost,
                report.jitter,
                report.last_sender_report,
                report.delay,
            );
        }
    }

    /// One report block, which arrived at `arrival` (the middle 32 bits of
    /// its NTP time), about `ssrc` if that is a sender of ours.
    pub(super) fn push_reception(
        &mut self,
        arrival: u32,
        ssrc: u32,
        fraction_lost: u8,
        jitter: u32,
        last_sender_report: u32,
        delay: u32,
    ) {
        if !self.senders.contains_key(&ssrc) {
            return;
        }
        let rtt = (last_sender_report != 0).then(|| {
            let units = arrival.wrapping_sub(last_sender_report).wrapping_sub(delay);
            Duration::from_secs_f64(f64::from(units) / 65_536.0)
        });
        self.media.push_back(MediaIn::Reception {
            sender: ssrc,
            loss: f64::from(fraction_lost) / 256.0,
            jitter,
            // A clock step can make it wrap: beyond 10 s it is noise.
            rtt: rtt.filter(|r| *r < Duration::from_secs(10)),
        });
    }

    pub(super) fn feedback_keyframe(&mut self, media_ssrc: u32) {
        if self.senders.contains_key(&media_ssrc) {
            self.media
                .push_back(MediaIn::KeyframeRequest { sender: media_ssrc });
        }
    }

    /// The simulcast track last received on `mid`, when a client offer
    /// sends on that m-line again after it was unpublished: its layers
    /// keep their SSRCs (`rtc` keeps a simulcast track a renegotiation
    /// leaves unchanged, see vendor/README.md) and no new `OnOpen` comes,
    /// so the core asks here.
    pub fn simulcast_track_on(&mut self, mid: &str) -> Option<IncomingTrack> {
        let (track_id, receiver, ssrc) = self.incoming.iter().find_map(|(id, t)| {
            let ssrc = t.layer_ssrcs.iter().flatten().next()?;
            (t.mid == mid && t.layer_ssrcs.len() > 1).then(|| (id.clone(), t.receiver, *ssrc))
        })?;
        self.describe_incoming(receiver, &track_id, ssrc, None)
            .map(|(track, _)| track)
    }

    fn describe_incoming(
        &mut self,
        receiver_id: RTCRtpReceiverId,
        track_id: &str,
        ssrc: u32,
        rid: Option<&str>,
    ) -> Option<(IncomingTrack, RemoteTrack)> {
        let transceiver: usize = receiver_id.into();
        let mid = self
            .pc
            .rtp_transceiver(transceiver)
            .and_then(|t| t.mid().clone())?;
        let mut rids = rids(&mut self.pc, receiver_id);
        rids.truncate(MAX_LAYERS);
        let layers = rids.len().max(1);
        let first_layer = match rid {
            // A layer past the ones taken: its packets are dropped.
            Some(rid) => Some(rids.iter().position(|r| r == rid)?),
            None => None,
        };
        let mut receiver = self.pc.rtp_receiver(receiver_id)?;
        let kind = match receiver.track().kind() {
            RtpCodecKind::Audio => MediaKind::Audio,
            RtpCodecKind::Video => MediaKind::Video,
            _ => return None,
        };
        let params = &receiver.get_parameters().rtp_parameters;
        let codec = params.codecs.first()?;
        let ext_id = |uri: &str| {
            params
                .header_extensions
                .iter()
                .find(|e| e.uri == uri)
                .and_then(|e| u8::try_from(e.id).ok())
        };
        let audio_level_ext_id = ext_id(AUDIO_LEVEL_URI);
        let dependency_descriptor_ext_id = ext_id(DEPENDENCY_DESCRIPTOR_URI);
        let mut layer_ssrcs = vec![None; layers];
        layer_ssrcs[first_layer.unwrap_or(0).min(layers - 1)] = Some(ssrc);
        Some((
            IncomingTrack {
                track_id: track_id.to_owned(),
                mid: mid.clone(),
                kind,
                mime_type: codec.rtp_codec.mime_type.clone(),
                clock_rate: codec.rtp_codec.clock_rate,
                audio_level_ext_id,
                layers: layers.min(usize::from(u8::MAX)) as u8,
            },
            RemoteTrack {
                receiver: receiver_id,
                track_id: Arc::from(track_id),
                mid,
                audio_level_ext_id,
                dependency_descriptor_ext_id,
                layer_ssrcs,
            },
        ))
    }
}

/// Hands an opened layer's SSRC, and its RTX SSRC when the receiver lists
/// one, to the fast receive leg.
fn open_fast_route(
    fast: &mut super::fast::FastPath,
    now: Instant,
    pc: &mut RTCPeerConnection,
    track: &IncomingTrack,
    remote: &RemoteTrack,
    ssrc: u32,
) {
    let Some(layer) = remote.layer_of(ssrc) else {
        return;
    };
    let Some(mut receiver) = pc.rtp_receiver(remote.receiver) else {
        return;
    };
    let repair_ssrc = receiver.track().codings().iter().find_map(|c| {
        let coding = &c.rtp_coding_parameters;
        (coding.ssrc == Some(ssrc))
            .then(|| coding.rtx.as_ref().map(|rtx| rtx.ssrc))
            .flatten()
    });
    let transport_cc = receiver
        .get_parameters()
        .rtp_parameters
        .header_extensions
        .iter()
        .find(|e| e.uri == TRANSPORT_CC_URI)
        .and_then(|e| u8::try_from(e.id).ok());
    fast.set_transport_cc_ext_id(transport_cc);
    fast.open(
        now,
        super::fast::OpenLayer {
            receiver: remote.receiver,
            track_id: remote.track_id.clone(),
            layer,
            ssrc,
            repair_ssrc,
            clock_rate: track.clock_rate,
            nack: track.kind == MediaKind::Video,
            audio_level_ext_id: remote.audio_level_ext_id,
            dependency_descriptor_ext_id: remote.dependency_descriptor_ext_id,
        },
    );
}

/// The bytes of a packet's header extension `id`, borrowed (the hot path
/// takes no reference count).
fn extension(header: &rtc::rtp::Header, id: u8) -> Option<&[u8]> {
    if !header.extension {
        return None;
    }
    header
        .extensions
        .iter()
        .find(|e| e.id == id)
        .map(|e| &e.payload[..])
}

/// The rids a receiver was offered, in the order of the offer's
/// `a=simulcast` (`rtc` keeps them so): lowest layer first, as our SDK
/// and twilio-video list their encodings.
fn rids(pc: &mut RTCPeerConnection, receiver_id: RTCRtpReceiverId) -> Vec<String> {
    pc.rtp_receiver(receiver_id)
        .map(|r| {
            r.track()
                .codings()
                .iter()
                .map(|c| c.rtp_coding_parameters.rid.clone())
                .filter(|rid| !rid.is_empty())
                .collect()
        })
        .unwrap_or_default()
}
