//! The forwarding path, end to end inside the SFU: one SRTP datagram from a
//! publisher in, SRTP decrypt, interceptors, down-track rewrite, SRTP
//! encrypt for the subscriber, datagram out. Real `rtc` clients negotiate
//! first (in memory, fake clock); the timed loop feeds the SFU datagrams the
//! publisher produced beforehand, so only the SFU's work is measured.
//!
//! `CONFIDE_PROFILE_PACKETS=N` skips criterion and forwards N packets in
//! [`profile_loop`] only, for `valgrind --tool=callgrind
//! --toggle-collect=*profile_loop*`: instruction counts per packet that do
//! not vary from run to run (see docs/benchmarks.md). With
//! `CONFIDE_PROFILE_BATCH=K` it hands the SFU K datagrams before collecting
//! its output, as the I/O layer does with a `recvmmsg` batch; with
//! `CONFIDE_PROFILE_FANOUT=S` the call has S subscribers instead of one.
//! `CONFIDE_FAST_SEND=1` turns on the fast send leg (and with it the
//! receive leg); `CONFIDE_FAST_RECEIVE=1` turns on the fast receive leg
//! (`SfuConfig::fast_receive`) in every mode.
//! Criterion runs a 1:1 call and a four-person call (1→3), and allocations
//! are counted per datagram in and per forwarded copy for each.
//!
//! `CONFIDE_PROFILE_SPREAD=C` (with `CONFIDE_PROFILE_ROUNDS=R`, default 50)
//! sets up C 1:1 calls, prepares R rounds of one audio and one video packet
//! from each of the 2C publishers, interleaved as a live server receives
//! them, and times forwarding them in [`spread_loop`] (best of three): what
//! a packet costs when the state it touches is spread over C calls and the
//! packets arrive cold, without the I/O layer's system calls and wake-ups.
//! Against C = 1 it isolates the cost of memory from the cost of work.
//! `CONFIDE_PROFILE_PER_WAKE=K` forwards them in groups of K (one wake-up
//! each) and `CONFIDE_PROFILE_EVICT_MIB=M` writes over M MiB between groups,
//! untimed, as the rest of a live machine evicts the SFU's caches while it
//! sleeps.
//!
//! `CONFIDE_PROFILE_WAKES=N` (with `CONFIDE_PROFILE_CALLS=C`, default 20)
//! instead sets up C 1:1 calls with media flowing and counts N timer
//! wake-ups of the SFU in [`profile_wake`]: what a wake costs as the number
//! of participants grows.

#[path = "../tests/support/mod.rs"]
mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group};
use sfu::core::SfuConfig;
use sfu::transport::Transport;
use support::Net;

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn config() -> SfuConfig {
    SfuConfig {
        fast_receive: std::env::var_os("CONFIDE_FAST_RECEIVE").is_some(),
        fast_send: std::env::var_os("CONFIDE_FAST_SEND").is_some(),
        ..SfuConfig::default()
    }
}

/// A call of one publisher and `subscribers` others, with media flowing;
/// returns the net and the publisher's index.
fn call(subscribers: usize) -> (Net, usize) {
    let mut net = Net::new(config());
    let alice = net.join("bench", "alice");
    for i in 0..subscribers {
        net.join("bench", &format!("subscriber-{i}"));
    }
    for seq in 0..20u16 {
        net.send(alice, seq, seq % 10 == 0);
        net.run_for(Duration::from_millis(20));
    }
    (net, alice)
}

fn forward_one_to_one(c: &mut Criterion) {
    forward_to(c, 1);
}

/// A four-person call: what each forwarded copy costs once the decrypt and
/// the routing are shared by three.
fn forward_one_to_three(c: &mut Criterion) {
    forward_to(c, 3);
}

fn forward_to(c: &mut Criterion, subscribers: usize) {
    let (mut net, alice) = call(subscribers);
    let from = net.client_addr(alice);
    let local = net.server_addr();
    let mut seq = 20u16;
    let mut group = c.benchmark_group("forwarding");
    group.throughput(Throughput::Elements(1));
    group.bench_function(format!("srtp_in_rewrite_srtp_out_1to{subscribers}"), |b| {
        b.iter_custom(|iters| {
            // Untimed: the publisher's datagrams (audio + video per send).
            let mut datagrams = Vec::with_capacity(iters as usize);
            while (datagrams.len() as u64) < iters {
                seq = seq.wrapping_add(1);
                datagrams.extend(net.send_captured(alice, seq, false));
            }
            datagrams.truncate(iters as usize);
            let now = net.now;
            let start = Instant::now();
            // Borrowed: freeing the prepared datagrams is not the SFU's work.
            for datagram in &datagrams {
                let datagram = received(&mut net, datagram);
                net.sfu
                    .handle_datagram(now, Transport::Udp, from, local, datagram);
                drain_transmits(&mut net);
            }
            let elapsed = start.elapsed();
            // Keep the subscriber's side of the net drained between batches.
            net.pump();
            elapsed
        })
    });
    group.finish();

    // Allocations per forwarded packet, outside criterion's timing.
    let mut datagrams = Vec::new();
    for _ in 0..500 {
        seq = seq.wrapping_add(1);
        datagrams.extend(net.send_captured(alice, seq, false));
    }
    let count = datagrams.len() as u64;
    let forwarded_before = net.sfu.stats().rtp_forwarded;
    let now = net.now;
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    for datagram in &datagrams {
        let datagram = received(&mut net, datagram);
        net.sfu
            .handle_datagram(now, Transport::Udp, from, local, datagram);
        drain_transmits(&mut net);
    }
    let allocations = ALLOCATIONS.load(Ordering::Relaxed) - before;
    let forwarded = net.sfu.stats().rtp_forwarded - forwarded_before;
    println!(
        "allocations 1→{subscribers}: {:.1} per datagram in, {:.1} per forwarded copy \
         ({count} in, {forwarded} forwarded)",
        allocations as f64 / count as f64,
        allocations as f64 / forwarded.max(1) as f64
    );
}

/// Takes every datagram the SFU has to send and hands its buffer back, as
/// the I/O layer does once the kernel has the datagram.
#[inline(always)]
fn drain_transmits(net: &mut Net) {
    while let Some(transmit) = net.sfu.poll_transmit() {
        net.sfu.recycle(std::hint::black_box(transmit).data);
    }
}

/// A datagram as the I/O layer hands it over: copied out of its receive
/// batch (into a buffer from the core's pool when it is large).
fn received(net: &mut Net, datagram: &[u8]) -> bytes::BytesMut {
    net.sfu.buffer_for(datagram)
}

/// Forwards `count` prepared datagrams; the only function callgrind counts.
/// The prepared datagrams are borrowed, so freeing them (the harness's
/// memory, not the SFU's) falls outside the count.
#[inline(never)]
fn profile_loop(net: &mut Net, datagrams: &[bytes::BytesMut], alice: usize, batch: usize) {
    let from = net.client_addr(alice);
    let local = net.server_addr();
    let now = net.now;
    for chunk in datagrams.chunks(batch) {
        for datagram in chunk {
            let datagram = received(net, datagram);
            net.sfu
                .handle_datagram(now, Transport::Udp, from, local, datagram);
        }
        drain_transmits(net);
    }
}

/// One timer wake-up of the SFU, as the I/O layer runs it: the deadline,
/// the timers, the output; the only function callgrind counts in the
/// wake-up mode.
#[inline(never)]
fn profile_wake(net: &mut Net) {
    let _deadline = std::hint::black_box(net.sfu.poll_timeout());
    net.sfu.handle_timeout(net.now);
    drain_transmits(net);
}

/// `calls` 1:1 calls, each in its own room; returns both publishers of each.
fn one_to_one_calls(calls: usize) -> (Net, Vec<usize>) {
    let mut net = Net::new(config());
    let mut publishers = Vec::new();
    for call in 0..calls {
        let room = format!("bench-{call}");
        publishers.push(net.join(&room, "alice"));
        publishers.push(net.join(&room, "bob"));
    }
    (net, publishers)
}

fn profile_wakes(calls: usize, wakes: usize) {
    let (mut net, publishers) = one_to_one_calls(calls);
    let mut seq = 0u16;
    for _ in 0..wakes {
        // Media keeps every peer's timers armed; the clients' own work is
        // outside the counted function.
        seq = seq.wrapping_add(1);
        for &p in &publishers {
            net.send(p, seq, seq % 100 == 1);
        }
        net.pump();
        net.now += Duration::from_millis(5);
        profile_wake(&mut net);
    }
    println!("profiled: {wakes} wake-ups with {calls} calls");
}

fn profile(count: usize, batch: usize, subscribers: usize) {
    let (mut net, alice) = call(subscribers);
    let mut seq = 20u16;
    let mut datagrams = Vec::with_capacity(count);
    while datagrams.len() < count {
        seq = seq.wrapping_add(1);
        datagrams.extend(net.send_captured(alice, seq, false));
    }
    datagrams.truncate(count);
    let forwarded_before = net.sfu.stats().rtp_forwarded;
    profile_loop(&mut net, &datagrams, alice, batch);
    let forwarded = net.sfu.stats().rtp_forwarded - forwarded_before;
    println!("profiled: {count} datagrams in, {forwarded} forwarded (1→{subscribers})");
}

/// Forwards prepared datagrams from many publishers, `per_wake` at a time;
/// returns the time taken. Between two groups (untimed) `evict` is written
/// over, as the rest of a live machine (the kernel's socket buffers, the
/// other processes) pushes the SFU's state out of the caches while it
/// sleeps.
#[inline(never)]
fn spread_loop(
    net: &mut Net,
    datagrams: &[(usize, bytes::BytesMut)],
    per_wake: usize,
    evict: &mut [u8],
) -> Duration {
    let local = net.server_addr();
    let now = net.now;
    let mut elapsed = Duration::ZERO;
    for wake in datagrams.chunks(per_wake) {
        for line in evict.chunks_mut(64) {
            line[0] = line[0].wrapping_add(1);
        }
        std::hint::black_box(&mut *evict);
        let start = Instant::now();
        for (publisher, datagram) in wake {
            let from = net.client_addr(*publisher);
            let datagram = received(net, datagram);
            net.sfu
                .handle_datagram(now, Transport::Udp, from, local, datagram);
            drain_transmits(net);
        }
        elapsed += start.elapsed();
    }
    elapsed
}

fn profile_spread(calls: usize, rounds: usize, evict_mib: usize, per_wake: usize) {
    let mut evict = vec![0u8; evict_mib << 20];
    let (mut net, publishers) = one_to_one_calls(calls);
    let mut seq = 0u16;
    for _ in 0..20 {
        for &p in &publishers {
            net.send(p, seq, seq.is_multiple_of(10));
        }
        seq = seq.wrapping_add(1);
        net.run_for(Duration::from_millis(20));
    }
    // The steady state: every track's packet cache full, so each packet
    // evicts one and the buffer pool no longer grows.
    for _ in 0..net.sfu.config().packet_cache_size + 8 {
        for &p in &publishers {
            net.send(p, seq, false);
        }
        seq = seq.wrapping_add(1);
        net.pump();
    }
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let mut datagrams = Vec::with_capacity(rounds * publishers.len() * 2);
        for _ in 0..rounds {
            for &p in &publishers {
                datagrams.extend(net.send_captured(p, seq, false).into_iter().map(|d| (p, d)));
            }
            seq = seq.wrapping_add(1);
        }
        let forwarded_before = net.sfu.stats().rtp_forwarded;
        let elapsed = spread_loop(&mut net, &datagrams, per_wake, &mut evict);
        let forwarded = net.sfu.stats().rtp_forwarded - forwarded_before;
        assert_eq!(forwarded, datagrams.len() as u64, "every packet forwarded");
        best = best.min(elapsed.as_nanos() as f64 / datagrams.len() as f64);
        // The subscribers' side drained between rounds, outside the timing.
        net.pump();
    }
    println!(
        "spread over {calls} calls, {per_wake} a wake-up, {evict_mib} MiB evicted between: \
         {best:.0} ns per datagram forwarded (best of 3)"
    );
}

criterion_group!(benches, forward_one_to_one, forward_one_to_three);

fn main() {
    let number = |name: &str| {
        std::env::var(name).ok().map(|v| {
            v.parse::<usize>()
                .unwrap_or_else(|_| panic!("{name} is a number"))
        })
    };
    if let Some(calls) = number("CONFIDE_PROFILE_SPREAD") {
        return profile_spread(
            calls,
            number("CONFIDE_PROFILE_ROUNDS").unwrap_or(50),
            number("CONFIDE_PROFILE_EVICT_MIB").unwrap_or(0),
            number("CONFIDE_PROFILE_PER_WAKE")
                .unwrap_or(usize::MAX)
                .max(1),
        );
    }
    if let Some(wakes) = number("CONFIDE_PROFILE_WAKES") {
        return profile_wakes(number("CONFIDE_PROFILE_CALLS").unwrap_or(20), wakes);
    }
    match number("CONFIDE_PROFILE_PACKETS") {
        Some(count) => profile(
            count,
            number("CONFIDE_PROFILE_BATCH").unwrap_or(1).max(1),
            number("CONFIDE_PROFILE_FANOUT").unwrap_or(1).max(1),
        ),
        None => {
            benches();
            Criterion::default().configure_from_args().final_summary();
        }
    }
}
