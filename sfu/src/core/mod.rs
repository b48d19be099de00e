//! The sans-IO SFU core: rooms, participants, negotiation, and the routing
//! of media between them. Per-track forwarding state (packet cache, PLI
//! throttle, down-tracks, fan-out) is in [`crate::forward::receiver`]; the
//! core finds the right receiver and connects it to peer connections.
//!
//! Inputs: [`Sfu::join`], [`Sfu::handle_signal`], [`Sfu::leave`] (commands
//! from signaling), [`Sfu::handle_datagram`] and [`Sfu::handle_timeout`].
//! Outputs: [`Sfu::poll_transmit`] (datagrams), [`Sfu::poll_event`]
//! (messages for participants), [`Sfu::poll_timeout`]. Every input carries
//! `now`; nothing in here reads a clock, opens a socket or spawns a thread.
//!
//! This file holds the state and the outputs; the inputs are split by
//! subject: `participants` (join, leave), `negotiation` (offer/answer),
//! `tracks` (publish, subscribe, unpublish), `data_tracks` (data tracks:
//! SCTP messages relayed), `e2ee_keys` (public keys for end-to-end
//! encryption, relayed), `media` (datagrams, the
//! per-packet routing, timers), `reconnect` (interruptions, resume),
//! `network_quality` (levels per participant), `downlink_shares`
//! (subscribers' downlinks shared out: REMB caps to publishers, simulcast
//! layers), `rooms` (the REST API's view), `incoming` (a publisher's tracks by
//! the engine's id, found per packet by pointer), `wakeups` (which peers have
//! output to collect and whose timers are due, without a scan of all of
//! them), and `stats` (counters). The sub-modules use this one; it names
//! none of them but `stats`, `wakeups` and `incoming`, which use nothing
//! here (`incoming` only the `TrackKey` alias).

mod data_tracks;
mod downlink_shares;
mod e2ee_keys;
mod incoming;
mod media;
mod negotiation;
mod network_quality;
mod participants;
mod reconnect;
mod rooms;
mod stats;
mod tracks;
mod wakeups;

use crate::buffers::BufferPool;
pub use stats::{SfuStats, TIMER_LATE};

use rustc_hash::FxHashMap;
use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use tracing::debug;

use crate::demux::Demux;
use crate::engine::{DataChannelId, EnginePeer, IncomingTrack, SenderSlot};
use crate::forward::dominant_speaker::DominantSpeaker;
use crate::forward::down_track::DownTrack;
use crate::forward::receiver::TrackReceiver;
use crate::quality::{QUALITY_INTERVAL, UpstreamStats};
use crate::signal::{
    MediaKind, ParticipantInfo, Priority, PublishedTrackSpec, RoomEvent, RoomEventKind, SfuError,
    ToParticipant, TrackInfo,
};
use crate::transport::{MediaPath, Transport};

pub type ParticipantKey = u64;
type TrackKey = u64;

/// Settings of the media plane.
#[derive(Debug, Clone)]
pub struct SfuConfig {
    /// The one UDP socket for every peer.
    pub bind: SocketAddr,
    /// Where to accept ICE over TCP (RFC 6544), for browsers whose network
    /// blocks UDP; `None`: UDP only. Its port is advertised on each
    /// advertised IP.
    pub tcp_bind: Option<SocketAddr>,
    /// IPs put in ICE host candidates (a public IP behind NAT); empty: the
    /// bound IP.
    pub advertise: Vec<IpAddr>,
    pub max_participants_per_room: usize,
    /// Create rooms on first join; when false, only [`Sfu::open_room`]ed ones.
    pub allow_ad_hoc_rooms: bool,
    /// A connected participant we hear nothing from (no media, RTCP or ICE
    /// check; browsers check at least every ~2.5 s) for this long is
    /// interrupted: the others are told it is reconnecting.
    pub interruption_after: Duration,
    /// How long an interrupted participant, or one whose signaling
    /// connection dropped without a `leave`, keeps its place (its SID,
    /// tracks and subscriptions) for a resume or an ICE restart before it
    /// is removed. Twilio's is 30 s.
    pub reconnect_window: Duration,
    /// A participant whose media never connected is removed after this.
    pub connect_timeout: Duration,
    /// At most one keyframe request per published track per interval.
    pub keyframe_request_interval: Duration,
    /// Packets kept per published track for NACKs (rounded to a power of 2).
    pub packet_cache_size: usize,
    /// Kernel buffer asked for the media socket, each way (the I/O layer's
    /// setting; 0: the kernel's default).
    pub socket_buffer_bytes: usize,
    /// The fast receive leg (`engine::fast`, issue 17): an open track's
    /// RTP skips `rtc`'s pipeline, and its feedback is ours. On by default.
    pub fast_receive: bool,
    /// The fast send leg (`engine::fast_send`; implies `fast_receive`):
    /// forwarded RTP skips `rtc`'s write pipeline and the peer's RTCP its
    /// read pipeline. On by default.
    pub fast_send: bool,
    /// Which media worker of the process this core is (`crate::io`): the
    /// top byte of its participant keys and the first two hex digits of
    /// its ICE ufrags, so a key or a binding request names its worker.
    pub worker: u8,
}

impl Default for SfuConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 50_000),
            tcp_bind: None,
            advertise: Vec::new(),
            max_participants_per_room: 10,
            allow_ad_hoc_rooms: true,
            interruption_after: Duration::from_secs(4),
            reconnect_window: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(30),
            keyframe_request_interval: Duration::from_millis(500),
            packet_cache_size: 512,
            socket_buffer_bytes: 4 << 20,
            fast_receive: true,
            fast_send: true,
            worker: 0,
        }
    }
}

/// The answer to a successful join.
#[derive(Debug, Clone)]
pub struct Joined {
    pub participant: ParticipantKey,
    /// Which signaling connection of this participant this is: a resume
    /// makes a new one, and only the current one may detach it.
    pub connection: u64,
    /// The secret a resume must present (sent to the client in `joined`).
    pub resume_token: String,
    pub participant_sid: String,
    pub room_sid: String,
    pub room_name: String,
    pub me: ParticipantInfo,
    pub others: Vec<ParticipantInfo>,
}

/// Why a resume was refused: the participant is gone (removed after its
/// window, or the server restarted) or the token does not match. Either
/// way the client joins anew (Twilio 53204).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("participant not found")]
pub struct ResumeError;

/// Which rooms a participant may enter, besides the one its token names
/// (the token decides: `signaling::token`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RoomScope {
    /// Any room the grant names (every token Twilio's helper
    /// libraries mint).
    #[default]
    Any,
    /// Only rooms nobody registered ([`Sfu::register_room`]): the ones the
    /// SFU opens on a first join, and nothing the API made for an
    /// appointment or a REST request.
    AdHocOnly,
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
    /// The room was closed for good (its appointment was cancelled) and
    /// tokens issued before still name it.
    #[error("room completed")]
    RoomCompleted,
}

/// A room's state for the REST API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomSnapshot {
    pub sid: String,
    pub name: String,
    pub participants: Vec<ParticipantInfo>,
}

/// One published track's cached packets ([`Sfu::cached_media`]): sequence
/// numbers and payloads as the SFU holds them.
#[derive(Debug, Clone)]
pub struct CachedTrack {
    pub participant_sid: String,
    pub track_sid: String,
    pub kind: MediaKind,
    pub packets: Vec<(u16, Bytes)>,
}

/// One datagram to send.
#[derive(Debug)]
pub struct Transmit {
    pub transport: Transport,
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
    /// A preflight's room ([`Sfu::join_preflight`]): its one participant
    /// receives its own tracks; no room events, no joins by name.
    loopback: bool,
}

#[derive(Default)]
struct Negotiation {
    /// The client's first offer was answered; the server may offer now.
    answered_first_offer: bool,
    /// A server offer awaits the client's answer.
    server_offer_pending: bool,
    /// Senders changed since the last server offer.
    needs_offer: bool,
    /// The pending server offer, sent again after a resume (the client may
    /// never have seen it, or its answer may have been lost).
    pending_offer: Option<ToParticipant>,
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
    /// Tracks whose media arrived before any offer named their m-line, by
    /// mid (an answer to a server offer can start a sender the client has
    /// not offered yet). Published once an offer names them, so nobody
    /// ever sees a track under its WebRTC id; their packets are dropped
    /// until then.
    unnamed: HashMap<String, IncomingTrack>,
    /// Engine track id → published track, for the per-packet lookup.
    incoming: incoming::IncomingTracks,
    /// Our senders to this participant (their SSRCs) → the track each
    /// carries: RTCP from the subscriber (PLI, FIR, NACK) names a sender's
    /// SSRC and finds its track's receiver here in one lookup.
    track_by_sender: FxHashMap<SenderSlot, TrackKey>,
    /// Down-tracks of released senders: a sender outlives the track it
    /// carried, and its next track continues its numbering.
    idle_senders: FxHashMap<SenderSlot, DownTrack>,
    negotiation: Negotiation,
    joined_at: Instant,
    connected: bool,
    /// When a datagram of this peer's was last routed to it.
    last_heard: Instant,
    /// Its current signaling connection ([`Joined::connection`]), and
    /// whether that connection is up.
    connection: u64,
    signaling_attached: bool,
    resume_token: String,
    /// The ICE username fragment of its latest offer: a new one is an ICE
    /// restart.
    remote_ice_ufrag: Option<String>,
    /// An ICE restart was accepted: keyframes are asked for both ways when
    /// its media arrives on the new path (requests sent before would have
    /// had no path to go by).
    keyframes_when_media_returns: bool,
    /// What its receiver reports said this interval, and its level.
    quality: network_quality::ParticipantQuality,
    /// Set while it is interrupted or its signaling is detached: when the
    /// room was told it is reconnecting. It is removed once this is older
    /// than the reconnect window.
    reconnecting_since: Option<Instant>,
    /// Cached `peer.poll_timeout()`; `Sfu::deadlines` holds it too.
    next_timeout: Option<Instant>,
    /// Whether it is in `Sfu::dirty`, the peers to collect output from.
    output_queued: bool,
    /// Set when the first RTP packet from this peer was read, which armed
    /// the engine's media timers (see `handle_datagram`).
    media_timers_armed: bool,
    /// Relayed addresses of its trickled `typ relay` candidates (a few).
    relay_addrs: Vec<SocketAddr>,
    /// How its media reaches us (known from its last signed binding
    /// request).
    path: MediaPath,
    /// The public key it announced for end-to-end encryption.
    e2ee_key: Option<String>,
    /// Where its signaling connection came from, when signaling said.
    client_ip: Option<IpAddr>,
    /// Its data channels → the data tracks they publish.
    data_published: FxHashMap<DataChannelId, TrackKey>,
    /// Our data channels to it → the data tracks they carry.
    data_subscribed: FxHashMap<DataChannelId, TrackKey>,
}

/// Relay candidates remembered per participant (a browser gathers one or
/// two per TURN URL).
const MAX_RELAY_ADDRS: usize = 8;

struct PublishedTrack {
    sid: String,
    publisher: ParticipantKey,
    name: String,
    kind: MediaKind,
    mid: String,
    enabled: bool,
    /// Its publisher's priority; subscribers may set their own
    /// (`subscriber_priority`).
    priority: Priority,
    subscriber_priority: FxHashMap<ParticipantKey, Priority>,
    engine_track_id: String,
    mime_type: String,
    /// Cache, PLI throttle, subscribers' down-tracks and the fan-out.
    receiver: TrackReceiver<ParticipantKey>,
    /// Loss, jitter and bitrate of its publisher's uplink, per simulcast
    /// layer (one unless simulcast).
    upstream: Vec<UpstreamStats>,
}

pub struct Sfu {
    config: SfuConfig,
    rooms: HashMap<String, Room>,
    /// Rooms closed for good, refused until the tokens issued for them
    /// have expired (then forgotten by the housekeeping timer).
    closed_rooms: HashMap<String, Instant>,
    // The maps a packet looks up on its way through use FxHash: their keys
    // are our own small integers, and SipHash was 7 % of the instructions
    // per forwarded packet (callgrind, docs/benchmarks.md).
    participants: FxHashMap<ParticipantKey, Participant>,
    tracks: FxHashMap<TrackKey, PublishedTrack>,
    data_tracks: FxHashMap<TrackKey, data_tracks::DataTrack>,
    demux: Demux<ParticipantKey>,
    next_key: u64,
    /// Peers that may have datagrams to send.
    dirty: wakeups::DirtyPeers<ParticipantKey>,
    /// Their engines' next deadlines.
    deadlines: wakeups::PeerDeadlines<ParticipantKey>,
    events: VecDeque<(ParticipantKey, ToParticipant)>,
    stats: SfuStats,
    /// When the housekeeping timer (liveness, keyframe retries) runs next.
    next_housekeeping: Instant,
    /// When network quality levels are computed next.
    next_quality: Instant,
    /// When publishers are next told their bitrate caps.
    next_downlink_shares: Instant,
    /// Our ICE host candidates: the media port on each advertised IP.
    candidates: Vec<SocketAddr>,
    /// Our passive TCP candidates: the TCP port on each advertised IP.
    tcp_candidates: Vec<SocketAddr>,
    /// Room-level events for the REST API's status callbacks.
    room_events: VecDeque<RoomEvent>,
    /// Datagram buffers, reused (`crate::buffers`).
    buffers: BufferPool,
}

const HOUSEKEEPING: Duration = Duration::from_millis(250);

/// Where a key's worker index sits ([`SfuConfig::worker`]).
const WORKER_SHIFT: u32 = 56;

/// The media worker a participant key belongs to.
pub fn worker_of_key(key: ParticipantKey) -> usize {
    (key >> WORKER_SHIFT) as usize
}

/// The media worker an ICE ufrag of ours names (its first two hex
/// digits); `None` for one that is not ours.
pub fn worker_of_ufrag(ufrag: &str) -> Option<usize> {
    let digits = ufrag.get(..2)?;
    (ufrag.len() == 16)
        .then(|| u8::from_str_radix(digits, 16).ok())
        .flatten()
        .map(usize::from)
}

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

fn track_info(track: &PublishedTrack) -> TrackInfo {
    TrackInfo {
        sid: track.sid.clone(),
        name: track.name.clone(),
        kind: track.kind.into(),
        enabled: track.enabled,
        priority: track.priority,
    }
}

impl Sfu {
    pub fn new(config: SfuConfig, now: Instant) -> Self {
        let worker = config.worker;
        let port = config.bind.port();
        let mut candidates: Vec<SocketAddr> = config
            .advertise
            .iter()
            .map(|ip| SocketAddr::new(*ip, port))
            .collect();
        if candidates.is_empty() {
            candidates.push(config.bind);
        }
        let tcp_candidates = match config.tcp_bind {
            Some(tcp) => candidates
                .iter()
                .map(|c| SocketAddr::new(c.ip(), tcp.port()))
                .collect(),
            None => Vec::new(),
        };
        Self {
            candidates,
            tcp_candidates,
            room_events: VecDeque::new(),
            config,
            rooms: HashMap::new(),
            closed_rooms: HashMap::new(),
            participants: FxHashMap::default(),
            tracks: FxHashMap::default(),
            data_tracks: FxHashMap::default(),
            demux: Demux::default(),
            next_key: (u64::from(worker) << WORKER_SHIFT) | 1,
            dirty: wakeups::DirtyPeers::default(),
            deadlines: wakeups::PeerDeadlines::default(),
            events: VecDeque::new(),
            stats: SfuStats::default(),
            next_housekeeping: now + HOUSEKEEPING,
            next_quality: now + QUALITY_INTERVAL,
            buffers: BufferPool::default(),
            next_downlink_shares: now + downlink_shares::CAP_INTERVAL,
        }
    }

    pub fn config(&self) -> &SfuConfig {
        &self.config
    }

    /// The candidate address a datagram arrived at: the address itself when
    /// it is advertised, else the first candidate of its transport (a server
    /// behind NAT sees its private address; browsers address the public
    /// one).
    fn candidate_for(&self, transport: Transport, local: SocketAddr) -> SocketAddr {
        let ours = match transport {
            Transport::Udp => &self.candidates,
            Transport::Tcp => &self.tcp_candidates,
        };
        if ours.contains(&local) {
            local
        } else {
            ours.first().copied().unwrap_or(local)
        }
    }

    /// Whether `key` is in a preflight's room, where it subscribes to its
    /// own tracks.
    fn loops_back(&self, key: ParticipantKey) -> bool {
        self.participants
            .get(&key)
            .and_then(|p| self.rooms.get(&p.room))
            .is_some_and(|r| r.loopback)
    }

    /// Whether a participant's signed binding request came from `from`
    /// (the I/O layer keeps only such TCP connections).
    pub fn knows_path(&self, transport: Transport, from: SocketAddr) -> bool {
        self.demux.knows(transport, from)
    }

    /// Forgets `from` (its TCP connection closed): a new connection from
    /// the same address must prove itself again.
    pub fn forget_path(&mut self, transport: Transport, from: SocketAddr) {
        self.demux.forget(transport, from);
    }

    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        while let Some(key) = self.dirty.next() {
            if let Some(p) = self.participants.get_mut(&key) {
                if let Some((transport, to, data)) = p.peer.poll_transmit() {
                    self.stats.datagrams_out += 1;
                    // Counted by where this datagram goes, not by the path
                    // the participant settled on.
                    if transport == Transport::Tcp {
                        self.stats.tcp_datagrams_out += 1;
                    } else if p.relay_addrs.contains(&to) {
                        self.stats.relayed_datagrams_out += 1;
                    }
                    return Some(Transmit {
                        transport,
                        to,
                        data,
                    });
                }
                self.stats.rtp_fast_out += p.peer.take_fast_sent();
                let next = p.peer.poll_timeout();
                if next != p.next_timeout {
                    p.next_timeout = next;
                    if let Some(at) = next {
                        self.deadlines.schedule(at, key);
                    }
                }
                self.dirty.done(key, &mut p.output_queued);
            } else {
                self.dirty.forget(key);
            }
        }
        None
    }

    /// A datagram's buffer back, once it was sent (or copied): the next
    /// forwarded copy is written into it.
    pub fn recycle(&mut self, buf: BytesMut) {
        self.buffers.give(buf);
    }

    /// `datagram`, as the I/O layer hands it over: copied into a received
    /// buffer of the smallest size that holds it, which comes back when
    /// its packet leaves the track's cache (`crate::buffers`).
    pub fn buffer_for(&mut self, datagram: &[u8]) -> BytesMut {
        self.buffers.receive(datagram)
    }

    /// Queues `key` for [`Sfu::poll_transmit`] (where its participant is
    /// not already at hand).
    fn mark_dirty(&mut self, key: ParticipantKey) {
        if let Some(p) = self.participants.get_mut(&key) {
            self.dirty.mark(key, &mut p.output_queued);
        }
    }

    /// Room-level events (participants and tracks coming and going).
    pub fn poll_room_event(&mut self) -> Option<RoomEvent> {
        self.room_events.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<(ParticipantKey, ToParticipant)> {
        self.events.pop_front()
    }

    /// The next deadline: the earliest engine timer, or housekeeping.
    /// Entries the heap holds for deadlines that have since changed are
    /// dropped here, so they cause no early wake-up.
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        while let Some((at, key)) = self.deadlines.earliest() {
            if self
                .participants
                .get(&key)
                .is_some_and(|p| p.next_timeout == Some(at))
            {
                return Some(at.min(self.next_housekeeping));
            }
            self.deadlines.pop();
        }
        Some(self.next_housekeeping)
    }

    /// Whether `name` is a live room here (registered, or with someone in
    /// it); the I/O layer releases a room's worker placement when not.
    pub fn has_room(&self, name: &str) -> bool {
        self.rooms.contains_key(name)
    }

    pub fn participant_count(&self) -> usize {
        self.participants.len()
    }

    pub fn stats(&self) -> SfuStats {
        let on = |path| {
            self.participants
                .values()
                .filter(|p| p.connected && p.path == path)
                .count()
        };
        SfuStats {
            rooms: self.rooms.len(),
            participants: self.participants.len(),
            participants_tcp: on(MediaPath::Tcp),
            participants_relayed: on(MediaPath::Relayed),
            ..self.stats.clone()
        }
    }

    /// Records a room-level event about participant `key`.
    fn room_event(&mut self, key: ParticipantKey, kind: RoomEventKind, track: Option<TrackInfo>) {
        let Some(p) = self.participants.get(&key) else {
            return;
        };
        let Some(room) = self.rooms.get(&p.room).filter(|r| !r.loopback) else {
            return;
        };
        self.room_events.push_back(RoomEvent {
            room: p.room.clone(),
            room_sid: room.sid.clone(),
            kind,
            participant: Some((p.sid.clone(), p.identity.clone())),
            participant_ip: p.client_ip,
            track,
        });
    }

    /// A request of `key`'s failed; its session goes on. Signaling gives
    /// the error its Twilio code.
    fn tell_error(&mut self, key: ParticipantKey, error: SfuError) {
        debug!(participant = key, %error, "request failed");
        self.events.push_back((key, ToParticipant::Error(error)));
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
