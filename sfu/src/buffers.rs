//! Datagram buffers, reused, so that forwarding allocates nothing in the
//! steady state.
//!
//! Two kinds, because they live differently:
//! - **Output buffers.** The fast send leg writes each forwarded copy into
//!   one taken here ([`BufferPool::take`]); the I/O layer gives it back
//!   once the kernel has it ([`crate::core::Sfu::recycle`]).
//! - **Received buffers.** Each datagram is copied into one
//!   ([`BufferPool::receive`]). The fast receive leg splits the packet off
//!   it and keeps the buffer's empty remainder beside the packet, as a
//!   claim on the whole buffer; the packet's payload is then shared (the
//!   track's packet cache holds it for NACKs), and the claim goes into the
//!   cache with it. When a newer packet pushes it out of the cache, its
//!   payload is dropped and the claim, now the buffer's only owner, comes
//!   back here ([`BufferPool::give_received`]) and reclaims all of it.
//!   `bytes` counts the owners of a shared buffer in a small header it
//!   allocates when the buffer is first split; reusing the buffer this way
//!   reuses the header too, which giving the payload back as a `Vec` (our
//!   first way) did not: one allocation and one free per datagram.
//!
//! Received buffers come in four sizes, and a datagram takes the smallest
//! that holds it: an audio packet of 140 bytes sits in a packet cache for
//! seconds, and in a 1,500-byte buffer it would keep ten times its size
//! (at 100 calls, RSS went from 231 to 421 MiB when every datagram took
//! one). The smallest holds an Opus packet at a browser's usual rate with
//! its header, extensions and tag.

use bytes::BytesMut;

/// Room for one datagram: an Ethernet MTU's worth. Output buffers are
/// this size; larger ones come back too, smaller ones are dropped.
pub const BUFFER_CAPACITY: usize = 1500;

/// The sizes of received buffers, smallest first; a datagram larger than
/// the last gets one of its own size, not reused (a path MTU above
/// Ethernet's, or garbage).
const RECEIVE_SIZES: [usize; 4] = [160, 320, 640, BUFFER_CAPACITY];

/// At most this many free buffers of each kind and size wait (about 4 MB
/// in all): enough for a burst between two flushes, bounded whatever the
/// traffic.
const MAX_FREE: usize = 1024;

#[derive(Debug, Default)]
pub struct BufferPool {
    free: Vec<BytesMut>,
    /// Free received buffers, whole, by size (`RECEIVE_SIZES`).
    received: [Vec<BytesMut>; 4],
}

impl BufferPool {
    /// An empty output buffer with room for [`BUFFER_CAPACITY`] bytes.
    pub fn take(&mut self) -> BytesMut {
        self.free
            .pop()
            .unwrap_or_else(|| BytesMut::with_capacity(BUFFER_CAPACITY))
    }

    /// Takes an output buffer back, if it is worth keeping.
    pub fn give(&mut self, mut buf: BytesMut) {
        buf.clear();
        if buf.capacity() >= BUFFER_CAPACITY && self.free.len() < MAX_FREE {
            self.free.push(buf);
        }
    }

    /// `datagram`, copied into a received buffer of the smallest size that
    /// holds it.
    pub fn receive(&mut self, datagram: &[u8]) -> BytesMut {
        let Some(size) = RECEIVE_SIZES
            .iter()
            .position(|&size| datagram.len() <= size)
        else {
            return BytesMut::from(datagram);
        };
        let mut buf = self.received[size]
            .pop()
            .unwrap_or_else(|| BytesMut::with_capacity(RECEIVE_SIZES[size]));
        buf.extend_from_slice(datagram);
        buf
    }

    /// A received buffer's claim (what the fast receive leg split its
    /// packet off), once its packet left the cache: the whole buffer is
    /// taken back if nothing else holds any of it any more.
    pub fn give_received(&mut self, mut claim: BytesMut) {
        // The claim is the part of its buffer after its packet, so the
        // whole buffer is larger than the claim: asking for the smallest
        // size above the claim's capacity can only be met by taking the
        // whole buffer back (which `try_reclaim` does, without allocating,
        // when nothing else holds any of it), and the capacity it then
        // has is the buffer's size. One attempt, not one per size.
        claim.clear();
        let Some(&ask) = RECEIVE_SIZES.iter().find(|&&size| size > claim.capacity()) else {
            return;
        };
        if !claim.try_reclaim(ask) {
            return;
        }
        if let Some(i) = RECEIVE_SIZES
            .iter()
            .position(|&size| size == claim.capacity())
            && self.received[i].len() < MAX_FREE
        {
            self.received[i].push(claim);
        }
    }

    /// Output buffers waiting.
    pub fn len(&self) -> usize {
        self.free.len()
    }

    pub fn is_empty(&self) -> bool {
        self.free.is_empty()
    }

    /// Received buffers waiting, of every size.
    pub fn received_waiting(&self) -> usize {
        self.received.iter().map(Vec::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_output_buffer_given_back_is_taken_again_without_allocating() {
        let mut pool = BufferPool::default();
        let mut buf = pool.take();
        buf.extend_from_slice(&[1; 1200]);
        let at = buf.as_ptr();
        pool.give(buf);
        let again = pool.take();
        assert!(again.is_empty());
        assert_eq!(again.as_ptr(), at, "the same memory");
        assert!(pool.is_empty());
    }

    /// What the fast receive leg and the packet cache do with a datagram.
    fn receive_and_split(pool: &mut BufferPool, datagram: &[u8]) -> (bytes::Bytes, BytesMut) {
        let mut buf = pool.receive(datagram);
        let packet = buf.split().freeze();
        (packet.slice(12..), buf)
    }

    #[test]
    fn a_received_buffer_comes_back_once_nothing_holds_its_packet() {
        let mut pool = BufferPool::default();
        let (payload, claim) = receive_and_split(&mut pool, &[7; 1200]);
        let copy = payload.clone();
        drop(payload);
        pool.give_received(claim);
        assert_eq!(pool.received_waiting(), 0, "a copy still holds it");
        drop(copy);

        let (payload, claim) = receive_and_split(&mut pool, &[7; 1200]);
        let at = payload.as_ptr();
        drop(payload);
        pool.give_received(claim);
        assert_eq!(pool.received_waiting(), 1);
        let (payload, _claim) = receive_and_split(&mut pool, &[9; 1000]);
        assert_eq!(payload.as_ptr(), at, "the same memory, from its start");
        assert_eq!(&payload[..], &[9; 988][..]);
        assert_eq!(pool.received_waiting(), 0);
    }

    #[test]
    fn a_datagram_takes_the_smallest_size_that_holds_it_and_it_comes_back_there() {
        let mut pool = BufferPool::default();
        for (len, size) in [(100, 0), (160, 0), (300, 1), (600, 2), (1500, 3)] {
            let (payload, claim) = receive_and_split(&mut pool, &vec![1; len]);
            drop(payload);
            pool.give_received(claim);
            assert_eq!(pool.received[size].len(), 1, "{len} bytes");
            let buf = pool.receive(&vec![2; len]);
            assert_eq!(buf.capacity(), RECEIVE_SIZES[size]);
            assert_eq!(pool.received_waiting(), 0);
        }
        let jumbo = pool.receive(&[3; 9000]);
        assert_eq!(jumbo.len(), 9000, "too large for any: a buffer of its own");
        pool.give_received(jumbo);
        assert_eq!(pool.received_waiting(), 0, "and not kept");
    }

    #[test]
    fn output_buffers_too_small_are_not_kept_and_their_pool_is_bounded() {
        let mut pool = BufferPool::default();
        pool.give(BytesMut::with_capacity(100));
        assert!(pool.is_empty());
        for _ in 0..MAX_FREE + 10 {
            pool.give(BytesMut::with_capacity(BUFFER_CAPACITY));
        }
        assert_eq!(pool.len(), MAX_FREE);
    }
}
