//! A delay line for test networks, where the kernel has no `sch_netem`.
//!
//! Browser tests make bad networks inside a network namespace they create
//! (`tests/browser/netns.mjs`). Loss is an iptables `statistic` rule there;
//! delay and jitter would be `tc qdisc … netem`, which kernels without that
//! module refuse. This program does netem's delay in user space instead:
//! iptables rules in the namespace hand packets to NFQUEUE queues (one per
//! direction, `--queue-bypass`, so traffic flows undelayed if this program
//! is gone), and it gives each packet its verdict (accept) once its delay
//! has passed.
//!
//! ```text
//! delay-queue --queues 0,1 --delay-ms 75 --jitter-ms 25
//! ```
//!
//! Each packet is held `delay ± jitter` (uniform), but never released
//! before the one queued ahead of it in the same queue: a link delays, it
//! does not reorder (netem's `rate`-less jitter reorders, which real paths
//! seldom do). Runs until killed. Needs `CAP_NET_ADMIN` in the namespace.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use nfq::{Queue, Verdict};

struct Args {
    queues: Vec<u16>,
    delay: Duration,
    jitter: Duration,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut queues = Vec::new();
    let mut delay_ms = None;
    let mut jitter_ms = 0u64;
    let mut args = std::env::args();
    args.next(); // the program's own name
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--queues" => {
                for q in value.split(',') {
                    queues.push(q.parse().with_context(|| format!("queue number {q}"))?);
                }
            }
            "--delay-ms" => delay_ms = Some(value.parse().context("--delay-ms")?),
            "--jitter-ms" => jitter_ms = value.parse().context("--jitter-ms")?,
            _ => bail!("unknown flag {flag} (usage: --queues 0,1 --delay-ms N [--jitter-ms N])"),
        }
    }
    let delay_ms: u64 = delay_ms.context("--delay-ms is required")?;
    if queues.is_empty() || jitter_ms > delay_ms {
        bail!("--queues must name a queue, and --jitter-ms be at most --delay-ms");
    }
    Ok(Args {
        queues,
        delay: Duration::from_millis(delay_ms),
        jitter: Duration::from_millis(jitter_ms),
    })
}

fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    let mut queue = Queue::open().context("opening NFQUEUE (needs CAP_NET_ADMIN)")?;
    for &q in &args.queues {
        queue
            .bind(q)
            .with_context(|| format!("binding queue {q}"))?;
        // Headers are enough: the verdict does not rewrite the packet.
        queue.set_copy_range(q, 0)?;
        queue.set_queue_max_len(q, 8192)?;
        queue.set_fail_open(q, true)?;
    }
    queue.set_nonblocking(true);
    // Held packets per queue, in arrival order; release times never
    // decrease within a queue.
    let mut held: Vec<(u16, VecDeque<(Instant, nfq::Message)>)> =
        args.queues.iter().map(|&q| (q, VecDeque::new())).collect();
    println!("delay-queue: ready");
    loop {
        let now = Instant::now();
        loop {
            match queue.recv() {
                Ok(msg) => {
                    let Some((_, line)) = held.iter_mut().find(|(q, _)| *q == msg.get_queue_num())
                    else {
                        continue;
                    };
                    let jitter = args.jitter.as_secs_f64() * (2.0 * rand::random::<f64>() - 1.0);
                    let wanted = if jitter >= 0.0 {
                        now + args.delay + Duration::from_secs_f64(jitter)
                    } else {
                        now + args.delay - Duration::from_secs_f64(-jitter)
                    };
                    let at = line.back().map_or(wanted, |(last, _)| wanted.max(*last));
                    line.push_back((at, msg));
                }
                Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(err) => return Err(err).context("reading the queue"),
            }
        }
        let now = Instant::now();
        let mut next = now + Duration::from_millis(1);
        for (_, line) in &mut held {
            while line.front().is_some_and(|(at, _)| *at <= now) {
                let (_, mut msg) = line.pop_front().expect("checked");
                msg.set_verdict(Verdict::Accept);
                queue.verdict(msg).context("giving a verdict")?;
            }
            if let Some((at, _)) = line.front() {
                next = next.min(*at);
            }
        }
        // A 1 ms tick at most: the delay line's resolution.
        std::thread::sleep(next.saturating_duration_since(now));
    }
}
