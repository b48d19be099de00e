//! Media: datagrams in, the per-packet routing, subscriber feedback, timers.
//!
//! A publisher's RTP packet is routed by its engine track id to the track's
//! [`TrackReceiver`](crate::forward::receiver::TrackReceiver), whose fan-out
//! writes each subscriber's copy straight into that subscriber's engine: no
//! task, channel or allocation per packet. A subscriber's PLI, FIR or NACK
//! names one of our senders; `track_by_sender` turns it into the track in
//! one lookup, and that track's receiver throttles the PLI or answers the
//! NACK from its cache.

use std::net::SocketAddr;
use std::time::Instant;

use bytes::BytesMut;
use tracing::debug;

use super::{HOUSEKEEPING, ParticipantKey, Sfu, TIMER_LATE, TrackKey, downlink_shares};
use crate::demux::stun_integrity_ok;
use crate::engine::{MediaIn, PeerEvent, SenderSlot};
use crate::forward::down_track::SourcePacket;
use crate::quality::QUALITY_INTERVAL;
use crate::signal::{CloseReason, ToParticipant};
use crate::transport::{MediaPath, Transport};

impl Sfu {
    pub fn handle_datagram(
        &mut self,
        now: Instant,
        transport: Transport,
        from: SocketAddr,
        local: SocketAddr,
        data: BytesMut,
    ) {
        self.stats.datagrams_in += 1;
        let Some(route) = self.demux.route(transport, from, &data) else {
            self.stats.datagrams_dropped += 1;
            return;
        };
        let key = route.key;
        let local = self.candidate_for(transport, local);
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
            self.demux.learn_addr(transport, from, key);
            p.path = if p.relay_addrs.contains(&from) {
                MediaPath::Relayed
            } else if transport == Transport::Tcp {
                MediaPath::Tcp
            } else {
                MediaPath::Udp
            };
        }
        p.last_heard = now;
        // Counted by where this datagram came from (the participant's
        // path is what it settled on, for the gauges).
        if transport == Transport::Tcp {
            self.stats.tcp_datagrams_in += 1;
        } else if p.relay_addrs.contains(&from) {
            self.stats.relayed_datagrams_in += 1;
        }
        // Why SRTP need not mark the sender dirty: reading RTP or RTCP makes
        // `rtc` queue nothing to send (its interceptors write on timers),
        // so polling this peer for output after every media packet found
        // nothing, at 5 % of a forwarded packet's instructions. Its timers
        // are armed by the first RTP packet and never disarmed, so the
        // first one still marks it (in `process_peer`) to pick up the new
        // deadline. STUN and DTLS do produce answers.
        let srtp = matches!(data.first(), Some(128..=191));
        let restarted = srtp && p.keyframes_when_media_returns;
        p.keyframes_when_media_returns &= !srtp;
        p.peer.handle_datagram(now, transport, from, local, data);
        let (fast, refused) = p.peer.take_fast_counts();
        self.stats.rtp_fast_in += fast;
        self.stats.datagrams_dropped += refused;
        if !srtp {
            self.dirty.mark(key, &mut p.output_queued);
        }
        self.process_peer(now, key);
        if restarted {
            self.restart_video(now, key);
        }
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
                    p.last_heard = now;
                }
                // DTLS failed or was closed (a browser closing the call
                // says so): nothing an ICE restart could bring back. A
                // silent peer is for the reconnect window (`reconnect`).
                PeerEvent::Closed => {
                    self.events
                        .push_back((key, ToParticipant::Closed(CloseReason::MediaTimeout)));
                    self.remove_participant(now, key);
                    return;
                }
                PeerEvent::IncomingTrack(incoming) => self.on_incoming_track(now, key, incoming),
                PeerEvent::DataChannelOpened {
                    channel,
                    label,
                    options,
                } => self.on_data_channel_opened(now, key, channel, label, options),
                PeerEvent::DataChannelClosed { channel, ours } => {
                    self.on_data_channel_closed(key, channel, ours)
                }
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
                    layer,
                    header,
                    payload,
                    buffer,
                } => {
                    if !p.media_timers_armed {
                        p.media_timers_armed = true;
                        self.dirty.mark(key, &mut p.output_queued);
                    }
                    let Some(tk) = p.incoming.resolve(&track_id) else {
                        continue;
                    };
                    let source = SourcePacket {
                        sequence_number: header.sequence_number,
                        timestamp: header.timestamp,
                        marker: header.marker,
                        payload,
                        audio_level: header.audio_level,
                        descriptor_keyframe: header.descriptor_keyframe,
                    };
                    self.forward(now, tk, layer, source, buffer);
                }
                MediaIn::KeyframeRequest { sender } => {
                    if let Some(&tk) = p.track_by_sender.get(&sender) {
                        self.request_keyframe(now, tk, Some(key));
                    }
                }
                MediaIn::Nack { sender, lost } => self.on_nack(now, key, sender, &lost),
                MediaIn::Reception {
                    sender,
                    loss,
                    jitter,
                    rtt,
                } => self.on_reception(now, key, sender, loss, jitter, rtt),
                MediaIn::Data {
                    channel,
                    is_string,
                    data,
                } => self.relay_data(now, key, channel, is_string, &data),
            }
        }
    }

    /// The hot path: one publisher packet to the track's receiver, which
    /// caches it and fans it out; its copies go into the subscribers'
    /// engines here.
    /// `buffer`: the claim on the packet's received buffer, kept in the
    /// track's cache with it (`crate::buffers`).
    fn forward(
        &mut self,
        now: Instant,
        tk: TrackKey,
        layer: u8,
        source: SourcePacket,
        buffer: Option<BytesMut>,
    ) {
        let Sfu {
            tracks,
            participants,
            rooms,
            dirty,
            stats,
            buffers,
            ..
        } = self;
        let Some(track) = tracks.get_mut(&tk) else {
            return;
        };
        if let Some(upstream) = track.upstream.get_mut(usize::from(layer)) {
            upstream.on_packet(
                now,
                source.sequence_number,
                source.timestamp,
                source.payload.len(),
            );
        }
        if let Some((level, _voice)) = source.audio_level
            && let Some(room) = participants
                .get(&track.publisher)
                .and_then(|p| rooms.get_mut(&p.room))
        {
            room.dominant.observe(now, track.publisher, level);
        }
        track.receiver.hold_buffer(buffer);
        let wants_keyframe = track
            .receiver
            .forward(now, layer, &source, |sub, slot, packet| {
                let Some(p) = participants.get_mut(&sub) else {
                    return;
                };
                match p.peer.write_rtp(now, slot, packet, buffers) {
                    Ok(()) => stats.rtp_forwarded += 1,
                    Err(err) => debug!(%err, "forwarding refused by the engine"),
                }
                dirty.mark(sub, &mut p.output_queued);
            });
        // The packet this one pushed out of the cache has been dropped, and
        // this one's copies are written: its buffer is free for the next
        // datagram unless something else still holds it.
        if let Some(old) = track.receiver.release_buffer() {
            buffers.give_received(old);
        }
        if wants_keyframe {
            self.send_keyframe_request(now, tk, layer);
        }
    }

    /// A subscriber's NACK for one of our senders: answered from the cache
    /// of the track that sender carries.
    fn on_nack(&mut self, now: Instant, key: ParticipantKey, sender: SenderSlot, lost: &[u16]) {
        let Sfu {
            tracks,
            participants,
            dirty,
            stats,
            buffers,
            ..
        } = self;
        let Some(p) = participants.get_mut(&key) else {
            return;
        };
        let Some(track) = p
            .track_by_sender
            .get(&sender)
            .and_then(|tk| tracks.get_mut(tk))
        else {
            return;
        };
        let sent = track.receiver.retransmit(key, lost, |slot, packet| {
            if let Err(err) = p.peer.write_rtp(now, slot, packet, buffers) {
                debug!(%err, "retransmission refused by the engine");
            }
        });
        if let Some(sent) = sent {
            stats.rtp_retransmitted += sent as u64;
            dirty.mark(key, &mut p.output_queued);
        }
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        // Only the peers whose deadline has come, earliest first (a heap,
        // not a scan of every participant); an entry for a deadline that
        // has since changed is skipped.
        while let Some((at, key)) = self.deadlines.pop_due(now) {
            let Some(p) = self.participants.get_mut(&key) else {
                continue;
            };
            if p.next_timeout != Some(at) {
                continue;
            }
            let late = now.saturating_duration_since(at);
            self.stats.timers_fired += 1;
            self.stats.timer_lateness_micros += late.as_micros() as u64;
            self.stats.timers_late += u64::from(late > TIMER_LATE);
            p.peer.handle_timeout(now);
            p.next_timeout = None;
            self.dirty.mark(key, &mut p.output_queued);
            self.process_peer(now, key);
        }
        if self.deadlines.needs_compaction(self.participants.len()) {
            let live = self
                .participants
                .iter()
                .filter_map(|(k, p)| p.next_timeout.map(|at| (at, *k)));
            self.deadlines.rebuild(live);
        }
        if now >= self.next_housekeeping {
            self.next_housekeeping = now + HOUSEKEEPING;
            self.housekeeping(now);
        }
        if now >= self.next_quality {
            self.next_quality = now + QUALITY_INTERVAL;
            self.update_network_quality(now);
        }
        if now >= self.next_downlink_shares {
            self.next_downlink_shares = now + downlink_shares::CAP_INTERVAL;
            self.share_downlinks(now);
        }
    }

    fn housekeeping(&mut self, now: Instant) {
        // Closed rooms whose last token has expired.
        self.closed_rooms.retain(|_, until| now < *until);
        // Interruptions, resumes, and the reconnect window.
        self.check_connections(now);
        // Keyframe requests held back by the throttle; and simulcast
        // layers that stopped or started, for the subscribers' targets.
        let mut due = Vec::new();
        for (tk, track) in self.tracks.iter_mut() {
            due.extend(
                track
                    .receiver
                    .poll_keyframe(now)
                    .into_iter()
                    .map(|l| (*tk, l)),
            );
            track.receiver.select_targets(now);
        }
        for (tk, layer) in due {
            self.send_keyframe_request(now, tk, layer);
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
