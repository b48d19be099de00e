//! What the forwarder must know about packets: is this the start of a
//! keyframe? A subscriber that starts (or resumes) mid-stream gets nothing
//! until one arrives, since a decoder fed inter frames shows garbage.
//!
//! A packet with a Dependency Descriptor
//! ([`dependency_descriptor`](super::dependency_descriptor)) is judged by
//! it alone; only packets without one (older clients, H.264) are judged by
//! their payload.

/// Codecs the SFU forwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    Opus,
    Vp8,
    H264,
    /// Anything else negotiated: forwarded, never treated as a keyframe.
    Other,
}

impl Codec {
    pub fn from_mime(mime: &str) -> Self {
        match mime.to_ascii_lowercase().as_str() {
            "audio/opus" => Codec::Opus,
            "video/vp8" => Codec::Vp8,
            "video/h264" => Codec::H264,
            _ => Codec::Other,
        }
    }

    pub fn is_video(self) -> bool {
        matches!(self, Codec::Vp8 | Codec::H264)
    }

    /// Whether a subscriber may start at a packet: any audio packet, or
    /// the first packet of a video keyframe. `descriptor_keyframe` is what
    /// the packet's Dependency Descriptor says (`None`: it has none).
    ///
    /// When there is a descriptor the payload is not looked at: with
    /// end-to-end encryption (SFrame in the browser's encoded transforms)
    /// everything after the VP8 payload descriptor is ciphertext, so the
    /// payload header's "keyframe" bit is noise: read, it would start
    /// subscribers on inter frames they cannot decode and let real
    /// keyframes pass.
    pub fn packet_starts_keyframe(self, descriptor_keyframe: Option<bool>, payload: &[u8]) -> bool {
        match (self, descriptor_keyframe) {
            (Codec::Opus, _) => true,
            (_, Some(keyframe)) => keyframe,
            (_, None) => self.starts_keyframe(payload),
        }
    }

    /// Whether a subscriber may start at this payload: any audio packet,
    /// or the first packet of a video keyframe, as the payload says.
    pub fn starts_keyframe(self, payload: &[u8]) -> bool {
        match self {
            Codec::Opus => true,
            Codec::Vp8 => vp8_starts_keyframe(payload),
            Codec::H264 => h264_starts_keyframe(payload),
            Codec::Other => false,
        }
    }
}

/// RFC 7741 §4.2–4.3: payload descriptor, then (on the first packet of a
/// partition, S=1, PID=0) the payload header whose P bit is 0 for keyframes.
pub fn vp8_starts_keyframe(payload: &[u8]) -> bool {
    let Some(&first) = payload.first() else {
        return false;
    };
    let extended = first & 0x80 != 0;
    let start_of_partition = first & 0x10 != 0;
    let partition_id = first & 0x07;
    if !start_of_partition || partition_id != 0 {
        return false;
    }
    let mut at = 1;
    if extended {
        let Some(&x) = payload.get(at) else {
            return false;
        };
        at += 1;
        if x & 0x80 != 0 {
            // PictureID: one byte, or two when its M bit is set.
            let Some(&pid) = payload.get(at) else {
                return false;
            };
            at += if pid & 0x80 != 0 { 2 } else { 1 };
        }
        if x & 0x40 != 0 {
            at += 1; // TL0PICIDX
        }
        if x & 0x30 != 0 {
            at += 1; // TID/Y/KEYIDX
        }
    }
    payload.get(at).is_some_and(|header| header & 0x01 == 0)
}

/// RFC 6184: an IDR slice or SPS, alone, first in a STAP-A, or starting a FU-A.
pub fn h264_starts_keyframe(payload: &[u8]) -> bool {
    const IDR: u8 = 5;
    const SPS: u8 = 7;
    const STAP_A: u8 = 24;
    const FU_A: u8 = 28;
    let Some(&first) = payload.first() else {
        return false;
    };
    match first & 0x1f {
        IDR | SPS => true,
        STAP_A => {
            let mut at = 1;
            while at + 2 < payload.len() {
                let size = u16::from_be_bytes([payload[at], payload[at + 1]]) as usize;
                let nal_type = payload[at + 2] & 0x1f;
                if nal_type == IDR || nal_type == SPS {
                    return true;
                }
                at += 2 + size;
            }
            false
        }
        FU_A => payload
            .get(1)
            .is_some_and(|fu| fu & 0x80 != 0 && matches!(fu & 0x1f, IDR | SPS)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vp8_keyframes_and_inter_frames() {
        // S=1, PID=0, no extension; payload header P=0 → keyframe.
        assert!(vp8_starts_keyframe(&[0x10, 0x00, 0x9d]));
        // Same with P=1 → inter frame.
        assert!(!vp8_starts_keyframe(&[0x10, 0x01, 0x9d]));
        // Continuation packet (S=0).
        assert!(!vp8_starts_keyframe(&[0x00, 0x00]));
        // Extended: X with I (two-byte PictureID) and T, then header P=0.
        assert!(vp8_starts_keyframe(&[0x90, 0xa0, 0x80, 0x01, 0x00, 0x00]));
        assert!(!vp8_starts_keyframe(&[0x90, 0xa0, 0x80]), "truncated");
        assert!(!vp8_starts_keyframe(&[]));
    }

    #[test]
    fn h264_keyframes() {
        assert!(h264_starts_keyframe(&[0x65, 0x88]));
        assert!(h264_starts_keyframe(&[0x67, 0x42]));
        assert!(!h264_starts_keyframe(&[0x41, 0x9a]));
        assert!(h264_starts_keyframe(&[0x78, 0x00, 0x02, 0x67, 0x42]));
        assert!(h264_starts_keyframe(&[0x7c, 0x85]));
        assert!(!h264_starts_keyframe(&[0x7c, 0x05]), "FU-A continuation");
        assert!(!h264_starts_keyframe(&[0x78, 0x00]));
    }

    #[test]
    fn a_dependency_descriptor_overrules_the_payload() {
        let vp8_keyframe = [0x10, 0x00, 0x9d];
        let vp8_inter = [0x10, 0x01, 0x9d];
        assert!(Codec::Vp8.packet_starts_keyframe(Some(true), &vp8_inter));
        assert!(!Codec::Vp8.packet_starts_keyframe(Some(false), &vp8_keyframe));
        assert!(Codec::Vp8.packet_starts_keyframe(None, &vp8_keyframe));
        assert!(!Codec::Vp8.packet_starts_keyframe(None, &vp8_inter));
        assert!(Codec::H264.packet_starts_keyframe(Some(true), &[0x41, 0x9a]));
        assert!(Codec::Opus.packet_starts_keyframe(Some(false), &[1]));
    }

    #[test]
    fn audio_always_starts() {
        assert!(Codec::from_mime("audio/OPUS").starts_keyframe(&[1]));
        assert!(!Codec::from_mime("video/AV1").starts_keyframe(&[0x10, 0]));
    }
}
