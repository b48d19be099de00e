//! Transport-wide congestion control feedback (draft-holmer-rmcat-
//! transport-wide-cc-extensions-01): which transport-wide sequence numbers
//! arrived and when, reported every tick so the sender's congestion
//! controller (a browser's GCC) can estimate the path.
//!
//! Ported from rtc-interceptor 0.21.1 `src/twcc/recorder.rs` (webrtc-rs,
//! MIT/Apache-2.0), with the arrival time taken as in its
//! `src/twcc/receiver.rs` (µs since the first packet that carried a
//! transport-wide sequence number). The same packets, base sequence numbers,
//! reference times (64 ms), feedback counts and deltas (250 µs, rounded to
//! nearest, each relative to the previous received packet's rounded time)
//! as upstream, with these differences:
//! - [`Recorder::next_feedback`] fills a caller's preallocated status list,
//!   which [`crate::wire::rtcp::write_twcc`] encodes (its own status chunk
//!   choice, the same statuses), instead of building a `TransportLayerCc`
//!   of `Vec`s per packet.
//! - A packet is closed before it would exceed [`MAX_FEEDBACK_LEN`] bytes or
//!   [`MAX_STATUSES`] statuses (upstream has no limit and can exceed the MTU);
//!   the rest goes into the next one, as upstream does when a delta overflows.
//! - So a packet reports at most [`MAX_STATUSES`] − 1 losses before its first
//!   received packet (upstream: 0x7FFE); older ones in a longer outage are
//!   not reported at all.
//! - The reference time wraps at 24 bits (upstream would write a value that
//!   does not fit after 298 hours).

use std::time::Instant;

use super::arrival_time_map::PacketArrivalTimeMap;

/// How long packets stay in the arrival map once reported, so that a late
/// duplicate is recognised (upstream's window).
const PACKET_WINDOW_US: i64 = 500_000;
/// Deltas travel in multiples of 250 µs.
const DELTA_SCALE_US: i64 = 250;
const REFERENCE_TIME_UNIT_US: i64 = 64_000;
/// A feedback packet is kept under this, so that it fits a compound of
/// [`super::MAX_COMPOUND_LEN`] on its own.
pub const MAX_FEEDBACK_LEN: usize = 1200;
/// Statuses per feedback packet: the length of the caller's status list.
pub const MAX_STATUSES: usize = 1024;
/// Header (20 bytes) plus the zero fill to 32 bits (at most 3).
const FIXED_LEN: usize = 23;

/// One status per transport-wide sequence number from the base: the
/// receive delta in 250 µs, or `None` for not received.
pub type Status = (u16, Option<i32>);

/// Makes 16-bit transport sequence numbers monotonic (upstream's
/// `SequenceUnwrapper`).
#[derive(Debug, Clone, Default)]
struct Unwrapper {
    last: Option<i64>,
}

impl Unwrapper {
    fn unwrap(&mut self, sequence_number: u16) -> i64 {
        let unwrapped = match self.last {
            None => i64::from(sequence_number),
            Some(last) => {
                let mut diff = i64::from(sequence_number) - (last & 0xFFFF);
                if diff > 0x8000 {
                    diff -= 0x10000;
                } else if diff < -0x8000 {
                    diff += 0x10000;
                }
                last + diff
            }
        };
        self.last = Some(unwrapped);
        unwrapped
    }
}

/// The header fields of one feedback packet whose statuses are in the
/// caller's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedbackHeader {
    pub media_ssrc: u32,
    pub base_sequence_number: u16,
    /// 64 ms units, 24 bits.
    pub reference_time: u32,
    pub feedback_packet_count: u8,
}

/// Records arrivals and cuts them into feedback packets.
#[derive(Debug, Clone)]
pub struct Recorder {
    arrivals: PacketArrivalTimeMap,
    unwrapper: Unwrapper,
    /// Arrival times are µs since this (the first recorded packet).
    epoch: Option<Instant>,
    /// The first sequence number the next feedback packet covers.
    start_sequence_number: Option<i64>,
    /// The SSRC of the last recorded packet, as upstream reports it.
    media_ssrc: u32,
    feedback_packet_count: u8,
}

impl Recorder {
    /// `window`: how many sequence numbers the arrival map spans at most.
    pub fn new(window: usize) -> Self {
        Recorder {
            arrivals: PacketArrivalTimeMap::new(window),
            unwrapper: Unwrapper::default(),
            epoch: None,
            start_sequence_number: None,
            media_ssrc: 0,
            feedback_packet_count: 0,
        }
    }

    pub fn record(&mut self, now: Instant, media_ssrc: u32, transport_sequence_number: u16) {
        let epoch = *self.epoch.get_or_insert(now);
        // An hour of µs fits easily; saturate rather than wrap on a clock
        // that went backwards (Instant cannot) or absurd spans.
        let arrival =
            i64::try_from(now.saturating_duration_since(epoch).as_micros()).unwrap_or(i64::MAX / 2);
        self.media_ssrc = media_ssrc;
        let sequence_number = self.unwrapper.unwrap(transport_sequence_number);
        self.maybe_cull_old_packets(sequence_number, arrival);
        if self
            .start_sequence_number
            .is_none_or(|start| sequence_number < start)
        {
            self.start_sequence_number = Some(sequence_number);
        }
        // Only the first arrival of a sequence number counts.
        if self.arrivals.has_received(sequence_number) {
            return;
        }
        self.arrivals.add_packet(sequence_number, arrival);
        let begin = self.arrivals.begin_sequence_number();
        if let Some(start) = self.start_sequence_number
            && start < begin
        {
            self.start_sequence_number = Some(begin);
        }
    }

    fn maybe_cull_old_packets(&mut self, sequence_number: i64, arrival: i64) {
        if let Some(start) = self.start_sequence_number
            && start >= self.arrivals.end_sequence_number()
            && arrival >= PACKET_WINDOW_US
        {
            self.arrivals
                .remove_old_packets(sequence_number, arrival - PACKET_WINDOW_US);
        }
    }

    /// The next feedback packet of this tick, its statuses written to
    /// `statuses` (cleared first; it never grows past [`MAX_STATUSES`] if
    /// it has that capacity), or `None` when everything recorded has been
    /// reported. Call until `None` at each tick.
    pub fn next_feedback(&mut self, statuses: &mut Vec<Status>) -> Option<FeedbackHeader> {
        statuses.clear();
        let begin_inclusive = self.start_sequence_number?;
        let end_exclusive = self.arrivals.end_sequence_number();
        if begin_inclusive >= end_exclusive {
            return None;
        }
        let mut builder: Option<Builder> = None;
        let mut next_sequence_number = begin_inclusive;
        let mut sequence_number = self.arrivals.clamp(begin_inclusive);
        while sequence_number < end_exclusive {
            let Some((found, arrival)) = self.arrivals.find_next_at_or_after(sequence_number)
            else {
                break;
            };
            sequence_number = found;
            if sequence_number >= end_exclusive {
                break;
            }
            match builder.as_mut() {
                Some(builder) => {
                    if !builder.add_received(statuses, sequence_number, arrival) {
                        break;
                    }
                }
                None => {
                    let base = begin_inclusive.max(sequence_number - (MAX_STATUSES as i64 - 1));
                    let mut first = Builder::new(base, arrival);
                    if !first.add_received(statuses, sequence_number, arrival) {
                        // Cannot happen (the first delta is under 64 ms and
                        // the gap is bounded above); never loop on it.
                        self.start_sequence_number = Some(sequence_number + 1);
                        statuses.clear();
                        return None;
                    }
                    builder = Some(first);
                }
            }
            next_sequence_number = sequence_number + 1;
            sequence_number += 1;
        }
        self.start_sequence_number = Some(next_sequence_number);
        let builder = builder?;
        let header = FeedbackHeader {
            media_ssrc: self.media_ssrc,
            base_sequence_number: builder.base as u16,
            reference_time: (builder.reference_time_64ms & 0xFF_FFFF) as u32,
            feedback_packet_count: self.feedback_packet_count,
        };
        self.feedback_packet_count = self.feedback_packet_count.wrapping_add(1);
        Some(header)
    }
}

/// One feedback packet under construction (upstream's `Feedback`).
struct Builder {
    base: i64,
    reference_time_64ms: i64,
    /// The previous received packet's time as the receiver will rebuild it.
    last_time_us: i64,
    next_sequence_number: i64,
    delta_bytes: usize,
}

impl Builder {
    fn new(base: i64, first_arrival_us: i64) -> Self {
        let reference_time_64ms = first_arrival_us / REFERENCE_TIME_UNIT_US;
        Builder {
            base,
            reference_time_64ms,
            last_time_us: reference_time_64ms * REFERENCE_TIME_UNIT_US,
            next_sequence_number: base,
            delta_bytes: 0,
        }
    }

    /// Adds the not-received statuses up to `sequence_number` and its own;
    /// false (and nothing added) if the delta does not fit in 16 bits or the
    /// packet would be too long.
    fn add_received(
        &mut self,
        statuses: &mut Vec<Status>,
        sequence_number: i64,
        arrival_us: i64,
    ) -> bool {
        let delta_us = arrival_us - self.last_time_us;
        // Rounded to nearest, halves away from zero, as upstream.
        let delta = if delta_us >= 0 {
            (delta_us + DELTA_SCALE_US / 2) / DELTA_SCALE_US
        } else {
            (delta_us - DELTA_SCALE_US / 2) / DELTA_SCALE_US
        };
        let Ok(delta) = i16::try_from(delta) else {
            return false;
        };
        let count = (sequence_number - self.base + 1) as usize;
        let delta_bytes = self.delta_bytes + if (0..=255).contains(&delta) { 1 } else { 2 };
        // Every status chunk but the last covers at least 7 statuses in
        // `write_twcc`'s encoding, so this bounds the packet's length.
        let bound = FIXED_LEN + 2 * count.div_ceil(7) + delta_bytes;
        if count > MAX_STATUSES || bound > MAX_FEEDBACK_LEN {
            return false;
        }
        while self.next_sequence_number < sequence_number {
            statuses.push((self.next_sequence_number as u16, None));
            self.next_sequence_number += 1;
        }
        statuses.push((sequence_number as u16, Some(i32::from(delta))));
        self.next_sequence_number = sequence_number + 1;
        self.last_time_us += i64::from(delta) * DELTA_SCALE_US;
        self.delta_bytes = delta_bytes;
        true
    }
}

#[cfg(test)]
mod tests {
    //! Upstream's unwrapper and builder cases, and the length limit.
    use std::time::Duration;

    use bytes::BytesMut;

    use super::*;
    use crate::wire::rtcp::{RtcpPacket, packets, write_twcc};

    #[test]
    fn sequence_numbers_unwrap_past_65535() {
        let mut unwrapper = Unwrapper::default();
        let unwrapped: Vec<i64> = [65534, 65535, 0, 1, 65535]
            .into_iter()
            .map(|s| unwrapper.unwrap(s))
            .collect();
        assert_eq!(unwrapped, [65534, 65535, 65536, 65537, 65535]);
    }

    #[test]
    fn gaps_are_not_received_and_deltas_accumulate_rounded() {
        let t0 = Instant::now();
        let mut recorder = Recorder::new(128);
        let mut statuses = Vec::with_capacity(MAX_STATUSES);
        recorder.record(t0 + Duration::from_micros(64_000), 9, 0);
        recorder.record(t0 + Duration::from_micros(65_130), 9, 3);
        recorder.record(t0 + Duration::from_micros(65_000), 9, 2);
        // The epoch is the first arrival: 0 µs, 1130 µs, 1000 µs.
        let header = recorder.next_feedback(&mut statuses).unwrap();
        assert_eq!((header.base_sequence_number, header.reference_time), (0, 0));
        // 1000 µs is 4 units; then 1130 - 1000 = 130 µs rounds to 1.
        assert_eq!(
            statuses,
            [(0, Some(0)), (1, None), (2, Some(4)), (3, Some(1))]
        );
        assert_eq!(recorder.next_feedback(&mut statuses), None);
        recorder.record(t0 + Duration::from_millis(200), 9, 4);
        let header = recorder.next_feedback(&mut statuses).unwrap();
        assert_eq!(
            (header.base_sequence_number, header.feedback_packet_count),
            (4, 1)
        );
        // 136 ms after the epoch: reference 2 (128 ms), delta 8 ms.
        assert_eq!(header.reference_time, 2);
        assert_eq!(statuses, [(4, Some(32))]);
    }

    #[test]
    fn a_burst_is_cut_into_packets_under_the_limit() {
        let t0 = Instant::now();
        let mut recorder = Recorder::new(4096);
        let mut statuses = Vec::with_capacity(MAX_STATUSES);
        // Large deltas (2 bytes each) alternating with losses.
        for i in 0..1500u16 {
            recorder.record(t0 + Duration::from_millis(u64::from(i) * 70), 1, 2 * i);
        }
        let (mut covered, mut packets_written) = (0usize, 0);
        let mut buf = BytesMut::with_capacity(MAX_FEEDBACK_LEN);
        while let Some(header) = recorder.next_feedback(&mut statuses) {
            assert!(statuses.len() <= MAX_STATUSES);
            buf.clear();
            let len = write_twcc(
                &mut buf,
                1,
                1,
                header.base_sequence_number,
                header.reference_time,
                0,
                &statuses,
            )
            .unwrap();
            assert!(len <= MAX_FEEDBACK_LEN);
            assert!(matches!(
                packets(&buf).next(),
                Some(Ok(RtcpPacket::TransportCc(_)))
            ));
            covered += statuses.iter().filter(|s| s.1.is_some()).count();
            packets_written += 1;
        }
        assert_eq!(covered, 1500);
        assert!(packets_written > 1);
    }
}
