//! The fast receive leg (`engine::fast`, `SfuConfig::fast_receive`) under
//! the fake clock: an open track's RTP skips `rtc`'s pipeline, and what the
//! pipeline did for it is done by `sfu::feedback` (that forwarding is the
//! same with it as without is fast_send.rs's first test). A publisher must
//! hear NACKs for its lost packets, transport-wide congestion feedback
//! every 100 ms and receiver reports every second, once each, and not also
//! from `rtc`.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::BytesMut;
use rtc::rtp_transceiver::rtp_sender::RtpCodecKind;
use rtc::sdp::extmap::TRANSPORT_CC_URI;
use sfu::core::SfuConfig;
use sfu::wire::rtp::{RtpHeader, write_rtp};
use support::Net;

/// The receive leg alone (the send leg's own tests are in fast_send.rs).
fn fast() -> SfuConfig {
    SfuConfig {
        fast_receive: true,
        fast_send: false,
        ..SfuConfig::default()
    }
}

/// The SRTCP compounds the SFU sent client `i`, by their first packet
/// (its header is in the clear: RFC 3711 encrypts after the first eight
/// bytes): `(packet type, format or report count)` → count.
fn rtcp_to(net: &Net, i: usize) -> BTreeMap<(u8, u8), usize> {
    let mut counts = BTreeMap::new();
    for t in net.tap.as_ref().unwrap() {
        if t.client == i && !t.to_sfu && t.data.len() > 8 && (192..=223).contains(&t.data[1]) {
            *counts.entry((t.data[1], t.data[0] & 0x1f)).or_default() += 1;
        }
    }
    counts
}

const NACK: (u8, u8) = (205, 1);
const TWCC: (u8, u8) = (205, 15);

/// The extension id the SFU's answer to client `i` gave `uri`.
fn extension_id(net: &Net, i: usize, uri: &str) -> u8 {
    net.signals_of(i, "answer")[0]["sdp"]
        .as_str()
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("a=extmap:").filter(|l| l.ends_with(uri)))
        .and_then(|l| l.split([' ', '/']).next()?.parse().ok())
        .unwrap()
}

/// Sends video packet `seq` from client `i` as a browser does, with a
/// transport-wide sequence number (testkit's `rtc` client sends none):
/// written with `sfu::wire` and protected with the client's own SRTP
/// context.
fn send_video_with_transport_seq(net: &mut Net, i: usize, seq: u16, transport_cc: u8) {
    let peer = &mut net.clients[i].peer;
    let ssrc = peer.video.as_ref().unwrap().ssrc;
    let payload_type = peer.payload_type(RtpCodecKind::Video).unwrap();
    let payload = testkit::media::video("alice", seq, seq.is_multiple_of(10), "video/VP8");
    let mut packet = BytesMut::with_capacity(1500);
    let header = RtpHeader {
        marker: true,
        payload_type,
        sequence_number: seq,
        timestamp: u32::from(seq) * 3000,
        ssrc,
    };
    let transport_seq = seq.to_be_bytes();
    write_rtp(
        &mut packet,
        &header,
        &[(transport_cc, &transport_seq)],
        &payload,
    )
    .unwrap();
    let (local, _) = peer.pc.srtp_contexts().unwrap();
    local.encrypt_rtp_in_place(&mut packet).unwrap();
    net.inject_from(i, packet);
}

#[test]
fn the_publisher_hears_feedback_once_and_on_time() {
    let mut net = Net::new(fast());
    let alice = net.join("room", "alice");
    let bob = net.join("room", "bob");
    net.talk(&[alice], 0, 20);
    let transport_cc = extension_id(&net, alice, TRANSPORT_CC_URI);
    // Two seconds of video from here on, counted.
    net.tap = Some(Vec::new());
    for seq in 20..120 {
        send_video_with_transport_seq(&mut net, alice, seq, transport_cc);
        net.run_for(Duration::from_millis(20));
    }
    let counts = rtcp_to(&net, alice);
    // Every 100 ms a transport-wide feedback compound, except that every
    // tenth tick the receiver reports lead it (one compound, a block for
    // each of alice's two streams).
    let twcc = counts.get(&TWCC).copied().unwrap_or(0);
    let rr = counts.get(&(201, 2)).copied().unwrap_or(0);
    assert!((17..=20).contains(&twcc), "{counts:?}");
    assert!((2..=3).contains(&rr), "{counts:?}");
    assert_eq!(twcc + rr, 20, "one compound a tick: {counts:?}");
    assert_eq!(counts.get(&NACK), None, "nothing was lost: {counts:?}");
    let injected = net.clients[bob]
        .received
        .iter()
        .filter(|r| r.kind == RtpCodecKind::Video && r.text().starts_with("alice-video-"))
        .filter(|r| {
            r.text()["alice-video-".len()..]
                .parse::<u16>()
                .is_ok_and(|s| s >= 20)
        })
        .count();
    assert_eq!(injected, 100, "every injected packet was forwarded");
}

#[test]
fn a_packet_lost_on_the_way_in_is_nacked_once_and_its_repair_forwarded() {
    let mut net = Net::new(fast());
    let alice = net.join("room", "alice");
    let bob = net.join("room", "bob");
    net.talk(&[alice], 0, 20);
    let vp8 = net.payload_type_in(alice, "answer", "VP8/90000");
    net.clients[alice].lose_rtp_upstream = Some((vp8, 1));
    net.tap = Some(Vec::new());
    net.talk(&[alice], 20, 20);
    net.run_for(Duration::from_millis(500));
    assert_eq!(net.clients[alice].lose_rtp_upstream, Some((vp8, 0)));
    let counts = rtcp_to(&net, alice);
    // One NACK: the repair is marked received, so it is not asked again
    // (rtc's generator, which saw the repair only after unwrapping it,
    // asked until its window passed).
    assert_eq!(counts.get(&NACK), Some(&1), "{counts:?}");
    let videos: Vec<u16> = net.clients[bob]
        .received
        .iter()
        .filter(|r| r.kind == RtpCodecKind::Video)
        .map(|r| r.sequence_number)
        .collect();
    let (first, last) = (*videos.iter().min().unwrap(), *videos.iter().max().unwrap());
    for seq in first..=last {
        assert!(videos.contains(&seq), "video {seq} reached bob: {videos:?}");
    }
    assert!(net.sfu.stats().rtp_fast_in > 0);
}
