//! The arithmetic of a run: per received track, loss from the stamps'
//! sequences, RFC 3550 interarrival jitter from send and arrival times,
//! one-way latency samples, bytes; and percentiles over samples.

/// Everything one subscriber learned about one remote track.
#[derive(Debug, Default, Clone)]
pub struct TrackStats {
    pub packets: u64,
    pub bytes: u64,
    /// Lowest and highest stamp sequence seen.
    first_seq: Option<u32>,
    last_seq: u32,
    duplicates: u64,
    seen: SeqWindow,
    /// RFC 3550 6.4.1, in µs.
    pub jitter_us: f64,
    last_transit: Option<i64>,
}

/// Which of the last 1024 sequences arrived, to tell repeats (NACK
/// retransmissions) from new packets.
#[derive(Debug, Clone, Default)]
struct SeqWindow {
    bits: [u64; 16],
    top: u32,
}

impl SeqWindow {
    /// Marks `seq`; false when it was already marked (or is too old).
    fn mark(&mut self, seq: u32) -> bool {
        if seq > self.top {
            let shift = seq - self.top;
            for s in (self.top + 1)..=seq.min(self.top + 1024) {
                self.clear(s);
            }
            if shift > 1024 {
                self.bits = [0; 16];
            }
            self.top = seq;
        } else if self.top - seq >= 1024 {
            return false;
        }
        let (word, bit) = ((seq % 1024 / 64) as usize, seq % 64);
        let fresh = self.bits[word] & (1 << bit) == 0;
        self.bits[word] |= 1 << bit;
        fresh
    }

    fn clear(&mut self, seq: u32) {
        let (word, bit) = ((seq % 1024 / 64) as usize, seq % 64);
        self.bits[word] &= !(1 << bit);
    }
}

impl TrackStats {
    /// A packet stamped `(sent_us, seq)` arrived at `now_us` with `len`
    /// payload bytes; returns the one-way latency, or None for a repeat.
    pub fn record(&mut self, seq: u32, sent_us: u64, now_us: u64, len: usize) -> Option<u64> {
        if !self.seen.mark(seq) {
            self.duplicates += 1;
            return None;
        }
        self.packets += 1;
        self.bytes += len as u64;
        match self.first_seq {
            None => {
                self.first_seq = Some(seq);
                self.last_seq = seq;
            }
            Some(first) => {
                self.first_seq = Some(first.min(seq));
                self.last_seq = self.last_seq.max(seq);
            }
        }
        let transit = now_us as i64 - sent_us as i64;
        if let Some(last) = self.last_transit {
            let d = (transit - last).abs() as f64;
            self.jitter_us += (d - self.jitter_us) / 16.0;
        }
        self.last_transit = Some(transit);
        Some(now_us.saturating_sub(sent_us))
    }

    /// Packets expected from the first to the last sequence seen.
    pub fn expected(&self) -> u64 {
        self.first_seq
            .map(|first| (self.last_seq - first) as u64 + 1)
            .unwrap_or(0)
    }

    pub fn lost(&self) -> u64 {
        self.expected().saturating_sub(self.packets)
    }

    pub fn duplicates(&self) -> u64 {
        self.duplicates
    }
}

/// The `p`-th percentile (0–100) by nearest rank; `samples` get sorted.
pub fn percentile(samples: &mut [u64], p: f64) -> Option<u64> {
    if samples.is_empty() {
        return None;
    }
    samples.sort_unstable();
    let rank = ((p / 100.0) * samples.len() as f64).ceil() as usize;
    Some(samples[rank.clamp(1, samples.len()) - 1])
}

/// Percentiles of already sorted samples.
pub fn percentile_sorted(sorted: &[u64], p: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loss_counts_gaps_and_ignores_repeats() {
        let mut t = TrackStats::default();
        for seq in [10, 11, 13, 14, 14, 16] {
            t.record(seq, 0, 1000, 100);
        }
        assert_eq!(t.expected(), 7, "10..=16");
        assert_eq!(t.packets, 5);
        assert_eq!(t.lost(), 2, "12 and 15");
        assert_eq!(t.duplicates(), 1);
        // A late retransmission of 12 fills its gap.
        t.record(12, 0, 2000, 100);
        assert_eq!(t.lost(), 1);
    }

    #[test]
    fn the_window_slides_without_forgetting_recent_sequences() {
        let mut t = TrackStats::default();
        for seq in 0..5000 {
            t.record(seq, 0, 0, 1);
        }
        assert!(t.record(4990, 0, 0, 1).is_none(), "recent repeat caught");
        assert_eq!(t.lost(), 0);
        assert!(t.record(7000, 0, 0, 1).is_some(), "a jump forward");
        assert_eq!(t.lost(), 2000, "5000..=6999");
    }

    #[test]
    fn jitter_follows_rfc_3550() {
        let mut t = TrackStats::default();
        // Sent every 20 ms; arrivals alternate 1 ms and 3 ms late: |D| = 2 ms.
        for i in 0..200u64 {
            let sent = i * 20_000;
            let delay = if i % 2 == 0 { 1_000 } else { 3_000 };
            assert_eq!(t.record(i as u32, sent, sent + delay, 10), Some(delay));
        }
        assert!((t.jitter_us - 2_000.0).abs() < 1.0, "{}", t.jitter_us);
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let mut samples: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&mut samples, 50.0), Some(50));
        assert_eq!(percentile(&mut samples, 99.0), Some(99));
        assert_eq!(percentile(&mut samples, 100.0), Some(100));
        assert_eq!(percentile(&mut samples, 0.0), Some(1));
        assert_eq!(percentile(&mut [], 50.0), None);
        assert_eq!(percentile_sorted(&[5, 9], 50.0), Some(5));
    }
}
