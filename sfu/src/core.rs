//! The sans-IO SFU: rooms, participants and the forwarding loop.
//!
//! Inputs: [`Sfu::join`], [`Sfu::handle_signal`], [`Sfu::leave`] (commands
//! from signaling), [`Sfu::handle_datagram`] and [`Sfu::handle_timeout`].
//! Outputs: [`Sfu::poll_transmit`] (datagrams), [`Sfu::poll_event`]
//! (messages for participants), [`Sfu::poll_timeout`]. Every input carries
//! `now`; nothing in here reads a clock, opens a socket or spawns a thread.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use tracing::{debug, warn};

use crate::demux::{DatagramKind, Demux, classify};
use crate::engine::{EnginePeer, MediaIn, PeerEvent, PeerSettings, SenderSlot};
use crate::forward::codec::Codec;
use crate::forward::dominant_speaker::DominantSpeaker;
use crate::forward::down_track::{DownTrack, Forward, Negotiated, SourcePacket};
use crate::forward::keyframe_request::KeyframeRequestThrottle;
use crate::forward::packet_cache::{CachedPacket, PacketCache};
use crate::io::SfuStats;
use crate::signal::{
    CloseReason, FromParticipant, MediaKind, ParticipantInfo, PublishedTrackSpec,
    SubscribedTrackMid, ToParticipant, TrackInfo,
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
    identity: String,
    room: String,
    peer: EnginePeer,
    /// Tracks named in the client's latest offer, by mid.
    specs: HashMap<String, PublishedTrackSpec>,
    /// Engine track id → published track, for the per-packet lookup.
    incoming: HashMap<String, TrackKey>,
    /// Down-tracks by sender; a sender outlives the track it carried.
    senders: HashMap<SenderSlot, DownTrack>,
    /// Remote track → the sender carrying it to this participant.
    subscriptions: HashMap<TrackKey, SenderSlot>,
    negotiation: Negotiation,
    joined_at: Instant,
    connected: bool,
    last_consent: Instant,
    /// Cached `peer.poll_timeout()`.
    next_timeout: Option<Instant>,
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
    participants: HashMap<ParticipantKey, Participant>,
    tracks: HashMap<TrackKey, PublishedTrack>,
    demux: Demux<ParticipantKey>,
    next_key: u64,
    /// Peers that may have datagrams to send.
    dirty: Vec<ParticipantKey>,
    events: VecDeque<(ParticipantKey, ToParticipant)>,
    stats: SfuStats,
    /// When the housekeeping timer (liveness, keyframe retries) runs next.
    next_housekeeping: Instant,
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
        Self {
            config,
            rooms: HashMap::new(),
            participants: HashMap::new(),
            tracks: HashMap::new(),
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

    /// Creates a room ahead of joins (for deployments without ad-hoc rooms).
    pub fn open_room(&mut self, name: &str) -> Result<String, JoinError> {
        if !valid_room_name(name) {
            return Err(JoinError::InvalidRoomName);
        }
        let room = self.rooms.entry(name.to_owned()).or_insert_with(|| Room {
            sid: new_sid("RM"),
            participants: Vec::new(),
            dominant: DominantSpeaker::default(),
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
        if previous.is_none() && count >= self.config.max_participants_per_room {
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
        let port = self.config.bind.port();
        let mut candidates: Vec<SocketAddr> = self
            .config
            .advertise
            .iter()
            .map(|ip| SocketAddr::new(*ip, port))
            .collect();
        if candidates.is_empty() {
            candidates.push(self.config.bind);
        }
        let settings = PeerSettings {
            ice_ufrag: ice_ufrag.clone(),
            ice_pwd,
            local_addr: candidates[0],
            candidates,
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
            identity: identity.to_owned(),
            room: room.to_owned(),
            peer,
            specs: HashMap::new(),
            incoming: HashMap::new(),
            senders: HashMap::new(),
            subscriptions: HashMap::new(),
            negotiation: Negotiation::default(),
            joined_at: now,
            connected: false,
            last_consent: now,
            next_timeout: None,
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
                let (track_sid, publisher_sid) =
                    (track.sid.clone(), self.participants[&key].sid.clone());
                self.tell_room(key, |_| ToParticipant::TrackEnabled {
                    participant_sid: publisher_sid.clone(),
                    track_sid: track_sid.clone(),
                    enabled,
                });
            }
        }
        self.dirty.push(key);
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

    fn on_client_answer(&mut self, now: Instant, key: ParticipantKey, sdp: String) {
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
    fn subscribe_to_room(&mut self, key: ParticipantKey) {
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

    fn subscribe(&mut self, key: ParticipantKey, tk: TrackKey) {
        let Some(track) = self.tracks.get_mut(&tk) else {
            return;
        };
        let Some(p) = self.participants.get_mut(&key) else {
            return;
        };
        if p.subscriptions.contains_key(&tk) {
            return;
        }
        let slot = match p.peer.add_sender(track.kind) {
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

    fn try_offer(&mut self, now: Instant, key: ParticipantKey) {
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

    fn unpublish(&mut self, tk: TrackKey) {
        let Some(track) = self.tracks.remove(&tk) else {
            return;
        };
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
            if self.rooms[&room_name].participants.is_empty() && self.config.allow_ad_hoc_rooms {
                self.rooms.remove(&room_name);
            }
        }
        self.dirty.retain(|k| *k != key);
    }

    pub fn handle_datagram(
        &mut self,
        now: Instant,
        from: SocketAddr,
        _local: SocketAddr,
        data: BytesMut,
    ) {
        self.stats.datagrams_in += 1;
        let Some(key) = self.demux.route(from, &data) else {
            self.stats.datagrams_dropped += 1;
            return;
        };
        let is_stun = classify(&data) == DatagramKind::Stun;
        let Some(p) = self.participants.get_mut(&key) else {
            self.stats.datagrams_dropped += 1;
            return;
        };
        if is_stun {
            p.last_consent = now;
            // The engine authenticates the request; learning the address
            // only routes, it does not let anything past the engine's checks.
            self.demux.learn_addr(from, key);
        }
        p.peer.handle_datagram(now, from, data);
        self.dirty.push(key);
        self.process_peer(now, key);
    }

    /// Handles what one peer's engine produced: events, then media.
    fn process_peer(&mut self, now: Instant, key: ParticipantKey) {
        loop {
            let Some(p) = self.participants.get_mut(&key) else {
                return;
            };
            let Some(event) = p.peer.poll_event() else {
                break;
            };
            match event {
                PeerEvent::Connected => {
                    p.connected = true;
                    p.last_consent = now;
                }
                PeerEvent::Failed => {
                    self.events
                        .push_back((key, ToParticipant::Closed(CloseReason::MediaTimeout)));
                    self.remove_participant(now, key);
                    return;
                }
                PeerEvent::IncomingTrack(incoming) => self.on_incoming_track(now, key, incoming),
            }
        }
        loop {
            let Some(p) = self.participants.get_mut(&key) else {
                return;
            };
            let Some(media) = p.peer.poll_media() else {
                break;
            };
            match media {
                MediaIn::Rtp {
                    track_id,
                    header,
                    payload,
                } => {
                    let Some(&tk) = p.incoming.get(&track_id) else {
                        continue;
                    };
                    let source = SourcePacket {
                        sequence_number: header.sequence_number,
                        timestamp: header.timestamp,
                        marker: header.marker,
                        payload,
                        audio_level: header.audio_level,
                    };
                    self.forward(now, tk, source);
                }
                MediaIn::KeyframeRequest { sender } => {
                    if let Some(tk) = p
                        .subscriptions
                        .iter()
                        .find(|(_, s)| **s == sender)
                        .map(|(t, _)| *t)
                    {
                        self.request_keyframe(now, tk);
                    }
                }
                MediaIn::Nack { sender, lost } => {
                    let Some(tk) = p
                        .subscriptions
                        .iter()
                        .find(|(_, s)| **s == sender)
                        .map(|(t, _)| *t)
                    else {
                        continue;
                    };
                    let Some(track) = self.tracks.get(&tk) else {
                        continue;
                    };
                    let p = self.participants.get_mut(&key).expect("exists");
                    let Some(down) = p.senders.get(&sender) else {
                        continue;
                    };
                    for seq in lost {
                        if let Some(packet) = down.retransmission(seq, &track.cache) {
                            let _ = p.peer.write_rtp(now, sender, &packet);
                            self.stats.rtp_retransmitted += 1;
                        }
                    }
                }
            }
        }
    }

    fn on_incoming_track(
        &mut self,
        now: Instant,
        key: ParticipantKey,
        incoming: crate::engine::IncomingTrack,
    ) {
        let p = self.participants.get_mut(&key).expect("exists");
        if p.incoming.contains_key(&incoming.track_id) {
            return; // the engine reports the stream again: same track
        }
        debug!(participant = key, ?incoming, "incoming track");
        let spec = p.specs.get(&incoming.mid).cloned();
        let tk = self.next_key;
        self.next_key += 1;
        let codec = Codec::from_mime(&incoming.mime_type);
        let track = PublishedTrack {
            sid: new_sid("MT"),
            publisher: key,
            name: spec
                .as_ref()
                .map_or_else(|| incoming.track_id.clone(), |s| s.name.clone()),
            kind: incoming.kind,
            mid: incoming.mid.clone(),
            enabled: spec.as_ref().is_none_or(|s| s.enabled),
            engine_track_id: incoming.track_id.clone(),
            ssrc: incoming.ssrc,
            codec,
            mime_type: incoming.mime_type.clone(),
            clock_rate: incoming.clock_rate,
            cache: PacketCache::new(self.config.packet_cache_size),
            keyframes: KeyframeRequestThrottle::new(self.config.keyframe_request_interval),
            subscribers: Vec::new(),
        };
        p.incoming.insert(incoming.track_id, tk);
        let info = track_info(&track);
        let publisher_sid = p.sid.clone();
        let room = p.room.clone();
        self.tracks.insert(tk, track);
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
    }

    /// The hot path: one publisher packet to every subscriber.
    fn forward(&mut self, now: Instant, tk: TrackKey, source: SourcePacket) {
        let Sfu {
            tracks,
            participants,
            rooms,
            dirty,
            stats,
            ..
        } = self;
        let Some(track) = tracks.get_mut(&tk) else {
            return;
        };
        track.cache.insert(CachedPacket {
            sequence_number: source.sequence_number,
            timestamp: source.timestamp,
            marker: source.marker,
            payload: source.payload.clone(),
        });
        if let Some((level, _voice)) = source.audio_level
            && let Some(room) = participants
                .get(&track.publisher)
                .and_then(|p| rooms.get_mut(&p.room))
        {
            room.dominant.observe(now, track.publisher, level);
        }
        let mut need_keyframe = false;
        for sub in &track.subscribers {
            let Some(p) = participants.get_mut(sub) else {
                continue;
            };
            let Some(&slot) = p.subscriptions.get(&tk) else {
                continue;
            };
            let Some(down) = p.senders.get_mut(&slot) else {
                continue;
            };
            match down.forward(now, &source) {
                Forward::Send(packet) => {
                    match p.peer.write_rtp(now, slot, &packet) {
                        Ok(()) => stats.rtp_forwarded += 1,
                        Err(err) => debug!(%err, "forwarding refused by the engine"),
                    }
                    dirty.push(*sub);
                }
                Forward::NeedKeyframe => need_keyframe = true,
                Forward::Drop => {}
            }
        }
        if need_keyframe && track.keyframes.request(now) {
            let (engine_id, ssrc, publisher) =
                (track.engine_track_id.clone(), track.ssrc, track.publisher);
            if let Some(p) = participants.get_mut(&publisher) {
                p.peer.request_keyframe(now, &engine_id, ssrc);
                stats.keyframe_requests += 1;
                dirty.push(publisher);
            }
        }
    }

    fn request_keyframe(&mut self, now: Instant, tk: TrackKey) {
        let Some(track) = self.tracks.get_mut(&tk) else {
            return;
        };
        if !track.codec.is_video() || !track.keyframes.request(now) {
            return;
        }
        if let Some(p) = self.participants.get_mut(&track.publisher) {
            p.peer
                .request_keyframe(now, &track.engine_track_id, track.ssrc);
            self.stats.keyframe_requests += 1;
            self.dirty.push(track.publisher);
        }
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        let due: Vec<ParticipantKey> = self
            .participants
            .iter()
            .filter(|(_, p)| p.next_timeout.is_some_and(|t| t <= now))
            .map(|(k, _)| *k)
            .collect();
        for key in due {
            if let Some(p) = self.participants.get_mut(&key) {
                p.peer.handle_timeout(now);
                p.next_timeout = None;
                self.dirty.push(key);
                self.process_peer(now, key);
            }
        }
        if now >= self.next_housekeeping {
            self.next_housekeeping = now + HOUSEKEEPING;
            self.housekeeping(now);
        }
    }

    fn housekeeping(&mut self, now: Instant) {
        // Participants whose browser went away without a word.
        let gone: Vec<ParticipantKey> = self
            .participants
            .iter()
            .filter(|(_, p)| {
                if p.connected {
                    now.saturating_duration_since(p.last_consent) > self.config.consent_timeout
                } else {
                    now.saturating_duration_since(p.joined_at) > self.config.connect_timeout
                }
            })
            .map(|(k, _)| *k)
            .collect();
        for key in gone {
            debug!(participant = key, "media timeout");
            self.events
                .push_back((key, ToParticipant::Closed(CloseReason::MediaTimeout)));
            self.remove_participant(now, key);
        }
        // Keyframe requests held back by the throttle.
        let mut due = Vec::new();
        for (tk, track) in self.tracks.iter_mut() {
            if track.keyframes.poll(now) {
                due.push((
                    *tk,
                    track.publisher,
                    track.engine_track_id.clone(),
                    track.ssrc,
                ));
            }
        }
        for (_, publisher, engine_id, ssrc) in due {
            if let Some(p) = self.participants.get_mut(&publisher) {
                p.peer.request_keyframe(now, &engine_id, ssrc);
                self.stats.keyframe_requests += 1;
                self.dirty.push(publisher);
            }
        }
        // Dominant speakers.
        let mut changes = Vec::new();
        for (name, room) in self.rooms.iter_mut() {
            if let Some(speaker) = room.dominant.poll(now) {
                changes.push((name.clone(), speaker));
            }
        }
        for (room, speaker) in changes {
            let sid = self.participants.get(&speaker).map(|p| p.sid.clone());
            for k in self.rooms[&room].participants.clone() {
                self.events.push_back((
                    k,
                    ToParticipant::DominantSpeaker {
                        participant_sid: sid.clone(),
                    },
                ));
            }
        }
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
