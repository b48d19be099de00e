//! Offer/answer with each participant: the client offers first and the SFU
//! answers; afterwards the SFU offers whenever the set of tracks a
//! participant receives changes — only when no offer of its own is pending
//! and after the client's first offer was answered. A client offer that
//! crosses a pending server offer is ignored (the server is the impolite
//! peer; the client rolls back, answers, and offers again).
//!
//! Also the entry point for everything a participant sends
//! ([`Sfu::handle_signal`]). Failures are [`SfuError`]s; signaling gives
//! them their Twilio codes.

use std::time::Instant;

use tracing::{debug, warn};

use super::{MAX_RELAY_ADDRS, ParticipantKey, Sfu, TrackKey};
use crate::engine::{IncomingTrack, SenderSlot};
use crate::forward::down_track::Negotiated;
use crate::signal::{
    FromParticipant, PublishedTrackSpec, SfuError, SubscribedTrackMid, ToParticipant,
};
use crate::transport::relay_candidate_address;

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
                if let Some(relayed) = relay_candidate_address(&candidate)
                    && p.relay_addrs.len() < MAX_RELAY_ADDRS
                {
                    p.relay_addrs.push(relayed);
                }
                if let Err(err) = p
                    .peer
                    .add_remote_candidate(candidate, sdp_mid, sdp_mline_index)
                {
                    self.tell_error(key, SfuError::BadCandidate(err.to_string()));
                }
            }
            FromParticipant::TrackEnabled { name, enabled } => {
                if !self.set_track_enabled(key, name, enabled) {
                    return;
                }
            }
            FromParticipant::E2eeKey { public_key } => {
                self.set_e2ee_key(key, public_key);
                return;
            }
            FromParticipant::TrackPriority { name, priority } => {
                self.set_track_priority(key, name, priority);
                return;
            }
            FromParticipant::TrackPreferences {
                track_sid,
                priority,
                enabled,
                render_dimensions: _,
            } => {
                if !self.set_track_preferences(now, key, &track_sid, priority, enabled) {
                    return;
                }
            }
        }
        self.mark_dirty(key);
    }

    fn on_client_offer(
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
        let ufrag = ice_ufrag(&sdp);
        match p.peer.accept_offer(now, sdp) {
            Ok(answer) => {
                if p.remote_ice_ufrag.is_some() && ufrag != p.remote_ice_ufrag {
                    debug!(participant = %p.sid, "ICE restart");
                    p.keyframes_when_media_returns = true;
                }
                p.remote_ice_ufrag = ufrag;
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
                // Media that came before this offer named its m-line.
                let p = self.participants.get_mut(&key).expect("checked");
                let named: Vec<IncomingTrack> = p
                    .specs
                    .keys()
                    .filter_map(|mid| p.unnamed.remove(mid))
                    .collect();
                for track in named {
                    self.on_incoming_track(now, key, track);
                }
                // A simulcast m-line sending again after an unpublish keeps
                // its layers' SSRCs, so no new track is reported for it:
                // published here, from the offer that names it.
                let specs: Vec<String> = self.participants[&key].specs.keys().cloned().collect();
                for mid in specs {
                    let flowing = self
                        .tracks
                        .values()
                        .any(|t| t.publisher == key && t.mid == mid);
                    let p = self.participants.get_mut(&key).expect("checked");
                    if !flowing && let Some(track) = p.peer.simulcast_track_on(&mid) {
                        self.on_incoming_track(now, key, track);
                    }
                }
                if first {
                    self.subscribe_to_room(key);
                }
                self.try_offer(now, key);
            }
            Err(err) => self.tell_error(key, SfuError::OfferNotApplied(err.to_string())),
        }
    }

    fn on_client_answer(&mut self, now: Instant, key: ParticipantKey, sdp: String) {
        let p = self.participants.get_mut(&key).expect("checked");
        if !p.negotiation.server_offer_pending {
            self.tell_error(key, SfuError::UnexpectedAnswer);
            return;
        }
        p.negotiation.server_offer_pending = false;
        p.negotiation.pending_offer = None;
        if let Err(err) = p.peer.accept_answer(now, sdp) {
            self.tell_error(key, SfuError::AnswerNotApplied(err.to_string()));
            return;
        }
        // Fix payload types and extension ids of new down-tracks, and ask
        // their publishers for a keyframe so the subscriber starts at once.
        let sending: Vec<(SenderSlot, TrackKey)> =
            p.track_by_sender.iter().map(|(s, t)| (*s, *t)).collect();
        for (slot, tk) in sending {
            let Sfu {
                tracks,
                participants,
                ..
            } = self;
            let Some(track) = tracks.get_mut(&tk) else {
                continue;
            };
            let p = participants.get_mut(&key).expect("checked");
            let Some(down) = track.receiver.down_track_mut(key) else {
                continue;
            };
            // Negotiated already, or added after the offer just answered
            // (no mid yet: the next offer carries it).
            if down.is_negotiated() || p.peer.sender_mid(slot).is_none() {
                continue;
            }
            if let Some(n) = p.peer.sender_negotiation(slot, &track.mime_type) {
                down.negotiate(Negotiated {
                    ssrc: slot,
                    payload_type: n.payload_type,
                    audio_level_ext_id: n.audio_level_ext_id,
                    repair: n.repair,
                });
                self.request_keyframe(now, tk, Some(key));
            } else {
                warn!(mime = %track.mime_type, "subscriber did not negotiate the codec");
            }
        }
        self.try_offer(now, key);
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
        let sending: Vec<(SenderSlot, TrackKey)> =
            p.track_by_sender.iter().map(|(s, t)| (*s, *t)).collect();
        for (slot, tk) in sending {
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
        let offer = ToParticipant::Offer { sdp, tracks: mids };
        if let Some(p) = self.participants.get_mut(&key) {
            p.negotiation.pending_offer = Some(offer.clone());
        }
        self.events.push_back((key, offer));
        self.mark_dirty(key);
    }
}

/// The offer's `a=ice-ufrag` (BUNDLE: the first one is everyone's).
fn ice_ufrag(sdp: &str) -> Option<String> {
    sdp.lines()
        .find_map(|line| line.trim_end().strip_prefix("a=ice-ufrag:"))
        .map(str::to_owned)
}
