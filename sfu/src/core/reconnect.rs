//! Keeping a participant's place through an interruption, twilio-video
//! style. A participant is *reconnecting* while we hear nothing from its
//! peer connection ([`SfuConfig::interruption_after`]) or while its
//! signaling connection is gone without a `leave` ([`Sfu::detach`]); the
//! others are told (`participant_reconnecting`), and it keeps its SID,
//! tracks and subscriptions. It comes back by an ICE restart on the same
//! peer connection (its next offer) and, when its websocket dropped, by a
//! resume ([`Sfu::resume`]) on a new one; then the others are told
//! `participant_reconnected` and keyframes are asked for both ways. After
//! [`SfuConfig::reconnect_window`] it is removed as before
//! (`participant_disconnected`), and its client joins anew.
//!
//! [`SfuConfig::interruption_after`]: super::SfuConfig::interruption_after
//! [`SfuConfig::reconnect_window`]: super::SfuConfig::reconnect_window

use std::time::Instant;

use tracing::{debug, info};

use super::{Joined, ParticipantKey, ResumeError, Sfu, TrackKey};
use crate::signal::{CloseReason, MediaKind, ToParticipant};

impl Sfu {
    /// A participant's signaling connection `connection` ended without a
    /// `leave`: it keeps its place for the reconnect window (once its media
    /// has connected; before, it is removed). An older connection (one a
    /// resume replaced) detaches nothing.
    pub fn detach(&mut self, now: Instant, key: ParticipantKey, connection: u64) {
        let Some(p) = self.participants.get_mut(&key) else {
            return;
        };
        if p.connection != connection {
            return;
        }
        if !p.connected {
            // Nothing to keep: its media never connected, and its client
            // joins anew (a connect that fails half-way starts over).
            debug!(participant = %p.sid, "signaling dropped before media connected");
            self.remove_participant(now, key);
            return;
        }
        debug!(participant = %p.sid, "signaling detached");
        p.signaling_attached = false;
        self.update_reconnecting(now, key);
    }

    /// A new signaling connection for participant `participant_sid`,
    /// proven by the resume token it was given at join. Returns what a
    /// join returns (everyone's current state), under a new connection
    /// number; the pending server offer, if any, is sent again.
    pub fn resume(
        &mut self,
        now: Instant,
        participant_sid: &str,
        resume_token: &str,
    ) -> Result<Joined, ResumeError> {
        let key = self
            .participants
            .iter()
            .find(|(_, p)| p.sid == participant_sid)
            .map(|(k, _)| *k)
            .ok_or(ResumeError)?;
        let p = self.participants.get_mut(&key).expect("found");
        if !rtc::crypto::constant_time_eq(p.resume_token.as_bytes(), resume_token.as_bytes()) {
            return Err(ResumeError);
        }
        p.connection += 1;
        p.signaling_attached = true;
        let connection = p.connection;
        let resume_token = p.resume_token.clone();
        let room_name = p.room.clone();
        if let Some(offer) = p.negotiation.pending_offer.clone() {
            self.events.push_back((key, offer));
        }
        info!(participant = %participant_sid, "signaling resumed");
        self.update_reconnecting(now, key);
        let room = &self.rooms[&room_name];
        let p = &self.participants[&key];
        let me = self.participant_info(p, key);
        let others = room
            .participants
            .iter()
            .filter(|k| **k != key)
            .filter_map(|k| {
                self.participants
                    .get(k)
                    .map(|p| self.participant_info(p, *k))
            })
            .collect();
        let room_sid = room.sid.clone();
        self.tell_dominant_speaker(key, &room_name);
        Ok(Joined {
            participant: key,
            connection,
            resume_token,
            participant_sid: participant_sid.to_owned(),
            room_sid,
            room_name,
            me,
            others,
        })
    }

    /// Checks every participant's connections (housekeeping): starts and
    /// ends reconnecting, and removes those whose window has passed or
    /// whose media never connected.
    pub(super) fn check_connections(&mut self, now: Instant) {
        let keys: Vec<ParticipantKey> = self.participants.keys().copied().collect();
        for key in keys {
            self.update_reconnecting(now, key);
        }
        let gone: Vec<ParticipantKey> = self
            .participants
            .iter()
            .filter(|(_, p)| {
                let window_passed = p.reconnecting_since.is_some_and(|since| {
                    now.saturating_duration_since(since) > self.config.reconnect_window
                });
                let never_connected = !p.connected
                    && now.saturating_duration_since(p.joined_at) > self.config.connect_timeout;
                window_passed || never_connected
            })
            .map(|(k, _)| *k)
            .collect();
        for key in gone {
            debug!(participant = key, "media timeout");
            self.events
                .push_back((key, ToParticipant::Closed(CloseReason::MediaTimeout)));
            self.remove_participant(now, key);
        }
    }

    /// Tells the room when `key` starts or stops reconnecting.
    fn update_reconnecting(&mut self, now: Instant, key: ParticipantKey) {
        let Some(p) = self.participants.get_mut(&key) else {
            return;
        };
        let silent = p.connected
            && now.saturating_duration_since(p.last_heard) > self.config.interruption_after;
        let interrupted = silent || !p.signaling_attached;
        let participant_sid = p.sid.clone();
        match (interrupted, p.reconnecting_since) {
            (true, None) => {
                info!(participant = %participant_sid, silent, "reconnecting");
                p.reconnecting_since = Some(now);
                self.tell_room(key, |_| ToParticipant::ParticipantReconnecting {
                    participant_sid: participant_sid.clone(),
                });
            }
            (false, Some(_)) => {
                info!(participant = %participant_sid, "reconnected");
                p.reconnecting_since = None;
                self.tell_room(key, |_| ToParticipant::ParticipantReconnected {
                    participant_sid: participant_sid.clone(),
                });
                self.restart_video(now, key);
            }
            _ => {}
        }
    }

    /// After an interruption (and again when media arrives after an ICE
    /// restart) both directions need a keyframe: the video
    /// `key` publishes (its subscribers lost packets) and the video it
    /// receives (it lost packets).
    pub(super) fn restart_video(&mut self, now: Instant, key: ParticipantKey) {
        let Some(p) = self.participants.get(&key) else {
            return;
        };
        // What it receives: the layer it receives; what it publishes: every
        // layer someone receives.
        let received = p.track_by_sender.values().map(|tk| (*tk, Some(key)));
        let published = self
            .tracks
            .iter()
            .filter(|(_, t)| t.publisher == key)
            .map(|(k, _)| (*k, None));
        let video: Vec<(TrackKey, Option<ParticipantKey>)> = received
            .chain(published)
            .filter(|(tk, _)| {
                self.tracks
                    .get(tk)
                    .is_some_and(|t| t.kind == MediaKind::Video)
            })
            .collect();
        for (tk, subscriber) in video {
            self.request_keyframe(now, tk, subscriber);
        }
    }
}
