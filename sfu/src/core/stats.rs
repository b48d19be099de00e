//! The SFU's counters. They are the core's: it counts as it routes, and the
//! I/O layer only hands a copy to whoever asks ([`crate::io::SfuHandle`]),
//! so `io` imports this and the core imports nothing from `io`.

/// Counters an operator (and the load test) reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SfuStats {
    pub rooms: usize,
    pub participants: usize,
    pub datagrams_in: u64,
    pub datagrams_out: u64,
    pub datagrams_dropped: u64,
    pub rtp_forwarded: u64,
    pub rtp_retransmitted: u64,
    pub keyframe_requests: u64,
    pub socket_errors: u64,
}
