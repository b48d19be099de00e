//! Datagram buffers, reused: the fast send leg writes each forwarded copy
//! into a buffer taken here, the I/O layer gives it back once the kernel
//! has it ([`crate::core::Sfu::recycle`]), and reads each large datagram
//! it receives (video) into one taken here too. A received buffer comes back when its
//! packet leaves the track's packet cache (the forwarded payload is a
//! slice of it, kept for NACKs; by then nothing else holds it). So the
//! steady state allocates no buffer for video: what is left per datagram
//! is the small reference count `bytes` puts beside a buffer it shares. A
//! small datagram (audio) gets a buffer of its own size instead: the cache
//! keeps it for seconds, and memory matters more there than one
//! allocation.

use bytes::{Bytes, BytesMut};

/// Room for one datagram: an Ethernet MTU's worth. Larger buffers come
/// back too; smaller ones (or ones advanced past their start) are dropped.
pub const BUFFER_CAPACITY: usize = 1500;

/// Datagrams from this size on are read into a pooled buffer
/// ([`crate::core::Sfu::buffer_for`]); smaller ones into one of their own
/// size, which the packet cache then holds at no more than it needs.
pub const POOLED_FROM: usize = 400;

/// At most this many buffers wait (about 1.5 MB): enough for a burst of
/// sends between two flushes, bounded whatever the traffic.
const MAX_FREE: usize = 1024;

#[derive(Debug, Default)]
pub struct BufferPool {
    free: Vec<BytesMut>,
}

impl BufferPool {
    /// An empty buffer with room for [`BUFFER_CAPACITY`] bytes.
    pub fn take(&mut self) -> BytesMut {
        self.free
            .pop()
            .unwrap_or_else(|| BytesMut::with_capacity(BUFFER_CAPACITY))
    }

    /// Takes a buffer back, if it is worth keeping.
    pub fn give(&mut self, mut buf: BytesMut) {
        buf.clear();
        if buf.capacity() >= BUFFER_CAPACITY && self.free.len() < MAX_FREE {
            self.free.push(buf);
        }
    }

    /// A shared buffer's last handle (a payload out of a packet cache): the
    /// whole buffer comes back when nothing else holds it.
    pub fn give_bytes(&mut self, bytes: Bytes) {
        if let Ok(mut buf) = bytes.try_into_mut() {
            buf.clear();
            // Back to the start of the allocation (the payload was a slice
            // past the RTP header), never by allocating.
            if buf.try_reclaim(BUFFER_CAPACITY) {
                self.give(buf);
            }
        }
    }

    /// Buffers waiting.
    pub fn len(&self) -> usize {
        self.free.len()
    }

    pub fn is_empty(&self) -> bool {
        self.free.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_buffer_given_back_is_taken_again_without_allocating() {
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

    #[test]
    fn a_payload_slice_brings_its_whole_buffer_back_once_nothing_else_holds_it() {
        let mut pool = BufferPool::default();
        let mut buf = pool.take();
        buf.extend_from_slice(&[7; 1200]);
        let at = buf.as_ptr();
        let frozen = buf.freeze();
        let payload = frozen.slice(12..1200);
        let copy = payload.clone();
        drop(frozen);
        pool.give_bytes(payload);
        assert!(pool.is_empty(), "a copy still holds it");
        pool.give_bytes(copy);
        assert_eq!(pool.len(), 1);
        let again = pool.take();
        assert_eq!(again.as_ptr(), at, "the same memory, from its start");
        assert!(again.capacity() >= BUFFER_CAPACITY);
    }

    #[test]
    fn small_buffers_are_not_kept_and_the_pool_is_bounded() {
        let mut pool = BufferPool::default();
        pool.give(BytesMut::with_capacity(100));
        assert!(pool.is_empty());
        for _ in 0..MAX_FREE + 10 {
            pool.give(BytesMut::with_capacity(BUFFER_CAPACITY));
        }
        assert_eq!(pool.len(), MAX_FREE);
    }
}
