//! RTCP bytes: typed views over a compound packet, and (from
//! `rtcp_writer.rs`) writers for the feedback the SFU sends.
//!
//! [`packets`] walks a compound and yields one [`RtcpPacket`] per packet:
//! what the fast path acts on (design §4: SR, RR, NACK, PLI, FIR, REMB,
//! transport-cc) typed, everything else as [`RtcpPacket::Other`].
//!
//! The typed packets lean on `rtcp-types`: its `SenderReport`,
//! `ReceiverReport`, `TransportFeedback` and `PayloadFeedback` parsers check
//! each packet's version, type, length, padding and report-block count, and
//! its `Twcc` decodes the transport-cc status chunks and deltas. Hand-written
//! here, and why:
//! - The compound framing. `rtcp_types::Compound` would do it, but its
//!   iterator runs `Packet::parse` on every packet, whose SDES parser collects
//!   chunks and items into `Vec`s (an allocation in every compound a browser
//!   sends, since each carries an SDES CNAME); `Compound::parse` also rejects
//!   padding on any packet but the last, which libwebrtc sets on padded
//!   transport-cc feedback that it may batch with more feedback; and it checks
//!   only the first packet's version. The walk below reads each header's length
//!   and parses only the types we use.
//! - NACK and FIR items. `rtcp-types`' `Nack::entries` and `Fir::entries`
//!   borrow the short-lived `Nack`/`Fir` value, so they cannot be returned
//!   from a view; reading 4- and 8-byte items is simpler than working round it.
//! - REMB, which `rtcp-types` does not know (draft-alvestrand-rmcat-remb-03 §2.2).

use rtcp_types::{FciParser, PayloadFeedback, RtcpPacketParser, TransportFeedback, Twcc};

use super::WireError;

pub use super::rtcp_writer::{
    SenderInfo, write_nack, write_pli, write_receiver_report, write_remb, write_sender_report,
    write_twcc,
};

pub const PT_SENDER_REPORT: u8 = 200;
pub const PT_RECEIVER_REPORT: u8 = 201;
/// RTPFB, RFC 4585 §6.2.
pub const PT_TRANSPORT_FEEDBACK: u8 = 205;
/// PSFB, RFC 4585 §6.3.
pub const PT_PAYLOAD_FEEDBACK: u8 = 206;
pub const FMT_NACK: u8 = 1;
/// draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1.
pub const FMT_TWCC: u8 = 15;
pub const FMT_PLI: u8 = 1;
/// RFC 5104 §4.3.1.
pub const FMT_FIR: u8 = 4;
/// Application-layer feedback; REMB is the one we know.
pub const FMT_REMB: u8 = 15;
pub const REMB_IDENTIFIER: [u8; 4] = *b"REMB";

/// Header (4) plus sender SSRC and media SSRC: where a feedback FCI starts.
const FEEDBACK_FCI_OFFSET: usize = 12;
const REPORT_BLOCK_LEN: usize = 24;

/// The packets of a compound, in order. A packet whose header or length
/// cannot be read ends the walk with one error; a packet that is framed
/// correctly but malformed inside yields an error and the walk goes on.
pub fn packets(compound: &[u8]) -> Packets<'_> {
    Packets {
        rest: compound,
        framing_failed: false,
    }
}

/// The iterator [`packets`] returns.
#[derive(Debug, Clone)]
pub struct Packets<'a> {
    rest: &'a [u8],
    framing_failed: bool,
}

impl<'a> Iterator for Packets<'a> {
    type Item = Result<RtcpPacket<'a>, WireError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.framing_failed || self.rest.is_empty() {
            return None;
        }
        let framing_error = if self.rest.len() < 4 {
            Some(WireError::Truncated {
                needed: 4,
                available: self.rest.len(),
            })
        } else if self.rest[0] >> 6 != 2 {
            Some(WireError::UnsupportedVersion(self.rest[0] >> 6))
        } else {
            let len = 4 * (usize::from(u16::from_be_bytes([self.rest[2], self.rest[3]])) + 1);
            (len > self.rest.len()).then_some(WireError::Truncated {
                needed: len,
                available: self.rest.len(),
            })
        };
        if let Some(error) = framing_error {
            self.framing_failed = true;
            return Some(Err(error));
        }
        let len = 4 * (usize::from(u16::from_be_bytes([self.rest[2], self.rest[3]])) + 1);
        let (packet, rest) = self.rest.split_at(len);
        self.rest = rest;
        Some(parse_packet(packet))
    }
}

/// One RTCP packet of a compound.
#[derive(Debug, Clone)]
pub enum RtcpPacket<'a> {
    SenderReport(SenderReport<'a>),
    ReceiverReport(ReceiverReport<'a>),
    Nack(Nack<'a>),
    Pli(Pli),
    Fir(Fir<'a>),
    Remb(Remb<'a>),
    TransportCc(TransportCc<'a>),
    /// SDES, BYE, APP, XR, other feedback, unknown: the packet type.
    Other(u8),
}

/// Parses one packet whose length field matches `packet.len()`.
fn parse_packet(packet: &[u8]) -> Result<RtcpPacket<'_>, WireError> {
    let padding_len = if packet[0] & 0x20 != 0 {
        let count = usize::from(packet[packet.len() - 1]);
        if count == 0 || count > packet.len() - 4 {
            return Err(WireError::InvalidPadding);
        }
        count
    } else {
        0
    };
    let body = &packet[..packet.len() - padding_len];
    let format = packet[0] & 0x1F;
    let fci = body.get(FEEDBACK_FCI_OFFSET..).unwrap_or_default();
    Ok(match packet[1] {
        PT_SENDER_REPORT => {
            let report = rtcp_types::SenderReport::parse(packet)?;
            check_report_blocks(body, 28, report.n_reports())?;
            RtcpPacket::SenderReport(SenderReport(report))
        }
        PT_RECEIVER_REPORT => {
            let report = rtcp_types::ReceiverReport::parse(packet)?;
            check_report_blocks(body, 8, report.n_reports())?;
            RtcpPacket::ReceiverReport(ReceiverReport(report))
        }
        PT_TRANSPORT_FEEDBACK => {
            let feedback = TransportFeedback::parse(packet)?;
            let (sender_ssrc, media_ssrc) = (feedback.sender_ssrc(), feedback.media_ssrc());
            match format {
                FMT_NACK if !fci.is_empty() && fci.len() % 4 == 0 => RtcpPacket::Nack(Nack {
                    sender_ssrc,
                    media_ssrc,
                    pairs: fci,
                }),
                FMT_NACK => return Err(WireError::Malformed("NACK items")),
                FMT_TWCC => {
                    RtcpPacket::TransportCc(TransportCc::parse(sender_ssrc, media_ssrc, fci)?)
                }
                _ => RtcpPacket::Other(PT_TRANSPORT_FEEDBACK),
            }
        }
        PT_PAYLOAD_FEEDBACK => {
            let feedback = PayloadFeedback::parse(packet)?;
            let (sender_ssrc, media_ssrc) = (feedback.sender_ssrc(), feedback.media_ssrc());
            match format {
                FMT_PLI => RtcpPacket::Pli(Pli {
                    sender_ssrc,
                    media_ssrc,
                }),
                FMT_FIR if !fci.is_empty() && fci.len() % 8 == 0 => RtcpPacket::Fir(Fir {
                    sender_ssrc,
                    entries: fci,
                }),
                FMT_FIR => return Err(WireError::Malformed("FIR items")),
                FMT_REMB if fci.starts_with(&REMB_IDENTIFIER) => {
                    RtcpPacket::Remb(Remb::parse(sender_ssrc, fci)?)
                }
                _ => RtcpPacket::Other(PT_PAYLOAD_FEEDBACK),
            }
        }
        other => RtcpPacket::Other(other),
    })
}

/// `rtcp-types` checks the report blocks against the length field; this
/// also keeps them clear of the padding.
fn check_report_blocks(body: &[u8], blocks_offset: usize, count: u8) -> Result<(), WireError> {
    let needed = blocks_offset + usize::from(count) * REPORT_BLOCK_LEN;
    if needed > body.len() {
        return Err(WireError::Truncated {
            needed,
            available: body.len(),
        });
    }
    Ok(())
}

/// One reception report block (RFC 3550 §6.4.1), read or to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReportBlock {
    /// The source this block reports on.
    pub ssrc: u32,
    /// Lost fraction since the last report, in 1/256.
    pub fraction_lost: u8,
    /// 24 bits on the wire.
    pub cumulative_lost: u32,
    pub extended_highest_seq: u32,
    pub jitter: u32,
    /// The middle 32 bits of the last SR's NTP time from this source.
    pub last_sr: u32,
    /// In 1/65536 s.
    pub delay_since_last_sr: u32,
}

impl From<rtcp_types::ReportBlock<'_>> for ReportBlock {
    fn from(block: rtcp_types::ReportBlock<'_>) -> Self {
        ReportBlock {
            ssrc: block.ssrc(),
            fraction_lost: block.fraction_lost(),
            cumulative_lost: block.cumulative_lost(),
            extended_highest_seq: block.extended_sequence_number(),
            jitter: block.interarrival_jitter(),
            last_sr: block.last_sender_report_timestamp(),
            delay_since_last_sr: block.delay_since_last_sender_report_timestamp(),
        }
    }
}

/// SR, RFC 3550 §6.4.1.
#[derive(Debug, Clone)]
pub struct SenderReport<'a>(rtcp_types::SenderReport<'a>);

impl SenderReport<'_> {
    pub fn sender_ssrc(&self) -> u32 {
        self.0.ssrc()
    }

    /// 64-bit NTP time: seconds since 1900 in the high 32 bits.
    pub fn ntp_timestamp(&self) -> u64 {
        self.0.ntp_timestamp()
    }

    pub fn rtp_timestamp(&self) -> u32 {
        self.0.rtp_timestamp()
    }

    pub fn packet_count(&self) -> u32 {
        self.0.packet_count()
    }

    pub fn octet_count(&self) -> u32 {
        self.0.octet_count()
    }

    pub fn report_blocks(&self) -> impl Iterator<Item = ReportBlock> + '_ {
        self.0.report_blocks().map(ReportBlock::from)
    }
}

/// RR, RFC 3550 §6.4.2.
#[derive(Debug, Clone)]
pub struct ReceiverReport<'a>(rtcp_types::ReceiverReport<'a>);

impl ReceiverReport<'_> {
    pub fn sender_ssrc(&self) -> u32 {
        self.0.ssrc()
    }

    pub fn report_blocks(&self) -> impl Iterator<Item = ReportBlock> + '_ {
        self.0.report_blocks().map(ReportBlock::from)
    }
}

/// Generic NACK, RFC 4585 §6.2.1.
#[derive(Debug, Clone, Copy)]
pub struct Nack<'a> {
    pub sender_ssrc: u32,
    pub media_ssrc: u32,
    /// (PID, BLP) pairs, 4 bytes each.
    pairs: &'a [u8],
}

impl<'a> Nack<'a> {
    /// Each pair's PID, then PID + i + 1 for every bit i set in its BLP, in
    /// packet order (a sequence number listed twice comes twice).
    pub fn lost_sequence_numbers(&self) -> impl Iterator<Item = u16> + 'a {
        self.pairs.chunks_exact(4).flat_map(|pair| {
            let pid = u16::from_be_bytes([pair[0], pair[1]]);
            let blp = u16::from_be_bytes([pair[2], pair[3]]);
            std::iter::once(pid).chain(
                (0..16u16)
                    .filter(move |bit| blp & (1 << bit) != 0)
                    .map(move |bit| pid.wrapping_add(bit + 1)),
            )
        })
    }
}

/// Picture loss indication, RFC 4585 §6.3.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pli {
    pub sender_ssrc: u32,
    pub media_ssrc: u32,
}

/// Full intra request, RFC 5104 §4.3.1 (the media SSRC field is unused;
/// the entries name the sources).
#[derive(Debug, Clone, Copy)]
pub struct Fir<'a> {
    pub sender_ssrc: u32,
    /// (SSRC, seq, 3 reserved bytes) entries, 8 bytes each.
    entries: &'a [u8],
}

impl<'a> Fir<'a> {
    /// (SSRC, command sequence number) per entry.
    pub fn entries(&self) -> impl Iterator<Item = (u32, u8)> + 'a {
        self.entries.chunks_exact(8).map(|entry| {
            (
                u32::from_be_bytes([entry[0], entry[1], entry[2], entry[3]]),
                entry[4],
            )
        })
    }
}

/// Receiver estimated maximum bitrate, draft-alvestrand-rmcat-remb-03 §2.2:
/// PSFB FMT 15, media SSRC 0, FCI "REMB", SSRC count (8 bits), exponent
/// (6 bits), mantissa (18 bits), the SSRCs.
#[derive(Debug, Clone, Copy)]
pub struct Remb<'a> {
    pub sender_ssrc: u32,
    /// mantissa × 2^exponent, saturated at `u64::MAX` (the wire allows 2^81).
    pub bitrate_bps: u64,
    ssrcs: &'a [u8],
}

impl<'a> Remb<'a> {
    fn parse(sender_ssrc: u32, fci: &'a [u8]) -> Result<Self, WireError> {
        // "REMB", SSRC count, exponent and mantissa: 8 bytes.
        let Some(&[.., count, exponent_high, mantissa_mid, mantissa_low]) = fci.get(..8) else {
            return Err(WireError::Truncated {
                needed: FEEDBACK_FCI_OFFSET + 8,
                available: FEEDBACK_FCI_OFFSET + fci.len(),
            });
        };
        let exponent = u32::from(exponent_high >> 2);
        let mantissa = u64::from(exponent_high & 0x03) << 16
            | u64::from(mantissa_mid) << 8
            | u64::from(mantissa_low);
        let bitrate_bps = u64::try_from(u128::from(mantissa) << exponent).unwrap_or(u64::MAX);
        let ssrcs_len = 4 * usize::from(count);
        let ssrcs = fci.get(8..8 + ssrcs_len).ok_or(WireError::Truncated {
            needed: FEEDBACK_FCI_OFFSET + 8 + ssrcs_len,
            available: FEEDBACK_FCI_OFFSET + fci.len(),
        })?;
        Ok(Remb {
            sender_ssrc,
            bitrate_bps,
            ssrcs,
        })
    }

    /// The media sources the estimate applies to.
    pub fn ssrcs(&self) -> impl Iterator<Item = u32> + 'a {
        self.ssrcs
            .chunks_exact(4)
            .map(|ssrc| u32::from_be_bytes([ssrc[0], ssrc[1], ssrc[2], ssrc[3]]))
    }
}

/// Transport-wide congestion control feedback,
/// draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1.
#[derive(Debug, Clone)]
pub struct TransportCc<'a> {
    pub sender_ssrc: u32,
    pub media_ssrc: u32,
    /// The FCI, checked by [`TransportCc::parse`]; kept as bytes because
    /// `rtcp_types::Twcc` is not `Clone`.
    fci: &'a [u8],
}

impl<'a> TransportCc<'a> {
    /// Decodes the statuses once to reject a malformed packet here, so that
    /// [`TransportCc::statuses`] cannot fail: `rtcp_types::Twcc::packets`
    /// reports a reserved status or missing delta bytes per item, and ends
    /// without a word when the chunks cover fewer packets than announced.
    fn parse(sender_ssrc: u32, media_ssrc: u32, fci: &'a [u8]) -> Result<Self, WireError> {
        let twcc = <Twcc<'a> as FciParser<'a>>::parse(fci)?;
        let status_count = u16::from_be_bytes([fci[2], fci[3]]);
        let mut decoded = 0usize;
        for status in twcc.packets() {
            status?;
            decoded += 1;
        }
        if decoded != usize::from(status_count) {
            return Err(WireError::Malformed("transport-cc status chunks"));
        }
        Ok(TransportCc {
            sender_ssrc,
            media_ssrc,
            fci,
        })
    }

    // `parse` checked that the FCI has its 8 fixed bytes.
    pub fn base_sequence_number(&self) -> u16 {
        u16::from_be_bytes([self.fci[0], self.fci[1]])
    }

    pub fn packet_status_count(&self) -> u16 {
        u16::from_be_bytes([self.fci[2], self.fci[3]])
    }

    /// 24 bits, in multiples of 64 ms.
    pub fn reference_time(&self) -> u32 {
        u32::from_be_bytes([0, self.fci[4], self.fci[5], self.fci[6]])
    }

    pub fn feedback_packet_count(&self) -> u8 {
        self.fci[7]
    }

    /// (transport-wide sequence number, receive delta in 250 µs units or
    /// `None` if not received), from the base sequence number on.
    pub fn statuses(&self) -> impl Iterator<Item = (u16, Option<i32>)> + 'a {
        <Twcc<'a> as FciParser<'a>>::parse(self.fci)
            .ok()
            .into_iter()
            .flat_map(|twcc| twcc.packets())
            .map_while(Result::ok)
            .map(|(sequence, status)| match status {
                rtcp_types::TwccPacketStatus::NotReceived => (sequence, None),
                rtcp_types::TwccPacketStatus::Received { delta } => {
                    (sequence, Some(i32::from(delta)))
                }
            })
    }
}

#[cfg(test)]
mod tests {
    //! The compound walk's error handling; `sfu/tests/wire.rs` compares
    //! typed packets with `rtc`.
    use bytes::BytesMut;

    use super::*;

    #[test]
    fn compound_walk_stops_at_a_broken_frame_and_goes_on_after_a_broken_packet() {
        let mut buf = BytesMut::new();
        write_pli(&mut buf, 1, 2).unwrap();
        // A NACK framed correctly with no (PID, BLP) pair, then a PLI.
        buf.extend_from_slice(&[0x81, 205, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2]);
        write_pli(&mut buf, 3, 4).unwrap();
        let results: Vec<_> = packets(&buf).collect();
        let pli = |r: &Result<RtcpPacket<'_>, _>| matches!(r, Ok(RtcpPacket::Pli(_)));
        assert!(pli(&results[0]) && pli(&results[2]) && results.len() == 3);
        assert!(matches!(results[1], Err(WireError::Malformed(_))));
        // A length field that runs past the datagram: one error, then nothing.
        let results: Vec<_> = packets(&buf[..buf.len() - 1]).collect();
        assert!(matches!(results[2..], [Err(WireError::Truncated { .. })]));
        // Version 1 ends the walk too.
        let version_1 = [0x41, 206, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2];
        let results: Vec<_> = packets(&version_1).collect();
        assert!(matches!(
            results[..],
            [Err(WireError::UnsupportedVersion(1))]
        ));
    }
}
