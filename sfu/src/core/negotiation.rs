//! Offer/answer with each participant: the client offers first and the SFU
//! answers; afterwards the SFU offers whenever the set of tracks a
//! participant receives changes — only when no offer of its own is pending
//! and after the client's first offer was answered. A client offer that
//! crosses a pending server offer is ignored (the server is the impolite
//! peer; the client rolls back, answers, and offers again).

use std::time::Instant;

use tracing::{debug, warn};

use super::{ParticipantKey, Sfu, TrackKey};
use crate::engine::SenderSlot;
use crate::forward::down_track::{DownTrack, Negotiated};
use crate::signal::{
    FromParticipant, PublishedTrackSpec, RoomEventKind, SubscribedTrackMid, ToParticipant,
};

impl Sfu {
    pub fn handle_signal(&mut self, now: Instant, key: ParticipantKey, message: FromParticipant) {
        if !self.participants.contains_key(&key) {
            return;
        }
        match message {
            FromParticipant::Offer { sdp, tracks } => self.on_client_offer(now, key, sdp, tracks),
            FromParticipant::Answer { sdp } => self.on_client_answer(now, key, sdp),
            FromParticipant::Candidate {
                candidate,
                sdp_mid,
                sdp_mline_index,
            } => {
                let p = self.participants.get_mut(&key).expect("checked");
                if candidate.is_empty() {
                    return; // end-of-candidates
                }
                if let Err(err) = p
                    .peer
                    .add_remote_candidate(candidate, sdp_mid, sdp_mline_index)
                {
                    self.tell_error(key, 53000, format!("bad ICE candidate: {err}"));
                }
            }
            FromParticipant::TrackEnabled { name, enabled } => {
                let Some((tk, track)) = self
                    .tracks
                    .iter_mut()
                    .find(|(_, t)| t.publisher == key && t.name == name)
                else {
                    // Not flowing yet: remember it for when it is.
                    let p = self.participants.get_mut(&key).expect("checked");
                    if let Some(spec) = p.specs.values_mut().find(|s| s.name == name) {
                        spec.enabled = enabled;
                    } else {
                        self.tell_error(key, 53000, format!("no published track named {name:?}"));
                    }
                    return;
                };
                let _ = tk;
                if track.enabled == enabled {
                    return;
                }
                track.enabled = enabled;
                let info = super::track_info(track);
                let (track_sid, publisher_sid) =
                    (track.sid.clone(), self.participants[&key].sid.clone());
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
            }
        }
        self.dirty.push(key);
    }

    pub(super) fn on_client_offer(
        &mut self,
        now: Instant,
        key: ParticipantKey,
        sdp: String,
        tracks: Vec<PublishedTrackSpec>,
    ) {
        let p = self.participants.get_mut(&key).expect("checked");
        debug!(
            participant = key,
            pending = p.negotiation.server_offer_pending,
            "client offer"
        );
        if p.negotiation.server_offer_pending {
            // Glare: the server is the impolite side; the client rolls back
            // its offer when it gets ours, answers, then offers again.
            debug!(participant = %p.sid, "client offer ignored during a server offer");
            return;
        }
        match p.peer.accept_offer(now, sdp) {
            Ok(answer) => {
                p.specs = tracks.into_iter().map(|t| (t.mid.clone(), t)).collect();
                let first = !p.negotiation.answered_first_offer;
                p.negotiation.answered_first_offer = true;
                self.events
                    .push_back((key, ToParticipant::Answer { sdp: answer }));
                // Published tracks no longer in the offer are unpublished.
                let gone: Vec<TrackKey> = self
                    .tracks
                    .iter()
                    .filter(|(_, t)| {
                        t.publisher == key && !self.participants[&key].specs.contains_key(&t.mid)
                    })
                    .map(|(k, _)| *k)
                    .collect();
                for track in gone {
                    self.unpublish(track);
                }
                if first {
                    self.subscribe_to_room(key);
                }
                self.try_offer(now, key);
            }
            Err(err) => self.tell_error(key, 53400, format!("cannot apply the offer: {err}")),
        }
    }

    pub(super) fn on_client_answer(&mut self, now: Instant, key: ParticipantKey, sdp: String) {
        let p = self.participants.get_mut(&key).expect("checked");
        if !p.negotiation.server_offer_pending {
            self.tell_error(key, 53000, "answer without a pending offer".into());
            return;
        }
        p.negotiation.server_offer_pending = false;
        if let Err(err) = p.peer.accept_answer(now, sdp) {
            self.tell_error(key, 53402, format!("cannot apply the answer: {err}"));
            return;
        }
        // Fix payload types and extension ids of new down-tracks, and ask
        // their publishers for a keyframe so the subscriber starts at once.
        let subscriptions: Vec<(TrackKey, SenderSlot)> =
            p.subscriptions.iter().map(|(t, s)| (*t, *s)).collect();
        for (tk, slot) in subscriptions {
            let Some(track) = self.tracks.get(&tk) else {
                continue;
            };
            let p = self.participants.get_mut(&key).expect("checked");
            let Some(down) = p.senders.get_mut(&slot) else {
                continue;
            };
            if down.is_negotiated() {
                continue;
            }
            if let Some((payload_type, audio_level_ext_id)) =
                p.peer.sender_negotiation(slot, &track.mime_type)
            {
                down.negotiate(Negotiated {
                    ssrc: slot,
                    payload_type,
                    audio_level_ext_id,
                });
                self.request_keyframe(now, tk);
            } else {
                warn!(mime = %track.mime_type, "subscriber did not negotiate the codec");
            }
        }
        self.try_offer(now, key);
    }

    /// A newcomer subscribes to every track already in the room.
    pub(super) fn subscribe_to_room(&mut self, key: ParticipantKey) {
        let room = self.participants[&key].room.clone();
        let tracks: Vec<TrackKey> = self
            .tracks
            .iter()
            .filter(|(_, t)| {
                t.publisher != key
                    && self
                        .participants
                        .get(&t.publisher)
                        .is_some_and(|p| p.room == room)
            })
            .map(|(k, _)| *k)
            .collect();
        for tk in tracks {
            self.subscribe(key, tk);
        }
    }

    pub(super) fn subscribe(&mut self, key: ParticipantKey, tk: TrackKey) {
        let Some(track) = self.tracks.get_mut(&tk) else {
            return;
        };
        let Some(p) = self.participants.get_mut(&key) else {
            return;
        };
        if p.subscriptions.contains_key(&tk) {
            return;
        }
        let slot = match p.peer.add_sender(track.kind, &track.mime_type) {
            Ok(slot) => slot,
            Err(err) => {
                warn!(%err, "cannot add a sender");
                return;
            }
        };
        match p.senders.get_mut(&slot) {
            Some(down) => down.switch_source(track.codec),
            None => {
                p.senders
                    .insert(slot, DownTrack::new(track.codec, track.clock_rate));
            }
        }
        p.subscriptions.insert(tk, slot);
        p.negotiation.needs_offer = true;
        track.subscribers.push(key);
    }

    pub(super) fn try_offer(&mut self, now: Instant, key: ParticipantKey) {
        let Some(p) = self.participants.get_mut(&key) else {
            return;
        };
        let n = &p.negotiation;
        if !n.answered_first_offer || n.server_offer_pending || !n.needs_offer {
            return;
        }
        let sdp = match p.peer.create_offer(now) {
            Ok(sdp) => sdp,
            Err(err) => {
                warn!(%err, "cannot create an offer");
                return;
            }
        };
        p.negotiation.server_offer_pending = true;
        p.negotiation.needs_offer = false;
        let mut mids = Vec::new();
        let subscriptions: Vec<(TrackKey, SenderSlot)> =
            p.subscriptions.iter().map(|(t, s)| (*t, *s)).collect();
        for (tk, slot) in subscriptions {
            let Some(track) = self.tracks.get(&tk) else {
                continue;
            };
            let p = self.participants.get_mut(&key).expect("exists");
            let Some(mid) = p.peer.sender_mid(slot) else {
                continue;
            };
            mids.push(SubscribedTrackMid {
                mid,
                participant_sid: self.participants[&track.publisher].sid.clone(),
                track_sid: track.sid.clone(),
                kind: track.kind,
            });
        }
        self.events
            .push_back((key, ToParticipant::Offer { sdp, tracks: mids }));
        self.dirty.push(key);
    }

    pub(super) fn unpublish(&mut self, tk: TrackKey) {
        let Some(track) = self.tracks.remove(&tk) else {
            return;
        };
        self.room_event(
            track.publisher,
            RoomEventKind::TrackRemoved,
            Some(super::track_info(&track)),
        );
        let publisher_sid = self
            .participants
            .get(&track.publisher)
            .map(|p| p.sid.clone());
        if let Some(p) = self.participants.get_mut(&track.publisher) {
            p.incoming.remove(&track.engine_track_id);
        }
        for sub in &track.subscribers {
            let Some(p) = self.participants.get_mut(sub) else {
                continue;
            };
            if let Some(slot) = p.subscriptions.remove(&tk) {
                if let Some(down) = p.senders.get_mut(&slot) {
                    down.pause();
                }
                p.peer.release_sender(slot);
                p.negotiation.needs_offer = true;
            }
        }
        if let Some(publisher_sid) = publisher_sid {
            for sub in track.subscribers.clone() {
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
}
