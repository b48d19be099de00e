//! Network quality: what the SFU measures of each participant's links and
//! the 0–5 level twilio-video's Network Quality API reports.
//!
//! Measured per participant, every [`QUALITY_INTERVAL`]:
//! - **send** (its uplink): loss and jitter of the packets its published
//!   tracks send us ([`UpstreamStats`], per track: sequence gaps, RFC 3550
//!   interarrival jitter), its video bitrate, and the round trip time;
//! - **receive** (its downlink): what its receiver reports say about the
//!   streams we send it (fraction lost, minus what was already lost on the
//!   way in; jitter; round trip time from LSR/DLSR).
//!
//! The level of a link ([`LinkQuality::level`]) is a simplified ITU-T G.107
//! E-model, the usual estimate of how a voice call sounds:
//!
//! ```text
//! latency = rtt/2 + 2·jitter + 10 ms
//! R       = 93.2 − (latency < 160 ms ? latency/40 : (latency − 120)/10) − 2.5·loss%
//! MOS     = 1 + 0.035·R + 7·10⁻⁶·R·(R − 60)·(100 − R)        (R clamped to 0…100)
//! level   = 5 if MOS ≥ 4.1, 4 if ≥ 3.8, 3 if ≥ 3.4, 2 if ≥ 2.8, else 1
//! ```
//!
//! and, for a link that carries the participant's camera, no more than the
//! video bitrate allows: 5 from 300 kbit/s, 4 from 150, 3 from 80, 2 from 30,
//! else 1. A participant's level is the lower of its two links; 0 while it
//! is reconnecting (nothing gets through).

use std::time::{Duration, Instant};

/// How often levels are computed (and sent when they change).
pub const QUALITY_INTERVAL: Duration = Duration::from_secs(2);

/// One link's measurements over the last interval.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LinkQuality {
    /// Fraction of packets lost, 0…1.
    pub loss: f64,
    pub rtt_ms: f64,
    pub jitter_ms: f64,
    /// The camera's bitrate on this link, when it carries one.
    pub video_kbps: Option<f64>,
}

impl LinkQuality {
    /// The E-model MOS of this link (see the module's formula).
    pub fn mos(&self) -> f64 {
        let latency = self.rtt_ms / 2.0 + 2.0 * self.jitter_ms + 10.0;
        let delay_penalty = if latency < 160.0 {
            latency / 40.0
        } else {
            (latency - 120.0) / 10.0
        };
        let r = (93.2 - delay_penalty - 2.5 * self.loss * 100.0).clamp(0.0, 100.0);
        1.0 + 0.035 * r + 7e-6 * r * (r - 60.0) * (100.0 - r)
    }

    /// 1 (very poor) … 5 (excellent).
    pub fn level(&self) -> u8 {
        let mos = self.mos();
        let voice = match mos {
            m if m >= 4.1 => 5,
            m if m >= 3.8 => 4,
            m if m >= 3.4 => 3,
            m if m >= 2.8 => 2,
            _ => 1,
        };
        let video = match self.video_kbps {
            None => 5,
            Some(k) if k >= 300.0 => 5,
            Some(k) if k >= 150.0 => 4,
            Some(k) if k >= 80.0 => 3,
            Some(k) if k >= 30.0 => 2,
            Some(_) => 1,
        };
        voice.min(video)
    }
}

/// What a published track's packets tell about its publisher's uplink:
/// counted on the forwarding path (a few integer and float operations per
/// packet), read and reset once per interval.
#[derive(Debug, Clone)]
pub struct UpstreamStats {
    clock_rate: f64,
    /// Extended highest sequence number seen, and at the last sample.
    highest: Option<u64>,
    highest_at_sample: Option<u64>,
    received: u64,
    received_at_sample: u64,
    bytes: u64,
    bytes_at_sample: u64,
    /// RFC 3550 §6.4.1 interarrival jitter, in RTP units.
    jitter: f64,
    last_transit: Option<f64>,
    epoch: Option<Instant>,
    sampled_at: Option<Instant>,
    /// Loss of the last interval, for the subscribers' reports to discount.
    pub last_loss: f64,
}

impl UpstreamStats {
    pub fn new(clock_rate: u32) -> Self {
        Self {
            clock_rate: f64::from(clock_rate.max(1)),
            highest: None,
            highest_at_sample: None,
            received: 0,
            received_at_sample: 0,
            bytes: 0,
            bytes_at_sample: 0,
            jitter: 0.0,
            last_transit: None,
            epoch: None,
            sampled_at: None,
            last_loss: 0.0,
        }
    }

    pub fn on_packet(&mut self, now: Instant, sequence_number: u16, timestamp: u32, bytes: usize) {
        self.received += 1;
        self.bytes += bytes as u64;
        let extended = match self.highest {
            None => {
                let first = u64::from(sequence_number) + (1 << 16);
                self.highest_at_sample = Some(first - 1);
                first
            }
            Some(highest) => {
                // The sequence number nearest the highest so far.
                let delta = sequence_number.wrapping_sub(highest as u16) as i16;
                highest.saturating_add_signed(i64::from(delta))
            }
        };
        if self.highest.is_none_or(|h| extended > h) {
            self.highest = Some(extended);
        }
        let epoch = *self.epoch.get_or_insert(now);
        let arrival = now.saturating_duration_since(epoch).as_secs_f64() * self.clock_rate;
        let transit = arrival - f64::from(timestamp);
        if let Some(last) = self.last_transit {
            let d = (transit - last).abs();
            // A timestamp jump (a new source, a long pause) is not jitter.
            if d < self.clock_rate {
                self.jitter += (d - self.jitter) / 16.0;
            }
        }
        self.last_transit = Some(transit);
    }

    /// Loss (0…1), jitter (ms) and bitrate (kbit/s) since the last sample;
    /// `None` when nothing arrived in it.
    pub fn sample(&mut self, now: Instant) -> Option<(f64, f64, f64)> {
        let since = self.sampled_at.replace(now);
        let highest = self.highest?;
        let expected =
            highest.saturating_sub(self.highest_at_sample.replace(highest).unwrap_or(highest));
        let received =
            self.received - std::mem::replace(&mut self.received_at_sample, self.received);
        let bytes = self.bytes - std::mem::replace(&mut self.bytes_at_sample, self.bytes);
        let seconds = since.map(|s| now.saturating_duration_since(s).as_secs_f64())?;
        if received == 0 || seconds <= 0.0 {
            return None;
        }
        let loss = if expected > received {
            (expected - received) as f64 / expected as f64
        } else {
            0.0
        };
        self.last_loss = loss;
        let jitter_ms = self.jitter / self.clock_rate * 1000.0;
        Some((loss, jitter_ms, bytes as f64 * 8.0 / seconds / 1000.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_follow_loss_and_delay() {
        let clean = LinkQuality {
            rtt_ms: 20.0,
            jitter_ms: 5.0,
            ..Default::default()
        };
        assert_eq!(clean.level(), 5);
        let lossy = LinkQuality {
            loss: 0.10,
            ..clean
        };
        assert_eq!(lossy.level(), 3);
        let awful = LinkQuality {
            loss: 0.25,
            ..clean
        };
        assert_eq!(awful.level(), 1);
        let far = LinkQuality {
            loss: 0.05,
            rtt_ms: 150.0,
            jitter_ms: 50.0,
            video_kbps: None,
        };
        assert_eq!(far.level(), 3);
        let starved = LinkQuality {
            video_kbps: Some(60.0),
            ..clean
        };
        assert_eq!(starved.level(), 2);
    }

    #[test]
    fn upstream_loss_jitter_and_bitrate_from_packets() {
        let start = Instant::now();
        let mut stats = UpstreamStats::new(48_000);
        assert_eq!(stats.sample(start), None);
        // 50 packets a second for 2 s, every tenth lost, sequence numbers
        // wrapping on the way.
        for n in 0..100u32 {
            if n % 10 == 3 {
                continue;
            }
            let at = start + Duration::from_millis(20 * u64::from(n));
            stats.on_packet(at, 65_500u16.wrapping_add(n as u16), n * 960, 100);
        }
        let (loss, jitter_ms, kbps) = stats.sample(start + Duration::from_secs(2)).unwrap();
        assert!((loss - 0.10).abs() < 0.02, "{loss}");
        assert!(jitter_ms < 1.0, "{jitter_ms}");
        assert!((kbps - 36.0).abs() < 2.0, "{kbps}");
    }
}
