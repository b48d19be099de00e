//! Fuzz target: the whole sans-IO SFU core (`Sfu::handle_datagram`, its
//! timers, the engines behind it) on hostile datagrams during a live call.
//!
//! Each case sets up a call between two testkit peers (alice and bob) under
//! a fake clock, then throws a sequence of attacks at the core:
//! - mutated corpus datagrams and random bytes from unknown addresses,
//!   and from alice's and bob's own addresses (so they reach the engines:
//!   ICE, DTLS, SRTP, SRTCP);
//! - mutated and replayed copies of the live datagrams alice and bob just
//!   sent, from their own addresses and from others (a replayed signed
//!   binding request passes the demultiplexer's check);
//! - RTCP of any shape that a connected peer protects with its own SRTCP
//!   keys (what a hostile browser can send: it passes authentication);
//! - RTP with hostile payloads, markers and timestamps on alice's own
//!   tracks (the forwarder's keyframe detection and rewriting);
//! - the fake clock moving on between them.
//!
//! Afterwards nothing may have panicked and the call must go on: alice's
//! media still reaches bob and bob's reaches alice, both still in the room.

mod fuzz_support;
mod support;

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use fuzz_support::datagram_seeds;
use fuzz_support::mutate::{ByteMutation, apply_bytes, byte_mutation, mutated_bytes};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;
use rtc::rtcp::raw_packet::RawPacket;
use rtc::rtp_transceiver::rtp_sender::RtpCodecKind;
use sfu::core::SfuConfig;
use sfu::transport::Transport;
use support::Net;
use testkit::peer::Outgoing;

/// Who a raw datagram claims to come from.
#[derive(Debug, Clone, Copy)]
enum From {
    Stranger(u16),
    Alice,
    Bob,
}

#[derive(Debug, Clone)]
enum Attack {
    Raw(From, Vec<u8>),
    /// A live datagram of alice's (`true`) or bob's, mutated (or not:
    /// a replay), from its sender's address or (`Some(port)`) someone
    /// else's: an on-path attacker replaying signed STUN.
    Live(bool, Index, Vec<ByteMutation>, Option<u16>),
    /// RTCP bytes protected by bob's (`true`) or alice's SRTCP.
    AuthenticatedRtcp(bool, Vec<u8>),
    /// An RTP packet on alice's video (`true`) or audio track.
    AuthenticatedRtp {
        video: bool,
        payload: Vec<u8>,
        marker: bool,
        timestamp: u32,
    },
    Advance(u16),
}

fn attack() -> impl Strategy<Value = Attack> {
    let seeds = datagram_seeds();
    let from = prop_oneof![
        (1u16..65535).prop_map(From::Stranger),
        Just(From::Alice),
        Just(From::Bob),
    ];
    prop_oneof![
        6 => (from, mutated_bytes(seeds.clone(), 1300)).prop_map(|(f, d)| Attack::Raw(f, d)),
        4 => (
            any::<bool>(),
            any::<Index>(),
            vec(byte_mutation(), 0..4),
            proptest::option::weighted(0.3, 1u16..65535),
        )
            .prop_map(|(a, i, m, port)| Attack::Live(a, i, m, port)),
        3 => (any::<bool>(), mutated_bytes(seeds.clone(), 600))
            .prop_map(|(b, d)| Attack::AuthenticatedRtcp(b, d)),
        2 => (any::<bool>(), mutated_bytes(seeds, 1100), any::<bool>(), any::<u32>())
            .prop_map(|(video, payload, marker, timestamp)| Attack::AuthenticatedRtp {
                video,
                payload,
                marker,
                timestamp,
            }),
        1 => (1u16..300).prop_map(Attack::Advance),
    ]
}

/// The next sequence number of alice's and bob's streams.
struct Call {
    net: Net,
    alice: usize,
    bob: usize,
    seq: u16,
}

impl Call {
    fn new() -> Call {
        let mut net = Net::new(SfuConfig::default());
        let alice = net.join("room", "alice");
        let bob = net.join("room", "bob");
        net.tap = Some(Vec::new());
        let mut call = Call {
            net,
            alice,
            bob,
            seq: 0,
        };
        call.talk(5);
        call
    }

    /// Both talk for `packets` × 20 ms, a keyframe every fifth packet.
    fn talk(&mut self, packets: u16) {
        for n in 0..packets {
            for i in [self.alice, self.bob] {
                self.net.send(i, self.seq, n % 5 == 0);
            }
            self.seq = self.seq.wrapping_add(1);
            self.net.run_for(Duration::from_millis(20));
        }
    }

    fn addr(&self, from: From) -> SocketAddr {
        match from {
            From::Stranger(port) => SocketAddr::from(([127, 0, 0, 2], port)),
            From::Alice => self.net.client_addr(self.alice),
            From::Bob => self.net.client_addr(self.bob),
        }
    }

    fn inject(&mut self, from: SocketAddr, datagram: &[u8]) {
        let (now, server) = (self.net.now, self.net.server_addr());
        self.net
            .sfu
            .handle_datagram(now, Transport::Udp, from, server, datagram.into());
        self.net.pump();
    }

    fn run(&mut self, attack: &Attack) {
        let now = self.net.now;
        match attack {
            Attack::Raw(from, datagram) => {
                let from = self.addr(*from);
                self.inject(from, datagram);
            }
            Attack::Live(of_alice, pick, mutations, stranger) => {
                let client = if *of_alice { self.alice } else { self.bob };
                let live: Vec<Vec<u8>> = self
                    .net
                    .tap
                    .iter()
                    .flatten()
                    .filter(|t| t.to_sfu && t.client == client)
                    .map(|t| t.data.to_vec())
                    .collect();
                if !live.is_empty() {
                    let datagram = apply_bytes(pick.get(&live).clone(), mutations, &live);
                    let from = match stranger {
                        Some(port) => self.addr(From::Stranger(*port)),
                        None => self.net.client_addr(client),
                    };
                    self.inject(from, &datagram);
                }
            }
            Attack::AuthenticatedRtcp(by_bob, bytes) => {
                let packet: Box<dyn rtc::rtcp::Packet> =
                    Box::new(RawPacket(Bytes::copy_from_slice(bytes)));
                let peer = &mut self.net.clients[if *by_bob { self.bob } else { self.alice }].peer;
                if *by_bob {
                    let receivers: Vec<_> = peer.pc.get_receivers().collect();
                    if let Some(mut r) = receivers.first().and_then(|&id| peer.pc.rtp_receiver(id))
                    {
                        let _ = r.write_rtcp(now, vec![packet]);
                    }
                } else if let Some(id) = peer.video.as_ref().map(|v| v.id)
                    && let Some(mut s) = peer.pc.rtp_sender(id)
                {
                    let _ = s.write_rtcp(now, vec![packet]);
                }
                self.net.pump();
            }
            Attack::AuthenticatedRtp {
                video,
                payload,
                marker,
                timestamp,
            } => {
                let kind = if *video {
                    RtpCodecKind::Video
                } else {
                    RtpCodecKind::Audio
                };
                // The stream's own next sequence number: a publisher that
                // jumps its own numbering only hurts its own stream.
                let packet = Outgoing {
                    sequence_number: self.seq,
                    timestamp: *timestamp,
                    marker: *marker,
                    payload: Bytes::copy_from_slice(payload),
                    audio_level: None,
                    dependency_descriptor: None,
                };
                self.net.clients[self.alice]
                    .peer
                    .write_rtp(now, kind, packet);
                self.seq = self.seq.wrapping_add(1);
                self.net.pump();
            }
            Attack::Advance(ms) => self.net.run_for(Duration::from_millis(*ms as u64)),
        }
    }
}

proptest! {
    // Each case is a whole call (two DTLS handshakes): few cases, each
    // carrying up to 40 attacks.
    #![proptest_config(fuzz_config!("fuzz_core_datagrams", 400))]

    #[test]
    fn hostile_datagrams_do_not_stop_the_call(attacks in vec(attack(), 1..40)) {
        let mut call = Call::new();
        for attack in &attacks {
            call.run(attack);
        }
        call.net.tap = None;
        // Let anything the attacks started settle, then talk again.
        call.net.run_for(Duration::from_millis(100));
        let (alice, bob) = (call.alice, call.bob);
        let before_bob = call.net.received_from(bob, RtpCodecKind::Audio, "alice");
        let before_alice = call.net.received_from(alice, RtpCodecKind::Audio, "bob");
        let video_before = call.net.received_from(bob, RtpCodecKind::Video, "alice");
        call.talk(20);
        let stats = call.net.sfu.stats();
        prop_assert_eq!(stats.participants, 2, "both still in the room");
        prop_assert!(
            call.net.received_from(bob, RtpCodecKind::Audio, "alice") >= before_bob + 15,
            "alice's audio still reaches bob"
        );
        prop_assert!(
            call.net.received_from(alice, RtpCodecKind::Audio, "bob") >= before_alice + 15,
            "bob's audio still reaches alice"
        );
        prop_assert!(
            call.net.received_from(bob, RtpCodecKind::Video, "alice") > video_before,
            "alice's video still reaches bob"
        );
    }
}
