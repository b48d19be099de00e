//! When each transport-wide sequence number arrived, for the TWCC feedback.
//!
//! Ported from rtc-interceptor 0.21.1 `src/twcc/arrival_time_map.rs`
//! (webrtc-rs, MIT/Apache-2.0, adapted there from libwebrtc's
//! `packet_arrival_map.h`). Upstream grows and shrinks its ring between 128
//! and 32768 entries as the span of sequence numbers changes, reallocating
//! each time; this one is allocated once at a fixed power-of-two capacity,
//! which also plays upstream's `MAX_NUMBER_OF_PACKETS` role: a span that
//! would exceed it drops the oldest entries, as upstream does at 32768.
//! Those were reported already unless more than a capacity's worth of
//! packets arrive within one feedback interval.

/// "Not received" in the ring; arrival times are never negative.
const NOT_RECEIVED: i64 = -1;

/// A ring of arrival times (µs) indexed by unwrapped sequence number, valid
/// for `begin..end`.
#[derive(Debug, Clone)]
pub struct PacketArrivalTimeMap {
    arrival_times: Box<[i64]>,
    /// `capacity - 1`; the capacity is a power of two.
    index_mask: i64,
    begin: i64,
    end: i64,
}

impl PacketArrivalTimeMap {
    /// `capacity` is rounded up to a power of two, at least 64.
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(64).next_power_of_two();
        PacketArrivalTimeMap {
            arrival_times: vec![NOT_RECEIVED; capacity].into_boxed_slice(),
            index_mask: capacity as i64 - 1,
            begin: 0,
            end: 0,
        }
    }

    pub fn capacity(&self) -> usize {
        self.arrival_times.len()
    }

    fn index(&self, sequence_number: i64) -> usize {
        (sequence_number & self.index_mask) as usize
    }

    pub fn add_packet(&mut self, sequence_number: i64, arrival_time: i64) {
        let capacity = self.capacity() as i64;
        if self.begin == self.end {
            self.begin = sequence_number;
            self.end = sequence_number + 1;
        } else if sequence_number < self.begin {
            // Reaching back further than the ring holds would evict newer
            // packets for an older one.
            if self.end - sequence_number > capacity {
                return;
            }
            let begin = self.begin;
            self.set_not_received(sequence_number + 1, begin);
            self.begin = sequence_number;
        } else if sequence_number >= self.end {
            let new_end = sequence_number + 1;
            if new_end >= self.end + capacity {
                self.begin = sequence_number;
            } else {
                self.begin = self.begin.max(new_end - capacity);
                let end = self.end;
                self.set_not_received(end.max(self.begin), sequence_number);
            }
            self.end = new_end;
        }
        let index = self.index(sequence_number);
        self.arrival_times[index] = arrival_time;
    }

    fn set_not_received(&mut self, from: i64, until: i64) {
        for sequence_number in from..until {
            let index = self.index(sequence_number);
            self.arrival_times[index] = NOT_RECEIVED;
        }
    }

    /// The first sequence number held.
    pub fn begin_sequence_number(&self) -> i64 {
        self.begin
    }

    /// One past the last sequence number held.
    pub fn end_sequence_number(&self) -> i64 {
        self.end
    }

    /// The first received packet at or after `sequence_number`: (sequence
    /// number, arrival time).
    pub fn find_next_at_or_after(&self, sequence_number: i64) -> Option<(i64, i64)> {
        (self.clamp(sequence_number)..self.end).find_map(|sequence_number| {
            let arrival = self.get(sequence_number);
            (arrival >= 0).then_some((sequence_number, arrival))
        })
    }

    /// Drops packets from the front while they are before `sequence_number`
    /// and arrived at or before `arrival_time_limit`.
    pub fn remove_old_packets(&mut self, sequence_number: i64, arrival_time_limit: i64) {
        let check_to = sequence_number.min(self.end);
        while self.begin < check_to && self.get(self.begin) <= arrival_time_limit {
            self.begin += 1;
        }
    }

    pub fn has_received(&self, sequence_number: i64) -> bool {
        self.get(sequence_number) >= 0
    }

    pub fn clamp(&self, sequence_number: i64) -> i64 {
        sequence_number.clamp(self.begin, self.end)
    }

    fn get(&self, sequence_number: i64) -> i64 {
        if sequence_number < self.begin || sequence_number >= self.end {
            return NOT_RECEIVED;
        }
        self.arrival_times[self.index(sequence_number)]
    }
}

#[cfg(test)]
mod tests {
    //! Upstream's tests, and the fixed capacity's eviction.
    use super::*;

    #[test]
    fn gaps_and_reordering() {
        let mut map = PacketArrivalTimeMap::new(128);
        map.add_packet(5, 5000);
        map.add_packet(3, 3000);
        map.add_packet(7, 7000);
        let received: Vec<i64> = (3..8).filter(|&s| map.has_received(s)).collect();
        assert_eq!(received, [3, 5, 7]);
        assert_eq!(map.find_next_at_or_after(4), Some((5, 5000)));
        assert_eq!(map.find_next_at_or_after(8), None);
        assert_eq!((map.clamp(0), map.clamp(100)), (3, 8));
    }

    #[test]
    fn old_packets_are_removed_up_to_a_sequence_number() {
        let mut map = PacketArrivalTimeMap::new(128);
        for i in 0..10 {
            map.add_packet(i, i * 1000);
        }
        map.remove_old_packets(7, 5000);
        assert!(!map.has_received(5));
        assert!(map.has_received(6) && map.has_received(9));
    }

    #[test]
    fn the_span_never_exceeds_the_capacity() {
        let mut map = PacketArrivalTimeMap::new(64);
        map.add_packet(0, 0);
        map.add_packet(10, 10);
        map.add_packet(70, 70);
        assert_eq!(map.begin_sequence_number(), 7);
        assert!(!map.has_received(0) && map.has_received(10) && map.has_received(70));
        // Reaching back past the capacity is refused.
        map.add_packet(6, 6);
        assert!(!map.has_received(6));
        // A jump of a whole capacity starts over.
        map.add_packet(1000, 1000);
        assert_eq!(map.begin_sequence_number(), 1000);
        assert!(!map.has_received(70));
        assert_eq!(map.find_next_at_or_after(0), Some((1000, 1000)));
    }
}
