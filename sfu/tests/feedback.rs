//! Tests for `sfu::feedback`, the RTCP feedback the coming SRTP fast path
//! writes itself. `rtc`'s interceptors, which write it today, are the
//! reference: the same packet arrivals through them, driven by hand, and
//! through `PeerFeedback` must give the same NACKs, TWCC feedback, receiver
//! and sender reports (both sides parsed with `sfu::wire::rtcp`), except
//! that a repaired packet is no longer NACKed. Then the tick timing under a
//! fake clock, and arbitrary input: never a panic, never a malformed
//! compound. Allocations are counted in `feedback_allocations.rs`.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use bytes::Bytes;
use proptest::prelude::*;
use proptest::test_runner::Config;
use rtc::interceptor::{
    AttributedPacket, Interceptor, NackGeneratorBuilder, Packet, RTCPFeedback, RTPHeaderExtension,
    ReceiverReportBuilder, Registry, SenderReportBuilder, Slot, StreamInfo, TaggedPacket,
    TwccReceiverBuilder,
};
use rtc::rtcp::sender_report::SenderReport;
use rtc::rtp::extension::transport_cc_extension::TransportCcExtension;
use rtc::sansio::Protocol;
use rtc::shared::TransportContext;
use rtc::shared::marshal::Marshal;
use sfu::feedback::{FeedbackConfig, PeerFeedback};
use sfu::wire::rtcp::{ReportBlock, RtcpPacket, packets};

const TRANSPORT_CC_URI: &str =
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";
const TRANSPORT_CC_ID: u8 = 3;
const VIDEO: u32 = 0xA0A0;
const AUDIO: u32 = 0xB0B0;
/// An SSRC nobody bound: a padding probe's, counted for TWCC only.
const PROBE: u32 = 0xD0D0;
const SENT: u32 = 0xC0C0;
const TICK: Duration = Duration::from_millis(100);

/// (media SSRC, base, reference time, feedback count, statuses): one
/// TWCC packet.
type TwccPacket = (u32, u16, u32, u8, Vec<(u16, Option<i32>)>);

/// What a tick's RTCP says, whoever wrote it, without the SSRCs `rtc`
/// draws at random.
#[derive(Debug, Default, PartialEq)]
struct Said {
    /// Media SSRC → NACKed sequence numbers.
    nacks: BTreeMap<u32, BTreeSet<u16>>,
    /// Transport sequence number → arrival time in µs as the receiver of
    /// the feedback rebuilds it (reference time + deltas), or `None` for
    /// reported lost.
    twcc: BTreeMap<u16, Option<i64>>,
    twcc_packets: Vec<TwccPacket>,
    /// Report blocks by the SSRC they are about.
    blocks: BTreeMap<u32, ReportBlock>,
    /// SSRC → (RTP timestamp, packets, octets).
    senders: BTreeMap<u32, (u32, u32, u32)>,
}

impl Said {
    fn read(&mut self, compound: &[u8]) {
        for packet in packets(compound) {
            match packet.expect("well-formed RTCP") {
                RtcpPacket::Nack(nack) => self
                    .nacks
                    .entry(nack.media_ssrc)
                    .or_default()
                    .extend(nack.lost_sequence_numbers()),
                RtcpPacket::TransportCc(twcc) => {
                    let mut time = i64::from(twcc.reference_time()) * 64_000;
                    for (sequence, delta) in twcc.statuses() {
                        let arrival = delta.map(|d| {
                            time += i64::from(d) * 250;
                            time
                        });
                        self.twcc.insert(sequence, arrival);
                    }
                    self.twcc_packets.push((
                        twcc.media_ssrc,
                        twcc.base_sequence_number(),
                        twcc.reference_time(),
                        twcc.feedback_packet_count(),
                        twcc.statuses().collect(),
                    ));
                }
                RtcpPacket::ReceiverReport(rr) => {
                    self.blocks.extend(rr.report_blocks().map(|b| (b.ssrc, b)))
                }
                RtcpPacket::SenderReport(sr) => {
                    let info = (sr.rtp_timestamp(), sr.packet_count(), sr.octet_count());
                    self.senders.insert(sr.sender_ssrc(), info);
                    self.blocks.extend(sr.report_blocks().map(|b| (b.ssrc, b)));
                }
                other => panic!("unexpected {other:?}"),
            }
        }
    }
}

/// `rtc`'s four interceptors as `engine/setup.rs` configures them, each in
/// its own chain so that nothing else touches its packets.
struct Reference {
    chains: Vec<Box<dyn Interceptor>>,
}

fn remote_info(ssrc: u32, clock_rate: u32, nack: bool) -> StreamInfo {
    StreamInfo {
        ssrc,
        clock_rate,
        rtcp_feedback: if nack {
            vec![RTCPFeedback {
                typ: "nack".into(),
                parameter: String::new(),
            }]
        } else {
            Vec::new()
        },
        rtp_header_extensions: vec![RTPHeaderExtension {
            uri: TRANSPORT_CC_URI.into(),
            id: u16::from(TRANSPORT_CC_ID),
        }],
        ..Default::default()
    }
}

fn tagged(now: Instant, packet: Packet) -> TaggedPacket {
    TaggedPacket {
        now,
        transport: TransportContext::default(),
        message: AttributedPacket::new(packet),
    }
}

impl Reference {
    fn new() -> Self {
        let chains: Vec<Box<dyn Interceptor>> = vec![
            Box::new(
                Registry::new()
                    .with(Slot::NackGenerator, NackGeneratorBuilder::new().build())
                    .build(),
            ),
            Box::new(
                Registry::new()
                    .with(Slot::TwccReceiver, TwccReceiverBuilder::new().build())
                    .build(),
            ),
            Box::new(
                Registry::new()
                    .with(Slot::ReceiverReport, ReceiverReportBuilder::new().build())
                    .build(),
            ),
            Box::new(
                Registry::new()
                    .with(Slot::SenderReport, SenderReportBuilder::new().build())
                    .build(),
            ),
        ];
        Reference { chains }
    }

    fn bind_remote(&mut self, info: &StreamInfo) {
        self.chains
            .iter_mut()
            .for_each(|c| c.bind_remote_stream(info));
    }

    fn bind_local(&mut self, info: &StreamInfo) {
        self.chains
            .iter_mut()
            .for_each(|c| c.bind_local_stream(info));
    }

    /// `packet` makes the packet for each chain (`TaggedPacket` is not
    /// `Clone`).
    fn read(&mut self, packet: impl Fn() -> TaggedPacket) {
        for chain in &mut self.chains {
            chain.handle_read(packet()).unwrap();
            while chain.poll_read().is_some() {}
        }
    }

    fn write(&mut self, packet: impl Fn() -> TaggedPacket) {
        for chain in &mut self.chains {
            chain.handle_write(packet()).unwrap();
        }
        self.drain_writes();
    }

    /// Runs the timers; returns the RTCP they wrote.
    fn tick(&mut self, now: Instant) -> Said {
        let mut said = Said::default();
        for chain in &mut self.chains {
            chain.handle_timeout(now).unwrap();
            while let Some(out) = chain.poll_write() {
                if let Packet::Rtcp(rtcp) = out.message.packet {
                    let bytes = rtc::rtcp::packet::marshal(&rtcp).expect("rtc marshals");
                    said.read(&bytes);
                }
            }
        }
        said
    }

    fn drain_writes(&mut self) {
        for chain in &mut self.chains {
            while let Some(out) = chain.poll_write() {
                assert!(matches!(out.message.packet, Packet::Rtp(_)));
            }
        }
    }
}

fn rtp(ssrc: u32, seq: u16, timestamp: u32, tseq: Option<u16>, payload_len: usize) -> Packet {
    let mut packet = rtc::rtp::Packet {
        header: rtc::rtp::header::Header {
            ssrc,
            sequence_number: seq,
            timestamp,
            payload_type: 96,
            ..Default::default()
        },
        payload: Bytes::from(vec![0u8; payload_len]),
    };
    if let Some(tseq) = tseq {
        let extension = TransportCcExtension {
            transport_sequence: tseq,
        };
        let value = extension.marshal().unwrap().freeze();
        packet.header.set_extension(TRANSPORT_CC_ID, value).unwrap();
    }
    Packet::Rtp(packet)
}

/// One received packet of the scenario.
struct Arrival {
    at: Instant,
    ssrc: u32,
    seq: u16,
    timestamp: u32,
    tseq: u16,
}

/// The scenario: 2.5 s of video (from sequence number 65500, so it
/// wraps) and audio with losses and reordering, padding probes on an
/// unbound SSRC, a publisher SR, and our own video sent.
fn arrivals(t0: Instant) -> Vec<Arrival> {
    let lost_video: BTreeSet<u16> = [65510, 65511, 65535, 0, 7, 40, 41, 42, 90].into();
    let lost_audio: BTreeSet<u16> = [1003, 1040].into();
    let mut arrivals = Vec::new();
    let mut tseq = 65000u16;
    for i in 0..250u32 {
        // One video packet every 10 ms, arriving up to 3 ms late; an audio
        // packet every 20 ms; a probe every 250 ms.
        let base = t0 + Duration::from_millis(u64::from(i) * 10);
        let seq = 65500u16.wrapping_add(i as u16);
        let late = Duration::from_micros(u64::from(i * 1337 % 3000));
        if !lost_video.contains(&seq) {
            arrivals.push(Arrival {
                at: base + late,
                ssrc: VIDEO,
                seq,
                timestamp: i / 3 * 3000,
                tseq,
            });
        }
        tseq = tseq.wrapping_add(1);
        if i % 2 == 0 {
            let seq = 1000 + (i / 2) as u16;
            if !lost_audio.contains(&seq) {
                arrivals.push(Arrival {
                    at: base + Duration::from_micros(500),
                    ssrc: AUDIO,
                    seq,
                    timestamp: i / 2 * 960,
                    tseq,
                });
            }
            tseq = tseq.wrapping_add(1);
        }
        if i % 25 == 12 {
            arrivals.push(Arrival {
                at: base + Duration::from_micros(700),
                ssrc: PROBE,
                seq: i as u16,
                timestamp: 0,
                tseq,
            });
            tseq = tseq.wrapping_add(1);
        }
    }
    // Reordering: a few neighbours swap their arrival order.
    for at in [30, 31, 120, 121, 200] {
        let later = arrivals[at + 1].at;
        arrivals[at + 1].at = arrivals[at].at;
        arrivals[at].at = later;
    }
    arrivals.sort_by_key(|a| a.at);
    arrivals
}

#[test]
fn feedback_matches_rtc_interceptors() {
    let t0 = Instant::now();
    let mut ours = PeerFeedback::new(FeedbackConfig {
        sender_ssrc: 77,
        ..FeedbackConfig::default()
    });
    let mut reference = Reference::new();
    ours.add_receive_stream(t0, VIDEO, 90_000, true);
    ours.add_receive_stream(t0, AUDIO, 48_000, false);
    ours.add_send_stream(t0, SENT, 90_000);
    reference.bind_remote(&remote_info(VIDEO, 90_000, true));
    reference.bind_remote(&remote_info(AUDIO, 48_000, false));
    reference.bind_local(&StreamInfo {
        ssrc: SENT,
        clock_rate: 90_000,
        ..Default::default()
    });

    // 90 is repaired by RTX at 1.35 s; `rtc` keeps NACKing it.
    let repaired = (t0 + Duration::from_millis(1350), 90u16);
    let publisher_sr = (t0 + Duration::from_millis(640), 0xE000_1234_5678_0000u64);
    let mut arrivals = arrivals(t0).into_iter().peekable();
    let mut sent_seq = 0u16;
    let (mut nack_ticks, mut report_ticks, mut twcc_packets) = (0, 0, 0);
    for tick in 1..=25u32 {
        let now = t0 + TICK * tick;
        while let Some(arrival) = arrivals.next_if(|a| a.at <= now) {
            let (at, tseq) = (arrival.at, Some(arrival.tseq));
            ours.on_rtp(at, arrival.ssrc, arrival.seq, arrival.timestamp, tseq);
            let (ssrc, seq, timestamp) = (arrival.ssrc, arrival.seq, arrival.timestamp);
            reference.read(|| tagged(at, rtp(ssrc, seq, timestamp, tseq, 100)));
        }
        if (now - TICK..now).contains(&repaired.0) {
            ours.on_repaired(VIDEO, repaired.1);
        }
        if (now - TICK..now).contains(&publisher_sr.0) {
            let (at, ntp) = publisher_sr;
            ours.on_sender_report(at, VIDEO, ntp);
            reference.read(|| {
                let sr = SenderReport {
                    ssrc: VIDEO,
                    ntp_time: ntp,
                    ..Default::default()
                };
                tagged(at, Packet::Rtcp(vec![Box::new(sr)]))
            });
        }
        // Our own video: a frame of three packets every 33 ms or so.
        for frame in 0..3u32 {
            let at = now - TICK + Duration::from_millis(u64::from(frame) * 33);
            for _ in 0..3 {
                let (timestamp, payload_len) =
                    ((tick * 3 + frame) * 2970, 900 + usize::from(sent_seq % 7));
                ours.on_sent(at, SENT, timestamp, payload_len);
                reference.write(|| tagged(at, rtp(SENT, sent_seq, timestamp, None, payload_len)));
                sent_seq = sent_seq.wrapping_add(1);
            }
        }

        assert_eq!(ours.poll_timeout(), Some(now), "tick {tick}");
        let mut said = Said::default();
        ours.handle_timeout(now, 0, |compound| said.read(compound));
        let mut expected = reference.tick(now);
        if now > repaired.0
            && let Some(video) = expected.nacks.get_mut(&VIDEO)
        {
            assert!(
                video.remove(&repaired.1),
                "rtc re-NACKs the repaired packet"
            );
            if video.is_empty() {
                expected.nacks.remove(&VIDEO);
            }
        }
        assert_eq!(said.nacks, expected.nacks, "NACKs at tick {tick}");
        assert_eq!(said.twcc, expected.twcc, "TWCC statuses at tick {tick}");
        assert_eq!(
            said.twcc_packets, expected.twcc_packets,
            "TWCC at tick {tick}"
        );
        assert_eq!(said.blocks, expected.blocks, "RR blocks at tick {tick}");
        assert_eq!(said.senders, expected.senders, "SRs at tick {tick}");
        nack_ticks += usize::from(!said.nacks.is_empty());
        report_ticks += usize::from(!said.blocks.is_empty());
        twcc_packets += said.twcc_packets.len();
    }
    // The comparison compared something: losses were NACKed every tick
    // after the first, reports came twice, TWCC every tick.
    assert!(nack_ticks >= 20, "{nack_ticks}");
    assert_eq!(report_ticks, 2);
    assert!(twcc_packets >= 25, "{twcc_packets}");
}

#[test]
fn reports_carry_the_expected_figures() {
    // The same comparison cannot show that both sides are right; this pins
    // the figures of one report by hand.
    let t0 = Instant::now();
    let mut feedback = PeerFeedback::new(FeedbackConfig::default());
    feedback.add_receive_stream(t0, VIDEO, 90_000, true);
    feedback.add_send_stream(t0, SENT, 90_000);
    for seq in [65534u16, 65535, 1, 2] {
        feedback.on_rtp(t0, VIDEO, seq, 0, None);
    }
    feedback.on_sender_report(t0, VIDEO, 0x0001_0002_0003_0004);
    feedback.on_sent(t0, SENT, 5000, 1000);
    feedback.on_sent(t0, SENT, 5000, 200);
    let report_at = t0 + Duration::from_secs(1);
    let mut said = Said::default();
    while let Some(due) = feedback.poll_timeout().filter(|&due| due <= report_at) {
        feedback.handle_timeout(due, 0xAAAA_0000_0000_0000, |c| said.read(c));
    }
    let block = said.blocks[&VIDEO];
    // 65534 to 2 is five packets, one (0) lost: 256 / 5.
    assert_eq!(block.extended_highest_seq, 1 << 16 | 2);
    assert_eq!((block.cumulative_lost, block.fraction_lost), (1, 51));
    assert_eq!(block.last_sr, 0x0002_0003);
    assert_eq!(block.delay_since_last_sr, 65536);
    assert_eq!(said.senders[&SENT], (5000 + 90_000, 2, 1200));
    assert_eq!(said.nacks[&VIDEO], BTreeSet::from([0]));
}

#[test]
fn ticks_come_every_interval_from_the_first_stream() {
    let t0 = Instant::now();
    let mut feedback = PeerFeedback::new(FeedbackConfig::default());
    assert_eq!(feedback.poll_timeout(), None);
    assert_eq!(feedback.handle_timeout(t0, 0, |_| panic!("no streams")), 0);
    let start = t0 + Duration::from_millis(37);
    feedback.add_receive_stream(start, VIDEO, 90_000, true);
    feedback.add_send_stream(start, SENT, 90_000);
    assert_eq!(feedback.poll_timeout(), Some(start + TICK));
    // Early calls do nothing.
    assert_eq!(
        feedback.handle_timeout(start + TICK / 2, 0, |_| panic!("early")),
        0
    );
    let mut report_ticks = Vec::new();
    let mut last = start;
    for seq in 0..30u16 {
        let due = feedback.poll_timeout().unwrap();
        assert_eq!(due - last, TICK);
        last = due;
        feedback.on_rtp(due - TICK / 2, VIDEO, seq, 0, Some(seq));
        feedback.on_sent(due - TICK / 2, SENT, u32::from(seq), 10);
        let mut reported = false;
        feedback.handle_timeout(due, 0, |compound| {
            reported |= matches!(
                packets(compound).next(),
                Some(Ok(RtcpPacket::SenderReport(_)))
            );
        });
        if reported {
            report_ticks.push(due - start);
        }
    }
    let seconds: Vec<Duration> = (1..=3).map(Duration::from_secs).collect();
    assert_eq!(report_ticks, seconds);
    // A late call skips the missed ticks instead of bursting.
    let late = last + TICK * 5 + Duration::from_millis(1);
    feedback.handle_timeout(late, 0, |_| {});
    assert_eq!(feedback.poll_timeout(), Some(late + TICK));
    feedback.remove_receive_stream(VIDEO);
    assert!(feedback.poll_timeout().is_some(), "a send stream is left");
    feedback.remove_send_stream(SENT);
    assert_eq!(feedback.poll_timeout(), None);
}

#[test]
fn twcc_goes_apart_when_the_report_compound_is_full() {
    let t0 = Instant::now();
    let mut feedback = PeerFeedback::new(FeedbackConfig::default());
    // 40 streams: 40 SRs (1120 bytes) and RRs of 31 and 9 blocks.
    for ssrc in 1..=40 {
        feedback.add_receive_stream(t0, ssrc, 90_000, true);
        feedback.add_send_stream(t0, 1000 + ssrc, 90_000);
    }
    let mut tseq = 0u16;
    let mut compounds: Vec<Vec<u8>> = Vec::new();
    while let Some(due) = feedback
        .poll_timeout()
        .filter(|&d| d <= t0 + Duration::from_secs(1))
    {
        for ssrc in 1..=40 {
            feedback.on_rtp(due, ssrc, tseq, 0, Some(tseq));
            feedback.on_sent(due, 1000 + ssrc, 0, 100);
            // A loss per stream, so NACKs follow too.
            tseq = tseq.wrapping_add(2);
        }
        compounds.clear();
        feedback.handle_timeout(due, 0, |c| compounds.push(c.to_vec()));
    }
    assert!(compounds.len() >= 3, "{}", compounds.len());
    for compound in &compounds {
        assert!(compound.len() <= 1200);
        assert!(packets(compound).all(|p| p.is_ok()));
    }
    let first: Vec<bool> = compounds
        .iter()
        .map(|c| {
            matches!(
                packets(c).next(),
                Some(Ok(
                    RtcpPacket::SenderReport(_) | RtcpPacket::ReceiverReport(_)
                ))
            )
        })
        .collect();
    assert!(first[0], "reports start the tick");
    let last = compounds.last().unwrap();
    assert!(matches!(
        packets(last).last(),
        Some(Ok(RtcpPacket::TransportCc(_)))
    ));
}

/// One input of the hostile sequence.
#[derive(Debug, Clone)]
enum Input {
    Rtp {
        after_us: u32,
        ssrc: u32,
        seq: u16,
        timestamp: u32,
        tseq: Option<u16>,
    },
    Repaired(u32, u16),
    SenderReport(u32, u64),
    Sent(u32, u32, usize),
    Remove(u32),
    Add(u32, u32, bool),
}

fn input() -> impl Strategy<Value = Input> {
    let ssrc = 1u32..5;
    prop_oneof![
        8 => (0u32..200_000, ssrc.clone(), any::<u16>(), any::<u32>(), any::<Option<u16>>()).prop_map(
            |(after_us, ssrc, seq, timestamp, tseq)| Input::Rtp { after_us, ssrc, seq, timestamp, tseq }
        ),
        // Runs of nearby numbers, where the logs do their work.
        8 => (0u32..3_000, ssrc.clone(), 0u16..40, 0u16..40).prop_map(
            |(after_us, ssrc, seq, tseq)| Input::Rtp { after_us, ssrc, seq: 65_520u16.wrapping_add(seq), timestamp: u32::from(seq) * 3000, tseq: Some(tseq.wrapping_add(65_530)) }
        ),
        1 => (ssrc.clone(), any::<u16>()).prop_map(|(s, q)| Input::Repaired(s, q)),
        1 => (ssrc.clone(), any::<u64>()).prop_map(|(s, n)| Input::SenderReport(s, n)),
        2 => (ssrc.clone(), any::<u32>(), 0usize..2000).prop_map(|(s, t, l)| Input::Sent(s, t, l)),
        1 => ssrc.clone().prop_map(Input::Remove),
        1 => (ssrc, prop_oneof![Just(0u32), Just(8000), Just(90_000), any::<u32>()], any::<bool>())
            .prop_map(|(s, c, n)| Input::Add(s, c, n)),
    ]
}

proptest! {
    #![proptest_config(Config { failure_persistence: None, ..Config::with_cases(256) })]

    #[test]
    fn arbitrary_input_gives_well_formed_compounds(
        inputs in proptest::collection::vec(input(), 1..400),
        nack_log_size in prop_oneof![Just(64u16), Just(512), Just(100), Just(0)],
    ) {
        let mut now = Instant::now();
        let mut feedback = PeerFeedback::new(FeedbackConfig { nack_log_size, ..FeedbackConfig::default() });
        for ssrc in 1..4 {
            feedback.add_receive_stream(now, ssrc, 90_000, ssrc != 3);
            feedback.add_send_stream(now, ssrc + 10, 48_000);
        }
        for input in inputs {
            match input {
                Input::Rtp { after_us, ssrc, seq, timestamp, tseq } => {
                    now += Duration::from_micros(u64::from(after_us));
                    feedback.on_rtp(now, ssrc, seq, timestamp, tseq);
                }
                Input::Repaired(ssrc, seq) => feedback.on_repaired(ssrc, seq),
                Input::SenderReport(ssrc, ntp) => feedback.on_sender_report(now, ssrc, ntp),
                Input::Sent(ssrc, timestamp, len) => feedback.on_sent(now, ssrc + 10, timestamp, len),
                Input::Remove(ssrc) => feedback.remove_receive_stream(ssrc),
                Input::Add(ssrc, clock_rate, nack) => feedback.add_receive_stream(now, ssrc, clock_rate, nack),
            }
            while let Some(due) = feedback.poll_timeout().filter(|&due| due <= now) {
                feedback.handle_timeout(due, 0, |compound| {
                    let parsed: Vec<_> = packets(compound).collect();
                    assert!(!parsed.is_empty());
                    assert!(compound.len() <= 1200 || parsed.len() == 1, "{} bytes", compound.len());
                    for packet in parsed {
                        packet.expect("well-formed RTCP");
                    }
                });
            }
        }
    }
}
