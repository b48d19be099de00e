//! Which simulcast layer a subscriber may receive of one track: the
//! highest whose bitrate fits the subscriber's share of its downlink.
//!
//! Going down is immediate: a layer that no longer fits is losing packets
//! on the subscriber's link now. Going up waits until the next layer has
//! fitted with headroom for a while, because the downlink estimate only
//! learns a link's capacity by filling it: an estimate probing upwards
//! overshoots for a few seconds at a time, and a switch made on such a
//! moment overfills the link and freezes the picture until the switch
//! back. So after any switch down (the link narrowed) the next switch up
//! waits [`AFTER_DOWN`]; a switch up that is undone soon after was a probe
//! that failed, and the next try waits longer each time (as libwebrtc
//! backs off failed probes).

use std::time::{Duration, Instant};

/// The next layer up must need at most this part of the share.
const UP_HEADROOM: f64 = 0.8;
/// ... for this long, before the subscriber is switched to it.
const UP_AFTER: Duration = Duration::from_secs(3);
/// A switch up undone within this long did not hold.
const FAILED_WITHIN: Duration = Duration::from_secs(10);
/// After a switch down, no switch up for this long.
const AFTER_DOWN: Duration = Duration::from_secs(30);
/// After a switch up that did not hold, none for this long, doubling up
/// to [`MAX_HOLD`] while they keep failing.
const FIRST_HOLD: Duration = Duration::from_secs(60);
const MAX_HOLD: Duration = Duration::from_secs(120);

#[derive(Debug, Clone)]
pub struct LayerChoice {
    allowed: u8,
    /// The highest layer the last share would take (unmeasured layers
    /// included): where the choice is heading, so the layers up to it are
    /// kept coming from the publisher.
    reachable: u8,
    /// Since when the next layer up has fitted with headroom.
    fits_above_since: Option<Instant>,
    /// The last switch up, while it may still turn out not to hold.
    raised_at: Option<Instant>,
    hold_until: Option<Instant>,
    hold: Duration,
}

impl Default for LayerChoice {
    /// A new subscriber starts on the lowest layer: its first keyframe is
    /// the smallest, and its link is not known yet.
    fn default() -> Self {
        Self {
            allowed: 0,
            reachable: 0,
            fits_above_since: None,
            raised_at: None,
            hold_until: None,
            hold: FIRST_HOLD,
        }
    }
}

impl LayerChoice {
    /// The highest layer the subscriber may receive.
    pub fn allowed(&self) -> u8 {
        self.allowed
    }

    /// The highest layer the subscriber may soon receive: its allowed
    /// layer, or higher when the last share would take a higher one (or
    /// one not measured yet).
    pub fn wanted(&self) -> u8 {
        self.allowed.max(self.reachable)
    }

    /// Chooses again from the subscriber's share of its downlink for this
    /// track (`None`: not known yet, nothing changes) and each layer's
    /// bitrate, lowest first (`None`: never measured, so never chosen
    /// above the current layer).
    pub fn update(&mut self, now: Instant, share: Option<u64>, bitrates: &[Option<u64>]) -> u8 {
        let Some(share) = share else {
            return self.allowed;
        };
        let top = bitrates.len().saturating_sub(1) as u8;
        self.allowed = self.allowed.min(top);
        if self
            .raised_at
            .is_some_and(|at| now.saturating_duration_since(at) >= FAILED_WITHIN)
        {
            self.raised_at = None;
            self.hold = FIRST_HOLD;
        }
        let needs = |layer: u8| bitrates[usize::from(layer)];
        self.reachable = (0..=top)
            .rev()
            .find(|l| needs(*l).is_none_or(|bps| bps <= share))
            .unwrap_or(0);
        let lowered = self.allowed;
        while self.allowed > 0 && needs(self.allowed).is_some_and(|bps| bps > share) {
            self.allowed -= 1;
        }
        if self.allowed < lowered {
            self.fits_above_since = None;
            let hold = if self.raised_at.take().is_some() {
                let hold = self.hold;
                self.hold = (self.hold * 2).min(MAX_HOLD);
                hold
            } else {
                AFTER_DOWN
            };
            self.hold_until = Some(now + hold);
            return self.allowed;
        }
        let next_fits = self.allowed < top
            && needs(self.allowed + 1).is_some_and(|bps| bps as f64 <= share as f64 * UP_HEADROOM);
        if !next_fits {
            self.fits_above_since = None;
            return self.allowed;
        }
        let since = *self.fits_above_since.get_or_insert(now);
        let held = self.hold_until.is_some_and(|until| now < until);
        if now.saturating_duration_since(since) >= UP_AFTER && !held {
            self.allowed += 1;
            self.raised_at = Some(now);
            self.fits_above_since = None;
        }
        self.allowed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LAYERS: [Option<u64>; 3] = [Some(100_000), Some(300_000), Some(900_000)];

    fn at(t0: Instant, secs: u64) -> Instant {
        t0 + Duration::from_secs(secs)
    }

    #[test]
    fn climbs_one_layer_at_a_time_once_each_has_fitted_for_a_while() {
        let t0 = Instant::now();
        let mut choice = LayerChoice::default();
        assert_eq!(choice.update(t0, None, &LAYERS), 0);
        assert_eq!(choice.update(t0, Some(5_000_000), &LAYERS), 0);
        assert_eq!(choice.update(at(t0, 2), Some(5_000_000), &LAYERS), 0);
        assert_eq!(choice.update(at(t0, 3), Some(5_000_000), &LAYERS), 1);
        assert_eq!(choice.update(at(t0, 4), Some(5_000_000), &LAYERS), 1);
        assert_eq!(choice.update(at(t0, 6), Some(5_000_000), &LAYERS), 1);
        assert_eq!(choice.update(at(t0, 7), Some(5_000_000), &LAYERS), 2);
        // Never above the top, and an unmeasured layer is not climbed to.
        assert_eq!(choice.update(at(t0, 20), Some(5_000_000), &LAYERS), 2);
        let mut fresh = LayerChoice::default();
        let unknown = [Some(100_000), None];
        assert_eq!(fresh.update(t0, Some(5_000_000), &unknown), 0);
        assert_eq!(fresh.update(at(t0, 10), Some(5_000_000), &unknown), 0);
    }

    #[test]
    fn drops_at_once_to_what_fits_and_backs_off_after_a_switch_that_did_not_hold() {
        let t0 = Instant::now();
        let mut choice = LayerChoice::default();
        for s in [0, 3, 4] {
            choice.update(at(t0, s), Some(2_000_000), &LAYERS);
        }
        assert_eq!(choice.update(at(t0, 7), Some(2_000_000), &LAYERS), 2);
        assert_eq!(choice.update(at(t0, 20), Some(2_000_000), &LAYERS), 2);
        // The link narrows to 250 kbit/s: straight down to the lowest, and
        // no climbing for 30 s.
        assert_eq!(choice.update(at(t0, 21), Some(250_000), &LAYERS), 0);
        for s in 22..51 {
            assert_eq!(choice.update(at(t0, s), Some(400_000), &LAYERS), 0, "{s}");
        }
        // The estimate overshoots (probing): up again ...
        assert_eq!(choice.update(at(t0, 51), Some(400_000), &LAYERS), 1);
        // ... which does not hold: down, and no try for 60 s.
        assert_eq!(choice.update(at(t0, 52), Some(250_000), &LAYERS), 0);
        assert_eq!(choice.update(at(t0, 60), Some(400_000), &LAYERS), 0);
        assert_eq!(choice.update(at(t0, 111), Some(400_000), &LAYERS), 0);
        assert_eq!(choice.update(at(t0, 112), Some(400_000), &LAYERS), 1);
        // Failing again doubles the wait (120 s).
        assert_eq!(choice.update(at(t0, 113), Some(250_000), &LAYERS), 0);
        assert_eq!(choice.update(at(t0, 200), Some(400_000), &LAYERS), 0);
        assert_eq!(choice.update(at(t0, 232), Some(400_000), &LAYERS), 0);
        assert_eq!(choice.update(at(t0, 233), Some(400_000), &LAYERS), 1);
        // A switch that holds for 10 s resets the back-off: the next fall
        // holds 30 s again.
        assert_eq!(choice.update(at(t0, 243), Some(400_000), &LAYERS), 1);
        assert_eq!(choice.update(at(t0, 244), Some(250_000), &LAYERS), 0);
        choice.update(at(t0, 271), Some(400_000), &LAYERS);
        assert_eq!(choice.update(at(t0, 274), Some(400_000), &LAYERS), 1);
    }
}
