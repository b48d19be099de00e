//! A [`Peer`] on a real UDP socket under tokio: datagrams in, timers
//! fired, datagrams out.

use std::net::SocketAddr;
use std::time::Instant;

use bytes::BytesMut;
use tokio::net::UdpSocket;

use crate::peer::Peer;

/// A socket on 127.0.0.1 with an ephemeral port, and its address (the
/// peer's host candidate).
pub async fn bind() -> std::io::Result<(UdpSocket, SocketAddr)> {
    let socket = UdpSocket::bind("127.0.0.1:0").await?;
    let local = socket.local_addr()?;
    Ok((socket, local))
}

/// How many consecutive UDP ports [`free_port_range`] finds: room for a
/// server's media workers (one port each) on any machine the tests run on.
pub const MEDIA_PORTS: u16 = 8;

/// The first of [`MEDIA_PORTS`] consecutive UDP ports on 127.0.0.1 that
/// are all free now, for a server started with `--media-listen` on it (a
/// test that restarts it on the same address needs a fixed port, and the
/// server's worker *i* binds the port + *i*).
pub fn free_port_range() -> SocketAddr {
    loop {
        let first = std::net::UdpSocket::bind("127.0.0.1:0").expect("an ephemeral UDP port");
        let start = first.local_addr().expect("bound").port();
        if start > u16::MAX - MEDIA_PORTS {
            continue;
        }
        let rest: Result<Vec<_>, _> = (1..MEDIA_PORTS)
            .map(|i| std::net::UdpSocket::bind(("127.0.0.1", start + i)))
            .collect();
        if rest.is_ok() {
            return SocketAddr::from(([127, 0, 0, 1], start));
        }
    }
}

/// Sends everything the peer wrote.
pub async fn flush(peer: &mut Peer, socket: &UdpSocket) {
    while let Some((to, datagram)) = peer.poll_transmit() {
        let _ = socket.send_to(&datagram, to).await;
    }
}

/// When the peer next needs [`fire`] (a second away when it has no timer).
pub fn next_timer(peer: &mut Peer) -> tokio::time::Instant {
    peer.poll_timeout()
        .map(tokio::time::Instant::from_std)
        .unwrap_or_else(|| tokio::time::Instant::now() + std::time::Duration::from_secs(1))
}

/// A datagram from `from` arrived.
pub fn receive(peer: &mut Peer, from: SocketAddr, datagram: &[u8]) {
    peer.handle_datagram(Instant::now(), from, BytesMut::from(datagram));
}

/// Fires the peer's timers that are due.
pub fn fire(peer: &mut Peer) {
    let now = Instant::now();
    if peer.poll_timeout().is_some_and(|at| at <= now) {
        peer.handle_timeout(now);
    }
}
