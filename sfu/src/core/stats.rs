//! The SFU's counters. They are the core's: it counts as it routes, and the
//! I/O layer only hands a copy to whoever asks ([`crate::io::SfuHandle`]),
//! so `io` imports this and the core imports nothing from `io`.

/// Counters an operator (and the load test) reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SfuStats {
    pub rooms: usize,
    pub participants: usize,
    /// Of `participants`, those connected by ICE over TCP, and through a
    /// TURN server.
    pub participants_tcp: usize,
    pub participants_relayed: usize,
    pub datagrams_in: u64,
    pub datagrams_out: u64,
    pub datagrams_dropped: u64,
    /// Of `datagrams_in` and `datagrams_out`, those on ICE-over-TCP
    /// connections, and those relayed by a TURN server.
    pub tcp_datagrams_in: u64,
    pub tcp_datagrams_out: u64,
    pub relayed_datagrams_in: u64,
    pub relayed_datagrams_out: u64,
    /// ICE-over-TCP connections open now, and refused (over the cap, or
    /// never proven by a signed binding request).
    pub tcp_connections: usize,
    pub tcp_connections_refused: u64,
    pub rtp_forwarded: u64,
    pub rtp_retransmitted: u64,
    /// RTP packets received by the fast receive leg, past `rtc`'s pipeline
    /// ([`SfuConfig::fast_receive`](crate::core::SfuConfig)).
    pub rtp_fast_in: u64,
    /// RTP packets written by the fast send leg, past `rtc`'s pipeline
    /// ([`SfuConfig::fast_send`](crate::core::SfuConfig)).
    pub rtp_fast_out: u64,
    pub keyframe_requests: u64,
    /// REMB messages sent to publishers (`core::downlink_shares`).
    pub bitrate_caps_sent: u64,
    /// `publish_layers` messages: simulcast layers paused or resumed at
    /// their publishers (`core::downlink_shares`).
    pub layer_changes_sent: u64,
    /// Tracks switched off or on for a subscriber at its asking
    /// (`track_preferences`).
    pub track_switches: u64,
    /// Data track messages from publishers, copies relayed to
    /// subscribers, and copies dropped (too large, a channel not open or
    /// backlogged: `core::data_tracks`).
    pub data_messages_in: u64,
    pub data_messages_out: u64,
    pub data_messages_dropped: u64,
    pub socket_errors: u64,
    /// Engine timers fired, how late in all (microseconds after their
    /// deadlines), and how many were more than [`TIMER_LATE`] late: a busy
    /// media loop shows here first.
    pub timers_fired: u64,
    pub timer_lateness_micros: u64,
    pub timers_late: u64,
}

impl SfuStats {
    /// Adds another media worker's counters to these (`crate::io` sums
    /// its workers' for whoever asks).
    pub fn add(&mut self, other: &SfuStats) {
        // Destructured, so a new counter cannot be left out of the sum.
        let SfuStats {
            rooms,
            participants,
            participants_tcp,
            participants_relayed,
            datagrams_in,
            datagrams_out,
            datagrams_dropped,
            tcp_datagrams_in,
            tcp_datagrams_out,
            relayed_datagrams_in,
            relayed_datagrams_out,
            tcp_connections,
            tcp_connections_refused,
            rtp_forwarded,
            rtp_retransmitted,
            rtp_fast_in,
            rtp_fast_out,
            keyframe_requests,
            bitrate_caps_sent,
            layer_changes_sent,
            track_switches,
            data_messages_in,
            data_messages_out,
            data_messages_dropped,
            socket_errors,
            timers_fired,
            timer_lateness_micros,
            timers_late,
        } = other;
        self.rooms += rooms;
        self.participants += participants;
        self.participants_tcp += participants_tcp;
        self.participants_relayed += participants_relayed;
        self.datagrams_in += datagrams_in;
        self.datagrams_out += datagrams_out;
        self.datagrams_dropped += datagrams_dropped;
        self.tcp_datagrams_in += tcp_datagrams_in;
        self.tcp_datagrams_out += tcp_datagrams_out;
        self.relayed_datagrams_in += relayed_datagrams_in;
        self.relayed_datagrams_out += relayed_datagrams_out;
        self.tcp_connections += tcp_connections;
        self.tcp_connections_refused += tcp_connections_refused;
        self.rtp_forwarded += rtp_forwarded;
        self.rtp_retransmitted += rtp_retransmitted;
        self.rtp_fast_in += rtp_fast_in;
        self.rtp_fast_out += rtp_fast_out;
        self.keyframe_requests += keyframe_requests;
        self.bitrate_caps_sent += bitrate_caps_sent;
        self.layer_changes_sent += layer_changes_sent;
        self.track_switches += track_switches;
        self.data_messages_in += data_messages_in;
        self.data_messages_out += data_messages_out;
        self.data_messages_dropped += data_messages_dropped;
        self.socket_errors += socket_errors;
        self.timers_fired += timers_fired;
        self.timer_lateness_micros += timer_lateness_micros;
        self.timers_late += timers_late;
    }
}

/// Past this, a timer counts as late (`SfuStats::timers_late`): a tenth of
/// the shortest interval `rtc`'s interceptors keep (NACK and TWCC feedback
/// every 50–100 ms).
pub const TIMER_LATE: std::time::Duration = std::time::Duration::from_millis(5);
