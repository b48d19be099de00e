//! Dominant speaker detection from RFC 6464 audio levels.
//!
//! Each audio packet's level (−dBov) feeds a per-speaker moving average of
//! loudness; every [`DominantSpeaker::INTERVAL`] the loudest speaker above a
//! threshold becomes dominant, with a margin so two people talking at once do
//! not make the video layout flicker. Silence keeps the last speaker.

use std::collections::HashMap;
use std::hash::Hash;
use std::time::{Duration, Instant};

/// Levels quieter than this (in −dBov) count as silence.
const SPEAKING_LEVEL: u8 = 60;
/// How much louder (in smoothed loudness units) a challenger must be.
const SWITCH_MARGIN: f32 = 6.0;
/// Weight of a new sample in the moving average.
const SMOOTHING: f32 = 0.15;

#[derive(Debug)]
pub struct DominantSpeaker<K> {
    loudness: HashMap<K, f32>,
    current: Option<K>,
    next_decision: Option<Instant>,
}

impl<K> Default for DominantSpeaker<K> {
    fn default() -> Self {
        Self {
            loudness: HashMap::new(),
            current: None,
            next_decision: None,
        }
    }
}

impl<K: Copy + Eq + Hash> DominantSpeaker<K> {
    pub const INTERVAL: Duration = Duration::from_millis(300);

    /// Feeds one packet's level (0 loudest … 127 silent).
    pub fn observe(&mut self, now: Instant, speaker: K, level: u8) {
        let loudness = (SPEAKING_LEVEL.saturating_sub(level.min(127))) as f32;
        let avg = self.loudness.entry(speaker).or_insert(0.0);
        *avg += SMOOTHING * (loudness - *avg);
        self.next_decision.get_or_insert(now + Self::INTERVAL);
    }

    pub fn current(&self) -> Option<K> {
        self.current
    }

    pub fn next_timeout(&self) -> Option<Instant> {
        self.next_decision
    }

    /// Forgets a speaker who left; returns true when they were dominant (the
    /// room is told there is no dominant speaker until someone speaks).
    pub fn remove(&mut self, speaker: K) -> bool {
        self.loudness.remove(&speaker);
        if self.current == Some(speaker) {
            self.current = None;
            return true;
        }
        false
    }

    /// Decides at the interval; `Some(new)` when the dominant speaker changed.
    pub fn poll(&mut self, now: Instant) -> Option<K> {
        let due = self.next_decision?;
        if now < due {
            return None;
        }
        self.next_decision = if self.loudness.values().any(|l| *l > 0.5) {
            Some(now + Self::INTERVAL)
        } else {
            None
        };
        let (loudest, loudness) = self
            .loudness
            .iter()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(k, l)| (*k, *l))?;
        if loudness < 1.0 || self.current == Some(loudest) {
            return None;
        }
        let current_loudness = self
            .current
            .and_then(|c| self.loudness.get(&c).copied())
            .unwrap_or(0.0);
        if loudness - current_loudness < SWITCH_MARGIN && current_loudness >= 1.0 {
            return None;
        }
        self.current = Some(loudest);
        Some(loudest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_loud_speaker_wins_and_silence_keeps_them() {
        let t0 = Instant::now();
        let mut ds = DominantSpeaker::default();
        let mut t = t0;
        for _ in 0..50 {
            t += Duration::from_millis(20);
            ds.observe(t, 1u32, 20); // speaking
            ds.observe(t, 2u32, 127); // silent
            if let Some(k) = ds.poll(t) {
                assert_eq!(k, 1);
            }
        }
        assert_eq!(ds.current(), Some(1));
        // Now 2 speaks and 1 falls silent.
        for _ in 0..100 {
            t += Duration::from_millis(20);
            ds.observe(t, 1u32, 127);
            ds.observe(t, 2u32, 15);
            ds.poll(t);
        }
        assert_eq!(ds.current(), Some(2));
        // Everyone silent: 2 stays.
        for _ in 0..100 {
            t += Duration::from_millis(20);
            ds.observe(t, 1u32, 127);
            ds.observe(t, 2u32, 127);
            ds.poll(t);
        }
        assert_eq!(ds.current(), Some(2));
        assert!(ds.remove(2));
        assert_eq!(ds.current(), None);
    }
}
