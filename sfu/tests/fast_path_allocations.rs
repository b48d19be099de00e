//! With both fast legs, forwarding video allocates nothing per copy in the
//! steady state, and one small thing per datagram in: the reference count
//! `bytes` puts beside the received buffer when it is shared (by the packet
//! cache and the copies). Buffers themselves are reused (`sfu::buffers`):
//! each copy is written into one the I/O layer gave back, and each
//! received datagram's buffer comes back when its packet leaves the cache.
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

/// Alice's video from `first_seq` on, one datagram a send, each the size
/// of a browser's (a 1,000-byte VP8 payload; testkit's own are a few
/// bytes, and a datagram that small gets a buffer of its own size, not a
/// pooled one: `Sfu::buffer_for`). Written with `sfu::wire` and protected
/// with alice's own SRTP context, as her browser would.
fn captured(net: &mut Net, alice: usize, first_seq: u16, count: u16) -> Vec<Vec<bytes::BytesMut>> {
    let payload_type = net.clients[alice]
        .peer
        .payload_type(RtpCodecKind::Video)
        .unwrap();
    let ssrc = net.clients[alice].peer.video.as_ref().unwrap().ssrc;
    (0..count)
        .map(|n| {
            let seq = first_seq.wrapping_add(n);
            let mut payload = testkit::media::video("alice", seq, false, "video/VP8").to_vec();
            payload.resize(1_000, 0x5a);
            let mut packet = bytes::BytesMut::with_capacity(1_100);
            let header = RtpHeader {
                marker: true,
                payload_type,
                sequence_number: seq,
                timestamp: u32::from(seq) * 3_000,
                ssrc,
            };
            write_rtp(&mut packet, &header, &[], &payload).unwrap();
            let (local, _) = net.clients[alice].peer.pc.srtp_contexts().unwrap();
            local.encrypt_rtp_in_place(&mut packet).unwrap();
            vec![packet]
        })
        .collect()
}

#[test]
fn no_allocation_per_forwarded_copy_and_one_per_datagram() {
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
    assert!(forward(&mut net, alice, warm_up).0 > 3 * 600);

    counting::assert_counting();

    let datagrams = captured(&mut net, alice, 740, 400);
    let count = datagrams.iter().map(Vec::len).sum::<usize>() as u64;
    let (copies, allocations) = forward(&mut net, alice, datagrams);
    assert_eq!(copies, 3 * count, "every datagram went to all three, fast");
    assert!(
        allocations <= count,
        "{allocations} allocations for {count} datagrams in, {copies} copies out"
    );
}
