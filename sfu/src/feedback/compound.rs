//! Packs the RTCP packets of one tick into compounds of at most
//! [`MAX_COMPOUND_LEN`] bytes, each handed to the caller as it is closed.
//!
//! A compound is what the caller protects and sends as one SRTCP packet,
//! so its size is the datagram's (less the SRTCP trailer and the UDP/IP
//! headers): 1200 bytes keeps it under any path MTU WebRTC meets. Packets
//! are appended in the order written; one that would push the open
//! compound past the limit closes it and starts the next. So a report tick's
//! SR/RR packets, written first, start its first compound (RFC 3550 §6.1),
//! and NACK and transport-cc feedback ride along while they fit; what does
//! not fit, and all feedback between report ticks, goes in compounds of
//! feedback only (reduced-size RTCP, RFC 5506, which browsers negotiate
//! with `a=rtcp-rsize` and which `rtc`'s interceptors send today).

use bytes::BytesMut;

use crate::wire::WireError;

/// The largest compound we close on purpose; a single packet longer than
/// this (only a NACK of a receive log far larger than the default) is
/// sent alone.
pub const MAX_COMPOUND_LEN: usize = 1200;

/// The tick's compounds, written into a preallocated buffer.
pub struct Compounds<'a, F: FnMut(&[u8])> {
    /// The open compound; its capacity holds a full compound plus the
    /// longest packet, so appending never reallocates.
    buf: &'a mut BytesMut,
    emit: F,
    emitted: usize,
}

impl<'a, F: FnMut(&[u8])> Compounds<'a, F> {
    pub fn new(buf: &'a mut BytesMut, emit: F) -> Self {
        buf.clear();
        Compounds {
            buf,
            emit,
            emitted: 0,
        }
    }

    /// Appends the packet `write` writes, closing the open compound first
    /// if the packet does not fit in it.
    pub fn push(&mut self, write: impl FnOnce(&mut BytesMut) -> Result<usize, WireError>) {
        let before = self.buf.len();
        // The writers refuse only input we never give them (an empty list,
        // more than 31 blocks, a value over 24 bits); a refusal leaves the
        // buffer unchanged, so nothing malformed can result either way.
        let written = write(self.buf);
        debug_assert!(written.is_ok(), "{written:?}");
        if self.buf.len() > MAX_COMPOUND_LEN && before > 0 {
            (self.emit)(&self.buf[..before]);
            self.emitted += 1;
            // The packet becomes the start of the next compound, in place.
            let len = self.buf.len();
            self.buf.copy_within(before..len, 0);
            self.buf.truncate(len - before);
        }
    }

    /// Closes the open compound, if any; returns how many were emitted.
    pub fn finish(self) -> usize {
        let mut emitted = self.emitted;
        let (buf, mut emit) = (self.buf, self.emit);
        if !buf.is_empty() {
            emit(&buf[..]);
            emitted += 1;
            buf.clear();
        }
        emitted
    }
}

#[cfg(test)]
mod tests {
    use bytes::BufMut;

    use super::*;

    fn filler(len: usize) -> impl FnOnce(&mut BytesMut) -> Result<usize, WireError> {
        move |buf| {
            buf.put_bytes(0, len);
            Ok(len)
        }
    }

    #[test]
    fn a_packet_that_does_not_fit_starts_the_next_compound() {
        let mut buf = BytesMut::with_capacity(2 * MAX_COMPOUND_LEN);
        let mut lens = Vec::new();
        let mut compounds = Compounds::new(&mut buf, |c: &[u8]| lens.push(c.len()));
        compounds.push(filler(700));
        compounds.push(filler(500));
        compounds.push(filler(100));
        compounds.push(filler(1300));
        compounds.push(filler(8));
        assert_eq!(compounds.finish(), 4);
        assert_eq!(lens, [1200, 100, 1300, 8]);
    }
}
