//! `rtc`'s peer connection, remembering when it has nothing to send.
//!
//! Why: with both fast legs, a forwarded packet never enters `rtc`, yet
//! after every packet the core asked each peer it touched for datagrams to
//! send (a walk of `rtc`'s whole write pipeline) and for its next timer (a
//! walk of every handler and interceptor): about 1,200 instructions a
//! packet, an eighth of the forwarding path (callgrind, issue 17). Neither
//! answer can change until something is handed to the connection, and
//! everything handed to it goes through [`DerefMut`], which forgets both.
//! What the fast legs need of it (the SRTP contexts, looking up senders,
//! receivers and the selected pair) queues nothing, and goes through
//! [`EngineConnection::quiet`], which leaves the answers standing.

use std::ops::{Deref, DerefMut};
use std::time::Instant;

use rtc::peer_connection::RTCPeerConnection;
use rtc::sansio::Protocol;
use rtc::shared::TaggedBytesMut;

pub(super) struct EngineConnection {
    pc: RTCPeerConnection,
    /// `poll_write` found nothing, and nothing was handed over since.
    write_idle: bool,
    /// `poll_timeout`'s answer, kept while `write_idle` holds.
    timeout: Option<Option<Instant>>,
}

impl EngineConnection {
    pub(super) fn new(pc: RTCPeerConnection) -> Self {
        Self {
            pc,
            write_idle: false,
            timeout: None,
        }
    }

    /// The connection, for what hands it nothing to send and sets no
    /// timer: its SRTP contexts, its senders', receivers' and ICE's state.
    pub(super) fn quiet(&mut self) -> &mut RTCPeerConnection {
        &mut self.pc
    }

    /// The next datagram `rtc` wants sent, without walking its pipeline
    /// when it found none last time and nothing was handed over since.
    pub(super) fn poll_write(&mut self) -> Option<TaggedBytesMut> {
        if self.write_idle {
            return None;
        }
        let out = Protocol::<TaggedBytesMut, _, _>::poll_write(&mut self.pc);
        self.write_idle = out.is_none();
        out
    }

    /// When `rtc` next wants [`handle_timeout`](Protocol::handle_timeout).
    pub(super) fn poll_timeout(&mut self) -> Option<Instant> {
        if let Some(known) = self.timeout {
            return known;
        }
        let next = Protocol::<TaggedBytesMut, _, _>::poll_timeout(&mut self.pc);
        if self.write_idle {
            self.timeout = Some(next);
        }
        next
    }

    /// Whether a timer of `rtc`'s may be due at `now`: false only when its
    /// kept answer says it is not.
    pub(super) fn may_be_due(&self, now: Instant) -> bool {
        match self.timeout {
            Some(next) => next.is_some_and(|at| at <= now),
            None => true,
        }
    }
}

impl Deref for EngineConnection {
    type Target = RTCPeerConnection;

    fn deref(&self) -> &RTCPeerConnection {
        &self.pc
    }
}

impl DerefMut for EngineConnection {
    /// Anything that may hand the connection input forgets what it said.
    fn deref_mut(&mut self) -> &mut RTCPeerConnection {
        self.write_idle = false;
        self.timeout = None;
        &mut self.pc
    }
}
