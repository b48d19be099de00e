//! RTP bytes: a borrowed view of a packet, the RTP/RTCP demultiplexing test,
//! a header writer, and an in-place header-extension rewrite.
//!
//! [`RtpView`] wraps `rtp_types::RtpPacket`, which checks the version, the
//! CSRC list, the extension block and the padding against the packet length,
//! and adds what it lacks: `rtp-types` gives the extension block only as one
//! opaque `(profile, bytes)` pair, so the RFC 8285 element walk (one-byte and
//! two-byte profiles) is hand-written here ([`ExtensionElements`]). Its
//! accessors also return slices that live as long as the datagram rather
//! than the view, which `RtpPacket`'s `&self`-bound getters cannot.
//!
//! [`write_rtp`] writes what the SFU sends (design §5): V=2, no CSRCs, no
//! padding, and an extension block in the one-byte profile when every element
//! fits it, else the two-byte profile, as `rtc`'s `Header::set_extension`
//! would choose. [`set_extension_in_place`] overwrites one value of the same
//! length, to stamp a transport-wide sequence number on a packet that is
//! already serialised.

use bytes::{BufMut, BytesMut};
use rtp_types::RtpPacket;

use super::WireError;

/// RFC 8285 §4.2: the extension block's profile for one-byte element headers.
pub const ONE_BYTE_PROFILE: u16 = 0xBEDE;
/// RFC 8285 §4.3: `0x100` then 4 "appbits"; we write the appbits as 0.
pub const TWO_BYTE_PROFILE: u16 = 0x1000;
const TWO_BYTE_PROFILE_MASK: u16 = 0xFFF0;

const FIXED_HEADER_LEN: usize = RtpPacket::MIN_RTP_PACKET_LEN;
/// Profile (2 bytes) and length in 32-bit words (2 bytes).
const EXTENSION_BLOCK_HEADER_LEN: usize = 4;
/// RFC 8285 §4.2: id 15 is reserved; a parser stops at it.
const ONE_BYTE_STOP_ID: u8 = 15;

/// RFC 5761 §4 and RFC 7983 §7: the datagram is RTCP (or SRTCP, whose
/// first 8 bytes are cleartext): first byte 128..=191 (version 2), second
/// byte 192..=223, the RTCP packet types that RTP payload types avoid when
/// RTP and RTCP share a port.
pub fn is_rtcp(datagram: &[u8]) -> bool {
    matches!(datagram, [128..=191, 192..=223, ..])
}

/// The datagram is RTP (or SRTP, whose header is cleartext): version 2 and
/// not RTCP by [`is_rtcp`]. Says nothing about the rest of the header.
pub fn is_rtp(datagram: &[u8]) -> bool {
    matches!(datagram, [128..=191, second, ..] if !(192..=223).contains(second))
}

/// A parsed RTP packet, borrowing its bytes.
#[derive(Debug, Clone, Copy)]
pub struct RtpView<'a> {
    data: &'a [u8],
    /// Where the payload starts: fixed header, CSRCs and extension block.
    header_len: usize,
    padding_len: usize,
    /// The extension block's profile and element bytes, if the X bit is set.
    extension_block: Option<(u16, &'a [u8])>,
}

impl<'a> RtpView<'a> {
    /// `None` for anything `rtp_types::RtpPacket::parse` refuses: fewer than
    /// 12 bytes, a version other than 2, a CSRC list, extension block or
    /// padding longer than the packet, or a padding count of 0.
    pub fn parse(data: &'a [u8]) -> Option<RtpView<'a>> {
        let packet = RtpPacket::parse(data).ok()?;
        let header_len = packet.payload_offset();
        let extension_block = packet.extension_bit().then(|| {
            // `parse` checked that the block lies inside `data`; its
            // `extension()` would tie the slice to `packet`, not to `data`.
            let start = packet.payload_offset() - packet.extension_len();
            let profile = u16::from_be_bytes([data[start - 4], data[start - 3]]);
            (profile, &data[start..header_len])
        });
        Some(RtpView {
            data,
            header_len,
            padding_len: packet.padding().map_or(0, usize::from),
            extension_block,
        })
    }

    /// The cleartext header of an SRTP packet, whose payload (and with it
    /// the padding count in its last byte) is encrypted and followed by
    /// the authentication tag: the fixed header, CSRCs and extension block
    /// are checked against the length; the payload is not read, and
    /// [`RtpView::payload`] is ciphertext. `None` for what is not RTP
    /// version 2 or is shorter than its header says.
    pub fn parse_protected(data: &'a [u8]) -> Option<RtpView<'a>> {
        if data.len() < FIXED_HEADER_LEN || data[0] >> 6 != 2 {
            return None;
        }
        let mut header_len = FIXED_HEADER_LEN + 4 * usize::from(data[0] & 0x0F);
        let mut extension_block = None;
        if data[0] & 0x10 != 0 {
            let start = header_len + EXTENSION_BLOCK_HEADER_LEN;
            let fields = data.get(header_len..start)?;
            let profile = u16::from_be_bytes([fields[0], fields[1]]);
            let words = usize::from(u16::from_be_bytes([fields[2], fields[3]]));
            header_len = start + 4 * words;
            extension_block = Some((profile, data.get(start..header_len)?));
        }
        (data.len() >= header_len).then_some(RtpView {
            data,
            header_len,
            padding_len: 0,
            extension_block,
        })
    }

    pub fn marker(&self) -> bool {
        self.data[1] & 0x80 != 0
    }

    pub fn payload_type(&self) -> u8 {
        self.data[1] & 0x7F
    }

    pub fn sequence_number(&self) -> u16 {
        u16::from_be_bytes([self.data[2], self.data[3]])
    }

    pub fn timestamp(&self) -> u32 {
        u32::from_be_bytes([self.data[4], self.data[5], self.data[6], self.data[7]])
    }

    pub fn ssrc(&self) -> u32 {
        u32::from_be_bytes([self.data[8], self.data[9], self.data[10], self.data[11]])
    }

    /// The offset of the payload: fixed header, CSRCs and extension block.
    pub fn header_len(&self) -> usize {
        self.header_len
    }

    /// The payload without its padding.
    pub fn payload(&self) -> &'a [u8] {
        &self.data[self.header_len..self.data.len() - self.padding_len]
    }

    /// Padding bytes at the end, including the count byte; 0 without the P bit.
    pub fn padding_len(&self) -> usize {
        self.padding_len
    }

    /// The extension block's profile (`0xBEDE`, `0x100X`, or an RFC 3550
    /// profile), if the packet has one.
    pub fn extension_profile(&self) -> Option<u16> {
        self.extension_block.map(|(profile, _)| profile)
    }

    /// The RFC 8285 elements in order. Empty for an RFC 3550 block; ends
    /// early where the list stops making sense (see [`ExtensionElements`]).
    pub fn extensions(&self) -> ExtensionElements<'a> {
        match self.extension_block {
            Some((profile, block)) => ExtensionElements::new(profile, block),
            None => ExtensionElements::new(0, &[]),
        }
    }

    /// The value of the first element with this id. `None` if there is
    /// none before the list ends or turns malformed.
    pub fn extension(&self, id: u8) -> Option<&'a [u8]> {
        self.extensions()
            .find(|&(element_id, _)| element_id == id)
            .map(|(_, value)| value)
    }
}

/// Iterator over RFC 8285 header-extension elements as `(id, value)`.
///
/// Zero bytes between elements are padding in both profiles. In the one-byte
/// profile id 15 ends the list (RFC 8285 §4.2), and a nonzero byte with id 0
/// is skipped as one padding byte, as libwebrtc's parser does. The walk ends
/// at the first element whose header or value would overrun the block
/// rather than guessing, so hostile input cannot read past it.
#[derive(Debug, Clone)]
pub struct ExtensionElements<'a> {
    block: &'a [u8],
    position: usize,
    one_byte: bool,
}

impl<'a> ExtensionElements<'a> {
    fn new(profile: u16, block: &'a [u8]) -> Self {
        let one_byte = profile == ONE_BYTE_PROFILE;
        let two_byte = profile & TWO_BYTE_PROFILE_MASK == TWO_BYTE_PROFILE;
        ExtensionElements {
            // Not an RFC 8285 block: no elements to walk.
            block: if one_byte || two_byte { block } else { &[] },
            position: 0,
            one_byte,
        }
    }

    /// The next element's id and the byte range of its value in the block.
    fn next_range(&mut self) -> Option<(u8, std::ops::Range<usize>)> {
        loop {
            let &first = self.block.get(self.position)?;
            if first == 0 {
                self.position += 1;
                continue;
            }
            let (id, value_start, value_len) = if self.one_byte {
                let id = first >> 4;
                if id == 0 {
                    self.position += 1;
                    continue;
                }
                if id == ONE_BYTE_STOP_ID {
                    return self.stop();
                }
                (id, self.position + 1, usize::from(first & 0x0F) + 1)
            } else {
                let Some(&len) = self.block.get(self.position + 1) else {
                    return self.stop();
                };
                (first, self.position + 2, usize::from(len))
            };
            let value_end = value_start + value_len;
            if value_end > self.block.len() {
                return self.stop();
            }
            self.position = value_end;
            return Some((id, value_start..value_end));
        }
    }

    fn stop<T>(&mut self) -> Option<T> {
        self.position = self.block.len();
        None
    }
}

impl<'a> Iterator for ExtensionElements<'a> {
    type Item = (u8, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let (id, range) = self.next_range()?;
        Some((id, &self.block[range]))
    }
}

/// The fixed-header fields [`write_rtp`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpHeader {
    pub marker: bool,
    /// 0..=127.
    pub payload_type: u8,
    pub sequence_number: u16,
    pub timestamp: u32,
    pub ssrc: u32,
}

/// Appends one RTP packet to `buf`: the fixed header (no CSRCs, no padding),
/// the extension block if `extensions` is not empty, then `payload`.
/// Returns the header length (where the payload starts in what was written).
///
/// The block uses the one-byte profile when every id is 1..=14 and every
/// value 1..=16 bytes long, else the two-byte profile (ids 1..=255, values
/// 0..=255 bytes); elements are written in the order given and zero-padded
/// to 32 bits. Fails, writing nothing, on a payload type over 127, id 0, or
/// a value too long for either profile. Reserve `buf` for no allocation.
pub fn write_rtp(
    buf: &mut BytesMut,
    header: &RtpHeader,
    extensions: &[(u8, &[u8])],
    payload: &[u8],
) -> Result<usize, WireError> {
    let one_byte = extensions
        .iter()
        .all(|&(id, value)| (1..=14).contains(&id) && (1..=16).contains(&value.len()));
    for &(id, value) in extensions {
        if id == 0 {
            return Err(WireError::ExtensionIdInvalid(id));
        }
        if value.len() > usize::from(u8::MAX) {
            return Err(WireError::ExtensionValueTooLong {
                id,
                len: value.len(),
            });
        }
    }
    let element_header_len = if one_byte { 1 } else { 2 };
    let elements_len: usize = extensions
        .iter()
        .map(|(_, value)| element_header_len + value.len())
        .sum();
    // At most 255 elements × 257 bytes is far below the 16-bit word count.
    let block_words = elements_len.div_ceil(4);
    let header_len = if extensions.is_empty() {
        FIXED_HEADER_LEN
    } else {
        FIXED_HEADER_LEN + EXTENSION_BLOCK_HEADER_LEN + block_words * 4
    };

    // The fixed header is written by hand: twelve bytes in a layout RFC 3550
    // fixes, where `rtp-types`' builder (general: CSRCs, padding, payload
    // parts) cost about 260 instructions a forwarded copy.
    if header.payload_type > 127 {
        return Err(WireError::PayloadTypeInvalid(header.payload_type));
    }
    let mut fixed = [0u8; FIXED_HEADER_LEN];
    fixed[0] = 0x80 | if extensions.is_empty() { 0 } else { 0x10 };
    fixed[1] = (u8::from(header.marker) << 7) | header.payload_type;
    fixed[2..4].copy_from_slice(&header.sequence_number.to_be_bytes());
    fixed[4..8].copy_from_slice(&header.timestamp.to_be_bytes());
    fixed[8..12].copy_from_slice(&header.ssrc.to_be_bytes());

    buf.reserve(header_len + payload.len());
    buf.put_slice(&fixed);
    if !extensions.is_empty() {
        buf.put_u16(if one_byte {
            ONE_BYTE_PROFILE
        } else {
            TWO_BYTE_PROFILE
        });
        // Fits: see `block_words` above.
        buf.put_u16(block_words as u16);
        for &(id, value) in extensions {
            if one_byte {
                // Checked above: 1..=16 bytes, so len - 1 fits in 4 bits.
                buf.put_u8((id << 4) | (value.len() as u8 - 1));
            } else {
                buf.put_u8(id);
                buf.put_u8(value.len() as u8);
            }
            buf.put_slice(value);
        }
        buf.put_bytes(0, block_words * 4 - elements_len);
    }
    buf.put_slice(payload);
    Ok(header_len)
}

/// Overwrites the value of the first extension element with this id, if the
/// packet parses, has one, and its value is as long as `value`. Returns
/// whether it wrote. Used to stamp the transport-wide sequence number on an
/// already-serialised packet (before SRTP, which leaves the header in clear).
pub fn set_extension_in_place(packet: &mut [u8], id: u8, value: &[u8]) -> bool {
    let Some(view) = RtpView::parse(packet) else {
        return false;
    };
    let Some((_, block)) = view.extension_block else {
        return false;
    };
    let block_start = view.header_len - block.len();
    let mut elements = view.extensions();
    let found = std::iter::from_fn(|| elements.next_range())
        .find(|(element_id, _)| *element_id == id)
        .map(|(_, range)| range);
    match found {
        Some(range) if range.len() == value.len() => {
            let start = block_start + range.start;
            packet[start..start + value.len()].copy_from_slice(value);
            true
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    //! Byte-level corners; `sfu/tests/wire.rs` compares with `rtc`.
    use super::*;

    #[test]
    fn rtp_view_refuses_what_rtp_types_refuses() {
        let fixed = [0x80, 96, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3];
        let with = |first: u8, tail: &[u8]| [&[first], &fixed[1..], tail].concat();
        // 11 bytes, version 1, padding past the start, padding of 0.
        let refused = [
            fixed[..11].to_vec(),
            with(0x40, &[]),
            with(0xA0, &[9]),
            with(0xA0, &[0]),
        ];
        for bytes in refused {
            assert!(RtpView::parse(&bytes).is_none(), "{bytes:?}");
        }
        let padded = with(0xA0, &[0xAB, 0, 2]);
        let view = RtpView::parse(&padded).unwrap();
        let read = (view.payload(), view.padding_len(), view.header_len());
        assert_eq!(read, (&[0xAB][..], 2, 12));
    }

    const HEADER: RtpHeader = RtpHeader {
        marker: true,
        payload_type: 111,
        sequence_number: 9,
        timestamp: 10,
        ssrc: 11,
    };

    #[test]
    fn write_rtp_refuses_invalid_input_and_writes_nothing() {
        let mut buf = BytesMut::from(&b"kept"[..]);
        let mut bad_pt = HEADER;
        bad_pt.payload_type = 128;
        let mut write = |header: &RtpHeader, extension: (u8, &[u8])| {
            write_rtp(&mut buf, header, &[extension], b"")
        };
        let invalid_id = Err(WireError::ExtensionIdInvalid(0));
        assert_eq!(write(&HEADER, (0, &[1])), invalid_id);
        let too_long = Err(WireError::ExtensionValueTooLong { id: 3, len: 256 });
        assert_eq!(write(&HEADER, (3, &[0; 256])), too_long);
        let invalid_pt = Err(WireError::PayloadTypeInvalid(128));
        assert_eq!(write(&bad_pt, (1, &[1])), invalid_pt);
        assert_eq!(&buf[..], b"kept");
        // Id 15, or an empty value, takes the two-byte profile.
        for extension in [(15u8, &[1u8][..]), (2, &[][..])] {
            buf.clear();
            let header_len = write_rtp(&mut buf, &HEADER, &[extension], b"x");
            let profile = RtpView::parse(&buf).unwrap().extension_profile();
            assert_eq!((header_len, profile), (Ok(20), Some(0x1000)));
        }
    }

    #[test]
    fn a_protected_header_is_read_without_its_payload() {
        let mut buf = BytesMut::new();
        let header = RtpHeader {
            marker: true,
            payload_type: 96,
            sequence_number: 7,
            timestamp: 9,
            ssrc: 0x1234,
        };
        let header_len = write_rtp(&mut buf, &header, &[(3, &[0xAB, 0xCD])], &[1, 2]).unwrap();
        // Padding bit set, and a last byte (in SRTP, part of the tag) that
        // would make a nonsense padding count.
        buf[0] |= 0x20;
        buf.extend_from_slice(&[0xFF; 10]);
        assert!(RtpView::parse(&buf).is_none());
        let view = RtpView::parse_protected(&buf).unwrap();
        assert_eq!((view.ssrc(), view.sequence_number()), (0x1234, 7));
        assert_eq!(view.header_len(), header_len);
        assert_eq!(view.extension(3), Some(&[0xAB, 0xCD][..]));
        assert!(RtpView::parse_protected(&buf[..header_len - 1]).is_none());
        assert!(
            RtpView::parse_protected(&[0x90; 14]).is_none(),
            "block past the end"
        );
    }

    #[test]
    fn rtp_and_rtcp_are_told_apart_by_the_first_two_bytes() {
        // (bytes, RTP?, RTCP?)
        let cases: [(&[u8], bool, bool); 10] = [
            (&[0x80, 200], false, true),
            (&[0x81, 205, 0, 4], false, true),
            (&[0xBF, 223], false, true),
            (&[0x80, 96], true, false),
            (&[0x80, 0xE0], true, false),
            (&[0x90, 191], true, false),
            (&[0x00, 200], false, false),
            (&[0xC0, 200], false, false),
            (&[0x80], false, false),
            (&[], false, false),
        ];
        for (bytes, rtp, rtcp) in cases {
            let told = (is_rtp(bytes), is_rtcp(bytes));
            assert_eq!(told, (rtp, rtcp), "{bytes:?}");
        }
    }
}
