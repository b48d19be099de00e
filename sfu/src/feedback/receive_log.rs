//! Which sequence numbers of one received stream arrived, and which are
//! missing: what the NACK tick asks the sender to repeat.
//!
//! Ported from rtc-interceptor 0.21.1 `src/nack/receive_log.rs` (webrtc-rs,
//! MIT/Apache-2.0, itself a port of pion's `receiveLog`). Differences:
//! - [`ReceiveLog::missing`] writes into the caller's preallocated buffer
//!   instead of returning a new `Vec` per tick.
//! - A packet more than a window behind the newest is ignored. Upstream sets
//!   its bit anyway, and that bit is shared with a sequence number inside the
//!   window (the bitmap is indexed modulo its size), so a very late packet
//!   could mark a missing one received and it would never be NACKed.
//! - No `skip_last_n` (Confide uses 0, upstream's default).

/// Half the sequence number space: a difference at or above it is "behind".
const HALF: u16 = 1 << 15;

/// A circular bitmap of the last `size` sequence numbers.
#[derive(Debug, Clone)]
pub struct ReceiveLog {
    /// One bit per sequence number, at `seq & size_mask`.
    bits: Box<[u64]>,
    /// A power of two, 64 to 32768.
    size: u16,
    size_mask: u16,
    /// The newest sequence number received.
    end: u16,
    started: bool,
    /// Everything up to and including this one was received.
    last_consecutive: u16,
}

impl ReceiveLog {
    /// `None` unless `size` is a power of two from 64 to 32768.
    pub fn new(size: u16) -> Option<Self> {
        if !size.is_power_of_two() || size < 64 {
            return None;
        }
        Some(ReceiveLog {
            bits: vec![0u64; usize::from(size / 64)].into_boxed_slice(),
            size,
            size_mask: size - 1,
            end: 0,
            started: false,
            last_consecutive: 0,
        })
    }

    /// Marks `seq` received.
    pub fn add(&mut self, seq: u16) {
        if !self.started {
            self.set(seq);
            self.end = seq;
            self.started = true;
            self.last_consecutive = seq;
            return;
        }
        let ahead = seq.wrapping_sub(self.end);
        if ahead == 0 {
            return;
        }
        if ahead < HALF {
            // The skipped positions may still hold bits from a window ago.
            let mut i = self.end.wrapping_add(1);
            while i != seq {
                self.clear(i);
                i = i.wrapping_add(1);
            }
            self.end = seq;
            if self.last_consecutive.wrapping_add(1) == seq {
                self.last_consecutive = seq;
            } else if seq.wrapping_sub(self.last_consecutive) > self.size {
                self.last_consecutive = seq.wrapping_sub(self.size);
                self.fix_last_consecutive();
            }
        } else {
            if self.end.wrapping_sub(seq) >= self.size {
                // Outside the window: its bit belongs to a newer number.
                return;
            }
            if self.last_consecutive.wrapping_add(1) == seq {
                self.last_consecutive = seq;
                self.fix_last_consecutive();
            }
        }
        self.set(seq);
    }

    /// Whether `seq`, within the window, was received.
    #[cfg(test)]
    pub fn get(&self, seq: u16) -> bool {
        let behind = self.end.wrapping_sub(seq);
        self.started && behind < HALF && behind < self.size && self.is_set(seq)
    }

    /// Appends the missing sequence numbers after the last consecutive one up
    /// to the newest, in order (at most `size`, so a buffer with that
    /// capacity never grows).
    pub fn missing(&self, out: &mut Vec<u16>) {
        if !self.started {
            return;
        }
        let mut i = self.last_consecutive.wrapping_add(1);
        let until = self.end.wrapping_add(1);
        while i != until {
            if !self.is_set(i) {
                out.push(i);
            }
            i = i.wrapping_add(1);
        }
    }

    fn index(&self, seq: u16) -> (usize, u32) {
        let position = seq & self.size_mask;
        (usize::from(position / 64), u32::from(position % 64))
    }

    fn set(&mut self, seq: u16) {
        let (word, bit) = self.index(seq);
        self.bits[word] |= 1 << bit;
    }

    fn clear(&mut self, seq: u16) {
        let (word, bit) = self.index(seq);
        self.bits[word] &= !(1 << bit);
    }

    fn is_set(&self, seq: u16) -> bool {
        let (word, bit) = self.index(seq);
        self.bits[word] & (1 << bit) != 0
    }

    fn fix_last_consecutive(&mut self) {
        let mut i = self.last_consecutive.wrapping_add(1);
        while i != self.end.wrapping_add(1) && self.is_set(i) {
            i = i.wrapping_add(1);
        }
        self.last_consecutive = i.wrapping_sub(1);
    }
}

#[cfg(test)]
mod tests {
    //! Upstream's tests (pion's `TestReceivedBuffer` among them), on the
    //! buffer-writing API, plus the late-packet fix.
    use super::*;

    fn missing(log: &ReceiveLog) -> Vec<u16> {
        let mut out = Vec::new();
        log.missing(&mut out);
        out
    }

    #[test]
    fn sizes_are_powers_of_two_from_64() {
        assert!(ReceiveLog::new(32).is_none());
        assert!(ReceiveLog::new(100).is_none());
        assert!(ReceiveLog::new(64).is_some());
        assert!(ReceiveLog::new(32768).is_some());
    }

    #[test]
    fn gaps_fill_out_of_order() {
        let mut log = ReceiveLog::new(128).unwrap();
        log.add(0);
        log.add(3);
        assert_eq!(missing(&log), [1, 2]);
        log.add(1);
        assert_eq!(missing(&log), [2]);
        log.add(2);
        assert!(missing(&log).is_empty());
        assert_eq!(log.last_consecutive, 3);
    }

    #[test]
    fn pion_received_buffer_from_every_start() {
        for start in [
            0u16, 1, 127, 128, 129, 511, 512, 513, 32767, 32768, 65534, 65535,
        ] {
            let mut log = ReceiveLog::new(128).unwrap();
            log.add(start);
            assert!(log.get(start) && missing(&log).is_empty());
            for i in 1..=127u16 {
                log.add(start.wrapping_add(i));
            }
            assert!(missing(&log).is_empty());
            log.add(start.wrapping_add(128));
            assert!(log.get(start.wrapping_add(128)) && !log.get(start));
            log.add(start.wrapping_add(130));
            assert_eq!(missing(&log), [start.wrapping_add(129)]);
            assert_eq!(log.last_consecutive, start.wrapping_add(128));
        }
    }

    #[test]
    fn a_packet_older_than_the_window_does_not_hide_a_missing_one() {
        let mut log = ReceiveLog::new(64).unwrap();
        log.add(100);
        log.add(102);
        // 37 is 65 behind 102, outside the window; its bit is 101's.
        log.add(37);
        assert_eq!(missing(&log), [101]);
        assert!(!log.get(37));
    }

    #[test]
    fn a_jump_beyond_the_window_keeps_at_most_a_window_missing() {
        let mut log = ReceiveLog::new(64).unwrap();
        log.add(0);
        log.add(1000);
        let lost = missing(&log);
        assert_eq!(lost.len(), 63);
        assert_eq!(lost.first(), Some(&937));
        assert_eq!(lost.last(), Some(&999));
    }
}
