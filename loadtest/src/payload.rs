//! What simulated publishers send: Opus-sized audio every 20 ms and VP8
//! video with real frame structure (keyframes at an interval, frames split
//! into packets with the VP8 payload descriptor, the marker bit on a frame's
//! last packet). Every payload ends with a [`Stamp`] — send time and a
//! per-track sequence — so the receiving side measures one-way latency
//! through the SFU and loss without any other channel.
//!
//! Payloads are filler (no encoder runs): building one is a fill and a
//! 16-byte write, far below the cost of the SRTP that follows.

use bytes::{BufMut, Bytes, BytesMut};

/// Marks our stamp, so anything else (a probe, padding) is not misread.
const MAGIC: u32 = 0xC0F1_DE00;
pub const STAMP_LEN: usize = 16;
/// Payload bytes per RTP packet, below the usual 1200-byte MTU budget.
pub const MAX_PAYLOAD: usize = 1100;

/// Send time (µs on the harness's clock) and the track's own sequence
/// (the SFU rewrites RTP sequence numbers; this one survives).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub sent_us: u64,
    pub seq: u32,
}

impl Stamp {
    pub fn write(&self, tail: &mut [u8]) {
        debug_assert_eq!(tail.len(), STAMP_LEN);
        tail[0..4].copy_from_slice(&MAGIC.to_be_bytes());
        tail[4..12].copy_from_slice(&self.sent_us.to_be_bytes());
        tail[12..16].copy_from_slice(&self.seq.to_be_bytes());
    }

    /// The stamp at the end of a payload, if there is one.
    pub fn read(payload: &[u8]) -> Option<Stamp> {
        let tail = payload.get(payload.len().checked_sub(STAMP_LEN)?..)?;
        if u32::from_be_bytes(tail[0..4].try_into().ok()?) != MAGIC {
            return None;
        }
        Some(Stamp {
            sent_us: u64::from_be_bytes(tail[4..12].try_into().ok()?),
            seq: u32::from_be_bytes(tail[12..16].try_into().ok()?),
        })
    }
}

/// One RTP payload to send, with its marker bit and RTP timestamp step.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub payload: Bytes,
    pub marker: bool,
}

/// Splits a VP8 frame of `frame_len` bytes into packets: each starts with
/// the payload descriptor (`S` set on the first), the first also with the
/// frame header (keyframe flag and, for keyframes, the start code and a
/// 640×480 size), and every one ends with the stamp.
pub fn vp8_frame(frame_len: usize, keyframe: bool, stamp_base: Stamp) -> Vec<Outgoing> {
    let frame_len = frame_len.max(16);
    let per_packet = MAX_PAYLOAD - 1 - STAMP_LEN;
    let packets = frame_len.div_ceil(per_packet);
    let mut out = Vec::with_capacity(packets);
    let mut left = frame_len;
    for i in 0..packets {
        let chunk = left.min(per_packet);
        left -= chunk;
        let mut p = BytesMut::with_capacity(1 + chunk + STAMP_LEN);
        // Payload descriptor (RFC 7741 4.2): X=0, N=0, S=start, PID=0.
        p.put_u8(if i == 0 { 0x10 } else { 0x00 });
        if i == 0 {
            // Frame tag (RFC 6386 9.1): bit 0 is 0 for a keyframe; version
            // 0, show_frame 1, first partition size 0 (we send noise).
            p.put_u8(if keyframe { 0x10 } else { 0x11 });
            p.put_u8(0x00);
            p.put_u8(0x00);
            if keyframe {
                p.put_slice(&[0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01]);
            }
        }
        while p.len() < 1 + chunk {
            p.put_u8(0x55);
        }
        let mut stamp = [0u8; STAMP_LEN];
        Stamp {
            sent_us: stamp_base.sent_us,
            seq: stamp_base.seq + i as u32,
        }
        .write(&mut stamp);
        p.put_slice(&stamp);
        out.push(Outgoing {
            payload: p.freeze(),
            marker: i + 1 == packets,
        });
    }
    out
}

/// An Opus packet of `len` bytes: a TOC byte (SILK/CELT 20 ms, mono) then
/// filler and the stamp.
pub fn opus_packet(len: usize, stamp: Stamp) -> Outgoing {
    let len = len.max(STAMP_LEN + 1);
    let mut p = BytesMut::with_capacity(len);
    p.put_u8(0x78);
    p.resize(len - STAMP_LEN, 0x33);
    let mut tail = [0u8; STAMP_LEN];
    stamp.write(&mut tail);
    p.put_slice(&tail);
    Outgoing {
        payload: p.freeze(),
        marker: false,
    }
}

/// Whether a received VP8 payload starts a keyframe (a PLI answered).
pub fn vp8_is_keyframe(payload: &[u8]) -> bool {
    payload.len() > 1 && payload[0] & 0x10 != 0 && payload[1] & 0x01 == 0
}

/// How a publisher paces its video: bytes per frame from the bitrate.
#[derive(Debug, Clone, Copy)]
pub struct VideoShape {
    pub bitrate_bps: u64,
    pub fps: u32,
    pub keyframe_interval_frames: u32,
}

impl VideoShape {
    /// Keyframes are three times a delta frame, as encoders roughly do.
    pub fn frame_len(&self, keyframe: bool) -> usize {
        let interval = self.keyframe_interval_frames.max(1) as u64;
        let per_second = self.bitrate_bps / 8;
        let per_frame = per_second / self.fps.max(1) as u64;
        // (interval - 1) deltas + one 3× keyframe = the interval's budget.
        let delta = per_frame * interval / (interval + 2);
        (if keyframe { delta * 3 } else { delta }).max(64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stamp_survives_the_round_trip_and_foreign_tails_are_ignored() {
        let stamp = Stamp {
            sent_us: 123_456_789,
            seq: 42,
        };
        let packet = opus_packet(80, stamp);
        assert_eq!(packet.payload.len(), 80);
        assert_eq!(Stamp::read(&packet.payload), Some(stamp));
        assert_eq!(Stamp::read(&[0u8; 40]), None);
        assert_eq!(Stamp::read(&[1, 2, 3]), None);
    }

    #[test]
    fn vp8_frames_are_split_with_descriptor_marker_and_stamps() {
        let packets = vp8_frame(
            3000,
            true,
            Stamp {
                sent_us: 7,
                seq: 100,
            },
        );
        assert_eq!(packets.len(), 3);
        assert_eq!(packets[0].payload[0], 0x10, "S bit on the first");
        assert_eq!(packets[1].payload[0], 0x00);
        assert!(vp8_is_keyframe(&packets[0].payload));
        assert_eq!(&packets[0].payload[4..7], &[0x9d, 0x01, 0x2a], "start code");
        assert_eq!(
            packets.iter().map(|p| p.marker).collect::<Vec<_>>(),
            [false, false, true]
        );
        let seqs: Vec<u32> = packets
            .iter()
            .map(|p| Stamp::read(&p.payload).unwrap().seq)
            .collect();
        assert_eq!(seqs, [100, 101, 102]);
        assert!(packets.iter().all(|p| p.payload.len() <= MAX_PAYLOAD));
        let delta = vp8_frame(500, false, Stamp { sent_us: 0, seq: 0 });
        assert_eq!(delta.len(), 1);
        assert!(!vp8_is_keyframe(&delta[0].payload));
        assert!(delta[0].marker);
    }

    #[test]
    fn frame_sizes_add_up_to_the_bitrate() {
        let shape = VideoShape {
            bitrate_bps: 600_000,
            fps: 30,
            keyframe_interval_frames: 60,
        };
        let interval: usize = (0..60).map(|i| shape.frame_len(i == 0)).sum();
        let per_two_seconds = 600_000 / 8 * 2;
        assert!(
            (interval as f64 / per_two_seconds as f64 - 1.0).abs() < 0.05,
            "{interval} vs {per_two_seconds}"
        );
    }
}
