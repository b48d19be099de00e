//! With both fast legs, forwarding allocates nothing in the steady state:
//! not per copy, not per datagram. Buffers are reused (`sfu::buffers`):
//! each copy is written into one the I/O layer gave back, and each
//! received datagram into one that came back by itself once the packet
//! cache dropped its packet (the reference count `bytes` keeps for a
//! shared buffer is reused with it).
//!
//! A counting global allocator (its own test binary) watches this thread
//! while a four-person call forwards, driven the way the I/O layer drives
//! the core: each datagram copied into a buffer from the core's pool,
//! every transmit's buffer given back once "sent".

mod support;

use std::time::Duration;

use rtc::rtp_transceiver::rtp_sender::RtpCodecKind;
use sfu::core::SfuConfig;
use sfu::transport::Transport;
use sfu::wire::rtp::{RtpHeader, write_rtp};
use support::Net;
use support::counting::{self, Counting};

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Forwards `datagrams` (a send's audio and video at a time) as the I/O
/// layer would, 20 ms apart, running the core's timers in between (their
/// feedback ticks are not per packet, and are not counted); returns the
/// copies sent and the allocations counted.
fn forward(net: &mut Net, alice: usize, datagrams: Vec<Vec<bytes::BytesMut>>) -> (u64, u64) {
    let from = net.client_addr(alice);
    let local = net.server_addr();
    let before = net.sfu.stats().rtp_fast_out;
    let mut allocations = 0;
    for send in datagrams {
        net.now += Duration::from_millis(20);
        let now = net.now;
        while let Some(due) = net.sfu.poll_timeout().filter(|&due| due <= now) {
            net.sfu.handle_timeout(due);
            while let Some(transmit) = net.sfu.poll_transmit() {
                net.sfu.recycle(transmit.data);
            }
        }
        counting::start();
        for datagram in send {
            let buf = net.sfu.buffer_for(&datagram);
            net.sfu
                .handle_datagram(now, Transport::Udp, from, local, buf);
            while let Some(transmit) = net.sfu.poll_transmit() {
                net.sfu.recycle(transmit.data);
            }
        }
        allocations += counting::stop();
    }
    (net.sfu.stats().rtp_fast_out - before, allocations)
}

/// Alice's audio and video from `first_seq` on, one datagram of each a
/// send, each the size of a browser's (a 1,000-byte VP8 payload, a
/// 120-byte Opus one; testkit's own are a few bytes). Written with
/// `sfu::wire` and protected with alice's own SRTP context, as her
/// browser would.
fn captured(net: &mut Net, alice: usize, first_seq: u16, count: u16) -> Vec<Vec<bytes::BytesMut>> {
    let peer = &mut net.clients[alice].peer;
    let flows = [
        (
            peer.payload_type(RtpCodecKind::Audio).unwrap(),
            peer.audio.as_ref().unwrap().ssrc,
            120,
            960,
        ),
        (
            peer.payload_type(RtpCodecKind::Video).unwrap(),
            peer.video.as_ref().unwrap().ssrc,
            1_000,
            3_000,
        ),
    ];
    (0..count)
        .map(|n| {
            let seq = first_seq.wrapping_add(n);
            flows
                .iter()
                .map(|&(payload_type, ssrc, size, ticks)| {
                    let mut payload =
                        testkit::media::video("alice", seq, false, "video/VP8").to_vec();
                    payload.resize(size, 0x5a);
                    let mut packet = bytes::BytesMut::with_capacity(size + 100);
                    let header = RtpHeader {
                        marker: true,
                        payload_type,
                        sequence_number: seq,
                        timestamp: u32::from(seq) * ticks,
                        ssrc,
                    };
                    write_rtp(&mut packet, &header, &[], &payload).unwrap();
                    let (local, _) = net.clients[alice].peer.pc.srtp_contexts().unwrap();
                    local.encrypt_rtp_in_place(&mut packet).unwrap();
                    packet
                })
                .collect()
        })
        .collect()
}

#[test]
fn no_allocation_per_datagram_or_forwarded_copy() {
    let mut net = Net::new(SfuConfig {
        fast_send: true,
        ..SfuConfig::default()
    });
    let alice = net.join("room", "alice");
    for name in ["bob", "carol", "dave"] {
        net.join("room", name);
    }
    // Media flowing through the whole call (subscriptions made, every
    // subscriber's address known), then the packet caches filled (512 per
    // track) so that each new packet pushes an old one out.
    for seq in 0..40u16 {
        net.send(alice, seq, seq % 10 == 0);
        net.run_for(Duration::from_millis(20));
    }
    let warm_up = captured(&mut net, alice, 40, 700);
    assert!(forward(&mut net, alice, warm_up).0 > 3 * 2 * 600);

    counting::assert_counting();

    let datagrams = captured(&mut net, alice, 740, 400);
    let count = datagrams.iter().map(Vec::len).sum::<usize>() as u64;
    let (copies, allocations) = forward(&mut net, alice, datagrams);
    assert_eq!(copies, 3 * count, "every datagram went to all three, fast");
    assert_eq!(
        allocations, 0,
        "{allocations} allocations for {count} datagrams in, {copies} copies out"
    );
}
