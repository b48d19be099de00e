//! Media: datagrams in, the forwarding loop, keyframe requests, timers.
//!
//! `forward` is the hot path: one publisher packet goes into the track's
//! packet cache once, then through each subscriber's down-track and out of
//! that subscriber's engine. Nothing in it allocates in the steady state.

use std::net::SocketAddr;
use std::time::Instant;

use bytes::BytesMut;
use tracing::debug;

use super::{HOUSEKEEPING, ParticipantKey, PublishedTrack, Sfu, TrackKey, new_sid, track_info};
use crate::demux::stun_integrity_ok;
use crate::engine::{IncomingTrack, MediaIn, PeerEvent};
use crate::forward::codec::Codec;
use crate::forward::down_track::{Forward, SourcePacket};
use crate::forward::keyframe_request::KeyframeRequestThrottle;
use crate::forward::packet_cache::{CachedPacket, PacketCache};
use crate::signal::{CloseReason, RoomEventKind, ToParticipant};

impl Sfu {
    pub fn handle_datagram(
        &mut self,
        now: Instant,
        from: SocketAddr,
        local: SocketAddr,
        data: BytesMut,
    ) {
        self.stats.datagrams_in += 1;
        let Some(route) = self.demux.route(from, &data) else {
            self.stats.datagrams_dropped += 1;
            return;
        };
        let key = route.key;
        let local = self.candidate_for(local);
        let Some(p) = self.participants.get_mut(&key) else {
            self.stats.datagrams_dropped += 1;
            return;
        };
        if route.by_ufrag {
            // A binding request: only one signed with this peer's password
            // proves consent and may (re)bind the source address to it.
            if !stun_integrity_ok(&data, &p.ice_pwd) {
                self.stats.datagrams_dropped += 1;
                return;
            }
            p.last_consent = now;
            self.demux.learn_addr(from, key);
        }
        // Why SRTP need not mark the sender dirty: reading RTP or RTCP makes
        // `rtc` queue nothing to send (its interceptors write on timers),
        // so polling this peer for output after every media packet found
        // nothing, at 5 % of a forwarded packet's instructions. Its timers
        // are armed by the first RTP packet and never disarmed, so the
        // first one still marks it (in `process_peer`) to pick up the new
        // deadline. STUN and DTLS do produce answers.
        let srtp = matches!(data.first(), Some(128..=191));
        p.peer.handle_datagram(now, from, local, data);
        if !srtp {
            self.dirty.push(key);
        }
        self.process_peer(now, key);
    }

    /// Handles what one peer's engine produced: events, then media.
    pub(super) fn process_peer(&mut self, now: Instant, key: ParticipantKey) {
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
                    if !p.media_timers_armed {
                        p.media_timers_armed = true;
                        self.dirty.push(key);
                    }
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
                    self.dirty.push(key);
                }
            }
        }
    }

    pub(super) fn on_incoming_track(
        &mut self,
        now: Instant,
        key: ParticipantKey,
        incoming: IncomingTrack,
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
    }

    /// The hot path: one publisher packet to every subscriber.
    pub(super) fn forward(&mut self, now: Instant, tk: TrackKey, source: SourcePacket) {
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

    pub(super) fn request_keyframe(&mut self, now: Instant, tk: TrackKey) {
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

    pub(super) fn housekeeping(&mut self, now: Instant) {
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
}
