//! A run: start media workers, bring calls up at the ramp, sample once a
//! second (the live line and the plots), and sum up a measurement window.
//! `--find-max` keeps adding calls, one step at a time, until a window's
//! loss passes 1 % or its p99 latency 50 ms.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rtc::rtp_transceiver::rtp_sender::RtpCodecKind;
use serde::Serialize;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::janus::{self, JanusParticipant};
use crate::monitor::{self, Source};
use crate::options::{Credentials, Options, Target};
use crate::participant::{self, Participant};
use crate::payload::VideoShape;
use crate::peer::MediaPlan;
use crate::stats::{percentile, percentile_sorted};
use crate::worker::{self, Command, Handle};

/// One second of a run, for the plots.
#[derive(Debug, Clone, Serialize)]
pub struct Point {
    pub t: f64,
    pub calls: usize,
    pub participants_connected: usize,
    pub packets_per_second: f64,
    pub loss_percent: f64,
    pub latency_p50_ms: Option<f64>,
    pub latency_p95_ms: Option<f64>,
    pub latency_p99_ms: Option<f64>,
    pub sfu_cpu_percent: Option<f64>,
}

/// What a measurement window adds up to.
///
/// CPU comes four ways for each process, per packet: user, system, and
/// their sum from `/proc/<pid>/stat` (whole clock ticks, so a short or
/// light window reads coarsely), and the threads' schedstat time on CPU
/// (nanoseconds, but without threads that exited during the window); see
/// `monitor::Usage`. Fields a source cannot give are `None`: `/metrics`
/// gives only user + system. `sfu_cpu_us_per_packet` and
/// `generator_cpu_us_per_packet` keep their names and meaning so older
/// result files still compare.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Window {
    pub calls: usize,
    pub seconds: f64,
    pub packets_received: u64,
    pub packets_sent: u64,
    pub loss_percent: f64,
    pub latency_p50_ms: Option<f64>,
    pub latency_p95_ms: Option<f64>,
    pub latency_p99_ms: Option<f64>,
    /// The SFU's user + system over the window.
    pub sfu_cpu_seconds: Option<f64>,
    /// The SFU's schedstat time over the window.
    pub sfu_sched_seconds: Option<f64>,
    /// The SFU's user + system per packet the subscribers received: its
    /// work is the packets it forwarded.
    pub sfu_cpu_us_per_packet: Option<f64>,
    pub sfu_user_us_per_packet: Option<f64>,
    pub sfu_system_us_per_packet: Option<f64>,
    pub sfu_sched_us_per_packet: Option<f64>,
    pub sfu_rss_bytes: Option<u64>,
    /// The harness's own user + system (`/proc/<own pid>`) per packet it
    /// sent or received, since both are its work; 0 when unknown, as
    /// before the other figures were added.
    pub generator_cpu_us_per_packet: f64,
    pub generator_user_us_per_packet: Option<f64>,
    pub generator_system_us_per_packet: Option<f64>,
    pub generator_sched_us_per_packet: Option<f64>,
    /// The harness's user + system and schedstat time over the window.
    pub generator_cpu_seconds: Option<f64>,
    pub generator_sched_seconds: Option<f64>,
    pub plis_received: u64,
    pub nacks_received: u64,
    /// Payload bytes received in the window, per second, per remote track
    /// receiving at its end (0 with none): a window's own figure, so the
    /// ramp and earlier `--find-max` steps do not dilute it.
    pub bitrate_kbps_per_track: f64,
}

/// The workers' running totals at one sample.
#[derive(Debug, Clone, Copy, Default)]
struct Totals {
    received: u64,
    expected: u64,
    sent: u64,
    bytes: u64,
    /// Remote tracks that have delivered media (not a running total).
    tracks: usize,
}

/// The whole result.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub target: String,
    pub rooms: usize,
    pub participants_per_room: usize,
    pub tracks_published: usize,
    /// Remote tracks that delivered media to a subscriber.
    pub tracks_received: usize,
    pub window: Window,
    pub jitter_ms: f64,
    pub join_p50_ms: Option<u64>,
    pub join_p95_ms: Option<u64>,
    pub failures: Vec<String>,
    /// `--find-max`: the most calls whose window held (loss ≤ 1 %, p99 ≤ 50 ms).
    pub max_calls: Option<usize>,
    pub steps: Vec<Window>,
    pub series: Vec<Point>,
}

/// The harness's own CPU and memory.
fn this_process() -> Option<monitor::Usage> {
    monitor::from_proc(std::process::id()).ok()
}

fn ms(us: Option<u64>) -> Option<f64> {
    us.map(|v| v as f64 / 1000.0)
}

struct Load {
    options: Options,
    /// `None` for Janus, which takes no tokens.
    credentials: Option<Credentials>,
    workers: Vec<Arc<Handle>>,
    tasks: Vec<JoinHandle<Result<(), String>>>,
    stop: watch::Sender<bool>,
    run_id: String,
    /// Janus rooms are numbers: this run's first.
    janus_room_base: u64,
    started: Instant,
    calls: usize,
    next_id: usize,
    source: Source,
    http: reqwest::Client,
    series: Vec<Point>,
    joins_ms: Vec<u64>,
    failures: Vec<String>,
    /// The last sample: totals, the SFU's usage, and when.
    last: (Totals, Option<monitor::Usage>, Instant),
}

impl Load {
    fn ws_url(&self) -> String {
        let base = self.options.server.trim_end_matches('/');
        let base = base
            .strip_prefix("https://")
            .map(|rest| format!("wss://{rest}"))
            .or_else(|| {
                base.strip_prefix("http://")
                    .map(|rest| format!("ws://{rest}"))
            })
            .unwrap_or_else(|| base.to_owned());
        format!("{base}/rtc")
    }

    fn plan(&self) -> MediaPlan {
        MediaPlan {
            audio: self.options.audio,
            video: self.options.video.then(|| VideoShape {
                bitrate_bps: self.options.video_bitrate * 1000,
                fps: self.options.fps,
                keyframe_interval_frames: self.options.keyframe_frames(),
            }),
            opus_bytes: 80,
        }
    }

    /// Brings `rooms` more calls up, at the ramp.
    async fn add_calls(&mut self, rooms: usize) {
        let pace = Duration::from_secs_f64(1.0 / self.options.ramp);
        let url = self.ws_url();
        let ttl = 3600 * 6;
        let now_unix = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        for _ in 0..rooms {
            let room = format!("load-{}-{}", self.run_id, self.calls);
            self.calls += 1;
            for _ in 0..self.options.participants {
                let id = self.next_id;
                self.next_id += 1;
                let worker = self.workers[id % self.workers.len()].clone();
                let stop = self.stop.subscribe();
                let task = match &self.credentials {
                    Some(credentials) => {
                        let identity = format!("load-{id}");
                        let token = ::signaling::token::mint(
                            &credentials.account_sid,
                            &credentials.key,
                            &identity,
                            Some(&room),
                            ttl,
                            now_unix,
                        );
                        let participant = Participant {
                            id,
                            room: room.clone(),
                            token,
                            plan: self.plan(),
                        };
                        tokio::spawn(participant::run(url.clone(), participant, worker, stop))
                    }
                    None => {
                        let participant = JanusParticipant {
                            id,
                            room: self.janus_room_base + self.calls as u64,
                            plan: self.plan(),
                        };
                        tokio::spawn(janus::run(
                            self.options.server.clone(),
                            participant,
                            worker,
                            stop,
                        ))
                    }
                };
                self.tasks.push(task);
                tokio::time::sleep(pace).await;
                self.sample_if_due().await;
            }
        }
    }

    async fn sample_if_due(&mut self) {
        if self.last.2.elapsed() >= Duration::from_secs(1) {
            self.sample().await;
        }
    }

    /// One second's point: takes the workers' progress.
    async fn sample(&mut self) -> (Totals, Vec<u64>) {
        let mut connected = 0;
        let mut totals = Totals::default();
        let mut latencies = Vec::new();
        for worker in &self.workers {
            let mut p = worker.progress.lock().expect("progress lock");
            connected += p.connected;
            totals.received += p.received_packets;
            totals.expected += p.expected_packets;
            totals.sent += p.counters.rtp_sent;
            totals.bytes += p.received_bytes;
            totals.tracks += p.receiving_tracks;
            latencies.append(&mut p.latencies);
            self.joins_ms.append(&mut p.joins_ms);
        }
        for task in self.tasks.iter_mut().filter(|t| t.is_finished()) {
            if let Ok(Ok(Err(why))) = tokio::time::timeout(Duration::from_millis(1), task).await {
                self.failures.push(why);
            }
        }
        self.tasks.retain(|t| !t.is_finished());
        let usage = monitor::sample(&self.source, &self.http).await;
        let now = Instant::now();
        let dt = now.duration_since(self.last.2).as_secs_f64().max(1e-3);
        let (d_received, d_expected) = (
            totals.received.saturating_sub(self.last.0.received),
            totals.expected.saturating_sub(self.last.0.expected),
        );
        // CPU time moves in clock ticks (10 ms): a rate over a short gap
        // between samples would be noise.
        let cpu = match (usage, self.last.1) {
            (Some(u), Some(prev)) if dt >= 0.5 => {
                Some((u.cpu_seconds() - prev.cpu_seconds()) / dt * 100.0)
            }
            _ => None,
        };
        let mut sorted = latencies.clone();
        sorted.sort_unstable();
        let point = Point {
            t: now.duration_since(self.started).as_secs_f64(),
            calls: self.calls,
            participants_connected: connected,
            packets_per_second: d_received as f64 / dt,
            loss_percent: if d_expected > 0 {
                d_expected.saturating_sub(d_received) as f64 * 100.0 / d_expected as f64
            } else {
                0.0
            },
            latency_p50_ms: ms(percentile_sorted(&sorted, 50.0)),
            latency_p95_ms: ms(percentile_sorted(&sorted, 95.0)),
            latency_p99_ms: ms(percentile_sorted(&sorted, 99.0)),
            sfu_cpu_percent: cpu,
        };
        if !self.options.quiet {
            eprint!(
                "\r{:>6.1}s  calls {:>4}  connected {:>5}/{:<5}  {:>8.0} pkt/s  loss {:>5.2}%  p99 {:>6}  SFU CPU {:>5}   ",
                point.t,
                self.calls,
                connected,
                self.next_id,
                point.packets_per_second,
                point.loss_percent,
                point
                    .latency_p99_ms
                    .map(|v| format!("{v:.1}ms"))
                    .unwrap_or_else(|| "-".into()),
                cpu.map(|c| format!("{c:.0}%"))
                    .unwrap_or_else(|| "-".into()),
            );
        }
        self.series.push(point);
        self.last = (totals, usage.or(self.last.1), now);
        (totals, latencies)
    }

    /// Samples for `length`, and sums the window up.
    async fn measure(&mut self, length: Duration) -> Window {
        let (first, _) = self.sample().await;
        let usage_start = self.last.1;
        let own_start = this_process();
        let counters_start = self.counters();
        let start = Instant::now();
        let mut latencies = Vec::new();
        let mut end = first;
        while start.elapsed() < length {
            tokio::time::sleep(
                Duration::from_secs(1)
                    .min(length.saturating_sub(start.elapsed()))
                    .max(Duration::from_millis(10)),
            )
            .await;
            let (totals, mut l) = self.sample().await;
            end = totals;
            latencies.append(&mut l);
        }
        let seconds = start.elapsed().as_secs_f64();
        let packets_received = end.received.saturating_sub(first.received);
        let packets_expected = end.expected.saturating_sub(first.expected);
        let packets_sent = end.sent.saturating_sub(first.sent);
        let bytes_received = end.bytes.saturating_sub(first.bytes);
        let usage_end = self.last.1;
        let sfu = match (usage_start, usage_end) {
            (Some(a), Some(b)) => Some(b.since(&a)),
            _ => None,
        };
        let counters = self.counters();
        let own = match (own_start, this_process()) {
            (Some(a), Some(b)) => Some(b.since(&a)),
            _ => None,
        };
        let sfu_per_packet = sfu.and_then(|s| s.per_packet(packets_received));
        let own_per_packet = own.and_then(|s| s.per_packet(packets_sent + packets_received));
        Window {
            calls: self.calls,
            seconds,
            packets_received,
            packets_sent,
            loss_percent: if packets_expected > 0 {
                packets_expected.saturating_sub(packets_received) as f64 * 100.0
                    / packets_expected as f64
            } else {
                0.0
            },
            latency_p50_ms: ms(percentile(&mut latencies, 50.0)),
            latency_p95_ms: ms(percentile(&mut latencies, 95.0)),
            latency_p99_ms: ms(percentile(&mut latencies, 99.0)),
            sfu_cpu_seconds: sfu.map(|s| s.cpu_seconds),
            sfu_sched_seconds: sfu.and_then(|s| s.scheduled_seconds),
            sfu_cpu_us_per_packet: sfu_per_packet.map(|p| p.cpu_us),
            sfu_user_us_per_packet: sfu_per_packet.and_then(|p| p.user_us),
            sfu_system_us_per_packet: sfu_per_packet.and_then(|p| p.system_us),
            sfu_sched_us_per_packet: sfu_per_packet.and_then(|p| p.scheduled_us),
            sfu_rss_bytes: usage_end.map(|u| u.rss_bytes),
            generator_cpu_us_per_packet: own_per_packet.map_or(0.0, |p| p.cpu_us),
            generator_user_us_per_packet: own_per_packet.and_then(|p| p.user_us),
            generator_system_us_per_packet: own_per_packet.and_then(|p| p.system_us),
            generator_sched_us_per_packet: own_per_packet.and_then(|p| p.scheduled_us),
            generator_cpu_seconds: own.map(|s| s.cpu_seconds),
            generator_sched_seconds: own.and_then(|s| s.scheduled_seconds),
            plis_received: counters.0 - counters_start.0,
            nacks_received: counters.1 - counters_start.1,
            bitrate_kbps_per_track: if end.tracks > 0 {
                bytes_received as f64 * 8.0 / 1000.0 / seconds / end.tracks as f64
            } else {
                0.0
            },
        }
    }

    fn counters(&self) -> (u64, u64) {
        self.workers.iter().fold((0, 0), |acc, w| {
            let p = w.progress.lock().expect("progress lock");
            (
                acc.0 + p.counters.plis_received,
                acc.1 + p.counters.nacks_received,
            )
        })
    }

    /// Leaves every call and stops the workers; returns the received tracks.
    async fn finish(mut self) -> (Vec<(RtpCodecKind, crate::stats::TrackStats)>, Self) {
        let _ = self.stop.send(true);
        for task in std::mem::take(&mut self.tasks) {
            if let Ok(Ok(Err(why))) = tokio::time::timeout(Duration::from_secs(5), task).await {
                self.failures.push(why);
            }
        }
        let mut tracks = Vec::new();
        for worker in std::mem::take(&mut self.workers) {
            worker.send(Command::Stop);
            if let Ok(handle) = Arc::try_unwrap(worker)
                && let Ok(done) = tokio::task::spawn_blocking(move || handle.thread.join()).await
                && let Ok(done) = done
            {
                tracks.extend(done.tracks);
            }
        }
        (tracks, self)
    }
}

/// Runs what the options say (a fixed load, or `--find-max`).
pub async fn run(options: Options) -> anyhow::Result<Outcome> {
    let credentials = match options.target {
        Target::Confide => Some(options.credentials()?),
        Target::Janus => None,
    };
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()?;
    let source = match options.server_pid {
        Some(pid) => {
            monitor::from_proc(pid)?;
            Source::Proc(pid)
        }
        // Janus has no /metrics: without --server-pid its CPU is not known.
        None if options.target == Target::Janus => Source::None,
        None => {
            let url = format!("{}/metrics", options.server.trim_end_matches('/'));
            let reachable = http.get(&url).send().await.map_err(|e| {
                anyhow::anyhow!("cannot reach the server at {}: {e}", options.server)
            })?;
            if reachable.status().is_success() {
                Source::Metrics(url)
            } else {
                Source::None
            }
        }
    };
    let epoch = Instant::now();
    let workers = (0..options.threads)
        .map(|_| worker::spawn(options.bind, epoch).map(Arc::new))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let (stop, _) = watch::channel(false);
    let mut load = Load {
        run_id: format!("{:08x}", rand::random::<u32>()),
        janus_room_base: 1_000_000 + rand::random_range(0..1_000_000u64) * 10_000,
        credentials,
        workers,
        tasks: Vec::new(),
        stop,
        started: Instant::now(),
        calls: 0,
        next_id: 0,
        source,
        http,
        series: Vec::new(),
        joins_ms: Vec::new(),
        failures: Vec::new(),
        last: (Totals::default(), None, Instant::now()),
        options: options.clone(),
    };
    let mut steps = Vec::new();
    let mut max_calls = None;
    let window = if options.find_max {
        let mut last_good = None;
        loop {
            load.add_calls(options.step).await;
            // Let the new calls connect before judging.
            load.measure(Duration::from_secs(3)).await;
            let window = load.measure(options.hold).await;
            let held =
                window.loss_percent <= 1.0 && window.latency_p99_ms.is_some_and(|p| p <= 50.0);
            steps.push(window.clone());
            if !held || load.calls + options.step > options.max_calls {
                if held {
                    last_good = Some(window.clone());
                }
                break last_good.unwrap_or(window);
            }
            last_good = Some(window);
            max_calls = Some(load.calls);
        }
    } else {
        load.add_calls(options.rooms).await;
        // Calls connect and first keyframes settle before the window.
        load.measure(Duration::from_secs(2)).await;
        load.measure(options.duration).await
    };
    if options.find_max {
        max_calls = steps
            .iter()
            .filter(|w| w.loss_percent <= 1.0 && w.latency_p99_ms.is_some_and(|p| p <= 50.0))
            .map(|w| w.calls)
            .max();
    }
    if !options.quiet {
        eprintln!();
    }
    let participants = load.next_id;
    let (tracks, load) = load.finish().await;
    let jitters: Vec<f64> = tracks
        .iter()
        .filter(|(_, t)| t.packets > 1)
        .map(|(_, t)| t.jitter_us / 1000.0)
        .collect();
    let mut joins = load.joins_ms.clone();
    Ok(Outcome {
        target: format!("{:?}", options.target).to_lowercase(),
        // The calls of the reported window (with --find-max, the last step
        // that held, not the one that broke).
        rooms: window.calls,
        participants_per_room: options.participants,
        tracks_published: participants * (options.audio as usize + options.video as usize),
        tracks_received: tracks.iter().filter(|(_, t)| t.packets > 0).count(),
        jitter_ms: if jitters.is_empty() {
            0.0
        } else {
            jitters.iter().sum::<f64>() / jitters.len() as f64
        },
        join_p50_ms: percentile(&mut joins, 50.0),
        join_p95_ms: percentile(&mut joins, 95.0),
        failures: load.failures.clone(),
        max_calls,
        steps,
        window,
        series: load.series.clone(),
    })
}
