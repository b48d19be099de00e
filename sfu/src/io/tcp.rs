//! ICE over TCP: the connections of browsers whose network blocks UDP.
//!
//! Each peer connection offers a passive TCP candidate (RFC 6544) on
//! `tcp_bind`'s port; a browser that cannot reach the UDP port connects
//! there and sends its datagrams framed with a two-byte length (RFC 4571).
//! The media task polls these connections itself, like its UDP socket: the
//! listener, and every connection's reads through one [`StreamMap`] of
//! framed readers, so a wake-up takes whatever arrived on any of them.
//! Writes go straight to the socket (non-blocking); only what the kernel
//! will not take now waits in the connection's backlog, which is bounded:
//! past it whole datagrams are dropped, as a congested UDP path would, and
//! NACK and PLI recover. No task or channel per connection or per packet.
//!
//! A connection is closed when it ends, when no participant claimed it
//! within [`PROVE_WITHIN`] (the core learns a connection only from a
//! binding request signed with a participant's ICE password), or after
//! [`SILENCE_LIMIT`] without a frame the core routed to a participant
//! (browsers check consent every few seconds on the path they use; a
//! participant that left is forgotten by the core, so garbage does not keep
//! its connection open). One address may hold only a few unclaimed
//! connections. Closed connections are reported ([`TcpPaths::take_closed`])
//! so the core forgets their address.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use futures_util::StreamExt;
use tokio::net::TcpListener;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio_stream::StreamMap;
use tokio_util::codec::{FramedRead, LengthDelimitedCodec};
use tracing::debug;

use crate::transport::frame_into;

/// Connections held at once; more are refused at accept.
pub const MAX_CONNECTIONS: usize = 1024;
/// Connections no participant has claimed yet, from one IP address.
const MAX_UNPROVEN_PER_IP: usize = 16;
/// Bytes a connection may have waiting for the kernel.
const MAX_BACKLOG: usize = 256 * 1024;
/// A connection no participant claimed by then is closed.
pub const PROVE_WITHIN: Duration = Duration::from_secs(10);
/// A connection silent this long is closed.
pub const SILENCE_LIMIT: Duration = Duration::from_secs(30);

/// What the listener and the connections yielded.
pub enum TcpInput {
    /// One datagram from `from`, which reached us at `local`.
    Frame {
        from: SocketAddr,
        local: SocketAddr,
        data: BytesMut,
    },
    /// Nothing for the core: a connection opened or closed, or a backlog
    /// drained.
    Handled,
}

struct Connection {
    local: SocketAddr,
    writer: OwnedWriteHalf,
    backlog: BytesMut,
    opened: Instant,
    last_heard: Instant,
    /// A participant's signed binding request came on it.
    proven: bool,
}

/// The ICE-over-TCP listener and its connections.
pub struct TcpPaths {
    listener: TcpListener,
    readers: StreamMap<SocketAddr, FramedRead<OwnedReadHalf, LengthDelimitedCodec>>,
    connections: HashMap<SocketAddr, Connection>,
    /// Closed since the core last asked.
    closed: Vec<SocketAddr>,
    refused: u64,
    /// Datagrams dropped because a connection's backlog was full (or it
    /// was gone).
    pub dropped: u64,
}

impl TcpPaths {
    pub fn new(listener: TcpListener) -> TcpPaths {
        TcpPaths {
            listener,
            readers: StreamMap::new(),
            connections: HashMap::new(),
            closed: Vec::new(),
            refused: 0,
            dropped: 0,
        }
    }

    pub fn open(&self) -> usize {
        self.connections.len()
    }

    pub fn refused(&self) -> u64 {
        self.refused
    }

    /// Waits for the next thing to do: a connection to accept, a frame, or
    /// a backlog the kernel can take again.
    pub async fn next(&mut self) -> TcpInput {
        let backlogged = self.connections.values().any(|c| !c.backlog.is_empty());
        tokio::select! {
            accepted = self.listener.accept() => {
                match accepted {
                    Ok((stream, from)) => self.accept(stream, from),
                    Err(err) => debug!(%err, "ICE-TCP accept failed"),
                }
                TcpInput::Handled
            }
            Some((from, frame)) = self.readers.next(), if !self.readers.is_empty() => {
                match frame {
                    Ok(data) => match self.connections.get(&from) {
                        Some(connection) => TcpInput::Frame { from, local: connection.local, data },
                        None => TcpInput::Handled,
                    },
                    Err(err) => {
                        debug!(%from, %err, "ICE-TCP connection closed");
                        self.close(from);
                        TcpInput::Handled
                    }
                }
            }
            _ = writable(&self.connections), if backlogged => {
                self.drain_backlogs();
                TcpInput::Handled
            }
        }
    }

    fn accept(&mut self, stream: tokio::net::TcpStream, from: SocketAddr) {
        let unproven_here = self
            .connections
            .iter()
            .filter(|(addr, c)| addr.ip() == from.ip() && !c.proven)
            .count();
        if self.connections.len() >= MAX_CONNECTIONS
            || unproven_here >= MAX_UNPROVEN_PER_IP
            || self.connections.contains_key(&from)
        {
            self.refused += 1;
            return;
        }
        let Ok(local) = stream.local_addr() else {
            return;
        };
        // Media is latency-bound: no Nagle delay on small RTP packets.
        let _ = stream.set_nodelay(true);
        let (reader, writer) = stream.into_split();
        let codec = LengthDelimitedCodec::builder()
            .length_field_type::<u16>()
            .new_codec();
        self.readers.insert(from, FramedRead::new(reader, codec));
        let now = Instant::now();
        self.connections.insert(
            from,
            Connection {
                local,
                writer,
                backlog: BytesMut::new(),
                opened: now,
                last_heard: now,
                proven: false,
            },
        );
    }

    /// A frame from `from` went to the participant this connection
    /// belongs to (the core learnt it from a signed binding request).
    pub fn heard_from_participant(&mut self, from: SocketAddr) {
        if let Some(connection) = self.connections.get_mut(&from) {
            connection.proven = true;
            connection.last_heard = Instant::now();
        }
    }

    /// Connections closed since the last call, for the core to forget.
    pub fn take_closed(&mut self) -> Vec<SocketAddr> {
        std::mem::take(&mut self.closed)
    }

    /// Sends one datagram on the connection from `to`.
    pub fn send(&mut self, to: SocketAddr, datagram: &[u8]) {
        let Some(connection) = self.connections.get_mut(&to) else {
            self.dropped += 1;
            return;
        };
        if connection.backlog.len() + datagram.len() + 2 > MAX_BACKLOG {
            self.dropped += 1;
            return;
        }
        if !frame_into(&mut connection.backlog, datagram) {
            self.dropped += 1;
            return;
        }
        if write_backlog(connection).is_err() {
            self.close(to);
        }
    }

    fn drain_backlogs(&mut self) {
        let broken: Vec<SocketAddr> = self
            .connections
            .iter_mut()
            .filter(|(_, c)| !c.backlog.is_empty())
            .filter_map(|(addr, c)| write_backlog(c).is_err().then_some(*addr))
            .collect();
        for addr in broken {
            self.close(addr);
        }
    }

    /// Closes connections never claimed or gone silent.
    pub fn sweep(&mut self, now: Instant) {
        let stale: Vec<SocketAddr> = self
            .connections
            .iter()
            .filter(|(addr, c)| {
                (!c.proven && now.duration_since(c.opened) > PROVE_WITHIN)
                    || now.duration_since(c.last_heard) > SILENCE_LIMIT
                    // Its reader ended (the peer closed cleanly).
                    || !self.readers.contains_key(addr)
            })
            .map(|(addr, _)| *addr)
            .collect();
        for addr in stale {
            debug!(%addr, "closing an unclaimed or silent ICE-TCP connection");
            self.close(addr);
        }
    }

    fn close(&mut self, addr: SocketAddr) {
        self.readers.remove(&addr);
        if self.connections.remove(&addr).is_some() {
            self.closed.push(addr);
        }
    }
}

/// Writes as much of the backlog as the kernel takes now.
fn write_backlog(connection: &mut Connection) -> io::Result<()> {
    while !connection.backlog.is_empty() {
        match connection.writer.try_write(&connection.backlog) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(written) => {
                let _ = connection.backlog.split_to(written);
            }
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            Err(err) => return Err(err),
        }
    }
    Ok(())
}

/// Resolves when any backlogged connection can be written to.
async fn writable(connections: &HashMap<SocketAddr, Connection>) {
    let waiting: Vec<_> = connections
        .values()
        .filter(|c| !c.backlog.is_empty())
        .map(|c| Box::pin(c.writer.writable()))
        .collect();
    if waiting.is_empty() {
        return std::future::pending().await;
    }
    let _ = futures_util::future::select_all(waiting).await;
}
