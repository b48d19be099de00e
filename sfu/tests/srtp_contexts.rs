//! `RTCPeerConnection::srtp_contexts`, the accessor Confide adds to `rtc`
//! (`vendor/rtc-srtp-contexts.patch`) for the forwarding fast path
//! (`docs/design/srtp-fast-path.md`): it returns the very contexts the
//! pipeline protects and checks with, never copies. That is what makes
//! moving media beside the pipeline safe: one rollover counter per SSRC,
//! one replay window, whichever of the two handles a packet.

mod support;

use std::time::{Duration, Instant};

use bytes::BytesMut;
use rtc::rtp_transceiver::rtp_sender::RtpCodecKind;
use rtc::shared::marshal::{Marshal, Unmarshal};
use sfu::core::SfuConfig;
use support::Net;
use testkit::peer::{Peer, Publish};

#[test]
fn there_are_none_before_the_handshake() {
    let local = "127.0.0.1:40999".parse().unwrap();
    let (mut peer, _offer) =
        Peer::publishing(local, Instant::now(), &Publish::audio_video(7000)).unwrap();
    assert!(peer.pc.srtp_contexts().is_none());
}

#[test]
fn they_are_the_pipelines_own_contexts() {
    let mut net = Net::new(SfuConfig::default());
    let alice = net.join("room", "alice");
    let bob = net.join("room", "bob");
    for seq in 0..10 {
        net.send(alice, seq, seq == 0);
        net.run_for(Duration::from_millis(20));
    }
    assert!(net.received_from(bob, RtpCodecKind::Audio, "alice") > 0);

    // The network holds back the next audio packet the SFU sends bob.
    let opus = net.payload_type_in(bob, "offer", "opus/48000");
    net.clients[bob].lose_rtp = Some((opus, 1));
    net.tap = Some(Vec::new());
    net.send(alice, 10, false);
    net.run_for(Duration::from_millis(20));
    let held: BytesMut = net
        .tap
        .take()
        .unwrap()
        .into_iter()
        .find(|t| t.client == bob && !t.to_sfu && t.data.len() > 12 && t.data[1] & 0x7f == opus)
        .expect("the SFU sent bob alice's audio")
        .data;
    let before = net.received_from(bob, RtpCodecKind::Audio, "alice");

    // Bob's remote context, from the accessor, unprotects it: it holds the
    // keys and the rollover counter the pipeline has been using.
    // In place (vendor/rtc-srtp-in-place.patch): no new buffer.
    let (_, remote) = net.clients[bob]
        .peer
        .pc
        .srtp_contexts()
        .expect("after DTLS");
    let mut plain = held.clone();
    let at = plain.as_ptr();
    remote
        .decrypt_rtp_in_place(&mut plain)
        .expect("the pipeline's own keys");
    assert_eq!(plain.as_ptr(), at);
    assert!(
        remote.decrypt_rtp(&held).is_err(),
        "a second unprotect is a replay"
    );
    let packet = rtc::rtp::Packet::unmarshal(&mut &plain[..]).unwrap();
    assert_eq!(&packet.payload[..], b"alice-audio-10");

    // It is the same replay window too: the pipeline now refuses the packet.
    let (now, server) = (net.now, net.server_addr());
    net.clients[bob].peer.handle_datagram(now, server, held);
    net.run_for(Duration::from_millis(20));
    assert_eq!(net.received_from(bob, RtpCodecKind::Audio, "alice"), before);

    // Alice's local context protects a packet of her own making; the
    // SFU's pipeline accepts it as the next of her stream and bob gets it.
    let ssrc = net.clients[alice].peer.audio.as_ref().unwrap().ssrc;
    let opus_up = net.clients[alice]
        .peer
        .payload_type(RtpCodecKind::Audio)
        .unwrap();
    let mine = rtc::rtp::Packet {
        header: rtc::rtp::Header {
            version: 2,
            marker: true,
            payload_type: opus_up,
            sequence_number: 11,
            timestamp: 11 * 960,
            ssrc,
            ..Default::default()
        },
        payload: bytes::Bytes::from_static(b"alice-audio-11"),
    };
    let (local, _) = net.clients[alice].peer.pc.srtp_contexts().unwrap();
    let plain = mine.marshal().unwrap();
    let mut protected = BytesMut::with_capacity(plain.len() + 16);
    protected.extend_from_slice(&plain);
    let at = protected.as_ptr();
    local.encrypt_rtp_in_place(&mut protected).unwrap();
    assert_eq!(protected.as_ptr(), at, "the tag fit in the capacity");
    // The same bytes as rtc's own (allocating) encryption: same keys, same
    // rollover counter. (Protecting one packet twice reuses its nonce:
    // only one of the two is ever sent.)
    assert_eq!(protected, local.encrypt_rtp(&plain).unwrap());
    net.inject_from(alice, protected);
    net.run_for(Duration::from_millis(20));
    assert!(
        net.clients[bob]
            .received
            .iter()
            .any(|r| r.kind == RtpCodecKind::Audio && r.text() == "alice-audio-11"),
        "bob received the packet protected beside alice's pipeline"
    );
}
