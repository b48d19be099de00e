//! The thin tokio layer: media workers, each a thread of its own owning a
//! UDP socket and an [`Sfu`] core, and [`SfuHandle`], through which the
//! rest of the server reaches them.
//!
//! # Workers
//!
//! A process runs `workers` media workers (by default one per core;
//! [`worker`] holds one's loop). Worker *i* owns UDP port `bind.port() + i`
//! (a small range, opened in the firewall as one rule; an ephemeral port
//! each when `bind`'s is 0), and every worker listens on the one ICE-over-TCP
//! port with `SO_REUSEPORT`. A room lives on one worker, placed by load when
//! first asked for ([`placement`]), so forwarding never crosses threads: a
//! participant's ICE candidates name its room's worker's port, and its
//! datagrams arrive on that worker's socket. The kernel spreads TCP
//! connections over the workers by hash; a worker hands one whose first
//! binding request names another worker's participant (its ufrag's first two
//! hex digits, its key's top byte: [`crate::core::worker_of_key`]) to that
//! worker, once per connection.
//!
//! Signaling and the REST API send commands over each worker's queue: a
//! participant's go to the worker its key names, a room's to the worker it
//! is placed on. Nothing crosses threads per packet.
//!
//! - [`worker`]: one worker's thread and loop: batched `recvmmsg`, the
//!   core, batched `sendmmsg` ([`send_batch`]), commands, timers.
//! - [`placement`]: which worker holds each room.
//! - [`commands`]: what the handle asks of a worker.
//! - [`tcp`]: a worker's ICE-over-TCP connections.
//! - [`media_socket`]: binding a UDP socket with large kernel buffers.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tracing::info;

mod commands;
mod media_socket;
mod placement;
mod send_batch;
mod tcp;
mod worker;

use commands::{Command, JoinTarget, RoomCommand};
use placement::RoomPlacements;

pub use crate::core::SfuStats;
use crate::core::{
    CachedTrack, JoinError, Joined, ParticipantKey, ResumeError, RoomScope, RoomSnapshot,
    SfuConfig, worker_of_key,
};
use crate::signal::{FromParticipant, ParticipantInfo, RoomEvent, ToParticipant};

/// The most workers a process runs: a participant key's top byte and a
/// ufrag's first two hex digits name one.
pub const MAX_WORKERS: usize = 256;

/// The handle's side of one worker.
struct WorkerLink {
    commands: mpsc::UnboundedSender<Command>,
    local_addr: SocketAddr,
}

/// A cheap, cloneable way for signaling sessions to reach the media
/// workers.
#[derive(Clone)]
pub struct SfuHandle {
    workers: Arc<[WorkerLink]>,
    placements: Arc<RoomPlacements>,
    socket_errors: Arc<AtomicU64>,
    reconnect_window: Duration,
}

/// How many media workers `workers` asks for: itself, or one per core
/// when 0, at most [`MAX_WORKERS`].
pub fn worker_count(workers: usize) -> usize {
    match workers {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
    .min(MAX_WORKERS)
}

impl SfuHandle {
    /// Binds the media sockets and starts `workers` media workers (0: one
    /// per core), each on its own thread. The threads end when every handle
    /// is dropped. The receiver yields room-level events (participants,
    /// tracks, rooms ended) for status callbacks; dropping it is fine.
    pub fn start(
        mut config: SfuConfig,
        workers: usize,
    ) -> io::Result<(SfuHandle, mpsc::UnboundedReceiver<RoomEvent>)> {
        let workers = worker_count(workers);
        let base = config.bind.port();
        if base != 0 && usize::from(base) + workers - 1 > usize::from(u16::MAX) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("media ports {base}..{base}+{workers} run past 65535"),
            ));
        }
        let mut sockets = Vec::with_capacity(workers);
        for index in 0..workers {
            let port = if base == 0 { 0 } else { base + index as u16 };
            let addr = SocketAddr::new(config.bind.ip(), port);
            let (socket, _) = media_socket::bind(addr, config.socket_buffer_bytes)?;
            sockets.push(socket);
        }
        let mut tcp_listeners = Vec::with_capacity(workers);
        if let Some(mut at) = config.tcp_bind {
            for _ in 0..workers {
                let listener = tcp::bind_shared(at)?;
                // Port 0: the other workers join the port the first got.
                at = listener.local_addr()?;
                tcp_listeners.push(listener);
            }
            config.tcp_bind = Some(at);
            info!(bound = %at, workers, "ICE-TCP port bound");
        }
        if config.advertise.is_empty() {
            config.advertise.push(sockets[0].local_addr()?.ip());
        }
        let socket_errors = Arc::new(AtomicU64::new(0));
        let placements = Arc::new(RoomPlacements::new(workers));
        let (room_events, room_events_rx) = mpsc::unbounded_channel();
        let queues: Vec<_> = (0..workers).map(|_| mpsc::unbounded_channel()).collect();
        let shared = worker::Shared {
            placements: placements.clone(),
            socket_errors: socket_errors.clone(),
            room_events,
            peers: queues.iter().map(|(tx, _)| tx.downgrade()).collect(),
        };
        let mut tcp_listeners = tcp_listeners.into_iter();
        let mut links = Vec::with_capacity(workers);
        for (index, (socket, (commands, rx))) in sockets.into_iter().zip(queues).enumerate() {
            let local_addr = socket.local_addr()?;
            info!(%local_addr, worker = index, "media socket bound");
            let mut worker_config = config.clone();
            worker_config.bind = local_addr;
            worker_config.worker = index as u8;
            worker::spawn(
                worker_config,
                socket,
                tcp_listeners.next(),
                rx,
                shared.clone(),
            )?;
            links.push(WorkerLink {
                commands,
                local_addr,
            });
        }
        let handle = SfuHandle {
            workers: links.into(),
            placements,
            socket_errors,
            reconnect_window: config.reconnect_window,
        };
        Ok((handle, room_events_rx))
    }

    /// The first worker's media address (the start of the port range).
    pub fn local_addr(&self) -> SocketAddr {
        self.workers[0].local_addr
    }

    /// Every worker's media address, by worker.
    pub fn media_addrs(&self) -> Vec<SocketAddr> {
        self.workers.iter().map(|w| w.local_addr).collect()
    }

    /// The rooms this process's workers hold (registered, or with someone
    /// in them), by name.
    pub fn room_names(&self) -> Vec<String> {
        self.placements.room_names()
    }

    /// How many media workers run.
    pub fn workers(&self) -> usize {
        self.workers.len()
    }

    fn send_to(&self, worker: usize, command: Command) -> bool {
        self.workers
            .get(worker)
            .is_some_and(|w| w.commands.send(command).is_ok())
    }

    /// Sends a command about `room` to its worker (placing the room when
    /// `place`); false when it is not placed, or its worker is gone.
    fn send_for_room(&self, room: &str, place: bool, command: Command) -> bool {
        let mut command = Some(command);
        self.placements
            .route(room, place, |w| {
                command.take().is_some_and(|c| self.send_to(w, c))
            })
            .is_some()
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
        let room = match &target {
            JoinTarget::Room { name, .. } => Some(name.clone()),
            JoinTarget::Preflight => None,
        };
        let command = Command::Join {
            target,
            identity,
            client_ip,
            events,
            reply,
        };
        let sent = match room {
            Some(room) => self.send_for_room(&room, true, command),
            None => self.send_to(self.placements.least_loaded_worker(), command),
        };
        if !sent {
            return Err(JoinError::Unavailable);
        }
        let joined = reply_rx.await.map_err(|_| JoinError::Unavailable)??;
        Ok((joined, events_rx))
    }

    pub fn signal(&self, participant: ParticipantKey, message: FromParticipant) {
        let command = Command::Signal {
            participant,
            message,
        };
        self.send_to(worker_of_key(participant), command);
    }

    pub fn leave(&self, participant: ParticipantKey) {
        self.send_to(worker_of_key(participant), Command::Leave { participant });
    }

    /// Signaling connection `connection` of `participant` ended without a
    /// `leave`: the participant keeps its place for the reconnect window.
    pub fn detach(&self, participant: ParticipantKey, connection: u64) {
        let command = Command::Detach {
            participant,
            connection,
        };
        self.send_to(worker_of_key(participant), command);
    }

    /// Attaches a new signaling connection to a participant that is still
    /// in its room; the receiver yields what the SFU tells it from now on
    /// (the one of its previous connection gets `Closed(Replaced)`).
    ///
    /// A resume names the participant by its SID only, so each worker is
    /// asked in turn until one holds it (a resume is rare: a network
    /// change, not a packet).
    pub async fn resume(
        &self,
        participant_sid: String,
        resume_token: String,
    ) -> Result<(Joined, mpsc::UnboundedReceiver<ToParticipant>), ResumeError> {
        for worker in 0..self.workers.len() {
            let (events, events_rx) = mpsc::unbounded_channel();
            let (reply, reply_rx) = oneshot::channel();
            let command = Command::Resume {
                participant_sid: participant_sid.clone(),
                resume_token: resume_token.clone(),
                events,
                reply,
            };
            if !self.send_to(worker, command) {
                continue;
            }
            if let Ok(Ok(resumed)) = reply_rx.await {
                return Ok((resumed, events_rx));
            }
        }
        Err(ResumeError)
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
        self.send_for_room(name, true, Command::Rooms(command)) && rx.await.unwrap_or(false)
    }

    /// Who is in a room now; `None` when the SFU has no such room.
    pub async fn room(&self, name: &str) -> Option<RoomSnapshot> {
        let (reply, rx) = oneshot::channel();
        let command = RoomCommand::Snapshot {
            name: name.to_owned(),
            reply,
        };
        if !self.send_for_room(name, false, Command::Rooms(command)) {
            return None;
        }
        rx.await.ok().flatten()
    }

    /// Ends a room, disconnecting everyone in it.
    pub async fn end_room(&self, name: &str) -> bool {
        let (reply, rx) = oneshot::channel();
        let command = RoomCommand::End {
            name: name.to_owned(),
            reply,
        };
        self.send_for_room(name, false, Command::Rooms(command)) && rx.await.unwrap_or(false)
    }

    /// Ends a room for good: everyone is disconnected (53118) and joins by
    /// its name are refused for `refuse_for` (the life of tokens already
    /// issued). Returns whether the room was live.
    ///
    /// Every worker records the refusal, so a later join is refused
    /// wherever it would have been placed.
    pub async fn close_room(&self, name: &str, refuse_for: Duration) -> bool {
        let mut replies = Vec::with_capacity(self.workers.len());
        for worker in 0..self.workers.len() {
            let (reply, rx) = oneshot::channel();
            let command = RoomCommand::Close {
                name: name.to_owned(),
                refuse_for,
                reply,
            };
            if self.send_to(worker, Command::Rooms(command)) {
                replies.push(rx);
            }
        }
        let mut live = false;
        for rx in replies {
            live |= rx.await.unwrap_or(false);
        }
        live
    }

    /// What the packet caches of a room's tracks hold
    /// ([`crate::core::Sfu::cached_media`]); `None` for an unknown room.
    pub async fn cached_media(&self, room: &str) -> Option<Vec<CachedTrack>> {
        let (reply, rx) = oneshot::channel();
        let command = RoomCommand::CachedMedia {
            name: room.to_owned(),
            reply,
        };
        if !self.send_for_room(room, false, Command::Rooms(command)) {
            return None;
        }
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
        if !self.send_for_room(room, false, Command::Rooms(command)) {
            return None;
        }
        rx.await.ok().flatten()
    }

    /// Ends every session (signaling tells each client the server is
    /// restarting) and stops every worker; returns once the participants
    /// have been told.
    pub async fn shutdown(&self) {
        let mut stopped = Vec::with_capacity(self.workers.len());
        for worker in 0..self.workers.len() {
            let (done, rx) = oneshot::channel();
            if self.send_to(worker, Command::Shutdown { done }) {
                stopped.push(rx);
            }
        }
        for rx in stopped {
            let _ = rx.await;
        }
    }

    /// The workers' counters, summed; `None` once none answers.
    pub async fn stats(&self) -> Option<SfuStats> {
        let mut total: Option<SfuStats> = None;
        for stats in self.worker_stats().await.into_iter().flatten() {
            total.get_or_insert_with(SfuStats::default).add(&stats);
        }
        total
    }

    /// Each worker's counters, by worker (`None` for one that stopped).
    pub async fn worker_stats(&self) -> Vec<Option<SfuStats>> {
        let mut replies = Vec::with_capacity(self.workers.len());
        for worker in 0..self.workers.len() {
            let (reply, rx) = oneshot::channel();
            replies.push(self.send_to(worker, Command::Stats { reply }).then_some(rx));
        }
        let mut stats = Vec::with_capacity(replies.len());
        for rx in replies {
            stats.push(match rx {
                Some(rx) => rx.await.ok(),
                None => None,
            });
        }
        stats
    }

    pub fn socket_errors(&self) -> u64 {
        self.socket_errors.load(Ordering::Relaxed)
    }
}
