//! Our senders in a subscriber's peer connection: sendonly transceivers
//! with SSRCs we pick (a [`SenderSlot`] is that SSRC), reused per codec
//! when released so the SDP does not grow, and the forwarded RTP written on
//! them.

use std::time::Instant;

use bytes::Bytes;
use rtc::media_stream::MediaStreamTrack;
use rtc::rtp_transceiver::rtp_sender::{
    RTCRtpCodingParameters, RTCRtpEncodingParameters, RtpCodecKind,
};
use rtc::rtp_transceiver::{RTCRtpTransceiverDirection, RTCRtpTransceiverInit};

use super::setup::{self, AUDIO_LEVEL_URI};
use super::{EngineError, EnginePeer, SenderEntry, SenderSlot};
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
}
