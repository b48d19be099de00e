//! [`AppState`]: what every handler, background task and model function
//! that needs more than the database can reach.

use std::sync::Arc;

use crate::api_key::Credentials;
use crate::auth::rate_limit::LoginLimits;
use crate::auth::session::SessionKeys;
use crate::clock::Clock;
use crate::config::Config;
use crate::db::{Backend, Db};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub backend: Backend,
    pub config: Arc<Config>,
    pub credentials: Arc<Credentials>,
    pub sessions: SessionKeys,
    pub login_limits: Arc<LoginLimits>,
    pub clock: Arc<dyn Clock>,
    pub sfu: sfu::io::SfuHandle,
    /// Several nodes: the others, and where rooms live. `None`: this is
    /// the only node.
    pub cluster: Option<crate::cluster::Cluster>,
    /// This process's run: participants are recorded under it, so the next
    /// start can close what a crash left open.
    pub run: Arc<crate::model::rooms::reconcile::ServerRun>,
    /// Wakes the reminder dispatcher after a change wrote messages due now.
    pub reminder_wake: Arc<tokio::sync::Notify>,
    /// Wakes the account e-mail runner after a reset was requested.
    pub account_mail_wake: Arc<tokio::sync::Notify>,
    /// Wakes pages waiting for news of a waiting room.
    pub waiting_room_news: crate::model::waiting_room::WaitingRoomNews,
    /// Wakes the status-callback dispatcher after an event was queued.
    pub callback_wake: Arc<tokio::sync::Notify>,
    /// On once the server is stopping (`/readyz` then answers 503).
    pub draining: crate::ops::Draining,
}
