//! The tokio layer around [`TurnServer`]: the UDP listener, the TCP and
//! TLS listeners and their connections, and one relay socket per
//! allocation.
//!
//! The core sits behind one mutex. Whatever received something (the UDP
//! listener, a connection, a relay socket) locks it, hands the input over
//! and carries out the outputs on the spot: a datagram to a UDP client or
//! to the SFU is a non-blocking send from the receiving task, so a relayed
//! packet costs one lock and one send, with no task or channel of its own.
//! Only TCP and TLS clients have a writer task each, fed through a bounded
//! queue (a stream cannot be written without waiting; when the queue is
//! full a datagram is dropped, as a congested UDP path would).

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::{Notify, Semaphore, mpsc};
use tokio_util::codec::FramedRead;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use crate::framing::TurnFrames;
use crate::rest::TurnRest;
use crate::server::{
    AllocationId, Client, ClientTransport, Output, ServerConfig, TurnServer, TurnStats,
};

/// TCP and TLS connections held at once.
const MAX_CONNECTIONS: usize = 1024;
/// A connection silent this long is closed (ICE checks consent every few
/// seconds, and an allocation is refreshed every few minutes).
const SILENCE_LIMIT: Duration = Duration::from_secs(60);
/// A connection holding no allocation by then is closed: TURN clients
/// allocate first thing.
const ALLOCATE_WITHIN: Duration = Duration::from_secs(10);
/// TCP and TLS connections from one IP address at once (a browser opens
/// one or two; a clinic's NAT may hold a few browsers).
const MAX_CONNECTIONS_PER_IP: usize = 64;
/// The TLS handshake must finish within this.
const HANDSHAKE_LIMIT: Duration = Duration::from_secs(10);
/// Messages waiting for one TCP/TLS client's writer.
const WRITE_QUEUE: usize = 512;

/// Where to listen; `None` leaves a transport off.
pub struct Listeners {
    pub udp: Option<SocketAddr>,
    pub tcp: Option<SocketAddr>,
    pub tls: Option<(SocketAddr, tokio_rustls::TlsAcceptor)>,
}

/// The bound addresses.
#[derive(Clone, Copy, Debug)]
pub struct Bound {
    pub udp: Option<SocketAddr>,
    pub tcp: Option<SocketAddr>,
    pub tls: Option<SocketAddr>,
}

struct State {
    core: TurnServer,
    relays: HashMap<AllocationId, Relay>,
    writers: HashMap<Client, mpsc::Sender<Vec<u8>>>,
    /// Open TCP/TLS connections by client IP.
    per_ip: HashMap<IpAddr, usize>,
}

struct Relay {
    socket: Arc<UdpSocket>,
    task: tokio::task::AbortHandle,
}

struct Shared {
    state: Mutex<State>,
    udp: Option<Arc<UdpSocket>>,
    /// Where relay sockets are bound.
    relay_bind: IpAddr,
    /// Poked after a request that may move the next expiry.
    timer: Notify,
    stop: CancellationToken,
}

/// A running TURN server; dropping it does not stop it, [`TurnHandle::stop`] does.
#[derive(Clone)]
pub struct TurnHandle {
    shared: Arc<Shared>,
    pub bound: Bound,
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl TurnHandle {
    /// Binds the listeners and starts serving. Relay sockets are bound on
    /// `relay_bind` (an address the SFU's media port is reachable from).
    pub async fn start(
        config: ServerConfig,
        rest: TurnRest,
        listeners: Listeners,
        relay_bind: IpAddr,
    ) -> io::Result<TurnHandle> {
        let udp = match listeners.udp {
            Some(addr) => Some(Arc::new(UdpSocket::bind(addr).await?)),
            None => None,
        };
        let tcp = match listeners.tcp {
            Some(addr) => Some(TcpListener::bind(addr).await?),
            None => None,
        };
        let tls = match listeners.tls {
            Some((addr, acceptor)) => Some((TcpListener::bind(addr).await?, acceptor)),
            None => None,
        };
        let bound = Bound {
            udp: udp.as_ref().map(|s| s.local_addr()).transpose()?,
            tcp: tcp.as_ref().map(|l| l.local_addr()).transpose()?,
            tls: tls.as_ref().map(|(l, _)| l.local_addr()).transpose()?,
        };
        let mut nonce_secret = [0u8; 32];
        rand::fill(&mut nonce_secret);
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                core: TurnServer::new(config, rest, nonce_secret),
                relays: HashMap::new(),
                writers: HashMap::new(),
                per_ip: HashMap::new(),
            }),
            udp: udp.clone(),
            relay_bind,
            timer: Notify::new(),
            stop: CancellationToken::new(),
        });
        if let Some(socket) = udp {
            tokio::spawn(serve_udp(shared.clone(), socket));
        }
        let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
        if let Some(listener) = tcp {
            tokio::spawn(accept(shared.clone(), listener, None, slots.clone()));
        }
        if let Some((listener, acceptor)) = tls {
            tokio::spawn(accept(shared.clone(), listener, Some(acceptor), slots));
        }
        tokio::spawn(expire(shared.clone()));
        info!(udp = ?bound.udp, tcp = ?bound.tcp, tls = ?bound.tls, "TURN server listening");
        Ok(TurnHandle { shared, bound })
    }

    /// Serves a TLS connection another listener accepted and found to
    /// carry TURN: the HTTPS listener, when HTTPS and TURN over TLS share
    /// a port, read `first` (the start of a STUN message) off it.
    pub async fn serve_tls<S>(&self, stream: S, first: &[u8], peer: SocketAddr)
    where
        S: AsyncRead + AsyncWrite + Send + 'static,
    {
        let Some(_permit) = self.shared.admit(peer.ip()) else {
            debug!(%peer, "refusing a TURN connection: too many from this address");
            return;
        };
        serve_stream(
            self.shared.clone(),
            stream,
            first,
            ClientTransport::Tls,
            peer,
        )
        .await;
    }

    pub fn stats(&self) -> TurnStats {
        self.shared.lock().core.stats()
    }

    /// Stops listening and closes every connection and relay socket.
    pub fn stop(&self) {
        self.shared.stop.cancel();
        let mut state = self.shared.lock();
        for (_, relay) in state.relays.drain() {
            relay.task.abort();
        }
        state.writers.clear();
    }
}

/// One TCP/TLS connection counted against its address's limit, from
/// accept (before any TLS handshake) to close.
struct IpPermit {
    shared: Arc<Shared>,
    ip: IpAddr,
}

impl Drop for IpPermit {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        if let Some(open) = state.per_ip.get_mut(&self.ip) {
            *open -= 1;
            if *open == 0 {
                state.per_ip.remove(&self.ip);
            }
        }
    }
}

impl Shared {
    /// Counts a connection from `ip`, unless it already has too many.
    fn admit(self: &Arc<Self>, ip: IpAddr) -> Option<IpPermit> {
        let mut state = self.lock();
        let open = state.per_ip.entry(ip).or_default();
        if *open >= MAX_CONNECTIONS_PER_IP {
            return None;
        }
        *open += 1;
        Some(IpPermit {
            shared: self.clone(),
            ip,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Hands one client message to the core and carries out what follows.
    fn from_client(self: &Arc<Self>, client: Client, bytes: &[u8]) {
        let mut state = self.lock();
        state
            .core
            .handle_client(client, bytes, Instant::now(), unix_now());
        self.carry_out(&mut state);
        if state.core.take_deadline_moved() {
            self.timer.notify_one();
        }
    }

    /// Performs the core's outputs.
    fn carry_out(self: &Arc<Self>, state: &mut State) {
        while let Some(output) = state.core.poll_output() {
            match output {
                Output::ToClient { client, bytes } => match client.transport {
                    ClientTransport::Udp => {
                        if let Some(udp) = &self.udp {
                            let _ = udp.try_send_to(&bytes, client.addr);
                        }
                    }
                    ClientTransport::Tcp | ClientTransport::Tls => {
                        if let Some(writer) = state.writers.get(&client) {
                            let _ = writer.try_send(bytes);
                        }
                    }
                },
                Output::ToPeer {
                    allocation,
                    to,
                    bytes,
                } => {
                    if let Some(relay) = state.relays.get(&allocation) {
                        let _ = relay.socket.try_send_to(&bytes, to);
                    }
                }
                Output::BindRelay { allocation } => {
                    let bound = if self.stop.is_cancelled() {
                        Err(io::Error::other("the TURN server is stopping"))
                    } else {
                        self.bind_relay()
                    };
                    let result = bound
                        .as_ref()
                        .map(|(_, addr)| *addr)
                        .map_err(|e| io::Error::new(e.kind(), e.to_string()));
                    if let Ok((socket, local)) = bound {
                        let task = tokio::spawn(serve_relay(self.clone(), socket.clone(), local));
                        state.relays.insert(
                            allocation,
                            Relay {
                                socket,
                                task: task.abort_handle(),
                            },
                        );
                    }
                    state.core.relay_bound(allocation, result);
                }
                Output::CloseRelay { allocation } => {
                    if let Some(relay) = state.relays.remove(&allocation) {
                        relay.task.abort();
                    }
                }
            }
        }
    }

    fn bind_relay(&self) -> io::Result<(Arc<UdpSocket>, SocketAddr)> {
        let socket = std::net::UdpSocket::bind(SocketAddr::new(self.relay_bind, 0))?;
        socket.set_nonblocking(true)?;
        let local = socket.local_addr()?;
        Ok((Arc::new(UdpSocket::from_std(socket)?), local))
    }
}

async fn serve_udp(shared: Arc<Shared>, socket: Arc<UdpSocket>) {
    let mut buf = vec![0u8; 65536];
    loop {
        let received = tokio::select! {
            received = socket.recv_from(&mut buf) => received,
            () = shared.stop.cancelled() => return,
        };
        match received {
            Ok((n, from)) => shared.from_client(
                Client {
                    transport: ClientTransport::Udp,
                    addr: from,
                },
                &buf[..n],
            ),
            // ICMP port unreachable from an earlier send, and the like.
            Err(err) => debug!(%err, "TURN UDP receive failed"),
        }
    }
}

/// Datagrams the SFU sends to one allocation's relay socket.
async fn serve_relay(shared: Arc<Shared>, socket: Arc<UdpSocket>, local: SocketAddr) {
    let mut buf = vec![0u8; 65536];
    loop {
        let received = tokio::select! {
            received = socket.recv_from(&mut buf) => received,
            () = shared.stop.cancelled() => return,
        };
        match received {
            Ok((n, from)) => {
                let mut state = shared.lock();
                state
                    .core
                    .handle_relay(local, from, &buf[..n], Instant::now());
                shared.carry_out(&mut state);
            }
            Err(err) => debug!(%err, "TURN relay receive failed"),
        }
    }
}

async fn accept(
    shared: Arc<Shared>,
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    slots: Arc<Semaphore>,
) {
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("never closed"),
            () = shared.stop.cancelled() => return,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    warn!(%err, "accepting a TURN connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = shared.stop.cancelled() => return,
        };
        let Some(permit) = shared.admit(peer.ip()) else {
            debug!(%peer, "refusing a TURN connection: too many from this address");
            continue;
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let _permit = permit;
            match tls {
                None => serve_stream(shared, stream, &[], ClientTransport::Tcp, peer).await,
                Some(acceptor) => {
                    match tokio::time::timeout(HANDSHAKE_LIMIT, acceptor.accept(stream)).await {
                        Ok(Ok(stream)) => {
                            serve_stream(shared, stream, &[], ClientTransport::Tls, peer).await;
                        }
                        Ok(Err(err)) => debug!(%peer, %err, "TURN TLS handshake failed"),
                        Err(_) => debug!(%peer, "TURN TLS handshake timed out"),
                    }
                }
            }
        });
    }
}

/// One TCP or TLS client, until it closes, goes silent or sends something
/// that is not TURN; its allocation ends with it. `first`: bytes already
/// read off the stream.
async fn serve_stream<S>(
    shared: Arc<Shared>,
    stream: S,
    first: &[u8],
    transport: ClientTransport,
    addr: SocketAddr,
) where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let client = Client { transport, addr };
    let (tx, mut rx) = mpsc::channel::<Vec<u8>>(WRITE_QUEUE);
    shared.lock().writers.insert(client, tx);
    let (read, mut write) = tokio::io::split(stream);
    let mut writer = tokio::spawn(async move {
        while let Some(bytes) = rx.recv().await {
            if write.write_all(&bytes).await.is_err() {
                break;
            }
        }
        let _ = write.shutdown().await;
    });
    let mut frames = FramedRead::new(read, TurnFrames);
    frames.read_buffer_mut().extend_from_slice(first);
    // Looked at every ALLOCATE_WITHIN: a connection whose allocation
    // never came, or has ended, is closed.
    let mut check = tokio::time::interval_at(
        tokio::time::Instant::now() + ALLOCATE_WITHIN,
        ALLOCATE_WITHIN,
    );
    loop {
        let frame = tokio::select! {
            frame = tokio::time::timeout(SILENCE_LIMIT, frames.next()) => frame,
            _ = check.tick() => {
                if shared.lock().core.has_allocation(&client) {
                    continue;
                }
                debug!(%addr, "closing a TURN connection without an allocation");
                break;
            }
            () = shared.stop.cancelled() => break,
        };
        match frame {
            Ok(Some(Ok(frame))) => shared.from_client(client, &frame),
            Ok(Some(Err(err))) => {
                debug!(%addr, %err, "closing a TURN connection that sent something else");
                break;
            }
            Ok(None) => break,
            Err(_) => {
                debug!(%addr, "closing a silent TURN connection");
                break;
            }
        }
    }
    {
        let mut state = shared.lock();
        state.writers.remove(&client);
        state.core.client_closed(client);
        shared.carry_out(&mut state);
    }
    // What is queued (an error answer, say) goes out, unless the client
    // does not read.
    if tokio::time::timeout(Duration::from_secs(5), &mut writer)
        .await
        .is_err()
    {
        writer.abort();
    }
}

/// Ends allocations, permissions and channels when they expire.
async fn expire(shared: Arc<Shared>) {
    loop {
        let next = shared.lock().core.poll_timeout();
        let sleep = match next {
            Some(at) => tokio::time::sleep_until(at.into()),
            None => tokio::time::sleep(Duration::from_secs(3600)),
        };
        tokio::select! {
            () = sleep => {
                let mut state = shared.lock();
                state.core.handle_timeout(Instant::now());
                shared.carry_out(&mut state);
            }
            () = shared.timer.notified() => {}
            () = shared.stop.cancelled() => return,
        }
    }
}
