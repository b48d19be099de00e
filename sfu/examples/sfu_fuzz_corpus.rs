//! Writes the seeds of the SFU's fuzz corpus (`sfu/tests/fuzz_corpus/`)
//! that come from the project's own code paths: a call between two testkit
//! peers and the sans-IO core under a fake clock, with every datagram
//! tapped, and the RTP/RTCP the SFU parses after SRTP, marshalled by the
//! same `rtc` types. Run once, output committed; the fuzz targets only read
//! the files (`tests/fuzz_corpus/README.md` says how each seed was made).
//!
//! `cargo run -p confide-sfu --example sfu_fuzz_corpus` rewrites the files. The
//! ICE credentials, DTLS keys and SRTP keys differ on every run, so the
//! bytes differ too; what matters is that each seed is real traffic of its
//! kind.

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::Bytes;
use rtc::rtcp::goodbye::Goodbye;
use rtc::rtcp::payload_feedbacks::full_intra_request::{FirEntry, FullIntraRequest};
use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtc::rtcp::payload_feedbacks::receiver_estimated_maximum_bitrate::ReceiverEstimatedMaximumBitrate;
use rtc::rtcp::receiver_report::ReceiverReport;
use rtc::rtcp::reception_report::ReceptionReport;
use rtc::rtcp::sender_report::SenderReport;
use rtc::rtcp::source_description::{
    SdesType, SourceDescription, SourceDescriptionChunk, SourceDescriptionItem,
};
use rtc::rtcp::transport_feedbacks::transport_layer_nack::{NackPair, TransportLayerNack};
use rtc::rtp_transceiver::rtp_sender::RtpCodecKind;
use rtc::shared::marshal::Marshal;
use sfu::core::SfuConfig;
use support::{Net, Tapped};
use testkit::peer::{MIME_TYPE_H264, Peer, Publish};

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_corpus");
    let datagrams = root.join("datagrams");
    let sdp = root.join("sdp");
    std::fs::create_dir_all(&datagrams).unwrap();
    std::fs::create_dir_all(&sdp).unwrap();
    call_seeds(&datagrams, &sdp);
    plain_seeds(&datagrams);
    let now = std::time::Instant::now();
    let (_, h264) = Peer::publishing(
        "127.0.0.1:40100".parse().unwrap(),
        now,
        &Publish {
            audio_ssrc: Some(1),
            video: Some((MIME_TYPE_H264, 2)),
            audio_level: false,
            dependency_descriptor: false,
        },
    )
    .unwrap();
    write(&sdp, "testkit_offer_h264.sdp", h264.as_bytes());
    println!("corpus written under {}", root.display());
}

fn write(dir: &Path, name: &str, data: &[u8]) {
    std::fs::write(dir.join(name), data).unwrap();
    println!("{name}: {} bytes", data.len());
}

/// A call (alice publishes, bob subscribes and complains): every kind of
/// datagram a browser sends the SFU, and the SDP of both negotiations.
fn call_seeds(datagrams: &Path, sdp: &Path) {
    let mut net = Net::new(SfuConfig::default());
    net.tap = Some(Vec::new());
    let alice = net.join("room", "alice");
    let bob = net.join("room", "bob");
    net.clients[alice].audio_level = Some(30);
    for seq in 0..40u16 {
        net.send(alice, seq, seq % 10 == 0);
        net.run_for(Duration::from_millis(20));
    }
    // Bob asks for a keyframe (PLI, FIR), reports a bitrate (REMB) and a
    // loss (NACK) about the video the SFU sends him, on his own receivers:
    // the SRTCP a browser sends.
    let video_ssrc = net.clients[bob]
        .received
        .iter()
        .find(|r| r.kind == RtpCodecKind::Video)
        .map(|r| r.ssrc)
        .expect("bob receives video");
    let now = net.now;
    let receivers: Vec<_> = net.clients[bob].peer.pc.get_receivers().collect();
    let feedback: Vec<Box<dyn rtc::rtcp::Packet>> = vec![
        Box::new(PictureLossIndication {
            sender_ssrc: 1,
            media_ssrc: video_ssrc,
        }),
        Box::new(FullIntraRequest {
            sender_ssrc: 1,
            media_ssrc: video_ssrc,
            fir: vec![FirEntry {
                ssrc: video_ssrc,
                sequence_number: 1,
            }],
        }),
        Box::new(ReceiverEstimatedMaximumBitrate {
            sender_ssrc: 1,
            bitrate: 1_500_000.0,
            ssrcs: vec![video_ssrc],
        }),
        Box::new(TransportLayerNack {
            sender_ssrc: 1,
            media_ssrc: video_ssrc,
            nacks: vec![NackPair {
                packet_id: 5,
                lost_packets: 0b101,
            }],
        }),
    ];
    for packet in feedback {
        let mut receiver = net.clients[bob].peer.pc.rtp_receiver(receivers[0]).unwrap();
        receiver.write_rtcp(now, vec![packet]).unwrap();
        net.run_for(Duration::from_millis(5));
    }
    // Reports and TWCC feedback run on timers.
    for seq in 40..100u16 {
        net.send(alice, seq, false);
        net.run_for(Duration::from_millis(20));
    }

    let tap = net.tap.take().unwrap();
    let to_sfu = |t: &&Tapped| t.to_sfu;
    let first = |pred: &dyn Fn(&Tapped) -> bool| tap.iter().find(|t| pred(t)).cloned();

    let stun_request = first(&|t| t.to_sfu && t.data.len() > 20 && t.data[..2] == [0, 1]);
    write(
        datagrams,
        "stun_binding_request.bin",
        &stun_request.expect("a binding request").data,
    );
    let stun_response = first(&|t| !t.to_sfu && t.data.len() > 20 && t.data[..2] == [1, 1]);
    write(
        datagrams,
        "stun_binding_success.bin",
        &stun_response.expect("a binding response").data,
    );
    // The DTLS handshake, both ways, flight by flight (alice's call only).
    let dtls: Vec<&Tapped> = tap
        .iter()
        .filter(|t| t.client == alice && (20..=63).contains(&t.data[0]))
        .take(8)
        .collect();
    for (n, t) in dtls.iter().enumerate() {
        let what = match (t.data[0], t.data.get(13)) {
            (22, Some(1)) => "client_hello",
            (22, Some(2)) => "server_hello",
            (22, Some(3)) => "hello_verify_request",
            (22, Some(11)) => "certificate",
            (22, Some(16)) => "client_key_exchange",
            (22, _) => "handshake",
            (20, _) => "change_cipher_spec",
            (21, _) => "alert",
            (23, _) => "application_data",
            _ => "record",
        };
        let dir = if t.to_sfu { "to_sfu" } else { "from_sfu" };
        write(datagrams, &format!("dtls_{n:02}_{dir}_{what}.bin"), &t.data);
    }
    // SRTP: alice's Opus and VP8, as the SFU receives them.
    let srtp = |pt: u8| {
        tap.iter()
            .filter(to_sfu)
            .find(|t| {
                t.client == alice && (128..=191).contains(&t.data[0]) && t.data[1] & 0x7f == pt
            })
            .cloned()
    };
    write(
        datagrams,
        "srtp_rtp_opus.bin",
        &srtp(111).expect("opus").data,
    );
    write(datagrams, "srtp_rtp_vp8.bin", &srtp(96).expect("vp8").data);
    // SRTCP by its first packet's type and format (the first 8 bytes are
    // in the clear): one of each kind that either client sent.
    let kinds: [(&str, u8, Option<u8>); 7] = [
        ("sender_report", 200, None),
        ("receiver_report", 201, None),
        ("nack", 205, Some(1)),
        ("twcc", 205, Some(15)),
        ("pli", 206, Some(1)),
        ("fir", 206, Some(4)),
        ("remb", 206, Some(15)),
    ];
    for (name, packet_type, format) in kinds {
        let found = tap.iter().filter(to_sfu).find(|t| {
            (128..=191).contains(&t.data[0])
                && t.data[1] == packet_type
                && format.is_none_or(|f| t.data[0] & 0x1f == f)
        });
        match found {
            Some(t) => write(datagrams, &format!("srtcp_{name}.bin"), &t.data),
            None => println!("srtcp_{name}: none sent in this call"),
        }
    }

    let signal_sdp = |i: usize, kind: &str| {
        net.signals_of(i, kind)[0]["sdp"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    write(
        sdp,
        "sfu_answer.sdp",
        signal_sdp(alice, "answer").as_bytes(),
    );
    write(sdp, "sfu_offer.sdp", signal_sdp(bob, "offer").as_bytes());
    let (_, answer) = Peer::answering(
        "127.0.0.1:40201".parse().unwrap(),
        net.now,
        signal_sdp(bob, "offer"),
    )
    .unwrap();
    write(sdp, "testkit_answer.sdp", answer.as_bytes());
    let (_, offer) = Peer::publishing(
        "127.0.0.1:40200".parse().unwrap(),
        net.now,
        &Publish {
            audio_ssrc: Some(1000),
            video: Some((testkit::peer::MIME_TYPE_VP8, 2000)),
            audio_level: true,
            dependency_descriptor: false,
        },
    )
    .unwrap();
    write(sdp, "testkit_offer_vp8.sdp", offer.as_bytes());
}

/// RTP and RTCP as the SFU's engine parses them once SRTP is removed,
/// marshalled by `rtc`'s own types.
fn plain_seeds(datagrams: &Path) {
    let mut opus = rtc::rtp::Packet {
        header: rtc::rtp::Header {
            version: 2,
            marker: true,
            payload_type: 111,
            sequence_number: 7,
            timestamp: 6720,
            ssrc: 1000,
            ..Default::default()
        },
        payload: Bytes::from_static(b"alice-audio-7"),
    };
    opus.header
        .set_extension(1, Bytes::from_static(&[0x80 | 30]))
        .unwrap();
    let vp8 = rtc::rtp::Packet {
        header: rtc::rtp::Header {
            version: 2,
            marker: true,
            payload_type: 96,
            sequence_number: 8,
            timestamp: 24_000,
            ssrc: 2000,
            ..Default::default()
        },
        payload: testkit::media::video("alice", 8, true, testkit::peer::MIME_TYPE_VP8),
    };
    let h264 = rtc::rtp::Packet {
        header: rtc::rtp::Header {
            version: 2,
            marker: true,
            payload_type: 102,
            sequence_number: 9,
            timestamp: 27_000,
            ssrc: 2000,
            ..Default::default()
        },
        // STAP-A: SPS, PPS, then an IDR slice.
        payload: Bytes::from_static(&[
            0x78, 0x00, 0x04, 0x67, 0x42, 0xc0, 0x1f, 0x00, 0x03, 0x68, 0xce, 0x3c, 0x00, 0x02,
            0x65, 0x88,
        ]),
    };
    for (name, packet) in [
        ("plain_rtp_opus_audio_level.bin", opus),
        ("plain_rtp_vp8_keyframe.bin", vp8),
        ("plain_rtp_h264_stap_a.bin", h264),
    ] {
        write(datagrams, name, &packet.marshal().unwrap());
    }

    let report = ReceptionReport {
        ssrc: 2000,
        fraction_lost: 3,
        total_lost: 12,
        last_sequence_number: 0x0001_0040,
        jitter: 40,
        last_sender_report: 0x1234_5678,
        delay: 655,
    };
    let sr = SenderReport {
        ssrc: 2000,
        ntp_time: 0xe6a1_2b3c_4d5e_6f70,
        rtp_time: 27_000,
        packet_count: 100,
        octet_count: 12_000,
        reports: vec![report.clone()],
        profile_extensions: Bytes::new(),
    };
    let rr = ReceiverReport {
        ssrc: 1,
        reports: vec![report],
        profile_extensions: Bytes::new(),
    };
    let sdes = SourceDescription {
        chunks: vec![SourceDescriptionChunk {
            source: 1,
            items: vec![SourceDescriptionItem {
                sdes_type: SdesType::SdesCname,
                text: Bytes::from_static(b"bob-cname"),
            }],
        }],
    };
    let bye = Goodbye {
        sources: vec![1000, 2000],
        reason: Bytes::from_static(b"left"),
    };
    let packets: Vec<(&str, Vec<Box<dyn rtc::rtcp::Packet>>)> = vec![
        ("plain_rtcp_sender_report.bin", vec![Box::new(sr)]),
        (
            "plain_rtcp_rr_sdes_compound.bin",
            vec![Box::new(rr), Box::new(sdes)],
        ),
        (
            "plain_rtcp_nack.bin",
            vec![Box::new(TransportLayerNack {
                sender_ssrc: 1,
                media_ssrc: 2000,
                nacks: vec![NackPair {
                    packet_id: 100,
                    lost_packets: 0x8001,
                }],
            })],
        ),
        (
            "plain_rtcp_pli.bin",
            vec![Box::new(PictureLossIndication {
                sender_ssrc: 1,
                media_ssrc: 2000,
            })],
        ),
        (
            "plain_rtcp_fir.bin",
            vec![Box::new(FullIntraRequest {
                sender_ssrc: 1,
                media_ssrc: 2000,
                fir: vec![FirEntry {
                    ssrc: 2000,
                    sequence_number: 3,
                }],
            })],
        ),
        (
            "plain_rtcp_remb.bin",
            vec![Box::new(ReceiverEstimatedMaximumBitrate {
                sender_ssrc: 1,
                bitrate: 2_500_000.0,
                ssrcs: vec![1000, 2000],
            })],
        ),
        ("plain_rtcp_bye.bin", vec![Box::new(bye)]),
    ];
    for (name, packets) in packets {
        write(
            datagrams,
            name,
            &rtc::rtcp::packet::marshal(&packets).unwrap(),
        );
    }
    // TWCC feedback: example 2 of draft-holmer-rmcat-transport-wide-cc-
    // extensions-01 §3.1, the vector `rtc`'s own tests use.
    write(
        datagrams,
        "plain_rtcp_twcc.bin",
        &[
            0xaf, 0xcd, 0x00, 0x06, 0xfa, 0x17, 0xfa, 0x17, 0x19, 0x3d, 0xd8, 0xbb, 0x01, 0x74,
            0x00, 0x0e, 0x45, 0xb1, 0x5a, 0x40, 0xd8, 0x00, 0xf0, 0xff, 0xd0, 0x00, 0x00, 0x03,
        ],
    );
    // RFC 5769 §2.1: the sample binding request (USERNAME "evtj:h6vY",
    // MESSAGE-INTEGRITY, FINGERPRINT) the demultiplexer's unit test uses.
    write(
        datagrams,
        "stun_rfc5769_request.bin",
        &[
            0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
            0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10, 0x53, 0x54, 0x55, 0x4e,
            0x20, 0x74, 0x65, 0x73, 0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x00, 0x24,
            0x00, 0x04, 0x6e, 0x00, 0x01, 0xff, 0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1,
            0x51, 0x26, 0x3b, 0x36, 0x00, 0x06, 0x00, 0x09, 0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68,
            0x36, 0x76, 0x59, 0x20, 0x20, 0x20, 0x00, 0x08, 0x00, 0x14, 0x9a, 0xea, 0xa7, 0x0c,
            0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49, 0xc1, 0xb5,
            0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf,
        ],
    );
}
