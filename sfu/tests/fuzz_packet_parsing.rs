//! Fuzz target: the parsers a datagram from the network meets inside the
//! SFU's engine (webrtc-rs `rtc`, see `sfu/src/engine`) and in our own
//! forwarding code (`sfu/src/forward`): STUN decoding and the attribute
//! checks ICE-lite runs (USERNAME, MESSAGE-INTEGRITY, FINGERPRINT,
//! XOR-MAPPED-ADDRESS), DTLS records, SRTP/SRTCP unprotect, RTP and RTCP
//! unmarshalling with what `engine/read.rs` then reads off the packets
//! (header extensions, NACK lists, PLI/FIR SSRCs), and the keyframe
//! detection of `forward::codec` and `forward::dependency_descriptor`. Hostile input must give an error or a
//! value, never a panic; the SRTP layer must round-trip what it protects.

mod fuzz_support;

use bytes::Bytes;
use fuzz_support::datagram_seeds;
use fuzz_support::mutate::mutated_bytes;
use proptest::prelude::*;
use rtc::crypto::providers::RingCrypto;
use rtc::rtcp::payload_feedbacks::full_intra_request::FullIntraRequest;
use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtc::rtcp::transport_feedbacks::transport_layer_nack::TransportLayerNack;
use rtc::shared::marshal::{Marshal, Unmarshal};
use rtc::srtp::context::Context;
use rtc::srtp::protection_profile::ProtectionProfile;
use rtc::stun::attributes::{ATTR_USERNAME, ATTR_XORMAPPED_ADDRESS};
use rtc::stun::fingerprint::FINGERPRINT;
use rtc::stun::integrity::MessageIntegrity;
use rtc::stun::message::{Message, is_stun_message};
use rtc::stun::textattrs::TextAttribute;
use rtc::stun::xoraddr::XorMappedAddress;
use sfu::forward::codec::{Codec, h264_starts_keyframe, vp8_starts_keyframe};
use sfu::forward::dependency_descriptor::{self, DependencyDescriptor};

/// As the ICE agent does it (`rtc-ice` `handle_inbound_candidate_msg`):
/// decode, then read and check what a binding request carries.
fn parse_stun(datagram: &[u8]) {
    if !is_stun_message(datagram) {
        return;
    }
    let mut m = Message {
        raw: datagram.to_vec(),
        ..Message::default()
    };
    if m.decode().is_err() {
        return;
    }
    let _ = TextAttribute::get_from_as(&m, ATTR_USERNAME);
    let _ = FINGERPRINT.check(&m);
    let mut xor = XorMappedAddress::default();
    let _ = xor.get_from_as(&m, ATTR_XORMAPPED_ADDRESS);
    let _ = MessageIntegrity::check(&mut m, b"password-password-pw", &RingCrypto);
}

/// A DTLS datagram, record by record, as far as the records parse.
fn parse_dtls(datagram: &[u8]) {
    let mut reader = datagram;
    for _ in 0..16 {
        if reader.is_empty()
            || rtc::dtls::record_layer::RecordLayer::unmarshal(&mut reader).is_err()
        {
            return;
        }
    }
}

/// RTP as `engine/read.rs` reads it, then the forwarder's keyframe check.
fn parse_rtp(datagram: &[u8]) {
    let Ok(packet) = rtc::rtp::Packet::unmarshal(&mut &datagram[..]) else {
        return;
    };
    for id in 0..=15u8 {
        if let Some(extension) = packet.header.get_extension(id) {
            let _ = DependencyDescriptor::parse(&extension);
            let _ = dependency_descriptor::starts_keyframe(&extension);
        }
    }
    let _ = packet.header.get_extension_ids();
    let payload = &packet.payload;
    let _ = vp8_starts_keyframe(payload);
    let _ = h264_starts_keyframe(payload);
    for mime in ["audio/opus", "video/VP8", "video/H264", "video/AV1"] {
        let _ = Codec::from_mime(mime).starts_keyframe(payload);
        let _ = Codec::from_mime(mime).packet_starts_keyframe(None, payload);
    }
    // What parses must marshal again (the SFU re-sends headers it read).
    let _ = packet.marshal();
}

/// RTCP as `engine/read.rs` and the interceptors read it.
fn parse_rtcp(datagram: &[u8]) {
    let Ok(packets) = rtc::rtcp::packet::unmarshal(&mut Bytes::copy_from_slice(datagram)) else {
        return;
    };
    for packet in &packets {
        let _ = packet.header();
        let _ = packet.destination_ssrc();
        let any = packet.as_any();
        if let Some(nack) = any.downcast_ref::<TransportLayerNack>() {
            let lost: Vec<u16> = nack.nacks.iter().flat_map(|p| p.packet_list()).collect();
            assert!(lost.len() <= nack.nacks.len() * 17);
        } else if let Some(pli) = any.downcast_ref::<PictureLossIndication>() {
            assert_eq!(
                rtc::rtcp::Packet::destination_ssrc(pli),
                vec![pli.media_ssrc]
            );
        } else if let Some(fir) = any.downcast_ref::<FullIntraRequest>() {
            // The engine asks for a keyframe per entry.
            assert!(fir.fir.len() * 8 <= datagram.len());
        }
        let _ = packet.marshal_size();
        let _ = packet.marshal();
    }
}

/// Twin SRTP contexts with one fixed key, as after a DTLS handshake.
fn srtp_pair() -> (Context, Context) {
    let key = [7u8; 16];
    let salt = [9u8; 14];
    let make = || {
        Context::new(
            &key,
            &salt,
            ProtectionProfile::Aes128CmHmacSha1_80,
            None,
            None,
            &RingCrypto,
        )
        .expect("an SRTP context")
    };
    (make(), make())
}

proptest! {
    #![proptest_config(fuzz_config!("fuzz_packet_parsing", 20000))]

    /// Every parser on every input: a datagram's first byte decides which
    /// parser the SFU uses, but a fuzzer should not trust that.
    #[test]
    fn parsers_return_an_error_or_a_value(datagram in mutated_bytes(datagram_seeds(), 1500)) {
        parse_stun(&datagram);
        parse_dtls(&datagram);
        parse_rtp(&datagram);
        parse_rtcp(&datagram);
        // Unprotecting: a forged or damaged SRTP/SRTCP packet is an error.
        let (mut ours, _) = srtp_pair();
        let _ = ours.decrypt_rtp(&datagram);
        let _ = ours.decrypt_rtcp(&datagram);
    }

    /// What one side protects, the other unprotects to the same bytes.
    /// As in `rtc` (`peer_connection/handler/srtp.rs`), what gets
    /// protected is always a packet `rtc` marshalled itself, so that is
    /// what is protected here: whatever parsed, marshalled again. (Raw
    /// bytes whose RTP header re-marshals longer than they are make
    /// `rtc-srtp` 0.21.1's `Context::encrypt_rtp` index past its buffer
    /// and panic; the SFU never protects bytes it did not marshal.)
    #[test]
    fn srtp_round_trips_what_it_protects(datagram in mutated_bytes(datagram_seeds(), 1500)) {
        if let Ok(packet) = rtc::rtp::Packet::unmarshal(&mut &datagram[..])
            && let Ok(plain) = packet.marshal()
        {
            let (mut sender, mut receiver) = srtp_pair();
            // Refusing (too short to protect) is fine; protecting wrongly is not.
            if let Ok(protected) = sender.encrypt_rtp(&plain) {
                let unprotected = receiver.decrypt_rtp(&protected);
                prop_assert!(unprotected.is_ok(), "{unprotected:?}");
                prop_assert_eq!(&unprotected.unwrap()[..], &plain[..]);
            }
        }
        if let Ok(packets) = rtc::rtcp::packet::unmarshal(&mut Bytes::copy_from_slice(&datagram))
            && let Ok(plain) = rtc::rtcp::packet::marshal(&packets)
        {
            let (mut sender, mut receiver) = srtp_pair();
            if let Ok(protected) = sender.encrypt_rtcp(&plain) {
                let unprotected = receiver.decrypt_rtcp(&protected);
                prop_assert!(unprotected.is_ok(), "{unprotected:?}");
                let unprotected = unprotected.unwrap();
                prop_assert_eq!(&unprotected[..], &plain[..]);
                parse_rtcp(&unprotected);
            }
        }
    }
}
