//! Which peers to visit, without visiting every peer.
//!
//! Two per-packet costs used to grow with the number of participants:
//! every write to a subscriber queued its key again (a video frame of ten
//! packets queued it ten times, and each entry cost an output sweep and a
//! timer sweep of its engine), and every wake-up scanned all participants
//! for the earliest engine deadline. [`DirtyPeers`] queues a peer once
//! until its output is collected; [`PeerDeadlines`] keeps the engines'
//! deadlines in a min-heap.
//!
//! The heap is lazy: when a peer's deadline changes, the new one is pushed
//! and the old entry stays until it comes up, when the caller sees it no
//! longer matches the peer's current deadline and skips it. The invariant
//! the core keeps: whenever a participant's cached `next_timeout` is
//! `Some(t)`, the heap holds `(t, key)`.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

/// Peers that may have datagrams to send, each queued once. Whether a
/// peer is queued is a flag of its own, passed in (`queued`): no lookup
/// on the per-packet path. `K` is the core's participant key, generic so
/// this module names nothing of the core's.
pub(super) struct DirtyPeers<K> {
    queue: Vec<K>,
}

impl<K> Default for DirtyPeers<K> {
    fn default() -> Self {
        Self { queue: Vec::new() }
    }
}

impl<K: Copy + Eq> DirtyPeers<K> {
    pub(super) fn mark(&mut self, key: K, queued: &mut bool) {
        if !*queued {
            *queued = true;
            self.queue.push(key);
        }
    }

    /// The peer to collect output from next (it stays queued until
    /// [`DirtyPeers::done`]).
    pub(super) fn next(&self) -> Option<K> {
        self.queue.last().copied()
    }

    /// `key`, the peer [`DirtyPeers::next`] gave, has no more output.
    pub(super) fn done(&mut self, key: K, queued: &mut bool) {
        if self.queue.last() == Some(&key) {
            self.queue.pop();
        } else {
            self.queue.retain(|k| *k != key);
        }
        *queued = false;
    }

    /// `key` is gone (its flag with it).
    pub(super) fn forget(&mut self, key: K) {
        self.queue.retain(|k| *k != key);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.queue.len()
    }
}

/// The peers' engine deadlines, earliest first.
pub(super) struct PeerDeadlines<K> {
    heap: BinaryHeap<Reverse<(Instant, K)>>,
}

impl<K: Ord> Default for PeerDeadlines<K> {
    fn default() -> Self {
        Self {
            heap: BinaryHeap::new(),
        }
    }
}

impl<K: Copy + Ord> PeerDeadlines<K> {
    pub(super) fn schedule(&mut self, at: Instant, key: K) {
        self.heap.push(Reverse((at, key)));
    }

    /// The earliest entry, which may be stale (see the module doc).
    pub(super) fn earliest(&self) -> Option<(Instant, K)> {
        self.heap.peek().map(|Reverse(entry)| *entry)
    }

    /// Removes and returns the earliest entry if it is due at `now`.
    pub(super) fn pop_due(&mut self, now: Instant) -> Option<(Instant, K)> {
        match self.heap.peek() {
            Some(Reverse((at, _))) if *at <= now => self.heap.pop().map(|Reverse(e)| e),
            _ => None,
        }
    }

    /// Drops the earliest entry (the caller found it stale).
    pub(super) fn pop(&mut self) {
        self.heap.pop();
    }

    /// Whether stale entries outnumber live ones enough to rebuild.
    pub(super) fn needs_compaction(&self, live: usize) -> bool {
        self.heap.len() > 2 * live + 64
    }

    /// Rebuilds the heap from the live deadlines.
    pub(super) fn rebuild(&mut self, live: impl Iterator<Item = (Instant, K)>) {
        self.heap = live.map(Reverse).collect();
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_peer_is_queued_once_until_its_output_is_collected() {
        let mut dirty = DirtyPeers::<u64>::default();
        let (mut seven, mut eight) = (false, false);
        for _ in 0..10 {
            dirty.mark(7, &mut seven);
        }
        dirty.mark(8, &mut eight);
        assert_eq!(dirty.len(), 2);
        assert_eq!(dirty.next(), Some(8));
        dirty.done(8, &mut eight);
        assert_eq!(dirty.next(), Some(7));
        dirty.done(7, &mut seven);
        assert_eq!(dirty.next(), None);
        assert!(!seven && !eight);
        // Collected, it can be queued again.
        dirty.mark(7, &mut seven);
        assert_eq!(dirty.next(), Some(7));
        dirty.forget(7);
        assert_eq!(dirty.next(), None);
    }

    #[test]
    fn deadlines_come_out_earliest_first_and_only_when_due() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let mut deadlines = PeerDeadlines::<u64>::default();
        deadlines.schedule(t0 + ms(30), 3);
        deadlines.schedule(t0 + ms(10), 1);
        deadlines.schedule(t0 + ms(20), 2);
        assert_eq!(deadlines.earliest(), Some((t0 + ms(10), 1)));
        assert_eq!(deadlines.pop_due(t0 + ms(5)), None);
        assert_eq!(deadlines.pop_due(t0 + ms(25)), Some((t0 + ms(10), 1)));
        assert_eq!(deadlines.pop_due(t0 + ms(25)), Some((t0 + ms(20), 2)));
        assert_eq!(deadlines.pop_due(t0 + ms(25)), None);
        deadlines.pop();
        assert_eq!(deadlines.earliest(), None);
    }

    #[test]
    fn compaction_keeps_only_the_live_entries() {
        let t0 = Instant::now();
        let mut deadlines = PeerDeadlines::<u64>::default();
        for i in 0..200u32 {
            deadlines.schedule(t0 + Duration::from_millis(u64::from(i)), 1);
        }
        assert!(deadlines.needs_compaction(1));
        deadlines.rebuild(std::iter::once((t0, 1)));
        assert!(!deadlines.needs_compaction(1));
        assert_eq!(deadlines.earliest(), Some((t0, 1)));
    }
}
