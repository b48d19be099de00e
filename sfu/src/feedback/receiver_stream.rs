//! Reception statistics of one received stream, for the report block our
//! RR carries about it (RFC 3550 §6.4.1): fraction lost since the last
//! report, cumulative lost, extended highest sequence number, interarrival
//! jitter, and the last SR's timestamp with the delay since it (the
//! sender's round-trip measurement).
//!
//! Ported from rtc-interceptor 0.21.1 `src/report/receiver_stream.rs`
//! (webrtc-rs, MIT/Apache-2.0, itself a port of pion's). The arithmetic is
//! upstream's, to the float operations, so the numbers are the same.
//! Differences: the report is a [`ReportBlock`] (the RR around it is
//! written by the caller, from our one RTCP sender SSRC); a packet more
//! than the bitmap's 8192 sequence numbers late does not set a bit (it
//! would alias a newer one and hide a loss).

use std::time::Instant;

use crate::wire::rtcp::ReportBlock;

/// 128 words of 64 bits: the last 8192 sequence numbers (upstream's size).
const WORDS: usize = 128;
const WINDOW: u16 = (WORDS * 64) as u16;
const INDEX_MASK: usize = WORDS * 64 - 1;
const MAX_24_BITS: u32 = 0xFF_FFFF;

#[derive(Debug, Clone)]
pub struct ReceiverStream {
    ssrc: u32,
    clock_rate: f64,
    received: Box<[u64; WORDS]>,
    seq_num_cycles: u16,
    last_seq_num: u16,
    last_report_seq_num: u16,
    last_rtp_time_rtp: u32,
    /// When the last packet arrived; `None` before the first.
    last_rtp_time_time: Option<Instant>,
    jitter: f64,
    /// The middle 32 bits of the last SR's NTP timestamp.
    last_sender_report: u32,
    last_sender_report_time: Option<Instant>,
    total_lost: u32,
}

impl ReceiverStream {
    pub fn new(ssrc: u32, clock_rate: u32) -> Self {
        ReceiverStream {
            ssrc,
            clock_rate: f64::from(clock_rate),
            received: Box::new([0; WORDS]),
            seq_num_cycles: 0,
            last_seq_num: 0,
            last_report_seq_num: 0,
            last_rtp_time_rtp: 0,
            last_rtp_time_time: None,
            jitter: 0.0,
            last_sender_report: 0,
            last_sender_report_time: None,
            total_lost: 0,
        }
    }

    /// Whether any packet arrived (before that, a report says nothing).
    pub fn has_received(&self) -> bool {
        self.last_rtp_time_time.is_some()
    }

    fn set_received(&mut self, seq: u16) {
        let position = usize::from(seq) & INDEX_MASK;
        self.received[position / 64] |= 1 << (position % 64);
    }

    fn del_received(&mut self, seq: u16) {
        let position = usize::from(seq) & INDEX_MASK;
        self.received[position / 64] &= !(1 << (position % 64));
    }

    fn get_received(&self, seq: u16) -> bool {
        let position = usize::from(seq) & INDEX_MASK;
        self.received[position / 64] & (1 << (position % 64)) != 0
    }

    pub fn process_rtp(&mut self, now: Instant, seq: u16, rtp_timestamp: u32) {
        if let Some(last_time) = self.last_rtp_time_time {
            let ahead = seq.wrapping_sub(self.last_seq_num);
            if ahead > 0 && ahead < (1 << 15) {
                if seq < self.last_seq_num {
                    self.seq_num_cycles = self.seq_num_cycles.wrapping_add(1);
                }
                let mut i = self.last_seq_num.wrapping_add(1);
                while i != seq {
                    self.del_received(i);
                    i = i.wrapping_add(1);
                }
                self.last_seq_num = seq;
                self.set_received(seq);
            } else if self.last_seq_num.wrapping_sub(seq) < WINDOW {
                self.set_received(seq);
            }
            // RFC 3550 §A.8, on every packet, reordered ones included.
            let transit_change = now.saturating_duration_since(last_time).as_secs_f64()
                * self.clock_rate
                - (f64::from(rtp_timestamp) - f64::from(self.last_rtp_time_rtp));
            self.jitter += (transit_change.abs() - self.jitter) / 16.0;
        } else {
            self.set_received(seq);
            self.last_seq_num = seq;
            self.last_report_seq_num = seq.wrapping_sub(1);
        }
        self.last_rtp_time_rtp = rtp_timestamp;
        self.last_rtp_time_time = Some(now);
    }

    /// `ntp`: the SR's 64-bit NTP timestamp.
    pub fn process_sender_report(&mut self, now: Instant, ntp: u64) {
        self.last_sender_report = (ntp >> 16) as u32;
        self.last_sender_report_time = Some(now);
    }

    /// The block for an RR at `now`; starts the next report interval.
    pub fn generate_report(&mut self, now: Instant) -> ReportBlock {
        let total_since_report = self.last_seq_num.wrapping_sub(self.last_report_seq_num);
        let mut lost_since_report = 0u32;
        let mut i = self.last_report_seq_num.wrapping_add(1);
        while i != self.last_seq_num {
            if !self.get_received(i) {
                lost_since_report += 1;
            }
            i = i.wrapping_add(1);
        }
        self.total_lost = self
            .total_lost
            .saturating_add(lost_since_report)
            .min(MAX_24_BITS);
        let lost_since_report = lost_since_report.min(MAX_24_BITS);
        let delay_since_last_sr = self.last_sender_report_time.map_or(0, |sr_time| {
            (now.saturating_duration_since(sr_time).as_secs_f64() * 65536.0) as u32
        });
        let fraction_lost = if total_since_report > 0 {
            (f64::from(lost_since_report * 256) / f64::from(total_since_report)) as u8
        } else {
            0
        };
        self.last_report_seq_num = self.last_seq_num;
        ReportBlock {
            ssrc: self.ssrc,
            fraction_lost,
            cumulative_lost: self.total_lost,
            extended_highest_seq: u32::from(self.seq_num_cycles) << 16
                | u32::from(self.last_seq_num),
            jitter: self.jitter as u32,
            last_sr: self.last_sender_report,
            delay_since_last_sr,
        }
    }
}

#[cfg(test)]
mod tests {
    //! Upstream's (pion's) cases.
    use std::time::Duration;

    use super::*;

    #[test]
    fn consecutive_packets_lose_nothing() {
        let now = Instant::now();
        let mut stream = ReceiverStream::new(7, 90_000);
        for seq in 0..10 {
            stream.process_rtp(now, seq, 0);
        }
        let block = stream.generate_report(now);
        assert_eq!((block.extended_highest_seq, block.cumulative_lost), (9, 0));
        assert_eq!(
            (block.fraction_lost, block.jitter, block.last_sr),
            (0, 0, 0)
        );
    }

    #[test]
    fn a_wrap_counts_a_cycle_and_a_late_packet_is_not_lost() {
        let now = Instant::now();
        let mut stream = ReceiverStream::new(7, 90_000);
        stream.process_rtp(now, 0xFFFF, 0);
        stream.process_rtp(now, 0, 0);
        stream.process_rtp(now, 0xFFFE, 0);
        let block = stream.generate_report(now);
        assert_eq!(block.extended_highest_seq, 1 << 16);
        assert_eq!((block.fraction_lost, block.cumulative_lost), (0, 0));
    }

    #[test]
    fn loss_fraction_and_delay_since_the_sender_report() {
        let now = Instant::now();
        let mut stream = ReceiverStream::new(7, 90_000);
        stream.process_rtp(now, 1, 0);
        stream.process_rtp(now, 3, 0);
        stream.process_sender_report(now, 0x1234_5678_9ABC_DEF0);
        let block = stream.generate_report(now + Duration::from_secs(1));
        assert_eq!((block.fraction_lost, block.cumulative_lost), (85, 1));
        assert_eq!(block.last_sr, 0x5678_9ABC);
        assert_eq!(block.delay_since_last_sr, 65536);
        // The next interval starts clean; the cumulative count stays.
        stream.process_rtp(now, 4, 0);
        let block = stream.generate_report(now);
        assert_eq!((block.fraction_lost, block.cumulative_lost), (0, 1));
    }

    #[test]
    fn jitter_follows_rfc_3550() {
        let t0 = Instant::now();
        let mut stream = ReceiverStream::new(7, 90_000);
        // 43 ms on the wall, 33 ms on the RTP clock: a transit change of
        // 10 ms, 900 at 90 kHz, and the jitter moves 1/16 of the way.
        stream.process_rtp(t0, 0, 0);
        stream.process_rtp(t0 + Duration::from_millis(43), 1, 2970);
        let block = stream.generate_report(t0);
        assert_eq!(block.jitter, 900 / 16);
    }
}
