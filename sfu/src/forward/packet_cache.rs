//! The last few hundred packets of one published track, by sequence number,
//! so a subscriber's NACK is answered from here instead of asking the
//! publisher again. One cache per published track (not per subscriber): the
//! payload is a reference-counted `Bytes`, so storing costs no copy.

use bytes::{Bytes, BytesMut};

/// What the cache keeps of a packet: enough to send it again.
#[derive(Debug, Clone)]
pub struct CachedPacket {
    pub sequence_number: u16,
    pub timestamp: u32,
    pub marker: bool,
    pub payload: Bytes,
}

#[derive(Debug)]
pub struct PacketCache {
    slots: Vec<Option<CachedPacket>>,
    /// Beside each packet, the claim on the received buffer its payload is
    /// a slice of, when the fast receive leg made one (`crate::buffers`).
    buffers: Vec<Option<BytesMut>>,
}

impl PacketCache {
    /// `capacity` is rounded up to a power of two so a slot is `seq & mask`.
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.clamp(1, 1 << 15).next_power_of_two();
        Self {
            slots: vec![None; capacity],
            buffers: (0..capacity).map(|_| None).collect(),
        }
    }

    /// Stores `packet`, dropping the one whose slot it takes.
    pub fn insert(&mut self, packet: CachedPacket) {
        self.insert_with_buffer(packet, &mut None);
    }

    /// Stores `packet` with `buffer`, its received buffer's claim; the
    /// packet whose slot it takes is dropped, and its claim left in
    /// `buffer` (nothing else holds that buffer then, but the copies
    /// already written of it).
    pub fn insert_with_buffer(&mut self, packet: CachedPacket, buffer: &mut Option<BytesMut>) {
        let slot = self.slot(packet.sequence_number);
        self.slots[slot] = Some(packet);
        std::mem::swap(&mut self.buffers[slot], buffer);
    }

    /// The packet with this sequence number, if it is still held (a newer
    /// packet may have taken its slot).
    pub fn get(&self, sequence_number: u16) -> Option<&CachedPacket> {
        self.slots[self.slot(sequence_number)]
            .as_ref()
            .filter(|p| p.sequence_number == sequence_number)
    }

    /// Every packet held, in slot order.
    pub fn packets(&self) -> impl Iterator<Item = &CachedPacket> {
        self.slots.iter().flatten()
    }

    fn slot(&self, sequence_number: u16) -> usize {
        sequence_number as usize & (self.slots.len() - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(seq: u16) -> CachedPacket {
        CachedPacket {
            sequence_number: seq,
            timestamp: seq as u32 * 3000,
            marker: false,
            payload: Bytes::from(vec![seq as u8; 4]),
        }
    }

    #[test]
    fn hits_recent_packets_and_misses_evicted_or_unknown_ones() {
        let mut cache = PacketCache::new(100); // rounds up to 128
        for seq in 65_500..=65_535u16 {
            cache.insert(packet(seq));
        }
        for seq in 0..200u16 {
            cache.insert(packet(seq));
        }
        assert_eq!(cache.get(199).unwrap().payload[0], 199);
        assert_eq!(cache.get(72).unwrap().timestamp, 72 * 3000);
        assert!(cache.get(71).is_none(), "evicted by 199");
        assert!(cache.get(65_535).is_none(), "evicted long ago");
        assert!(cache.get(300).is_none(), "never sent");
    }
}
