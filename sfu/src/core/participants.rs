//! Participants coming and going: join (with the same identity replacing
//! an earlier session), leave, removal for any reason, and shutdown. A
//! departure unpublishes the participant's tracks and takes its down-tracks
//! out of the receivers it subscribed to.

use rustc_hash::FxHashMap;
use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Instant;

use tracing::warn;

use super::{
    JoinError, Joined, Negotiation, Participant, ParticipantKey, RoomScope, Sfu, TrackKey,
    data_tracks, new_sid, track_info, valid_room_name,
};
use crate::engine::{EnginePeer, PeerSettings};
use crate::signal::{CloseReason, ParticipantInfo, RoomEventKind, ToParticipant, TrackInfo};
use crate::transport::MediaPath;

impl Sfu {
    /// Joins `identity` to `room`, opening it if it is new and ad-hoc rooms
    /// are allowed. A [`RoomScope::AdHocOnly`] participant finds no room the
    /// API registered: to its token, such a room does not exist.
    pub fn join(
        &mut self,
        now: Instant,
        room: &str,
        identity: &str,
        scope: RoomScope,
    ) -> Result<Joined, JoinError> {
        self.join_from(now, room, identity, scope, None)
    }

    /// [`Sfu::join`] from `client_ip`, the address its signaling connection
    /// came from, which the room's events carry (for the audit log).
    pub fn join_from(
        &mut self,
        now: Instant,
        room: &str,
        identity: &str,
        scope: RoomScope,
        client_ip: Option<IpAddr>,
    ) -> Result<Joined, JoinError> {
        if !valid_room_name(room) {
            return Err(JoinError::InvalidRoomName);
        }
        if scope == RoomScope::AdHocOnly && self.rooms.get(room).is_some_and(|r| r.registered) {
            return Err(JoinError::RoomNotFound);
        }
        if self
            .closed_rooms
            .get(room)
            .is_some_and(|&until| now < until)
        {
            return Err(JoinError::RoomCompleted);
        }
        if !self.rooms.contains_key(room) && !self.config.allow_ad_hoc_rooms {
            return Err(JoinError::RoomNotFound);
        }
        // A preflight's room is its own: nobody joins it by name.
        if self.rooms.get(room).is_some_and(|r| r.loopback) {
            return Err(JoinError::RoomNotFound);
        }
        // Same identity again: the newcomer replaces the old session.
        let previous = self.rooms.get(room).and_then(|r| {
            r.participants.iter().copied().find(|k| {
                self.participants
                    .get(k)
                    .is_some_and(|p| p.identity == identity)
            })
        });
        let count = self.rooms.get(room).map_or(0, |r| r.participants.len());
        let limit = self
            .rooms
            .get(room)
            .and_then(|r| r.max_participants)
            .unwrap_or(self.config.max_participants_per_room);
        if previous.is_none() && count >= limit {
            return Err(JoinError::RoomFull);
        }
        if let Some(previous) = previous {
            self.events.push_back((
                previous,
                ToParticipant::Closed(CloseReason::DuplicateIdentity),
            ));
            self.remove_participant(now, previous);
        }
        let room_sid = self.open_room(room)?;
        self.enter(now, room, room_sid, identity, client_ip)
    }

    /// A connectivity test (twilio-video's `runPreflight`): `identity`
    /// alone in a room of its own that nobody else can join, not seen by
    /// the REST API, where it receives its own tracks back. That is a
    /// whole call's path through this server (signaling, ICE to the media
    /// port, DTLS, media both ways) without a second participant.
    pub fn join_preflight(&mut self, now: Instant, identity: &str) -> Result<Joined, JoinError> {
        let name = format!("preflight-{:032x}", rand::random::<u128>());
        let sid = new_sid("RM");
        self.rooms.insert(
            name.clone(),
            super::Room {
                sid: sid.clone(),
                participants: Vec::new(),
                dominant: Default::default(),
                registered: false,
                max_participants: Some(1),
                loopback: true,
            },
        );
        self.enter(now, &name, sid, identity, None)
    }

    /// Puts a new participant in `room`, which exists and has room for it.
    fn enter(
        &mut self,
        now: Instant,
        room: &str,
        room_sid: String,
        identity: &str,
        client_ip: Option<IpAddr>,
    ) -> Result<Joined, JoinError> {
        let key = self.next_key;
        self.next_key += 1;
        // The worker's index first: an ICE-over-TCP connection accepted by
        // another worker is handed to this one by it (`crate::io`).
        let ice_ufrag = format!(
            "{:02x}{:014x}",
            self.config.worker,
            rand::random::<u64>() >> 8
        );
        let ice_pwd = format!("{:032x}", rand::random::<u128>());
        let settings = PeerSettings {
            ice_ufrag: ice_ufrag.clone(),
            ice_pwd: ice_pwd.clone(),
            candidates: self.candidates.clone(),
            tcp_candidates: self.tcp_candidates.clone(),
            // The engine's own ICE states are not what removes a peer (the
            // reconnect window is, in `reconnect`): it never fails first.
            ice_disconnected_after: self.config.interruption_after,
            ice_failed_after: self.config.reconnect_window * 2,
            fast_receive: self.config.fast_receive,
            fast_send: self.config.fast_send,
        };
        let peer = match EnginePeer::new(now, &settings) {
            Ok(peer) => peer,
            Err(err) => {
                warn!(%err, "cannot create a peer connection");
                if self
                    .rooms
                    .get(room)
                    .is_some_and(|r| r.participants.is_empty() && !r.registered)
                {
                    self.rooms.remove(room);
                }
                return Err(JoinError::Unavailable);
            }
        };
        self.demux.insert_ufrag(ice_ufrag, key);
        let participant = Participant {
            sid: new_sid("PA"),
            ice_pwd,
            identity: identity.to_owned(),
            room: room.to_owned(),
            peer,
            specs: HashMap::new(),
            unnamed: HashMap::new(),
            e2ee_key: None,
            client_ip,
            incoming: Default::default(),
            track_by_sender: FxHashMap::default(),
            idle_senders: FxHashMap::default(),
            negotiation: Negotiation::default(),
            joined_at: now,
            connected: false,
            last_heard: now,
            connection: 1,
            signaling_attached: true,
            resume_token: format!("{:032x}", rand::random::<u128>()),
            reconnecting_since: None,
            remote_ice_ufrag: None,
            keyframes_when_media_returns: false,
            quality: Default::default(),
            next_timeout: None,
            output_queued: false,
            media_timers_armed: false,
            relay_addrs: Vec::new(),
            path: MediaPath::Udp,
            data_published: FxHashMap::default(),
            data_subscribed: FxHashMap::default(),
        };
        let me = self.participant_info(&participant, key);
        let room_entry = self.rooms.get_mut(room).expect("opened above");
        let others_keys = room_entry.participants.clone();
        room_entry.participants.push(key);
        self.participants.insert(key, participant);
        let others: Vec<ParticipantInfo> = others_keys
            .iter()
            .filter_map(|k| {
                self.participants
                    .get(k)
                    .map(|p| self.participant_info(p, *k))
            })
            .collect();
        self.room_event(key, RoomEventKind::ParticipantConnected, None);
        for other in &others_keys {
            self.events.push_back((
                *other,
                ToParticipant::ParticipantConnected {
                    participant: me.clone(),
                },
            ));
        }
        self.tell_dominant_speaker(key, room);
        Ok(Joined {
            participant: key,
            connection: 1,
            resume_token: self.participants[&key].resume_token.clone(),
            participant_sid: me.sid.clone(),
            room_sid,
            room_name: room.to_owned(),
            me,
            others,
        })
    }

    /// Tells `key` who speaks in `room` now, if anyone does.
    pub(super) fn tell_dominant_speaker(&mut self, key: ParticipantKey, room: &str) {
        let Some(speaker) = self.rooms.get(room).and_then(|r| r.dominant.current()) else {
            return;
        };
        let sid = self.participants.get(&speaker).map(|p| p.sid.clone());
        self.events.push_back((
            key,
            ToParticipant::DominantSpeaker {
                participant_sid: sid,
            },
        ));
    }

    pub(super) fn participant_info(
        &self,
        participant: &Participant,
        key: ParticipantKey,
    ) -> ParticipantInfo {
        let mut tracks: Vec<TrackInfo> = self
            .tracks
            .values()
            .filter(|t| t.publisher == key)
            .map(track_info)
            .chain(
                self.data_tracks
                    .values()
                    .filter(|t| t.publisher == key)
                    .map(data_tracks::data_track_info),
            )
            .collect();
        tracks.sort_by(|a, b| a.name.cmp(&b.name));
        ParticipantInfo {
            sid: participant.sid.clone(),
            identity: participant.identity.clone(),
            tracks,
            reconnecting: participant.reconnecting_since.is_some(),
            e2ee_key: participant.e2ee_key.clone(),
        }
    }

    pub fn leave(&mut self, now: Instant, key: ParticipantKey) {
        self.remove_participant(now, key);
    }

    /// Ends every session (the server is stopping).
    pub fn shutdown(&mut self, now: Instant) {
        let keys: Vec<ParticipantKey> = self.participants.keys().copied().collect();
        for key in keys {
            self.events
                .push_back((key, ToParticipant::Closed(CloseReason::ServerShutdown)));
            self.remove_participant(now, key);
        }
    }

    pub(super) fn remove_participant(&mut self, now: Instant, key: ParticipantKey) {
        let Some(mut participant) = self.participants.remove(&key) else {
            return;
        };
        let published: Vec<TrackKey> = self
            .tracks
            .iter()
            .filter(|(_, t)| t.publisher == key)
            .map(|(k, _)| *k)
            .collect();
        participant.peer.close();
        self.demux.remove(key);
        let sid = participant.sid.clone();
        let identity = participant.identity.clone();
        let room_name = participant.room.clone();
        for tk in participant.track_by_sender.values() {
            if let Some(track) = self.tracks.get_mut(tk) {
                track.receiver.unsubscribe(key);
                track.subscriber_priority.remove(&key);
            }
        }
        let published_data: Vec<TrackKey> = participant.data_published.values().copied().collect();
        // Back in the map while its tracks are unpublished, so subscribers
        // are told whose tracks went.
        self.participants.insert(key, participant);
        self.drop_data_subscriptions(key);
        for tk in published {
            self.unpublish(tk);
        }
        for tk in published_data {
            self.unpublish_data(tk);
        }
        self.room_event(key, RoomEventKind::ParticipantDisconnected, None);
        self.participants.remove(&key);
        if let Some(room) = self.rooms.get_mut(&room_name) {
            room.participants.retain(|k| *k != key);
            let cleared_speaker = room.dominant.remove(key);
            let others = room.participants.clone();
            for other in others {
                self.events.push_back((
                    other,
                    ToParticipant::ParticipantDisconnected {
                        participant_sid: sid.clone(),
                        identity: identity.clone(),
                    },
                ));
                if cleared_speaker {
                    self.events.push_back((
                        other,
                        ToParticipant::DominantSpeaker {
                            participant_sid: None,
                        },
                    ));
                }
                self.try_offer(now, other);
            }
            let room = &self.rooms[&room_name];
            if room.participants.is_empty() && !room.registered {
                self.rooms.remove(&room_name);
            }
        }
        self.dirty.forget(key);
    }
}
