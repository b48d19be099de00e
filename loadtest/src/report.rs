//! The results: a table for the terminal, `--json` with every figure, and
//! `--report`, one HTML page with plots over time (inline SVG, no scripts,
//! nothing fetched) that any browser opens offline. The plots are drawn by
//! hand: four polylines do not justify a charting dependency.

use std::fmt::Write;

use crate::monitor;
use crate::run::{Outcome, Point, Window};

fn opt(v: Option<f64>, unit: &str) -> String {
    v.map(|v| format!("{v:.2} {unit}"))
        .unwrap_or_else(|| "-".into())
}

/// One process's CPU over a window, as the table prints it.
struct CpuFigures {
    /// User + system per packet; `None` prints "-".
    cpu_us: Option<f64>,
    user_us: Option<f64>,
    system_us: Option<f64>,
    scheduled_us: Option<f64>,
    /// The window's totals, to tell when schedstat lost exited threads.
    cpu_seconds: Option<f64>,
    scheduled_seconds: Option<f64>,
}

impl CpuFigures {
    fn sfu(w: &Window) -> Self {
        CpuFigures {
            cpu_us: w.sfu_cpu_us_per_packet,
            user_us: w.sfu_user_us_per_packet,
            system_us: w.sfu_system_us_per_packet,
            scheduled_us: w.sfu_sched_us_per_packet,
            cpu_seconds: w.sfu_cpu_seconds,
            scheduled_seconds: w.sfu_sched_seconds,
        }
    }

    fn generator(w: &Window) -> Self {
        // generator_cpu_us_per_packet is 0 rather than None when unknown
        // (its type predates the others): "-" says so honestly.
        let known = w.generator_cpu_seconds.is_some() && w.packets_sent + w.packets_received > 0;
        CpuFigures {
            cpu_us: known.then_some(w.generator_cpu_us_per_packet),
            user_us: w.generator_user_us_per_packet,
            system_us: w.generator_system_us_per_packet,
            scheduled_us: w.generator_sched_us_per_packet,
            cpu_seconds: w.generator_cpu_seconds,
            scheduled_seconds: w.generator_sched_seconds,
        }
    }

    /// "12.30 µs (user 8.10, system 4.20; scheduled 12.50)": user + system
    /// first, the figure earlier reports gave.
    fn line(&self) -> String {
        let Some(cpu) = self.cpu_us else {
            return "-".into();
        };
        let split = match (self.user_us, self.system_us) {
            (Some(user), Some(system)) => format!("user {user:.2}, system {system:.2}"),
            _ => "user/system not split by the source".into(),
        };
        let scheduled = match self.scheduled_us {
            Some(scheduled) => format!("scheduled {scheduled:.2}"),
            None => "no schedstat".into(),
        };
        let short = match (self.cpu_seconds, self.scheduled_seconds) {
            (Some(cpu), Some(scheduled)) if monitor::scheduled_falls_short(cpu, scheduled) => {
                ", below user + system: threads exited during the window"
            }
            _ => "",
        };
        format!("{cpu:.2} µs ({split}; {scheduled}{short})")
    }
}

/// The final table.
pub fn table(o: &Outcome) -> String {
    let w = &o.window;
    let mut rows = vec![
        ("target", o.target.clone()),
        ("rooms (calls)", o.rooms.to_string()),
        ("participants per room", o.participants_per_room.to_string()),
        (
            "tracks published / received",
            format!("{} / {}", o.tracks_published, o.tracks_received),
        ),
        ("measured", format!("{:.1} s", w.seconds)),
        ("packets received", w.packets_received.to_string()),
        ("packets sent", w.packets_sent.to_string()),
        (
            "bitrate per received track",
            format!("{:.0} kbit/s", w.bitrate_kbps_per_track),
        ),
        ("loss", format!("{:.3} %", w.loss_percent)),
        ("jitter (mean of tracks)", format!("{:.2} ms", o.jitter_ms)),
        (
            "latency p50 / p95 / p99",
            format!(
                "{} / {} / {}",
                opt(w.latency_p50_ms, "ms"),
                opt(w.latency_p95_ms, "ms"),
                opt(w.latency_p99_ms, "ms")
            ),
        ),
        (
            "join time p50 / p95",
            format!(
                "{} / {}",
                o.join_p50_ms
                    .map(|v| format!("{v} ms"))
                    .unwrap_or("-".into()),
                o.join_p95_ms
                    .map(|v| format!("{v} ms"))
                    .unwrap_or("-".into())
            ),
        ),
        ("SFU CPU per forwarded packet", CpuFigures::sfu(w).line()),
        (
            "SFU RSS",
            w.sfu_rss_bytes
                .map(|b| format!("{:.1} MiB", b as f64 / 1048576.0))
                .unwrap_or("-".into()),
        ),
        (
            "generator CPU per packet sent or received",
            CpuFigures::generator(w).line(),
        ),
        (
            "PLIs / NACKs received by publishers",
            format!("{} / {}", w.plis_received, w.nacks_received),
        ),
    ];
    if let Some(max) = o.max_calls {
        rows.push(("--find-max: most calls held", max.to_string()));
    }
    if !o.failures.is_empty() {
        rows.push((
            "failed participants",
            format!("{} (first: {})", o.failures.len(), o.failures[0]),
        ));
    }
    let width = rows
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (k, v) in rows {
        let _ = writeln!(out, "{k:<width$}  {v}");
    }
    out
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A plotted line: name, colour, and the value at a point.
type Line<'a> = (&'a str, &'a str, &'a dyn Fn(&Point) -> Option<f64>);

/// One line chart of `series` against time.
fn chart(title: &str, unit: &str, points: &[Point], series: &[Line<'_>]) -> String {
    let (w, h, pad) = (640.0, 220.0, 40.0);
    let t_max = points.last().map(|p| p.t).unwrap_or(1.0).max(1.0);
    let y_max = series
        .iter()
        .flat_map(|(_, _, f)| points.iter().filter_map(f))
        .fold(0.0f64, f64::max)
        .max(1e-9)
        * 1.1;
    let x = |t: f64| pad + t / t_max * (w - 2.0 * pad);
    let y = |v: f64| h - pad - v / y_max * (h - 2.0 * pad);
    let mut svg = format!(
        "<figure><figcaption>{}</figcaption><svg viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"{}\">",
        escape(title),
        escape(title)
    );
    let _ = write!(
        svg,
        "<line x1=\"{pad}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#999\"/><line x1=\"{pad}\" y1=\"{pad}\" x2=\"{pad}\" y2=\"{}\" stroke=\"#999\"/>",
        h - pad,
        w - pad,
        h - pad,
        h - pad
    );
    let _ = write!(
        svg,
        "<text x=\"4\" y=\"{}\" font-size=\"11\">{:.1} {}</text><text x=\"4\" y=\"{}\" font-size=\"11\">0</text>",
        pad,
        y_max / 1.1,
        escape(unit),
        h - pad
    );
    let _ = write!(
        svg,
        "<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{:.0} s</text>",
        w - pad,
        h - pad + 16.0,
        t_max
    );
    for (i, (name, colour, f)) in series.iter().enumerate() {
        let coords: Vec<String> = points
            .iter()
            .filter_map(|p| f(p).map(|v| format!("{:.1},{:.1}", x(p.t), y(v))))
            .collect();
        let _ = write!(
            svg,
            "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{}\"/>",
            coords.join(" ")
        );
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"{colour}\">{}</text>",
            pad + 10.0 + i as f64 * 90.0,
            pad - 8.0,
            escape(name)
        );
    }
    svg.push_str("</svg></figure>");
    svg
}

/// The `--report` page.
pub fn html(o: &Outcome) -> String {
    let p = &o.series;
    let mut out = String::from(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Confide load test</title><style>body{font-family:system-ui,sans-serif;margin:1.5rem;color:#1f2933}pre{background:#f4f6f8;padding:1rem}figure{margin:1rem 0}figcaption{font-weight:600}</style></head><body>",
    );
    let _ = write!(
        out,
        "<h1>Load test: {} calls on {}</h1><pre>{}</pre>",
        o.rooms,
        escape(&o.target),
        escape(&table(o))
    );
    out.push_str(&chart(
        "Calls up and participants connected",
        "",
        p,
        &[
            ("calls", "#1d4ed8", &|p: &Point| Some(p.calls as f64)),
            ("connected", "#16a34a", &|p: &Point| {
                Some(p.participants_connected as f64)
            }),
        ],
    ));
    out.push_str(&chart(
        "Loss",
        "%",
        p,
        &[("loss", "#b42318", &|p: &Point| Some(p.loss_percent))],
    ));
    out.push_str(&chart(
        "One-way latency through the SFU",
        "ms",
        p,
        &[
            ("p50", "#16a34a", &|p: &Point| p.latency_p50_ms),
            ("p95", "#d97706", &|p: &Point| p.latency_p95_ms),
            ("p99", "#b42318", &|p: &Point| p.latency_p99_ms),
        ],
    ));
    out.push_str(&chart(
        "SFU CPU",
        "% of a core",
        p,
        &[("SFU CPU", "#7c3aed", &|p: &Point| p.sfu_cpu_percent)],
    ));
    out.push_str("</body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome() -> Outcome {
        Outcome {
            target: "confide".into(),
            rooms: 2,
            participants_per_room: 2,
            tracks_published: 8,
            tracks_received: 8,
            window: Window {
                seconds: 2.0,
                latency_p99_ms: Some(1.5),
                bitrate_kbps_per_track: 300.0,
                ..Default::default()
            },
            jitter_ms: 0.2,
            join_p50_ms: Some(120),
            join_p95_ms: Some(150),
            failures: vec!["join refused: <bad>".into()],
            max_calls: None,
            steps: vec![],
            series: (0..3)
                .map(|i| Point {
                    t: i as f64,
                    calls: 2,
                    participants_connected: 4,
                    packets_per_second: 100.0,
                    loss_percent: 0.0,
                    latency_p50_ms: Some(1.0),
                    latency_p95_ms: Some(1.2),
                    latency_p99_ms: Some(1.5),
                    sfu_cpu_percent: None,
                })
                .collect(),
        }
    }

    #[test]
    fn the_page_stands_alone_and_escapes() {
        let page = html(&outcome());
        assert!(page.contains("<svg") && page.contains("<polyline"));
        assert!(
            !page.contains("<script") && !page.contains("http://") && !page.contains("https://")
        );
        assert!(page.contains("&lt;bad&gt;"));
        assert!(table(&outcome()).contains("1.50 ms"));
        assert!(table(&outcome()).contains("300 kbit/s"));
    }

    #[test]
    fn cpu_lines_give_user_system_and_scheduled() {
        let mut o = outcome();
        let tick = 1.0 / monitor::ticks_per_second();
        o.window = Window {
            packets_sent: 1000,
            packets_received: 1000,
            sfu_cpu_seconds: Some(2.0),
            sfu_sched_seconds: Some(2.0 + tick),
            sfu_cpu_us_per_packet: Some(12.3),
            sfu_user_us_per_packet: Some(8.1),
            sfu_system_us_per_packet: Some(4.2),
            sfu_sched_us_per_packet: Some(12.5),
            generator_cpu_us_per_packet: 3.0,
            generator_user_us_per_packet: Some(2.0),
            generator_system_us_per_packet: Some(1.0),
            generator_sched_us_per_packet: Some(1.0),
            generator_cpu_seconds: Some(1.0),
            generator_sched_seconds: Some(1.0 - 3.0 * tick),
            ..Default::default()
        };
        let text = table(&o);
        assert!(
            text.contains("12.30 µs (user 8.10, system 4.20; scheduled 12.50)\n"),
            "{text}"
        );
        assert!(
            text.contains(
                "3.00 µs (user 2.00, system 1.00; scheduled 1.00, below user + system: threads exited during the window)"
            ),
            "{text}"
        );
        // /metrics: the total only.
        o.window.sfu_user_us_per_packet = None;
        o.window.sfu_system_us_per_packet = None;
        o.window.sfu_sched_us_per_packet = None;
        o.window.sfu_sched_seconds = None;
        assert!(
            table(&o).contains("12.30 µs (user/system not split by the source; no schedstat)"),
            "{}",
            table(&o)
        );
        // No CPU source at all, and no /proc for the harness.
        o.window.sfu_cpu_us_per_packet = None;
        o.window.generator_cpu_seconds = None;
        let text = table(&o);
        for label in [
            "SFU CPU per forwarded packet",
            "generator CPU per packet sent or received",
        ] {
            let line = text.lines().find(|l| l.starts_with(label)).unwrap();
            assert!(line.ends_with("  -"), "{text}");
        }
    }
}
