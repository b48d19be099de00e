//! The RTCP a peer connection's receiving and sending sides owe the remote:
//! NACKs for lost packets, transport-wide congestion control feedback,
//! receiver reports and sender reports, written as plaintext compound RTCP
//! by our own code.
//!
//! Today `rtc`'s interceptors (`engine/setup.rs`: NackGenerator, TwccReceiver,
//! ReceiverReport, SenderReport) produce this inside its pipeline. The SRTP
//! fast path (`docs/design/srtp-fast-path.md` §3, §6 step 4) moves RTP past
//! that pipeline, so it needs the same feedback from [`PeerFeedback`]: the
//! same state machines, ported from rtc-interceptor 0.21.1 (its crate-private
//! `ReceiveLog`, TWCC `Recorder` and `PacketArrivalTimeMap`,
//! `ReceiverStream`, `SenderStream`; each file names its upstream and how it
//! differs), writing wire bytes with [`crate::wire::rtcp`].
//!
//! Sans-IO like the rest: no clock (every input that needs the time takes
//! `now`; the SR's wall-clock time is the caller's `ntp_now`), no sockets,
//! no `rtc` types. Nothing allocates after [`PeerFeedback::new`] except
//! adding a stream: the NACK bitmaps, the TWCC arrival ring, the status and
//! sequence number lists and the output buffer are all sized up front.
//!
//! Timing: the ticks start when the first stream is added and stop when the
//! last is removed. Each kind has its own deadline on a fixed grid from that
//! instant (every `nack_interval`, `twcc_interval`, `report_interval`; a late
//! call skips the ticks it missed rather than bursting), so with the
//! defaults every tenth 100 ms tick is a report tick. What a compound is,
//! and the order of packets in it: [`compound`].
//!
//! Confide-visible differences from `rtc` (details in the files):
//! - A packet repaired by RTX counts as received for NACK
//!   ([`PeerFeedback::on_repaired`]); `rtc` unwrapped RTX after its
//!   interceptors, so it re-NACKed repaired packets.
//! - Report blocks go in RRs of up to 31 blocks from
//!   [`FeedbackConfig::sender_ssrc`], after one SR per send stream (SRs carry
//!   no blocks, as `rtc`'s did not), in one compound with the
//!   tick's NACKs and TWCC while they fit; `rtc` sent one packet per report
//!   from a random SSRC per interceptor. A receive stream that has not yet
//!   received a packet gets no block (`rtc` sent one of zeros).
//! - A TWCC feedback packet stays under 1200 bytes (`rtc`'s had no limit).

mod arrival_time_map;
pub mod compound;
mod receive_log;
mod receiver_stream;
mod sender_stream;
mod twcc;

use std::time::{Duration, Instant};

use bytes::BytesMut;

use crate::wire::rtcp::{
    ReportBlock, write_nack, write_receiver_report, write_sender_report, write_twcc,
};
use compound::{Compounds, MAX_COMPOUND_LEN};
use receive_log::ReceiveLog;
use receiver_stream::ReceiverStream;
use sender_stream::SenderStream;
use twcc::{MAX_FEEDBACK_LEN, MAX_STATUSES, Recorder, Status};

/// How a peer's feedback is paced and sized. The default is what
/// `engine/setup.rs` configures `rtc`'s interceptors with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedbackConfig {
    /// How often NACKs are sent for missing packets (at least 1 ms).
    pub nack_interval: Duration,
    /// How often TWCC feedback is sent (at least 1 ms).
    pub twcc_interval: Duration,
    /// How often SRs and RRs are sent (at least 1 ms).
    pub report_interval: Duration,
    /// How many recent sequence numbers a NACK log covers: a power of two
    /// from 64 to 32768 (rounded up to one otherwise).
    pub nack_log_size: u16,
    /// The SSRC our RTCP is sent from (RRs, NACK and TWCC senders).
    pub sender_ssrc: u32,
    /// How many transport-wide sequence numbers the TWCC arrival ring spans
    /// (rounded up to a power of two): 2048 is 200 ms at 100 Mbit/s of
    /// 1200-byte packets, twice the feedback interval.
    pub twcc_window: usize,
}

impl Default for FeedbackConfig {
    fn default() -> Self {
        FeedbackConfig {
            nack_interval: Duration::from_millis(100),
            twcc_interval: Duration::from_millis(100),
            report_interval: Duration::from_secs(1),
            nack_log_size: 512,
            sender_ssrc: 1,
            twcc_window: 2048,
        }
    }
}

/// The shortest interval, so that a zero in the configuration cannot make
/// the caller spin.
const MIN_INTERVAL: Duration = Duration::from_millis(1);
/// RFC 3550's 5-bit report count.
const MAX_BLOCKS_PER_REPORT: usize = 31;

/// A stream the remote sends us.
#[derive(Debug, Clone)]
struct ReceiveStream {
    ssrc: u32,
    /// `None` when the stream did not negotiate generic NACK.
    nack: Option<ReceiveLog>,
    report: ReceiverStream,
}

/// The next tick of each kind.
#[derive(Debug, Clone, Copy)]
struct Deadlines {
    nack: Instant,
    twcc: Instant,
    report: Instant,
}

/// Moves a due deadline to its next grid point after `now`.
fn advance(deadline: &mut Instant, interval: Duration, now: Instant) -> bool {
    if now < *deadline {
        return false;
    }
    *deadline += interval;
    if *deadline <= now {
        *deadline = now + interval;
    }
    true
}

/// One peer connection's feedback state; see the module doc.
#[derive(Debug)]
pub struct PeerFeedback {
    config: FeedbackConfig,
    receive: Vec<ReceiveStream>,
    send: Vec<SenderStream>,
    twcc: Recorder,
    deadlines: Option<Deadlines>,
    /// A tick's missing sequence numbers of one stream (capacity: a log).
    missing: Vec<u16>,
    /// A TWCC packet's statuses (capacity [`MAX_STATUSES`]).
    statuses: Vec<Status>,
    /// The open compound.
    out: BytesMut,
}

impl PeerFeedback {
    pub fn new(mut config: FeedbackConfig) -> Self {
        config.nack_interval = config.nack_interval.max(MIN_INTERVAL);
        config.twcc_interval = config.twcc_interval.max(MIN_INTERVAL);
        config.report_interval = config.report_interval.max(MIN_INTERVAL);
        config.nack_log_size = config.nack_log_size.clamp(64, 1 << 15).next_power_of_two();
        let log_size = usize::from(config.nack_log_size);
        // A NACK item covers 17 sequence numbers: at most size/17 + 1 items.
        let longest_nack = 12 + 4 * (log_size / 16 + 2);
        let longest_report = 8 + 24 * MAX_BLOCKS_PER_REPORT;
        let longest_packet = longest_nack.max(longest_report).max(MAX_FEEDBACK_LEN);
        PeerFeedback {
            twcc: Recorder::new(config.twcc_window),
            config,
            receive: Vec::new(),
            send: Vec::new(),
            deadlines: None,
            missing: Vec::with_capacity(log_size),
            statuses: Vec::with_capacity(MAX_STATUSES),
            out: BytesMut::with_capacity(MAX_COMPOUND_LEN + longest_packet),
        }
    }

    pub fn config(&self) -> &FeedbackConfig {
        &self.config
    }

    /// Starts the ticks at the first stream.
    fn arm(&mut self, now: Instant) {
        if self.deadlines.is_none() {
            self.deadlines = Some(Deadlines {
                nack: now + self.config.nack_interval,
                twcc: now + self.config.twcc_interval,
                report: now + self.config.report_interval,
            });
        }
    }

    fn disarm_if_idle(&mut self) {
        if self.receive.is_empty() && self.send.is_empty() {
            self.deadlines = None;
        }
    }

    /// A stream the remote sends us, at `clock_rate` Hz, NACKed if `nack`
    /// (it negotiated generic NACK). Adding an SSRC again starts it afresh.
    pub fn add_receive_stream(&mut self, now: Instant, ssrc: u32, clock_rate: u32, nack: bool) {
        let stream = ReceiveStream {
            ssrc,
            nack: nack
                .then(|| ReceiveLog::new(self.config.nack_log_size))
                .flatten(),
            report: ReceiverStream::new(ssrc, clock_rate),
        };
        match self.receive.iter_mut().find(|s| s.ssrc == ssrc) {
            Some(existing) => *existing = stream,
            None => self.receive.push(stream),
        }
        self.arm(now);
    }

    pub fn remove_receive_stream(&mut self, ssrc: u32) {
        self.receive.retain(|s| s.ssrc != ssrc);
        self.disarm_if_idle();
    }

    /// A stream we send, at `clock_rate` Hz, which our SRs describe.
    /// Adding an SSRC again starts it afresh.
    pub fn add_send_stream(&mut self, now: Instant, ssrc: u32, clock_rate: u32) {
        let stream = SenderStream::new(ssrc, clock_rate);
        match self.send.iter_mut().find(|s| s.ssrc() == ssrc) {
            Some(existing) => *existing = stream,
            None => self.send.push(stream),
        }
        self.arm(now);
    }

    pub fn remove_send_stream(&mut self, ssrc: u32) {
        self.send.retain(|s| s.ssrc() != ssrc);
        self.disarm_if_idle();
    }

    /// Every RTP packet received on this peer connection. `transport_seq`
    /// (its transport-wide sequence number, if it has one) counts for TWCC
    /// whatever the SSRC, as `rtc`'s TwccReceiver counts padding probes and
    /// not-yet-bound simulcast layers; the rest is ignored for SSRCs that
    /// are not receive streams.
    pub fn on_rtp(
        &mut self,
        now: Instant,
        ssrc: u32,
        sequence_number: u16,
        rtp_timestamp: u32,
        transport_seq: Option<u16>,
    ) {
        if let Some(transport_seq) = transport_seq {
            self.twcc.record(now, ssrc, transport_seq);
        }
        if let Some(stream) = self.receive.iter_mut().find(|s| s.ssrc == ssrc) {
            if let Some(log) = stream.nack.as_mut() {
                log.add(sequence_number);
            }
            stream
                .report
                .process_rtp(now, sequence_number, rtp_timestamp);
        }
    }

    /// `sequence_number` of receive stream `ssrc` arrived as a repair (RTX,
    /// RFC 4588, unwrapped to its original sequence number): it is no
    /// longer missing, so it is not NACKed again. It does not count for the
    /// RR, whose statistics are about the packets of `ssrc` itself (the RTX
    /// stream has its own). `rtc` never did this: it unwrapped RTX only
    /// after its interceptors, so its NACK generator kept asking for
    /// repaired packets until they left its 512-packet window.
    pub fn on_repaired(&mut self, ssrc: u32, sequence_number: u16) {
        if let Some(log) = self
            .receive
            .iter_mut()
            .find(|s| s.ssrc == ssrc)
            .and_then(|s| s.nack.as_mut())
        {
            log.add(sequence_number);
        }
    }

    /// An SR from the remote about its stream `ssrc`, with its 64-bit NTP
    /// timestamp: our next RR block about it carries LSR and DLSR.
    pub fn on_sender_report(&mut self, now: Instant, ssrc: u32, ntp: u64) {
        if let Some(stream) = self.receive.iter_mut().find(|s| s.ssrc == ssrc) {
            stream.report.process_sender_report(now, ntp);
        }
    }

    /// An RTP packet we sent on send stream `ssrc`, with its payload length
    /// (header and padding excluded), for the SR's counts and RTP time.
    pub fn on_sent(&mut self, now: Instant, ssrc: u32, rtp_timestamp: u32, payload_len: usize) {
        if let Some(stream) = self.send.iter_mut().find(|s| s.ssrc() == ssrc) {
            stream.on_sent(now, rtp_timestamp, payload_len);
        }
    }

    /// The next tick; `None` without streams.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.deadlines.map(|d| d.nack.min(d.twcc).min(d.report))
    }

    /// Runs the ticks due at `now` and hands each compound to `emit`
    /// (plaintext; the caller protects and sends it). `ntp_now` is `now`
    /// as a 64-bit NTP timestamp on the caller's clock, the one it reads
    /// our SRs' echoes in RRs with. Returns the number of compounds.
    pub fn handle_timeout(&mut self, now: Instant, ntp_now: u64, emit: impl FnMut(&[u8])) -> usize {
        let Some(deadlines) = self.deadlines.as_mut() else {
            return 0;
        };
        let report_due = advance(&mut deadlines.report, self.config.report_interval, now);
        let nack_due = advance(&mut deadlines.nack, self.config.nack_interval, now);
        let twcc_due = advance(&mut deadlines.twcc, self.config.twcc_interval, now);
        let sender_ssrc = self.config.sender_ssrc;
        let mut compounds = Compounds::new(&mut self.out, emit);
        if report_due {
            write_reports(
                &mut compounds,
                sender_ssrc,
                &self.send,
                &mut self.receive,
                now,
                ntp_now,
            );
        }
        if nack_due {
            for stream in &self.receive {
                let Some(log) = stream.nack.as_ref() else {
                    continue;
                };
                self.missing.clear();
                log.missing(&mut self.missing);
                if !self.missing.is_empty() {
                    let missing = &self.missing;
                    compounds.push(|buf| write_nack(buf, sender_ssrc, stream.ssrc, missing));
                }
            }
        }
        if twcc_due {
            while let Some(header) = self.twcc.next_feedback(&mut self.statuses) {
                let statuses = &self.statuses;
                compounds.push(|buf| {
                    write_twcc(
                        buf,
                        sender_ssrc,
                        header.media_ssrc,
                        header.base_sequence_number,
                        header.reference_time,
                        header.feedback_packet_count,
                        statuses,
                    )
                });
            }
        }
        compounds.finish()
    }
}

/// One SR per send stream that has sent, then RRs (31 blocks each) for the
/// receive streams that have received.
fn write_reports<F: FnMut(&[u8])>(
    compounds: &mut Compounds<'_, F>,
    sender_ssrc: u32,
    send: &[SenderStream],
    receive: &mut [ReceiveStream],
    now: Instant,
    ntp_now: u64,
) {
    for stream in send.iter() {
        if let Some(info) = stream.report(now, ntp_now) {
            compounds.push(|buf| write_sender_report(buf, stream.ssrc(), &info, &[]));
        }
    }
    let mut blocks = [ReportBlock::default(); MAX_BLOCKS_PER_REPORT];
    let mut count = 0;
    for stream in receive.iter_mut().filter(|s| s.report.has_received()) {
        blocks[count] = stream.report.generate_report(now);
        count += 1;
        if count == MAX_BLOCKS_PER_REPORT {
            compounds.push(|buf| write_receiver_report(buf, sender_ssrc, &blocks));
            count = 0;
        }
    }
    if count > 0 {
        compounds.push(|buf| write_receiver_report(buf, sender_ssrc, &blocks[..count]));
    }
}

#[cfg(test)]
mod tests {
    //! Timing and compound layout; `sfu/tests/feedback.rs` compares the
    //! content with `rtc`'s interceptors.
    use super::*;
    use crate::wire::rtcp::{RtcpPacket, packets};

    fn kinds(compound: &[u8]) -> Vec<&'static str> {
        packets(compound)
            .map(|p| match p.expect("well-formed") {
                RtcpPacket::SenderReport(_) => "SR",
                RtcpPacket::ReceiverReport(_) => "RR",
                RtcpPacket::Nack(_) => "NACK",
                RtcpPacket::TransportCc(_) => "TWCC",
                _ => "other",
            })
            .collect()
    }

    #[test]
    fn a_report_tick_puts_reports_first_and_feedback_after() {
        let t0 = Instant::now();
        let mut feedback = PeerFeedback::new(FeedbackConfig::default());
        feedback.add_receive_stream(t0, 10, 90_000, true);
        feedback.add_send_stream(t0, 20, 48_000);
        feedback.on_sent(t0, 20, 0, 100);
        let mut tseq = 0;
        let mut compounds = Vec::new();
        for tick in 1..=10u16 {
            let now = t0 + Duration::from_millis(100 * u64::from(tick));
            // Every other packet lost.
            for seq in (tick * 20..tick * 20 + 10).step_by(2) {
                feedback.on_rtp(now, 10, seq, 0, Some(tseq));
                tseq += 2;
            }
            assert_eq!(feedback.poll_timeout(), Some(now));
            compounds.clear();
            feedback.handle_timeout(now, 0, |c| compounds.push(kinds(c)));
        }
        assert_eq!(compounds, [["SR", "RR", "NACK", "TWCC"]]);
    }
}
