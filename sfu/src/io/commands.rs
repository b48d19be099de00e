//! What the rest of the server asks of the SFU task ([`super::SfuHandle`]
//! sends these; the task's loop applies them to the core, one at a time,
//! between bursts of datagrams).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};

use crate::core::{JoinError, Joined, ParticipantKey, RoomSnapshot, Sfu, SfuStats};
use crate::signal::{FromParticipant, ParticipantInfo, ToParticipant};

pub(super) enum Command {
    Join {
        room: String,
        identity: String,
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
    Stats {
        reply: oneshot::Sender<SfuStats>,
    },
    /// Room administration for the REST API; each answers on `reply`.
    Rooms(RoomCommand),
    /// Tell every participant the server is stopping, then stop.
    Shutdown {
        done: oneshot::Sender<()>,
    },
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

pub(super) fn handle_command(
    core: &mut Sfu,
    sinks: &mut HashMap<ParticipantKey, mpsc::UnboundedSender<ToParticipant>>,
    command: Command,
) {
    let now = Instant::now();
    match command {
        Command::Join {
            room,
            identity,
            events,
            reply,
        } => {
            let result = core.join(now, &room, &identity);
            if let Ok(joined) = &result {
                sinks.insert(joined.participant, events);
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
        // Handled by the loop, which stops.
        Command::Shutdown { done } => drop(done),
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
