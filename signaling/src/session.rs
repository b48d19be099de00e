//! One websocket connection: join, then relay between the client and the SFU.
//!
//! ```text
//! client ──join──▶ verify token ──▶ SfuHandle::join ──▶ "joined"
//! client ──offer/answer/candidate/track_enabled──▶ SfuHandle::signal
//! SFU    ──ToParticipant──▶ client (offers, answers, participants, tracks)
//! ```
//! Every problem with one message is answered with an `error` message and the
//! session goes on; only join failures, a replaced identity, a dead media
//! connection or a silent client end it.

use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use sfu::core::JoinError;
use sfu::signal::{CloseReason, ToParticipant};
use tokio::time::{interval, timeout};
use tracing::{debug, info};

use crate::error::SignalError;
use crate::protocol::{ClientMessage, MediaMessage, PROTOCOL_VERSION, RoomInfo, ServerMessage};
use crate::rate_limit::TokenBucket;
use crate::state::SignalingState;

/// Largest message accepted; SDP for a few tracks is ~5–10 KiB.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// How long a new connection may take to send `join`.
const JOIN_TIMEOUT: Duration = Duration::from_secs(10);
/// The server pings this often; a client silent for three intervals is gone.
const KEEPALIVE: Duration = Duration::from_secs(15);
const SILENCE_LIMIT: Duration = Duration::from_secs(45);
/// Burst and sustained messages per second (trickle ICE comes in bursts).
const RATE_BURST: u32 = 60;
const RATE_PER_SECOND: u32 = 20;

pub async fn run(mut socket: WebSocket, state: SignalingState) {
    let _open = state.sessions.enter();
    let grant = match timeout(JOIN_TIMEOUT, wait_for_join(&mut socket, &state)).await {
        Ok(Ok(joined)) => joined,
        Ok(Err(err)) => return fail(&mut socket, err).await,
        Err(_) => return fail(&mut socket, SignalError::Timeout).await,
    };
    let JoinRequest { room, identity } = grant;
    if state.draining.is_on() {
        return fail(&mut socket, SignalError::Restarting).await;
    }
    let (joined, mut events) = match state.sfu.join(room.clone(), identity.clone()).await {
        Ok(ok) => ok,
        // The SFU stopped between the check and the join.
        Err(JoinError::Unavailable) if state.draining.is_on() => {
            return fail(&mut socket, SignalError::Restarting).await;
        }
        Err(err) => return fail(&mut socket, join_error(err)).await,
    };
    info!(room = %room, identity = %identity, participant = %joined.participant_sid, "joined");
    let me = joined.participant;
    let hello = ServerMessage::Joined {
        version: PROTOCOL_VERSION,
        room: RoomInfo {
            sid: joined.room_sid.clone(),
            name: joined.room_name.clone(),
        },
        participant: &joined.me,
        participants: &joined.others,
        ice_servers: state
            .ice_servers
            .for_participant(&joined.participant_sid, state.clock.unix_now()),
    };
    if send_json(&mut socket, &hello).await.is_err() {
        state.sfu.leave(me);
        return;
    }

    let mut bucket = TokenBucket::new(Instant::now(), RATE_BURST, RATE_PER_SECOND);
    let mut keepalive = interval(KEEPALIVE);
    let mut last_heard = Instant::now();
    let outcome: Option<SignalError> = loop {
        tokio::select! {
            incoming = socket.recv() => {
                let message = match incoming {
                    Some(Ok(message)) => message,
                    None => break None,
                    // Say why before closing, so a client can tell it from a leave.
                    Some(Err(err)) => break Some(read_error(err)),
                };
                last_heard = Instant::now();
                let text = match message {
                    Message::Text(text) => text,
                    Message::Close(_) => break None,
                    Message::Ping(_) | Message::Pong(_) => continue,
                    Message::Binary(_) => {
                        let _ = send_error(&mut socket, &SignalError::Protocol("binary frames are not part of the protocol".into())).await;
                        continue;
                    }
                };
                if !bucket.try_take(Instant::now()) {
                    let _ = send_error(&mut socket, &SignalError::RateLimited).await;
                    continue;
                }
                if text.len() > MAX_MESSAGE_BYTES {
                    let _ = send_error(&mut socket, &SignalError::MessageTooLarge).await;
                    continue;
                }
                match ClientMessage::parse(&text) {
                    Ok(ClientMessage::Media(MediaMessage(message))) => state.sfu.signal(me, message),
                    Ok(ClientMessage::Ping { id }) => {
                        let _ = send_json(&mut socket, &ServerMessage::Pong { id }).await;
                    }
                    Ok(ClientMessage::Leave) => break None,
                    Ok(ClientMessage::Join { .. }) => {
                        let _ = send_error(&mut socket, &SignalError::Protocol("already joined".into())).await;
                    }
                    Err(err) => {
                        debug!(%err, "bad message");
                        let _ = send_error(&mut socket, &SignalError::Protocol(format!("malformed message: {err}"))).await;
                    }
                }
            }
            event = events.recv() => {
                match event {
                    None => break Some(SignalError::Unavailable),
                    Some(ToParticipant::Closed(reason)) => break Some(close_error(reason)),
                    Some(ToParticipant::Error(err)) => {
                        if send_error(&mut socket, &SignalError::from(err)).await.is_err() {
                            break None;
                        }
                    }
                    Some(event) => {
                        if send_json(&mut socket, &event).await.is_err() {
                            break None;
                        }
                    }
                }
            }
            _ = keepalive.tick() => {
                if last_heard.elapsed() > SILENCE_LIMIT {
                    break Some(SignalError::Timeout);
                }
                if socket.send(Message::Ping(Default::default())).await.is_err() {
                    break None;
                }
            }
        }
    };
    state.sfu.leave(me);
    info!(participant = %joined.participant_sid, "left");
    if let Some(err) = outcome {
        fail(&mut socket, err).await;
    } else {
        let _ = socket.send(Message::Close(None)).await;
    }
}

struct JoinRequest {
    room: String,
    identity: String,
}

async fn wait_for_join(
    socket: &mut WebSocket,
    state: &SignalingState,
) -> Result<JoinRequest, SignalError> {
    loop {
        let message = match socket.recv().await {
            Some(Ok(message)) => message,
            Some(Err(err)) => return Err(read_error(err)),
            None => {
                return Err(SignalError::Protocol(
                    "connection closed before join".into(),
                ));
            }
        };
        let text = match message {
            Message::Text(text) => text,
            Message::Ping(_) | Message::Pong(_) => continue,
            _ => return Err(SignalError::Protocol("expected a join message".into())),
        };
        if text.len() > MAX_MESSAGE_BYTES {
            return Err(SignalError::MessageTooLarge);
        }
        let Ok(ClientMessage::Join {
            version,
            token,
            room,
        }) = ClientMessage::parse(&text)
        else {
            return Err(SignalError::Protocol(
                "the first message must be a valid join".into(),
            ));
        };
        if version != PROTOCOL_VERSION {
            return Err(SignalError::Protocol(format!(
                "protocol version {version} is not supported; this server speaks {PROTOCOL_VERSION}"
            )));
        }
        let grant = state.verifier.verify(&token, state.clock.unix_now())?;
        let room = match (grant.room, room) {
            (Some(granted), Some(asked)) if granted != asked => {
                return Err(SignalError::InvalidGrants(format!(
                    "the token grants room {granted:?}, not {asked:?}"
                )));
            }
            (Some(room), _) | (None, Some(room)) => room,
            (None, None) => {
                return Err(SignalError::Protocol(
                    "no room: the token grants any room, so join must name one".into(),
                ));
            }
        };
        return Ok(JoinRequest {
            room,
            identity: grant.identity,
        });
    }
}

fn join_error(err: JoinError) -> SignalError {
    match err {
        JoinError::RoomFull => SignalError::RoomFull,
        JoinError::RoomNotFound => SignalError::RoomNotFound,
        JoinError::InvalidRoomName => SignalError::Protocol("invalid room name".into()),
        JoinError::Unavailable => SignalError::Unavailable,
        JoinError::RoomCompleted => SignalError::RoomCompleted,
    }
}

/// Why reading failed: a frame over the websocket's own limit (the
/// connection cannot go on after it), or a broken connection.
fn read_error(err: axum::Error) -> SignalError {
    match err.into_inner().downcast::<tungstenite::Error>() {
        Ok(err) if matches!(*err, tungstenite::Error::Capacity(_)) => SignalError::MessageTooLarge,
        Ok(err) => SignalError::Protocol(format!("websocket error: {err}")),
        Err(err) => SignalError::Protocol(format!("websocket error: {err}")),
    }
}

fn close_error(reason: CloseReason) -> SignalError {
    match reason {
        CloseReason::DuplicateIdentity => SignalError::DuplicateIdentity,
        CloseReason::MediaTimeout => SignalError::MediaConnectionFailed,
        CloseReason::ServerShutdown => SignalError::Restarting,
        CloseReason::RoomCompleted => SignalError::RoomCompleted,
        CloseReason::Removed => SignalError::ParticipantRemoved,
    }
}

async fn send_json<T: serde::Serialize>(socket: &mut WebSocket, message: &T) -> Result<(), ()> {
    let text = serde_json::to_string(message).map_err(|_| ())?;
    socket
        .send(Message::Text(Utf8Bytes::from(text)))
        .await
        .map_err(|_| ())
}

async fn send_error(socket: &mut WebSocket, err: &SignalError) -> Result<(), ()> {
    send_json(
        socket,
        &ServerMessage::Error {
            code: err.code(),
            message: err.to_string(),
            fatal: err.is_fatal(),
        },
    )
    .await
}

/// Tells the client why, then closes (close code 4000 + nothing else to say:
/// the reason is in the error message before it).
async fn fail(socket: &mut WebSocket, err: SignalError) {
    debug!(code = err.code(), %err, "session ends");
    let _ = send_json(
        socket,
        &ServerMessage::Error {
            code: err.code(),
            message: err.to_string(),
            fatal: true,
        },
    )
    .await;
    let _ = socket
        .send(Message::Close(Some(CloseFrame {
            code: 4000,
            reason: Utf8Bytes::from_static("session ended"),
        })))
        .await;
}
