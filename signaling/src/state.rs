//! What every signaling session shares: the SFU, the token verifier, the
//! clock tokens are checked against, the ICE servers handed to clients, and
//! the count of open sessions (so a stopping server can wait until each
//! client has been told why).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use tokio::sync::Notify;

use sfu::io::SfuHandle;

use crate::clock::Clock;
use crate::ice_servers::IceServers;
use crate::relay::NodeRouter;
use crate::token::TokenVerifier;

/// What every session needs.
#[derive(Clone)]
pub struct SignalingState {
    pub sfu: SfuHandle,
    pub verifier: Arc<TokenVerifier>,
    /// The clock tokens are checked against: the API's, so a token it
    /// minted is valid at the same "now".
    pub clock: Arc<dyn Clock>,
    /// STUN/TURN servers handed to clients, TURN credentials minted per
    /// participant (none: the SFU's host candidates are enough when clients
    /// can reach its media port).
    pub ice_servers: Arc<IceServers>,
    pub sessions: Sessions,
    /// On once the server is stopping: joins are refused with
    /// [`crate::error::SignalError::Restarting`].
    pub draining: Draining,
    /// Several nodes: where each room lives, so a session for a room on
    /// another node is relayed there. `None`: one node, all here.
    pub router: Option<Arc<dyn NodeRouter>>,
}

/// The client address of a `/rtc` request, put there by whoever knows
/// which proxies to trust (the API's `http.trusted_proxies`); a session
/// joins from it, and the audit log records it with the join.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress(pub std::net::IpAddr);

/// Whether the server is stopping.
#[derive(Clone, Default)]
pub struct Draining(Arc<(AtomicBool, Notify)>);

impl Draining {
    pub fn start(&self) {
        self.0.0.store(true, Ordering::SeqCst);
        self.0.1.notify_waiters();
    }

    pub fn is_on(&self) -> bool {
        self.0.0.load(Ordering::SeqCst)
    }

    /// Returns once the server is stopping.
    pub async fn started(&self) {
        loop {
            let started = self.0.1.notified();
            if self.is_on() {
                return;
            }
            started.await;
        }
    }
}

/// Open websocket sessions.
#[derive(Clone, Default)]
pub struct Sessions(Arc<(AtomicUsize, Notify)>);

/// One open session; dropping it counts it closed.
pub struct SessionGuard(Sessions);

impl Sessions {
    pub fn enter(&self) -> SessionGuard {
        self.0.0.fetch_add(1, Ordering::SeqCst);
        SessionGuard(self.clone())
    }

    pub fn open(&self) -> usize {
        self.0.0.load(Ordering::SeqCst)
    }

    /// Returns once no session is open.
    pub async fn all_closed(&self) {
        loop {
            let closed = self.0.1.notified();
            if self.open() == 0 {
                return;
            }
            closed.await;
        }
    }
}

impl Drop for SessionGuard {
    fn drop(&mut self) {
        if self.0.0.0.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.0.1.notify_waiters();
        }
    }
}
