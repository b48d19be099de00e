//! The forwarding path, end to end inside the SFU: one SRTP datagram from a
//! publisher in, SRTP decrypt, interceptors, down-track rewrite, SRTP
//! encrypt for the subscriber, datagram out. Real `rtc` clients negotiate
//! first (in memory, fake clock); the timed loop feeds the SFU datagrams the
//! publisher produced beforehand, so only the SFU's work is measured.
//!
//! Also counts heap allocations per forwarded packet (a counting global
//! allocator), printed after the run.
//!
//! `CONFIDE_PROFILE_PACKETS=N` skips criterion and forwards N packets in
//! [`profile_loop`] only, for `valgrind --tool=callgrind
//! --toggle-collect=*profile_loop*`: instruction counts per packet that do
//! not vary from run to run (see docs/benchmarks.md).

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

/// A 1:1 call with media flowing; returns the net and the publisher's index.
fn call() -> (Net, usize) {
    let mut net = Net::new(SfuConfig::default());
    let alice = net.join("bench", "alice");
    let _bob = net.join("bench", "bob");
    for seq in 0..20u16 {
        net.send(alice, seq, seq % 10 == 0);
        net.run_for(Duration::from_millis(20));
    }
    (net, alice)
}

fn forward_one_to_one(c: &mut Criterion) {
    let (mut net, alice) = call();
    let from = net.client_addr(alice);
    let local = net.server_addr();
    let mut seq = 20u16;
    let mut group = c.benchmark_group("forwarding");
    group.throughput(Throughput::Elements(1));
    group.bench_function("srtp_in_rewrite_srtp_out_1to1", |b| {
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
            for datagram in datagrams {
                net.sfu
                    .handle_datagram(now, Transport::Udp, from, local, datagram);
                while let Some(transmit) = net.sfu.poll_transmit() {
                    std::hint::black_box(transmit);
                }
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
    for datagram in datagrams {
        net.sfu
            .handle_datagram(now, Transport::Udp, from, local, datagram);
        while let Some(transmit) = net.sfu.poll_transmit() {
            std::hint::black_box(transmit);
        }
    }
    let allocations = ALLOCATIONS.load(Ordering::Relaxed) - before;
    let forwarded = net.sfu.stats().rtp_forwarded - forwarded_before;
    println!(
        "allocations: {:.1} per datagram in ({count} in, {forwarded} forwarded)",
        allocations as f64 / count as f64
    );
}

/// Forwards `count` prepared datagrams; the only function callgrind counts.
#[inline(never)]
fn profile_loop(net: &mut Net, datagrams: Vec<bytes::BytesMut>, alice: usize) {
    let from = net.client_addr(alice);
    let local = net.server_addr();
    let now = net.now;
    for datagram in datagrams {
        net.sfu
            .handle_datagram(now, Transport::Udp, from, local, datagram);
        while let Some(transmit) = net.sfu.poll_transmit() {
            std::hint::black_box(transmit);
        }
    }
}

fn profile(count: usize) {
    let (mut net, alice) = call();
    let mut seq = 20u16;
    let mut datagrams = Vec::with_capacity(count);
    while datagrams.len() < count {
        seq = seq.wrapping_add(1);
        datagrams.extend(net.send_captured(alice, seq, false));
    }
    datagrams.truncate(count);
    let forwarded_before = net.sfu.stats().rtp_forwarded;
    profile_loop(&mut net, datagrams, alice);
    let forwarded = net.sfu.stats().rtp_forwarded - forwarded_before;
    println!("profiled: {count} datagrams in, {forwarded} forwarded");
}

criterion_group!(benches, forward_one_to_one);

fn main() {
    match std::env::var("CONFIDE_PROFILE_PACKETS") {
        Ok(count) => profile(count.parse().expect("CONFIDE_PROFILE_PACKETS is a number")),
        Err(_) => {
            benches();
            Criterion::default().configure_from_args().final_summary();
        }
    }
}
