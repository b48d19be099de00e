//! What our SR says about one stream we send (RFC 3550 §6.4.1): packets and
//! payload octets so far, and the RTP timestamp that corresponds to the
//! report's NTP time, so that the receiver can synchronise audio and video
//! and compute the round trip from its RR.
//!
//! Ported from rtc-interceptor 0.21.1 `src/report/sender_stream.rs`
//! (webrtc-rs, MIT/Apache-2.0, itself a port of pion's). Differences:
//! - No wall clock inside: upstream pairs each frame's first packet with
//!   `SystemTime::now()` and stamps the SR from that pair; here the SR's NTP
//!   time is the caller's `ntp_now` for the tick's `now`, so it is on the
//!   caller's clock (the one its RTT calculation uses) and the RTP
//!   timestamp is extrapolated to that same `now`, as upstream does.
//! - Upstream moves the RTP↔wall mapping only for a packet whose sequence
//!   number is newer (its default); [`SenderStream::on_sent`] has no
//!   sequence number, so the mapping moves when the RTP timestamp moves
//!   forward (a reordered packet of an older frame leaves it), which is the
//!   same for a sender that numbers packets in timestamp order.

use std::time::Instant;

use crate::wire::rtcp::SenderInfo;

#[derive(Debug, Clone)]
pub struct SenderStream {
    ssrc: u32,
    clock_rate: f64,
    /// The first packet of the newest frame: its RTP timestamp and when it
    /// was sent. `None` before the first packet.
    frame_start: Option<(u32, Instant)>,
    /// Wrapping, as RFC 3550 counters are.
    packet_count: u32,
    octet_count: u32,
}

impl SenderStream {
    pub fn new(ssrc: u32, clock_rate: u32) -> Self {
        SenderStream {
            ssrc,
            clock_rate: f64::from(clock_rate),
            frame_start: None,
            packet_count: 0,
            octet_count: 0,
        }
    }

    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// One RTP packet sent with this payload length (header and padding
    /// excluded).
    pub fn on_sent(&mut self, now: Instant, rtp_timestamp: u32, payload_len: usize) {
        let newer_frame = match self.frame_start {
            None => true,
            Some((last, _)) => {
                let ahead = rtp_timestamp.wrapping_sub(last);
                ahead != 0 && ahead < (1 << 31)
            }
        };
        // The frame's first packet, so that the time a large frame takes
        // to send does not skew the mapping.
        if newer_frame {
            self.frame_start = Some((rtp_timestamp, now));
        }
        self.packet_count = self.packet_count.wrapping_add(1);
        // A payload over 4 GiB cannot be; count it as upstream does.
        let octets = u32::try_from(payload_len).unwrap_or(u32::MAX);
        self.octet_count = self.octet_count.wrapping_add(octets);
    }

    /// The SR's sender info at `now`, whose NTP time is `ntp_now`; `None`
    /// before the first packet, when there is no RTP time to map.
    pub fn report(&self, now: Instant, ntp_now: u64) -> Option<SenderInfo> {
        let (rtp_timestamp, sent_at) = self.frame_start?;
        let elapsed = now.saturating_duration_since(sent_at).as_secs_f64();
        Some(SenderInfo {
            ntp_timestamp: ntp_now,
            rtp_timestamp: rtp_timestamp.wrapping_add((elapsed * self.clock_rate) as u32),
            packet_count: self.packet_count,
            octet_count: self.octet_count,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn nothing_to_report_before_the_first_packet() {
        let stream = SenderStream::new(1, 90_000);
        assert_eq!(stream.report(Instant::now(), 5), None);
    }

    #[test]
    fn the_rtp_time_is_extrapolated_from_the_frame_start() {
        let t0 = Instant::now();
        let mut stream = SenderStream::new(1, 90_000);
        stream.on_sent(t0, 1000, 100);
        // The frame's later packets and an older frame's leave the mapping.
        stream.on_sent(t0 + Duration::from_millis(5), 1000, 200);
        stream.on_sent(t0 + Duration::from_millis(6), 10, 300);
        let info = stream.report(t0 + Duration::from_millis(100), 42).unwrap();
        assert_eq!(info.ntp_timestamp, 42);
        assert_eq!(info.rtp_timestamp, 1000 + 9000);
        assert_eq!((info.packet_count, info.octet_count), (3, 600));
    }

    #[test]
    fn the_rtp_timestamp_wraps() {
        let t0 = Instant::now();
        let mut stream = SenderStream::new(1, 48_000);
        stream.on_sent(t0, u32::MAX - 10, 1);
        stream.on_sent(t0 + Duration::from_millis(20), 950, 1);
        let info = stream.report(t0 + Duration::from_millis(20), 0).unwrap();
        assert_eq!(info.rtp_timestamp, 950);
    }
}
