//! One simulcast layer of a published track as it arrives: its packet
//! cache (NACKs are answered from the layer a subscriber receives), its
//! keyframe throttle (a PLI names one layer's SSRC), and what it carries —
//! whether it is arriving at all, and at what bitrate.
//!
//! A track published without simulcast is a track with one layer.

use std::time::{Duration, Instant};

use super::keyframe_request::KeyframeRequestThrottle;
use super::packet_cache::PacketCache;

/// A layer that sent nothing for this long has stopped: its publisher
/// paused it (we asked, or its own congestion control did), and nobody
/// should wait for it. Even a 7.5 fps layer sends several packets a second.
pub const LAYER_TIMEOUT: Duration = Duration::from_secs(1);

/// Over how long a layer's bitrate is measured.
const RATE_WINDOW: Duration = Duration::from_secs(1);

/// How far behind the newest sequence number a packet may be and still be
/// a late one (reordered, or a repair). Further back, the publisher
/// restarted its numbering (a new encoder after renegotiation): the
/// packet is the newest. libwebrtc uses a similar reordering threshold.
const REORDER_WINDOW: u16 = 1000;

#[derive(Debug)]
pub struct SourceLayer {
    pub(super) cache: PacketCache,
    pub(super) keyframes: KeyframeRequestThrottle,
    /// Until when the layer counts as arriving: its last packet plus
    /// [`LAYER_TIMEOUT`]. Kept as a deadline, as is `window_end`, because
    /// every packet asks and comparing instants is cheaper than
    /// subtracting them.
    live_until: Option<Instant>,
    window_start: Option<Instant>,
    /// `window_start` plus [`RATE_WINDOW`].
    window_end: Option<Instant>,
    window_bytes: u64,
    /// The bitrate of the last whole window in which the layer arrived
    /// throughout: kept while it is paused, so a subscriber can still
    /// tell whether it would fit.
    bitrate: Option<u64>,
    /// Whether the layer arrived when the current window started.
    live_at_window_start: bool,
    /// The newest sequence number that arrived.
    newest: Option<u16>,
}

impl SourceLayer {
    pub fn new(cache_size: usize, keyframe_interval: Duration) -> Self {
        Self {
            cache: PacketCache::new(cache_size),
            keyframes: KeyframeRequestThrottle::new(keyframe_interval),
            live_until: None,
            window_start: None,
            window_end: None,
            window_bytes: 0,
            bitrate: None,
            live_at_window_start: false,
            newest: None,
        }
    }

    /// Whether `seq` is the newest packet of the layer so far (and then it
    /// is remembered as such); false for a late one, which arrived after
    /// packets numbered above it.
    pub fn is_newest(&mut self, seq: u16) -> bool {
        let newest = match self.newest {
            Some(newest) => {
                let behind = newest.wrapping_sub(seq);
                behind > REORDER_WINDOW
            }
            None => true,
        };
        if newest {
            self.newest = Some(seq);
        }
        newest
    }

    /// Counts one packet of `bytes` (payload) arriving now.
    /// True when the layer was not arriving before it (it started or
    /// resumed), so subscribers' layers are chosen again.
    pub fn on_packet(&mut self, now: Instant, bytes: usize) -> bool {
        let started = !self.is_live(now);
        self.roll(now);
        if started {
            // A window that began while the layer was stopped does not
            // measure it.
            self.start_window(now);
            self.live_at_window_start = true;
        }
        self.window_bytes += bytes as u64;
        self.live_until = now.checked_add(LAYER_TIMEOUT);
        started
    }

    fn roll(&mut self, now: Instant) {
        if self.window_end.is_some_and(|end| now < end) {
            return;
        }
        if let Some(start) = self.window_start
            && self.live_at_window_start
            && self.is_live(now)
        {
            let elapsed = now.saturating_duration_since(start).as_micros().max(1) as u64;
            self.bitrate = Some((self.window_bytes * 8 * 1_000_000) / elapsed);
        }
        self.start_window(now);
        self.live_at_window_start = self.is_live(now);
    }

    fn start_window(&mut self, now: Instant) {
        self.window_start = Some(now);
        self.window_end = now.checked_add(RATE_WINDOW);
        self.window_bytes = 0;
    }

    /// Whether packets of this layer are arriving.
    pub fn is_live(&self, now: Instant) -> bool {
        self.live_until.is_some_and(|until| now < until)
    }

    /// Bits per second (payload) over the last whole window it arrived
    /// throughout; `None` until it has.
    pub fn bitrate(&self) -> Option<u64> {
        self.bitrate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_a_layer_while_it_arrives_and_remembers_it_when_it_stops() {
        let t0 = Instant::now();
        let mut layer = SourceLayer::new(16, Duration::from_secs(1));
        assert!(!layer.is_live(t0));
        assert!(layer.on_packet(t0, 1000), "started");
        // 100 packets of 1,000 bytes a second: 800 kbit/s.
        for i in 1..=250u64 {
            assert!(!layer.on_packet(t0 + Duration::from_millis(10 * i), 1000));
        }
        assert_eq!(layer.bitrate(), Some(800_000));
        let stopped = t0 + Duration::from_millis(2500 + 1000);
        assert!(!layer.is_live(stopped));
        assert!(layer.on_packet(stopped, 10), "resumed");
        assert_eq!(layer.bitrate(), Some(800_000), "kept while it was paused");
    }

    #[test]
    fn tells_late_packets_from_new_ones_across_the_wrap_and_a_restart() {
        let mut layer = SourceLayer::new(16, Duration::from_secs(1));
        assert!(layer.is_newest(65_534));
        assert!(layer.is_newest(1), "across the wrap");
        assert!(!layer.is_newest(65_535), "late");
        assert!(!layer.is_newest(1), "a copy of the newest is not newer");
        assert!(layer.is_newest(2));
        // A numbering restarted far behind is the newest from then on.
        assert!(layer.is_newest(2u16.wrapping_sub(5000)));
        assert!(layer.is_newest(2u16.wrapping_sub(4999)));
        assert!(!layer.is_newest(2u16.wrapping_sub(5000)), "late now");
    }
}
