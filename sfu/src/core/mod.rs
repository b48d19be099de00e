//! The sans-IO SFU: rooms, participants and the forwarding loop.
//!
//! Inputs: [`Sfu::join`], [`Sfu::handle_signal`], [`Sfu::leave`] (commands
//! from signaling), [`Sfu::handle_datagram`] and [`Sfu::handle_timeout`].
//! Outputs: [`Sfu::poll_transmit`] (datagrams), [`Sfu::poll_event`]
//! (messages for participants), [`Sfu::poll_timeout`]. Every input carries
//! `now`; nothing in here reads a clock, opens a socket or spawns a thread.

mod media;
mod negotiation;
mod rooms;

pub use rooms::RoomSnapshot;

use rustc_hash::FxHashMap;
use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use tracing::{debug, warn};

use crate::demux::Demux;
use crate::engine::{EnginePeer, PeerSettings, SenderSlot};
use crate::forward::codec::Codec;
use crate::forward::dominant_speaker::DominantSpeaker;
use crate::forward::down_track::DownTrack;
use crate::forward::keyframe_request::KeyframeRequestThrottle;
use crate::forward::packet_cache::PacketCache;
use crate::io::SfuStats;
use crate::signal::{
    CloseReason, MediaKind, ParticipantInfo, PublishedTrackSpec, RoomEvent, RoomEventKind,
    ToParticipant, TrackInfo,
};

pub type ParticipantKey = u64;
type TrackKey = u64;

/// Settings of the media plane.
#[derive(Debug, Clone)]
pub struct SfuConfig {
    /// The one UDP socket for every peer.
    pub bind: SocketAddr,
    /// IPs put in ICE host candidates (a public IP behind NAT); empty: the
    /// bound IP.
    pub advertise: Vec<IpAddr>,
    pub max_participants_per_room: usize,
    /// Create rooms on first join; when false, only [`Sfu::open_room`]ed ones.
    pub allow_ad_hoc_rooms: bool,
    /// A connected participant with no ICE consent check for this long is
    /// gone (browsers check every ~5 s).
    pub consent_timeout: Duration,
    /// A participant whose media never connected is removed after this.
    pub connect_timeout: Duration,
    /// At most one keyframe request per published track per interval.
    pub keyframe_request_interval: Duration,
    /// Packets kept per published track for NACKs (rounded to a power of 2).
    pub packet_cache_size: usize,
}

impl Default for SfuConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 50_000),
            advertise: Vec::new(),
            max_participants_per_room: 10,
            allow_ad_hoc_rooms: true,
            consent_timeout: Duration::from_secs(12),
            connect_timeout: Duration::from_secs(30),
            keyframe_request_interval: Duration::from_millis(500),
            packet_cache_size: 512,
        }
    }
}

/// The answer to a successful join.
#[derive(Debug, Clone)]
pub struct Joined {
    pub participant: ParticipantKey,
    pub participant_sid: String,
    pub room_sid: String,
    pub room_name: String,
    pub me: ParticipantInfo,
    pub others: Vec<ParticipantInfo>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum JoinError {
    #[error("room is full")]
    RoomFull,
    #[error("room not found")]
    RoomNotFound,
    #[error("invalid room name")]
    InvalidRoomName,
    #[error("SFU unavailable")]
    Unavailable,
}

/// One datagram to send.
#[derive(Debug)]
pub struct Transmit {
    pub to: SocketAddr,
    pub data: BytesMut,
}

struct Room {
    sid: String,
    participants: Vec<ParticipantKey>,
    dominant: DominantSpeaker<ParticipantKey>,
    /// Registered by the API ([`Sfu::register_room`]): kept while empty,
    /// until ended. Ad-hoc rooms go when their last participant leaves.
    registered: bool,
    /// This room's own limit, when it has one.
    max_participants: Option<usize>,
}

#[derive(Default)]
struct Negotiation {
    /// The client's first offer was answered; the server may offer now.
    answered_first_offer: bool,
    /// A server offer awaits the client's answer.
    server_offer_pending: bool,
    /// Senders changed since the last server offer.
    needs_offer: bool,
}

struct Participant {
    sid: String,
    /// Our ICE password for this peer: checks its binding requests.
    ice_pwd: String,
    identity: String,
    room: String,
    peer: EnginePeer,
    /// Tracks named in the client's latest offer, by mid.
    specs: HashMap<String, PublishedTrackSpec>,
    /// Engine track id → published track, for the per-packet lookup.
    incoming: FxHashMap<String, TrackKey>,
    /// Down-tracks by sender; a sender outlives the track it carried.
    senders: FxHashMap<SenderSlot, DownTrack>,
    /// Remote track → the sender carrying it to this participant.
    subscriptions: FxHashMap<TrackKey, SenderSlot>,
    negotiation: Negotiation,
    joined_at: Instant,
    connected: bool,
    last_consent: Instant,
    /// Cached `peer.poll_timeout()`.
    next_timeout: Option<Instant>,
    /// Set when the first RTP packet from this peer was read, which armed
    /// the engine's media timers (see `handle_datagram`).
    media_timers_armed: bool,
}

struct PublishedTrack {
    sid: String,
    publisher: ParticipantKey,
    name: String,
    kind: MediaKind,
    mid: String,
    enabled: bool,
    engine_track_id: String,
    ssrc: u32,
    codec: Codec,
    mime_type: String,
    clock_rate: u32,
    cache: PacketCache,
    keyframes: KeyframeRequestThrottle,
    subscribers: Vec<ParticipantKey>,
}

pub struct Sfu {
    config: SfuConfig,
    rooms: HashMap<String, Room>,
    // The maps a packet looks up on its way through use FxHash: their keys
    // are our own small integers, and SipHash was 7 % of the instructions
    // per forwarded packet (callgrind, docs/benchmarks.md).
    participants: FxHashMap<ParticipantKey, Participant>,
    tracks: FxHashMap<TrackKey, PublishedTrack>,
    demux: Demux<ParticipantKey>,
    next_key: u64,
    /// Peers that may have datagrams to send.
    dirty: Vec<ParticipantKey>,
    events: VecDeque<(ParticipantKey, ToParticipant)>,
    stats: SfuStats,
    /// When the housekeeping timer (liveness, keyframe retries) runs next.
    next_housekeeping: Instant,
    /// Our ICE host candidates: the media port on each advertised IP.
    candidates: Vec<SocketAddr>,
    /// Room-level events for the REST API's status callbacks.
    room_events: VecDeque<RoomEvent>,
}

const HOUSEKEEPING: Duration = Duration::from_millis(250);

fn new_sid(prefix: &str) -> String {
    format!("{prefix}{:032x}", rand::random::<u128>())
}

fn valid_room_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

impl Sfu {
    pub fn new(config: SfuConfig, now: Instant) -> Self {
        let port = config.bind.port();
        let mut candidates: Vec<SocketAddr> = config
            .advertise
            .iter()
            .map(|ip| SocketAddr::new(*ip, port))
            .collect();
        if candidates.is_empty() {
            candidates.push(config.bind);
        }
        Self {
            candidates,
            room_events: VecDeque::new(),
            config,
            rooms: HashMap::new(),
            participants: FxHashMap::default(),
            tracks: FxHashMap::default(),
            demux: Demux::default(),
            next_key: 1,
            dirty: Vec::new(),
            events: VecDeque::new(),
            stats: SfuStats::default(),
            next_housekeeping: now + HOUSEKEEPING,
        }
    }

    pub fn config(&self) -> &SfuConfig {
        &self.config
    }

    /// The candidate address a datagram arrived at: the address itself when
    /// it is advertised, else the first candidate (a server behind NAT sees
    /// its private address; browsers address the public one).
    fn candidate_for(&self, local: SocketAddr) -> SocketAddr {
        if self.candidates.contains(&local) {
            local
        } else {
            self.candidates[0]
        }
    }

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
        });
        Ok(room.sid.clone())
    }

    pub fn join(&mut self, now: Instant, room: &str, identity: &str) -> Result<Joined, JoinError> {
        if !valid_room_name(room) {
            return Err(JoinError::InvalidRoomName);
        }
        if !self.rooms.contains_key(room) && !self.config.allow_ad_hoc_rooms {
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

        let key = self.next_key;
        self.next_key += 1;
        let ice_ufrag = format!("{:016x}", rand::random::<u64>());
        let ice_pwd = format!("{:032x}", rand::random::<u128>());
        let settings = PeerSettings {
            ice_ufrag: ice_ufrag.clone(),
            ice_pwd: ice_pwd.clone(),
            candidates: self.candidates.clone(),
            ice_disconnected_after: self.config.consent_timeout,
            ice_failed_after: self.config.consent_timeout * 2,
        };
        let peer = EnginePeer::new(now, &settings).map_err(|err| {
            warn!(%err, "cannot create a peer connection");
            JoinError::Unavailable
        })?;
        self.demux.insert_ufrag(ice_ufrag, key);
        let participant = Participant {
            sid: new_sid("PA"),
            ice_pwd,
            identity: identity.to_owned(),
            room: room.to_owned(),
            peer,
            specs: HashMap::new(),
            incoming: FxHashMap::default(),
            senders: FxHashMap::default(),
            subscriptions: FxHashMap::default(),
            negotiation: Negotiation::default(),
            joined_at: now,
            connected: false,
            last_consent: now,
            next_timeout: None,
            media_timers_armed: false,
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
        if let Some(speaker) = self.rooms[room].dominant.current() {
            let sid = self.participants.get(&speaker).map(|p| p.sid.clone());
            self.events.push_back((
                key,
                ToParticipant::DominantSpeaker {
                    participant_sid: sid,
                },
            ));
        }
        Ok(Joined {
            participant: key,
            participant_sid: me.sid.clone(),
            room_sid,
            room_name: room.to_owned(),
            me,
            others,
        })
    }

    fn participant_info(&self, participant: &Participant, key: ParticipantKey) -> ParticipantInfo {
        let mut tracks: Vec<TrackInfo> = self
            .tracks
            .values()
            .filter(|t| t.publisher == key)
            .map(track_info)
            .collect();
        tracks.sort_by(|a, b| a.name.cmp(&b.name));
        ParticipantInfo {
            sid: participant.sid.clone(),
            identity: participant.identity.clone(),
            tracks,
        }
    }

    pub fn leave(&mut self, now: Instant, key: ParticipantKey) {
        self.remove_participant(now, key);
    }

    fn remove_participant(&mut self, now: Instant, key: ParticipantKey) {
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
        for tk in participant.subscriptions.keys() {
            if let Some(track) = self.tracks.get_mut(tk) {
                track.subscribers.retain(|k| *k != key);
            }
        }
        // Back in the map while its tracks are unpublished, so subscribers
        // are told whose tracks went.
        self.participants.insert(key, participant);
        for tk in published {
            self.unpublish(tk);
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
        self.dirty.retain(|k| *k != key);
    }

    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        while let Some(&key) = self.dirty.last() {
            if let Some(p) = self.participants.get_mut(&key) {
                if let Some((to, data)) = p.peer.poll_transmit() {
                    self.stats.datagrams_out += 1;
                    return Some(Transmit { to, data });
                }
                p.next_timeout = p.peer.poll_timeout();
            }
            self.dirty.pop();
        }
        None
    }

    /// Room-level events (participants and tracks coming and going).
    pub fn poll_room_event(&mut self) -> Option<RoomEvent> {
        self.room_events.pop_front()
    }

    /// Records a room-level event about participant `key`.
    fn room_event(&mut self, key: ParticipantKey, kind: RoomEventKind, track: Option<TrackInfo>) {
        let Some(p) = self.participants.get(&key) else {
            return;
        };
        let Some(room) = self.rooms.get(&p.room) else {
            return;
        };
        self.room_events.push_back(RoomEvent {
            room: p.room.clone(),
            room_sid: room.sid.clone(),
            kind,
            participant: Some((p.sid.clone(), p.identity.clone())),
            track,
        });
    }

    pub fn poll_event(&mut self) -> Option<(ParticipantKey, ToParticipant)> {
        self.events.pop_front()
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        self.participants
            .values()
            .filter_map(|p| p.next_timeout)
            .chain(std::iter::once(self.next_housekeeping))
            .min()
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

    pub fn stats(&self) -> SfuStats {
        SfuStats {
            rooms: self.rooms.len(),
            participants: self.participants.len(),
            ..self.stats.clone()
        }
    }

    fn tell_error(&mut self, key: ParticipantKey, code: u32, message: String) {
        debug!(participant = key, code, %message, "request failed");
        self.events.push_back((
            key,
            ToParticipant::Error {
                code,
                message,
                fatal: false,
            },
        ));
    }

    /// Sends a message to everyone in `key`'s room but `key`.
    fn tell_room(
        &mut self,
        key: ParticipantKey,
        message: impl Fn(ParticipantKey) -> ToParticipant,
    ) {
        let Some(room) = self
            .participants
            .get(&key)
            .and_then(|p| self.rooms.get(&p.room))
        else {
            return;
        };
        for other in room.participants.clone() {
            if other != key {
                self.events.push_back((other, message(other)));
            }
        }
    }
}

fn track_info(track: &PublishedTrack) -> TrackInfo {
    TrackInfo {
        sid: track.sid.clone(),
        name: track.name.clone(),
        kind: track.kind,
        enabled: track.enabled,
    }
}
