//! The SFU process's CPU time and memory: from `/proc/<pid>` when the
//! harness runs on the server's machine (`--server-pid`), otherwise from
//! Confide's `/metrics` (`process_cpu_seconds_total`,
//! `process_resident_memory_bytes`).

use std::path::Path;

/// CPU seconds used so far, and resident memory now.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Usage {
    pub cpu_seconds: f64,
    pub rss_bytes: u64,
}

#[derive(Debug, Clone)]
pub enum Source {
    Proc(u32),
    Metrics(String),
    /// Neither: CPU figures are left out of the report.
    None,
}

/// utime + stime (fields 14 and 15 of `/proc/<pid>/stat`, in clock ticks)
/// and VmRSS.
pub fn from_proc(pid: u32) -> anyhow::Result<Usage> {
    from_proc_root(Path::new("/proc"), pid)
}

pub fn from_proc_root(root: &Path, pid: u32) -> anyhow::Result<Usage> {
    let stat = std::fs::read_to_string(root.join(pid.to_string()).join("stat")).map_err(|e| {
        anyhow::anyhow!("reading /proc/{pid}/stat: {e} (is the server running on this machine?)")
    })?;
    // The command name (field 2) may contain spaces: count from the ')'.
    let after = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .ok_or_else(|| anyhow::anyhow!("unexpected /proc/{pid}/stat"))?;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| -> anyhow::Result<f64> {
        Ok(fields
            .get(i)
            .ok_or_else(|| anyhow::anyhow!("short /proc/{pid}/stat"))?
            .parse::<f64>()?)
    };
    // After ')': field 3 is index 0, so utime (14) is 11 and stime (15) 12.
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    let cpu_seconds = (ticks(11)? + ticks(12)?) / hz;
    let status = std::fs::read_to_string(root.join(pid.to_string()).join("status"))?;
    let rss_kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    Ok(Usage {
        cpu_seconds,
        rss_bytes: rss_kb * 1024,
    })
}

/// The two process gauges from a Prometheus text page.
pub fn from_metrics_text(text: &str) -> Option<Usage> {
    let value = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
    };
    Some(Usage {
        cpu_seconds: value("process_cpu_seconds_total")?,
        rss_bytes: value("process_resident_memory_bytes")? as u64,
    })
}

pub async fn sample(source: &Source, http: &reqwest::Client) -> Option<Usage> {
    match source {
        Source::Proc(pid) => from_proc(*pid).ok(),
        Source::Metrics(url) => {
            let text = http.get(url).send().await.ok()?.text().await.ok()?;
            from_metrics_text(&text)
        }
        Source::None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_cpu_and_memory() {
        let usage = from_proc(std::process::id()).unwrap();
        assert!(usage.rss_bytes > 1_000_000);
        assert!(usage.cpu_seconds >= 0.0);
        assert!(from_proc(u32::MAX).is_err());
    }

    #[test]
    fn metrics_text_is_read() {
        let text = "# HELP x\nprocess_cpu_seconds_total 12.5\nprocess_cpu_seconds_total_other 1\nprocess_resident_memory_bytes 4096\n";
        assert_eq!(
            from_metrics_text(text),
            Some(Usage {
                cpu_seconds: 12.5,
                rss_bytes: 4096
            })
        );
        assert_eq!(from_metrics_text("nothing"), None);
    }
}
