//! An in-memory network for the sans-IO core: [`Sfu`] and client peer
//! connections (webrtc-rs `rtc`, full ICE) exchange datagrams through
//! queues, under a fake clock the test advances. No socket, no thread.

#![allow(dead_code)]

pub mod counting;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use rtc::rtp_transceiver::rtp_sender::RtpCodecKind;
use serde_json::Value;
use sfu::core::{ParticipantKey, RoomScope, Sfu, SfuConfig};
use sfu::signal::{FromParticipant, MediaKind, PublishedTrackSpec, ToParticipant};
use sfu::transport::Transport;
use testkit::peer::{Incoming, MIME_TYPE_VP8, Peer, Publish, published_tracks};

pub const SERVER: &str = "127.0.0.1:50000";
/// The SFU's ICE-over-TCP address, when a test's config turns it on.
pub const TCP_SERVER: &str = "127.0.0.1:50443";

pub struct Client {
    pub identity: String,
    /// The room it joined (a preflight's is named by the SFU).
    pub room: String,
    pub sid: String,
    pub key: ParticipantKey,
    /// What a signaling resume presents ([`sfu::core::Sfu::resume`]).
    pub resume_token: String,
    pub addr: SocketAddr,
    /// The client's `rtc` peer (testkit's, as every test client).
    pub peer: Peer,
    /// When false, the network drops everything to and from this client
    /// (a laptop lid closed, a tab killed).
    pub online: bool,
    pub connected: bool,
    /// Packets received, in arrival order.
    pub received: Vec<Received>,
    /// The next this-many RTP datagrams with this payload type to this
    /// client are lost (SRTP leaves the header in the clear).
    pub lose_rtp: Option<(u8, usize)>,
    /// The same, on the way from this client to the SFU.
    pub lose_rtp_upstream: Option<(u8, usize)>,
    /// RFC 6464 level (0 loud … 127 silent) put on outgoing audio.
    pub audio_level: Option<u8>,
    /// What the SFU told this client (JSON, as on the wire).
    pub signals: Vec<Value>,
    /// Why the SFU refused its requests (signaling words them).
    pub errors: Vec<sfu::signal::SfuError>,
    pub closed: bool,
    /// Data channels that opened at this client (ours and the server's),
    /// by the engine's id, with their labels.
    pub data_channels: Vec<(usize, String)>,
    /// Data channels that closed.
    pub data_closed: Vec<usize>,
    /// Data messages received: the channel's label, text or not, bytes.
    pub data_received: Vec<(String, bool, Vec<u8>)>,
}

pub struct Net {
    pub now: Instant,
    pub sfu: Sfu,
    pub clients: Vec<Client>,
    server: SocketAddr,
    tcp_server: SocketAddr,
    /// When set, a copy of every datagram the network moves, in order
    /// (the fuzz corpus generator and the fuzz targets read real traffic
    /// here).
    pub tap: Option<Vec<Tapped>>,
    /// Messages for participants that are not clients of this network
    /// (joined by the test itself through `sfu.join`), in order.
    pub stray: Vec<(ParticipantKey, ToParticipant)>,
    /// When set, rewrites the answers clients send to the SFU's offers
    /// (client identity, answer → what is sent): a hostile subscriber.
    pub answer_mutator: Option<AnswerMutator>,
}

pub type AnswerMutator = Box<dyn FnMut(&str, String) -> String>;

/// A datagram the network moved: between client `client` and the SFU,
/// `to_sfu` saying which way.
#[derive(Debug, Clone)]
pub struct Tapped {
    pub client: usize,
    pub to_sfu: bool,
    pub data: BytesMut,
}

impl Net {
    pub fn new(config: SfuConfig) -> Net {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
        let now = Instant::now();
        let server: SocketAddr = SERVER.parse().unwrap();
        Net {
            now,
            sfu: Sfu::new(
                SfuConfig {
                    bind: server,
                    ..config.clone()
                },
                now,
            ),
            clients: Vec::new(),
            server,
            tcp_server: config
                .tcp_bind
                .unwrap_or_else(|| TCP_SERVER.parse().unwrap()),
            tap: None,
            stray: Vec::new(),
            answer_mutator: None,
        }
    }

    /// Joins a client that publishes Opus and VP8, negotiates, and connects.
    pub fn join(&mut self, room: &str, identity: &str) -> usize {
        self.join_with(room, identity, MIME_TYPE_VP8)
    }

    /// Joins a client whose camera sends `video_mime` (VP8 or H.264); it can
    /// also send RFC 6464 audio levels ([`Client::audio_level`]).
    pub fn join_with(&mut self, room: &str, identity: &str, video_mime: &'static str) -> usize {
        self.join_on(
            Transport::Udp,
            Some(room),
            identity,
            video_mime,
            true,
            false,
        )
    }

    /// Joins like [`Net::join`], offering the Dependency Descriptor
    /// extension on video (as Chromium does when our SDK asks it to);
    /// [`Net::send_with_descriptor`] puts one on its video.
    pub fn join_with_dependency_descriptor(&mut self, room: &str, identity: &str) -> usize {
        self.join_on(
            Transport::Udp,
            Some(room),
            identity,
            MIME_TYPE_VP8,
            true,
            true,
        )
    }

    /// Joins like [`Net::join`] with a first offer that names none of its
    /// tracks (`tracks: []`), though its media is sent.
    pub fn join_unnamed(&mut self, room: &str, identity: &str) -> usize {
        self.join_on(
            Transport::Udp,
            Some(room),
            identity,
            MIME_TYPE_VP8,
            false,
            false,
        )
    }

    /// Joins a client whose network lets only TCP through: it connects to
    /// the SFU's passive ICE-TCP candidate (the config's `tcp_bind`).
    pub fn join_over_tcp(&mut self, room: &str, identity: &str) -> usize {
        self.join_on(
            Transport::Tcp,
            Some(room),
            identity,
            MIME_TYPE_VP8,
            true,
            false,
        )
    }

    /// Joins a client to a preflight's room of its own
    /// ([`Sfu::join_preflight`]), publishing Opus and VP8.
    pub fn join_preflight(&mut self, identity: &str) -> usize {
        self.join_on(Transport::Udp, None, identity, MIME_TYPE_VP8, true, false)
    }

    fn join_on(
        &mut self,
        transport: Transport,
        room: Option<&str>,
        identity: &str,
        video_mime: &'static str,
        name_tracks: bool,
        dependency_descriptor: bool,
    ) -> usize {
        let joined = match room {
            Some(room) => self.sfu.join(self.now, room, identity, RoomScope::Any),
            None => self.sfu.join_preflight(self.now, identity),
        }
        .expect("join");
        let index = self.clients.len();
        let addr: SocketAddr = format!("127.0.0.1:{}", 40_000 + index).parse().unwrap();
        let (peer, sdp) = Peer::publishing_on(
            transport,
            addr,
            self.now,
            &Publish {
                audio_ssrc: Some(1000 + index as u32),
                video: Some((video_mime, 2000 + index as u32)),
                audio_level: true,
                dependency_descriptor,
            },
        )
        .unwrap();
        let tracks = if name_tracks {
            media_specs(&sdp)
        } else {
            Vec::new()
        };
        self.clients.push(Client {
            identity: identity.to_owned(),
            room: joined.room_name.clone(),
            sid: joined.participant_sid.clone(),
            key: joined.participant,
            resume_token: joined.resume_token.clone(),
            addr,
            peer,
            online: true,
            connected: false,
            received: Vec::new(),
            lose_rtp: None,
            lose_rtp_upstream: None,
            audio_level: None,
            signals: Vec::new(),
            errors: Vec::new(),
            closed: false,
            data_channels: Vec::new(),
            data_closed: Vec::new(),
            data_received: Vec::new(),
        });
        self.sfu.handle_signal(
            self.now,
            joined.participant,
            FromParticipant::Offer { sdp, tracks },
        );
        self.run_for(Duration::from_millis(500));
        assert!(self.clients[index].connected, "{identity} connected");
        index
    }

    /// Advances the fake clock in 5 ms steps, moving every datagram and
    /// message and firing every timer on the way.
    pub fn run_for(&mut self, duration: Duration) {
        let end = self.now + duration;
        while self.now < end {
            self.pump();
            self.now += Duration::from_millis(5);
            self.sfu.handle_timeout(self.now);
            for c in &mut self.clients {
                if !c.closed {
                    c.peer.handle_timeout(self.now);
                }
            }
        }
        self.pump();
    }

    /// Moves everything that is ready until nothing moves.
    pub fn pump(&mut self) {
        loop {
            let mut moved = false;
            for i in 0..self.clients.len() {
                while let Some((_, datagram)) = self.clients[i].peer.poll_transmit() {
                    moved = true;
                    if loses(&mut self.clients[i].lose_rtp_upstream, &datagram) {
                        continue;
                    }
                    if self.clients[i].online && !self.clients[i].closed {
                        if let Some(tap) = &mut self.tap {
                            tap.push(Tapped {
                                client: i,
                                to_sfu: true,
                                data: datagram.clone(),
                            });
                        }
                        let from = self.clients[i].addr;
                        let (transport, server) = match self.clients[i].peer.transport {
                            Transport::Udp => (Transport::Udp, self.server),
                            Transport::Tcp => (Transport::Tcp, self.tcp_server),
                        };
                        self.sfu
                            .handle_datagram(self.now, transport, from, server, datagram);
                    }
                }
            }
            while let Some(transmit) = self.sfu.poll_transmit() {
                moved = true;
                let reached =
                    |c: &Client| c.addr == transmit.to && c.peer.transport == transmit.transport;
                if let Some(i) = self.clients.iter().position(reached)
                    && let Some(tap) = &mut self.tap
                {
                    tap.push(Tapped {
                        client: i,
                        to_sfu: false,
                        data: transmit.data.clone(),
                    });
                }
                if let Some(c) = self.clients.iter_mut().find(|c| reached(c))
                    && c.online
                    && !c.closed
                {
                    if loses(&mut c.lose_rtp, &transmit.data) {
                        continue;
                    }
                    let server = match transmit.transport {
                        Transport::Udp => self.server,
                        Transport::Tcp => self.tcp_server,
                    };
                    c.peer.handle_datagram(self.now, server, transmit.data);
                }
            }
            while let Some((key, message)) = self.sfu.poll_event() {
                moved = true;
                self.deliver(key, message);
            }
            for c in &mut self.clients {
                while let Some(incoming) = c.peer.poll_incoming() {
                    moved = true;
                    match incoming {
                        Incoming::Rtp { track_id, packet } => c.received.push(Received {
                            kind: c.peer.track_kind(&track_id),
                            ssrc: packet.header.ssrc,
                            sequence_number: packet.header.sequence_number,
                            timestamp: packet.header.timestamp,
                            extensions: packet
                                .header
                                .extensions
                                .iter()
                                .map(|e| (e.id, e.payload.clone()))
                                .collect(),
                            payload: packet.payload,
                        }),
                        Incoming::DataChannelOpened { channel, label } => {
                            c.data_channels.push((channel, label));
                        }
                        Incoming::DataChannelClosed { channel } => c.data_closed.push(channel),
                        Incoming::Data {
                            channel,
                            is_string,
                            data,
                        } => {
                            let label = c
                                .data_channels
                                .iter()
                                .rev()
                                .find(|(id, _)| *id == channel)
                                .map(|(_, l)| l.clone())
                                .unwrap_or_default();
                            c.data_received.push((label, is_string, data.to_vec()));
                        }
                        _ => {}
                    }
                }
                c.connected = c.peer.connected;
            }
            if !moved {
                break;
            }
        }
    }

    fn deliver(&mut self, key: ParticipantKey, message: ToParticipant) {
        let now = self.now;
        let Some(c) = self.clients.iter_mut().find(|c| c.key == key && !c.closed) else {
            if !self.clients.iter().any(|c| c.key == key) {
                self.stray.push((key, message));
            }
            return;
        };
        match &message {
            ToParticipant::Answer { sdp } => c.peer.apply_answer(now, sdp.clone()).unwrap(),
            ToParticipant::Offer { sdp, .. } => {
                let mut sdp = c.peer.answer_offer(now, sdp.clone()).unwrap();
                if let Some(mutate) = &mut self.answer_mutator {
                    sdp = mutate(&c.identity, sdp);
                }
                self.sfu
                    .handle_signal(now, key, FromParticipant::Answer { sdp });
            }
            ToParticipant::Closed(_) => c.closed = true,
            ToParticipant::Error(err) => c.errors.push(err.clone()),
            _ => {}
        }
        if let Ok(json) = serde_json::to_value(&message) {
            c.signals.push(json);
        }
    }

    /// Client `i` opens a data channel (a data track named `label`) and
    /// offers again, listing its media tracks as before: the channel's id.
    pub fn open_data_track(
        &mut self,
        i: usize,
        label: &str,
        init: rtc::data_channel::RTCDataChannelInit,
    ) -> usize {
        let now = self.now;
        let (channel, sdp) = self.clients[i]
            .peer
            .open_data_channel(now, label, init)
            .expect("data channel");
        let tracks = media_specs(&sdp);
        let key = self.clients[i].key;
        self.sfu
            .handle_signal(now, key, FromParticipant::Offer { sdp, tracks });
        // The first channel waits for SCTP's INIT, which may be resent
        // (its first copy can beat the answer to the client).
        self.run_until(Duration::from_secs(10), |net| {
            net.clients[i]
                .data_channels
                .iter()
                .any(|(c, _)| *c == channel)
                || net.clients[i].data_closed.contains(&channel)
        });
        self.run_for(Duration::from_millis(200));
        channel
    }

    /// Advances the fake clock until `done` holds, at most `limit`.
    pub fn run_until(&mut self, limit: Duration, done: impl Fn(&Net) -> bool) -> bool {
        let end = self.now + limit;
        while self.now < end {
            if done(self) {
                return true;
            }
            self.run_for(Duration::from_millis(20));
        }
        done(self)
    }

    /// Sends one audio and one video packet from client `i`; video payloads
    /// start a VP8 keyframe when `keyframe`.
    pub fn send(&mut self, i: usize, seq: u16, keyframe: bool) {
        let now = self.now;
        let c = &mut self.clients[i];
        let sent =
            testkit::media::send_pair(&mut c.peer, now, &c.identity, seq, keyframe, c.audio_level);
        for (kind, written) in sent {
            assert!(written, "the {kind} track's codec is negotiated");
        }
    }

    /// Sends like [`Net::send`], the video with a Dependency Descriptor
    /// (client `i` joined with [`Net::join_with_dependency_descriptor`]):
    /// its payload starts a VP8 keyframe when `payload_keyframe`, its
    /// descriptor announces one when `descriptor_keyframe`.
    pub fn send_with_descriptor(
        &mut self,
        i: usize,
        seq: u16,
        payload_keyframe: bool,
        descriptor_keyframe: bool,
    ) {
        let now = self.now;
        let c = &mut self.clients[i];
        let sent = testkit::media::send_pair_with_descriptor(
            &mut c.peer,
            now,
            &c.identity,
            seq,
            payload_keyframe,
            descriptor_keyframe,
            c.audio_level,
        );
        for (kind, written) in sent {
            assert!(
                written,
                "the {kind} track's codec and extensions are negotiated"
            );
        }
    }

    /// Sends like [`Net::send`] but returns client `i`'s datagrams instead
    /// of delivering them (for benchmarks that feed them to the SFU).
    pub fn send_captured(&mut self, i: usize, seq: u16, keyframe: bool) -> Vec<BytesMut> {
        self.send(i, seq, keyframe);
        let mut out = Vec::new();
        while let Some((_, datagram)) = self.clients[i].peer.poll_transmit() {
            out.push(datagram);
        }
        out
    }

    /// Delivers a datagram to the SFU as if client `i` had sent it (spoofed
    /// or corrupted traffic from a known address).
    pub fn inject_from(&mut self, i: usize, datagram: BytesMut) {
        let from = self.clients[i].addr;
        self.sfu
            .handle_datagram(self.now, Transport::Udp, from, self.server, datagram);
    }

    pub fn client_addr(&self, i: usize) -> SocketAddr {
        self.clients[i].addr
    }

    pub fn server_addr(&self) -> SocketAddr {
        self.server
    }

    /// How many payloads of `kind` client `i` received from `from`.
    pub fn received_from(&self, i: usize, kind: RtpCodecKind, from: &str) -> usize {
        let prefix = format!("{from}-");
        self.clients[i]
            .received
            .iter()
            .filter(|r| r.kind == kind && r.text().starts_with(&prefix))
            .count()
    }

    pub fn signals_of(&self, i: usize, kind: &str) -> Vec<&Value> {
        self.clients[i]
            .signals
            .iter()
            .filter(|s| s["type"] == kind)
            .collect()
    }

    /// The payload type of `codec` ("VP8/90000", "opus/48000") in the
    /// first SDP of `kind` ("offer" or "answer") the SFU sent client `i`.
    pub fn payload_type_in(&self, i: usize, kind: &str, codec: &str) -> u8 {
        self.signals_of(i, kind)[0]["sdp"]
            .as_str()
            .unwrap()
            .lines()
            .find_map(|l| l.strip_prefix("a=rtpmap:").filter(|l| l.contains(codec)))
            .and_then(|l| l.split(' ').next()?.parse::<u8>().ok())
            .unwrap()
    }

    /// Clients `who` each send `packets` audio and video packets from
    /// `first_seq` on, 20 ms apart, a keyframe every tenth.
    pub fn talk(&mut self, who: &[usize], first_seq: u16, packets: u16) {
        for n in 0..packets {
            let seq = first_seq.wrapping_add(n);
            for &i in who {
                self.send(i, seq, n % 10 == 0);
            }
            self.run_for(Duration::from_millis(20));
        }
    }

    /// What client `i` received, in order: whether video, the sequence
    /// number, and the payload's text.
    pub fn received_list(&self, i: usize) -> Vec<(bool, u16, String)> {
        self.clients[i]
            .received
            .iter()
            .map(|r| (r.kind == RtpCodecKind::Video, r.sequence_number, r.text()))
            .collect()
    }

    /// Asserts client `i` holds every video sequence number from its
    /// first to its last; returns how many.
    pub fn video_received_without_gap(&self, i: usize) -> usize {
        let videos: std::collections::BTreeSet<u16> = self.clients[i]
            .received
            .iter()
            .filter(|r| r.kind == RtpCodecKind::Video)
            .map(|r| r.sequence_number)
            .collect();
        let (lo, hi) = (*videos.first().unwrap(), *videos.last().unwrap());
        assert_eq!(videos.len(), usize::from(hi - lo) + 1, "no gap in video");
        videos.len()
    }
}

#[derive(Debug, Clone)]
pub struct Received {
    pub kind: RtpCodecKind,
    pub ssrc: u32,
    pub sequence_number: u16,
    pub timestamp: u32,
    /// Its header extensions: id and bytes.
    pub extensions: Vec<(u8, Bytes)>,
    pub payload: Bytes,
}

impl Received {
    /// The payload's text (after the VP8 descriptor for video).
    pub fn text(&self) -> String {
        testkit::media::text(self.kind, &self.payload)
    }
}

/// Whether a loss rule (`lose_rtp`, `lose_rtp_upstream`) takes this
/// datagram, counting it down if so.
fn loses(rule: &mut Option<(u8, usize)>, datagram: &[u8]) -> bool {
    match *rule {
        Some((payload_type, count))
            if count > 0 && is_rtp(datagram) && datagram[1] & 0x7f == payload_type =>
        {
            *rule = Some((payload_type, count - 1));
            true
        }
        _ => false,
    }
}

/// SRTP carrying RTP, not RTCP (RFC 5761 §4: RTCP types 200–207 masked).
fn is_rtp(datagram: &[u8]) -> bool {
    datagram.len() > 1
        && (128..=191).contains(&datagram[0])
        && !(72..=79).contains(&(datagram[1] & 0x7f))
}

/// The `offer.tracks` entries for the media an offer of testkit's sends.
pub fn media_specs(sdp: &str) -> Vec<PublishedTrackSpec> {
    published_tracks(sdp)
        .into_iter()
        .map(|(mid, name, kind)| PublishedTrackSpec {
            mid,
            name: name.into(),
            kind: if kind == RtpCodecKind::Audio {
                MediaKind::Audio
            } else {
                MediaKind::Video
            },
            enabled: true,
            priority: Default::default(),
        })
        .collect()
}

/// Bytes for a datagram that is just noise, for tests that need some.
pub fn noise(len: usize, seed: u32) -> BytesMut {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as u8
        })
        .collect::<Vec<u8>>()
        .as_slice()
        .into()
}
