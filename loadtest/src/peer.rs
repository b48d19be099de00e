//! One simulated participant's WebRTC side, on webrtc-rs's sans-IO `rtc`
//! core, as a browser does it: full ICE (controlling) against the SFU's
//! ICE-lite, DTLS, SRTP, an Opus and a VP8 sending track, and whatever the
//! SFU offers to receive. The worker thread feeds it datagrams and time and
//! takes out datagrams; this file does the media and the counting. Once
//! DTLS is up, media skips `rtc`'s pipeline both ways ([`crate::fast`]).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use rtc::rtcp::payload_feedbacks::full_intra_request::FullIntraRequest;
use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtc::rtcp::transport_feedbacks::transport_layer_nack::TransportLayerNack;
use testkit::peer::{Incoming, MIME_TYPE_VP8, Outgoing, Publish, RtpCodecKind};

use crate::fast::{FastPath, Received};
use crate::payload::{self, Stamp, VideoShape};
use crate::stats::TrackStats;

/// What a publisher sends.
#[derive(Debug, Clone, Copy)]
pub struct MediaPlan {
    pub audio: bool,
    pub video: Option<VideoShape>,
    pub opus_bytes: usize,
}

/// Counters a worker adds up across its peers.
#[derive(Debug, Default, Clone)]
pub struct PeerCounters {
    pub rtp_sent: u64,
    pub plis_received: u64,
    pub nacks_received: u64,
    pub keyframes_sent: u64,
    /// RTP packets the fast path sent, received, refused (did not
    /// decrypt) and sent again for a NACK; the rest went through `rtc`.
    pub fast_sent: u64,
    pub fast_received: u64,
    pub fast_refused: u64,
    pub fast_resent: u64,
}

/// Where a sending track is in its stream.
struct Sender {
    seq: u16,
    stamp_seq: u32,
    timestamp: u32,
    next_at: Instant,
}

pub struct Peer {
    /// The `rtc` peer connection and its tracks (testkit's, shared with
    /// the tests).
    pub rtc: testkit::Peer,
    /// The SRTP fast path, once DTLS is up.
    fast: FastPath,
    plan: MediaPlan,
    audio: Option<Sender>,
    video: Option<Sender>,
    frames: u32,
    keyframe_requested: bool,
    /// Received tracks by rtc track id: kind and counts.
    pub received: HashMap<String, (RtpCodecKind, TrackStats)>,
    /// Latency samples (µs) since the worker last took them.
    pub latencies: Vec<u64>,
    pub counters: PeerCounters,
    /// When the signaling websocket opened, and the first remote media.
    pub opened_at: Instant,
    pub first_media_at: Option<Instant>,
}

impl Peer {
    /// Builds the peer and its first offer (returned with the tracks it
    /// publishes, as the signaling protocol wants them).
    pub fn new(
        local: SocketAddr,
        plan: MediaPlan,
        ssrc_base: u32,
        now: Instant,
        opened_at: Instant,
    ) -> anyhow::Result<(Peer, String)> {
        let publish = Publish {
            audio_ssrc: plan.audio.then_some(ssrc_base),
            video: plan.video.map(|_| (MIME_TYPE_VP8, ssrc_base + 1)),
            audio_level: false,
            dependency_descriptor: false,
        };
        let (rtc, sdp) = testkit::Peer::publishing(local, now, &publish)?;
        let sender = || Sender {
            seq: rand::random(),
            stamp_seq: 0,
            timestamp: rand::random(),
            // Spread publishers over the packet interval.
            next_at: now + Duration::from_micros(rand::random_range(0..20_000)),
        };
        let audio = plan.audio.then(sender);
        let video = plan.video.map(|_| sender());
        Ok((Peer::with(rtc, plan, audio, video, opened_at), sdp))
    }

    fn with(
        rtc: testkit::Peer,
        plan: MediaPlan,
        audio: Option<Sender>,
        video: Option<Sender>,
        opened_at: Instant,
    ) -> Peer {
        let mut fast = FastPath::new();
        fast.negotiated(&rtc.pc);
        Peer {
            rtc,
            fast,
            plan,
            audio,
            video,
            frames: 0,
            keyframe_requested: false,
            received: HashMap::new(),
            latencies: Vec::new(),
            counters: PeerCounters::default(),
            opened_at,
            first_media_at: None,
        }
    }

    /// A receive-only peer answering a server's offer (Janus subscriber
    /// legs: the server offers what it sends).
    pub fn answering(
        local: SocketAddr,
        now: Instant,
        opened_at: Instant,
        offer: String,
    ) -> anyhow::Result<(Peer, String)> {
        let plan = MediaPlan {
            audio: false,
            video: None,
            opus_bytes: 0,
        };
        let (rtc, answer) = testkit::Peer::answering(local, now, offer)?;
        Ok((Peer::with(rtc, plan, None, None, opened_at), answer))
    }

    pub fn apply_answer(&mut self, now: Instant, sdp: String) -> anyhow::Result<()> {
        self.rtc.apply_answer(now, sdp)?;
        self.fast.negotiated(&self.rtc.pc);
        Ok(())
    }

    /// A server offer (new subscriptions): returns our answer.
    pub fn answer_offer(&mut self, now: Instant, sdp: String) -> anyhow::Result<String> {
        let answer = self.rtc.answer_offer(now, sdp)?;
        self.fast.negotiated(&self.rtc.pc);
        Ok(answer)
    }

    /// A datagram from the server, at `now` (`clock_us` on the stamps'
    /// clock): media on a known route is read here, the rest goes to `rtc`.
    pub fn handle_datagram(&mut self, now: Instant, clock_us: u64, from: SocketAddr, data: &[u8]) {
        match self.fast.receive(now, &mut self.rtc.pc, from, data) {
            Received::NotTaken => self.rtc.handle_datagram(now, from, BytesMut::from(data)),
            Received::Refused => {}
            Received::Rtcp {
                keyframe_requests,
                nacks,
            } => {
                self.counters.plis_received += keyframe_requests;
                self.counters.nacks_received += nacks;
                self.keyframe_requested |= keyframe_requests > 0;
            }
            Received::Rtp { track_id, payload } => record(
                &mut self.received,
                &mut self.latencies,
                &mut self.first_media_at,
                now,
                clock_us,
                track_id,
                payload,
            ),
        }
    }

    /// When [`Peer::handle_timeout`] is next due: `rtc`'s timers or the
    /// fast path's feedback tick.
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        match (self.rtc.poll_timeout(), self.fast.poll_timeout()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Fires what is due by `now`: `rtc`'s timers (ICE, DTLS, its RTCP)
    /// and the fast path's feedback (TWCC, NACKs, reports).
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.rtc.poll_timeout().is_some_and(|at| at <= now) {
            self.rtc.handle_timeout(now);
        }
        self.fast.handle_timeout(now, &mut self.rtc.pc);
    }

    /// The next datagram to send, and where to: the fast path's first.
    pub fn poll_transmit(&mut self) -> Option<(SocketAddr, Bytes)> {
        if let Some(out) = self.fast.poll_transmit() {
            return Some(out);
        }
        self.rtc
            .poll_transmit()
            .map(|(to, datagram)| (to, datagram.freeze()))
    }

    pub fn connected(&self) -> bool {
        self.rtc.connected
    }

    pub fn failed(&self) -> bool {
        self.rtc.failed
    }

    /// When the next packet of ours is due.
    pub fn next_media_at(&self) -> Option<Instant> {
        if !self.rtc.connected {
            return None;
        }
        [self.audio.as_ref(), self.video.as_ref()]
            .into_iter()
            .flatten()
            .map(|s| s.next_at)
            .min()
    }

    /// Sends every packet due by `now`, stamped with `clock_us`.
    pub fn send_due(&mut self, now: Instant, clock_us: u64) {
        if !self.rtc.connected {
            return;
        }
        let opus_bytes = self.plan.opus_bytes;
        if let Some(audio) = self.audio.as_mut() {
            while audio.next_at <= now {
                let stamp = Stamp {
                    sent_us: clock_us,
                    seq: audio.stamp_seq,
                };
                audio.stamp_seq += 1;
                let packet = payload::opus_packet(opus_bytes, stamp);
                write(
                    &mut self.rtc,
                    &mut self.fast,
                    RtpCodecKind::Audio,
                    audio,
                    now,
                    packet,
                    &mut self.counters,
                );
                audio.timestamp = audio.timestamp.wrapping_add(960);
                audio.next_at += Duration::from_millis(20);
            }
        }
        if let (Some(video), Some(shape)) = (self.video.as_mut(), self.plan.video) {
            let interval = Duration::from_micros(1_000_000 / shape.fps.max(1) as u64);
            while video.next_at <= now {
                let keyframe = self.keyframe_requested
                    || self
                        .frames
                        .is_multiple_of(shape.keyframe_interval_frames.max(1));
                self.keyframe_requested = false;
                if keyframe {
                    self.counters.keyframes_sent += 1;
                }
                let packets = payload::vp8_frame(
                    shape.frame_len(keyframe),
                    keyframe,
                    Stamp {
                        sent_us: clock_us,
                        seq: video.stamp_seq,
                    },
                );
                video.stamp_seq += packets.len() as u32;
                for packet in packets {
                    write(
                        &mut self.rtc,
                        &mut self.fast,
                        RtpCodecKind::Video,
                        video,
                        now,
                        packet,
                        &mut self.counters,
                    );
                }
                video.timestamp = video.timestamp.wrapping_add(90_000 / shape.fps.max(1));
                video.next_at += interval;
                self.frames += 1;
            }
        }
    }

    /// Takes events and received media out of the peer.
    pub fn drain(&mut self, now: Instant, clock_us: u64) {
        while let Some(incoming) = self.rtc.poll_incoming() {
            match incoming {
                Incoming::TrackOpened { track_id, kind } => {
                    self.received
                        .entry(track_id)
                        .or_insert((kind, TrackStats::default()));
                }
                Incoming::Rtp { track_id, packet } => {
                    // The first packets of a track (and repairs `rtc`
                    // unwrapped from RTX): from now on the fast path takes
                    // this SSRC.
                    let kind = self.rtc.track_kind(&track_id);
                    self.fast.learn(
                        now,
                        packet.header.ssrc,
                        packet.header.sequence_number,
                        &track_id,
                        kind,
                    );
                    record(
                        &mut self.received,
                        &mut self.latencies,
                        &mut self.first_media_at,
                        now,
                        clock_us,
                        &track_id,
                        &packet.payload,
                    );
                }
                // Before DTLS only: `rtc`'s default interceptors deliver
                // no inbound RTCP; once DTLS is up the fast path reads it
                // (`Peer::handle_datagram`).
                Incoming::Rtcp(packets) => {
                    for packet in &packets {
                        let any = packet.as_any();
                        if any.downcast_ref::<PictureLossIndication>().is_some()
                            || any.downcast_ref::<FullIntraRequest>().is_some()
                        {
                            self.counters.plis_received += 1;
                            self.keyframe_requested = true;
                        } else if any.downcast_ref::<TransportLayerNack>().is_some() {
                            self.counters.nacks_received += 1;
                        }
                    }
                }
                // Load-test calls publish no data tracks.
                Incoming::DataChannelOpened { .. }
                | Incoming::DataChannelClosed { .. }
                | Incoming::Data { .. } => {}
            }
        }
        let counts = self.fast.counts;
        self.counters.fast_sent = counts.sent;
        self.counters.fast_received = counts.received;
        self.counters.fast_refused = counts.refused;
        self.counters.fast_resent = counts.resent;
    }
}

/// What a received packet on `track_id` tells: its stamp into the track's
/// stats and a latency sample (both legs, `rtc`'s and the fast path's).
fn record(
    received: &mut HashMap<String, (RtpCodecKind, TrackStats)>,
    latencies: &mut Vec<u64>,
    first_media_at: &mut Option<Instant>,
    now: Instant,
    clock_us: u64,
    track_id: &str,
    payload: &[u8],
) {
    let Some(stamp) = Stamp::read(payload) else {
        return;
    };
    first_media_at.get_or_insert(now);
    let entry = match received.get_mut(track_id) {
        Some(entry) => entry,
        None => received
            .entry(track_id.to_owned())
            .or_insert((RtpCodecKind::Unspecified, TrackStats::default())),
    };
    if let Some(latency) = entry
        .1
        .record(stamp.seq, stamp.sent_us, clock_us, payload.len())
    {
        latencies.push(latency);
    }
}

/// Sends one packet: on the fast path once it is up, else through `rtc`.
fn write(
    rtc: &mut testkit::Peer,
    fast: &mut FastPath,
    kind: RtpCodecKind,
    sender: &mut Sender,
    now: Instant,
    packet: payload::Outgoing,
    counters: &mut PeerCounters,
) {
    let fast_written = fast.send(
        now,
        rtc,
        kind,
        packet.marker,
        sender.seq,
        sender.timestamp,
        &packet.payload,
    );
    let written = fast_written.unwrap_or_else(|| {
        rtc.write_rtp(
            now,
            kind,
            Outgoing {
                sequence_number: sender.seq,
                timestamp: sender.timestamp,
                marker: packet.marker,
                payload: packet.payload,
                audio_level: None,
                dependency_descriptor: None,
            },
        )
    });
    sender.seq = sender.seq.wrapping_add(1);
    if written {
        counters.rtp_sent += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two harness peers back to back in memory, on a fake clock: a
    /// publisher and a receive-only answerer. Media moves to the fast path
    /// both ways, the answerer's stats count it, and a video packet lost
    /// on the way is NACKed by the answerer's feedback and sent again from
    /// the publisher's ring.
    #[test]
    fn media_moves_to_the_fast_path_and_a_lost_packet_is_repaired() {
        let start = Instant::now();
        let a_addr: SocketAddr = "127.0.0.1:40001".parse().unwrap();
        let b_addr: SocketAddr = "127.0.0.1:40002".parse().unwrap();
        let plan = MediaPlan {
            audio: true,
            video: Some(VideoShape {
                bitrate_bps: 600_000,
                fps: 30,
                keyframe_interval_frames: 60,
            }),
            opus_bytes: 100,
        };
        let (mut a, offer) = Peer::new(a_addr, plan, 5_000, start, start).unwrap();
        let (mut b, answer) = Peer::answering(b_addr, start, start, offer).unwrap();
        a.apply_answer(start, answer).unwrap();
        let video_ssrc = 5_001;
        let mut dropped = None;
        let mut now = start;
        for _ in 0..4_000 {
            now += Duration::from_millis(1);
            let clock_us = now.duration_since(start).as_micros() as u64;
            a.send_due(now, clock_us);
            a.handle_timeout(now);
            b.handle_timeout(now);
            while let Some((to, datagram)) = a.poll_transmit() {
                assert_eq!(to, b_addr);
                let video = sfu::wire::rtp::RtpView::parse_protected(&datagram)
                    .filter(|_| sfu::wire::rtp::is_rtp(&datagram))
                    .filter(|h| h.ssrc() == video_ssrc)
                    .map(|h| h.sequence_number());
                // Lose one video packet once the fast path carries video.
                if dropped.is_none() && a.counters.fast_sent > 200 && video.is_some() {
                    dropped = video;
                    continue;
                }
                b.handle_datagram(now, clock_us, a_addr, &datagram);
            }
            while let Some((to, datagram)) = b.poll_transmit() {
                assert_eq!(to, a_addr);
                a.handle_datagram(now, clock_us, b_addr, &datagram);
            }
            a.drain(now, clock_us);
            b.drain(now, clock_us);
        }
        assert!(a.connected() && b.connected());
        assert!(dropped.is_some(), "a video packet was dropped");
        let (sent, received) = (a.counters.rtp_sent, &b.counters);
        assert!(a.counters.fast_sent > sent * 9 / 10, "{:?}", a.counters);
        assert!(received.fast_received > sent * 9 / 10, "{received:?}");
        assert_eq!(received.fast_refused, 0);
        assert!(a.counters.nacks_received >= 1, "{:?}", a.counters);
        assert!(a.counters.fast_resent >= 1, "{:?}", a.counters);
        assert_eq!(b.received.len(), 2, "audio and video");
        for (kind, track) in b.received.values() {
            assert!(track.packets > 50, "{kind:?}: {track:?}");
            assert_eq!(track.packets, track.expected(), "{kind:?}: nothing lost");
        }
        assert!(!b.latencies.is_empty());
    }
}
