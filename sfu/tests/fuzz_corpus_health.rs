//! The fuzz corpus (`tests/fuzz_corpus/`) is what its names say: STUN
//! seeds decode as STUN, DTLS seeds as DTLS records, SRTP and SRTCP seeds
//! sit in the media range, plain RTP and RTCP parse, every SDP parses and
//! the browser offers are ones the SFU answers. A corpus that silently
//! rotted (a truncated file, an offer the SFU refuses) would leave the
//! fuzz targets mutating the wrong things.

mod fuzz_support;
mod support;

use std::io::Cursor;

use bytes::Bytes;
use rtc::sdp::description::session::SessionDescription;
use rtc::shared::marshal::Unmarshal;
use rtc::stun::message::Message;
use sfu::core::{RoomScope, SfuConfig};
use sfu::demux::{DatagramKind, classify, stun_integrity_ok, stun_local_ufrag};
use sfu::signal::{FromParticipant, ToParticipant};
use support::Net;

#[test]
fn every_datagram_seed_is_what_its_name_says() {
    let seeds = fuzz_support::named_datagram_seeds();
    for prefix in [
        "stun_",
        "dtls_",
        "srtp_rtp_",
        "srtcp_",
        "plain_rtp_",
        "plain_rtcp_",
    ] {
        assert!(
            seeds.iter().any(|(name, _)| name.starts_with(prefix)),
            "no {prefix}* seed"
        );
    }
    for (name, bytes) in &seeds {
        let kind = classify(bytes);
        if name.starts_with("stun_") {
            assert_eq!(kind, DatagramKind::Stun, "{name}");
            let mut m = Message {
                raw: bytes.clone(),
                ..Message::default()
            };
            m.decode().unwrap_or_else(|err| panic!("{name}: {err}"));
        } else if name.starts_with("dtls_") {
            assert_eq!(kind, DatagramKind::Dtls, "{name}");
            rtc::dtls::record_layer::RecordLayer::unmarshal(&mut &bytes[..])
                .unwrap_or_else(|err| panic!("{name}: {err}"));
        } else if name.starts_with("srtp_") || name.starts_with("srtcp_") {
            assert_eq!(kind, DatagramKind::Media, "{name}");
        } else if name.starts_with("plain_rtp_") {
            rtc::rtp::Packet::unmarshal(&mut &bytes[..])
                .unwrap_or_else(|err| panic!("{name}: {err}"));
        } else if name.starts_with("plain_rtcp_") {
            rtc::rtcp::packet::unmarshal(&mut Bytes::copy_from_slice(bytes))
                .unwrap_or_else(|err| panic!("{name}: {err}"));
        } else {
            panic!("{name}: a seed of no known kind");
        }
    }
    // The browser-style request names a ufrag; the RFC sample verifies.
    let seed = |n: &str| &seeds.iter().find(|(name, _)| name == n).unwrap().1;
    assert!(stun_local_ufrag(seed("stun_binding_request.bin")).is_some());
    assert!(stun_integrity_ok(
        seed("stun_rfc5769_request.bin"),
        "VOkJxbRl1RmTxUk/WvJxBt"
    ));
}

#[test]
fn every_sdp_seed_parses_and_the_sfu_answers_the_client_offers() {
    let files =
        fuzz_support::corpus_files(env!("CARGO_MANIFEST_DIR"), "tests/fuzz_corpus/sdp", "sdp");
    assert!(files.len() >= 8, "{} SDP seeds", files.len());
    let mut net = Net::new(SfuConfig::default());
    for (name, bytes) in files {
        let sdp = String::from_utf8(bytes).unwrap();
        SessionDescription::unmarshal(&mut Cursor::new(sdp.as_bytes()))
            .unwrap_or_else(|err| panic!("{name}: {err}"));
        if !name.contains("_offer") || name.starts_with("sfu_") {
            continue;
        }
        // One participant per offer, so each is a first offer.
        let key = net
            .sfu
            .join(net.now, "room", &name, RoomScope::Any)
            .unwrap()
            .participant;
        net.sfu.handle_signal(
            net.now,
            key,
            FromParticipant::Offer {
                sdp,
                tracks: Vec::new(),
            },
        );
        net.pump();
        let answered = net
            .stray
            .iter()
            .any(|(k, m)| *k == key && matches!(m, ToParticipant::Answer { .. }));
        assert!(answered, "{name} is answered: {:?}", net.stray);
    }
}
