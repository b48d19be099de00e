//! One published track as the forwarder sees it, after LiveKit's
//! `WebRTCReceiver`: the track's packet cache, its keyframe (PLI) throttle
//! and its subscribers' down-tracks, and the fan-out of each packet to them.
//!
//! Everything per track lives here so the core only routes: it finds the
//! receiver of an incoming packet (by engine track id) or of a subscriber's
//! RTCP (by the subscriber's sender SSRC) and hands the rest over. The
//! receiver knows no peer connections; sending is a closure the core passes
//! in, so the fan-out needs no task, channel or allocation per packet.
//!
//! `K` is whatever names a subscriber (the core's participant key); each
//! subscriber receives the track at most once, on one sender (its SSRC).

use std::time::{Duration, Instant};

use super::codec::Codec;
use super::down_track::{DownTrack, Forward, OutgoingPacket, SourcePacket};
use super::keyframe_request::KeyframeRequestThrottle;
use super::packet_cache::{CachedPacket, PacketCache};

/// One subscriber's copy: who, on which of its senders, and the down-track.
#[derive(Debug)]
struct Subscriber<K> {
    key: K,
    ssrc: u32,
    down: DownTrack,
}

#[derive(Debug)]
pub struct TrackReceiver<K> {
    codec: Codec,
    clock_rate: u32,
    cache: PacketCache,
    keyframes: KeyframeRequestThrottle,
    /// A `Vec`: the fan-out walks it per packet, and rooms are small.
    subscribers: Vec<Subscriber<K>>,
}

impl<K: Copy + Eq> TrackReceiver<K> {
    /// `cache_size` packets are kept for NACKs; at most one keyframe request
    /// per `keyframe_interval` goes to the publisher.
    pub fn new(
        codec: Codec,
        clock_rate: u32,
        cache_size: usize,
        keyframe_interval: Duration,
    ) -> Self {
        Self {
            codec,
            clock_rate,
            cache: PacketCache::new(cache_size),
            keyframes: KeyframeRequestThrottle::new(keyframe_interval),
            subscribers: Vec::new(),
        }
    }

    pub fn codec(&self) -> Codec {
        self.codec
    }

    /// Adds a subscriber receiving on its sender `ssrc`. `reused` is the
    /// down-track that sender carried before (a reused transceiver): it is
    /// re-pointed at this track, so the subscriber's sequence numbers and
    /// timestamps stay continuous on that SSRC.
    pub fn subscribe(&mut self, key: K, ssrc: u32, reused: Option<DownTrack>) {
        let down = match reused {
            Some(mut down) => {
                down.switch_source(self.codec);
                down
            }
            None => DownTrack::new(self.codec, self.clock_rate),
        };
        self.subscribers.push(Subscriber { key, ssrc, down });
    }

    pub fn is_subscribed(&self, key: K) -> bool {
        self.subscribers.iter().any(|s| s.key == key)
    }

    /// Removes a subscriber (it left); returns its sender and down-track.
    pub fn unsubscribe(&mut self, key: K) -> Option<(u32, DownTrack)> {
        let at = self.subscribers.iter().position(|s| s.key == key)?;
        let s = self.subscribers.remove(at);
        Some((s.ssrc, s.down))
    }

    /// Subscribers in the order they subscribed.
    pub fn subscribers(&self) -> impl Iterator<Item = K> + '_ {
        self.subscribers.iter().map(|s| s.key)
    }

    /// The track is gone: every subscriber's sender and down-track, paused,
    /// for the subscriber to keep until the sender is reused.
    pub fn into_down_tracks(self) -> impl Iterator<Item = (K, u32, DownTrack)> {
        self.subscribers.into_iter().map(|mut s| {
            s.down.pause();
            (s.key, s.ssrc, s.down)
        })
    }

    pub fn down_track_mut(&mut self, key: K) -> Option<&mut DownTrack> {
        self.subscribers
            .iter_mut()
            .find(|s| s.key == key)
            .map(|s| &mut s.down)
    }

    /// The hot path: caches one publisher packet and offers it to every
    /// down-track; `send(subscriber, ssrc, packet)` sends what they produce.
    /// True when a keyframe request should go to the publisher now (a
    /// down-track waits for one and the throttle lets it through).
    pub fn forward(
        &mut self,
        now: Instant,
        source: &SourcePacket,
        mut send: impl FnMut(K, u32, &OutgoingPacket),
    ) -> bool {
        self.cache.insert(CachedPacket {
            sequence_number: source.sequence_number,
            timestamp: source.timestamp,
            marker: source.marker,
            payload: source.payload.clone(),
        });
        let mut need_keyframe = false;
        for s in &mut self.subscribers {
            match s.down.forward(now, source) {
                Forward::Send(packet) => send(s.key, s.ssrc, &packet),
                Forward::NeedKeyframe => need_keyframe = true,
                Forward::Drop => {}
            }
        }
        need_keyframe && self.keyframes.request(now)
    }

    /// A subscriber asked for a keyframe (PLI/FIR), or a new down-track was
    /// negotiated: true when a PLI should go to the publisher now. Audio
    /// never asks.
    pub fn request_keyframe(&mut self, now: Instant) -> bool {
        self.codec.is_video() && self.keyframes.request(now)
    }

    /// On timers: true when a request held back by the throttle is due.
    pub fn poll_keyframe(&mut self, now: Instant) -> bool {
        self.keyframes.poll(now)
    }

    /// Answers a subscriber's NACK from the cache: `send(ssrc, packet)` for
    /// each lost packet still held and in the subscriber's current run.
    /// Returns how many were sent; `None` when `key` does not subscribe.
    pub fn retransmit(
        &mut self,
        key: K,
        lost: &[u16],
        mut send: impl FnMut(u32, &OutgoingPacket),
    ) -> Option<usize> {
        let s = self.subscribers.iter_mut().find(|s| s.key == key)?;
        let mut sent = 0;
        for &seq in lost {
            if let Some(packet) = s.down.retransmission(seq, &self.cache) {
                send(s.ssrc, &packet);
                sent += 1;
            }
        }
        Some(sent)
    }
}

#[cfg(test)]
mod tests {
    use super::super::down_track::Negotiated;
    use super::*;
    use bytes::Bytes;

    fn vp8(seq: u16, keyframe: bool) -> SourcePacket {
        SourcePacket {
            sequence_number: seq,
            timestamp: seq as u32 * 3000,
            marker: true,
            payload: Bytes::from(vec![0x10, if keyframe { 0x00 } else { 0x01 }, 0x9d]),
            audio_level: None,
        }
    }

    fn negotiate(receiver: &mut TrackReceiver<u64>, key: u64, ssrc: u32) {
        receiver.down_track_mut(key).unwrap().negotiate(Negotiated {
            ssrc,
            payload_type: 96,
            audio_level_ext_id: None,
            repair: None,
        });
    }

    #[test]
    fn fans_out_from_a_keyframe_and_throttles_the_keyframe_requests() {
        let t0 = Instant::now();
        let mut receiver = TrackReceiver::new(Codec::Vp8, 90_000, 64, Duration::from_secs(1));
        receiver.subscribe(1u64, 0xa, None);
        receiver.subscribe(2u64, 0xb, None);
        negotiate(&mut receiver, 1, 0xa);
        negotiate(&mut receiver, 2, 0xb);
        assert!(receiver.is_subscribed(2) && !receiver.is_subscribed(3));

        let mut sent = Vec::new();
        let ask = receiver.forward(t0, &vp8(1, false), |k, ssrc, p| {
            sent.push((k, ssrc, p.sequence_number))
        });
        assert!(ask, "both wait for a keyframe: one request");
        assert!(sent.is_empty());
        assert!(
            !receiver.forward(t0, &vp8(2, false), |_, _, _| {}),
            "throttled"
        );

        receiver.forward(t0, &vp8(3, true), |k, ssrc, p| {
            sent.push((k, ssrc, p.sequence_number))
        });
        receiver.forward(t0, &vp8(4, false), |k, ssrc, p| {
            sent.push((k, ssrc, p.sequence_number))
        });
        assert_eq!(sent, [(1, 0xa, 3), (2, 0xb, 3), (1, 0xa, 4), (2, 0xb, 4)]);
        assert!(
            receiver.poll_keyframe(t0 + Duration::from_secs(1)),
            "held back"
        );
    }

    #[test]
    fn answers_nacks_from_the_cache_and_hands_down_tracks_back() {
        let t0 = Instant::now();
        let mut receiver = TrackReceiver::new(Codec::Vp8, 90_000, 64, Duration::from_secs(1));
        receiver.subscribe(7u64, 0xc, None);
        negotiate(&mut receiver, 7, 0xc);
        for seq in 10..15 {
            receiver.forward(t0, &vp8(seq, seq == 10), |_, _, _| {});
        }
        let mut again = Vec::new();
        let n = receiver.retransmit(7, &[11, 13, 99], |ssrc, p| {
            again.push((ssrc, p.sequence_number))
        });
        assert_eq!(n, Some(2));
        assert_eq!(again, [(0xc, 11), (0xc, 13)]);
        assert_eq!(
            receiver.retransmit(8, &[11], |_, _| {}),
            None,
            "not a subscriber"
        );

        let handed: Vec<_> = receiver.into_down_tracks().collect();
        assert_eq!(handed.len(), 1);
        let (key, ssrc, down) = handed.into_iter().next().unwrap();
        assert_eq!((key, ssrc), (7, 0xc));
        assert!(!down.waiting_for_keyframe(), "paused, not waiting");
    }

    #[test]
    fn audio_never_requests_keyframes_and_unsubscribe_stops_the_copy() {
        let t0 = Instant::now();
        let mut receiver = TrackReceiver::new(Codec::Opus, 48_000, 64, Duration::from_secs(1));
        assert!(!receiver.request_keyframe(t0));
        receiver.subscribe(1u64, 0xd, None);
        assert!(receiver.unsubscribe(1).is_some());
        assert!(receiver.unsubscribe(1).is_none());
        assert_eq!(receiver.subscribers().count(), 0);
    }
}
