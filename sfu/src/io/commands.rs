//! What the rest of the server asks of the SFU task ([`super::SfuHandle`]
//! sends these; the task's loop applies them to the core, one at a time,
//! between bursts of datagrams).

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};

use crate::core::{
    CachedTrack, JoinError, Joined, ParticipantKey, ResumeError, RoomScope, RoomSnapshot, Sfu,
    SfuStats,
};
use crate::signal::{CloseReason, FromParticipant, ParticipantInfo, ToParticipant};

/// Where each participant's messages go: its current signaling
/// connection's number and channel (none while it is detached).
pub(super) type Sinks = HashMap<ParticipantKey, (u64, mpsc::UnboundedSender<ToParticipant>)>;

pub(super) enum Command {
    Join {
        target: JoinTarget,
        identity: String,
        /// Where the signaling connection came from (for room events).
        client_ip: Option<IpAddr>,
        events: mpsc::UnboundedSender<ToParticipant>,
        reply: oneshot::Sender<Result<Joined, JoinError>>,
    },
    Signal {
        participant: ParticipantKey,
        message: FromParticipant,
    },
    Leave {
        participant: ParticipantKey,
    },
    /// Signaling connection `connection` ended without a `leave`.
    Detach {
        participant: ParticipantKey,
        connection: u64,
    },
    Resume {
        participant_sid: String,
        resume_token: String,
        events: mpsc::UnboundedSender<ToParticipant>,
        reply: oneshot::Sender<Result<Joined, ResumeError>>,
    },
    Stats {
        reply: oneshot::Sender<SfuStats>,
    },
    /// Room administration for the REST API; each answers on `reply`.
    Rooms(RoomCommand),
    /// Tell every participant the server is stopping, then stop.
    Shutdown {
        done: oneshot::Sender<()>,
    },
    /// An ICE-over-TCP connection another worker accepted, whose binding
    /// request (`first`) names a participant of this one.
    AdoptTcp {
        connection: super::tcp::HandedOver,
        from: std::net::SocketAddr,
        local: std::net::SocketAddr,
        first: bytes::BytesMut,
    },
}

impl Command {
    /// The room this command was routed by ([`super::placement`]): its
    /// worker settles the room's placement once it is handled.
    pub(super) fn routed_room(&self) -> Option<&str> {
        match self {
            Command::Join {
                target: JoinTarget::Room { name, .. },
                ..
            } => Some(name),
            Command::Rooms(room) => match room {
                RoomCommand::Register { name, .. }
                | RoomCommand::Snapshot { name, .. }
                | RoomCommand::CachedMedia { name, .. }
                | RoomCommand::End { name, .. }
                | RoomCommand::Remove { name, .. } => Some(name),
                // Sent to every worker, placed or not.
                RoomCommand::Close { .. } => None,
            },
            _ => None,
        }
    }
}

pub(super) enum RoomCommand {
    Register {
        name: String,
        sid: String,
        max_participants: Option<usize>,
        reply: oneshot::Sender<bool>,
    },
    Snapshot {
        name: String,
        reply: oneshot::Sender<Option<RoomSnapshot>>,
    },
    CachedMedia {
        name: String,
        reply: oneshot::Sender<Option<Vec<CachedTrack>>>,
    },
    End {
        name: String,
        reply: oneshot::Sender<bool>,
    },
    Close {
        name: String,
        refuse_for: Duration,
        reply: oneshot::Sender<bool>,
    },
    Remove {
        name: String,
        who: String,
        reply: oneshot::Sender<Option<ParticipantInfo>>,
    },
}

/// Where a join goes.
#[derive(Debug)]
pub enum JoinTarget {
    /// The room a token grants.
    Room { name: String, scope: RoomScope },
    /// A room of its own that loops its tracks back ([`Sfu::join_preflight`]).
    Preflight,
}

pub(super) fn handle_command(core: &mut Sfu, sinks: &mut Sinks, command: Command) {
    let now = Instant::now();
    match command {
        Command::Join {
            target,
            identity,
            client_ip,
            events,
            reply,
        } => {
            let result = match target {
                JoinTarget::Room { name, scope } => {
                    core.join_from(now, &name, &identity, scope, client_ip)
                }
                JoinTarget::Preflight => core.join_preflight(now, &identity),
            };
            if let Ok(joined) = &result {
                sinks.insert(joined.participant, (joined.connection, events));
            }
            if let Err(Ok(joined)) = reply.send(result) {
                // The session went away while joining; undo it.
                sinks.remove(&joined.participant);
                core.leave(now, joined.participant);
            }
        }
        Command::Signal {
            participant,
            message,
        } => core.handle_signal(now, participant, message),
        Command::Leave { participant } => {
            sinks.remove(&participant);
            core.leave(now, participant);
        }
        Command::Detach {
            participant,
            connection,
        } => {
            if sinks
                .get(&participant)
                .is_some_and(|(c, _)| *c == connection)
            {
                sinks.remove(&participant);
            }
            core.detach(now, participant, connection);
        }
        Command::Resume {
            participant_sid,
            resume_token,
            events,
            reply,
        } => {
            let result = core.resume(now, &participant_sid, &resume_token);
            if let Ok(resumed) = &result {
                let previous = sinks.insert(resumed.participant, (resumed.connection, events));
                if let Some((_, old)) = previous {
                    let _ = old.send(ToParticipant::Closed(CloseReason::Replaced));
                }
            }
            if let Err(Ok(resumed)) = reply.send(result) {
                // The new connection went away while resuming.
                sinks.remove(&resumed.participant);
                core.detach(now, resumed.participant, resumed.connection);
            }
        }
        // Handled by the loop, which stops.
        Command::Shutdown { done } => drop(done),
        // Handled by the loop, which holds the TCP paths.
        Command::AdoptTcp { .. } => {}
        Command::Stats { reply } => {
            let _ = reply.send(core.stats());
        }
        Command::Rooms(RoomCommand::Register {
            name,
            sid,
            max_participants,
            reply,
        }) => {
            let _ = reply.send(core.register_room(&name, &sid, max_participants));
        }
        Command::Rooms(RoomCommand::Snapshot { name, reply }) => {
            let _ = reply.send(core.room_snapshot(&name));
        }
        Command::Rooms(RoomCommand::CachedMedia { name, reply }) => {
            let _ = reply.send(core.cached_media(&name));
        }
        Command::Rooms(RoomCommand::End { name, reply }) => {
            let _ = reply.send(core.end_room(now, &name));
        }
        Command::Rooms(RoomCommand::Close {
            name,
            refuse_for,
            reply,
        }) => {
            let _ = reply.send(core.close_room(now, &name, now + refuse_for));
        }
        Command::Rooms(RoomCommand::Remove { name, who, reply }) => {
            let _ = reply.send(core.remove_from_room(now, &name, &who));
        }
    }
}
