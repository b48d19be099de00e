//! Each subscriber's downlink, shared out over the video it receives:
//! bitrate caps for tracks sent once, layers for simulcast tracks.
//!
//! Each participant's peer connection estimates its downlink from the
//! transport-wide feedback its browser sends about what we send it
//! (`engine::bandwidth`, GCC). Every [`CAP_INTERVAL`], each subscriber's
//! share for one video track is its estimate, less its audio, split over
//! the video tracks it receives by their priority's weight (the
//! subscriber's own priority for the track, else the publisher's; each
//! step up doubles a track's part). A track the subscriber switched off
//! takes nothing. Then:
//!
//! - A track published without simulcast gets the smallest share among
//!   its subscribers, told to its publisher as REMB. A browser keeps its
//!   send rate under the REMB it last received, so it is sent again each
//!   interval, up as well as down. One subscriber on a narrow link lowers
//!   the video everyone receives from that publisher, which beats that
//!   subscriber losing packets and freezing.
//! - A simulcast track gets no cap: each subscriber's share (of its
//!   cautious estimate, which grows slowly past what the link has shown:
//!   `engine::bandwidth`) chooses the layer it receives (`forward::layer_choice`), and the layers nobody
//!   receives are paused at the publisher (`publish_layers`, which the
//!   client applies to its encodings). An uncapped subscriber keeps the
//!   top layer while a narrow one receives a lower one.

use std::time::{Duration, Instant};

use rustc_hash::FxHashMap;

use super::{ParticipantKey, PublishedTrack, Sfu};
use crate::signal::{MediaKind, ToParticipant};

/// How often caps are sent (libwebrtc sends its own REMB about once a
/// second too).
pub(super) const CAP_INTERVAL: Duration = Duration::from_secs(1);

/// What one received audio track is taken to need of a downlink.
const AUDIO_BPS: u64 = 40_000;

/// The lowest cap sent: below it a camera stream is not worth having, and
/// the subscriber's own quality level says its link is poor.
const MIN_VIDEO_BPS: u64 = 50_000;

/// What a subscriber receives: its downlink estimate, how many audio
/// tracks share it, and the summed weight of its video tracks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Receiving {
    estimate: Option<u64>,
    /// The estimate as far as the link has shown it (for layers).
    cautious: Option<u64>,
    audio: u64,
    video_weight: u64,
}

impl Receiving {
    /// The share of its downlink a video track of `weight` can have.
    fn video_share(&self, weight: u64) -> Option<u64> {
        self.share_of(self.estimate?, weight)
    }

    /// The same share of the cautious estimate.
    fn cautious_video_share(&self, weight: u64) -> Option<u64> {
        self.share_of(self.cautious?, weight)
    }

    fn share_of(&self, estimate: u64, weight: u64) -> Option<u64> {
        let for_video = estimate.saturating_sub(self.audio * AUDIO_BPS);
        Some((for_video * weight / self.video_weight.max(weight).max(1)).max(MIN_VIDEO_BPS))
    }
}

/// The cap for a track: the smallest share among its subscribers (each
/// with the track's weight for it) that have an estimate (`None` when none
/// has one yet).
fn track_cap(subscribers: impl Iterator<Item = (Receiving, u64)>) -> Option<u64> {
    subscribers.filter_map(|(r, w)| r.video_share(w)).min()
}

/// A track's weight for one subscriber: its own priority, else the
/// publisher's.
fn weight(track: &PublishedTrack, subscriber: ParticipantKey) -> u64 {
    track
        .subscriber_priority
        .get(&subscriber)
        .copied()
        .unwrap_or(track.priority)
        .weight()
}

impl Sfu {
    pub(super) fn share_downlinks(&mut self, now: Instant) {
        let mut receiving: FxHashMap<ParticipantKey, Receiving> = FxHashMap::default();
        for track in self.tracks.values() {
            for sub in track.receiver.receiving() {
                let r = receiving.entry(sub).or_default();
                match track.kind {
                    MediaKind::Audio => r.audio += 1,
                    MediaKind::Video => r.video_weight += weight(track, sub),
                }
            }
        }
        for (key, r) in receiving.iter_mut() {
            if let Some(p) = self.participants.get(key) {
                r.estimate = p.peer.downlink_estimate();
                r.cautious = p.peer.cautious_downlink_estimate();
            }
        }
        let mut caps: Vec<(ParticipantKey, String, u64)> = Vec::new();
        let mut layers: Vec<(ParticipantKey, String, Vec<bool>)> = Vec::new();
        for t in self.tracks.values_mut() {
            if t.kind != MediaKind::Video {
                continue;
            }
            if t.receiver.layer_count() < 2 {
                let subscribers = t
                    .receiver
                    .receiving()
                    .map(|s| (receiving[&s], weight(t, s)));
                if let Some(cap) = track_cap(subscribers) {
                    caps.push((t.publisher, t.engine_track_id.clone(), cap));
                }
                continue;
            }
            let shares: Vec<(ParticipantKey, Option<u64>)> = t
                .receiver
                .receiving()
                .map(|s| (s, receiving[&s].cautious_video_share(weight(t, s))))
                .collect();
            for (sub, share) in shares {
                t.receiver.choose_layer(now, sub, share);
            }
            if let Some(active) = t.receiver.poll_layers_to_send(now) {
                layers.push((t.publisher, t.mid.clone(), active));
            }
        }
        for (publisher, track_id, cap) in caps {
            if let Some(p) = self.participants.get_mut(&publisher) {
                p.peer.send_bitrate_cap(now, &track_id, cap);
                self.stats.bitrate_caps_sent += 1;
                self.dirty.mark(publisher, &mut p.output_queued);
            }
        }
        for (publisher, mid, active) in layers {
            self.stats.layer_changes_sent += 1;
            self.events
                .push_back((publisher, ToParticipant::PublishLayers { mid, active }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signal::Priority;

    const STANDARD: u64 = 2;

    /// `video` tracks of standard priority.
    fn receiving(estimate: Option<u64>, audio: u64, video: u64) -> (Receiving, u64) {
        let r = Receiving {
            estimate,
            cautious: estimate,
            audio,
            video_weight: video * STANDARD,
        };
        (r, STANDARD)
    }

    #[test]
    fn the_narrowest_subscriber_sets_the_cap() {
        let wide = receiving(Some(3_000_000), 1, 1);
        let narrow = receiving(Some(300_000), 1, 1);
        assert_eq!(track_cap([wide, narrow].into_iter()), Some(260_000));
        // Two videos on one downlink share it.
        let shared = receiving(Some(1_040_000), 2, 2);
        assert_eq!(track_cap([wide, shared].into_iter()), Some(480_000));
    }

    #[test]
    fn priority_weighs_a_share() {
        // One high and one low track on 1 Mbit/s less one audio track:
        // the high one gets four fifths.
        let r = Receiving {
            estimate: Some(1_040_000),
            cautious: Some(1_040_000),
            audio: 1,
            video_weight: Priority::High.weight() + Priority::Low.weight(),
        };
        assert_eq!(r.video_share(Priority::High.weight()), Some(800_000));
        assert_eq!(r.video_share(Priority::Low.weight()), Some(200_000));
    }

    #[test]
    fn no_estimate_no_cap_and_never_below_the_floor() {
        assert_eq!(track_cap([receiving(None, 1, 1)].into_iter()), None);
        assert_eq!(track_cap(std::iter::empty()), None);
        assert_eq!(
            track_cap([receiving(Some(60_000), 2, 1)].into_iter()),
            Some(MIN_VIDEO_BPS)
        );
    }
}
