//! Our senders in a subscriber's peer connection: sendonly transceivers
//! with SSRCs we pick (a [`SenderSlot`] is that SSRC), reused per codec
//! when released so the SDP does not grow, and the forwarded RTP written on
//! them.

use std::time::Instant;

use bytes::Bytes;
use rtc::media_stream::MediaStreamTrack;
use rtc::peer_connection::message::{RTCMessage, TaggedRTCMessage};
use rtc::rtp_transceiver::rtp_sender::{
    RTCRtpCodingParameters, RTCRtpEncodingParameters, RTCRtpRtxParameters, RtpCodecKind,
};
use rtc::rtp_transceiver::{RTCRtpTransceiverDirection, RTCRtpTransceiverInit};
use rtc::sansio::Protocol;

use super::setup::{self, AUDIO_LEVEL_URI, TRANSPORT_CC_URI};
use super::{EngineError, EnginePeer, RepairFlow, SenderEntry, SenderNegotiation, SenderSlot};
use crate::buffers::BufferPool;
use crate::forward::down_track::OutgoingPacket;
use crate::signal::MediaKind;

impl EnginePeer {
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
        let ssrc = self.unused_ssrc();
        // Video gets a repair SSRC (RTX) of ours, named in the track so that
        // the interceptors bind it too (`bandwidth::WithRepairFlows`); `rtc`
        // drops it from the SDP if the subscriber declines RTX.
        let repair_ssrc = (kind == MediaKind::Video).then(|| self.unused_ssrc());
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
                    rtx: repair_ssrc.map(|ssrc| RTCRtpRtxParameters { ssrc }),
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
                repair_ssrc,
                repair: None,
                payload_type: None,
            },
        );
        Ok(ssrc)
    }

    /// A random SSRC no sender of ours uses (as media or repair flow).
    fn unused_ssrc(&self) -> u32 {
        loop {
            let candidate = rand::random::<u32>();
            let taken = self
                .senders
                .iter()
                .any(|(&slot, e)| slot == candidate || e.repair_ssrc == Some(candidate));
            if candidate != 0 && !taken {
                break candidate;
            }
        }
    }

    /// Stops a sender and keeps its transceiver (inactive) for reuse.
    pub fn release_sender(&mut self, slot: SenderSlot) {
        if let Some(fast) = &mut self.fast {
            fast.unreport_sender(slot);
        }
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

    /// What the subscriber negotiated for a sender carrying `mime_type`
    /// (payload type, audio level id, repair flow), once it answered an
    /// offer with the sender in it (`None` before any offer had it).
    pub fn sender_negotiation(
        &mut self,
        slot: SenderSlot,
        mime_type: &str,
    ) -> Option<SenderNegotiation> {
        let id = self.senders.get(&slot)?.id;
        let mid = self.sender_mid(slot)?;
        let mut sender = self.pc.rtp_sender(id)?;
        let params = sender.get_parameters();
        let payload_type = params
            .rtp_parameters
            .codecs
            .iter()
            .find(|c| c.rtp_codec.mime_type.eq_ignore_ascii_case(mime_type))?
            .payload_type;
        let audio_level_ext_id = params
            .rtp_parameters
            .header_extensions
            .iter()
            .find(|e| e.uri == AUDIO_LEVEL_URI)
            .and_then(|e| u8::try_from(e.id).ok());
        let transport_cc_ext_id = params
            .rtp_parameters
            .header_extensions
            .iter()
            .find(|e| e.uri == TRANSPORT_CC_URI)
            .and_then(|e| u8::try_from(e.id).ok());
        // `rtc` keeps the repair SSRC only when the answer accepted RTX.
        let repair_ssrc = params
            .encodings
            .iter()
            .find(|e| e.rtp_coding_parameters.ssrc == Some(slot))
            .and_then(|e| e.rtp_coding_parameters.rtx.as_ref())
            .map(|rtx| rtx.ssrc);
        // A sender's parameters list its track's codec only, so the RTX
        // format comes from our side of the negotiated m-section (our offer,
        // which the answer follows, or our answer, which follows the offer).
        let repair_payload_type = match repair_ssrc {
            Some(_) => self
                .pc
                .current_local_description()
                .and_then(|local| rtx_payload_type(&local.sdp, &mid, payload_type)),
            None => None,
        };
        let repair = match (repair_ssrc, repair_payload_type) {
            (Some(ssrc), Some(payload_type)) => Some(RepairFlow { ssrc, payload_type }),
            _ => None,
        };
        if let Some(entry) = self.senders.get_mut(&slot) {
            entry.repair = repair;
            entry.payload_type = Some(payload_type);
        }
        if let Some(fast) = &mut self.fast {
            fast.set_send_transport_cc_ext_id(transport_cc_ext_id);
            let clock_rate = if mime_type.to_ascii_lowercase().starts_with("audio/") {
                48_000
            } else {
                90_000
            };
            fast.report_sender(self.last_input, slot, clock_rate);
        }
        Some(SenderNegotiation {
            payload_type,
            audio_level_ext_id,
            repair,
        })
    }

    /// Sends one forwarded packet on a sender, under a header of our own:
    /// of the publisher's header extensions only the audio level is
    /// carried over (under the subscriber's id). Its Dependency Descriptor
    /// is not, as its frame numbers and structure would be wrong after a
    /// layer switch; `rtc` adds transport-cc.
    pub fn write_rtp(
        &mut self,
        now: Instant,
        slot: SenderSlot,
        packet: &OutgoingPacket,
        buffers: &mut BufferPool,
    ) -> Result<(), EngineError> {
        let entry = self
            .senders
            .get(&slot)
            .ok_or_else(|| EngineError::Invalid("unknown sender".into()))?;
        let id = entry.id;
        if let Some(fast) = self.fast.as_mut().filter(|f| f.sends()) {
            let media = packet.ssrc == slot;
            let negotiated = if media {
                entry.payload_type == Some(packet.payload_type)
            } else {
                entry
                    .repair
                    .is_some_and(|r| r.ssrc == packet.ssrc && r.payload_type == packet.payload_type)
            };
            if !negotiated {
                return Err(EngineError::Invalid(
                    "not this sender's negotiated SSRC and payload type".into(),
                ));
            }
            fast.learn_destination(self.pc.quiet(), id);
            match fast.send_rtp(now, self.pc.quiet(), packet, media, buffers.take()) {
                Ok(()) => return Ok(()),
                Err(unused) => buffers.give(unused),
            }
        }
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
        if packet.ssrc == slot {
            let mut sender = self
                .pc
                .rtp_sender(id)
                .ok_or_else(|| EngineError::Invalid("sender not negotiated".into()))?;
            sender.write_rtp(now, rtp)?;
            // With the send leg, our SRs count this packet too (`rtc`'s SR
            // interceptor is not there to).
            if let Some(fast) = self.fast.as_mut().filter(|f| f.sends()) {
                fast.feedback
                    .on_sent(now, packet.ssrc, packet.timestamp, packet.payload.len());
            }
        } else {
            self.write_repair(now, slot, rtp)?;
        }
        Ok(())
    }

    /// Sends a retransmission on a sender's repair SSRC.
    ///
    /// `RTCRtpSender::write_rtp` only takes the media SSRC (`rtc` 0.21 has
    /// no RTX sending of its own), so the packet goes to the peer
    /// connection's write path directly, which encrypts by SSRC, after the
    /// checks `write_rtp` would make: the SSRC and payload type are the ones
    /// this sender's answer negotiated.
    fn write_repair(
        &mut self,
        now: Instant,
        slot: SenderSlot,
        rtp: rtc::rtp::Packet,
    ) -> Result<(), EngineError> {
        self.senders
            .get(&slot)
            .and_then(|e| e.repair)
            .filter(|r| r.ssrc == rtp.header.ssrc && r.payload_type == rtp.header.payload_type)
            .ok_or_else(|| EngineError::Invalid("not this sender's repair flow".into()))?;
        self.pc.handle_write(TaggedRTCMessage {
            now,
            message: RTCMessage::RtpPacket(String::new(), rtp),
        })?;
        Ok(())
    }
}

/// The RTX payload type repairing `apt` in the m-section of `mid` of an
/// SDP (`a=fmtp:<pt> apt=<apt>`, RFC 4588 §8.6).
fn rtx_payload_type(sdp: &str, mid: &str, apt: u8) -> Option<u8> {
    let wanted_mid = format!("a=mid:{mid}");
    let wanted_apt = format!("apt={apt}");
    // The session-level part holds no `a=mid`, so it never matches.
    sdp.split("\nm=")
        .find(|section| section.lines().any(|l| l.trim_end() == wanted_mid))?
        .lines()
        .find_map(|l| {
            let (pt, params) = l.trim_end().strip_prefix("a=fmtp:")?.split_once(' ')?;
            params
                .split(';')
                .any(|p| p.trim() == wanted_apt)
                .then(|| pt.parse().ok())?
        })
}

#[cfg(test)]
mod tests {
    use super::rtx_payload_type;

    #[test]
    fn finds_the_rtx_format_of_a_codec_in_its_own_m_section() {
        let sdp = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n\
                   m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\na=mid:1\r\na=fmtp:97 apt=96\r\n\
                   m=video 9 UDP/TLS/RTP/SAVPF 98 99\r\na=mid:2\r\na=fmtp:99 rtx-time=3000;apt=98\r\n";
        assert_eq!(rtx_payload_type(sdp, "1", 96), Some(97));
        assert_eq!(rtx_payload_type(sdp, "2", 98), Some(99));
        assert_eq!(rtx_payload_type(sdp, "0", 111), None);
        assert_eq!(rtx_payload_type(sdp, "3", 96), None);
    }
}
