//! One subscriber's copy of one published track.
//!
//! The down-track owns everything that differs per subscriber: the SSRC and
//! payload type negotiated in the subscriber's own SDP, its header-extension
//! id for audio level, and the sequence/timestamp rewriter. It starts each run
//! at a keyframe, so a subscriber that joins mid-stream decodes at once; the
//! packet's Dependency Descriptor says where one starts when it has one (its
//! payload may be end-to-end encrypted), else the payload does.
//!
//! Of a simulcast track it sends one layer: the one its run started on.
//! Given another target layer, it keeps sending the current one until the
//! target's next keyframe, and starts a new run there; the rewriter keeps
//! the subscriber's stream continuous across the switch, so the
//! subscriber sees one stream whose resolution changes.

use std::time::Instant;

use bytes::{BufMut, Bytes, BytesMut};

use super::codec::Codec;
use super::packet_cache::PacketCache;
use super::rewrite::SeqTsRewriter;
use super::vp8::Vp8Numbering;

/// A packet as it arrived from a publisher, parsed once for every
/// subscriber.
#[derive(Debug, Clone)]
pub struct SourcePacket {
    pub sequence_number: u16,
    pub timestamp: u32,
    pub marker: bool,
    pub payload: Bytes,
    /// RFC 6464 audio level (−dBov, 0 loudest … 127 silent) and voice flag.
    pub audio_level: Option<(u8, bool)>,
    /// Whether the packet's Dependency Descriptor says it starts a
    /// keyframe; `None` when it has none (keyframes are then found in the
    /// payload).
    pub descriptor_keyframe: Option<bool>,
}

/// A packet ready for one subscriber's sender.
#[derive(Debug, Clone)]
pub struct OutgoingPacket {
    pub ssrc: u32,
    pub payload_type: u8,
    pub sequence_number: u16,
    pub timestamp: u32,
    pub marker: bool,
    pub payload: Bytes,
    /// Audio level with the subscriber's own extension id, when negotiated.
    pub audio_level: Option<(u8, u8, bool)>,
}

/// What the forwarder should do with a source packet for this subscriber.
#[derive(Debug)]
pub enum Forward {
    Send(OutgoingPacket),
    /// Dropped while waiting for a keyframe; ask the publisher for one.
    NeedKeyframe,
    /// Dropped: paused, or from before the current run.
    Drop,
}

/// How the subscriber's side of the track was negotiated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Negotiated {
    pub ssrc: u32,
    pub payload_type: u8,
    pub audio_level_ext_id: Option<u8>,
    /// Where retransmissions go when the subscriber accepted RTX; without
    /// it they are resent as they were, on `ssrc`.
    pub repair: Option<RepairFlow>,
}

/// An RTX repair flow (RFC 4588): its own SSRC and payload type, its own
/// sequence numbers, each packet the original's payload behind the
/// original sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RepairFlow {
    pub ssrc: u32,
    pub payload_type: u8,
}

#[derive(Debug)]
pub struct DownTrack {
    /// `None` until the subscriber's answer fixed payload type and ids.
    negotiated: Option<Negotiated>,
    codec: Codec,
    rewriter: SeqTsRewriter,
    paused: bool,
    /// The layer the current run is on (`None` while not running).
    layer: Option<u8>,
    /// VP8 picture numbers continuous across runs (VP8 only).
    vp8: Option<Vp8Numbering>,
    /// The layer to be on (the receiver chooses it).
    target: u8,
    /// The next sequence number on the repair flow (it counts on across
    /// runs and re-negotiations, as the SSRC stays the same).
    repair_sequence: u16,
}

impl DownTrack {
    pub fn new(codec: Codec, clock_rate: u32) -> Self {
        Self {
            negotiated: None,
            codec,
            rewriter: SeqTsRewriter::new(clock_rate),
            paused: false,
            layer: None,
            target: 0,
            vp8: (codec == Codec::Vp8).then(Vp8Numbering::default),
            repair_sequence: rand::random(),
        }
    }

    pub fn is_negotiated(&self) -> bool {
        self.negotiated.is_some()
    }

    /// Records what the subscriber's answer negotiated.
    pub fn negotiate(&mut self, negotiated: Negotiated) {
        self.negotiated = Some(negotiated);
    }

    /// Whether this down-track waits for a keyframe before sending.
    pub fn waiting_for_keyframe(&self) -> bool {
        !self.paused && !self.rewriter.is_running()
    }

    /// Stops sending (track disabled, subscriber paused); the stream resumes
    /// continuous at the next keyframe after [`DownTrack::unpause`].
    pub fn pause(&mut self) {
        self.paused = true;
        self.rewriter.pause();
        self.layer = None;
    }

    pub fn unpause(&mut self) {
        self.paused = false;
    }

    /// Re-points this down-track at another source (a reused transceiver):
    /// the next run starts at that source's next keyframe.
    /// Sequence numbers and timestamps stay continuous on the same SSRC.
    pub fn switch_source(&mut self, codec: Codec) {
        self.codec = codec;
        if codec != Codec::Vp8 {
            self.vp8 = None;
        } else if self.vp8.is_none() {
            self.vp8 = Some(Vp8Numbering::default());
        }
        self.negotiated = None;
        self.rewriter.pause();
        self.layer = None;
        self.target = 0;
        self.paused = false;
    }

    /// The layer the current run is on.
    pub fn layer(&self) -> Option<u8> {
        self.layer
    }

    pub fn target_layer(&self) -> u8 {
        self.target
    }

    /// Switches to `layer` at its next keyframe.
    pub fn set_target_layer(&mut self, layer: u8) {
        self.target = layer;
    }

    /// The layer a keyframe would help this subscriber on: its target
    /// (where it starts or switches to); `None` while paused.
    pub fn wants_keyframe_of(&self) -> Option<u8> {
        (!self.paused).then_some(self.target)
    }

    /// Offers a packet of simulcast layer `layer` (0 when not simulcast).
    pub fn forward(&mut self, now: Instant, layer: u8, packet: &SourcePacket) -> Forward {
        let Some(negotiated) = self.negotiated else {
            return Forward::Drop;
        };
        if self.paused {
            return Forward::Drop;
        }
        let rewritten = if self.rewriter.is_running() && self.layer == Some(layer) {
            match self
                .rewriter
                .rewrite(now, packet.sequence_number, packet.timestamp)
            {
                Some(r) => r,
                None => return Forward::Drop,
            }
        } else if layer != self.target {
            return Forward::Drop;
        } else if self
            .codec
            .packet_starts_keyframe(packet.descriptor_keyframe, &packet.payload)
        {
            // A start, or a switch: the new run follows the last packet
            // sent, whichever layer that was. (With a Dependency
            // Descriptor the payload is not read: it may be end-to-end
            // encrypted, see `Codec::packet_starts_keyframe`.)
            self.layer = Some(layer);
            if let Some(vp8) = &mut self.vp8 {
                vp8.start_run(&packet.payload);
            }
            self.rewriter
                .resume(now, packet.sequence_number, packet.timestamp)
        } else {
            return Forward::NeedKeyframe;
        };
        Forward::Send(OutgoingPacket {
            ssrc: negotiated.ssrc,
            payload_type: negotiated.payload_type,
            sequence_number: rewritten.sequence_number,
            timestamp: rewritten.timestamp,
            marker: packet.marker,
            payload: match &mut self.vp8 {
                Some(vp8) => vp8.renumber(&packet.payload, true),
                None => packet.payload.clone(),
            },
            audio_level: match (negotiated.audio_level_ext_id, packet.audio_level) {
                (Some(id), Some((level, voice))) => Some((id, level, voice)),
                _ => None,
            },
        })
    }

    /// The packet to send again for a sequence number the subscriber
    /// NACKed, if it belongs to the current run and is still cached: on
    /// the repair flow when there is one, else as it was sent.
    pub fn retransmission(
        &mut self,
        subscriber_seq: u16,
        cache: &PacketCache,
    ) -> Option<OutgoingPacket> {
        let negotiated = self.negotiated?;
        let source_seq = self.rewriter.source_seq(subscriber_seq)?;
        let cached = cache.get(source_seq)?;
        let ts_offset = self.rewriter.timestamp_offset()?;
        let timestamp = cached.timestamp.wrapping_add(ts_offset);
        let original = match &mut self.vp8 {
            Some(vp8) => vp8.renumber(&cached.payload, false),
            None => cached.payload.clone(),
        };
        let (ssrc, payload_type, sequence_number, payload) = match negotiated.repair {
            Some(repair) => {
                let sequence_number = self.repair_sequence;
                self.repair_sequence = sequence_number.wrapping_add(1);
                let mut payload = BytesMut::with_capacity(2 + original.len());
                payload.put_u16(subscriber_seq);
                payload.extend_from_slice(&original);
                (
                    repair.ssrc,
                    repair.payload_type,
                    sequence_number,
                    payload.freeze(),
                )
            }
            None => (
                negotiated.ssrc,
                negotiated.payload_type,
                subscriber_seq,
                original,
            ),
        };
        Some(OutgoingPacket {
            ssrc,
            payload_type,
            sequence_number,
            timestamp,
            marker: cached.marker,
            payload,
            audio_level: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::packet_cache::CachedPacket;
    use super::*;
    use std::time::Duration;

    const NEG: Negotiated = Negotiated {
        ssrc: 0xfeed,
        payload_type: 101,
        audio_level_ext_id: None,
        repair: None,
    };

    fn negotiated_vp8() -> DownTrack {
        let mut down = DownTrack::new(Codec::Vp8, 90_000);
        assert!(matches!(
            down.forward(Instant::now(), 0, &vp8(1, 0, true)),
            Forward::Drop
        ));
        down.negotiate(NEG);
        down
    }

    fn vp8(seq: u16, ts: u32, keyframe: bool) -> SourcePacket {
        SourcePacket {
            sequence_number: seq,
            timestamp: ts,
            marker: true,
            payload: Bytes::from(vec![0x10, if keyframe { 0x00 } else { 0x01 }, 0x9d]),
            audio_level: None,
            descriptor_keyframe: None,
        }
    }

    #[test]
    fn waits_for_a_keyframe_then_rewrites_ssrc_and_payload_type() {
        let t0 = Instant::now();
        let mut down = negotiated_vp8();
        assert!(down.waiting_for_keyframe());
        assert!(matches!(
            down.forward(t0, 0, &vp8(5, 100, false)),
            Forward::NeedKeyframe
        ));
        let Forward::Send(out) = down.forward(t0, 0, &vp8(6, 3100, true)) else {
            panic!("keyframe must be sent")
        };
        assert_eq!((out.ssrc, out.payload_type), (0xfeed, 101));
        assert_eq!(out.payload[..], [0x10, 0x00, 0x9d]);
        assert!(matches!(
            down.forward(t0, 0, &vp8(7, 6100, false)),
            Forward::Send(_)
        ));
    }

    #[test]
    fn pause_then_resume_is_continuous_and_waits_for_a_keyframe() {
        let t0 = Instant::now();
        let mut down = negotiated_vp8();
        let Forward::Send(first) = down.forward(t0, 0, &vp8(1000, 0, true)) else {
            panic!()
        };
        down.pause();
        assert!(matches!(
            down.forward(t0, 0, &vp8(1001, 3000, true)),
            Forward::Drop
        ));
        down.unpause();
        let t1 = t0 + Duration::from_secs(1);
        assert!(matches!(
            down.forward(t1, 0, &vp8(1500, 90_000, false)),
            Forward::NeedKeyframe
        ));
        let Forward::Send(resumed) = down.forward(t1, 0, &vp8(1501, 93_000, true)) else {
            panic!()
        };
        assert_eq!(
            resumed.sequence_number,
            first.sequence_number.wrapping_add(1)
        );
        assert_eq!(resumed.timestamp, first.timestamp.wrapping_add(90_000));
    }

    #[test]
    fn retransmission_maps_the_subscriber_sequence_back_to_the_cache() {
        let t0 = Instant::now();
        let mut cache = PacketCache::new(64);
        let mut down = negotiated_vp8();
        down.forward(t0, 0, &vp8(10, 0, true));
        down.pause();
        down.unpause();
        let t1 = t0 + Duration::from_millis(100);
        for (seq, ts) in [(50u16, 9000u32), (51, 12_000), (52, 15_000)] {
            let packet = vp8(seq, ts, seq == 50);
            cache.insert(CachedPacket {
                sequence_number: seq,
                timestamp: ts,
                marker: true,
                payload: packet.payload.clone(),
            });
            down.forward(t1, 0, &packet);
        }
        // Subscriber saw 10, then 11, 12, 13 for source 50, 51, 52.
        let again = down.retransmission(12, &cache).expect("cache hit");
        assert_eq!(again.sequence_number, 12);
        assert_eq!(again.payload[1], 0x01);
        assert!(down.retransmission(10, &cache).is_none(), "previous run");
        assert!(down.retransmission(14, &cache).is_none(), "never sent");
    }

    #[test]
    fn a_retransmission_on_the_repair_flow_carries_the_original_sequence_number() {
        let t0 = Instant::now();
        let mut cache = PacketCache::new(64);
        let mut down = DownTrack::new(Codec::Vp8, 90_000);
        down.negotiate(Negotiated {
            repair: Some(RepairFlow {
                ssrc: 0xbeef,
                payload_type: 97,
            }),
            ..NEG
        });
        let mut sent = Vec::new();
        for seq in 100..103u16 {
            let packet = vp8(seq, seq as u32 * 3000, seq == 100);
            cache.insert(CachedPacket {
                sequence_number: seq,
                timestamp: packet.timestamp,
                marker: true,
                payload: packet.payload.clone(),
            });
            let Forward::Send(out) = down.forward(t0, 0, &packet) else {
                panic!()
            };
            sent.push(out);
        }
        let first = down
            .retransmission(sent[1].sequence_number, &cache)
            .unwrap();
        let second = down
            .retransmission(sent[2].sequence_number, &cache)
            .unwrap();
        assert_eq!((first.ssrc, first.payload_type), (0xbeef, 97));
        assert_eq!(first.timestamp, sent[1].timestamp);
        assert_eq!(
            u16::from_be_bytes([first.payload[0], first.payload[1]]),
            sent[1].sequence_number,
            "OSN first"
        );
        assert_eq!(first.payload[2..], sent[1].payload[..]);
        assert_eq!(
            second.sequence_number,
            first.sequence_number.wrapping_add(1),
            "the repair flow numbers its own packets"
        );
    }

    #[test]
    fn switches_layer_at_the_targets_keyframe_and_stays_continuous() {
        let t0 = Instant::now();
        let mut down = negotiated_vp8();
        let Forward::Send(first) = down.forward(t0, 0, &vp8(100, 1000, true)) else {
            panic!()
        };
        assert_eq!(down.layer(), Some(0));
        assert!(
            matches!(down.forward(t0, 1, &vp8(500, 9000, true)), Forward::Drop),
            "not its layer"
        );
        down.set_target_layer(1);
        assert_eq!(down.wants_keyframe_of(), Some(1));
        // Until layer 1's keyframe, layer 0 goes on.
        assert!(matches!(
            down.forward(t0, 1, &vp8(501, 12_000, false)),
            Forward::NeedKeyframe
        ));
        let Forward::Send(more) = down.forward(t0, 0, &vp8(101, 4000, false)) else {
            panic!()
        };
        let t1 = t0 + Duration::from_millis(30);
        let Forward::Send(switched) = down.forward(t1, 1, &vp8(502, 15_000, true)) else {
            panic!()
        };
        assert_eq!(down.layer(), Some(1));
        assert_eq!(more.sequence_number, first.sequence_number.wrapping_add(1));
        assert_eq!(
            switched.sequence_number,
            more.sequence_number.wrapping_add(1)
        );
        assert_eq!(
            switched.timestamp,
            more.timestamp.wrapping_add(2700),
            "30 ms later"
        );
        assert!(
            matches!(down.forward(t1, 0, &vp8(102, 7000, false)), Forward::Drop),
            "the old layer stops"
        );
        assert!(matches!(
            down.forward(t1, 1, &vp8(503, 18_000, false)),
            Forward::Send(_)
        ));
    }
}
