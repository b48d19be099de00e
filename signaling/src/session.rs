//! One websocket connection: join, then relay between the client and the SFU.
//!
//! ```text
//! client ──join──▶ verify token ──▶ SfuHandle::join ──▶ "joined"
//! client ──resume──▶ SfuHandle::resume (same participant) ──▶ "resumed"
//! client ──offer/answer/candidate/track_enabled──▶ SfuHandle::signal
//! SFU    ──ToParticipant──▶ client (offers, answers, participants, tracks)
//! ```
//! Every problem with one message is answered with an `error` message and the
//! session goes on; only join failures, a replaced identity, a dead media
//! connection or a silent client end it. A connection that drops without a
//! `leave` only detaches the participant: it keeps its place in the SFU for
//! the reconnect window, and a `resume` on a new connection takes it back.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use sfu::core::{JoinError, RoomScope};
use sfu::signal::{CloseReason, ToParticipant};
use tokio::time::{interval, timeout};
use tracing::{debug, info};

use crate::error::SignalError;
use crate::protocol::{
    ClientMessage, DisconnectReason, MediaMessage, PROTOCOL_VERSION, RoomInfo, ServerMessage,
    Welcome,
};
use crate::rate_limit::TokenBucket;
use crate::relay::{Route, relay};
use crate::state::SignalingState;

/// Largest message accepted; SDP for a few tracks is ~5–10 KiB.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// How long a new connection may take to send `join`.
const JOIN_TIMEOUT: Duration = Duration::from_secs(10);
/// The server pings this often; a client silent for three intervals is gone.
const KEEPALIVE: Duration = Duration::from_secs(15);
const SILENCE_LIMIT: Duration = Duration::from_secs(45);
/// How long a dropped connection is read for a `leave` sent before it.
const LEAVE_GRACE: Duration = Duration::from_millis(200);
/// Burst and sustained messages per second (trickle ICE comes in bursts).
const RATE_BURST: u32 = 60;
const RATE_PER_SECOND: u32 = 20;

/// One websocket from `client_ip` (when the server knows it), from its
/// first message to its close.
/// `relayed`: another node sent it here (`relay`), so it is served here.
pub async fn run(
    mut socket: WebSocket,
    state: SignalingState,
    client_ip: Option<IpAddr>,
    relayed: bool,
) {
    let _open = state.sessions.enter();
    let (first, text) = match timeout(JOIN_TIMEOUT, wait_for_join(&mut socket, &state)).await {
        Ok(Ok(first)) => first,
        Ok(Err(err)) => return fail(&mut socket, err).await,
        Err(_) => return fail(&mut socket, SignalError::Timeout).await,
    };
    // A stopping node serves nobody new, and relays nobody either: the
    // client tries again and the load balancer picks another node.
    if state.draining.is_on() {
        return fail(&mut socket, SignalError::Restarting).await;
    }
    if let Some(router) = &state.router {
        let route = match &first {
            FirstMessage::Join { room, .. } => router.route_join(room, relayed).await,
            FirstMessage::Resume {
                participant_sid, ..
            } if !relayed => router.route_resume(participant_sid).await,
            _ => Ok(Route::Here),
        };
        match route {
            Ok(Route::Here) => {}
            Ok(Route::Node { url, secret }) => {
                let stopping = state.draining.started();
                if let Err(err) =
                    relay(&mut socket, &url, &secret, client_ip, &text, stopping).await
                {
                    fail(&mut socket, err).await;
                }
                return;
            }
            Err(err) => return fail(&mut socket, err).await,
        }
    }
    if state.draining.is_on() {
        return fail(&mut socket, SignalError::Restarting).await;
    }
    let resumed = matches!(first, FirstMessage::Resume { .. });
    let started = match first {
        FirstMessage::Join {
            room,
            identity,
            scope,
        } => {
            let joined = state
                .sfu
                .join(room.clone(), identity.clone(), scope, client_ip)
                .await;
            if joined.is_ok() {
                info!(room = %room, identity = %identity, "joined");
            }
            joined.map_err(join_error)
        }
        FirstMessage::Preflight { identity } => {
            let joined = state.sfu.join_preflight(identity.clone()).await;
            if joined.is_ok() {
                info!(identity = %identity, "preflight");
            }
            joined.map_err(join_error)
        }
        FirstMessage::Resume {
            participant_sid,
            resume_token,
        } => state
            .sfu
            .resume(participant_sid, resume_token)
            .await
            .map_err(|_| SignalError::ParticipantNotFound),
    };
    let (joined, mut events) = match started {
        Ok(ok) => ok,
        // The SFU stopped between the check and the join.
        Err(_) if state.draining.is_on() => {
            return fail(&mut socket, SignalError::Restarting).await;
        }
        Err(err) => return fail(&mut socket, err).await,
    };
    info!(participant = %joined.participant_sid, resumed, "session open");
    let me = joined.participant;
    let welcome = Welcome {
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
        resume_token: &joined.resume_token,
        reconnect_window_secs: state.sfu.reconnect_window().as_secs(),
    };
    let hello = if resumed {
        ServerMessage::Resumed(welcome)
    } else {
        ServerMessage::Joined(welcome)
    };
    if send_json(&mut socket, &hello).await.is_err() {
        state.sfu.detach(me, joined.connection);
        return;
    }

    let mut bucket = TokenBucket::new(Instant::now(), RATE_BURST, RATE_PER_SECOND);
    let mut keepalive = interval(KEEPALIVE);
    let mut last_heard = Instant::now();
    let ending: Ending = loop {
        tokio::select! {
            incoming = socket.recv() => {
                let message = match incoming {
                    Some(Ok(message)) => message,
                    None => break Ending::Dropped(None),
                    // Say why before closing, so a client can tell it from a leave.
                    Some(Err(err)) => break Ending::Dropped(Some(read_error(err))),
                };
                last_heard = Instant::now();
                let text = match message {
                    Message::Text(text) => text,
                    // 1001 "going away": the browser closed or left the
                    // page. Anything else may be a client replacing a
                    // connection it thinks is dead (it resumes).
                    Message::Close(Some(frame)) if frame.code == 1001 => break Ending::Left,
                    Message::Close(_) => break Ending::Dropped(None),
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
                    Ok(ClientMessage::Leave) => break Ending::Left,
                    Ok(
                        ClientMessage::Join { .. }
                        | ClientMessage::Resume { .. }
                        | ClientMessage::Preflight { .. },
                    ) => {
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
                    None => break Ending::Ended(SignalError::Unavailable),
                    Some(ToParticipant::Closed(CloseReason::Replaced)) => break Ending::Replaced,
                    Some(ToParticipant::Closed(CloseReason::Removed)) => break Ending::Removed,
                    Some(ToParticipant::Closed(reason)) => break Ending::Ended(close_error(reason)),
                    Some(ToParticipant::Error(err)) => {
                        if send_error(&mut socket, &SignalError::from(err)).await.is_err() {
                            break Ending::Dropped(None);
                        }
                    }
                    Some(event) => {
                        if send_json(&mut socket, &event).await.is_err() {
                            break Ending::Dropped(None);
                        }
                    }
                }
            }
            _ = keepalive.tick() => {
                if last_heard.elapsed() > SILENCE_LIMIT {
                    break Ending::Dropped(Some(SignalError::Timeout));
                }
                if socket.send(Message::Ping(Default::default())).await.is_err() {
                    break Ending::Dropped(None);
                }
            }
        }
    };
    match ending {
        Ending::Left => {
            state.sfu.leave(me);
            info!(participant = %joined.participant_sid, "left");
            let _ = socket.send(Message::Close(None)).await;
        }
        // A failed send ends the loop before frames already received are
        // read: a `leave` among them still counts.
        Ending::Dropped(_) if left_meanwhile(&mut socket).await => {
            state.sfu.leave(me);
            info!(participant = %joined.participant_sid, "left");
        }
        Ending::Dropped(why) => {
            // Not a leave: the participant keeps its place for a resume.
            state.sfu.detach(me, joined.connection);
            info!(participant = %joined.participant_sid, "signaling dropped");
            match why {
                Some(err) => fail(&mut socket, err).await,
                None => {
                    let _ = socket.send(Message::Close(None)).await;
                }
            }
        }
        Ending::Ended(err) => {
            state.sfu.leave(me);
            info!(participant = %joined.participant_sid, "session ended");
            fail(&mut socket, err).await;
        }
        Ending::Removed => {
            state.sfu.leave(me);
            info!(participant = %joined.participant_sid, "removed");
            let reason = DisconnectReason::Removed;
            let _ = send_json(&mut socket, &ServerMessage::Disconnected { reason }).await;
            close_session(&mut socket).await;
        }
        Ending::Replaced => {
            debug!(participant = %joined.participant_sid, "replaced by a resumed connection");
            let _ = socket.send(Message::Close(None)).await;
        }
    }
}

/// Whether a `leave` is among the frames still readable (for a moment).
async fn left_meanwhile(socket: &mut WebSocket) -> bool {
    while let Ok(Some(Ok(message))) = timeout(LEAVE_GRACE, socket.recv()).await {
        if let Message::Text(text) = message
            && matches!(ClientMessage::parse(&text), Ok(ClientMessage::Leave))
        {
            return true;
        }
    }
    false
}

/// How a joined session's connection ended.
enum Ending {
    /// The client sent `leave`.
    Left,
    /// The websocket closed, broke or went silent without a `leave` (with
    /// what to tell the client if it can still hear).
    Dropped(Option<SignalError>),
    /// The SFU ended the session (a duplicate identity, the reconnect window
    /// passed, the room completed, shutdown).
    Ended(SignalError),
    /// The participant resumed on another connection.
    Replaced,
    /// The clinic removed the participant through the REST API.
    Removed,
}

/// What a new connection asked for first.
enum FirstMessage {
    Join {
        room: String,
        identity: String,
        scope: RoomScope,
    },
    /// A connectivity test: the token's identity, alone, looped back.
    Preflight { identity: String },
    Resume {
        participant_sid: String,
        resume_token: String,
    },
}

/// The first message, checked, and its text (to relay it as it came).
async fn wait_for_join(
    socket: &mut WebSocket,
    state: &SignalingState,
) -> Result<(FirstMessage, String), SignalError> {
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
        let (version, token, room) = match ClientMessage::parse(&text) {
            Ok(ClientMessage::Join {
                version,
                token,
                room,
            }) => (version, token, room),
            Ok(ClientMessage::Preflight { version, token }) => {
                check_version(version)?;
                let grant = state.verifier.verify(&token, state.clock.unix_now())?;
                return Ok((
                    FirstMessage::Preflight {
                        identity: grant.identity,
                    },
                    text.to_string(),
                ));
            }
            Ok(ClientMessage::Resume {
                version,
                participant_sid,
                resume_token,
            }) => {
                check_version(version)?;
                return Ok((
                    FirstMessage::Resume {
                        participant_sid,
                        resume_token,
                    },
                    text.to_string(),
                ));
            }
            _ => {
                return Err(SignalError::Protocol(
                    "the first message must be a valid join, resume or preflight".into(),
                ));
            }
        };
        check_version(version)?;
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
        return Ok((
            FirstMessage::Join {
                room,
                identity: grant.identity,
                scope: grant.rooms,
            },
            text.to_string(),
        ));
    }
}

fn check_version(version: u32) -> Result<(), SignalError> {
    if version == PROTOCOL_VERSION {
        Ok(())
    } else {
        Err(SignalError::Protocol(format!(
            "protocol version {version} is not supported; this server speaks {PROTOCOL_VERSION}"
        )))
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
        // Handled before (the session ends without an error).
        CloseReason::Replaced | CloseReason::Removed => SignalError::Unavailable,
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
    close_session(socket).await;
}

/// Closes a session the server ended (docs/signaling.md §11).
async fn close_session(socket: &mut WebSocket) {
    let _ = socket
        .send(Message::Close(Some(CloseFrame {
            code: 4000,
            reason: Utf8Bytes::from_static("session ended"),
        })))
        .await;
}
