//! What the fast send leg sent a participant, joined with its TWCC
//! feedback: the record [`SendSide`](super::bandwidth) keeps for the GCC
//! estimator.
//!
//! Why not `rtc-interceptor`'s `History`, which does the same for `rtc`'s
//! pipeline: it serves two feedback formats, so each packet goes into
//! three SipHash maps and out of them again, about 1,700 instructions per
//! packet, a sixth of all the forwarding path's (callgrind, issue 17). We
//! number every packet we send a participant ourselves, one counter with
//! no gaps, so the record of packet `n` is simply the `n`th entry of a
//! queue: a packet is recorded with a push, found by subtraction, and
//! reported or pruned from the front. The semantics are `History`'s
//! (`take_reports` reports up to the highest packet acknowledged as
//! arrived, older unacknowledged ones as lost; `prune_before` drops what
//! was never acknowledged), and the reports are its [`PacketReport`]s, so
//! the estimator is unchanged.

use std::collections::VecDeque;
use std::time::Instant;

use rtc::interceptor::{Acknowledgement, PacketReport};
use rtc::rtcp::transport_feedbacks::cc_feedback_report::Ecn;

/// At most this many packets are remembered: beyond half the 16-bit
/// sequence space, a transport-wide number in feedback could name two
/// packets. At video rates the prune horizon keeps a few thousand.
const MAX_RECORDS: usize = 1 << 15;

pub(super) struct SendHistory {
    /// `records[i]` is the packet numbered `first + i` (unwrapped).
    records: VecDeque<PacketReport>,
    /// The unwrapped transport-wide number of `records[0]`; the next
    /// packet's number is `first + records.len()`.
    first: u64,
    /// The highest packet acknowledged as arrived and not yet reported.
    highest_acknowledged: Option<u64>,
}

impl SendHistory {
    pub(super) fn new() -> Self {
        Self {
            records: VecDeque::new(),
            first: 0,
            highest_acknowledged: None,
        }
    }

    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.records.len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Records the packet numbered `transport_seq`, which must be the one
    /// after the last recorded (the counter has no gaps).
    pub(super) fn record(
        &mut self,
        ssrc: u32,
        sequence_number: u16,
        transport_seq: u16,
        size: usize,
        departure: Instant,
    ) {
        let next = self.first + self.records.len() as u64;
        if self.records.is_empty() {
            // The first record (or the first after everything was
            // reported or pruned) sets where the numbering stands.
            self.first = (next & !0xffff) | u64::from(transport_seq);
            if self.first < next {
                self.first += 1 << 16;
            }
        } else if next as u16 != transport_seq {
            // Not the next number: start again rather than misname
            // everything after it.
            self.records.clear();
            self.highest_acknowledged = None;
            return self.record(ssrc, sequence_number, transport_seq, size, departure);
        }
        if self.records.len() == MAX_RECORDS {
            self.records.pop_front();
            self.first += 1;
        }
        let id = self.first + self.records.len() as u64;
        self.records.push_back(PacketReport {
            ssrc,
            id,
            rtp_sequence_number: sequence_number,
            is_twcc: true,
            twcc_sequence_number: transport_seq,
            size,
            arrived: false,
            departure,
            arrival: None,
            ecn: Ecn::NotEct,
        });
    }

    /// Applies one packet's feedback; whether it named a packet we still
    /// remember.
    pub(super) fn on_acknowledgement(&mut self, acknowledgement: Acknowledgement) -> bool {
        let Some(index) = self.index_of(acknowledgement.sequence_number) else {
            return false;
        };
        let record = &mut self.records[index];
        record.arrived = acknowledgement.arrived;
        record.arrival = acknowledgement.arrival;
        record.ecn = acknowledgement.ecn;
        if record.arrived {
            let id = record.id;
            self.highest_acknowledged = Some(self.highest_acknowledged.map_or(id, |h| h.max(id)));
        }
        true
    }

    /// Moves every record up to the highest acknowledged as arrived into
    /// `reports`, in send order (those not acknowledged count as lost).
    pub(super) fn take_reports(&mut self, reports: &mut Vec<PacketReport>) {
        let Some(highest) = self.highest_acknowledged.take() else {
            return;
        };
        while self.records.front().is_some_and(|r| r.id <= highest) {
            reports.extend(self.records.pop_front());
            self.first += 1;
        }
    }

    /// Drops the records of packets sent before `cutoff` and never
    /// acknowledged. Every acknowledged one was reported when its feedback
    /// came, so what is older than `cutoff` sits at the front.
    pub(super) fn prune_before(&mut self, cutoff: Instant) {
        while self
            .records
            .front()
            .is_some_and(|r| r.departure < cutoff && !r.arrived)
        {
            self.records.pop_front();
            self.first += 1;
        }
    }

    /// Where the packet numbered `transport_seq` sits, if it is remembered:
    /// the number is taken as the one nearest the newest packet's.
    fn index_of(&self, transport_seq: u16) -> Option<usize> {
        let newest = self.first + self.records.len().checked_sub(1)? as u64;
        let ahead = transport_seq.wrapping_sub(newest as u16) as i16;
        let id = newest.checked_add_signed(i64::from(ahead))?;
        (self.first..=newest)
            .contains(&id)
            .then(|| (id - self.first) as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn received(seq: u16) -> Acknowledgement {
        Acknowledgement::received(seq, Some(Duration::from_millis(1)), Ecn::NotEct)
    }

    fn history(start: Instant, first_seq: u16, count: u16) -> SendHistory {
        let mut history = SendHistory::new();
        for i in 0..count {
            let seq = first_seq.wrapping_add(i);
            history.record(
                7,
                100 + i,
                seq,
                1200,
                start + Duration::from_millis(i.into()),
            );
        }
        history
    }

    #[test]
    fn reports_up_to_the_highest_arrival_in_send_order_across_the_wrap() {
        let start = Instant::now();
        let mut history = history(start, 65534, 5); // 65534, 65535, 0, 1, 2
        assert!(history.on_acknowledgement(received(1)));
        assert!(history.on_acknowledgement(Acknowledgement::lost(65535)));
        assert!(!history.on_acknowledgement(received(3)), "never sent");
        let mut reports = Vec::new();
        history.take_reports(&mut reports);
        let seqs: Vec<u16> = reports.iter().map(|r| r.twcc_sequence_number).collect();
        assert_eq!(seqs, [65534, 65535, 0, 1]);
        let arrived: Vec<bool> = reports.iter().map(|r| r.arrived).collect();
        assert_eq!(arrived, [false, false, false, true]);
        assert!(reports.windows(2).all(|w| w[0].id < w[1].id));
        assert_eq!(history.len(), 1);
        assert!(!history.on_acknowledgement(received(0)), "already reported");
        assert!(history.on_acknowledgement(received(2)));
    }

    #[test]
    fn nothing_is_reported_before_an_arrival() {
        let start = Instant::now();
        let mut history = history(start, 0, 3);
        history.on_acknowledgement(Acknowledgement::lost(0));
        let mut reports = Vec::new();
        history.take_reports(&mut reports);
        assert!(reports.is_empty());
        assert_eq!(history.len(), 3);
    }

    #[test]
    fn pruning_drops_only_what_is_old_and_unacknowledged() {
        let start = Instant::now();
        let mut history = history(start, 10, 10);
        history.prune_before(start + Duration::from_millis(4));
        assert_eq!(history.len(), 6);
        assert!(!history.on_acknowledgement(received(13)));
        assert!(history.on_acknowledgement(received(14)));
        let mut reports = Vec::new();
        history.take_reports(&mut reports);
        assert_eq!(reports.len(), 1);
        history.prune_before(start + Duration::from_secs(1));
        assert!(history.is_empty());
        // Numbering carries on after the history emptied.
        history.record(7, 1, 20, 1200, start);
        assert!(history.on_acknowledgement(received(20)));
    }

    #[test]
    fn it_never_holds_more_than_half_the_sequence_space() {
        let start = Instant::now();
        let mut history = history(start, 0, 40_000);
        assert_eq!(history.len(), MAX_RECORDS);
        assert!(!history.on_acknowledgement(received(0)), "forgotten");
        assert!(history.on_acknowledgement(received(39_999)));
        assert!(history.on_acknowledgement(received(40_000 - MAX_RECORDS as u16)));
    }

    #[test]
    fn a_gap_in_the_numbering_starts_it_again() {
        let start = Instant::now();
        let mut history = history(start, 0, 3);
        history.record(7, 1, 9, 1200, start);
        assert_eq!(history.len(), 1);
        assert!(!history.on_acknowledgement(received(1)));
        assert!(history.on_acknowledgement(received(9)));
    }
}
