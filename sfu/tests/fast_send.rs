//! The fast send leg (`engine::fast_send`, `SfuConfig::fast_send`) under
//! the fake clock: forwarded RTP is written, numbered and protected past
//! `rtc`'s pipeline, and the subscribers' RTCP is read past it. Forwarding
//! must be the same as through the pipeline (or the receive leg alone); a subscriber's NACK must be
//! answered on its repair flow; its transport-wide feedback must make a
//! downlink estimate (and so caps for the publishers); and it must hear
//! our sender reports, once a second for each stream, from us alone.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use sfu::core::SfuConfig;
use sfu::wire::rtp::RtpView;
use support::Net;

fn fast_send() -> SfuConfig {
    SfuConfig {
        fast_send: true,
        ..SfuConfig::default()
    }
}

/// Every packet through `rtc`'s pipeline.
fn pipeline_only() -> SfuConfig {
    SfuConfig {
        fast_receive: false,
        fast_send: false,
        ..SfuConfig::default()
    }
}

/// The datagrams the SFU sent client `i` while the tap was on.
fn tapped_to(net: &Net, i: usize) -> impl Iterator<Item = &[u8]> {
    net.tap
        .as_ref()
        .unwrap()
        .iter()
        .filter(move |t| t.client == i && !t.to_sfu)
        .map(|t| &t.data[..])
}

/// The receive leg alone, as before the send leg.
fn receive_leg_only() -> SfuConfig {
    SfuConfig {
        fast_receive: true,
        fast_send: false,
        ..SfuConfig::default()
    }
}

#[test]
fn forwarding_is_the_same_through_the_pipeline_and_either_fast_leg() {
    let mut runs = Vec::new();
    for config in [pipeline_only(), receive_leg_only(), fast_send()] {
        let (fast_in, fast_out) = (config.fast_receive, config.fast_send);
        let mut net = Net::new(config);
        let alice = net.join("room", "alice");
        let bob = net.join("room", "bob");
        net.talk(&[alice, bob], 0, 60);
        net.run_for(Duration::from_millis(200));
        let stats = net.sfu.stats();
        if fast_in {
            assert!(
                stats.rtp_fast_in > 150,
                "most packets came in fast: {stats:?}"
            );
        } else {
            assert_eq!(stats.rtp_fast_in, 0);
        }
        if fast_out {
            // The first packets of each stream go through `rtc`, until the
            // subscriber's address is known.
            assert!(
                stats.rtp_fast_out * 10 >= stats.rtp_forwarded * 7,
                "most copies went out fast: {stats:?}"
            );
        } else {
            assert_eq!(stats.rtp_fast_out, 0);
        }
        assert_eq!(stats.datagrams_dropped, 0, "{stats:?}");
        runs.push((net.received_list(alice), net.received_list(bob)));
    }
    assert!(runs[0].1.len() >= 100, "{}", runs[0].1.len());
    assert_eq!(
        runs[0], runs[1],
        "the receive leg forwards what the pipeline does"
    );
    assert_eq!(runs[0], runs[2], "so do both legs");
}

#[test]
fn packets_carry_one_transport_wide_numbering_per_subscriber() {
    let mut net = Net::new(fast_send());
    let alice = net.join("room", "alice");
    let bob = net.join("room", "bob");
    net.talk(&[alice], 0, 20);
    let transport_cc: u8 = net.signals_of(bob, "offer")[0]["sdp"]
        .as_str()
        .unwrap()
        .lines()
        .find_map(|l| {
            let rest = l.strip_prefix("a=extmap:")?;
            rest.ends_with(rtc::sdp::extmap::TRANSPORT_CC_URI)
                .then(|| rest.split([' ', '/']).next()?.parse().ok())?
        })
        .expect("transport-cc offered");
    net.tap = Some(Vec::new());
    net.talk(&[alice], 20, 40);
    // The header and its extensions are in the clear (SRTP encrypts the
    // payload): audio and video share one counter, with no gap or repeat.
    let numbers: Vec<u16> = tapped_to(&net, bob)
        .filter_map(RtpView::parse_protected)
        .filter_map(|p| {
            let value = p.extension(transport_cc)?;
            Some(u16::from_be_bytes([value[0], value[1]]))
        })
        .collect();
    assert!(numbers.len() >= 75, "{}", numbers.len());
    for pair in numbers.windows(2) {
        assert_eq!(pair[1], pair[0].wrapping_add(1), "{numbers:?}");
    }
}

#[test]
fn a_lost_packet_is_resent_on_the_repair_flow() {
    let mut net = Net::new(fast_send());
    let alice = net.join("room", "alice");
    let bob = net.join("room", "bob");
    net.talk(&[alice], 0, 20);
    let vp8 = net.payload_type_in(bob, "offer", "VP8/90000");
    net.clients[bob].lose_rtp = Some((vp8, 1));
    net.tap = Some(Vec::new());
    net.talk(&[alice], 20, 20);
    net.run_for(Duration::from_millis(500));
    let stats = net.sfu.stats();
    assert_eq!(net.clients[bob].lose_rtp, Some((vp8, 0)), "one was lost");
    assert!(stats.rtp_retransmitted >= 1, "{stats:?}");
    let rtx = net.signals_of(bob, "offer")[0]["sdp"]
        .as_str()
        .unwrap()
        .lines()
        .find_map(|l| {
            let (pt, params) = l.strip_prefix("a=fmtp:")?.split_once(' ')?;
            (params.trim() == format!("apt={vp8}")).then(|| pt.parse::<u8>().ok())?
        })
        .expect("RTX offered");
    let resent = tapped_to(&net, bob)
        .filter_map(RtpView::parse_protected)
        .filter(|p| p.payload_type() == rtx)
        .count();
    assert!(resent >= 1, "resent on the repair flow");
    net.video_received_without_gap(bob);
}

#[test]
fn subscribers_feedback_makes_an_estimate_and_caps_the_publishers() {
    let mut net = Net::new(fast_send());
    let alice = net.join("room", "alice");
    let bob = net.join("room", "bob");
    net.talk(&[alice], 0, 10);
    assert_eq!(net.sfu.stats().bitrate_caps_sent, 0, "no feedback yet");
    net.talk(&[alice, bob], 10, 150);
    let stats = net.sfu.stats();
    assert!(stats.bitrate_caps_sent >= 2, "{stats:?}");
    assert!(stats.rtp_fast_out > 0, "{stats:?}");
}

#[test]
fn a_subscriber_hears_our_sender_reports_once_a_second() {
    let mut net = Net::new(fast_send());
    let alice = net.join("room", "alice");
    let bob = net.join("room", "bob");
    net.talk(&[alice], 0, 20);
    net.tap = Some(Vec::new());
    net.talk(&[alice], 20, 150);
    // SRTCP leaves the first eight bytes in the clear: count the compounds
    // by their first packet, and the SRs among them by type.
    let mut first: BTreeMap<u8, usize> = BTreeMap::new();
    for data in tapped_to(&net, bob) {
        if data.len() > 8 && (192..=223).contains(&data[1]) {
            *first.entry(data[1]).or_default() += 1;
        }
    }
    // Three seconds: a report compound each second, led by the SRs of the
    // two streams we send bob (one compound: `feedback` writes them
    // together with its RR).
    let reports = first.get(&200).copied().unwrap_or(0);
    assert!((2..=4).contains(&reports), "{first:?}");
}
