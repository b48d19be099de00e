//! A process's CPU time and memory: the SFU's from `/proc/<pid>` when the
//! harness runs on the server's machine (`--server-pid`), otherwise from
//! Confide's `/metrics` (`process_cpu_seconds_total`,
//! `process_resident_memory_bytes`); the harness's own from `/proc/<pid>`.
//!
//! `/proc` gives two independent CPU figures, and the report shows both:
//! user and system time from `stat` (whole clock ticks, usually 10 ms), and
//! the time on CPU from each thread's `schedstat` (nanoseconds).

use std::path::Path;

/// CPU time used so far (see [`Cpu`] and `scheduled_seconds`), and
/// resident memory now.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Usage {
    pub cpu: Cpu,
    /// The sum over the process's threads of the first field of
    /// `/proc/<pid>/task/<tid>/schedstat` (nanoseconds on CPU). The task
    /// sum because `/proc/<pid>/schedstat` covers the main thread only.
    /// Caveat: a thread that exits between two samples drops out of the
    /// later sum (utime and stime keep its time), so over a window this can
    /// fall below user + system by more than the tick resolution; see
    /// [`scheduled_falls_short`]. `None` from `/metrics`, or on a kernel
    /// without schedstat.
    pub scheduled_seconds: Option<f64>,
    pub rss_bytes: u64,
}

/// User and system CPU time, as the source gives them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cpu {
    /// utime and stime (fields 14 and 15 of `/proc/<pid>/stat`), seconds.
    Split {
        user_seconds: f64,
        system_seconds: f64,
    },
    /// Only their sum: `/metrics` does not split it.
    Total(f64),
}

impl Usage {
    /// User + system seconds, whichever the source.
    pub fn cpu_seconds(&self) -> f64 {
        match self.cpu {
            Cpu::Split {
                user_seconds,
                system_seconds,
            } => user_seconds + system_seconds,
            Cpu::Total(seconds) => seconds,
        }
    }

    pub fn user_seconds(&self) -> Option<f64> {
        match self.cpu {
            Cpu::Split { user_seconds, .. } => Some(user_seconds),
            Cpu::Total(_) => None,
        }
    }

    pub fn system_seconds(&self) -> Option<f64> {
        match self.cpu {
            Cpu::Split { system_seconds, .. } => Some(system_seconds),
            Cpu::Total(_) => None,
        }
    }

    /// The CPU time used between `start` and this sample.
    pub fn since(&self, start: &Usage) -> Spent {
        let delta = |end: Option<f64>, start: Option<f64>| Some(end? - start?);
        Spent {
            user_seconds: delta(self.user_seconds(), start.user_seconds()),
            system_seconds: delta(self.system_seconds(), start.system_seconds()),
            cpu_seconds: self.cpu_seconds() - start.cpu_seconds(),
            scheduled_seconds: delta(self.scheduled_seconds, start.scheduled_seconds),
        }
    }
}

/// CPU time used over a window, in seconds; each figure `None` where a
/// sample lacked it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Spent {
    pub user_seconds: Option<f64>,
    pub system_seconds: Option<f64>,
    /// User + system.
    pub cpu_seconds: f64,
    pub scheduled_seconds: Option<f64>,
}

/// [`Spent`] in microseconds per packet.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PerPacket {
    pub user_us: Option<f64>,
    pub system_us: Option<f64>,
    pub cpu_us: f64,
    pub scheduled_us: Option<f64>,
}

impl Spent {
    /// `None` when there were no packets to divide by.
    pub fn per_packet(&self, packets: u64) -> Option<PerPacket> {
        let us = |seconds: f64| seconds * 1e6 / packets as f64;
        (packets > 0).then(|| PerPacket {
            user_us: self.user_seconds.map(us),
            system_us: self.system_seconds.map(us),
            cpu_us: us(self.cpu_seconds),
            scheduled_us: self.scheduled_seconds.map(us),
        })
    }
}

#[derive(Debug, Clone)]
pub enum Source {
    Proc(u32),
    Metrics(String),
    /// Neither: CPU figures are left out of the report.
    None,
}

/// Clock ticks per second: the unit of utime and stime.
pub fn ticks_per_second() -> f64 {
    // SAFETY: sysconf has no preconditions.
    unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64
}

/// Whether a window's schedstat total is below its user + system by more
/// than tick truncation explains: utime and stime are each whole ticks at
/// each sample, so their summed difference can read up to two ticks high.
/// Beyond that, threads exited during the window (see
/// [`Usage::scheduled_seconds`]).
pub fn scheduled_falls_short(cpu_seconds: f64, scheduled_seconds: f64) -> bool {
    cpu_seconds - scheduled_seconds > 2.0 / ticks_per_second()
}

/// utime and stime, the threads' schedstat, and VmRSS.
pub fn from_proc(pid: u32) -> anyhow::Result<Usage> {
    from_proc_root(Path::new("/proc"), pid)
}

pub fn from_proc_root(root: &Path, pid: u32) -> anyhow::Result<Usage> {
    let dir = root.join(pid.to_string());
    let stat = std::fs::read_to_string(dir.join("stat")).map_err(|e| {
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
    let hz = ticks_per_second();
    let cpu = Cpu::Split {
        user_seconds: ticks(11)? / hz,
        system_seconds: ticks(12)? / hz,
    };
    let status = std::fs::read_to_string(dir.join("status"))?;
    let rss_kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    Ok(Usage {
        cpu,
        scheduled_seconds: scheduled_seconds(&dir),
        rss_bytes: rss_kb * 1024,
    })
}

/// The threads' schedstat runtimes summed, from `<dir>/task`. A thread
/// whose file cannot be read has exited since the listing, and its time is
/// gone with it, so it is skipped; if no thread's can be read the kernel
/// has no schedstat. A file that does not parse makes the sum unknown
/// rather than wrong.
fn scheduled_seconds(dir: &Path) -> Option<f64> {
    let mut nanoseconds = 0u64;
    let mut threads = 0;
    for task in std::fs::read_dir(dir.join("task")).ok()? {
        let Ok(text) = task.and_then(|t| std::fs::read_to_string(t.path().join("schedstat")))
        else {
            continue;
        };
        nanoseconds += text.split_whitespace().next()?.parse::<u64>().ok()?;
        threads += 1;
    }
    (threads > 0).then(|| nanoseconds as f64 / 1e9)
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
        cpu: Cpu::Total(value("process_cpu_seconds_total")?),
        scheduled_seconds: None,
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
    use std::path::PathBuf;

    /// A `/proc` root under the temp dir, removed on drop.
    struct FakeProc(PathBuf);

    impl FakeProc {
        fn new() -> Self {
            let root = std::env::temp_dir().join(format!(
                "confide-loadtest-proc-{}-{:016x}",
                std::process::id(),
                rand::random::<u64>()
            ));
            std::fs::create_dir_all(&root).unwrap();
            FakeProc(root)
        }

        fn write(&self, path: &str, text: &str) {
            let path = self.0.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
    }

    impl Drop for FakeProc {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// A `stat` line whose command name holds a space and a ')', with
    /// utime 250 and stime 50 ticks.
    const STAT: &str = "4242 (sfu (worker) 1) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0 100 1000000 500 18446744073709551615\n";

    #[test]
    fn a_fake_proc_tree_is_read_exactly() {
        let proc = FakeProc::new();
        proc.write("4242/stat", STAT);
        proc.write("4242/status", "Name:\tsfu\nVmRSS:\t    2048 kB\n");
        proc.write("4242/task/4242/schedstat", "1500000000 2000 30\n");
        proc.write("4242/task/4243/schedstat", "250000000 10 5\n");
        // A thread that exited between the listing and the read.
        std::fs::create_dir_all(proc.0.join("4242/task/4244")).unwrap();
        let usage = from_proc_root(&proc.0, 4242).unwrap();
        let hz = ticks_per_second();
        assert_eq!(usage.user_seconds(), Some(250.0 / hz));
        assert_eq!(usage.system_seconds(), Some(50.0 / hz));
        assert_eq!(usage.cpu_seconds(), 250.0 / hz + 50.0 / hz);
        assert_eq!(usage.scheduled_seconds, Some(1.75));
        assert_eq!(usage.rss_bytes, 2048 * 1024);
        assert!(from_proc_root(&proc.0, 4243).is_err());
    }

    #[test]
    fn no_readable_schedstat_or_a_garbled_one_is_unknown() {
        let proc = FakeProc::new();
        proc.write("1/stat", STAT);
        proc.write("1/status", "VmRSS:\t1 kB\n");
        std::fs::create_dir_all(proc.0.join("1/task/1")).unwrap();
        assert_eq!(from_proc_root(&proc.0, 1).unwrap().scheduled_seconds, None);
        proc.write("1/task/1/schedstat", "1000 1 1\n");
        proc.write("1/task/2/schedstat", "garbled\n");
        assert_eq!(from_proc_root(&proc.0, 1).unwrap().scheduled_seconds, None);
    }

    #[test]
    fn this_process_has_cpu_memory_and_schedstat() {
        let usage = from_proc(std::process::id()).unwrap();
        assert!(usage.rss_bytes > 1_000_000);
        assert!(usage.user_seconds().unwrap() >= 0.0);
        assert!(usage.system_seconds().unwrap() >= 0.0);
        // Any running process has been on a CPU for some nanoseconds.
        assert!(usage.scheduled_seconds.unwrap() > 0.0);
        assert!(from_proc(u32::MAX).is_err());
    }

    #[test]
    fn metrics_text_gives_a_total_only() {
        let text = "# HELP x\nprocess_cpu_seconds_total 12.5\nprocess_cpu_seconds_total_other 1\nprocess_resident_memory_bytes 4096\n";
        let usage = from_metrics_text(text).unwrap();
        assert_eq!(
            usage,
            Usage {
                cpu: Cpu::Total(12.5),
                scheduled_seconds: None,
                rss_bytes: 4096
            }
        );
        assert_eq!(usage.cpu_seconds(), 12.5);
        assert_eq!((usage.user_seconds(), usage.system_seconds()), (None, None));
        assert_eq!(from_metrics_text("nothing"), None);
    }

    #[test]
    fn a_window_per_packet() {
        let at = |user, system, scheduled| Usage {
            cpu: Cpu::Split {
                user_seconds: user,
                system_seconds: system,
            },
            scheduled_seconds: scheduled,
            rss_bytes: 0,
        };
        let spent = at(3.0, 1.5, Some(5.0)).since(&at(1.0, 0.5, Some(2.0)));
        assert_eq!(
            spent.per_packet(1_000_000),
            Some(PerPacket {
                user_us: Some(2.0),
                system_us: Some(1.0),
                cpu_us: 3.0,
                scheduled_us: Some(3.0),
            })
        );
        assert_eq!(spent.per_packet(0), None);
        let total = |seconds| Usage {
            cpu: Cpu::Total(seconds),
            scheduled_seconds: None,
            rss_bytes: 0,
        };
        let spent = total(4.0).since(&total(1.0));
        assert_eq!(
            spent.per_packet(1_000_000),
            Some(PerPacket {
                cpu_us: 3.0,
                ..Default::default()
            })
        );
    }

    #[test]
    fn schedstat_short_of_user_and_system_beyond_two_ticks() {
        let tick = 1.0 / ticks_per_second();
        assert!(!scheduled_falls_short(10.0, 10.0 - 1.5 * tick));
        assert!(!scheduled_falls_short(10.0, 10.5));
        assert!(scheduled_falls_short(10.0, 10.0 - 3.0 * tick));
    }
}
