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
use tokio_util::codec::{Decoder, FramedRead, LengthDelimitedCodec};
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

/// Binds one worker's listener on the shared ICE-over-TCP port
/// (`SO_REUSEPORT`: the kernel spreads new connections over the workers'
/// listeners; [`TcpPaths::release`] moves one to the worker it belongs to).
pub fn bind_shared(addr: SocketAddr) -> io::Result<std::net::TcpListener> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    // As std's listeners do: a restart binds while old connections linger.
    socket.set_reuse_address(true)?;
    socket.set_reuse_port(true)?;
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    socket.set_nonblocking(true)?;
    Ok(socket.into())
}

/// RFC 4571 framing: a two-byte length before each datagram.
fn rfc4571_codec() -> LengthDelimitedCodec {
    LengthDelimitedCodec::builder()
        .length_field_type::<u16>()
        .new_codec()
}

/// A connection on its way from the worker that accepted it to the worker
/// its participant is on ([`TcpPaths::release`], [`TcpPaths::adopt`]).
pub struct HandedOver {
    stream: std::net::TcpStream,
    codec: LengthDelimitedCodec,
    partial: BytesMut,
    /// Whole frames it sent that the first worker read but did not yield.
    pub frames: Vec<BytesMut>,
}

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
    /// Another worker handed it over: it is not handed on again, so junk
    /// naming one worker and then another cannot bounce it between them.
    adopted: bool,
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
                    Ok((stream, from)) => {
                        self.accept(stream, from, rfc4571_codec(), &[]);
                    }
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

    /// Whether the connection from `from` may move to another worker: no
    /// participant here has claimed it, and it did not come from one.
    pub fn may_hand_over(&self, from: SocketAddr) -> bool {
        self.connections
            .get(&from)
            .is_some_and(|c| !c.proven && !c.adopted)
    }

    /// Takes the connection from `from` out of this worker, for another,
    /// with the frames it has sent that were read but not yet yielded.
    pub fn release(&mut self, from: SocketAddr) -> Option<HandedOver> {
        let reader = self.readers.remove(&from)?;
        let connection = self.connections.remove(&from)?;
        let parts = reader.into_parts();
        // The codec goes along: it may have read a partial frame's length
        // already, and the rest of that frame is in `partial`.
        let mut codec = parts.codec;
        let mut partial = parts.read_buf;
        let mut frames = Vec::new();
        while let Some(frame) = codec.decode(&mut partial).ok()? {
            frames.push(frame);
        }
        let stream = parts.io.reunite(connection.writer).ok()?.into_std().ok()?;
        Some(HandedOver {
            stream,
            codec,
            partial,
            frames,
        })
    }

    /// Takes a connection another worker accepted ([`Self::release`]);
    /// false when it is over this worker's caps or cannot be registered.
    /// Its pending frames are the caller's to hand to the core.
    pub fn adopt(&mut self, connection: HandedOver) -> bool {
        let HandedOver {
            stream,
            codec,
            partial,
            ..
        } = connection;
        let Ok(from) = stream.peer_addr() else {
            return false;
        };
        let Ok(stream) = tokio::net::TcpStream::from_std(stream) else {
            return false;
        };
        self.accept(stream, from, codec, &partial)
            && self
                .connections
                .get_mut(&from)
                .map(|c| c.adopted = true)
                .is_some()
    }

    /// Registers an accepted connection (`codec` and `partial`: how far a
    /// previous worker read into it); false when refused.
    fn accept(
        &mut self,
        stream: tokio::net::TcpStream,
        from: SocketAddr,
        codec: LengthDelimitedCodec,
        partial: &[u8],
    ) -> bool {
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
            return false;
        }
        let Ok(local) = stream.local_addr() else {
            return false;
        };
        // Media is latency-bound: no Nagle delay on small RTP packets.
        let _ = stream.set_nodelay(true);
        let (reader, writer) = stream.into_split();
        // A partial frame is decoded once the rest of it is read.
        let mut reader = FramedRead::new(reader, codec);
        reader.read_buffer_mut().extend_from_slice(partial);
        self.readers.insert(from, reader);
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
                adopted: false,
            },
        );
        true
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

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn framed(frames: &[&[u8]]) -> Vec<u8> {
        let mut out = BytesMut::new();
        for frame in frames {
            assert!(frame_into(&mut out, frame));
        }
        out.to_vec()
    }

    async fn next_frame(paths: &mut TcpPaths) -> (SocketAddr, BytesMut) {
        loop {
            if let TcpInput::Frame { from, data, .. } = paths.next().await {
                return (from, data);
            }
        }
    }

    /// Two workers' listeners on one port; a connection one accepted moves
    /// to the other with the frames it had already sent, in order, and
    /// the other answers on it.
    #[tokio::test]
    async fn a_connection_moves_to_another_worker_with_what_it_sent() {
        let first = bind_shared("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = first.local_addr().unwrap();
        let second = bind_shared(addr).unwrap();
        let mut workers = [
            TcpPaths::new(TcpListener::from_std(first).unwrap()),
            TcpPaths::new(TcpListener::from_std(second).unwrap()),
        ];
        let mut client = tokio::net::TcpStream::connect(addr).await.unwrap();
        client
            .write_all(&framed(&[b"check", b"one", b"two"]))
            .await
            .unwrap();
        // Whichever listener the kernel chose yields the first frame.
        let (from, data, at) = {
            let [a, b] = &mut workers;
            tokio::select! {
                (from, data) = next_frame(a) => (from, data, 0),
                (from, data) = next_frame(b) => (from, data, 1),
            }
        };
        assert_eq!(&data[..], b"check");
        assert!(workers[at].may_hand_over(from));
        let connection = workers[at].release(from).unwrap();
        assert_eq!(workers[at].open(), 0);
        // Read together with the first: they travel as frames.
        let pending: Vec<&[u8]> = connection.frames.iter().map(|f| &f[..]).collect();
        assert_eq!(pending, [&b"one"[..], b"two"]);
        let other = 1 - at;
        assert!(workers[other].adopt(connection));
        assert!(!workers[other].may_hand_over(from), "handed over once only");
        // A frame split across the hand-over arrives whole.
        let split = framed(&[b"three"]);
        client.write_all(&split[..3]).await.unwrap();
        client.write_all(&split[3..]).await.unwrap();
        let (got_from, data) = next_frame(&mut workers[other]).await;
        assert_eq!((got_from, &data[..]), (from, &b"three"[..]));
        workers[other].send(from, b"answer");
        let mut reply = [0u8; 8];
        client.read_exact(&mut reply).await.unwrap();
        assert_eq!(&reply[..], &framed(&[b"answer"])[..]);
    }
}
