//! Rooms: opened on first join (ad hoc) or ahead of time, and as the REST
//! API sees them — registered with the sid the API chose, looked at, ended,
//! and participants removed; and what their packet caches hold, for the
//! operator.

use std::time::Instant;

use super::{
    CachedTrack, JoinError, ParticipantKey, Room, RoomSnapshot, Sfu, new_sid, valid_room_name,
};
use crate::forward::dominant_speaker::DominantSpeaker;
use crate::signal::{CloseReason, ParticipantInfo, RoomEvent, RoomEventKind, ToParticipant};

impl Sfu {
    /// Creates a room ahead of joins (for deployments without ad-hoc rooms).
    pub fn open_room(&mut self, name: &str) -> Result<String, JoinError> {
        if !valid_room_name(name) {
            return Err(JoinError::InvalidRoomName);
        }
        let room = self.rooms.entry(name.to_owned()).or_insert_with(|| Room {
            sid: new_sid("RM"),
            participants: Vec::new(),
            dominant: DominantSpeaker::default(),
            registered: false,
            max_participants: None,
            loopback: false,
        });
        Ok(room.sid.clone())
    }

    /// Registers a room under the sid the API gave it (kept while empty).
    /// Registering again updates the limit; an ad-hoc room of that name
    /// becomes registered.
    pub fn register_room(
        &mut self,
        name: &str,
        sid: &str,
        max_participants: Option<usize>,
    ) -> bool {
        if !valid_room_name(name) {
            return false;
        }
        let room = self.rooms.entry(name.to_owned()).or_insert_with(|| Room {
            sid: sid.to_owned(),
            participants: Vec::new(),
            dominant: DominantSpeaker::default(),
            registered: true,
            max_participants,
            loopback: false,
        });
        room.registered = true;
        room.max_participants = max_participants;
        true
    }

    pub fn room_snapshot(&self, name: &str) -> Option<RoomSnapshot> {
        let room = self.rooms.get(name).filter(|r| !r.loopback)?;
        Some(RoomSnapshot {
            sid: room.sid.clone(),
            name: name.to_owned(),
            participants: room
                .participants
                .iter()
                .filter_map(|k| {
                    self.participants
                        .get(k)
                        .map(|p| self.participant_info(p, *k))
                })
                .collect(),
        })
    }

    /// Ends a room: everyone in it is disconnected (53118) and it is
    /// forgotten. False when there was no such room.
    pub fn end_room(&mut self, now: Instant, name: &str) -> bool {
        let Some(room) = self.rooms.get(name) else {
            return false;
        };
        let everyone: Vec<ParticipantKey> = room.participants.clone();
        let room_sid = room.sid.clone();
        for key in everyone {
            self.events
                .push_back((key, ToParticipant::Closed(CloseReason::RoomCompleted)));
            self.remove_participant(now, key);
        }
        self.rooms.remove(name);
        self.room_events.push_back(RoomEvent {
            room: name.to_owned(),
            room_sid,
            kind: RoomEventKind::RoomEnded,
            participant: None,
            participant_ip: None,
            track: None,
        });
        true
    }

    /// Ends a room for good: everyone is disconnected (53118) and joins by
    /// its name are refused until `until` (when the last token issued for
    /// it has expired), instead of opening an ad-hoc room of that name.
    /// Returns whether the room was live.
    pub fn close_room(&mut self, now: Instant, name: &str, until: Instant) -> bool {
        self.closed_rooms.insert(name.to_owned(), until);
        self.end_room(now, name)
    }

    /// Removes one participant (by sid or identity) from a room; the others
    /// are told as for any departure.
    pub fn remove_from_room(
        &mut self,
        now: Instant,
        name: &str,
        who: &str,
    ) -> Option<ParticipantInfo> {
        let room = self.rooms.get(name)?;
        let key = room.participants.iter().copied().find(|k| {
            self.participants
                .get(k)
                .is_some_and(|p| p.sid == who || p.identity == who)
        })?;
        let info = self.participant_info(&self.participants[&key], key);
        self.events
            .push_back((key, ToParticipant::Closed(CloseReason::Removed)));
        self.remove_participant(now, key);
        Some(info)
    }

    /// What the packet caches of a room's tracks hold: the operator's way
    /// to see what the server stores of a session's media (ciphertext when
    /// the browsers encrypt end to end). `None` for a room it does not have.
    pub fn cached_media(&self, name: &str) -> Option<Vec<CachedTrack>> {
        let room = self.rooms.get(name).filter(|r| !r.loopback)?;
        let mut out = Vec::new();
        for track in self.tracks.values() {
            if !room.participants.contains(&track.publisher) {
                continue;
            }
            let packets = track
                .receiver
                .cached_packets()
                .map(|p| (p.sequence_number, p.payload.clone()))
                .collect();
            out.push(CachedTrack {
                participant_sid: self.participants[&track.publisher].sid.clone(),
                track_sid: track.sid.clone(),
                kind: track.kind,
                packets,
            });
        }
        Some(out)
    }
}
