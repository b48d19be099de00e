//! `confide-loadtest`: simulated calls through a real Confide server (or
//! Janus, for comparison), measuring the SFU.
//!
//! The crates, and the paths a media packet, a subscriber's PLI or NACK,
//! a video-token request and a reminder take through them, file by file:
//! `docs/architecture.md`.
//!
//! Layout, in the order a run uses them:
//! - [`options`]: the command line.
//! - [`run`]: a run — workers started, participants joined at the ramp,
//!   one sample a second (the live line and the plots), the summary;
//!   `--find-max` adds calls until loss or latency gives.
//! - [`janus`]: the same participant against Janus's VideoRoom (for the
//!   side-by-side figure).
//! - [`participant`]: each participant's websocket (`join`, offers, answers),
//!   a small async task; [`worker`]: media threads, each driving many
//!   participants' [`peer`]s (webrtc-rs's sans-IO `rtc`) with one `mio`
//!   poll and a UDP socket per participant.
//! - [`payload`]: the media sent — VP8 frames split into packets, Opus —
//!   each payload stamped with its send time and sequence; [`stats`]:
//!   loss, jitter, latency and percentiles from those stamps.
//! - `fast`: the SRTP fast path once DTLS is up — media written and
//!   protected, or decrypted and read, without `rtc`'s pipeline, and the
//!   feedback (TWCC, NACK, reports) `rtc`'s interceptors gave — so the
//!   generator costs less per packet than the server it measures.
//! - [`monitor`]: CPU and memory, the SFU's (`/proc/<pid>` or `/metrics`)
//!   and the harness's own: user, system, and schedstat time on CPU.
//! - [`report`]: the table, `--json`, and the `--report` HTML page.
//!
//! Data path: a worker wakes, sends the packets that are due through each
//! peer (SRTP in `rtc` until DTLS is up, then on the fast path), reads
//! datagrams from the sockets that are ready, and each peer reads the
//! stamps of what it received into its stats. The run takes the workers'
//! counters once a second.

mod fast;
pub mod janus;
pub mod monitor;
pub mod options;
pub mod participant;
pub mod payload;
pub mod peer;
pub mod report;
pub mod run;
pub mod stats;
pub mod worker;
