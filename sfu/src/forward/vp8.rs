//! VP8 picture numbering across a subscriber's runs (LiveKit's "VP8
//! munger").
//!
//! A VP8 payload descriptor (RFC 7741 §4.2) numbers pictures (PictureID)
//! and base-layer pictures (TL0PICIDX), and a receiver orders frames by
//! them: Chrome drops a frame whose PictureID is behind the last one it
//! decoded. Each simulcast layer (and each publisher) counts from its own
//! random start, so after a switch a subscriber would see the numbers jump,
//! often backwards, and drop most of what follows. [`Vp8Numbering`] offsets
//! each run so its numbers continue from the last ones sent, the way the
//! rewriter does for sequence numbers and timestamps.
//!
//! A packet is copied only while an offset is non-zero; a subscriber that
//! never switched gets the publisher's bytes as they are.

use bytes::{Bytes, BytesMut};

/// Where a descriptor keeps its numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fields {
    /// PictureID: offset in the payload, value, and whether it is 15 bits
    /// (M bit) rather than 7.
    picture_id: Option<(usize, u16, bool)>,
    /// TL0PICIDX: offset and value.
    tl0_pic_idx: Option<(usize, u8)>,
}

fn parse(payload: &[u8]) -> Option<Fields> {
    let first = *payload.first()?;
    let mut fields = Fields {
        picture_id: None,
        tl0_pic_idx: None,
    };
    if first & 0x80 == 0 {
        return Some(fields);
    }
    let x = *payload.get(1)?;
    let mut at = 2;
    if x & 0x80 != 0 {
        let high = *payload.get(at)?;
        if high & 0x80 != 0 {
            let low = *payload.get(at + 1)?;
            fields.picture_id = Some((at, u16::from(high & 0x7f) << 8 | u16::from(low), true));
            at += 2;
        } else {
            fields.picture_id = Some((at, u16::from(high), false));
            at += 1;
        }
    }
    if x & 0x40 != 0 {
        fields.tl0_pic_idx = Some((at, *payload.get(at)?));
    }
    Some(fields)
}

const PICTURE_ID_MASK: u16 = 0x7fff;

#[derive(Debug, Clone, Default)]
pub struct Vp8Numbering {
    picture_id_offset: u16,
    tl0_offset: u8,
    /// The last numbers sent, for the next run to follow.
    last_picture_id: Option<u16>,
    last_tl0: Option<u8>,
}

impl Vp8Numbering {
    /// A run starts at this packet (a keyframe): its numbers follow the
    /// last ones sent.
    pub fn start_run(&mut self, payload: &[u8]) {
        let Some(fields) = parse(payload) else {
            return;
        };
        if let (Some((_, id, _)), Some(last)) = (fields.picture_id, self.last_picture_id) {
            self.picture_id_offset = last.wrapping_add(1).wrapping_sub(id) & PICTURE_ID_MASK;
        }
        if let (Some((_, idx)), Some(last)) = (fields.tl0_pic_idx, self.last_tl0) {
            self.tl0_offset = last.wrapping_add(1).wrapping_sub(idx);
        }
    }

    /// The payload with this run's numbers; `record` for packets sent for
    /// the first time (not retransmissions), whose numbers the next run
    /// follows.
    pub fn renumber(&mut self, payload: &Bytes, record: bool) -> Bytes {
        let Some(fields) = parse(payload) else {
            return payload.clone();
        };
        let picture_id = fields.picture_id.map(|(at, id, long)| {
            (
                at,
                id.wrapping_add(self.picture_id_offset) & PICTURE_ID_MASK,
                long,
            )
        });
        let tl0 = fields
            .tl0_pic_idx
            .map(|(at, idx)| (at, idx.wrapping_add(self.tl0_offset)));
        // Only numbers ahead of the last are recorded: a late or resent
        // packet of this run must not pull the next run's numbers back
        // onto ones already sent.
        if record {
            if let Some((_, id, _)) = picture_id
                && self.last_picture_id.is_none_or(|last| {
                    let ahead = id.wrapping_sub(last) & PICTURE_ID_MASK;
                    ahead != 0 && ahead < 0x4000
                })
            {
                self.last_picture_id = Some(id);
            }
            if let Some((_, idx)) = tl0
                && self
                    .last_tl0
                    .is_none_or(|last| (idx.wrapping_sub(last) as i8) > 0)
            {
                self.last_tl0 = Some(idx);
            }
        }
        if self.picture_id_offset == 0 && self.tl0_offset == 0 {
            return payload.clone();
        }
        let mut out = BytesMut::from(&payload[..]);
        if let Some((at, id, long)) = picture_id {
            if long {
                out[at] = 0x80 | (id >> 8) as u8;
                out[at + 1] = id as u8;
            } else {
                out[at] = (id & 0x7f) as u8;
            }
        }
        if let Some((at, idx)) = tl0 {
            out[at] = idx;
        }
        out.freeze()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A descriptor with a 15-bit PictureID and a TL0PICIDX, then payload.
    fn packet(picture_id: u16, tl0: u8) -> Bytes {
        Bytes::from(vec![
            0x90,
            0xc0,
            0x80 | (picture_id >> 8) as u8,
            picture_id as u8,
            tl0,
            0x9d,
        ])
    }

    #[test]
    fn a_new_run_continues_the_numbers_of_the_last_and_leaves_the_rest() {
        let mut numbering = Vp8Numbering::default();
        numbering.start_run(&packet(30_000, 200));
        let first = numbering.renumber(&packet(30_000, 200), true);
        assert_eq!(first, packet(30_000, 200), "the first run is sent as it is");
        numbering.renumber(&packet(30_001, 201), true);
        // A switch to a layer counting from 12 and 7.
        numbering.start_run(&packet(12, 7));
        assert_eq!(
            numbering.renumber(&packet(12, 7), true),
            packet(30_002, 202)
        );
        assert_eq!(
            numbering.renumber(&packet(13, 7), true),
            packet(30_003, 202)
        );
        // A late packet does not pull the numbers back.
        assert_eq!(
            numbering.renumber(&packet(12, 6), true),
            packet(30_002, 201)
        );
        // Retransmissions are renumbered but not recorded.
        assert_eq!(
            numbering.renumber(&packet(12, 7), false),
            packet(30_002, 202)
        );
        numbering.start_run(&packet(500, 0));
        assert_eq!(
            numbering.renumber(&packet(500, 0), true),
            packet(30_004, 203)
        );
        // 15-bit wrap, and a 7-bit PictureID keeps its size.
        let mut wrap = Vp8Numbering {
            last_picture_id: Some(0x7fff),
            ..Default::default()
        };
        wrap.start_run(&packet(100, 0));
        assert_eq!(wrap.renumber(&packet(101, 0), true), packet(1, 0));
        let short = Bytes::from(vec![0x90, 0x80, 0x05, 0x9d]);
        assert_eq!(wrap.renumber(&short, true)[2], ((5 + 32_668) % 128) as u8);
        assert_eq!(
            wrap.renumber(&Bytes::from_static(&[0x10, 0x9d]), true),
            Bytes::from_static(&[0x10, 0x9d])
        );
    }
}
