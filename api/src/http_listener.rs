//! The HTTP listener: axum's router served by hyper, with the limits a
//! server on the internet needs and `axum::serve` does not set:
//!
//! - a client has `http.header_timeout_secs` to send a request's headers
//!   (hyper's `header_read_timeout`, also between requests on a kept-alive
//!   connection), so connections that trickle or never finish their headers
//!   are closed instead of holding a file descriptor each;
//! - at most `http.max_connections` connections at once; past that, new ones
//!   wait in the kernel's backlog instead of taking the process to its file
//!   limit, where nothing — not even `/rtc` — could be accepted.
//!
//! Each connection is one task (as in axum); the client's address is put in
//! the request as `ConnectInfo`, and shutdown is graceful.
//!
//! When TURN over TLS shares the HTTPS port (`turn.tls_listen` equal to
//! `http.listen`), the first byte after the TLS handshake tells them apart:
//! a TURN client opens with a STUN request (0x00 or 0x01), an HTTP client
//! with a method name (ASCII letters). TURN connections go to the TURN
//! server; the byte read is put back in front of HTTP ones.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tower::ServiceExt;

pub struct Limits {
    pub header_timeout: Duration,
    pub max_connections: usize,
    /// HTTPS: connections are TLS first ([`crate::tls`]).
    pub tls: Option<tokio_rustls::TlsAcceptor>,
    /// TURN over TLS on this same port.
    pub turn: Option<turn::io::TurnHandle>,
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets open
/// requests finish.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("never closed"),
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of descriptors or the like: wait a moment rather
                    // than spin; the connections we hold will finish.
                    tracing::warn!(%err, "accepting an HTTP connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let app = app.clone();
        let stop = stop_rx.clone();
        let header_timeout = limits.header_timeout;
        let tls = limits.tls.clone();
        let turn = limits.turn.clone();
        tokio::spawn(async move {
            let _slot = slot;
            match tls {
                None => serve_connection(stream, peer, app, header_timeout, stop).await,
                Some(acceptor) => {
                    // The handshake counts against the header timeout: a
                    // client that stalls in it is cut off the same way.
                    match tokio::time::timeout(header_timeout, acceptor.accept(stream)).await {
                        Ok(Ok(stream)) => match turn {
                            None => serve_connection(stream, peer, app, header_timeout, stop).await,
                            Some(turn) => {
                                serve_https_or_turn(stream, peer, app, header_timeout, stop, turn)
                                    .await;
                            }
                        },
                        Ok(Err(err)) => tracing::debug!(%peer, %err, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                }
            }
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    // Every connection task holds a slot: all slots back means all done.
    let _ = slots
        .acquire_many(limits.max_connections.max(1) as u32)
        .await;
    Ok(())
}

/// A TLS connection on a port HTTPS shares with TURN: the first byte says
/// which it is.
async fn serve_https_or_turn<I>(
    mut io: I,
    peer: SocketAddr,
    app: Router,
    header_timeout: Duration,
    stop: watch::Receiver<bool>,
    turn: turn::io::TurnHandle,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let mut first = [0u8; 1];
    match tokio::time::timeout(header_timeout, io.read_exact(&mut first)).await {
        Ok(Ok(_)) if first[0] < 0x40 => turn.serve_tls(io, &first, peer).await,
        Ok(Ok(_)) => {
            let io = Rewound {
                first: Some(first[0]),
                io,
            };
            serve_connection(io, peer, app, header_timeout, stop).await;
        }
        _ => tracing::debug!(%peer, "TLS connection closed or silent before its first byte"),
    }
}

/// A stream with one byte already read put back in front.
struct Rewound<I> {
    first: Option<u8>,
    io: I,
}

impl<I: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for Rewound<I> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        if let Some(byte) = self.first
            && buf.remaining() > 0
        {
            buf.put_slice(&[byte]);
            self.first = None;
            return std::task::Poll::Ready(Ok(()));
        }
        std::pin::Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<I: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for Rewound<I> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// One connection, plain or TLS, until it ends or the server stops.
async fn serve_connection<I>(
    io: I,
    peer: SocketAddr,
    app: Router,
    header_timeout: Duration,
    mut stop: watch::Receiver<bool>,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = TowerToHyperService::new(tower::service_fn(
        move |mut request: axum::http::Request<hyper::body::Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            app.clone().oneshot(request.map(Body::new))
        },
    ));
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    let connection = builder.serve_connection_with_upgrades(TokioIo::new(io), service);
    let mut connection = std::pin::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => log_end(peer, result),
        _ = stop.changed() => {
            connection.as_mut().graceful_shutdown();
            log_end(peer, connection.await);
        }
    }
}

fn log_end(peer: SocketAddr, result: Result<(), Box<dyn std::error::Error + Send + Sync>>) {
    if let Err(err) = result {
        tracing::debug!(%peer, %err, "HTTP connection ended");
    }
}
