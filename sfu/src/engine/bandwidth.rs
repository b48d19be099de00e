//! How much a participant's downlink takes, and telling its publishers.
//!
//! The SFU's sending leg to each participant is congestion-controlled the
//! way a browser's is: `rtc`'s TWCC sender numbers every packet we send it
//! (transport-wide sequence numbers), its browser answers with
//! transport-wide feedback, and `rtc`'s congestion control interceptor runs
//! a GCC estimator (delay- and loss-based, `rtc-interceptor`'s `Gcc`) over
//! that feedback. [`DownlinkEstimator`] wraps the estimator only to publish
//! its number where [`EnginePeer::downlink_estimate`] can read it: the
//! interceptor chain owns the estimator and offers no other handle.
//!
//! The core turns the estimates of a track's subscribers into a cap for
//! its publisher and sends it as REMB ([`EnginePeer::send_bitrate_cap`]):
//! a browser's own congestion control keeps its rate under a REMB it
//! receives, so a publisher sends no more than its narrowest subscriber
//! can take, instead of the SFU losing packets on that subscriber's link.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use rtc::interceptor::{
    Acknowledgement, BandwidthEstimator, EstimatorStats, Gcc, Interceptor, PacketReport,
    StreamInfo, TaggedPacket,
};
use rtc::rtcp::payload_feedbacks::receiver_estimated_maximum_bitrate::ReceiverEstimatedMaximumBitrate;
use rtc::rtcp::transport_feedbacks::cc_feedback_report::Ecn;
use rtc::sansio::Protocol;
use rtc::shared::error::Error as RtcError;

use super::send_history::SendHistory;
use super::{DownlinkFigures, EnginePeer};
use crate::wire::rtcp::TransportCc;

/// Where the estimate starts before any feedback: high enough not to hold
/// a call back while it starts (GCC only lowers it on evidence of
/// congestion, and otherwise keeps it near 1.5× what was acknowledged).
const INITIAL_BPS: f64 = 2_500_000.0;
const MIN_BPS: f64 = 100_000.0;
const MAX_BPS: f64 = 20_000_000.0;

/// Over how long the delivered rate is measured.
const DELIVERED_WINDOW: Duration = Duration::from_secs(1);

/// Below the delivered rate, how far the estimate may go (GCC's own
/// decrease factor).
const BACKOFF: f64 = 0.85;

/// At most one decrease per this long: a cut needs a round trip and the
/// publisher's encoder to show in the feedback.
const DECREASE_INTERVAL: Duration = Duration::from_secs(1);

/// Up to this multiple of the delivered rate the estimate is taken as it
/// comes (GCC's own increase keeps it near 1.5× what was acknowledged) ...
const PROVEN: f64 = 1.5;
/// ... and above it, it is allowed this much more per second, compounded,
/// for as long as it stays above.
const UNPROVEN_GROWTH_PER_SEC: f64 = 0.08;

/// The GCC estimator, publishing its target after every update, never
/// below [`BACKOFF`] × what the link delivered over the last second, and
/// lowered at most once per [`DECREASE_INTERVAL`].
///
/// That floor is GCC's own rule (on overuse, back off to 0.85 × the
/// acknowledged rate), kept to once per round of evidence: `rtc`'s `Gcc`
/// re-applies its decrease to every feedback batch while an overuse lasts,
/// each time from a delivered rate its previous cut already lowered, and on
/// a 300 kbit/s link measured here it fell to its 100 kbit/s floor and
/// suspended the publisher's video; with the floor it settles under the
/// link's capacity for a while.
///
/// Beside it, a cautious figure for choosing simulcast layers: `rtc`'s
/// loss-based half raises its estimate 5 % every 200 ms while nothing is
/// lost, whatever was sent, so a subscriber receiving a 100 kbit/s layer was
/// "estimated" at megabits and would be switched up into a link that could
/// not take it. Above [`PROVEN`] × the delivered rate the cautious figure
/// grows from its own last value by at most [`UNPROVEN_GROWTH_PER_SEC`] a
/// second, compounded (and it starts at that bound, not at `rtc`'s
/// starting guess of 2.5 Mbit/s): a slow probe, which the layer choice's
/// own patience turns into rare tries. REMB caps use the estimate itself: a publisher capped
/// to its REMB sends what it is allowed, so a cap that followed what it
/// sends would only let it ramp up at the probe's pace.
pub(super) struct DownlinkEstimator<E = Gcc> {
    gcc: E,
    /// Packets the remote reported as arrived: (departure, bytes), for the
    /// last [`DELIVERED_WINDOW`] of departures.
    delivered: VecDeque<(Instant, usize)>,
    /// What is published; 0 until the first feedback arrived.
    published: Arc<DownlinkFigures>,
    /// When the published estimate last went down.
    last_decrease: Option<Instant>,
    /// The cautious figure last published, and when.
    last_cautious: Option<(Instant, f64)>,
}

impl DownlinkEstimator {
    pub(super) fn new(published: Arc<DownlinkFigures>) -> Self {
        Self::with(Gcc::new(INITIAL_BPS, MIN_BPS, MAX_BPS), published)
    }
}

impl<E: BandwidthEstimator> DownlinkEstimator<E> {
    fn with(gcc: E, published: Arc<DownlinkFigures>) -> Self {
        Self {
            gcc,
            delivered: VecDeque::new(),
            published,
            last_decrease: None,
            last_cautious: None,
        }
    }

    /// Bits per second the link delivered over the last window.
    fn delivered_bps(&self) -> f64 {
        let (Some((first, _)), Some((last, _))) = (self.delivered.front(), self.delivered.back())
        else {
            return 0.0;
        };
        let span = last
            .saturating_duration_since(*first)
            .max(DELIVERED_WINDOW / 4);
        let bytes: usize = self.delivered.iter().map(|(_, b)| b).sum();
        bytes as f64 * 8.0 / span.as_secs_f64()
    }

    fn publish(&mut self, now: Instant) {
        let delivered = self.delivered_bps();
        let mut estimate = self.gcc.target_bitrate().max(BACKOFF * delivered) as u64;
        let previous = self.published.estimate.load(Ordering::Relaxed);
        if previous != 0 && estimate < previous {
            if self
                .last_decrease
                .is_some_and(|at| now.saturating_duration_since(at) < DECREASE_INTERVAL)
            {
                estimate = previous;
            } else {
                self.last_decrease = Some(now);
            }
        }
        self.published.estimate.store(estimate, Ordering::Relaxed);
        let proven = PROVEN * delivered;
        let grown = self.last_cautious.map_or(proven, |(at, last)| {
            let seconds = now.saturating_duration_since(at).as_secs_f64();
            last * (1.0 + UNPROVEN_GROWTH_PER_SEC).powf(seconds)
        });
        let cautious = (estimate as f64).min(grown.max(proven));
        self.last_cautious = Some((now, cautious));
        self.published
            .cautious
            .store(cautious as u64, Ordering::Relaxed);
    }
}

impl<E: BandwidthEstimator> BandwidthEstimator for DownlinkEstimator<E> {
    fn on_reports(&mut self, now: Instant, reports: &[PacketReport]) {
        self.gcc.on_reports(now, reports);
        for report in reports.iter().filter(|r| r.arrived) {
            self.delivered.push_back((report.departure, report.size));
        }
        if let Some(&(latest, _)) = self.delivered.iter().max_by_key(|(at, _)| *at) {
            while self
                .delivered
                .front()
                .is_some_and(|(at, _)| latest.saturating_duration_since(*at) > DELIVERED_WINDOW)
            {
                self.delivered.pop_front();
            }
        }
        self.publish(now);
    }

    fn target_bitrate(&self) -> f64 {
        self.gcc.target_bitrate()
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.gcc.handle_timeout(now);
        // Only feedback makes an estimate: a timer before it would publish
        // the starting guess as if measured.
        if self.published.estimate.load(Ordering::Relaxed) != 0 {
            self.publish(now);
        }
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.gcc.poll_timeout()
    }

    fn stats(&self) -> EstimatorStats {
        self.gcc.stats()
    }
}

/// How long a packet sent and never acknowledged is remembered (`rtc`'s
/// congestion control interceptor's own horizon).
const PRUNE_HORIZON: Duration = Duration::from_secs(2);

/// How often the history drops what was never acknowledged: GCC has no
/// timer of its own, and a peer that sends no feedback would otherwise
/// grow it without end.
const PRUNE_INTERVAL: Duration = Duration::from_millis(500);

/// The fast send leg's congestion control (`fast`, with
/// [`PeerSettings::fast_send`](super::PeerSettings)): what `rtc`'s TWCC
/// sender and congestion control interceptor do on the pipeline's path.
/// Every packet we send the participant gets the next transport-wide
/// sequence number and is recorded; its TWCC feedback is joined with the
/// record and the reports feed the same [`DownlinkEstimator`].
pub(super) struct SendSide {
    next_transport_seq: u16,
    history: SendHistory,
    estimator: DownlinkEstimator,
    /// Reused for each feedback's reports.
    reports: Vec<PacketReport>,
    /// When the history is next pruned; `None` while it is empty.
    next_prune: Option<Instant>,
}

impl SendSide {
    pub(super) fn new(published: Arc<DownlinkFigures>) -> Self {
        Self {
            next_transport_seq: 0,
            history: SendHistory::new(),
            estimator: DownlinkEstimator::new(published),
            reports: Vec::new(),
            next_prune: None,
        }
    }

    /// The transport-wide sequence number of the next packet (one counter
    /// for every SSRC we send the participant, repairs included).
    pub(super) fn next_transport_seq(&mut self) -> u16 {
        let seq = self.next_transport_seq;
        self.next_transport_seq = seq.wrapping_add(1);
        seq
    }

    /// A packet numbered `transport_seq` leaves now. `size` is its header
    /// and payload (the SRTP tag not counted, as `rtc` counts it).
    pub(super) fn record(
        &mut self,
        now: Instant,
        ssrc: u32,
        sequence_number: u16,
        transport_seq: u16,
        size: usize,
    ) {
        self.history
            .record(ssrc, sequence_number, transport_seq, size, now);
        self.next_prune.get_or_insert(now + PRUNE_INTERVAL);
    }

    /// Transport-wide feedback from the participant.
    pub(super) fn on_feedback(&mut self, now: Instant, feedback: &TransportCc<'_>) {
        let mut applied = false;
        for acknowledgement in twcc_acknowledgements(feedback) {
            applied |= self.history.on_acknowledgement(acknowledgement);
        }
        if applied {
            self.reports.clear();
            self.history.take_reports(&mut self.reports);
            self.estimator.on_reports(now, &self.reports);
        }
    }

    pub(super) fn handle_timeout(&mut self, now: Instant) {
        if self.next_prune.is_some_and(|at| at <= now) {
            self.history
                .prune_before(now.checked_sub(PRUNE_HORIZON).unwrap_or(now));
            self.next_prune = (!self.history.is_empty()).then_some(now + PRUNE_INTERVAL);
        }
        self.estimator.handle_timeout(now);
    }

    pub(super) fn poll_timeout(&self) -> Option<Instant> {
        match (self.estimator.poll_timeout(), self.next_prune) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// A TWCC feedback's statuses as acknowledgements, as `rtc`'s
/// `convert_twcc` makes them: each arrival is the reference time (64 ms
/// units) plus the deltas so far (250 µs units), never below zero.
fn twcc_acknowledgements<'a>(
    feedback: &TransportCc<'a>,
) -> impl Iterator<Item = Acknowledgement> + 'a {
    let mut arrival = Duration::from_millis(64) * feedback.reference_time();
    feedback.statuses().map(move |(seq, delta)| match delta {
        None => Acknowledgement::lost(seq),
        Some(delta) => {
            let magnitude = Duration::from_micros(250 * u64::from(delta.unsigned_abs()));
            arrival = if delta < 0 {
                arrival.saturating_sub(magnitude)
            } else {
                arrival + magnitude
            };
            Acknowledgement::received(seq, Some(arrival), Ecn::NotEct)
        }
    })
}

/// An interceptor that also sees each local stream's RTX repair flow as a
/// stream of its own.
///
/// `rtc`'s TWCC sender and congestion controller bind a local stream by its
/// media SSRC only, so retransmissions would go out unnumbered and unseen
/// by the estimator: on a congested link, where repairs are much of what
/// is sent, the estimate then saw half the traffic the subscriber received.
/// Binding the repair SSRC as well puts repairs under the same feedback.
pub(super) struct WithRepairFlows<I>(pub(super) I);

impl<I: Interceptor> Protocol<TaggedPacket, TaggedPacket, ()> for WithRepairFlows<I> {
    type Rout = TaggedPacket;
    type Wout = TaggedPacket;
    type Eout = ();
    type Error = RtcError;
    type Time = Instant;

    fn handle_read(&mut self, msg: TaggedPacket) -> Result<(), RtcError> {
        self.0.handle_read(msg)
    }
    fn poll_read(&mut self) -> Option<TaggedPacket> {
        self.0.poll_read()
    }
    fn handle_write(&mut self, msg: TaggedPacket) -> Result<(), RtcError> {
        self.0.handle_write(msg)
    }
    fn poll_write(&mut self) -> Option<TaggedPacket> {
        self.0.poll_write()
    }
    fn handle_event(&mut self, evt: ()) -> Result<(), RtcError> {
        self.0.handle_event(evt)
    }
    fn poll_event(&mut self) -> Option<()> {
        self.0.poll_event()
    }
    fn handle_timeout(&mut self, now: Instant) -> Result<(), RtcError> {
        self.0.handle_timeout(now)
    }
    fn poll_timeout(&mut self) -> Option<Instant> {
        self.0.poll_timeout()
    }
    fn close(&mut self) -> Result<(), RtcError> {
        self.0.close()
    }
}

impl<I: Interceptor> Interceptor for WithRepairFlows<I> {
    fn bind_local_stream(&mut self, info: &StreamInfo) {
        self.0.bind_local_stream(info);
        if let Some(repair) = repair_stream(info) {
            self.0.bind_local_stream(&repair);
        }
    }
    fn unbind_local_stream(&mut self, info: &StreamInfo) {
        self.0.unbind_local_stream(info);
        if let Some(repair) = repair_stream(info) {
            self.0.unbind_local_stream(&repair);
        }
    }
    fn bind_remote_stream(&mut self, info: &StreamInfo) {
        self.0.bind_remote_stream(info);
    }
    fn unbind_remote_stream(&mut self, info: &StreamInfo) {
        self.0.unbind_remote_stream(info);
    }
}

/// The repair flow of a local stream, described as a stream of its own.
fn repair_stream(info: &StreamInfo) -> Option<StreamInfo> {
    let ssrc = info.ssrc_rtx?;
    Some(StreamInfo {
        ssrc,
        ssrc_rtx: None,
        payload_type: info.payload_type_rtx.unwrap_or(info.payload_type),
        payload_type_rtx: None,
        ..info.clone()
    })
}

impl EnginePeer {
    /// What the congestion controller estimates the participant's downlink
    /// takes, in bits per second, once its feedback has been heard.
    pub fn downlink_estimate(&self) -> Option<u64> {
        match self.downlink.estimate.load(Ordering::Relaxed) {
            0 => None,
            bps => Some(bps),
        }
    }

    /// The estimate as far as what the participant's link delivered has
    /// shown it (see [`DownlinkEstimator`]): what simulcast layers are
    /// chosen by.
    pub fn cautious_downlink_estimate(&self) -> Option<u64> {
        match self.downlink.cautious.load(Ordering::Relaxed) {
            0 => None,
            bps => Some(bps),
        }
    }

    /// Asks the publisher of `track_id` to send it at no more than `bps`
    /// (REMB, naming each of its streams heard so far).
    pub fn send_bitrate_cap(&mut self, now: Instant, track_id: &str, bps: u64) {
        let Some(ssrcs) = self
            .incoming
            .get(track_id)
            .map(|t| t.layer_ssrcs.iter().flatten().copied().collect::<Vec<_>>())
        else {
            return;
        };
        if let Some(fast) = self.fast.as_mut().filter(|f| f.sends()) {
            let mut remb = bytes::BytesMut::with_capacity(20 + 4 * ssrcs.len());
            let sender_ssrc = fast.feedback.config().sender_ssrc;
            if crate::wire::rtcp::write_remb(&mut remb, sender_ssrc, bps, &ssrcs).is_ok()
                && fast.send_rtcp(self.pc.quiet(), &remb)
            {
                return;
            }
        }
        self.write_to_publisher(
            now,
            track_id,
            Box::new(ReceiverEstimatedMaximumBitrate {
                sender_ssrc: 0,
                bitrate: bps as f32,
                ssrcs,
            }),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtc::interceptor::ConstantBitrate;

    /// A feedback batch: `n` packets of `size` bytes sent 10 ms apart from
    /// `start`, all arrived.
    fn batch(start: Instant, n: u64, size: usize) -> Vec<PacketReport> {
        (0..n)
            .map(|i| PacketReport {
                ssrc: 1,
                id: i,
                rtp_sequence_number: i as u16,
                is_twcc: true,
                twcc_sequence_number: i as u16,
                size,
                arrived: true,
                departure: start + Duration::from_millis(10 * i),
                arrival: Some(Duration::from_millis(10 * i)),
                ecn: Default::default(),
            })
            .collect()
    }

    /// A TWCC feedback written with `wire`, read back with `wire`.
    fn twcc(reference_time: u32, statuses: &[(u16, Option<i32>)]) -> bytes::BytesMut {
        let mut buf = bytes::BytesMut::new();
        crate::wire::rtcp::write_twcc(&mut buf, 1, 2, statuses[0].0, reference_time, 0, statuses)
            .expect("written");
        buf
    }

    fn transport_cc(buf: &[u8]) -> TransportCc<'_> {
        match crate::wire::rtcp::packets(buf).next() {
            Some(Ok(crate::wire::rtcp::RtcpPacket::TransportCc(feedback))) => feedback,
            other => panic!("not transport-cc: {other:?}"),
        }
    }

    #[test]
    fn twcc_acknowledgements_are_rtcs() {
        use rtc::interceptor::convert_twcc;
        use rtc::rtcp::transport_feedbacks::transport_layer_cc::TransportLayerCc;
        use rtc::shared::marshal::Unmarshal;
        // Small, large and negative deltas, losses, a wrap of the numbers.
        let statuses: Vec<(u16, Option<i32>)> = [
            Some(4),
            Some(0),
            None,
            Some(300),
            Some(-20),
            None,
            None,
            Some(255),
            Some(1_000),
            Some(-1),
        ]
        .into_iter()
        .enumerate()
        .map(|(i, d)| (65_530u16.wrapping_add(i as u16), d))
        .collect();
        let buf = twcc(1_000, &statuses);
        let ours: Vec<Acknowledgement> = twcc_acknowledgements(&transport_cc(&buf)).collect();
        let theirs =
            convert_twcc(&TransportLayerCc::unmarshal(&mut &buf[..]).expect("rtc parses it"));
        // `rtc` also reads the unused symbols that fill the last status
        // vector chunk, as packets lost; the count in the header says
        // they are not packets.
        assert_eq!(ours.len(), statuses.len());
        assert_eq!(ours[..], theirs[..ours.len()]);
        assert!(theirs[ours.len()..].iter().all(|a| !a.arrived));
    }

    #[test]
    fn the_send_side_numbers_what_it_sends_and_estimates_from_feedback() {
        let t0 = Instant::now();
        let published = Arc::new(DownlinkFigures::default());
        let mut side = SendSide::new(published.clone());
        // 100 packets of 1000 bytes, 10 ms apart: 800 kbit/s.
        let sent: Vec<u16> = (0..100u16)
            .map(|i| {
                let seq = side.next_transport_seq();
                side.record(
                    t0 + Duration::from_millis(10 * u64::from(i)),
                    7,
                    i,
                    seq,
                    1_000,
                );
                seq
            })
            .collect();
        assert_eq!(
            sent,
            (0..100).collect::<Vec<_>>(),
            "one transport-wide counter"
        );
        assert_eq!(published.estimate.load(Ordering::Relaxed), 0);
        // Each arrived 10 ms after the one before (40 × 250 µs).
        let statuses: Vec<(u16, Option<i32>)> = sent
            .iter()
            .map(|&s| (s, Some(if s == 0 { 0 } else { 40 })))
            .collect();
        let buf = twcc(0, &statuses);
        side.on_feedback(t0 + Duration::from_millis(1_050), &transport_cc(&buf));
        let estimate = published.estimate.load(Ordering::Relaxed);
        assert!(
            estimate >= 600_000,
            "an estimate from the feedback: {estimate}"
        );
        // What was never acknowledged is forgotten after the horizon, by
        // a timer of the send side's own.
        let seq = side.next_transport_seq();
        side.record(t0 + Duration::from_secs(2), 7, 100, seq, 1_000);
        let due = side.poll_timeout().expect("a prune is due");
        assert!(due <= t0 + Duration::from_millis(2_500), "{:?}", due - t0);
        side.handle_timeout(t0 + Duration::from_secs(5));
        assert_eq!(side.history.len(), 0);
        assert_eq!(side.poll_timeout(), None, "nothing to prune, no timer");
    }

    #[test]
    fn nothing_is_published_before_feedback_then_never_below_what_was_delivered() {
        let t0 = Instant::now();
        let published = Arc::new(DownlinkFigures::default());
        let mut estimator =
            DownlinkEstimator::with(ConstantBitrate::new(100_000.0), published.clone());
        estimator.handle_timeout(t0);
        assert_eq!(
            published.estimate.load(Ordering::Relaxed),
            0,
            "a guess is not an estimate"
        );
        // 100 packets of 500 bytes over one second: 400 kbit/s delivered.
        estimator.on_reports(t0 + Duration::from_secs(1), &batch(t0, 101, 500));
        let floor = published.estimate.load(Ordering::Relaxed);
        assert!(
            (330_000..=345_000).contains(&floor),
            "0.85 × ~400 kbit/s, got {floor}"
        );
    }

    #[test]
    fn the_estimate_goes_down_at_most_once_a_second() {
        let t0 = Instant::now();
        let published = Arc::new(DownlinkFigures::default());
        let mut estimator = DownlinkEstimator::with(ConstantBitrate::new(0.0), published.clone());
        estimator.on_reports(t0, &batch(t0, 101, 1_000));
        let high = published.estimate.load(Ordering::Relaxed);
        // Much less delivered a moment later: one cut now…
        let t1 = t0 + Duration::from_secs(3);
        estimator.on_reports(t1, &batch(t1, 101, 100));
        let cut = published.estimate.load(Ordering::Relaxed);
        assert!(cut < high / 5, "{high} → {cut}");
        // …and no second one within the second, however the rate falls.
        let t2 = t1 + Duration::from_millis(1_500);
        estimator.on_reports(t1 + Duration::from_millis(500), &batch(t2, 101, 10));
        assert_eq!(published.estimate.load(Ordering::Relaxed), cut);
        estimator.on_reports(
            t2 + Duration::from_secs(2),
            &batch(t2 + Duration::from_secs(2), 101, 10),
        );
        assert!(published.estimate.load(Ordering::Relaxed) < cut);
    }

    #[test]
    fn above_one_and_a_half_times_the_delivered_rate_it_grows_slowly() {
        let t0 = Instant::now();
        let published = Arc::new(DownlinkFigures::default());
        // An estimator that says 10 Mbit/s of a link delivering 100 kbit/s.
        let mut estimator =
            DownlinkEstimator::with(ConstantBitrate::new(10_000_000.0), published.clone());
        estimator.on_reports(t0, &batch(t0, 101, 125));
        let start = published.cautious.load(Ordering::Relaxed);
        assert!(
            (145_000..=155_000).contains(&start),
            "1.5 × 100 kbit/s: {start}"
        );
        // From there it climbs 8 % a second, not to 10 Mbit/s.
        let mut at = t0;
        for _ in 0..10 {
            at += Duration::from_secs(1);
            estimator.on_reports(at, &batch(at, 101, 125));
        }
        let later = published.cautious.load(Ordering::Relaxed);
        assert_eq!(
            published.estimate.load(Ordering::Relaxed),
            10_000_000,
            "the estimate itself is as GCC says"
        );
        let expected = start as f64 * 1.08f64.powi(10);
        assert!(
            (later as f64 - expected).abs() < expected * 0.02,
            "{start} → {later}, expected ~{expected}"
        );
    }
}
