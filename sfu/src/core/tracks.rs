//! Published tracks: a new one from a publisher's engine gets a
//! [`TrackReceiver`] and the room's subscribers; subscribing adds a sender
//! to the subscriber's peer connection and a down-track to the receiver;
//! unpublishing hands the down-tracks back to their subscribers' idle
//! senders. Also mute/unmute and keyframe requests for one track.

use std::time::Instant;

use tracing::{debug, warn};

use crate::quality::UpstreamStats;

use super::{ParticipantKey, PublishedTrack, Sfu, TrackKey, new_sid, track_info};
use crate::engine::IncomingTrack;
use crate::forward::codec::Codec;
use crate::forward::receiver::TrackReceiver;
use crate::signal::{MediaKind, Priority, RoomEventKind, SfuError, ToParticipant};

impl Sfu {
    pub(super) fn on_incoming_track(
        &mut self,
        now: Instant,
        key: ParticipantKey,
        incoming: IncomingTrack,
    ) {
        let p = self.participants.get_mut(&key).expect("exists");
        if p.incoming.contains(&incoming.track_id) {
            return; // the engine reports the stream again: same track
        }
        let Some(spec) = p.specs.get(&incoming.mid).cloned() else {
            debug!(
                participant = key,
                ?incoming,
                "incoming track no offer names yet: held"
            );
            p.unnamed.insert(incoming.mid.clone(), incoming);
            return;
        };
        p.unnamed.remove(&incoming.mid);
        debug!(participant = key, ?incoming, "incoming track");
        let tk = self.next_key;
        self.next_key += 1;
        // Layers are switched with VP8's picture numbers kept continuous;
        // another codec sent in layers is forwarded as its lowest one.
        let codec = Codec::from_mime(&incoming.mime_type);
        let layers = if codec == Codec::Vp8 {
            incoming.layers
        } else {
            1
        };
        let track = PublishedTrack {
            sid: new_sid("MT"),
            publisher: key,
            name: spec.name,
            kind: incoming.kind,
            mid: incoming.mid.clone(),
            enabled: spec.enabled,
            priority: spec.priority,
            subscriber_priority: Default::default(),
            engine_track_id: incoming.track_id.clone(),
            mime_type: incoming.mime_type.clone(),
            upstream: (0..layers.max(1))
                .map(|_| UpstreamStats::new(incoming.clock_rate))
                .collect(),
            receiver: TrackReceiver::new(
                codec,
                incoming.clock_rate,
                self.config.packet_cache_size,
                self.config.keyframe_request_interval,
                layers,
            ),
        };
        p.incoming.insert(incoming.track_id, tk);
        let info = track_info(&track);
        let publisher_sid = p.sid.clone();
        let room = p.room.clone();
        self.tracks.insert(tk, track);
        self.room_event(key, RoomEventKind::TrackAdded, Some(info.clone()));
        let others: Vec<ParticipantKey> = self.rooms[&room]
            .participants
            .iter()
            .copied()
            .filter(|k| *k != key)
            .collect();
        for other in others {
            self.events.push_back((
                other,
                ToParticipant::TrackPublished {
                    participant_sid: publisher_sid.clone(),
                    track: info.clone(),
                },
            ));
            if self.participants[&other].negotiation.answered_first_offer {
                self.subscribe(other, tk);
                self.try_offer(now, other);
            }
        }
        // The publisher learns the SID the others see (twilio-video's
        // LocalTrackPublication.trackSid).
        self.events.push_back((
            key,
            ToParticipant::TrackPublished {
                participant_sid: publisher_sid,
                track: info,
            },
        ));
        if self.loops_back(key) {
            self.subscribe(key, tk);
            self.try_offer(now, key);
        }
    }

    /// A newcomer subscribes to every track already in the room.
    pub(super) fn subscribe_to_room(&mut self, key: ParticipantKey) {
        let room = self.participants[&key].room.clone();
        let loopback = self.loops_back(key);
        // Someone else's in the same room (its own too, in a preflight).
        let theirs = |publisher: ParticipantKey| {
            (publisher != key || loopback)
                && self
                    .participants
                    .get(&publisher)
                    .is_some_and(|p| p.room == room)
        };
        let media: Vec<TrackKey> = self
            .tracks
            .iter()
            .filter(|(_, t)| theirs(t.publisher))
            .map(|(k, _)| *k)
            .collect();
        let data: Vec<TrackKey> = self
            .data_tracks
            .iter()
            .filter(|(_, t)| theirs(t.publisher))
            .map(|(k, _)| *k)
            .collect();
        for tk in media {
            self.subscribe(key, tk);
        }
        for tk in data {
            self.subscribe_data(key, tk);
        }
    }

    pub(super) fn subscribe(&mut self, key: ParticipantKey, tk: TrackKey) {
        let Some(track) = self.tracks.get_mut(&tk) else {
            return;
        };
        let Some(p) = self.participants.get_mut(&key) else {
            return;
        };
        if track.receiver.is_subscribed(key) {
            return;
        }
        let slot = match p.peer.add_sender(track.kind, &track.mime_type) {
            Ok(slot) => slot,
            Err(err) => {
                warn!(%err, "cannot add a sender");
                return;
            }
        };
        let reused = p.idle_senders.remove(&slot);
        track.receiver.subscribe(key, slot, reused);
        p.track_by_sender.insert(slot, tk);
        p.negotiation.needs_offer = true;
    }

    pub(super) fn unpublish(&mut self, tk: TrackKey) {
        let Some(track) = self.tracks.remove(&tk) else {
            return;
        };
        self.room_event(
            track.publisher,
            RoomEventKind::TrackRemoved,
            Some(track_info(&track)),
        );
        let publisher_sid = self
            .participants
            .get(&track.publisher)
            .map(|p| p.sid.clone());
        if let Some(p) = self.participants.get_mut(&track.publisher) {
            p.incoming.remove(&track.engine_track_id);
        }
        let mut subscribers = Vec::new();
        for (sub, slot, down) in track.receiver.into_down_tracks() {
            subscribers.push(sub);
            let Some(p) = self.participants.get_mut(&sub) else {
                continue;
            };
            if p.track_by_sender.remove(&slot).is_some() {
                p.idle_senders.insert(slot, down);
                p.peer.release_sender(slot);
                p.negotiation.needs_offer = true;
            }
        }
        if let Some(publisher_sid) = publisher_sid {
            for sub in subscribers {
                self.events.push_back((
                    sub,
                    ToParticipant::TrackUnpublished {
                        participant_sid: publisher_sid.clone(),
                        track_sid: track.sid.clone(),
                    },
                ));
            }
        }
    }

    /// Mute / unmute (camera off / on) of `key`'s track by name; a track not
    /// flowing yet is remembered in the participant's offer specs. True
    /// when a flowing track changed.
    pub(super) fn set_track_enabled(
        &mut self,
        key: ParticipantKey,
        name: String,
        enabled: bool,
    ) -> bool {
        let Some(track) = self
            .tracks
            .values_mut()
            .find(|t| t.publisher == key && t.name == name)
        else {
            // Not flowing yet: remember it for when it is.
            let p = self.participants.get_mut(&key).expect("checked");
            if let Some(spec) = p.specs.values_mut().find(|s| s.name == name) {
                spec.enabled = enabled;
            } else {
                self.tell_error(key, SfuError::UnknownTrack(name));
            }
            return false;
        };
        if track.enabled == enabled {
            return false;
        }
        track.enabled = enabled;
        let info = track_info(track);
        let (track_sid, publisher_sid) = (track.sid.clone(), self.participants[&key].sid.clone());
        self.tell_room(key, |_| ToParticipant::TrackEnabled {
            participant_sid: publisher_sid.clone(),
            track_sid: track_sid.clone(),
            enabled,
        });
        let kind = if enabled {
            RoomEventKind::TrackEnabled
        } else {
            RoomEventKind::TrackDisabled
        };
        self.room_event(key, kind, Some(info));
        true
    }

    /// The publisher's priority for its track `name`; a track not flowing
    /// yet keeps it in its offer spec. Others are told of a change.
    pub(super) fn set_track_priority(
        &mut self,
        key: ParticipantKey,
        name: String,
        priority: Priority,
    ) {
        let Some(track) = self
            .tracks
            .values_mut()
            .find(|t| t.publisher == key && t.name == name)
        else {
            let p = self.participants.get_mut(&key).expect("checked");
            if let Some(spec) = p.specs.values_mut().find(|s| s.name == name) {
                spec.priority = priority;
            } else {
                self.tell_error(key, SfuError::UnknownTrack(name));
            }
            return;
        };
        if track.priority == priority {
            return;
        }
        track.priority = priority;
        let (track_sid, publisher_sid) = (track.sid.clone(), self.participants[&key].sid.clone());
        self.tell_room(key, |_| ToParticipant::TrackPriority {
            participant_sid: publisher_sid.clone(),
            track_sid: track_sid.clone(),
            priority,
        });
    }

    /// A subscriber's preferences for a track it receives: its priority
    /// (weighs its downlink share) and whether it is switched on. A switch
    /// is confirmed to it with `track_switched`; a video track switched
    /// back on waits for a keyframe, asked for here. True when a video
    /// track was switched on (the publisher has a request to send).
    pub(super) fn set_track_preferences(
        &mut self,
        now: Instant,
        key: ParticipantKey,
        track_sid: &str,
        priority: Option<Priority>,
        enabled: bool,
    ) -> bool {
        let Some((&tk, track)) = self.tracks.iter_mut().find(|(_, t)| t.sid == track_sid) else {
            self.tell_error(key, SfuError::NotSubscribed(track_sid.to_owned()));
            return false;
        };
        let Some(changed) = track.receiver.set_switched_off(key, !enabled) else {
            self.tell_error(key, SfuError::NotSubscribed(track_sid.to_owned()));
            return false;
        };
        match priority {
            Some(p) => track.subscriber_priority.insert(key, p),
            None => track.subscriber_priority.remove(&key),
        };
        if !changed {
            return false;
        }
        self.stats.track_switches += 1;
        self.events.push_back((
            key,
            ToParticipant::TrackSwitched {
                track_sid: track_sid.to_owned(),
                off: !enabled,
            },
        ));
        if enabled && track.kind == MediaKind::Video {
            self.request_keyframe(now, tk, Some(key));
            return true;
        }
        false
    }

    /// Asks a video track's publisher for a keyframe of the layer
    /// `subscriber` receives (or of every layer received, for `None`),
    /// throttled per layer.
    pub(super) fn request_keyframe(
        &mut self,
        now: Instant,
        tk: TrackKey,
        subscriber: Option<ParticipantKey>,
    ) {
        let Some(track) = self.tracks.get_mut(&tk) else {
            return;
        };
        for layer in track.receiver.request_keyframe(now, subscriber) {
            self.send_keyframe_request(now, tk, layer);
        }
    }

    /// Sends a PLI for one layer of `tk` to its publisher (the throttle
    /// already agreed).
    pub(super) fn send_keyframe_request(&mut self, now: Instant, tk: TrackKey, layer: u8) {
        let Some(track) = self.tracks.get(&tk) else {
            return;
        };
        if let Some(p) = self.participants.get_mut(&track.publisher) {
            p.peer.request_keyframe(now, &track.engine_track_id, layer);
            self.stats.keyframe_requests += 1;
            self.dirty.mark(track.publisher, &mut p.output_queued);
        }
    }
}
