//! The AV1 RTP specification's Dependency Descriptor (DD) header extension,
//! as far as the forwarder needs it: where a keyframe starts.
//!
//! Why a header extension and not the payload: with end-to-end encryption
//! (SFrame through a browser's encoded transforms) the frame bytes are
//! ciphertext, so the VP8 payload header's P bit, which says "keyframe",
//! cannot be read; the DD travels in the clear, in the RTP header, and
//! says it for any codec. Chromium sends one on every video packet once it
//! is negotiated.
//!
//! Only the fixed fields are read (spec §A.8.2–A.8.3): byte 0 holds
//! start_of_frame (bit 7), end_of_frame (bit 6) and
//! frame_dependency_template_id (low 6 bits), bytes 1–2 frame_number, and
//! a descriptor longer than 3 bytes begins its extended fields with
//! template_dependency_structure_present_flag (the top bit of byte 3).
//! Nothing is allocated; the rest (the structure itself, chains, decode
//! targets) is left unparsed.

/// The extension's URI in SDP (`a=extmap`).
pub const DEPENDENCY_DESCRIPTOR_URI: &str =
    "https://aomediacodec.github.io/av1-rtp-spec/#dependency-descriptor-rtp-header-extension";

/// The fixed fields of one packet's dependency descriptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DependencyDescriptor {
    /// The packet is the first of its frame.
    pub start_of_frame: bool,
    /// The packet is the last of its frame.
    pub end_of_frame: bool,
    pub frame_dependency_template_id: u8,
    /// Counts frames (wrapping), per stream.
    pub frame_number: u16,
    /// The descriptor carries a template dependency structure.
    pub template_dependency_structure_present: bool,
}

impl DependencyDescriptor {
    /// The fixed fields of an extension's bytes; `None` when shorter than
    /// the three mandatory bytes.
    pub fn parse(extension: &[u8]) -> Option<Self> {
        let [first, frame_high, frame_low, extended @ ..] = extension else {
            return None;
        };
        Some(Self {
            start_of_frame: first & 0x80 != 0,
            end_of_frame: first & 0x40 != 0,
            frame_dependency_template_id: first & 0x3f,
            frame_number: u16::from_be_bytes([*frame_high, *frame_low]),
            template_dependency_structure_present: extended
                .first()
                .is_some_and(|flags| flags & 0x80 != 0),
        })
    }

    /// Whether this packet starts a keyframe: the first packet of a frame
    /// that carries the dependency structure. libwebrtc attaches the
    /// structure to the first packet of every keyframe and of no other
    /// frame (a decoder needs it before it can use any template, and a
    /// keyframe is where a decoder may start).
    pub fn starts_keyframe(&self) -> bool {
        self.start_of_frame && self.template_dependency_structure_present
    }
}

/// Whether a packet whose DD extension holds `extension` starts a
/// keyframe. One too short to read starts nothing: a publisher that sends
/// a DD may encrypt its payloads, so the payload is no better a witness.
pub fn starts_keyframe(extension: &[u8]) -> bool {
    DependencyDescriptor::parse(extension).is_some_and(|dd| dd.starts_keyframe())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A keyframe's first packet as libwebrtc writes it for one spatial
    /// and one temporal layer: mandatory fields (start and end of frame,
    /// template 0, frame 0x1234), then the extended flags (structure
    /// present) and a one-template structure.
    const KEYFRAME: [u8; 6] = [0xc0, 0x12, 0x34, 0x80, 0x00, 0xe0];

    #[test]
    fn reads_the_mandatory_fields_and_the_structure_flag() {
        assert_eq!(
            DependencyDescriptor::parse(&KEYFRAME),
            Some(DependencyDescriptor {
                start_of_frame: true,
                end_of_frame: true,
                frame_dependency_template_id: 0,
                frame_number: 0x1234,
                template_dependency_structure_present: true,
            })
        );
        assert!(starts_keyframe(&KEYFRAME));
    }

    #[test]
    fn three_bytes_are_the_mandatory_fields_alone() {
        let dd = DependencyDescriptor::parse(&[0x85, 0xff, 0xfe]).unwrap();
        assert_eq!(
            dd,
            DependencyDescriptor {
                start_of_frame: true,
                end_of_frame: false,
                frame_dependency_template_id: 5,
                frame_number: 0xfffe,
                template_dependency_structure_present: false,
            }
        );
        assert!(!dd.starts_keyframe(), "a delta frame's first packet");
    }

    #[test]
    fn extended_fields_without_a_structure_are_no_keyframe() {
        // Extended flags with only active_decode_targets_present set.
        let dd = DependencyDescriptor::parse(&[0xc1, 0x00, 0x07, 0x40, 0x80]).unwrap();
        assert!(!dd.template_dependency_structure_present);
        assert!(!dd.starts_keyframe());
        assert_eq!(dd.frame_number, 7);
    }

    #[test]
    fn a_structure_on_a_later_packet_of_the_frame_is_no_start() {
        let mut later = KEYFRAME;
        later[0] &= !0x80;
        let dd = DependencyDescriptor::parse(&later).unwrap();
        assert!(dd.template_dependency_structure_present);
        assert!(!dd.starts_keyframe());
    }

    #[test]
    fn truncated_descriptors_do_not_parse_and_start_nothing() {
        for truncated in [&[][..], &[0xc0], &[0xc0, 0x12]] {
            assert_eq!(DependencyDescriptor::parse(truncated), None);
            assert!(!starts_keyframe(truncated));
        }
    }
}
