//! A media thread: many simulated participants on one thread, each with its
//! own UDP socket (the SFU tells participants apart by address), driven by
//! one `mio` poll. No task, channel or allocation per packet: a wake reads
//! what is ready, sends what is due, fires the timers that expired, and
//! sleeps until the next deadline. Signaling (rare: offers and answers)
//! reaches the thread through a channel and a waker.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mio::net::UdpSocket;
use mio::{Events, Interest, Poll, Token, Waker};

use crate::peer::{MediaPlan, Peer, PeerCounters};
use crate::stats::TrackStats;

const WAKER: Token = Token(usize::MAX);

/// What signaling tells a worker.
pub enum Command {
    /// A participant joined: make its peer, send its offer back.
    Add {
        id: usize,
        plan: MediaPlan,
        opened_at: Instant,
        reply: tokio::sync::mpsc::UnboundedSender<Reply>,
    },
    /// A receive-only peer that answers `offer` (a Janus subscriber leg).
    AddAnswerer {
        id: usize,
        offer: String,
        opened_at: Instant,
        reply: tokio::sync::mpsc::UnboundedSender<Reply>,
    },
    Answer {
        id: usize,
        sdp: String,
    },
    Offer {
        id: usize,
        sdp: String,
    },
    /// The participant left (or its signaling ended).
    Remove {
        id: usize,
    },
    Stop,
}

/// What a worker tells a participant's signaling task.
#[derive(Debug)]
pub enum Reply {
    Offer(String),
    Answer(String),
    Failed(String),
}

/// What the run reads once a second.
#[derive(Debug, Default, Clone)]
pub struct Progress {
    pub connected: usize,
    pub failed: usize,
    pub counters: PeerCounters,
    pub received_packets: u64,
    pub expected_packets: u64,
    /// Payload bytes of every received packet so far.
    pub received_bytes: u64,
    /// Remote tracks that have delivered at least one packet.
    pub receiving_tracks: usize,
    /// Latency samples (µs) since the last take.
    pub latencies: Vec<u64>,
    /// Join times (ms) of participants that got their first media since
    /// the last take.
    pub joins_ms: Vec<u64>,
}

/// What a worker hands back at the end.
#[derive(Debug, Default)]
pub struct Final {
    pub tracks: Vec<(rtc::rtp_transceiver::rtp_sender::RtpCodecKind, TrackStats)>,
}

pub struct Handle {
    pub commands: Sender<Command>,
    waker: Arc<Waker>,
    pub progress: Arc<Mutex<Progress>>,
    pub thread: std::thread::JoinHandle<Final>,
}

impl Handle {
    pub fn send(&self, command: Command) {
        if self.commands.send(command).is_ok() {
            let _ = self.waker.wake();
        }
    }
}

struct Slot {
    peer: Peer,
    socket: UdpSocket,
    reply: tokio::sync::mpsc::UnboundedSender<Reply>,
    joined_reported: bool,
    /// When this peer next has something to do (media due, an `rtc`
    /// timer), recomputed only after the peer was touched: asking `rtc`
    /// for every peer on every wake cost more than the media itself.
    next_at: Option<Instant>,
}

impl Slot {
    fn refresh(&mut self) {
        self.next_at = [self.peer.next_media_at(), self.peer.poll_timeout()]
            .into_iter()
            .flatten()
            .min();
    }
}

/// Starts a worker thread whose sockets bind to `bind_ip`; `epoch` is the
/// clock stamps are measured on (shared by all workers).
pub fn spawn(bind_ip: std::net::IpAddr, epoch: Instant) -> anyhow::Result<Handle> {
    let poll = Poll::new()?;
    let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
    let (tx, rx) = std::sync::mpsc::channel();
    let progress = Arc::new(Mutex::new(Progress::default()));
    let shared = progress.clone();
    let thread = std::thread::Builder::new()
        .name("media".into())
        .spawn(move || run(poll, rx, shared, bind_ip, epoch))?;
    Ok(Handle {
        commands: tx,
        waker,
        progress,
        thread,
    })
}

fn run(
    mut poll: Poll,
    commands: Receiver<Command>,
    progress: Arc<Mutex<Progress>>,
    bind_ip: std::net::IpAddr,
    epoch: Instant,
) -> Final {
    let mut slots: HashMap<usize, Slot> = HashMap::new();
    let mut events = Events::with_capacity(1024);
    let mut buf = vec![0u8; 2048];
    let mut finished: Vec<(rtc::rtp_transceiver::rtp_sender::RtpCodecKind, TrackStats)> =
        Vec::new();
    let mut last_report = Instant::now();
    loop {
        let now = Instant::now();
        let clock = |at: Instant| at.duration_since(epoch).as_micros() as u64;
        // Signaling.
        while let Ok(command) = commands.try_recv() {
            match command {
                Command::Stop => {
                    for (_, slot) in slots.drain() {
                        finished.extend(slot.peer.received.into_values());
                    }
                    return Final { tracks: finished };
                }
                Command::Add {
                    id,
                    plan,
                    opened_at,
                    reply,
                } => add(&poll, &mut slots, bind_ip, id, reply, |local| {
                    Peer::new(local, plan, 10_000 + 2 * id as u32, now, opened_at)
                        .map(|(peer, offer)| (peer, Reply::Offer(offer)))
                }),
                Command::AddAnswerer {
                    id,
                    offer,
                    opened_at,
                    reply,
                } => add(&poll, &mut slots, bind_ip, id, reply, |local| {
                    Peer::answering(local, now, opened_at, offer)
                        .map(|(peer, answer)| (peer, Reply::Answer(answer)))
                }),
                Command::Answer { id, sdp } => {
                    if let Some(slot) = slots.get_mut(&id) {
                        if let Err(err) = slot.peer.apply_answer(now, sdp) {
                            let _ = slot
                                .reply
                                .send(Reply::Failed(format!("the server's answer: {err}")));
                        }
                        flush(slot, now, clock(now));
                    }
                }
                Command::Offer { id, sdp } => {
                    if let Some(slot) = slots.get_mut(&id) {
                        match slot.peer.answer_offer(now, sdp) {
                            Ok(answer) => {
                                let _ = slot.reply.send(Reply::Answer(answer));
                            }
                            Err(err) => {
                                let _ = slot
                                    .reply
                                    .send(Reply::Failed(format!("the server's offer: {err}")));
                            }
                        }
                        flush(slot, now, clock(now));
                    }
                }
                Command::Remove { id } => {
                    if let Some(mut slot) = slots.remove(&id) {
                        let _ = poll.registry().deregister(&mut slot.socket);
                        finished.extend(slot.peer.received.into_values());
                    }
                }
            }
        }
        // Media due, timers due, then everything out: only for the peers
        // whose time has come.
        let now = Instant::now();
        for slot in slots.values_mut() {
            if slot.next_at.is_none_or(|at| at > now) {
                continue;
            }
            slot.peer.send_due(now, clock(now));
            slot.peer.handle_timeout(now);
            flush(slot, now, clock(now));
        }
        if last_report.elapsed() >= Duration::from_millis(250) {
            last_report = Instant::now();
            report(&mut slots, &progress);
        }
        // Sleep until the next deadline or a datagram.
        let deadline = slots
            .values()
            .filter_map(|s| s.next_at)
            .min()
            .unwrap_or(now + Duration::from_millis(50))
            .min(now + Duration::from_millis(50));
        let wait = deadline.saturating_duration_since(Instant::now());
        if poll.poll(&mut events, Some(wait)).is_err() {
            continue;
        }
        let now = Instant::now();
        for event in events.iter() {
            if event.token() == WAKER {
                continue;
            }
            let Some(slot) = slots.get_mut(&event.token().0) else {
                continue;
            };
            loop {
                match slot.socket.recv_from(&mut buf) {
                    Ok((len, from)) => {
                        slot.peer
                            .handle_datagram(now, clock(now), from, &buf[..len])
                    }
                    Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => break,
                    Err(_) => break,
                }
            }
            flush(slot, now, clock(now));
        }
    }
}

/// Binds a socket for peer `id`, makes the peer with `make`, and sends its
/// first SDP (or why it failed) to signaling.
fn add(
    poll: &Poll,
    slots: &mut HashMap<usize, Slot>,
    bind_ip: std::net::IpAddr,
    id: usize,
    reply: tokio::sync::mpsc::UnboundedSender<Reply>,
    make: impl FnOnce(SocketAddr) -> anyhow::Result<(Peer, Reply)>,
) {
    let made = UdpSocket::bind(SocketAddr::new(bind_ip, 0)).and_then(|mut socket| {
        poll.registry()
            .register(&mut socket, Token(id), Interest::READABLE)?;
        Ok(socket)
    });
    let socket = match made {
        Ok(socket) => socket,
        Err(err) => {
            let _ = reply.send(Reply::Failed(format!("binding a UDP socket: {err}")));
            return;
        }
    };
    let local = socket
        .local_addr()
        .unwrap_or_else(|_| SocketAddr::new(bind_ip, 0));
    match make(local) {
        Ok((peer, sdp)) => {
            let _ = reply.send(sdp);
            slots.insert(
                id,
                Slot {
                    peer,
                    socket,
                    reply,
                    joined_reported: false,
                    next_at: Some(Instant::now()),
                },
            );
        }
        Err(err) => {
            let _ = reply.send(Reply::Failed(format!("setting up the peer: {err}")));
        }
    }
}

/// Takes what the peer read (which may queue packets a NACK asked for
/// again), sends what it wrote, and works out when the peer is next due.
/// Every path that touches a peer ends here.
fn flush(slot: &mut Slot, now: Instant, clock_us: u64) {
    slot.peer.drain(now, clock_us);
    while let Some((to, datagram)) = slot.peer.poll_transmit() {
        let _ = slot.socket.send_to(&datagram, to);
    }
    slot.refresh();
}

fn report(slots: &mut HashMap<usize, Slot>, progress: &Mutex<Progress>) {
    let mut p = progress.lock().expect("progress lock");
    p.connected = 0;
    p.failed = 0;
    p.counters = PeerCounters::default();
    p.received_packets = 0;
    p.expected_packets = 0;
    p.received_bytes = 0;
    p.receiving_tracks = 0;
    for slot in slots.values_mut() {
        let peer = &mut slot.peer;
        p.connected += peer.connected() as usize;
        p.failed += peer.failed() as usize;
        p.counters.rtp_sent += peer.counters.rtp_sent;
        p.counters.plis_received += peer.counters.plis_received;
        p.counters.nacks_received += peer.counters.nacks_received;
        p.counters.keyframes_sent += peer.counters.keyframes_sent;
        p.counters.fast_sent += peer.counters.fast_sent;
        p.counters.fast_received += peer.counters.fast_received;
        p.counters.fast_refused += peer.counters.fast_refused;
        p.counters.fast_resent += peer.counters.fast_resent;
        for (_, track) in peer.received.values() {
            p.received_packets += track.packets;
            p.expected_packets += track.expected();
            p.received_bytes += track.bytes;
            p.receiving_tracks += (track.packets > 0) as usize;
        }
        p.latencies.append(&mut peer.latencies);
        if !slot.joined_reported
            && let Some(first) = peer.first_media_at
        {
            slot.joined_reported = true;
            p.joins_ms
                .push(first.duration_since(peer.opened_at).as_millis() as u64);
        }
    }
}
