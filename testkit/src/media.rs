//! The payloads tests send: text naming the sender, the kind and the
//! sequence number (`alice-video-7`), video behind three bytes that say
//! "keyframe or not" in the codec's own terms, so the SFU can tell.

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
