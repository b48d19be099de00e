//! Allocation-free views and writers for RTP and RTCP bytes.
//!
//! The coming SRTP fast path (`docs/design/srtp-fast-path.md` §4–§6) forwards
//! media and answers feedback without `rtc`'s pipeline, which builds an owned
//! `rtp::Packet` (a `Vec` of extensions, `Bytes` per value) for every packet and
//! a `Vec<Box<dyn Packet>>` for every RTCP compound. This module reads and
//! writes the same bytes in place instead:
//!
//! - [`rtp`]: [`rtp::RtpView`] over a packet (fixed header, RFC 8285 header
//!   extensions, payload without padding), the RTP/RTCP demultiplexing test
//!   of RFC 5761/7983, [`rtp::write_rtp`], and
//!   [`rtp::set_extension_in_place`] to rewrite a value (the transport-cc
//!   sequence number) without re-serialising.
//! - [`rtcp`]: [`rtcp::packets`], an iterator of typed views over a compound
//!   (SR, RR, NACK, PLI, FIR, REMB, transport-cc), and writers for RR, SR,
//!   NACK, PLI, REMB and transport-cc feedback that append to one buffer, so
//!   several of them make a compound.
//!
//! Nothing here allocates: views borrow the datagram, iterators walk it, and
//! writers append to a caller's `BytesMut`, which allocates only if the caller
//! did not reserve enough capacity. Every writer checks its input before it
//! writes, so on error the buffer is unchanged. No input makes anything here
//! panic (`sfu/tests/wire.rs` feeds it arbitrary bytes).
//!
//! The fixed formats come from two zero-copy crates, `rtp-types` and
//! `rtcp-types`; what is hand-written (header-extension walking, RTCP
//! framing, NACK/FIR/REMB views, the allocating builders' replacements) is
//! explained where it is. Nothing in the engine uses this module yet.

pub mod rtcp;
mod rtcp_writer;
pub mod rtp;

/// Why bytes did not parse, or why a writer refused its input.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("truncated: {needed} bytes needed, {available} available")]
    Truncated { needed: usize, available: usize },
    #[error("version {0}; only version 2 exists")]
    UnsupportedVersion(u8),
    #[error("invalid padding")]
    InvalidPadding,
    #[error("malformed {0}")]
    Malformed(&'static str),
    /// An RTCP packet that `rtcp-types` refused.
    #[error("RTCP: {0}")]
    Rtcp(#[from] rtcp_types::RtcpParseError),
    #[error("payload type {0} does not fit in 7 bits")]
    PayloadTypeInvalid(u8),
    /// Id 0 is padding in both RFC 8285 profiles, so no element can have it.
    #[error("header extension id {0} is reserved")]
    ExtensionIdInvalid(u8),
    /// Two-byte-profile values are at most 255 bytes.
    #[error("header extension {id}: a value of {len} bytes does not fit")]
    ExtensionValueTooLong { id: u8, len: usize },
    #[error("too many {what}: {count}, at most {max}")]
    TooMany {
        what: &'static str,
        count: usize,
        max: usize,
    },
    #[error("{what} {value} does not fit in {bits} bits")]
    ValueTooLarge {
        what: &'static str,
        value: u64,
        bits: u8,
    },
    #[error("nothing to write: {0}")]
    Empty(&'static str),
    /// Transport-cc statuses must name consecutive sequence numbers from the
    /// base sequence number.
    #[error("transport-cc status {index} is for sequence {found}, expected {expected}")]
    TwccSequenceGap {
        index: usize,
        expected: u16,
        found: u16,
    },
    /// Receive deltas travel as u8 or i16 multiples of 250 µs.
    #[error("transport-cc delta {0} × 250 µs does not fit in 16 bits")]
    TwccDeltaOutOfRange(i32),
}
