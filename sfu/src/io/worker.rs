//! One media worker: a thread of its own running a single-threaded tokio
//! runtime, which owns one UDP socket, a share of the ICE-over-TCP port and
//! one [`Sfu`] core, and serves the rooms placed on it
//! ([`super::placement`]).
//!
//! The task waits on three things: the socket becoming readable, a command
//! from a signaling session, and the core's next timeout. A readable socket
//! is read in up to four batches per wake-up, each batch's output flushed
//! before the next is read (so a burst costs one wake-up, not one per
//! packet, and a datagram waits behind at most one batch): quinn-udp's
//! `recvmmsg` (up to 32 datagrams a system call) with UDP GRO, which also
//! reports the local IP each datagram was sent to. No task or channel is
//! involved per packet. Sends are batched too: one `sendmmsg` for up to 64
//! datagrams to any mix of peers, a run to one peer merged by UDP GSO
//! ([`super::send_batch`]). Socket errors (EINTR,
//! ICMP port unreachable surfacing as ECONNREFUSED, ENOBUFS) are counted and
//! skipped: the loop never dies because one peer went away.
//!
//! Why a thread of its own: the worker wakes for every burst of datagrams.
//! On the server's multi-threaded runtime each wake could land on another
//! thread (cold caches, work-stealing wake-ups of idle threads); here the
//! thread that waits in `epoll` is the one that forwards.

use std::collections::HashMap;
use std::io;
use std::io::IoSliceMut;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use quinn_udp::{RecvMeta, UdpSocketState};
use tokio::io::Interest;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, info, warn};

use super::commands::{Command, Sinks, handle_command};
use super::placement::RoomPlacements;
use super::send_batch::{self, SendBatcher};
use super::tcp::{TcpInput, TcpPaths};
use crate::core::{Sfu, SfuConfig, Transmit, worker_of_ufrag};
use crate::demux::stun_local_ufrag;
use crate::signal::{RoomEventKind, ToParticipant};
use crate::transport::Transport;

/// `recvmmsg` calls per wake-up before commands and timers get a turn.
const READ_CALLS: usize = 4;
/// Buffers per `recvmmsg` call (quinn-udp's batch size on Linux).
const READ_BATCH: usize = 32;
/// One buffer: room for a GRO-coalesced run of datagrams from one peer.
const RECV_BUFFER: usize = 64 * 1024;
/// Timer used when the core has nothing scheduled.
const IDLE_TICK: Duration = Duration::from_secs(1);

/// What every worker of a process shares.
#[derive(Clone)]
pub(super) struct Shared {
    pub placements: Arc<RoomPlacements>,
    pub socket_errors: Arc<AtomicU64>,
    pub room_events: mpsc::UnboundedSender<crate::signal::RoomEvent>,
    /// Every worker's command queue, by index, for handing over an
    /// ICE-over-TCP connection; weak, so the workers end when the last
    /// [`super::SfuHandle`] is dropped.
    pub peers: Arc<[mpsc::WeakUnboundedSender<Command>]>,
}

/// Marks its worker stopped when dropped ([`RoomPlacements::stopped`]).
struct StoppedGuard(Arc<RoomPlacements>, usize);

impl Drop for StoppedGuard {
    fn drop(&mut self) {
        self.0.stopped(self.1);
    }
}

/// Starts worker `config.worker` on its thread, with its bound sockets.
pub(super) fn spawn(
    config: SfuConfig,
    socket: std::net::UdpSocket,
    tcp_listener: Option<std::net::TcpListener>,
    commands: mpsc::UnboundedReceiver<Command>,
    shared: Shared,
) -> io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()?;
    let index = config.worker;
    std::thread::Builder::new()
        .name(format!("confide-sfu-{index}"))
        .spawn(move || {
            // However the thread ends (a panic included), nothing is placed
            // on this worker again.
            let _stopped = StoppedGuard(shared.placements.clone(), usize::from(index));
            runtime.block_on(async move {
                let tcp = match tcp_listener.map(tokio::net::TcpListener::from_std) {
                    Some(Ok(listener)) => Some(TcpPaths::new(listener)),
                    Some(Err(err)) => {
                        return warn!(%err, worker = index, "cannot register the ICE-TCP port; worker stopped");
                    }
                    None => None,
                };
                let core = Sfu::new(config, Instant::now());
                match UdpSocket::from_std(socket) {
                    Ok(socket) => run(core, socket, tcp, commands, shared).await,
                    Err(err) => warn!(%err, worker = index, "cannot register the media socket; worker stopped"),
                }
            });
        })?;
    Ok(())
}

async fn run(
    mut core: Sfu,
    socket: UdpSocket,
    mut tcp: Option<TcpPaths>,
    mut commands: mpsc::UnboundedReceiver<Command>,
    shared: Shared,
) {
    let worker = usize::from(core.config().worker);
    let Shared {
        placements,
        socket_errors,
        room_events,
        peers,
    } = shared;
    let local_addr = socket.local_addr().unwrap_or(core.config().bind);
    let udp_state = match UdpSocketState::new((&socket).into()) {
        Ok(state) => state,
        Err(err) => {
            warn!(%err, "cannot set up batched receive; media socket unusable");
            return;
        }
    };
    let mut bufs: Vec<Vec<u8>> = (0..READ_BATCH).map(|_| vec![0u8; RECV_BUFFER]).collect();
    let mut metas = [RecvMeta::default(); READ_BATCH];
    let mut output = Output {
        worker,
        placements: placements.clone(),
        room_events,
        sinks: HashMap::new(),
        sender: SendBatcher::default(),
        outgoing: Vec::with_capacity(send_batch::MAX_BATCH),
        socket_errors: socket_errors.clone(),
    };
    let mut stopped: Option<oneshot::Sender<()>> = None;
    let mut next_tcp_sweep = Instant::now() + Duration::from_secs(1);
    loop {
        output.flush(&mut core, &socket, &mut tcp);
        placements.set_participants(worker, core.participant_count());
        if let Some(paths) = &mut tcp {
            let now = Instant::now();
            if now >= next_tcp_sweep {
                paths.sweep(now);
                next_tcp_sweep = now + Duration::from_secs(1);
            }
        }
        let deadline = core
            .poll_timeout()
            .unwrap_or_else(|| Instant::now() + IDLE_TICK);
        // Timers fire on time even when a socket is always readable (the
        // branches below are biased towards input): a due deadline is
        // handled before waiting again.
        let now = Instant::now();
        if deadline <= now {
            core.handle_timeout(now);
            continue;
        }
        if let Some(paths) = &mut tcp {
            for addr in paths.take_closed() {
                core.forget_path(Transport::Tcp, addr);
            }
        }
        tokio::select! {
            biased;
            command = commands.recv() => {
                match command {
                    None => break,
                    Some(Command::Shutdown { done }) => {
                        stopped = Some(done);
                        break;
                    }
                    Some(Command::Stats { reply }) => {
                        let mut stats = core.stats();
                        if let Some(paths) = &tcp {
                            stats.tcp_connections = paths.open();
                            stats.tcp_connections_refused = paths.refused();
                        }
                        let _ = reply.send(stats);
                    }
                    Some(Command::AdoptTcp { mut connection, from, local, first }) => {
                        let frames = std::mem::take(&mut connection.frames);
                        if let Some(paths) = &mut tcp
                            && paths.adopt(connection)
                        {
                            debug!(%from, worker, "ICE-TCP connection taken over from another worker");
                            for frame in std::iter::once(first).chain(frames) {
                                tcp_frame(&mut core, paths, from, local, frame);
                            }
                        }
                    }
                    Some(command) => {
                        let room = command.routed_room().map(str::to_owned);
                        handle_command(&mut core, &mut output.sinks, command);
                        // Before the placement forgets the join in flight,
                        // so the load never misses it in between.
                        placements.set_participants(worker, core.participant_count());
                        if let Some(room) = room {
                            placements.handled(&room, worker, core.has_room(&room));
                        }
                    }
                }
            }
            readable = socket.readable() => {
                if let Err(err) = readable {
                    socket_errors.fetch_add(1, Ordering::Relaxed);
                    warn!(%err, "media socket not readable");
                    continue;
                }
                for _ in 0..READ_CALLS {
                    let received = socket.try_io(Interest::READABLE, || {
                        let mut iovs: [IoSliceMut<'_>; READ_BATCH] =
                            std::array::from_fn(|_| IoSliceMut::new(&mut []));
                        for (iov, buf) in iovs.iter_mut().zip(bufs.iter_mut()) {
                            *iov = IoSliceMut::new(buf);
                        }
                        udp_state.recv((&socket).into(), &mut iovs, &mut metas)
                    });
                    match received {
                        Ok(count) => {
                            let now = Instant::now();
                            for (meta, buf) in metas.iter().zip(bufs.iter()).take(count) {
                                let local = meta
                                    .dst_ip
                                    .map_or(local_addr, |ip| SocketAddr::new(ip, local_addr.port()));
                                let stride = meta.stride.max(1);
                                for segment in buf[..meta.len].chunks(stride) {
                                    let datagram = core.buffer_for(segment);
                                    core.handle_datagram(now, Transport::Udp, meta.addr, local, datagram);
                                }
                            }
                            // A timer that came due during this batch is
                            // not kept waiting behind the next ones (the
                            // deadline is a heap's top: cheap to ask).
                            let now = Instant::now();
                            if core.poll_timeout().is_some_and(|at| at <= now) {
                                core.handle_timeout(now);
                            }
                            // This batch's copies leave before the next
                            // batch is read: a datagram waits behind at most
                            // READ_BATCH others, not READ_CALLS times that.
                            output.flush(&mut core, &socket, &mut tcp);
                        }
                        Err(err) if err.kind() == io::ErrorKind::WouldBlock => break,
                        Err(err) => {
                            // ICMP errors from a peer that left, EINTR: not fatal.
                            socket_errors.fetch_add(1, Ordering::Relaxed);
                            debug!(%err, "recv error");
                        }
                    }
                }
            }
            input = next_tcp(&mut tcp), if tcp.is_some() => {
                if let (TcpInput::Frame { from, local, data }, Some(paths)) = (input, &mut tcp) {
                    // The kernel spreads the port's connections over the
                    // workers; a connection not yet handed over whose
                    // check names another worker's participant (its ufrag
                    // says which) moves there, with whatever it has sent
                    // since.
                    let owner = stun_local_ufrag(&data)
                        .and_then(worker_of_ufrag)
                        .filter(|&w| w != worker && paths.may_hand_over(from))
                        .and_then(|w| peers.get(w)?.upgrade());
                    match owner {
                        Some(owner) => match paths.release(from) {
                            Some(connection) => {
                                let _ = owner.send(Command::AdoptTcp { connection, from, local, first: data });
                            }
                            None => debug!(%from, "ICE-TCP connection not handed over"),
                        },
                        None => tcp_frame(&mut core, paths, from, local, data),
                    }
                }
            }
            _ = tokio::time::sleep_until(deadline.into()) => {
                core.handle_timeout(Instant::now());
            }
        }
    }
    core.shutdown(Instant::now());
    output.flush(&mut core, &socket, &mut tcp);
    if let Some(done) = stopped {
        let _ = done.send(());
    }
    info!(worker, "media worker stopped");
}

/// A frame from an ICE-over-TCP connection, to the core.
fn tcp_frame(
    core: &mut Sfu,
    paths: &mut TcpPaths,
    from: SocketAddr,
    local: SocketAddr,
    data: bytes::BytesMut,
) {
    core.handle_datagram(Instant::now(), Transport::Tcp, from, local, data);
    // Only a connection a participant's signed check came on is kept, and
    // only while it carries that participant's traffic.
    if core.knows_path(Transport::Tcp, from) {
        paths.heard_from_participant(from);
    }
}

async fn next_tcp(tcp: &mut Option<TcpPaths>) -> TcpInput {
    match tcp {
        Some(paths) => paths.next().await,
        None => std::future::pending().await,
    }
}

/// Where the core's output goes: datagrams to the socket (batched) or a
/// TCP path, messages to the participants' signaling sessions, room events
/// to the API.
struct Output {
    worker: usize,
    placements: Arc<RoomPlacements>,
    room_events: mpsc::UnboundedSender<crate::signal::RoomEvent>,
    sinks: Sinks,
    sender: SendBatcher,
    /// The batch being assembled; kept to reuse its capacity.
    outgoing: Vec<Transmit>,
    socket_errors: Arc<AtomicU64>,
}

impl Output {
    /// Sends everything the core has queued.
    fn flush(&mut self, core: &mut Sfu, socket: &UdpSocket, tcp: &mut Option<TcpPaths>) {
        let Output {
            worker,
            placements,
            room_events,
            sinks,
            sender,
            outgoing,
            socket_errors,
        } = self;
        // Datagrams leave in batches of up to MAX_BATCH per system call; the
        // core yields one participant's datagrams together, so a subscriber's
        // video frame can leave as one GSO send.
        // Each buffer goes back to the core once the kernel (or the TCP
        // path's queue) has a copy: the next forwarded packet is written into
        // it (`sfu::buffers`).
        loop {
            while outgoing.len() < send_batch::MAX_BATCH {
                let Some(transmit) = core.poll_transmit() else {
                    break;
                };
                if transmit.transport == Transport::Tcp {
                    if let Some(paths) = tcp {
                        paths.send(transmit.to, &transmit.data);
                    }
                    core.recycle(transmit.data);
                    continue;
                }
                outgoing.push(transmit);
            }
            if outgoing.is_empty() {
                break;
            }
            let (_, failed) = sender.send_all(socket, outgoing);
            if failed > 0 {
                socket_errors.fetch_add(failed as u64, Ordering::Relaxed);
                debug!(failed, "datagrams not sent");
            }
            for transmit in outgoing.drain(..) {
                core.recycle(transmit.data);
            }
        }
        while let Some(event) = core.poll_room_event() {
            if event.kind == RoomEventKind::RoomEnded && !core.has_room(&event.room) {
                placements.ended(&event.room, *worker);
            }
            let _ = room_events.send(event);
        }
        while let Some((participant, event)) = core.poll_event() {
            let closed = matches!(event, ToParticipant::Closed(_));
            if let Some((_, sink)) = sinks.get(&participant) {
                let _ = sink.send(event);
            }
            if closed {
                sinks.remove(&participant);
            }
        }
    }
}
