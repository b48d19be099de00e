//! The cluster as the API's rooms and signaling see it: where a session is
//! served ([`ClusterRouter`], signaling's [`NodeRouter`]), where a new room
//! goes ([`host_new_room`]), and whose rooms this node's reaper may end
//! ([`lives_elsewhere`]).

use signaling::error::SignalError;
use signaling::relay::{NodeRouter, Route, RouteFuture};
use tracing::warn;

use super::Cluster;
use crate::model::rooms::lifecycle;
use crate::state::AppState;

/// Routes sessions to their room's node.
pub struct ClusterRouter {
    state: AppState,
    cluster: Cluster,
}

impl ClusterRouter {
    pub fn new(state: AppState, cluster: Cluster) -> Self {
        ClusterRouter { state, cluster }
    }

    async fn route(&self, room: &str, relayed: bool) -> Result<Route, SignalError> {
        if !relayed {
            match self.cluster.place(room).await {
                Ok(node) if node.id != self.cluster.id() => {
                    return Ok(Route::Node {
                        url: node.url,
                        secret: self.cluster.secret().to_owned(),
                    });
                }
                Ok(_) => {}
                Err(err) => {
                    // Without Redis no node can tell where a room lives; a
                    // room already here goes on, anything else waits.
                    warn!(room, error = %err, "placing a room failed");
                    if self.state.sfu.room(room).await.is_none() {
                        return Err(SignalError::NodeUnreachable);
                    }
                }
            }
        }
        if let Err(err) = lifecycle::prepare(&self.state, room).await {
            warn!(room, error = %err, "reading a room placed on this node failed");
            return Err(SignalError::Unavailable);
        }
        Ok(Route::Here)
    }
}

impl NodeRouter for ClusterRouter {
    fn route_join<'a>(&'a self, room: &'a str, relayed: bool) -> RouteFuture<'a> {
        Box::pin(self.route(room, relayed))
    }

    fn route_resume<'a>(&'a self, participant_sid: &'a str) -> RouteFuture<'a> {
        Box::pin(async move {
            let room: Option<String> = sqlx::query_scalar(
                "SELECT r.unique_name FROM room_participants p JOIN rooms r ON r.sid = p.room_sid \
                 WHERE p.sid = $1",
            )
            .bind(participant_sid)
            .fetch_optional(&self.state.db)
            .await
            .map_err(|err| {
                warn!(participant_sid, error = %err, "finding a resumed participant's room failed");
                SignalError::Unavailable
            })?;
            match room {
                Some(room) => self.route(&room, false).await,
                // Not recorded yet (it joined a moment ago): if anywhere,
                // it is on the node that answered its join, and the SFU
                // here says whether that is this one.
                None => Ok(Route::Here),
            }
        })
    }

    fn accepts_relay(&self, secret: &str) -> bool {
        same_secret(self.cluster.secret(), secret)
    }
}

/// Whether `given` is the cluster's secret, compared in constant time (it
/// lets a request past routing and into `/cluster/v1`).
pub fn same_secret(expected: &str, given: &str) -> bool {
    let (expected, given) = (expected.as_bytes(), given.as_bytes());
    given.len() == expected.len()
        && given
            .iter()
            .zip(expected)
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0
}

/// Places a room just created on a node and registers it with this node's
/// SFU when it is placed here (another node does it at its first join).
/// One node: registered here.
pub async fn host_new_room(state: &AppState, name: &str, sid: &str, size: usize) {
    if let Some(cluster) = &state.cluster {
        match cluster.place(name).await {
            Ok(node) if node.id != cluster.id() => return,
            Ok(_) => {}
            // Placed at its first join instead.
            Err(err) => {
                warn!(room = name, error = %err, "placing a new room failed");
                return;
            }
        }
    }
    state.sfu.register_room(name, sid, Some(size)).await;
}

/// Whether `room` lives on another live node, whose reaper ends it.
pub async fn lives_elsewhere(state: &AppState, room: &str) -> bool {
    let Some(cluster) = &state.cluster else {
        return false;
    };
    match cluster.owner(room).await {
        Ok(Some(node)) => node.id != cluster.id(),
        Ok(None) => false,
        // Unsure: leave it to a later pass.
        Err(_) => true,
    }
}
