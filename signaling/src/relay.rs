//! Several nodes: a websocket opened on one node for a room that lives on
//! another is relayed there (`docs/signaling.md` §12).
//!
//! A room lives on one node: its SFU holds the media and the participants'
//! sessions. A load balancer sends each websocket to any node, so the node
//! that reads the first message asks [`NodeRouter`] where the room is (a
//! `join` names it; a `resume` names a participant, whose room the router
//! looks up). When it is elsewhere, this node opens a websocket to that
//! node's `/rtc`, sends the first message on, and copies messages both ways
//! until either side closes: the client never learns it was relayed, and
//! its SDK needs nothing new. The relayed connection carries the cluster's
//! secret in [`RELAY_HEADER`], which makes the receiving node serve it
//! itself (never relay it again) and take the client's address from
//! [`CLIENT_HEADER`].
//!
//! Only signaling is relayed, message by message; media goes straight to
//! the room's node, whose ICE candidates the client was given.

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::{SinkExt, StreamExt};
use tokio::time::{Instant, timeout};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame as TCloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::{self, Message as TMessage};
use tracing::{debug, warn};

use crate::error::SignalError;
use crate::session::MAX_MESSAGE_BYTES;

/// Carries the cluster's secret on a relayed connection.
pub const RELAY_HEADER: &str = "x-confide-relay";
/// The client's address, as the first node saw it.
pub const CLIENT_HEADER: &str = "x-confide-client";
/// How long the first node waits for the room's node to answer.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// A client heard from less often than this is gone. The room's node
/// cannot tell (this node's websocket client answers its pings), so the
/// relay checks, as a session does (`session::SILENCE_LIMIT`): the room's
/// node then sees the connection drop and keeps the participant's place
/// for a resume.
const SILENCE_LIMIT: Duration = Duration::from_secs(45);
/// The longest one message may take to go out either way.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// Where a session is served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// On this node.
    Here,
    /// On another node: its base URL (`http://10.0.0.2:8080`) and the
    /// secret that node accepts relays with.
    Node { url: String, secret: String },
}

pub type RouteFuture<'a> = Pin<Box<dyn Future<Output = Result<Route, SignalError>> + Send + 'a>>;

/// Knows which node each room lives on (the API's cluster module, over
/// Redis). Without one, every session is served here.
pub trait NodeRouter: Send + Sync {
    /// Where a join to `room` is served. `relayed`: another node already
    /// routed it here, so it is served here, and the room made ready for
    /// it (a room placed here since it was created elsewhere).
    fn route_join<'a>(&'a self, room: &'a str, relayed: bool) -> RouteFuture<'a>;
    /// Where a resume of `participant_sid` is served: the node its room is
    /// on now (a resume of a participant whose node died reaches the
    /// room's new node, which does not know it, and the SDK joins again).
    fn route_resume<'a>(&'a self, participant_sid: &'a str) -> RouteFuture<'a>;
    /// Whether `secret` (a relayed connection's [`RELAY_HEADER`]) is the
    /// cluster's.
    fn accepts_relay(&self, secret: &str) -> bool;
}

/// Relays `client` to the node at `url`, starting with `first` (the text
/// of the client's first message), until either side closes. A node that
/// cannot be reached is reported as [`SignalError::NodeUnreachable`], which
/// the SDK retries.
/// When this node starts stopping (`stopping` resolves), the client's
/// connection is closed with 1012 ("service restart") and the room's node's
/// dropped without a close: there, the participant is interrupted, not
/// gone, and the client's SDK resumes it through another node with its SID.
pub async fn relay(
    client: &mut WebSocket,
    url: &str,
    secret: &str,
    client_ip: Option<IpAddr>,
    first: &str,
    stopping: impl Future<Output = ()>,
) -> Result<(), SignalError> {
    let upstream = match tokio::time::timeout(CONNECT_TIMEOUT, connect(url, secret, client_ip))
        .await
    {
        Ok(Ok(upstream)) => upstream,
        Ok(Err(err)) => {
            warn!(node = %url, error = %err, "relaying a session: the room's node cannot be reached");
            return Err(SignalError::NodeUnreachable);
        }
        Err(_) => {
            warn!(node = %url, "relaying a session: the room's node did not answer");
            return Err(SignalError::NodeUnreachable);
        }
    };
    let (mut up_tx, mut up_rx) = upstream.split();
    if up_tx.send(TMessage::text(first)).await.is_err() {
        return Err(SignalError::NodeUnreachable);
    }
    tokio::pin!(stopping);
    let mut last_heard = Instant::now();
    let mut check = tokio::time::interval(SILENCE_LIMIT / 3);
    loop {
        tokio::select! {
            () = &mut stopping => {
                let _ = timeout(
                    SEND_TIMEOUT,
                    client.send(Message::Close(Some(CloseFrame {
                        code: 1012,
                        reason: Utf8Bytes::from_static("this server is restarting"),
                    }))),
                )
                .await;
                break;
            }
            _ = check.tick() => {
                if last_heard.elapsed() > SILENCE_LIMIT {
                    debug!(node = %url, "relayed session: the client went silent");
                    break;
                }
            }
            from_client = client.recv() => match from_client {
                Some(Ok(message)) => {
                    last_heard = Instant::now();
                    let closing = matches!(message, Message::Close(_));
                    let sent = timeout(SEND_TIMEOUT, up_tx.send(to_upstream(message))).await;
                    if !matches!(sent, Ok(Ok(()))) || closing {
                        break;
                    }
                }
                _ => {
                    let _ = timeout(SEND_TIMEOUT, up_tx.close()).await;
                    break;
                }
            },
            from_node = up_rx.next() => match from_node {
                Some(Ok(message)) => {
                    let Some(message) = to_client(message) else { continue };
                    let closing = matches!(message, Message::Close(_));
                    let sent = timeout(SEND_TIMEOUT, client.send(message)).await;
                    if !matches!(sent, Ok(Ok(()))) || closing {
                        break;
                    }
                }
                Some(Err(err)) => {
                    debug!(node = %url, error = %err, "relayed session: the room's node dropped");
                    // The node died mid-call: the client's SDK sees its
                    // connection drop and resumes, as after a network cut.
                    break;
                }
                None => break,
            },
        }
    }
    Ok(())
}

type Upstream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(
    url: &str,
    secret: &str,
    client_ip: Option<IpAddr>,
) -> Result<Upstream, tungstenite::Error> {
    let ws_url = format!(
        "{}/rtc",
        url.trim_end_matches('/')
            .replacen("https://", "wss://", 1)
            .replacen("http://", "ws://", 1)
    );
    let mut request = ws_url.into_client_request()?;
    let headers = request.headers_mut();
    headers.insert(
        RELAY_HEADER,
        HeaderValue::from_str(secret).map_err(|e| tungstenite::Error::HttpFormat(e.into()))?,
    );
    if let Some(ip) = client_ip {
        headers.insert(
            CLIENT_HEADER,
            HeaderValue::from_str(&ip.to_string())
                .map_err(|e| tungstenite::Error::HttpFormat(e.into()))?,
        );
    }
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE_BYTES * 4))
        .max_frame_size(Some(MAX_MESSAGE_BYTES * 4));
    let (upstream, _) =
        tokio_tungstenite::connect_async_with_config(request, Some(config), true).await?;
    Ok(upstream)
}

fn to_upstream(message: Message) -> TMessage {
    match message {
        Message::Text(text) => TMessage::text(text.as_str()),
        Message::Binary(data) => TMessage::Binary(data),
        Message::Ping(data) => TMessage::Ping(data),
        Message::Pong(data) => TMessage::Pong(data),
        Message::Close(frame) => TMessage::Close(frame.map(|f| TCloseFrame {
            code: CloseCode::from(f.code),
            reason: f.reason.as_str().into(),
        })),
    }
}

fn to_client(message: TMessage) -> Option<Message> {
    Some(match message {
        TMessage::Text(text) => Message::Text(Utf8Bytes::from(text.as_str())),
        TMessage::Binary(data) => Message::Binary(data),
        TMessage::Ping(data) => Message::Ping(data),
        TMessage::Pong(data) => Message::Pong(data),
        TMessage::Close(frame) => Message::Close(frame.map(|f| CloseFrame {
            code: f.code.into(),
            reason: Utf8Bytes::from(f.reason.as_str()),
        })),
        TMessage::Frame(_) => return None,
    })
}
