//! `GET /metrics`: the process and the SFU in Prometheus' text format, for
//! an operator's monitoring and for the load-test harness when it cannot
//! read `/proc` of the server. Counts only; nothing about who is in which
//! room.

use std::fmt::Write;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use sfu::io::SfuHandle;
use turn::io::TurnHandle;

/// What `/metrics` reads.
#[derive(Clone)]
pub struct Sources {
    pub sfu: SfuHandle,
    pub turn: Option<TurnHandle>,
}

fn process_usage() -> (f64, u64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    let cpu = (ticks(11) + ticks(12)) / hz;
    let rss = std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0)
        * 1024;
    (cpu, rss)
}

/// One per-worker figure of a worker's counters.
type WorkerFigure = fn(&sfu::core::SfuStats) -> u64;

/// One metric with its help and type lines.
fn metric(out: &mut String, name: &str, kind: &str, help: &str, value: impl std::fmt::Display) {
    let _ = writeln!(
        out,
        "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
    );
}

pub async fn metrics(State(Sources { sfu, turn }): State<Sources>) -> impl IntoResponse {
    let (cpu, rss) = process_usage();
    let mut out = String::new();
    metric(
        &mut out,
        "process_cpu_seconds_total",
        "counter",
        "User and system CPU time.",
        cpu,
    );
    metric(
        &mut out,
        "process_resident_memory_bytes",
        "gauge",
        "Resident memory.",
        rss as f64,
    );
    let per_worker = sfu.worker_stats().await;
    let mut total: Option<sfu::core::SfuStats> = None;
    for stats in per_worker.iter().flatten() {
        total.get_or_insert_with(Default::default).add(stats);
    }
    let by_worker: [(&str, &str, WorkerFigure); 3] = [
        ("confide_sfu_worker_rooms", "gauge", |s| s.rooms as u64),
        ("confide_sfu_worker_participants", "gauge", |s| {
            s.participants as u64
        }),
        ("confide_sfu_worker_datagrams_in_total", "counter", |s| {
            s.datagrams_in
        }),
    ];
    for (name, kind, value) in by_worker {
        let _ = writeln!(
            out,
            "# HELP {name} Per media worker (a thread with its own UDP port), by index.\n# TYPE {name} {kind}"
        );
        for (worker, stats) in per_worker.iter().enumerate() {
            if let Some(stats) = stats {
                let _ = writeln!(out, "{name}{{worker=\"{worker}\"}} {}", value(stats));
            }
        }
    }
    if let Some(stats) = total {
        metric(
            &mut out,
            "confide_sfu_rooms",
            "gauge",
            "Rooms with participants.",
            stats.rooms as f64,
        );
        metric(
            &mut out,
            "confide_sfu_participants",
            "gauge",
            "Participants connected.",
            stats.participants as f64,
        );
        metric(
            &mut out,
            "confide_sfu_datagrams_in_total",
            "counter",
            "Media datagrams received (UDP and ICE over TCP).",
            stats.datagrams_in as f64,
        );
        metric(
            &mut out,
            "confide_sfu_datagrams_out_total",
            "counter",
            "Media datagrams sent (UDP and ICE over TCP).",
            stats.datagrams_out as f64,
        );
        metric(
            &mut out,
            "confide_sfu_rtp_forwarded_total",
            "counter",
            "RTP packets forwarded to subscribers.",
            stats.rtp_forwarded as f64,
        );
        metric(
            &mut out,
            "confide_sfu_rtp_retransmitted_total",
            "counter",
            "RTP packets resent on NACK.",
            stats.rtp_retransmitted as f64,
        );
        metric(
            &mut out,
            "confide_sfu_rtp_fast_in_total",
            "counter",
            "RTP packets from publishers taken by the fast receive leg, past the engine's pipeline.",
            stats.rtp_fast_in as f64,
        );
        metric(
            &mut out,
            "confide_sfu_rtp_fast_out_total",
            "counter",
            "RTP packets to subscribers written by the fast send leg, past the engine's pipeline.",
            stats.rtp_fast_out as f64,
        );
        metric(
            &mut out,
            "confide_sfu_tcp_datagrams_in_total",
            "counter",
            "Media datagrams received on ICE-over-TCP connections (networks that block UDP).",
            stats.tcp_datagrams_in as f64,
        );
        metric(
            &mut out,
            "confide_sfu_tcp_datagrams_out_total",
            "counter",
            "Media datagrams sent on ICE-over-TCP connections.",
            stats.tcp_datagrams_out as f64,
        );
        metric(
            &mut out,
            "confide_sfu_relayed_datagrams_in_total",
            "counter",
            "Media datagrams received through a TURN server.",
            stats.relayed_datagrams_in as f64,
        );
        metric(
            &mut out,
            "confide_sfu_relayed_datagrams_out_total",
            "counter",
            "Media datagrams sent through a TURN server.",
            stats.relayed_datagrams_out as f64,
        );
        metric(
            &mut out,
            "confide_sfu_participants_tcp",
            "gauge",
            "Connected participants whose media comes by ICE over TCP.",
            stats.participants_tcp as f64,
        );
        metric(
            &mut out,
            "confide_sfu_participants_relayed",
            "gauge",
            "Connected participants whose media comes through a TURN server.",
            stats.participants_relayed as f64,
        );
        metric(
            &mut out,
            "confide_sfu_tcp_connections",
            "gauge",
            "ICE-over-TCP connections open.",
            stats.tcp_connections as f64,
        );
        metric(
            &mut out,
            "confide_sfu_tcp_connections_refused_total",
            "counter",
            "ICE-over-TCP connections refused (over the limit).",
            stats.tcp_connections_refused as f64,
        );
        metric(
            &mut out,
            "confide_sfu_timers_fired_total",
            "counter",
            "Engine timers (reports, NACK and TWCC feedback, retransmissions) fired by the media loop.",
            stats.timers_fired as f64,
        );
        metric(
            &mut out,
            "confide_sfu_timer_lateness_seconds_total",
            "counter",
            "How late those timers fired after their deadlines, in all (divide by confide_sfu_timers_fired_total for the mean).",
            stats.timer_lateness_micros as f64 / 1e6,
        );
        metric(
            &mut out,
            "confide_sfu_timers_late_total",
            "counter",
            "Engine timers that fired more than 5 ms after their deadline (a media loop too busy to keep time).",
            stats.timers_late as f64,
        );
        metric(
            &mut out,
            "confide_sfu_keyframe_requests_total",
            "counter",
            "Keyframe requests sent to publishers.",
            stats.keyframe_requests as f64,
        );
        metric(
            &mut out,
            "confide_sfu_bitrate_caps_total",
            "counter",
            "Bitrate caps (REMB) sent to publishers from their subscribers' downlink estimates.",
            stats.bitrate_caps_sent as f64,
        );
        metric(
            &mut out,
            "confide_sfu_layer_changes_total",
            "counter",
            "Simulcast layers paused or resumed at their publishers (publish_layers messages).",
            stats.layer_changes_sent as f64,
        );
        metric(
            &mut out,
            "confide_sfu_track_switches_total",
            "counter",
            "Tracks switched off or on for a subscriber at its asking (track_preferences messages).",
            stats.track_switches as f64,
        );
        metric(
            &mut out,
            "confide_sfu_data_messages_received_total",
            "counter",
            "Data track messages received from publishers.",
            stats.data_messages_in as f64,
        );
        metric(
            &mut out,
            "confide_sfu_data_messages_relayed_total",
            "counter",
            "Copies of data track messages sent to subscribers.",
            stats.data_messages_out as f64,
        );
        metric(
            &mut out,
            "confide_sfu_data_messages_dropped_total",
            "counter",
            "Copies of data track messages dropped (over 64 KiB, or a subscriber's channel not open or backlogged).",
            stats.data_messages_dropped as f64,
        );
    }
    if let Some(turn) = turn {
        let stats = turn.stats();
        let by_transport = [
            ("udp", stats.allocations_udp),
            ("tcp", stats.allocations_tcp),
            ("tls", stats.allocations_tls),
        ];
        let _ = writeln!(
            out,
            "# HELP confide_turn_allocations Relays held on Confide's TURN server, by how the client reaches it.\n# TYPE confide_turn_allocations gauge"
        );
        for (transport, count) in by_transport {
            let _ = writeln!(
                out,
                "confide_turn_allocations{{transport=\"{transport}\"}} {count}"
            );
        }
        metric(
            &mut out,
            "confide_turn_allocations_refused_total",
            "counter",
            "Allocate requests refused (credentials, quota, transport).",
            stats.allocations_refused,
        );
        metric(
            &mut out,
            "confide_turn_relayed_datagrams_to_sfu_total",
            "counter",
            "Datagrams relayed from TURN clients to the SFU.",
            stats.relayed_to_peer,
        );
        metric(
            &mut out,
            "confide_turn_relayed_datagrams_to_clients_total",
            "counter",
            "Datagrams relayed from the SFU to TURN clients.",
            stats.relayed_to_client,
        );
        metric(
            &mut out,
            "confide_turn_relayed_bytes_to_sfu_total",
            "counter",
            "Payload bytes relayed from TURN clients to the SFU.",
            stats.relayed_bytes_to_peer,
        );
        metric(
            &mut out,
            "confide_turn_relayed_bytes_to_clients_total",
            "counter",
            "Payload bytes relayed from the SFU to TURN clients.",
            stats.relayed_bytes_to_client,
        );
        metric(
            &mut out,
            "confide_turn_forbidden_peers_total",
            "counter",
            "Permissions refused: the peer was not this server's media port.",
            stats.forbidden_peers,
        );
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out)
}
