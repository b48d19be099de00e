//! One published track as the forwarder sees it, after LiveKit's
//! `WebRTCReceiver`: its layers as they arrive (each with its packet cache
//! and keyframe throttle; one layer unless simulcast), its subscribers'
//! down-tracks, and the fan-out of each packet to them.
//!
//! Everything per track lives here so the core only routes: it finds the
//! receiver of an incoming packet (by engine track id) or of a subscriber's
//! RTCP (by the subscriber's sender SSRC) and hands the rest over. The
//! receiver knows no peer connections; sending is a closure the core passes
//! in, so the fan-out needs no task, channel or allocation per packet.
//!
//! Simulcast: each subscriber has a [`LayerChoice`], the highest layer its
//! downlink may take (the core feeds it the subscriber's share once a
//! second); its down-track targets the highest layer at or below that which
//! is arriving, or the lowest arriving one if none is.
//!
//! Keyframes, where down-tracks start and switch layers, are found per
//! packet by its Dependency Descriptor when it has one and by its payload
//! otherwise (`Codec::packet_starts_keyframe`): the payload of an
//! end-to-end-encrypted frame cannot be read, its descriptor can.
//!
//! `K` is whatever names a subscriber (the core's participant key); each
//! subscriber receives the track at most once, on one sender (its SSRC).

use std::time::{Duration, Instant};

use bytes::BytesMut;

use super::codec::Codec;
use super::down_track::{DownTrack, Forward, OutgoingPacket, SourcePacket};
use super::layer::SourceLayer;
use super::layer_choice::LayerChoice;
use super::packet_cache::CachedPacket;

/// One subscriber's copy: who, on which of its senders, and the down-track.
#[derive(Debug)]
struct Subscriber<K> {
    key: K,
    ssrc: u32,
    down: DownTrack,
    choice: LayerChoice,
    /// The subscriber switched the track off: nothing is forwarded, and
    /// its layer choice asks for nothing.
    switched_off: bool,
}

#[derive(Debug)]
pub struct TrackReceiver<K> {
    codec: Codec,
    clock_rate: u32,
    /// Lowest first; one when the track is not simulcast.
    layers: Vec<SourceLayer>,
    /// A `Vec`: the fan-out walks it per packet, and rooms are small.
    subscribers: Vec<Subscriber<K>>,
    /// Which layers the publisher was last asked to send (all at first),
    /// and since when each has been wanted by nobody.
    sending: Vec<bool>,
    unwanted_since: Vec<Option<Instant>>,
    /// When the publisher was last told, to tell it again now and then
    /// while layers are paused (a lost message must not pause one for
    /// good).
    told_at: Option<Instant>,
    /// Before [`TrackReceiver::forward`], the claim on the received buffer
    /// of the packet it forwards (`crate::buffers`, given with
    /// [`TrackReceiver::hold_buffer`]); after it, the claim of the packet it
    /// pushed out of the cache, or the packet's own when it did not cache
    /// it ([`TrackReceiver::release_buffer`]).
    buffer: Option<BytesMut>,
}

/// How often a publisher with paused layers is told again.
const RETELL_AFTER: Duration = Duration::from_secs(10);

/// A layer nobody has wanted for this long is paused at its publisher
/// (not at once: a subscriber's choice can come back up in seconds).
pub const PAUSE_AFTER: Duration = Duration::from_secs(5);

impl<K: Copy + Eq> TrackReceiver<K> {
    /// `cache_size` packets are kept for NACKs, per layer; at most one
    /// keyframe request per `keyframe_interval` goes to the publisher, per
    /// layer. `layers` is 1 unless the track is simulcast.
    pub fn new(
        codec: Codec,
        clock_rate: u32,
        cache_size: usize,
        keyframe_interval: Duration,
        layers: u8,
    ) -> Self {
        Self {
            codec,
            clock_rate,
            layers: (0..layers.max(1))
                .map(|_| SourceLayer::new(cache_size, keyframe_interval))
                .collect(),
            subscribers: Vec::new(),
            sending: vec![true; usize::from(layers.max(1))],
            unwanted_since: vec![None; usize::from(layers.max(1))],
            told_at: None,
            buffer: None,
        }
    }

    /// The claim on the next forwarded packet's received buffer, to be
    /// kept in the cache with it.
    pub fn hold_buffer(&mut self, buffer: Option<BytesMut>) {
        self.buffer = buffer;
    }

    /// The claim the last [`TrackReceiver::forward`] left: its buffer can
    /// take the next datagram once nothing else holds it.
    pub fn release_buffer(&mut self) -> Option<BytesMut> {
        self.buffer.take()
    }

    pub fn codec(&self) -> Codec {
        self.codec
    }

    pub fn layer_count(&self) -> u8 {
        self.layers.len() as u8
    }

    /// What the caches of its layers hold, lowest layer first, oldest slot
    /// first (for the operator's look at what the server stores).
    pub fn cached_packets(&self) -> impl Iterator<Item = &CachedPacket> {
        self.layers.iter().flat_map(|layer| layer.cache.packets())
    }

    /// Adds a subscriber receiving on its sender `ssrc`. `reused` is the
    /// down-track that sender carried before (a reused transceiver): it is
    /// re-pointed at this track, so the subscriber's sequence numbers and
    /// timestamps stay continuous on that SSRC.
    /// It starts on the lowest layer (targets are chosen on timers).
    pub fn subscribe(&mut self, key: K, ssrc: u32, reused: Option<DownTrack>) {
        let down = match reused {
            Some(mut down) => {
                down.switch_source(self.codec);
                down
            }
            None => DownTrack::new(self.codec, self.clock_rate),
        };
        self.subscribers.push(Subscriber {
            key,
            ssrc,
            down,
            choice: LayerChoice::default(),
            switched_off: false,
        });
    }

    /// Stops (`off`) or starts again forwarding to `key`; after a switch
    /// on, its down-track waits for a keyframe (ask for one with
    /// [`TrackReceiver::request_keyframe`]). `None` when `key` does not
    /// subscribe; else whether anything changed.
    pub fn set_switched_off(&mut self, key: K, off: bool) -> Option<bool> {
        let s = self.subscribers.iter_mut().find(|s| s.key == key)?;
        if s.switched_off == off {
            return Some(false);
        }
        s.switched_off = off;
        if off {
            s.down.pause();
        } else {
            s.down.unpause();
        }
        Some(true)
    }

    /// Subscribers that have the track switched on.
    pub fn receiving(&self) -> impl Iterator<Item = K> + '_ {
        self.subscribers
            .iter()
            .filter(|s| !s.switched_off)
            .map(|s| s.key)
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

    /// The hot path: caches one publisher packet of `layer` and offers it
    /// to every down-track; `send(subscriber, ssrc, packet)` sends what
    /// they produce. True when a keyframe request for this layer should go
    /// to the publisher now (a down-track waits for one and the throttle
    /// lets it through).
    pub fn forward(
        &mut self,
        now: Instant,
        layer: u8,
        source: &SourcePacket,
        mut send: impl FnMut(K, u32, &OutgoingPacket),
    ) -> bool {
        let Some(l) = self.layers.get_mut(usize::from(layer)) else {
            return false;
        };
        // A packet the cache holds already is a second copy: a browser pads
        // its bandwidth probes with recent packets, sent again on RTX, and
        // a retransmission can cross its original. The subscribers had the
        // first copy.
        if l.cache
            .get(source.sequence_number)
            .is_some_and(|c| c.timestamp == source.timestamp)
        {
            return false;
        }
        let newest = l.is_newest(source.sequence_number);
        let started = l.on_packet(now, source.payload.len());
        // The packet it pushes out is dropped, and with it (once its
        // subscribers' copies are written) the last hold on its buffer,
        // which the buffer pool then reclaims.
        l.cache.insert_with_buffer(
            CachedPacket {
                sequence_number: source.sequence_number,
                timestamp: source.timestamp,
                marker: source.marker,
                payload: source.payload.clone(),
            },
            &mut self.buffer,
        );
        if started && self.layers.len() > 1 {
            self.select_targets(now);
        }
        let mut need_keyframe = false;
        for s in &mut self.subscribers {
            // A late packet fills a gap in a run on its layer, and nothing
            // else: a run that started (or switched layers) on it would
            // start behind the packets that came after it, which are gone
            // by, and the subscriber would see them lost.
            if !newest && s.down.layer() != Some(layer) {
                continue;
            }
            match s.down.forward(now, layer, source) {
                Forward::Send(packet) => send(s.key, s.ssrc, &packet),
                Forward::NeedKeyframe => need_keyframe = true,
                Forward::Drop => {}
            }
        }
        need_keyframe && self.layers[usize::from(layer)].keyframes.request(now)
    }

    /// Each layer's bitrate, lowest first (`None`: not measured yet).
    pub fn layer_bitrates(&self) -> Vec<Option<u64>> {
        self.layers.iter().map(SourceLayer::bitrate).collect()
    }

    /// Chooses again the highest layer `key` may receive, from its share
    /// of its downlink for this track (`None`: not known yet).
    pub fn choose_layer(&mut self, now: Instant, key: K, share: Option<u64>) {
        if self.layers.len() < 2 {
            return;
        }
        let bitrates = self.layer_bitrates();
        if let Some(s) = self.subscribers.iter_mut().find(|s| s.key == key) {
            s.choice.update(now, share, &bitrates);
        }
        self.select_targets(now);
    }

    /// The highest layer any subscriber may receive soon: layers above it
    /// are sent for nobody. `None` without subscribers.
    pub fn highest_wanted_layer(&self) -> Option<u8> {
        self.subscribers
            .iter()
            .filter(|s| !s.switched_off)
            .map(|s| s.choice.wanted())
            .max()
    }

    /// Which layers the publisher should send, when that changed: each
    /// one up to the highest any subscriber may receive (at once), none
    /// above it once nobody has wanted it for [`PAUSE_AFTER`]. The lowest
    /// is always sent, so a newcomer starts at once.
    pub fn poll_layers_to_send(&mut self, now: Instant) -> Option<Vec<bool>> {
        if self.layers.len() < 2 {
            return None;
        }
        let wanted = self.highest_wanted_layer().unwrap_or(0);
        let mut changed = false;
        for layer in 1..self.layers.len() {
            if layer <= usize::from(wanted) {
                self.unwanted_since[layer] = None;
                changed |= !self.sending[layer];
                self.sending[layer] = true;
            } else {
                let since = *self.unwanted_since[layer].get_or_insert(now);
                if self.sending[layer] && now.saturating_duration_since(since) >= PAUSE_AFTER {
                    self.sending[layer] = false;
                    changed = true;
                }
            }
        }
        let retell = self.sending.contains(&false)
            && self
                .told_at
                .is_some_and(|at| now.saturating_duration_since(at) >= RETELL_AFTER);
        if !changed && !retell {
            return None;
        }
        self.told_at = Some(now);
        Some(self.sending.clone())
    }

    /// Points each down-track at the highest arriving layer its choice
    /// allows, or the lowest arriving one; with nothing arriving, targets
    /// stay. Called when a layer starts, on timers (to notice one that
    /// stopped) and after choices change.
    pub fn select_targets(&mut self, now: Instant) {
        if self.layers.len() < 2 {
            return;
        }
        let live: Vec<u8> = (0..self.layers.len() as u8)
            .filter(|l| self.layers[usize::from(*l)].is_live(now))
            .collect();
        let Some(&lowest) = live.first() else {
            return;
        };
        for s in &mut self.subscribers {
            let allowed = s.choice.allowed();
            let target = live
                .iter()
                .rev()
                .find(|l| **l <= allowed)
                .copied()
                .unwrap_or(lowest);
            s.down.set_target_layer(target);
        }
    }

    /// A subscriber asked for a keyframe (PLI/FIR), or its down-track was
    /// negotiated (`Some(key)`), or every subscriber needs one after an
    /// interruption (`None`): the layers a PLI should go to the publisher
    /// for now. Audio never asks.
    pub fn request_keyframe(&mut self, now: Instant, key: Option<K>) -> Vec<u8> {
        if !self.codec.is_video() {
            return Vec::new();
        }
        let mut wanted: Vec<u8> = self
            .subscribers
            .iter()
            .filter(|s| key.is_none_or(|k| k == s.key))
            .filter_map(|s| s.down.wants_keyframe_of())
            .collect();
        if key.is_none() && wanted.is_empty() {
            wanted.push(0);
        }
        wanted.sort_unstable();
        wanted.dedup();
        wanted.retain(|l| {
            self.layers
                .get_mut(usize::from(*l))
                .is_some_and(|layer| layer.keyframes.request(now))
        });
        wanted
    }

    /// On timers: the layers whose request held back by the throttle is due.
    pub fn poll_keyframe(&mut self, now: Instant) -> Vec<u8> {
        (0..self.layers.len() as u8)
            .filter(|l| self.layers[usize::from(*l)].keyframes.poll(now))
            .collect()
    }

    /// Answers a subscriber's NACK from the cache of the layer it receives:
    /// `send(ssrc, packet)` for each lost packet still held and in the
    /// subscriber's current run. Returns how many were sent; `None` when
    /// `key` does not subscribe.
    pub fn retransmit(
        &mut self,
        key: K,
        lost: &[u16],
        mut send: impl FnMut(u32, &OutgoingPacket),
    ) -> Option<usize> {
        let s = self.subscribers.iter_mut().find(|s| s.key == key)?;
        let Some(layer) = s.down.layer().and_then(|l| self.layers.get(usize::from(l))) else {
            return Some(0);
        };
        let mut sent = 0;
        for &seq in lost {
            if let Some(packet) = s.down.retransmission(seq, &layer.cache) {
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
            descriptor_keyframe: None,
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
        let mut receiver = TrackReceiver::new(Codec::Vp8, 90_000, 64, Duration::from_secs(1), 1);
        receiver.subscribe(1u64, 0xa, None);
        receiver.subscribe(2u64, 0xb, None);
        negotiate(&mut receiver, 1, 0xa);
        negotiate(&mut receiver, 2, 0xb);
        assert!(receiver.is_subscribed(2) && !receiver.is_subscribed(3));

        let mut sent = Vec::new();
        let ask = receiver.forward(t0, 0, &vp8(1, false), |k, ssrc, p| {
            sent.push((k, ssrc, p.sequence_number))
        });
        assert!(ask, "both wait for a keyframe: one request");
        assert!(sent.is_empty());
        assert!(
            !receiver.forward(t0, 0, &vp8(2, false), |_, _, _| {}),
            "throttled"
        );

        receiver.forward(t0, 0, &vp8(3, true), |k, ssrc, p| {
            sent.push((k, ssrc, p.sequence_number))
        });
        receiver.forward(t0, 0, &vp8(4, false), |k, ssrc, p| {
            sent.push((k, ssrc, p.sequence_number))
        });
        assert_eq!(sent, [(1, 0xa, 3), (2, 0xb, 3), (1, 0xa, 4), (2, 0xb, 4)]);
        assert_eq!(
            receiver.poll_keyframe(t0 + Duration::from_secs(1)),
            [0],
            "held back"
        );
    }

    #[test]
    fn a_dependency_descriptor_says_where_subscribers_start_whatever_the_payload_says() {
        let t0 = Instant::now();
        let mut receiver = TrackReceiver::new(Codec::Vp8, 90_000, 64, Duration::from_secs(1), 1);
        receiver.subscribe(1u64, 0xa, None);
        negotiate(&mut receiver, 1, 0xa);
        // Encrypted frames: the payload's keyframe bit is noise.
        let looks_key_but_is_not = SourcePacket {
            descriptor_keyframe: Some(false),
            ..vp8(1, true)
        };
        let looks_inter_but_is_key = SourcePacket {
            descriptor_keyframe: Some(true),
            ..vp8(2, false)
        };
        let mut sent = Vec::new();
        receiver.forward(t0, 0, &looks_key_but_is_not, |_, _, p| {
            sent.push(p.sequence_number)
        });
        assert!(sent.is_empty());
        receiver.forward(t0, 0, &looks_inter_but_is_key, |_, _, p| {
            sent.push(p.sequence_number)
        });
        assert_eq!(sent, [2]);
    }

    #[test]
    fn answers_nacks_from_the_cache_and_hands_down_tracks_back() {
        let t0 = Instant::now();
        let mut receiver = TrackReceiver::new(Codec::Vp8, 90_000, 64, Duration::from_secs(1), 1);
        receiver.subscribe(7u64, 0xc, None);
        negotiate(&mut receiver, 7, 0xc);
        for seq in 10..15 {
            receiver.forward(t0, 0, &vp8(seq, seq == 10), |_, _, _| {});
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
    fn a_second_copy_is_not_sent_again_and_no_run_starts_on_a_late_packet() {
        let t0 = Instant::now();
        let mut receiver = TrackReceiver::new(Codec::Vp8, 90_000, 64, Duration::from_secs(1), 1);
        receiver.subscribe(1u64, 0xa, None);
        let mut sent = Vec::new();
        // Before the subscriber's answer: 10 (a keyframe) and 11 go by.
        for seq in [10, 11] {
            receiver.forward(t0, 0, &vp8(seq, seq == 10), |_, _, _| {});
        }
        negotiate(&mut receiver, 1, 0xa);
        // The publisher's probe sends keyframe 10 again, then 12 arrives:
        // a run started on the copy would have skipped 11.
        receiver.forward(t0, 0, &vp8(10, true), |_, _, p| {
            sent.push(p.sequence_number)
        });
        receiver.forward(t0, 0, &vp8(12, false), |_, _, p| {
            sent.push(p.sequence_number)
        });
        assert!(sent.is_empty(), "{sent:?}");
        // A late keyframe that was never seen (9) starts no run either.
        receiver.forward(t0, 0, &vp8(9, true), |_, _, p| sent.push(p.sequence_number));
        assert!(sent.is_empty(), "{sent:?}");
        // The next keyframe does; then a copy of it is not sent twice,
        // and a late packet inside the run (14, after 15) fills its gap.
        for seq in [13, 13, 15, 14, 15] {
            receiver.forward(t0, 0, &vp8(seq, seq == 13), |_, _, p| {
                sent.push(p.sequence_number)
            });
        }
        assert_eq!(sent, [13, 15, 14]);
    }

    #[test]
    fn audio_never_requests_keyframes_and_unsubscribe_stops_the_copy() {
        let t0 = Instant::now();
        let mut receiver = TrackReceiver::new(Codec::Opus, 48_000, 64, Duration::from_secs(1), 1);
        assert!(receiver.request_keyframe(t0, None).is_empty());
        receiver.subscribe(1u64, 0xd, None);
        assert!(receiver.unsubscribe(1).is_some());
        assert!(receiver.unsubscribe(1).is_none());
        assert_eq!(receiver.subscribers().count(), 0);
    }

    /// Both layers from `from` for `ms`: 100 packets a second each, of 125
    /// and 500 bytes (100 and 400 kbit/s); what is sent goes to `sent` as
    /// (subscriber, layer).
    fn feed(
        receiver: &mut TrackReceiver<u64>,
        t0: Instant,
        ms: std::ops::Range<u64>,
        sent: &mut Vec<(u64, u8)>,
    ) {
        for at in ms.step_by(10) {
            let now = t0 + Duration::from_millis(at);
            for (layer, size) in [(0u8, 125usize), (1, 500)] {
                let seq = (at / 10) as u16 + 10_000 * u16::from(layer);
                let mut payload = vp8(seq, at == 0).payload.to_vec();
                payload.resize(size, 0);
                let packet = SourcePacket {
                    payload: Bytes::from(payload),
                    ..vp8(seq, at == 0)
                };
                receiver.forward(now, layer, &packet, |k, _, _| sent.push((k, layer)));
            }
        }
    }

    #[test]
    fn each_subscriber_gets_the_highest_arriving_layer_its_share_allows() {
        let t0 = Instant::now();
        let mut receiver = TrackReceiver::new(Codec::Vp8, 90_000, 64, Duration::from_millis(10), 2);
        receiver.subscribe(1u64, 0xa, None);
        receiver.subscribe(2u64, 0xb, None);
        negotiate(&mut receiver, 1, 0xa);
        negotiate(&mut receiver, 2, 0xb);
        let mut sent = Vec::new();
        feed(&mut receiver, t0, 0..2000, &mut sent);
        assert_eq!(receiver.layer_bitrates(), [Some(100_000), Some(400_000)]);
        assert_eq!(sent.len(), 400);
        assert!(
            sent.iter().all(|(_, layer)| *layer == 0),
            "both start on the lowest"
        );
        assert_eq!(receiver.highest_wanted_layer(), Some(0));
        // Subscriber 1 has room for the upper layer for 3 s; 2 has not.
        for s in 2..=5 {
            feed(
                &mut receiver,
                t0,
                s * 1000..s * 1000 + 1000,
                &mut Vec::new(),
            );
            let now = t0 + Duration::from_secs(s);
            receiver.choose_layer(now, 1, Some(1_000_000));
            receiver.choose_layer(now, 2, Some(200_000));
        }
        assert_eq!(receiver.highest_wanted_layer(), Some(1));
        assert_eq!(receiver.down_track_mut(1).unwrap().target_layer(), 1);
        assert_eq!(receiver.down_track_mut(2).unwrap().target_layer(), 0);
        // Layer 1's next packet asks for its keyframe; the keyframe
        // switches subscriber 1 and not 2.
        let t6 = t0 + Duration::from_secs(6);
        assert!(receiver.forward(t6, 1, &vp8(20_000, false), |_, _, _| {}));
        sent.clear();
        receiver.forward(t6, 1, &vp8(20_001, true), |k, _, _| sent.push((k, 1)));
        receiver.forward(t6, 0, &vp8(20_002, false), |k, _, _| sent.push((k, 0)));
        assert_eq!(sent, [(1, 1), (2, 0)]);
        // Layer 1 stops (its publisher paused it): 1 falls back to 0.
        let t8 = t6 + Duration::from_secs(2);
        assert!(
            receiver.forward(t8, 0, &vp8(20_003, false), |_, _, _| {}),
            "1 now waits for a keyframe of 0"
        );
        assert_eq!(receiver.down_track_mut(1).unwrap().target_layer(), 0);
        assert!(
            receiver.request_keyframe(t8, Some(1)).is_empty(),
            "throttled"
        );
        assert_eq!(receiver.poll_keyframe(t8 + Duration::from_millis(10)), [0]);
        // Nobody has wanted layer 1 since it stopped: paused after 5 s.
        assert_eq!(receiver.poll_layers_to_send(t8), None);
        receiver.choose_layer(t8, 1, Some(200_000));
        assert_eq!(receiver.highest_wanted_layer(), Some(0));
        assert_eq!(receiver.poll_layers_to_send(t8), None);
        let t13 = t8 + PAUSE_AFTER;
        assert_eq!(receiver.poll_layers_to_send(t13), Some(vec![true, false]));
        assert_eq!(receiver.poll_layers_to_send(t13), None, "said once");
        assert_eq!(
            receiver.poll_layers_to_send(t13 + Duration::from_secs(10)),
            Some(vec![true, false]),
            "and again while a layer is paused"
        );
        // Its share would take layer 1 again: resumed at once (the
        // subscriber itself switches once its back-off is over).
        let t23 = t8 + Duration::from_secs(15);
        for s in 0..=3 {
            receiver.choose_layer(t23 + Duration::from_secs(s), 1, Some(1_000_000));
        }
        assert_eq!(receiver.poll_layers_to_send(t23), Some(vec![true, true]));
    }
}
