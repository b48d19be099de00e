//! One simulated participant's WebRTC side, on webrtc-rs's sans-IO `rtc`
//! core, as a browser does it: full ICE (controlling) against the SFU's
//! ICE-lite, DTLS, SRTP, an Opus and a VP8 sending track, and whatever the
//! SFU offers to receive. The worker thread feeds it datagrams and time and
//! takes out datagrams; this file does the media and the counting.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use rtc::rtcp::payload_feedbacks::full_intra_request::FullIntraRequest;
use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtc::rtcp::transport_feedbacks::transport_layer_nack::TransportLayerNack;
use testkit::peer::{Incoming, MIME_TYPE_VP8, Outgoing, Publish, RtpCodecKind};

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
        Peer {
            rtc,
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
        self.rtc.apply_answer(now, sdp)
    }

    /// A server offer (new subscriptions): returns our answer.
    pub fn answer_offer(&mut self, now: Instant, sdp: String) -> anyhow::Result<String> {
        self.rtc.answer_offer(now, sdp)
    }

    pub fn handle_datagram(&mut self, now: Instant, from: SocketAddr, data: &[u8]) {
        self.rtc.handle_datagram(now, from, BytesMut::from(data));
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
                    let Some(stamp) = Stamp::read(&packet.payload) else {
                        continue;
                    };
                    self.first_media_at.get_or_insert(now);
                    let entry = self
                        .received
                        .entry(track_id)
                        .or_insert((RtpCodecKind::Unspecified, TrackStats::default()));
                    if let Some(latency) =
                        entry
                            .1
                            .record(stamp.seq, stamp.sent_us, clock_us, packet.payload.len())
                    {
                        self.latencies.push(latency);
                    }
                }
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
    }
}

fn write(
    rtc: &mut testkit::Peer,
    kind: RtpCodecKind,
    sender: &mut Sender,
    now: Instant,
    packet: payload::Outgoing,
    counters: &mut PeerCounters,
) {
    let written = rtc.write_rtp(
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
    );
    sender.seq = sender.seq.wrapping_add(1);
    if written {
        counters.rtp_sent += 1;
    }
}
