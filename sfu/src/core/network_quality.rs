//! Network quality levels per participant, twilio-video's 0–5
//! (`crate::quality` has the measurements and the formula). Every
//! [`QUALITY_INTERVAL`](crate::quality::QUALITY_INTERVAL) each participant's
//! uplink is read from the counters of the tracks it publishes and its
//! downlink from the latest receiver report it sent about each of ours
//! (standing for up to [`REPORT_STANDS_FOR`]); when a level in a
//! room changes, everyone in it gets the room's levels (`network_quality`).

use std::time::{Duration, Instant};

use super::{ParticipantKey, Sfu};
use crate::engine::SenderSlot;
use crate::quality::LinkQuality;
use crate::signal::{LinkStats, MediaKind, NetworkQualityInfo, ToParticipant};

/// How long a receiver report's figures stand for its stream when no
/// newer one came: browsers report audio only every ~5 s (randomised up
/// to 7.5 s) and video every second, so a level computed every
/// [`QUALITY_INTERVAL`](crate::quality::QUALITY_INTERVAL) from the reports of that interval alone would
/// swing with which streams happened to report (and, with video cut on a
/// poor downlink, read an audio-only downlink as clean most of the time).
const REPORT_STANDS_FOR: Duration = Duration::from_secs(10);

/// The latest receiver report about one of our senders.
#[derive(Debug, Clone, Copy)]
struct SenderReception {
    sender: SenderSlot,
    at: Instant,
    /// Loss on this participant's own downlink (the publisher's uplink
    /// loss taken out), 0…1.
    loss: f64,
    jitter_ms: f64,
}

/// What one participant's reports said, and what it was told.
#[derive(Debug, Default)]
pub(super) struct ParticipantQuality {
    /// The latest report about each of our senders to it.
    receptions: Vec<SenderReception>,
    /// The latest round trip time (reports come every second or so).
    rtt_ms: Option<f64>,
    /// Smoothed loss of each link (half the last value, half the new).
    send_loss: f64,
    recv_loss_smoothed: f64,
    /// The last level computed, and whether the room has been told it.
    pub(super) info: Option<NetworkQualityInfo>,
    told: bool,
}

impl ParticipantQuality {
    /// Worst downlink loss and jitter among the reports that still stand.
    fn downlink(&mut self, now: Instant) -> (f64, f64) {
        self.receptions
            .retain(|r| now.saturating_duration_since(r.at) < REPORT_STANDS_FOR);
        self.receptions
            .iter()
            .fold((0.0, 0.0), |(loss, jitter), r| {
                (f64::max(loss, r.loss), f64::max(jitter, r.jitter_ms))
            })
    }
}

fn link_stats(link: &LinkQuality, level: u8) -> LinkStats {
    LinkStats {
        level,
        loss: (link.loss * 1000.0).round() / 1000.0,
        rtt_ms: link.rtt_ms.round() as u32,
        jitter_ms: link.jitter_ms.round() as u32,
        video_kbps: link.video_kbps.map(|k| k.round() as u32),
    }
}

impl Sfu {
    /// A receiver report block of `key`'s about our sender `sender`. Loss
    /// the publisher's uplink already had is not the subscriber's.
    pub(super) fn on_reception(
        &mut self,
        now: Instant,
        key: ParticipantKey,
        sender: SenderSlot,
        loss: f64,
        jitter: u32,
        rtt: Option<Duration>,
    ) {
        let Some(p) = self.participants.get_mut(&key) else {
            return;
        };
        let Some(track) = p
            .track_by_sender
            .get(&sender)
            .and_then(|tk| self.tracks.get(tk))
        else {
            return;
        };
        let q = &mut p.quality;
        let upstream_loss = track
            .upstream
            .iter()
            .map(|u| u.last_loss)
            .fold(0.0, f64::max);
        let own = (loss - upstream_loss).max(0.0);
        let clock_rate = if track.kind == MediaKind::Audio {
            48_000.0
        } else {
            90_000.0
        };
        let reception = SenderReception {
            sender,
            at: now,
            loss: own,
            jitter_ms: f64::from(jitter) / clock_rate * 1000.0,
        };
        match q.receptions.iter_mut().find(|r| r.sender == sender) {
            Some(latest) => *latest = reception,
            None => q.receptions.push(reception),
        }
        if let Some(rtt) = rtt {
            q.rtt_ms = Some(rtt.as_secs_f64() * 1000.0);
        }
    }

    /// Computes every participant's level; tells each room whose levels
    /// changed (and anyone not told yet).
    pub(super) fn update_network_quality(&mut self, now: Instant) {
        let keys: Vec<ParticipantKey> = self.participants.keys().copied().collect();
        let mut changed_rooms = Vec::new();
        for key in keys {
            let Some(info) = self.measure(now, key) else {
                continue;
            };
            let p = self.participants.get_mut(&key).expect("listed");
            let changed = p.quality.info.as_ref().map(|i| i.level) != Some(info.level);
            p.quality.info = Some(info);
            if (changed || !p.quality.told) && !changed_rooms.contains(&p.room) {
                changed_rooms.push(p.room.clone());
            }
        }
        for room in changed_rooms {
            let Some(members) = self.rooms.get(&room).map(|r| r.participants.clone()) else {
                continue;
            };
            let levels: Vec<NetworkQualityInfo> = members
                .iter()
                .filter_map(|k| self.participants.get(k)?.quality.info.clone())
                .collect();
            for k in members {
                if let Some(p) = self.participants.get_mut(&k) {
                    p.quality.told = true;
                }
                self.events.push_back((
                    k,
                    ToParticipant::NetworkQuality {
                        participants: levels.clone(),
                    },
                ));
            }
        }
    }

    /// One participant's links over the interval that ends now; `None`
    /// before its media connected.
    fn measure(&mut self, now: Instant, key: ParticipantKey) -> Option<NetworkQualityInfo> {
        let mut send = LinkQuality::default();
        let mut heard = false;
        for track in self.tracks.values_mut().filter(|t| t.publisher == key) {
            // Each simulcast layer is a stream of its own.
            for (loss, jitter_ms, kbps) in track.upstream.iter_mut().filter_map(|u| u.sample(now)) {
                heard = true;
                send.loss = send.loss.max(loss);
                if track.kind == MediaKind::Audio {
                    send.jitter_ms = send.jitter_ms.max(jitter_ms);
                } else if track.enabled {
                    send.video_kbps = Some(send.video_kbps.unwrap_or(0.0) + kbps);
                }
            }
        }
        let p = self.participants.get_mut(&key)?;
        if !p.connected {
            return None;
        }
        let q = &mut p.quality;
        q.send_loss = (q.send_loss + send.loss) / 2.0;
        send.loss = q.send_loss;
        let rtt_ms = q.rtt_ms.unwrap_or(0.0);
        send.rtt_ms = rtt_ms;
        let (recv_loss, recv_jitter_ms) = q.downlink(now);
        q.recv_loss_smoothed = (q.recv_loss_smoothed + recv_loss) / 2.0;
        let recv = LinkQuality {
            loss: q.recv_loss_smoothed,
            rtt_ms,
            jitter_ms: recv_jitter_ms,
            video_kbps: None,
        };
        // Publishing and hearing nothing: its uplink is down.
        let publishes = self.tracks.values().any(|t| t.publisher == key);
        let interrupted = p.reconnecting_since.is_some() || (publishes && !heard);
        let (send_level, recv_level) = if interrupted {
            (0, 0)
        } else {
            (send.level(), recv.level())
        };
        tracing::debug!(
            participant = %p.sid, send_level, recv_level, ?send, ?recv, heard,
            "network quality"
        );
        Some(NetworkQualityInfo {
            participant_sid: p.sid.clone(),
            level: send_level.min(recv_level),
            send: link_stats(&send, send_level),
            recv: link_stats(&recv, recv_level),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(sender: SenderSlot, at: Instant, loss: f64, jitter_ms: f64) -> SenderReception {
        SenderReception {
            sender,
            at,
            loss,
            jitter_ms,
        }
    }

    #[test]
    fn a_report_stands_until_a_newer_one_or_for_ten_seconds() {
        let t0 = Instant::now();
        let mut q = ParticipantQuality::default();
        assert_eq!(q.downlink(t0), (0.0, 0.0), "no report: nothing known lost");
        // Audio reports every ~5 s, video every second.
        q.receptions.push(report(1, t0, 0.12, 20.0));
        q.receptions.push(report(2, t0, 0.02, 5.0));
        assert_eq!(q.downlink(t0 + Duration::from_secs(4)), (0.12, 20.0));
        q.receptions[1] = report(2, t0 + Duration::from_secs(6), 0.05, 3.0);
        // The audio report still stands, beside the video one.
        assert_eq!(q.downlink(t0 + Duration::from_secs(9)), (0.12, 20.0));
        // Ten seconds on, it no longer does.
        assert_eq!(q.downlink(t0 + Duration::from_secs(10)), (0.05, 3.0));
        assert_eq!(q.receptions.len(), 1, "the stale report is gone");
        assert_eq!(q.downlink(t0 + Duration::from_secs(16)), (0.0, 0.0));
    }
}
