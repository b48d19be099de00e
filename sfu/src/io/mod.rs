//! The thin tokio layer: one task, on a thread of its own, owns the UDP
//! socket and the [`Sfu`] core.
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
//! ([`send_batch`]). Socket errors (EINTR,
//! ICMP port unreachable surfacing as ECONNREFUSED, ENOBUFS) are counted and
//! skipped: the loop never dies because one peer went away.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use std::io::IoSliceMut;

use quinn_udp::{RecvMeta, UdpSocketState};
use tokio::io::Interest;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, info, warn};

mod commands;
mod media_socket;
mod send_batch;
mod tcp;

use commands::{Command, JoinTarget, RoomCommand, Sinks, handle_command};
use send_batch::SendBatcher;
use tcp::{TcpInput, TcpPaths};

pub use crate::core::SfuStats;
use crate::core::{
    CachedTrack, JoinError, Joined, ParticipantKey, ResumeError, RoomScope, RoomSnapshot, Sfu,
    SfuConfig, Transmit,
};
use crate::signal::{FromParticipant, ParticipantInfo, RoomEvent, ToParticipant};
use crate::transport::Transport;

/// `recvmmsg` calls per wake-up before commands and timers get a turn.
const READ_CALLS: usize = 4;
/// Buffers per `recvmmsg` call (quinn-udp's batch size on Linux).
const READ_BATCH: usize = 32;
/// One buffer: room for a GRO-coalesced run of datagrams from one peer.
const RECV_BUFFER: usize = 64 * 1024;
/// Timer used when the core has nothing scheduled.
const IDLE_TICK: Duration = Duration::from_secs(1);

/// A cheap, cloneable way for signaling sessions to reach the SFU task.
#[derive(Clone)]
pub struct SfuHandle {
    commands: mpsc::UnboundedSender<Command>,
    local_addr: SocketAddr,
    socket_errors: Arc<AtomicU64>,
    reconnect_window: Duration,
}

impl SfuHandle {
    /// Binds the media socket and starts the SFU on its own thread. The
    /// thread ends when every handle is dropped. The receiver yields
    /// room-level events (participants, tracks, rooms ended) for status
    /// callbacks; dropping it is fine.
    ///
    /// Why a thread of its own, with a single-threaded tokio runtime: the
    /// SFU is one task that wakes for every burst of datagrams. On the
    /// server's multi-threaded runtime each wake could land on another
    /// worker (cold caches, work-stealing wake-ups of idle workers); here
    /// the thread that waits in `epoll` is the one that forwards.
    pub fn start(
        mut config: SfuConfig,
    ) -> io::Result<(SfuHandle, mpsc::UnboundedReceiver<RoomEvent>)> {
        let (socket, _) = media_socket::bind(config.bind, config.socket_buffer_bytes)?;
        let local_addr = socket.local_addr()?;
        info!(%local_addr, "media socket bound");
        let tcp_listener = match config.tcp_bind {
            Some(addr) => {
                let listener = std::net::TcpListener::bind(addr)?;
                listener.set_nonblocking(true)?;
                let bound = listener.local_addr()?;
                info!(%bound, "ICE-over-TCP port bound");
                config.tcp_bind = Some(bound);
                Some(listener)
            }
            None => None,
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()?;
        let (commands, rx) = mpsc::unbounded_channel();
        let socket_errors = Arc::new(AtomicU64::new(0));
        if config.advertise.is_empty() {
            config.advertise.push(local_addr.ip());
        }
        config.bind = local_addr;
        let reconnect_window = config.reconnect_window;
        let core = Sfu::new(config, Instant::now());
        let (room_events, room_events_rx) = mpsc::unbounded_channel();
        let errors = socket_errors.clone();
        std::thread::Builder::new()
            .name("confide-sfu".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let tcp = match tcp_listener.map(tokio::net::TcpListener::from_std) {
                        Some(Ok(listener)) => Some(TcpPaths::new(listener)),
                        Some(Err(err)) => {
                            return warn!(%err, "cannot register the ICE-TCP port; SFU stopped");
                        }
                        None => None,
                    };
                    match UdpSocket::from_std(socket) {
                        Ok(socket) => run(core, socket, tcp, rx, errors, room_events).await,
                        Err(err) => warn!(%err, "cannot register the media socket; SFU stopped"),
                    }
                });
            })?;
        let handle = SfuHandle {
            commands,
            local_addr,
            socket_errors,
            reconnect_window,
        };
        Ok((handle, room_events_rx))
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// How long a participant keeps its place after an interruption.
    pub fn reconnect_window(&self) -> Duration {
        self.reconnect_window
    }

    /// Joins a room from `client_ip` (the signaling connection's address,
    /// carried by the room's events); the returned receiver yields
    /// everything the SFU tells this participant until the session ends.
    pub async fn join(
        &self,
        room: String,
        identity: String,
        scope: RoomScope,
        client_ip: Option<IpAddr>,
    ) -> Result<(Joined, mpsc::UnboundedReceiver<ToParticipant>), JoinError> {
        self.join_target(JoinTarget::Room { name: room, scope }, identity, client_ip)
            .await
    }

    /// A connectivity test's session: alone, receiving its own tracks
    /// ([`Sfu::join_preflight`](crate::core::Sfu::join_preflight)).
    pub async fn join_preflight(
        &self,
        identity: String,
    ) -> Result<(Joined, mpsc::UnboundedReceiver<ToParticipant>), JoinError> {
        self.join_target(JoinTarget::Preflight, identity, None)
            .await
    }

    async fn join_target(
        &self,
        target: JoinTarget,
        identity: String,
        client_ip: Option<IpAddr>,
    ) -> Result<(Joined, mpsc::UnboundedReceiver<ToParticipant>), JoinError> {
        let (events, events_rx) = mpsc::unbounded_channel();
        let (reply, reply_rx) = oneshot::channel();
        self.commands
            .send(Command::Join {
                target,
                identity,
                client_ip,
                events,
                reply,
            })
            .map_err(|_| JoinError::Unavailable)?;
        let joined = reply_rx.await.map_err(|_| JoinError::Unavailable)??;
        Ok((joined, events_rx))
    }

    pub fn signal(&self, participant: ParticipantKey, message: FromParticipant) {
        let _ = self.commands.send(Command::Signal {
            participant,
            message,
        });
    }

    pub fn leave(&self, participant: ParticipantKey) {
        let _ = self.commands.send(Command::Leave { participant });
    }

    /// Signaling connection `connection` of `participant` ended without a
    /// `leave`: the participant keeps its place for the reconnect window.
    pub fn detach(&self, participant: ParticipantKey, connection: u64) {
        let _ = self.commands.send(Command::Detach {
            participant,
            connection,
        });
    }

    /// Attaches a new signaling connection to a participant that is still
    /// in its room; the receiver yields what the SFU tells it from now on
    /// (the one of its previous connection gets `Closed(Replaced)`).
    pub async fn resume(
        &self,
        participant_sid: String,
        resume_token: String,
    ) -> Result<(Joined, mpsc::UnboundedReceiver<ToParticipant>), ResumeError> {
        let (events, events_rx) = mpsc::unbounded_channel();
        let (reply, reply_rx) = oneshot::channel();
        self.commands
            .send(Command::Resume {
                participant_sid,
                resume_token,
                events,
                reply,
            })
            .map_err(|_| ResumeError)?;
        let resumed = reply_rx.await.map_err(|_| ResumeError)??;
        Ok((resumed, events_rx))
    }

    /// Registers a room under the API's sid, kept while empty.
    pub async fn register_room(
        &self,
        name: &str,
        sid: &str,
        max_participants: Option<usize>,
    ) -> bool {
        let (reply, rx) = oneshot::channel();
        let command = RoomCommand::Register {
            name: name.to_owned(),
            sid: sid.to_owned(),
            max_participants,
            reply,
        };
        self.commands.send(Command::Rooms(command)).is_ok() && rx.await.unwrap_or(false)
    }

    /// Who is in a room now; `None` when the SFU has no such room.
    pub async fn room(&self, name: &str) -> Option<RoomSnapshot> {
        let (reply, rx) = oneshot::channel();
        let command = RoomCommand::Snapshot {
            name: name.to_owned(),
            reply,
        };
        self.commands.send(Command::Rooms(command)).ok()?;
        rx.await.ok().flatten()
    }

    /// Ends a room, disconnecting everyone in it.
    pub async fn end_room(&self, name: &str) -> bool {
        let (reply, rx) = oneshot::channel();
        let command = RoomCommand::End {
            name: name.to_owned(),
            reply,
        };
        self.commands.send(Command::Rooms(command)).is_ok() && rx.await.unwrap_or(false)
    }

    /// Ends a room for good: everyone is disconnected (53118) and joins by
    /// its name are refused for `refuse_for` (the life of tokens already
    /// issued). Returns whether the room was live.
    pub async fn close_room(&self, name: &str, refuse_for: Duration) -> bool {
        let (reply, rx) = oneshot::channel();
        let command = RoomCommand::Close {
            name: name.to_owned(),
            refuse_for,
            reply,
        };
        self.commands.send(Command::Rooms(command)).is_ok() && rx.await.unwrap_or(false)
    }

    /// What the packet caches of a room's tracks hold
    /// ([`crate::core::Sfu::cached_media`]); `None` for an unknown room.
    pub async fn cached_media(&self, room: &str) -> Option<Vec<CachedTrack>> {
        let (reply, rx) = oneshot::channel();
        let command = RoomCommand::CachedMedia {
            name: room.to_owned(),
            reply,
        };
        self.commands.send(Command::Rooms(command)).ok()?;
        rx.await.ok().flatten()
    }

    /// Removes a participant (by sid or identity) from a room.
    pub async fn remove_participant(&self, room: &str, who: &str) -> Option<ParticipantInfo> {
        let (reply, rx) = oneshot::channel();
        let command = RoomCommand::Remove {
            name: room.to_owned(),
            who: who.to_owned(),
            reply,
        };
        self.commands.send(Command::Rooms(command)).ok()?;
        rx.await.ok().flatten()
    }

    /// Ends every session (signaling tells each client the server is
    /// restarting)
    /// and stops the SFU; returns once the participants have been told.
    pub async fn shutdown(&self) {
        let (done, rx) = oneshot::channel();
        if self.commands.send(Command::Shutdown { done }).is_ok() {
            let _ = rx.await;
        }
    }

    pub async fn stats(&self) -> Option<SfuStats> {
        let (reply, rx) = oneshot::channel();
        self.commands.send(Command::Stats { reply }).ok()?;
        rx.await.ok()
    }

    pub fn socket_errors(&self) -> u64 {
        self.socket_errors.load(Ordering::Relaxed)
    }
}

async fn run(
    mut core: Sfu,
    socket: UdpSocket,
    mut tcp: Option<TcpPaths>,
    mut commands: mpsc::UnboundedReceiver<Command>,
    socket_errors: Arc<AtomicU64>,
    room_events: mpsc::UnboundedSender<RoomEvent>,
) {
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
                    Some(command) => handle_command(&mut core, &mut output.sinks, command),
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
                    core.handle_datagram(Instant::now(), Transport::Tcp, from, local, data);
                    // Only a connection a participant's signed check came
                    // on is kept, and only while it carries that
                    // participant's traffic.
                    if core.knows_path(Transport::Tcp, from) {
                        paths.heard_from_participant(from);
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
    info!("SFU stopped");
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
    room_events: mpsc::UnboundedSender<RoomEvent>,
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
