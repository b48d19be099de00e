//! Sequence number and timestamp rewriting for one down-track.
//!
//! A subscriber sees one continuous RTP stream per track even when the source
//! pauses (camera off, keyframe wait) or changes (a reused transceiver now
//! carries another participant). Each "resume" re-anchors the offsets so the
//! next forwarded packet follows the last one sent: sequence +1, timestamp
//! advanced by the wall-clock time since, so jitter buffers and NACK logic in
//! the browser see no gap and no jump.

use std::time::{Duration, Instant};

/// The rewritten header fields of one forwarded packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rewritten {
    pub sequence_number: u16,
    pub timestamp: u32,
}

#[derive(Debug, Clone)]
pub struct SeqTsRewriter {
    clock_rate: u32,
    /// Offsets added to the source's numbers; `None` until the first resume.
    anchor: Option<Anchor>,
    last_out: Option<LastOut>,
}

#[derive(Debug, Clone, Copy)]
struct Anchor {
    seq_offset: u16,
    ts_offset: u32,
    /// Highest source sequence number seen in this run, to spot reordering.
    highest_in_seq: u16,
    /// Packets since the run started, up to the highest: extended numbers
    /// (counting rollovers) so a run can last longer than 65 536 packets.
    /// A packet that maps before 0 predates the run and is dropped.
    highest_since_start: u64,
}

impl Anchor {
    /// The position of `in_seq` in the run (0 = its first packet), or `None`
    /// when it predates the run.
    fn position(&self, in_seq: u16) -> Option<u64> {
        let delta = in_seq.wrapping_sub(self.highest_in_seq) as i16 as i64;
        let position = self.highest_since_start as i64 + delta;
        (position >= 0).then_some(position as u64)
    }
}

#[derive(Debug, Clone, Copy)]
struct LastOut {
    sequence_number: u16,
    timestamp: u32,
    at: Instant,
}

impl SeqTsRewriter {
    pub fn new(clock_rate: u32) -> Self {
        Self {
            clock_rate: clock_rate.max(1),
            anchor: None,
            last_out: None,
        }
    }

    /// Whether a run is active (the stream has started or resumed).
    pub fn is_running(&self) -> bool {
        self.anchor.is_some()
    }

    /// Ends the current run; the next [`SeqTsRewriter::resume`] re-anchors.
    pub fn pause(&mut self) {
        self.anchor = None;
    }

    /// Starts a run at this source packet (a keyframe for video).
    pub fn resume(&mut self, now: Instant, in_seq: u16, in_ts: u32) -> Rewritten {
        let (out_seq, out_ts) = match self.last_out {
            None => (in_seq, in_ts),
            Some(last) => {
                let gap = now
                    .saturating_duration_since(last.at)
                    .max(Duration::from_millis(1));
                let ticks = (gap.as_micros() as u64 * self.clock_rate as u64 / 1_000_000) as u32;
                (
                    last.sequence_number.wrapping_add(1),
                    last.timestamp.wrapping_add(ticks.max(1)),
                )
            }
        };
        self.anchor = Some(Anchor {
            seq_offset: out_seq.wrapping_sub(in_seq),
            ts_offset: out_ts.wrapping_sub(in_ts),
            highest_in_seq: in_seq,
            highest_since_start: 0,
        });
        self.record(now, out_seq, out_ts);
        Rewritten {
            sequence_number: out_seq,
            timestamp: out_ts,
        }
    }

    /// Rewrites a packet of the running stream; `None` when not running or
    /// when the packet predates the current run.
    pub fn rewrite(&mut self, now: Instant, in_seq: u16, in_ts: u32) -> Option<Rewritten> {
        let anchor = self.anchor.as_mut()?;
        let position = anchor.position(in_seq)?;
        let out = Rewritten {
            sequence_number: in_seq.wrapping_add(anchor.seq_offset),
            timestamp: in_ts.wrapping_add(anchor.ts_offset),
        };
        if position > anchor.highest_since_start {
            anchor.highest_since_start = position;
            anchor.highest_in_seq = in_seq;
            self.record(now, out.sequence_number, out.timestamp);
        }
        Some(out)
    }

    /// Maps a sequence number the subscriber asks for (NACK) back to the
    /// source's, if it belongs to the current run.
    pub fn source_seq(&self, out_seq: u16) -> Option<u16> {
        let anchor = self.anchor.as_ref()?;
        let in_seq = out_seq.wrapping_sub(anchor.seq_offset);
        let not_after_highest = anchor.highest_in_seq.wrapping_sub(in_seq) as i16 >= 0;
        (not_after_highest && anchor.position(in_seq).is_some()).then_some(in_seq)
    }

    /// What is added to a source timestamp in the current run.
    pub fn timestamp_offset(&self) -> Option<u32> {
        self.anchor.map(|a| a.ts_offset)
    }

    fn record(&mut self, now: Instant, sequence_number: u16, timestamp: u32) {
        self.last_out = Some(LastOut {
            sequence_number,
            timestamp,
            at: now,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_run_keeps_source_numbers() {
        let t0 = Instant::now();
        let mut r = SeqTsRewriter::new(90_000);
        assert_eq!(r.rewrite(t0, 10, 1000), None, "not running yet");
        let first = r.resume(t0, 10, 1000);
        assert_eq!((first.sequence_number, first.timestamp), (10, 1000));
        let next = r.rewrite(t0, 11, 4000).unwrap();
        assert_eq!((next.sequence_number, next.timestamp), (11, 4000));
    }

    #[test]
    fn continuous_across_a_pause_and_a_new_source() {
        let t0 = Instant::now();
        let mut r = SeqTsRewriter::new(90_000);
        r.resume(t0, 65_534, 4_294_960_000);
        r.rewrite(t0, 65_535, 4_294_963_000).unwrap();
        let wrapped = r.rewrite(t0 + Duration::from_millis(33), 0, 1_000).unwrap();
        assert_eq!(wrapped.sequence_number, 0);
        r.pause();
        assert_eq!(r.rewrite(t0, 1, 2_000), None, "paused");
        // Two seconds later a different source (other SSRC numbering) resumes.
        let later = t0 + Duration::from_millis(33) + Duration::from_secs(2);
        let resumed = r.resume(later, 40_000, 77);
        assert_eq!(resumed.sequence_number, 1, "follows the last sent");
        assert_eq!(
            resumed.timestamp,
            1_000u32.wrapping_add(180_000),
            "2 s at 90 kHz"
        );
        let after = r.rewrite(later, 40_001, 77 + 3000).unwrap();
        assert_eq!(after.sequence_number, 2);
        assert_eq!(after.timestamp, 1_000u32.wrapping_add(183_000));
    }

    #[test]
    fn a_run_outlasts_many_sequence_number_rollovers() {
        let t0 = Instant::now();
        let mut r = SeqTsRewriter::new(90_000);
        r.resume(t0, 100, 0);
        let mut last = 100u16;
        for n in 1..200_000u32 {
            let seq = 100u16.wrapping_add(n as u16);
            let out = r
                .rewrite(t0, seq, n * 3000)
                .expect("every packet of the run forwarded");
            assert_eq!(out.sequence_number, last.wrapping_add(1));
            last = out.sequence_number;
        }
        // A late packet from just before the newest is still forwarded and
        // can be retransmitted; one from before the run cannot.
        assert!(r.rewrite(t0, last.wrapping_sub(5), 0).is_some());
        assert_eq!(
            r.source_seq(last.wrapping_sub(5)),
            Some(last.wrapping_sub(5))
        );
        let mut fresh = SeqTsRewriter::new(90_000);
        fresh.resume(t0, 500, 0);
        assert_eq!(fresh.rewrite(t0, 499, 0), None);
    }

    #[test]
    fn drops_packets_from_before_the_resume_and_keeps_reordered_ones() {
        let t0 = Instant::now();
        let mut r = SeqTsRewriter::new(48_000);
        r.resume(t0, 100, 0);
        assert_eq!(r.rewrite(t0, 99, 0), None);
        r.rewrite(t0, 102, 1920).unwrap();
        let late = r.rewrite(t0, 101, 960).unwrap();
        assert_eq!(late.sequence_number, 101);
        assert_eq!(r.source_seq(101), Some(101));
        assert_eq!(r.source_seq(99), None, "before the run");
        assert_eq!(r.source_seq(103), None, "not sent yet");
    }
}
