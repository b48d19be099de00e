//! The payloads tests send: text naming the sender, the kind and the
//! sequence number (`alice-video-7`), video behind three bytes that say
//! "keyframe or not" in the codec's own terms, so the SFU can tell.
//!
//! Video may also carry a Dependency Descriptor header extension
//! ([`send_pair_with_descriptor`]) that says "keyframe or not" on its own,
//! as Chromium's does; it may contradict the payload, the way an
//! end-to-end-encrypted payload says nothing readable.

use std::time::Instant;

use bytes::Bytes;

use crate::peer::{MIME_TYPE_H264, MIME_TYPE_VP8, Outgoing, Peer, RtpCodecKind};

/// Bytes in front of a video payload's text.
pub const VIDEO_PREFIX: usize = 3;

/// `{identity}-audio-{seq}`.
pub fn audio(identity: &str, seq: u16) -> Bytes {
    Bytes::from(format!("{identity}-audio-{seq}"))
}

/// `{identity}-video-{seq}` after a VP8 payload descriptor and header (or
/// an H.264 NAL header) that starts a keyframe when `keyframe`.
pub fn video(identity: &str, seq: u16, keyframe: bool, mime: &str) -> Bytes {
    let mut p = if mime.eq_ignore_ascii_case(MIME_TYPE_H264) {
        vec![if keyframe { 0x65 } else { 0x41 }, 0x88, 0x80]
    } else {
        vec![0x10, if keyframe { 0x00 } else { 0x01 }, 0x9d]
    };
    p.extend_from_slice(format!("{identity}-video-{seq}").as_bytes());
    Bytes::from(p)
}

/// A Dependency Descriptor (AV1 RTP spec §A.8) for a video frame sent
/// in one packet (start and end of frame, template 0), numbered
/// `frame_number`. A keyframe's carries the template dependency structure,
/// as libwebrtc writes it on a keyframe's first packet: here one template
/// of one decode target (one spatial and one temporal layer, no chains,
/// no resolutions); other frames carry the three mandatory bytes alone.
pub fn dependency_descriptor(frame_number: u16, keyframe: bool) -> Bytes {
    let [high, low] = frame_number.to_be_bytes();
    let mut descriptor = vec![0xc0, high, low];
    if keyframe {
        // Bits: structure present 1, the four other flags 0;
        // template_id_offset 0 (6 bits), dt_cnt_minus_one 0 (5 bits);
        // next_layer_idc 3 (no more templates), the template's DTI 2
        // (switch), no fdiffs, chain_cnt 0, no resolutions; zero padding.
        descriptor.extend_from_slice(&[0x80, 0x00, 0xe0]);
    }
    Bytes::from(descriptor)
}

/// Writes one labelled audio packet and one labelled video packet
/// (`seq` at 50 packets a second: 960 ticks of Opus, 3000 of video) to
/// `peer`'s tracks; video starts a keyframe when `keyframe`. Returns
/// whether each was written (its codec is negotiated), audio first.
pub fn send_pair(
    peer: &mut Peer,
    now: Instant,
    identity: &str,
    seq: u16,
    keyframe: bool,
    audio_level: Option<u8>,
) -> [(RtpCodecKind, bool); 2] {
    write_pair(peer, now, identity, seq, keyframe, None, audio_level)
}

/// Like [`send_pair`], with the video packet's payload starting a
/// keyframe when `payload_keyframe` and its Dependency Descriptor (frame
/// `seq`) announcing one when `descriptor_keyframe`: the two may disagree,
/// as they do for an encrypted payload. The video track must have
/// negotiated the extension ([`crate::peer::Publish::dependency_descriptor`]).
pub fn send_pair_with_descriptor(
    peer: &mut Peer,
    now: Instant,
    identity: &str,
    seq: u16,
    payload_keyframe: bool,
    descriptor_keyframe: bool,
    audio_level: Option<u8>,
) -> [(RtpCodecKind, bool); 2] {
    let descriptor = dependency_descriptor(seq, descriptor_keyframe);
    write_pair(
        peer,
        now,
        identity,
        seq,
        payload_keyframe,
        Some(descriptor),
        audio_level,
    )
}

fn write_pair(
    peer: &mut Peer,
    now: Instant,
    identity: &str,
    seq: u16,
    keyframe: bool,
    descriptor: Option<Bytes>,
    audio_level: Option<u8>,
) -> [(RtpCodecKind, bool); 2] {
    let mime = peer.video.as_ref().map_or(MIME_TYPE_VP8, |v| v.mime);
    let packets = [
        (RtpCodecKind::Audio, 960u32, audio(identity, seq)),
        (
            RtpCodecKind::Video,
            3000u32,
            video(identity, seq, keyframe, mime),
        ),
    ];
    packets.map(|(kind, clock, payload)| {
        let packet = Outgoing {
            sequence_number: seq,
            timestamp: seq as u32 * clock,
            marker: true,
            payload,
            audio_level,
            dependency_descriptor: descriptor.clone().filter(|_| kind == RtpCodecKind::Video),
        };
        (kind, peer.write_rtp(now, kind, packet))
    })
}

/// A received payload's text (after the video prefix).
pub fn text(kind: RtpCodecKind, payload: &[u8]) -> String {
    let skip = if kind == RtpCodecKind::Video {
        VIDEO_PREFIX
    } else {
        0
    };
    String::from_utf8_lossy(&payload[skip.min(payload.len())..]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::dependency_descriptor;
    use sfu::forward::dependency_descriptor::DependencyDescriptor;

    #[test]
    fn descriptors_read_back_as_the_sfu_reads_them() {
        let key = DependencyDescriptor::parse(&dependency_descriptor(0x0102, true)).unwrap();
        assert!(key.starts_keyframe() && key.end_of_frame);
        assert_eq!(key.frame_number, 0x0102);
        let delta = dependency_descriptor(0x0103, false);
        assert_eq!(delta.len(), 3, "mandatory fields only");
        let delta = DependencyDescriptor::parse(&delta).unwrap();
        assert!(delta.start_of_frame && !delta.starts_keyframe());
    }
}
