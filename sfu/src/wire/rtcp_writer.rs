//! Writers for the RTCP the SFU sends: RR, SR, generic NACK, PLI, REMB and
//! transport-cc feedback (re-exported from [`super::rtcp`]).
//!
//! Each appends one packet to a `BytesMut` and returns its length, so
//! several calls make a compound. None sets the padding bit (RFC 3550
//! §A.2 expects it only on a compound's last packet, and a writer cannot
//! know it is last): transport-cc, the one format whose length is not a
//! multiple of 4, ends in zero bytes instead, which a parser skips because
//! the status count says where the deltas end (`rtc` does, see
//! `sfu/tests/wire.rs`; `rtcp-types`' own `TwccBuilder` pads the same way,
//! whereas `rtc` and libwebrtc set the P bit). Each checks its
//! input before writing, so on error `buf` is unchanged, and reserves the
//! exact length, so a buffer with enough capacity never reallocates.
//!
//! Only PLI goes through an `rtcp-types` builder. The others are written
//! by hand because their builders allocate: `ReceiverReportBuilder` and
//! `SenderReportBuilder` collect report blocks in a `Vec`, `NackBuilder`
//! sorts sequence numbers in a `BTreeSet`, and `TwccBuilder` collects chunks
//! and deltas in `Vec`s; and REMB has no builder there at all.

use bytes::{BufMut, BytesMut};
use rtcp_types::{PayloadFeedback, Pli, RtcpPacketWriterExt};

use super::WireError;
use super::rtcp::{
    FMT_NACK, FMT_REMB, FMT_TWCC, PT_PAYLOAD_FEEDBACK, PT_RECEIVER_REPORT, PT_SENDER_REPORT,
    PT_TRANSPORT_FEEDBACK, REMB_IDENTIFIER, ReportBlock,
};

/// The count field has 5 bits.
const MAX_REPORT_BLOCKS: usize = 31;
const REPORT_BLOCK_LEN: usize = 24;
/// The length field counts 32-bit words minus one in 16 bits.
const MAX_PACKET_LEN: usize = 4 * (u16::MAX as usize + 1);
const MAX_24_BITS: u32 = 0xFF_FFFF;

fn put_header(buf: &mut BytesMut, count_or_format: u8, packet_type: u8, len: usize) {
    debug_assert!(len.is_multiple_of(4) && (4..=MAX_PACKET_LEN).contains(&len));
    buf.put_u8(0x80 | count_or_format);
    buf.put_u8(packet_type);
    buf.put_u16((len / 4 - 1) as u16);
}

fn check_report_blocks(blocks: &[ReportBlock]) -> Result<(), WireError> {
    if blocks.len() > MAX_REPORT_BLOCKS {
        return Err(WireError::TooMany {
            what: "report blocks",
            count: blocks.len(),
            max: MAX_REPORT_BLOCKS,
        });
    }
    match blocks.iter().find(|b| b.cumulative_lost > MAX_24_BITS) {
        Some(block) => Err(WireError::ValueTooLarge {
            what: "cumulative lost",
            value: u64::from(block.cumulative_lost),
            bits: 24,
        }),
        None => Ok(()),
    }
}

fn put_report_blocks(buf: &mut BytesMut, blocks: &[ReportBlock]) {
    for block in blocks {
        buf.put_u32(block.ssrc);
        buf.put_u32(u32::from(block.fraction_lost) << 24 | block.cumulative_lost);
        buf.put_u32(block.extended_highest_seq);
        buf.put_u32(block.jitter);
        buf.put_u32(block.last_sr);
        buf.put_u32(block.delay_since_last_sr);
    }
}

/// Appends an RR (RFC 3550 §6.4.2) with up to 31 report blocks.
pub fn write_receiver_report(
    buf: &mut BytesMut,
    sender_ssrc: u32,
    blocks: &[ReportBlock],
) -> Result<usize, WireError> {
    check_report_blocks(blocks)?;
    let len = 8 + REPORT_BLOCK_LEN * blocks.len();
    buf.reserve(len);
    put_header(buf, blocks.len() as u8, PT_RECEIVER_REPORT, len);
    buf.put_u32(sender_ssrc);
    put_report_blocks(buf, blocks);
    Ok(len)
}

/// The sender-info section of an SR.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SenderInfo {
    /// 64-bit NTP time: seconds since 1900 in the high 32 bits.
    pub ntp_timestamp: u64,
    /// The same instant on the stream's RTP clock.
    pub rtp_timestamp: u32,
    pub packet_count: u32,
    /// Payload octets, headers and padding excluded.
    pub octet_count: u32,
}

/// Appends an SR (RFC 3550 §6.4.1) with up to 31 report blocks.
pub fn write_sender_report(
    buf: &mut BytesMut,
    sender_ssrc: u32,
    info: &SenderInfo,
    blocks: &[ReportBlock],
) -> Result<usize, WireError> {
    check_report_blocks(blocks)?;
    let len = 28 + REPORT_BLOCK_LEN * blocks.len();
    buf.reserve(len);
    put_header(buf, blocks.len() as u8, PT_SENDER_REPORT, len);
    buf.put_u32(sender_ssrc);
    buf.put_u64(info.ntp_timestamp);
    buf.put_u32(info.rtp_timestamp);
    buf.put_u32(info.packet_count);
    buf.put_u32(info.octet_count);
    put_report_blocks(buf, blocks);
    Ok(len)
}

/// (PID, BLP) pairs covering `lost`: a pair takes the following sequence
/// numbers while they lie within 16 after its PID. Sorted input (in RTP
/// order, so 65535 then 0 is sorted) gives the fewest pairs; any input
/// gives pairs that name every sequence number in it.
fn nack_pairs(lost: &[u16]) -> impl Iterator<Item = (u16, u16)> + '_ {
    let mut rest = lost;
    std::iter::from_fn(move || {
        let (&pid, tail) = rest.split_first()?;
        let mut bitmask = 0u16;
        let mut taken = 0;
        for &sequence in tail {
            let distance = sequence.wrapping_sub(pid);
            if distance > 16 {
                break;
            }
            if distance > 0 {
                bitmask |= 1 << (distance - 1);
            }
            taken += 1;
        }
        rest = &tail[taken..];
        Some((pid, bitmask))
    })
}

/// Appends a generic NACK (RFC 4585 §6.2.1) for `lost`, a sorted list of
/// RTP sequence numbers.
pub fn write_nack(
    buf: &mut BytesMut,
    sender_ssrc: u32,
    media_ssrc: u32,
    lost: &[u16],
) -> Result<usize, WireError> {
    if lost.is_empty() {
        return Err(WireError::Empty("NACK without lost packets"));
    }
    let pair_count = nack_pairs(lost).count();
    let max_pairs = (MAX_PACKET_LEN - 12) / 4;
    if pair_count > max_pairs {
        return Err(WireError::TooMany {
            what: "NACK pairs",
            count: pair_count,
            max: max_pairs,
        });
    }
    let len = 12 + 4 * pair_count;
    buf.reserve(len);
    put_header(buf, FMT_NACK, PT_TRANSPORT_FEEDBACK, len);
    buf.put_u32(sender_ssrc);
    buf.put_u32(media_ssrc);
    for (pid, bitmask) in nack_pairs(lost) {
        buf.put_u16(pid);
        buf.put_u16(bitmask);
    }
    Ok(len)
}

/// Appends a PLI (RFC 4585 §6.3.1). `rtcp-types`' builder borrows its
/// (empty) FCI, so it writes without allocating.
pub fn write_pli(
    buf: &mut BytesMut,
    sender_ssrc: u32,
    media_ssrc: u32,
) -> Result<usize, WireError> {
    const PLI_LEN: usize = 12;
    let fci = Pli::builder();
    let packet = PayloadFeedback::builder(&fci)
        .sender_ssrc(sender_ssrc)
        .media_ssrc(media_ssrc);
    let start = buf.len();
    buf.resize(start + PLI_LEN, 0);
    match packet.write_into(&mut buf[start..]) {
        Ok(len) => {
            buf.truncate(start + len);
            Ok(len)
        }
        Err(_) => {
            buf.truncate(start);
            Err(WireError::Malformed("PLI"))
        }
    }
}

/// Appends a REMB (draft-alvestrand-rmcat-remb-03 §2.2) for these SSRCs
/// (at most 255). The bitrate is sent as an 18-bit mantissa and a 6-bit
/// exponent, rounded down: above 2^18 - 1 bps it loses low bits.
pub fn write_remb(
    buf: &mut BytesMut,
    sender_ssrc: u32,
    bitrate_bps: u64,
    ssrcs: &[u32],
) -> Result<usize, WireError> {
    let max_ssrcs = usize::from(u8::MAX);
    if ssrcs.len() > max_ssrcs {
        return Err(WireError::TooMany {
            what: "REMB SSRCs",
            count: ssrcs.len(),
            max: max_ssrcs,
        });
    }
    // A u64 needs at most 64 - 18 = 46 halvings, within the 6-bit exponent.
    let exponent = (u64::BITS - bitrate_bps.leading_zeros()).saturating_sub(18);
    let mantissa = (bitrate_bps >> exponent) as u32;
    let len = 20 + 4 * ssrcs.len();
    buf.reserve(len);
    put_header(buf, FMT_REMB, PT_PAYLOAD_FEEDBACK, len);
    buf.put_u32(sender_ssrc);
    // draft-alvestrand-rmcat-remb-03 §2.2: the media SSRC is always 0.
    buf.put_u32(0);
    buf.put_slice(&REMB_IDENTIFIER);
    // SSRC count (8 bits), exponent (6 bits), mantissa (18 bits).
    buf.put_u32((ssrcs.len() as u32) << 24 | exponent << 18 | mantissa);
    for &ssrc in ssrcs {
        buf.put_u32(ssrc);
    }
    Ok(len)
}

/// RFC draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1.1 symbols.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TwccSymbol {
    NotReceived = 0,
    /// Delta 0..=255 × 250 µs, one byte.
    SmallDelta = 1,
    /// Any other i16 delta, two bytes.
    LargeDelta = 2,
}

impl TwccSymbol {
    fn of(delta: Option<i32>) -> TwccSymbol {
        match delta {
            None => TwccSymbol::NotReceived,
            Some(0..=255) => TwccSymbol::SmallDelta,
            Some(_) => TwccSymbol::LargeDelta,
        }
    }
}

/// The 13-bit run length field's maximum.
const MAX_RUN: usize = 0x1FFF;
const ONE_BIT_VECTOR_LEN: usize = 14;
const TWO_BIT_VECTOR_LEN: usize = 7;

/// The packet status chunks (§3.1.3 run length, §3.1.4 status vector) for a
/// status list, as 16-bit words. At each position: a run of 14 or more equal
/// symbols is a run-length chunk; else 14 symbols that need only one bit
/// make a one-bit vector; else a run reaching the end of the list, or longer
/// than the 7 a two-bit vector holds, is a run-length chunk; else a two-bit
/// vector. Only the last chunk may cover fewer statuses than it has room
/// for; its unused symbols are 0 (not received), which parsers ignore
/// because the status count ends the list.
struct TwccChunks<'a> {
    statuses: &'a [(u16, Option<i32>)],
}

impl Iterator for TwccChunks<'_> {
    type Item = u16;

    fn next(&mut self) -> Option<u16> {
        let rest = self.statuses;
        let first = TwccSymbol::of(rest.first()?.1);
        let symbols = || rest.iter().map(|&(_, delta)| TwccSymbol::of(delta));
        let run = symbols().take(MAX_RUN).take_while(|&s| s == first).count();
        let one_bit = symbols()
            .take(ONE_BIT_VECTOR_LEN)
            .take_while(|&s| s != TwccSymbol::LargeDelta)
            .count();
        let (word, covered) = if run >= ONE_BIT_VECTOR_LEN
            || (run > TWO_BIT_VECTOR_LEN && one_bit < ONE_BIT_VECTOR_LEN)
            || run == rest.len()
        {
            ((first as u16) << 13 | run as u16, run)
        } else if one_bit == ONE_BIT_VECTOR_LEN || one_bit == rest.len() {
            let bits = symbols()
                .take(one_bit)
                .enumerate()
                .fold(0u16, |bits, (i, s)| {
                    bits | (s as u16) << (ONE_BIT_VECTOR_LEN - 1 - i)
                });
            (0x8000 | bits, one_bit)
        } else {
            let covered = rest.len().min(TWO_BIT_VECTOR_LEN);
            let bits = symbols()
                .take(covered)
                .enumerate()
                .fold(0u16, |bits, (i, s)| {
                    bits | (s as u16) << (2 * (TWO_BIT_VECTOR_LEN - 1 - i))
                });
            (0xC000 | bits, covered)
        };
        self.statuses = &rest[covered..];
        Some(word)
    }
}

/// Appends transport-cc feedback (draft-holmer-rmcat-transport-wide-cc-
/// extensions-01 §3.1). `statuses` holds one entry per transport-wide
/// sequence number from `base_sequence_number` on, consecutive: the
/// receive delta in 250 µs units (from the reference time for the first
/// received packet, from the previous received packet after), or `None`
/// for not received. `reference_time` is in 64 ms units, 24 bits.
pub fn write_twcc(
    buf: &mut BytesMut,
    sender_ssrc: u32,
    media_ssrc: u32,
    base_sequence_number: u16,
    reference_time: u32,
    feedback_packet_count: u8,
    statuses: &[(u16, Option<i32>)],
) -> Result<usize, WireError> {
    if statuses.is_empty() {
        return Err(WireError::Empty("transport-cc without statuses"));
    }
    if statuses.len() > usize::from(u16::MAX) {
        return Err(WireError::TooMany {
            what: "transport-cc statuses",
            count: statuses.len(),
            max: usize::from(u16::MAX),
        });
    }
    if reference_time > MAX_24_BITS {
        return Err(WireError::ValueTooLarge {
            what: "transport-cc reference time",
            value: u64::from(reference_time),
            bits: 24,
        });
    }
    let mut deltas_len = 0;
    for (index, &(sequence, delta)) in statuses.iter().enumerate() {
        let expected = base_sequence_number.wrapping_add(index as u16);
        if sequence != expected {
            return Err(WireError::TwccSequenceGap {
                index,
                expected,
                found: sequence,
            });
        }
        if let Some(delta) = delta
            && i16::try_from(delta).is_err()
        {
            return Err(WireError::TwccDeltaOutOfRange(delta));
        }
        deltas_len += match TwccSymbol::of(delta) {
            TwccSymbol::NotReceived => 0,
            TwccSymbol::SmallDelta => 1,
            TwccSymbol::LargeDelta => 2,
        };
    }
    let chunk_count = TwccChunks { statuses }.count();
    let unpadded_len = 20 + 2 * chunk_count + deltas_len;
    let len = unpadded_len.next_multiple_of(4);
    // 65535 statuses take at most 9363 two-bit chunks and 131070 delta
    // bytes, under the 262144-byte limit; checked all the same.
    if len > MAX_PACKET_LEN {
        return Err(WireError::TooMany {
            what: "transport-cc bytes",
            count: len,
            max: MAX_PACKET_LEN,
        });
    }
    buf.reserve(len);
    put_header(buf, FMT_TWCC, PT_TRANSPORT_FEEDBACK, len);
    buf.put_u32(sender_ssrc);
    buf.put_u32(media_ssrc);
    buf.put_u16(base_sequence_number);
    buf.put_u16(statuses.len() as u16);
    buf.put_u32(reference_time << 8 | u32::from(feedback_packet_count));
    for chunk in (TwccChunks { statuses }) {
        buf.put_u16(chunk);
    }
    for &(_, delta) in statuses {
        match (TwccSymbol::of(delta), delta) {
            // Range checked above.
            (TwccSymbol::SmallDelta, Some(delta)) => buf.put_u8(delta as u8),
            (TwccSymbol::LargeDelta, Some(delta)) => buf.put_i16(delta as i16),
            _ => {}
        }
    }
    buf.put_bytes(0, len - unpadded_len);
    Ok(len)
}

#[cfg(test)]
mod tests {
    //! The encoding choices; `sfu/tests/wire.rs` compares with `rtc`.
    use super::super::rtcp::{RtcpPacket, packets};
    use super::*;

    #[test]
    fn nack_pairs_wrap_past_65535() {
        let lost = [65534, 65535, 0, 1, 14, 15, 40];
        let mut buf = BytesMut::new();
        // (65534 with bits for 65535, 0, 1, 14), (15), (40): 3 pairs.
        assert_eq!(write_nack(&mut buf, 1, 2, &lost), Ok(24));
        let Some(Ok(RtcpPacket::Nack(nack))) = packets(&buf).next() else {
            panic!("a NACK")
        };
        assert!(nack.lost_sequence_numbers().eq(lost));
        let empty = Err(WireError::Empty("NACK without lost packets"));
        assert_eq!(write_nack(&mut buf, 1, 2, &[]), empty);
    }

    #[test]
    fn twcc_chunks_use_run_lengths_for_long_runs() {
        // A received packet, 1000 lost, a received one: a one-bit vector (the
        // first 14), a run of 987 not received, a run of one; 3 delta bytes.
        let mut statuses = vec![(100u16, Some(4))];
        statuses.extend((101..1101).map(|seq| (seq, None)));
        statuses.push((1101, Some(-3)));
        let mut buf = BytesMut::new();
        let len = write_twcc(&mut buf, 1, 2, 100, 5, 0, &statuses);
        assert_eq!(len, Ok(20 + 3 * 2 + 3 + 3));
        assert_eq!(buf[0] & 0x20, 0, "zero-filled to 32 bits without the P bit");
        let Some(Ok(RtcpPacket::TransportCc(twcc))) = packets(&buf).next() else {
            panic!("transport-cc")
        };
        assert!(twcc.statuses().eq(statuses));
    }

    #[test]
    fn rtcp_writers_refuse_invalid_input_and_write_nothing() {
        let mut buf = BytesMut::new();
        let gap = write_twcc(&mut buf, 1, 2, 7, 0, 0, &[(7, Some(1)), (9, None)]);
        let (index, expected, found) = (1, 8, 9);
        assert_eq!(
            gap,
            Err(WireError::TwccSequenceGap {
                index,
                expected,
                found
            })
        );
        let delta = write_twcc(&mut buf, 1, 2, 7, 0, 0, &[(7, Some(40_000))]);
        assert_eq!(delta, Err(WireError::TwccDeltaOutOfRange(40_000)));
        assert!(write_twcc(&mut buf, 1, 2, 7, 1 << 24, 0, &[(7, None)]).is_err());
        assert!(write_twcc(&mut buf, 1, 2, 7, 0, 0, &[]).is_err());
        let blocks = [ReportBlock::default(); 32];
        assert!(write_receiver_report(&mut buf, 1, &blocks).is_err());
        let too_lost = ReportBlock {
            cumulative_lost: 1 << 24,
            ..ReportBlock::default()
        };
        let info = SenderInfo::default();
        assert!(write_sender_report(&mut buf, 1, &info, &[too_lost]).is_err());
        assert!(write_remb(&mut buf, 1, 5, &[0; 256]).is_err());
        assert!(buf.is_empty());
    }
}
