//! Network quality levels per participant, twilio-video's 0–5
//! (`crate::quality` has the measurements and the formula). Every
//! [`QUALITY_INTERVAL`](crate::quality::QUALITY_INTERVAL) each participant's
//! uplink is read from the counters of the tracks it publishes and its
//! downlink from the receiver reports it sent about ours; when a level in a
//! room changes, everyone in it gets the room's levels (`network_quality`).

use std::time::{Duration, Instant};

use super::{ParticipantKey, Sfu};
use crate::engine::SenderSlot;
use crate::quality::LinkQuality;
use crate::signal::{LinkStats, MediaKind, NetworkQualityInfo, ToParticipant};

/// What one participant's reports said this interval, and what it was told.
#[derive(Debug, Default)]
pub(super) struct ParticipantQuality {
    /// Worst downlink loss and jitter reported this interval.
    recv_loss: Option<f64>,
    recv_jitter_ms: f64,
    /// The latest round trip time (reports come every second or so).
    rtt_ms: Option<f64>,
    /// Smoothed loss of each link (half the last value, half the new).
    send_loss: f64,
    recv_loss_smoothed: f64,
    /// The last level computed, and whether the room has been told it.
    pub(super) info: Option<NetworkQualityInfo>,
    told: bool,
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
        q.recv_loss = Some(q.recv_loss.map_or(own, |l| l.max(own)));
        let clock_rate = if track.kind == MediaKind::Audio {
            48_000.0
        } else {
            90_000.0
        };
        q.recv_jitter_ms = q
            .recv_jitter_ms
            .max(f64::from(jitter) / clock_rate * 1000.0);
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
        let recv_loss = q.recv_loss.take().unwrap_or(0.0);
        q.recv_loss_smoothed = (q.recv_loss_smoothed + recv_loss) / 2.0;
        let recv = LinkQuality {
            loss: q.recv_loss_smoothed,
            rtt_ms,
            jitter_ms: std::mem::take(&mut q.recv_jitter_ms),
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
        Some(NetworkQualityInfo {
            participant_sid: p.sid.clone(),
            level: send_level.min(recv_level),
            send: link_stats(&send, send_level),
            recv: link_stats(&recv, recv_level),
        })
    }
}
