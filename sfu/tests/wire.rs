//! Tests for `sfu::wire`, the allocation-free RTP/RTCP views and writers of
//! the coming SRTP fast path. `rtc` (webrtc-rs) is the reference: what it
//! marshals must read the same through our views, and what our writers
//! write must unmarshal in `rtc` to what we meant. Arbitrary bytes and
//! truncated packets must give an error or a value, never a panic. Then
//! RFC 8285 corners and compound walking; more byte-level unit tests are in
//! the `wire` modules themselves.

use bytes::{Bytes, BytesMut};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::Config;
use rtc::rtcp::payload_feedbacks::full_intra_request::{FirEntry, FullIntraRequest};
use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtc::rtcp::payload_feedbacks::receiver_estimated_maximum_bitrate::ReceiverEstimatedMaximumBitrate;
use rtc::rtcp::receiver_report::ReceiverReport;
use rtc::rtcp::reception_report::ReceptionReport;
use rtc::rtcp::sender_report::SenderReport;
use rtc::rtcp::transport_feedbacks::transport_layer_cc::{
    PacketStatusChunk, RecvDelta, RunLengthChunk, StatusChunkTypeTcc, StatusVectorChunk,
    SymbolSizeTypeTcc, SymbolTypeTcc, TransportLayerCc,
};
use rtc::rtcp::transport_feedbacks::transport_layer_nack::{NackPair, TransportLayerNack};
use rtc::rtp::header::{EXTENSION_PROFILE_ONE_BYTE, EXTENSION_PROFILE_TWO_BYTE, Extension, Header};
use rtc::shared::marshal::{Marshal, Unmarshal};
use sfu::wire::rtcp::{self, ReportBlock, RtcpPacket, SenderInfo};
use sfu::wire::rtp::{self, RtpHeader, RtpView};

/// An RTCP packet's content, owned, however it was parsed: the common
/// ground on which `wire` and `rtc` are compared.
#[derive(Debug, PartialEq)]
enum Summary {
    Rr(u32, Vec<ReportBlock>),
    /// Sender SSRC, (NTP, RTP, packets, octets), blocks.
    Sr(u32, (u64, u32, u32, u32), Vec<ReportBlock>),
    Nack(u32, u32, Vec<u16>),
    Pli(u32, u32),
    Fir(u32, Vec<(u32, u8)>),
    Remb(u32, u64, Vec<u32>),
    /// SSRCs, base, reference time, feedback count, statuses.
    Twcc([u32; 2], u16, u32, u8, Vec<(u16, Option<i32>)>),
    Other(u8),
}

/// What `wire` reads; every accessor and iterator of the packet is used.
fn summarize(packet: RtcpPacket<'_>) -> Summary {
    match packet {
        RtcpPacket::ReceiverReport(rr) => {
            let blocks = rr.report_blocks().collect();
            Summary::Rr(rr.sender_ssrc(), blocks)
        }
        RtcpPacket::SenderReport(sr) => {
            let (ntp, rtp) = (sr.ntp_timestamp(), sr.rtp_timestamp());
            let info = (ntp, rtp, sr.packet_count(), sr.octet_count());
            Summary::Sr(sr.sender_ssrc(), info, sr.report_blocks().collect())
        }
        RtcpPacket::Nack(n) => {
            let lost = n.lost_sequence_numbers().collect();
            Summary::Nack(n.sender_ssrc, n.media_ssrc, lost)
        }
        RtcpPacket::Pli(pli) => Summary::Pli(pli.sender_ssrc, pli.media_ssrc),
        RtcpPacket::Fir(fir) => Summary::Fir(fir.sender_ssrc, fir.entries().collect()),
        RtcpPacket::Remb(r) => Summary::Remb(r.sender_ssrc, r.bitrate_bps, r.ssrcs().collect()),
        RtcpPacket::TransportCc(t) => {
            let statuses: Vec<_> = t.statuses().collect();
            assert_eq!(statuses.len(), usize::from(t.packet_status_count()));
            let (base, time) = (t.base_sequence_number(), t.reference_time());
            let ssrcs = [t.sender_ssrc, t.media_ssrc];
            Summary::Twcc(ssrcs, base, time, t.feedback_packet_count(), statuses)
        }
        RtcpPacket::Other(packet_type) => Summary::Other(packet_type),
    }
}

fn ours(bytes: &[u8]) -> Vec<Summary> {
    let packets = rtcp::packets(bytes);
    packets
        .map(|p| summarize(p.expect("wire parses it")))
        .collect()
}

fn theirs(bytes: &[u8]) -> Vec<Summary> {
    let mut bytes = Bytes::copy_from_slice(bytes);
    let packets = rtc::rtcp::packet::unmarshal(&mut bytes).expect("rtc parses it");
    let summary =
        |p: &dyn rtc::rtcp::packet::Packet| summarize_rtc(p.as_any(), p.header().packet_type as u8);
    packets.iter().map(|p| summary(&**p)).collect()
}

fn summarize_rtc(packet: &dyn std::any::Any, packet_type: u8) -> Summary {
    let blocks = |reports: &[ReceptionReport]| -> Vec<ReportBlock> {
        let block = |r: &ReceptionReport| ReportBlock {
            ssrc: r.ssrc,
            fraction_lost: r.fraction_lost,
            cumulative_lost: r.total_lost,
            extended_highest_seq: r.last_sequence_number,
            jitter: r.jitter,
            last_sr: r.last_sender_report,
            delay_since_last_sr: r.delay,
        };
        reports.iter().map(block).collect()
    };
    if let Some(rr) = packet.downcast_ref::<ReceiverReport>() {
        Summary::Rr(rr.ssrc, blocks(&rr.reports))
    } else if let Some(sr) = packet.downcast_ref::<SenderReport>() {
        let info = (sr.ntp_time, sr.rtp_time, sr.packet_count, sr.octet_count);
        Summary::Sr(sr.ssrc, info, blocks(&sr.reports))
    } else if let Some(n) = packet.downcast_ref::<TransportLayerNack>() {
        let lost = n.nacks.iter().flat_map(|p| p.packet_list()).collect();
        Summary::Nack(n.sender_ssrc, n.media_ssrc, lost)
    } else if let Some(pli) = packet.downcast_ref::<PictureLossIndication>() {
        Summary::Pli(pli.sender_ssrc, pli.media_ssrc)
    } else if let Some(fir) = packet.downcast_ref::<FullIntraRequest>() {
        let entries = fir.fir.iter().map(|e| (e.ssrc, e.sequence_number));
        Summary::Fir(fir.sender_ssrc, entries.collect())
    } else if let Some(r) = packet.downcast_ref::<ReceiverEstimatedMaximumBitrate>() {
        // An integer times a power of two: `as` is exact, saturating past u64.
        Summary::Remb(r.sender_ssrc, r.bitrate as u64, r.ssrcs.clone())
    } else if let Some(t) = packet.downcast_ref::<TransportLayerCc>() {
        let (ssrcs, base) = ([t.sender_ssrc, t.media_ssrc], t.base_sequence_number);
        let (time, count) = (t.reference_time, t.fb_pkt_count);
        Summary::Twcc(ssrcs, base, time, count, twcc_statuses(t))
    } else {
        Summary::Other(packet_type)
    }
}

/// Per-sequence statuses of an `rtc` transport-cc, deltas in 250 µs.
fn twcc_statuses(twcc: &TransportLayerCc) -> Vec<(u16, Option<i32>)> {
    let mut symbols = Vec::new();
    for chunk in &twcc.packet_chunks {
        match chunk {
            PacketStatusChunk::RunLengthChunk(run) => {
                let count = usize::from(run.run_length);
                symbols.extend(std::iter::repeat_n(run.packet_status_symbol, count))
            }
            PacketStatusChunk::StatusVectorChunk(v) => symbols.extend(v.symbol_list.clone()),
        }
    }
    symbols.truncate(usize::from(twcc.packet_status_count));
    let mut deltas = twcc.recv_deltas.iter().map(|d| (d.delta / 250) as i32);
    let mut delta = |s| (s != SymbolTypeTcc::PacketNotReceived).then(|| deltas.next().unwrap());
    let base = twcc.base_sequence_number;
    let sequences = (0u16..).map(|i| base.wrapping_add(i));
    sequences
        .zip(symbols)
        .map(|(seq, s)| (seq, delta(s)))
        .collect()
}

fn symbol(delta: Option<i32>) -> SymbolTypeTcc {
    match delta {
        None => SymbolTypeTcc::PacketNotReceived,
        Some(0..=255) => SymbolTypeTcc::PacketReceivedSmallDelta,
        Some(_) => SymbolTypeTcc::PacketReceivedLargeDelta,
    }
}

/// An `rtc` transport-cc for these statuses, chunked otherwise than ours:
/// each `choice` picks a run-length chunk over the current run (the
/// strategy's runs stay under the 8191 limit), a one-bit vector where the
/// next symbols allow it, or a two-bit vector.
fn rtc_twcc(base: u16, deltas: &[Option<i32>], choices: &[u8]) -> TransportLayerCc {
    let mut packet_chunks = Vec::new();
    let (mut choices, mut rest) = (choices.iter().cycle(), deltas);
    while let Some(first) = rest.first().map(|d| symbol(*d)) {
        let run = rest.iter().take_while(|d| symbol(**d) == first).count();
        let small = |d: &Option<i32>| d.is_none_or(|d| (0..=255).contains(&d));
        let (symbol_size, slots) = match choices.next().unwrap() % 3 {
            1 if rest.iter().take(14).all(small) => (SymbolSizeTypeTcc::OneBit, 14),
            2 => (SymbolSizeTypeTcc::TwoBit, 7),
            _ => {
                let (packet_status_symbol, run_length) = (first, run as u16);
                let type_tcc = StatusChunkTypeTcc::RunLengthChunk;
                let chunk = RunLengthChunk {
                    type_tcc,
                    packet_status_symbol,
                    run_length,
                };
                packet_chunks.push(PacketStatusChunk::RunLengthChunk(chunk));
                rest = &rest[run..];
                continue;
            }
        };
        let covered = rest.len().min(slots);
        let mut symbol_list: Vec<_> = rest[..covered].iter().map(|d| symbol(*d)).collect();
        symbol_list.resize(slots, SymbolTypeTcc::PacketNotReceived);
        let type_tcc = StatusChunkTypeTcc::StatusVectorChunk;
        let chunk = StatusVectorChunk {
            type_tcc,
            symbol_size,
            symbol_list,
        };
        packet_chunks.push(PacketStatusChunk::StatusVectorChunk(chunk));
        rest = &rest[covered..];
    }
    let delta = |&d: &i32| RecvDelta {
        type_tcc_packet: symbol(Some(d)),
        delta: i64::from(d) * 250,
    };
    TransportLayerCc {
        sender_ssrc: 0x1111,
        media_ssrc: 0x2222,
        base_sequence_number: base,
        packet_status_count: deltas.len() as u16,
        reference_time: 0x12_3456,
        fb_pkt_count: 7,
        packet_chunks,
        recv_deltas: deltas.iter().flatten().map(delta).collect(),
    }
}

type Extensions = Vec<(u8, Vec<u8>)>;

/// What `RtpView` reads, if it parses; every accessor is used.
fn summarize_rtp(bytes: &[u8]) -> Option<(RtpHeader, Extensions, Vec<u8>)> {
    let view = RtpView::parse(bytes)?;
    let (header_len, padding_len) = (view.header_len(), view.padding_len());
    assert_eq!(header_len + view.payload().len() + padding_len, bytes.len());
    let extensions: Extensions = view.extensions().map(|(id, v)| (id, v.to_vec())).collect();
    for (id, _) in &extensions {
        let first = view.extensions().find(|e| e.0 == *id).map(|e| e.1);
        assert_eq!(view.extension(*id), first);
    }
    let _ = view.extension_profile();
    let (marker, payload_type) = (view.marker(), view.payload_type());
    let (sequence, timestamp, ssrc) = (view.sequence_number(), view.timestamp(), view.ssrc());
    let header = rtp_header(marker, payload_type, sequence, timestamp, ssrc);
    // What parses whole parses as a protected header too, to the same
    // header and extensions (SRTP leaves them in the clear).
    let protected = RtpView::parse_protected(bytes).expect("a header that parses");
    assert_eq!(protected.header_len(), header_len);
    assert!(protected.extensions().eq(view.extensions()));
    Some((header, extensions, view.payload().to_vec()))
}

fn summarize_rtc_rtp(packet: &rtc::rtp::Packet) -> (RtpHeader, Extensions, Vec<u8>) {
    let h = &packet.header;
    let header = rtp_header(
        h.marker,
        h.payload_type,
        h.sequence_number,
        h.timestamp,
        h.ssrc,
    );
    let extensions = h.extensions.iter().map(|e| (e.id, e.payload.to_vec()));
    (header, extensions.collect(), packet.payload.to_vec())
}

fn config() -> Config {
    let config = Config::with_cases(512);
    Config {
        failure_persistence: None,
        ..config
    }
}

/// Header extensions with distinct ids, as `(id, value)`: sometimes all
/// one-byte-profile material, sometimes needing the two-byte profile.
fn extensions_strategy() -> impl Strategy<Value = Extensions> {
    let (one_byte_value, two_byte_value) = (vec(any::<u8>(), 1..=16), vec(any::<u8>(), 0..=40));
    let one_byte = prop::collection::btree_map(1u8..=14, one_byte_value, 0..6);
    let two_byte = prop::collection::btree_map(1u8..=255, two_byte_value, 1..6);
    prop_oneof![one_byte, two_byte].prop_map(|map| map.into_iter().collect())
}

const fn rtp_header(marker: bool, pt: u8, seq: u16, ts: u32, ssrc: u32) -> RtpHeader {
    RtpHeader {
        marker,
        payload_type: pt,
        sequence_number: seq,
        timestamp: ts,
        ssrc,
    }
}

fn header_strategy() -> impl Strategy<Value = RtpHeader> {
    let fields = (any::<bool>(), 0u8..128, any::<(u16, u32, u32)>());
    fields.prop_map(|(marker, pt, (seq, ts, ssrc))| rtp_header(marker, pt, seq, ts, ssrc))
}

/// The profile `write_rtp` picks, and our `rtc` packets use.
fn profile_for(extensions: &Extensions) -> u16 {
    let fits =
        |(id, value): &(u8, Vec<u8>)| (1..=14).contains(id) && (1..=16).contains(&value.len());
    if extensions.iter().all(fits) {
        EXTENSION_PROFILE_ONE_BYTE
    } else {
        EXTENSION_PROFILE_TWO_BYTE
    }
}

fn report_block_strategy() -> impl Strategy<Value = ReportBlock> {
    (any::<[u32; 6]>(), any::<u8>()).prop_map(|(v, fraction_lost)| ReportBlock {
        ssrc: v[0],
        fraction_lost,
        cumulative_lost: v[1] & 0xFF_FFFF,
        extended_highest_seq: v[2],
        jitter: v[3],
        last_sr: v[4],
        delay_since_last_sr: v[5],
    })
}

/// Transport-cc statuses as `rtc` and libwebrtc send them: the first packet
/// received, then a mix of not received, small and large (also negative)
/// deltas, with long runs now and then.
fn twcc_deltas_strategy() -> impl Strategy<Value = Vec<Option<i32>>> {
    let status = prop_oneof![
        3 => Just(None),
        4 => (0i32..=255).prop_map(Some),
        2 => (-32768i32..=32767).prop_map(Some),
    ];
    let piece = prop_oneof![
        4 => status.clone().prop_map(|s| vec![s]),
        1 => (status, 8usize..40).prop_map(|(s, n)| vec![s; n]),
    ];
    let pieces = vec(piece, 0..40);
    (0i32..=255, pieces).prop_map(|(first, pieces)| [vec![Some(first)], pieces.concat()].concat())
}

proptest! {
    #![proptest_config(config())]

    /// RTP both ways: what `rtc` marshals (with CSRCs and padding too),
    /// `RtpView` reads the same; what `write_rtp` writes, `rtc` unmarshals
    /// to the same fields and extensions, in the profile we meant.
    #[test]
    fn rtp_reads_and_writes_as_rtc_does(
        header in header_strategy(),
        extensions in extensions_strategy(),
        csrc in vec(any::<u32>(), 0..3),
        payload in vec(any::<u8>(), 0..64),
        padding in any::<bool>(),
    ) {
        let profile = profile_for(&extensions);
        let rtc_extensions = extensions.iter().map(|(id, v)| Extension { id: *id, payload: Bytes::copy_from_slice(v) });
        let packet = rtc::rtp::Packet {
            header: Header {
                version: 2,
                padding,
                extension: !extensions.is_empty(),
                marker: header.marker,
                payload_type: header.payload_type,
                sequence_number: header.sequence_number,
                timestamp: header.timestamp,
                ssrc: header.ssrc,
                csrc,
                extension_profile: profile,
                extensions: rtc_extensions.collect(),
                extensions_padding: 0,
            },
            payload: Bytes::from(payload.clone()),
        };
        let bytes = packet.marshal().expect("rtc marshals");
        let meant = (header, extensions.clone(), payload);
        prop_assert_eq!(summarize_rtp(&bytes), Some(meant.clone()));
        let view = RtpView::parse(&bytes).unwrap();
        prop_assert_eq!(view.extension_profile(), (!extensions.is_empty()).then_some(profile));
        prop_assert_eq!(view.padding_len() > 0, padding);

        let borrowed: Vec<(u8, &[u8])> = extensions.iter().map(|(id, v)| (*id, &v[..])).collect();
        let mut buf = BytesMut::with_capacity(1500);
        buf.extend_from_slice(b"before");
        let header_len = rtp::write_rtp(&mut buf, &header, &borrowed, &meant.2).expect("valid input");
        let written = &buf[6..];
        prop_assert_eq!(written.len(), header_len + meant.2.len());
        let packet = rtc::rtp::Packet::unmarshal(&mut &written[..]).expect("rtc unmarshals");
        prop_assert_eq!(&summarize_rtc_rtp(&packet), &meant);
        prop_assert!(packet.header.csrc.is_empty() && !packet.header.padding);
        let written_profile = packet.header.extension.then_some(packet.header.extension_profile);
        prop_assert_eq!(written_profile, (!extensions.is_empty()).then_some(profile));
        prop_assert_eq!(summarize_rtp(written), Some(meant));
        prop_assert_eq!(RtpView::parse(written).unwrap().header_len(), header_len);
    }

    /// `rtc`-marshalled RR, SR, NACK, PLI, FIR, REMB and transport-cc read
    /// the same through `rtcp::packets` as through `rtc`, alone and as one
    /// compound, and say what was marshalled.
    #[test]
    fn rtcp_packets_read_what_rtc_marshals(
        [sender_ssrc, media_ssrc] in any::<[u32; 2]>(),
        blocks in vec(report_block_strategy(), 0..4),
        (ntp_time, rtp_time, packet_count, octet_count) in any::<(u64, u32, u32, u32)>(),
        nack_pairs in vec(any::<(u16, u16)>(), 1..5),
        fir_entries in vec(any::<(u32, u8)>(), 1..4),
        // Not 0: see `rtc_decodes_a_zero_remb_as_8_mbps`.
        remb_bitrate in 1u32..,
        remb_ssrcs in vec(any::<u32>(), 0..4),
        twcc_base in any::<u16>(),
        twcc_deltas in twcc_deltas_strategy(),
        twcc_choices in vec(any::<u8>(), 1..8),
    ) {
        let reports = blocks.iter().map(|b| ReceptionReport {
            ssrc: b.ssrc,
            fraction_lost: b.fraction_lost,
            total_lost: b.cumulative_lost,
            last_sequence_number: b.extended_highest_seq,
            jitter: b.jitter,
            last_sender_report: b.last_sr,
            delay: b.delay_since_last_sr,
        });
        let rr = ReceiverReport { ssrc: sender_ssrc, reports: reports.clone().collect(), ..Default::default() };
        let sr = SenderReport { ssrc: sender_ssrc, ntp_time, rtp_time, packet_count, octet_count, reports: reports.collect(), ..Default::default() };
        let nacks = nack_pairs.iter().map(|&(packet_id, lost_packets)| NackPair { packet_id, lost_packets }).collect();
        let nack = TransportLayerNack { sender_ssrc, media_ssrc, nacks };
        let pli = PictureLossIndication { sender_ssrc, media_ssrc };
        let fir = fir_entries.iter().map(|&(ssrc, sequence_number)| FirEntry { ssrc, sequence_number }).collect();
        let fir = FullIntraRequest { sender_ssrc, media_ssrc: 0, fir };
        let remb = ReceiverEstimatedMaximumBitrate { sender_ssrc, bitrate: remb_bitrate as f32, ssrcs: remb_ssrcs.clone() };
        let twcc = rtc_twcc(twcc_base, &twcc_deltas, &twcc_choices);
        let marshalled = [
            rr.marshal().unwrap(), sr.marshal().unwrap(), nack.marshal().unwrap(), pli.marshal().unwrap(),
            fir.marshal().unwrap(), remb.marshal().unwrap(), twcc.marshal().unwrap(),
        ];
        for bytes in &marshalled {
            prop_assert_eq!(ours(bytes), theirs(bytes));
        }
        // The transport-cc, which rtc pads with the P bit, comes last.
        let compound: Vec<u8> = marshalled.concat();
        let summaries = ours(&compound);
        prop_assert_eq!(&summaries, &theirs(&compound));
        prop_assert_eq!(&summaries[0], &Summary::Rr(sender_ssrc, blocks.clone()));
        prop_assert_eq!(&summaries[1], &Summary::Sr(sender_ssrc, (ntp_time, rtp_time, packet_count, octet_count), blocks));
        prop_assert_eq!(&summaries[3], &Summary::Pli(sender_ssrc, media_ssrc));
        prop_assert_eq!(&summaries[4], &Summary::Fir(sender_ssrc, fir_entries));
        let Summary::Twcc(_, base, _, _, statuses) = &summaries[6] else { panic!("transport-cc") };
        prop_assert_eq!(*base, twcc_base);
        prop_assert_eq!(statuses.iter().map(|s| s.1).collect::<Vec<_>>(), twcc_deltas);
    }

    /// What our RTCP writers append to one buffer, `rtc` unmarshals as a
    /// compound to the same values, and so do we.
    #[test]
    fn rtc_reads_what_rtcp_writers_write(
        [sender_ssrc, media_ssrc] in any::<[u32; 2]>(),
        blocks in vec(report_block_strategy(), 0..=31),
        (ntp_timestamp, rtp_timestamp, packet_count, octet_count) in any::<(u64, u32, u32, u32)>(),
        lost_offsets in prop::collection::btree_set(0u16..2000, 1..60),
        lost_start in any::<u16>(),
        remb_bitrate in 1u64..,
        remb_ssrcs in vec(any::<u32>(), 0..6),
        twcc_base in any::<u16>(),
        twcc_deltas in twcc_deltas_strategy(),
        reference_time in 0u32..=0xFF_FFFF,
        fb_count in any::<u8>(),
    ) {
        // Sorted in RTP order from `lost_start`, so some lists wrap past 65535.
        let lost: Vec<u16> = lost_offsets.iter().map(|o| lost_start.wrapping_add(*o)).collect();
        let info = SenderInfo { ntp_timestamp, rtp_timestamp, packet_count, octet_count };
        let statuses: Vec<(u16, Option<i32>)> = (0u16..).zip(&twcc_deltas).map(|(i, d)| (twcc_base.wrapping_add(i), *d)).collect();
        let mut buf = BytesMut::with_capacity(8192);
        let lengths = [
            rtcp::write_receiver_report(&mut buf, sender_ssrc, &blocks).unwrap(),
            rtcp::write_sender_report(&mut buf, sender_ssrc, &info, &blocks).unwrap(),
            rtcp::write_nack(&mut buf, sender_ssrc, media_ssrc, &lost).unwrap(),
            rtcp::write_pli(&mut buf, sender_ssrc, media_ssrc).unwrap(),
            rtcp::write_remb(&mut buf, sender_ssrc, remb_bitrate, &remb_ssrcs).unwrap(),
            rtcp::write_twcc(&mut buf, sender_ssrc, media_ssrc, twcc_base, reference_time, fb_count, &statuses).unwrap(),
        ];
        prop_assert!(lengths.iter().all(|len| len % 4 == 0), "32-bit aligned: {:?}", lengths);
        prop_assert_eq!(lengths.iter().sum::<usize>(), buf.len());
        let summaries = theirs(&buf);
        prop_assert_eq!(&summaries, &ours(&buf));
        let Summary::Remb(_, encoded, _) = summaries[4] else { panic!("REMB") };
        // Rounded down to an 18-bit mantissa: off by less than 2^-17.
        prop_assert!(encoded <= remb_bitrate && remb_bitrate - encoded <= encoded >> 17, "{} sent as {}", remb_bitrate, encoded);
        let info = (ntp_timestamp, rtp_timestamp, packet_count, octet_count);
        let expected = [
            Summary::Rr(sender_ssrc, blocks.clone()),
            Summary::Sr(sender_ssrc, info, blocks),
            Summary::Nack(sender_ssrc, media_ssrc, lost),
            Summary::Pli(sender_ssrc, media_ssrc),
            Summary::Remb(sender_ssrc, encoded, remb_ssrcs),
            Summary::Twcc([sender_ssrc, media_ssrc], twcc_base, reference_time, fb_count, statuses),
        ];
        prop_assert_eq!(&summaries[..], &expected[..]);
    }

    /// Arbitrary bytes: every parser returns an error or a value.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..600)) {
        exercise_every_parser(&bytes);
    }

    /// Truncated and damaged valid packets: the same.
    #[test]
    fn damaged_packets_never_panic(
        header in header_strategy(),
        extensions in extensions_strategy(),
        twcc_deltas in twcc_deltas_strategy(),
        cut in any::<prop::sample::Index>(),
        flip in any::<(prop::sample::Index, u8)>(),
    ) {
        let borrowed: Vec<(u8, &[u8])> = extensions.iter().map(|(id, v)| (*id, &v[..])).collect();
        let statuses: Vec<(u16, Option<i32>)> = (0u16..).zip(twcc_deltas).collect();
        let mut rtp_bytes = BytesMut::new();
        rtp::write_rtp(&mut rtp_bytes, &header, &borrowed, b"payload").unwrap();
        let mut rtcp_bytes = BytesMut::new();
        rtcp::write_receiver_report(&mut rtcp_bytes, 1, &[ReportBlock::default()]).unwrap();
        rtcp::write_nack(&mut rtcp_bytes, 1, 2, &[5, 6, 40]).unwrap();
        rtcp::write_remb(&mut rtcp_bytes, 1, 1_000_000, &[2, 3]).unwrap();
        rtcp::write_twcc(&mut rtcp_bytes, 1, 2, 0, 1, 2, &statuses).unwrap();
        for valid in [&rtp_bytes[..], &rtcp_bytes[..]] {
            exercise_every_parser(&valid[..cut.index(valid.len() + 1)]);
            let mut damaged = valid.to_vec();
            damaged[flip.0.index(valid.len())] ^= flip.1 | 1;
            exercise_every_parser(&damaged);
        }
    }
}

/// Runs every parser, accessor and iterator on `bytes`.
fn exercise_every_parser(bytes: &[u8]) {
    let _ = (rtp::is_rtp(bytes), rtp::is_rtcp(bytes));
    let _ = summarize_rtp(bytes);
    if let Some(view) = RtpView::parse_protected(bytes) {
        let _ = (view.ssrc(), view.extensions().count(), view.payload().len());
    }
    let mut copy = bytes.to_vec();
    let _ = rtp::set_extension_in_place(&mut copy, 1, &[0xAA]);
    let _ = rtcp::packets(bytes).flatten().map(summarize).count();
}

/// An RTP packet with a hand-made extension block after the fixed header.
fn rtp_with_extension_block(profile: u16, elements: &[u8]) -> Vec<u8> {
    let words = elements.len().div_ceil(4);
    let mut packet = vec![0x90, 96, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3];
    packet.extend_from_slice(&profile.to_be_bytes());
    packet.extend_from_slice(&(words as u16).to_be_bytes());
    packet.extend_from_slice(elements);
    packet.resize(12 + 4 + words * 4, 0);
    packet.extend_from_slice(b"payload");
    packet
}

/// RFC 8285 corners, as (profile, element bytes, the elements `RtpView` sees).
#[test]
fn header_extension_elements_per_rfc_8285() {
    type Case<'a> = (u16, &'a [u8], &'a [(u8, &'a [u8])]);
    let cases: [Case<'_>; 7] = [
        // Two-byte: id 20 (3 bytes), padding, id 1 (empty), id 200 (1 byte).
        (
            0x1000,
            &[20, 3, 7, 8, 9, 0, 0, 1, 0, 200, 1, 42],
            &[(20, &[7, 8, 9]), (1, &[]), (200, &[42])],
        ),
        // The 4 appbits of 0x100X are the application's.
        (0x100F, &[20, 1, 5], &[(20, &[5])]),
        // One-byte: id 1, 2 padding bytes, id 2 (2 bytes), id 15 stops the walk.
        (
            0xBEDE,
            &[0x10, 0xA1, 0, 0, 0x21, 0xB1, 0xB2, 0xF0, 0x30, 0xC1],
            &[(1, &[0xA1]), (2, &[0xB1, 0xB2])],
        ),
        // One-byte: a nonzero byte with id 0 is one padding byte (libwebrtc).
        (0xBEDE, &[0x05, 0x10, 0xA1], &[(1, &[0xA1])]),
        // Malformed: id 1 claims 16 bytes of a 4-byte block.
        (0xBEDE, &[0x1F, 1, 2], &[]),
        // Malformed: a last two-byte id without its length byte.
        (0x1000, &[5, 1, 9, 6], &[(5, &[9])]),
        // RFC 3550 profile: no elements.
        (0x1234, &[0x10, 1], &[]),
    ];
    for (profile, elements, expected) in cases {
        let packet = rtp_with_extension_block(profile, elements);
        let view = RtpView::parse(&packet).expect("the packet parses");
        let seen: Vec<_> = view.extensions().collect();
        assert_eq!(seen, expected, "{profile:#x} {elements:?}");
        for id in [1, 2, 3, 5, 6, 15, 20, 200] {
            let value = expected.iter().find(|e| e.0 == id).map(|e| e.1);
            assert_eq!(view.extension(id), value, "{elements:?} id {id}");
        }
        assert_eq!(view.payload(), b"payload");
    }
}

const HEADER: RtpHeader = rtp_header(true, 111, 9, 10, 11);

#[test]
fn set_extension_in_place_rewrites_a_value_of_the_same_length() {
    let mut buf = BytesMut::new();
    let extensions: [(u8, &[u8]); 2] = [(1, &[0x30]), (3, &[0, 1])];
    rtp::write_rtp(&mut buf, &HEADER, &extensions, b"opus").unwrap();
    let mut set =
        |len: usize, id: u8, value: &[u8]| rtp::set_extension_in_place(&mut buf[..len], id, value);
    assert!(set(25, 3, &[0xAB, 0xCD]));
    assert!(!set(25, 3, &[1, 2, 3]), "other length");
    assert!(!set(25, 4, &[1, 2]), "no such id");
    assert!(!set(11, 3, &[1, 2]), "not RTP");
    let extensions = vec![(1, vec![0x30]), (3, vec![0xAB, 0xCD])];
    let expected = (HEADER, extensions, b"opus".to_vec());
    assert_eq!(summarize_rtp(&buf), Some(expected));
}

#[test]
fn compound_walk_types_sdes_as_other_and_accepts_padding_before_the_last_packet() {
    let mut buf = BytesMut::new();
    rtcp::write_receiver_report(&mut buf, 1, &[]).unwrap();
    // SDES: one chunk, SSRC 1, CNAME "ab", the null item ending it, padding.
    let sdes = [0x81, 202, 0, 3, 0, 0, 0, 1, 1, 2, b'a', b'b', 0, 0, 0, 0];
    buf.extend_from_slice(&sdes);
    // rtc pads transport-cc with the P bit, as libwebrtc does, and both may
    // put more packets after it.
    let twcc = rtc_twcc(3, &[Some(1), None, Some(300)], &[0]);
    let twcc = twcc.marshal().unwrap();
    assert_ne!(twcc[0] & 0x20, 0, "rtc sets the P bit");
    buf.extend_from_slice(&twcc);
    rtcp::write_pli(&mut buf, 1, 2).unwrap();
    let summaries = ours(&buf);
    assert_eq!(summaries, theirs(&buf));
    let statuses = vec![(3, Some(1)), (4, None), (5, Some(300))];
    let twcc = Summary::Twcc([0x1111, 0x2222], 3, 0x12_3456, 7, statuses);
    let rr = Summary::Rr(1, vec![]);
    assert_eq!(
        summaries,
        [rr, Summary::Other(202), twcc, Summary::Pli(1, 2)]
    );
}

/// rtc-rtcp 0.21.1 decodes a REMB mantissa of 0 as 2^(exponent + 23) bps
/// (it builds an f32 with no implicit-bit check), so the differential tests
/// above leave 0 out. We read 0 as 0. If this fails, rtc was fixed: let the
/// strategies include 0 again.
#[test]
fn rtc_decodes_a_zero_remb_as_8_mbps() {
    let mut buf = BytesMut::new();
    rtcp::write_remb(&mut buf, 1, 0, &[2]).unwrap();
    assert_eq!(ours(&buf), [Summary::Remb(1, 0, vec![2])]);
    assert_eq!(theirs(&buf), [Summary::Remb(1, 8_388_608, vec![2])]);
}
