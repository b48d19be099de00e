//! The node registry: each node's entry in Redis, rewritten every
//! [`HEARTBEAT`] with an expiry of `cluster.node_ttl_secs`, and the set of
//! node ids to find them by. An entry that expired is a dead node: it is
//! taken out of the set by the first node that notices.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::task::JoinHandle;
use tracing::{info, warn};

use super::{Cluster, ClusterError};

/// How often a node rewrites its entry.
pub const HEARTBEAT: Duration = Duration::from_secs(1);

/// A node as the others see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeInfo {
    pub id: String,
    /// Its HTTP listener on the nodes' network.
    pub url: String,
    pub started_at: i64,
    /// Participants connected to it (at its last heartbeat).
    pub participants: u64,
    /// Rooms placed on it (counted when the registry is read).
    #[serde(default)]
    pub rooms: u64,
    /// It takes no new rooms.
    pub draining: bool,
}

impl Cluster {
    /// This node's entry as it is now.
    pub fn me(&self, participants: u64) -> NodeInfo {
        NodeInfo {
            id: self.inner.id.clone(),
            url: self.inner.url.clone(),
            started_at: self.inner.started_at,
            participants,
            rooms: 0,
            draining: self.is_draining(),
        }
    }

    /// Rewrites this node's entry, alive for another TTL. Also writes back
    /// what every node holds and a Redis that restarted empty lost: the
    /// relay secret and the keys' fingerprints (unless another node did
    /// already). Returns how many rooms Redis counts as placed here.
    pub async fn heartbeat(&self, participants: u64) -> Result<u64, ClusterError> {
        let keys = &self.inner.keys;
        let entry = serde_json::to_string(&self.me(participants)).expect("a node entry serializes");
        let mut beat = redis::pipe();
        beat.atomic()
            .cmd("SET")
            .arg(keys.node(&self.inner.id))
            .arg(entry)
            .arg("PX")
            .arg(self.inner.ttl.as_millis() as u64)
            .ignore()
            .cmd("SADD")
            .arg(keys.nodes())
            .arg(&self.inner.id)
            .ignore()
            .cmd("SET")
            .arg(keys.secret())
            .arg(&self.inner.secret)
            .arg("NX")
            .ignore();
        for (what, fingerprint) in self.agreed() {
            beat.cmd("SET")
                .arg(keys.agreed(&what))
                .arg(fingerprint)
                .arg("NX")
                .ignore();
        }
        beat.cmd("SCARD").arg(keys.node_rooms(&self.inner.id));
        let (placed,): (u64,) = beat.query_async(&mut self.redis()).await?;
        Ok(placed)
    }

    /// Every live node, with the rooms placed on each. Nodes whose entry
    /// expired are taken out of the registry on the way.
    pub async fn live_nodes(&self) -> Result<Vec<NodeInfo>, ClusterError> {
        let keys = &self.inner.keys;
        let mut redis = self.redis();
        let ids: Vec<String> = redis::cmd("SMEMBERS")
            .arg(keys.nodes())
            .query_async(&mut redis)
            .await?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut read = redis::pipe();
        for id in &ids {
            read.cmd("GET").arg(keys.node(id));
            read.cmd("SCARD").arg(keys.node_rooms(id));
        }
        let answers: Vec<(Option<String>, u64)> = {
            let flat: Vec<redis::Value> = read.query_async(&mut redis).await?;
            flat.chunks(2)
                .map(|pair| {
                    let entry = redis::from_redis_value(pair[0].clone()).unwrap_or(None);
                    let rooms = redis::from_redis_value(pair[1].clone()).unwrap_or(0);
                    (entry, rooms)
                })
                .collect()
        };
        let mut live = Vec::with_capacity(ids.len());
        let mut dead = Vec::new();
        for (id, (entry, rooms)) in ids.iter().zip(answers) {
            match entry.and_then(|e| serde_json::from_str::<NodeInfo>(&e).ok()) {
                Some(mut node) => {
                    node.rooms = rooms;
                    live.push(node);
                }
                None => dead.push(id),
            }
        }
        if !dead.is_empty() {
            let mut forget = redis::pipe();
            for id in &dead {
                forget.cmd("SREM").arg(keys.nodes()).arg(*id).ignore();
                forget.cmd("DEL").arg(keys.node_rooms(id)).ignore();
            }
            forget.query_async::<()>(&mut redis).await?;
            for id in dead {
                warn!(node = %id, "a node stopped beating: its rooms are placed again when next joined");
            }
        }
        Ok(live)
    }

    /// A clean stop: this node's entry goes and its rooms are given back,
    /// so they are placed again at once instead of after the TTL. The
    /// heartbeat stops for good.
    pub async fn leave(&self) -> Result<(), ClusterError> {
        self.inner
            .left
            .store(true, std::sync::atomic::Ordering::SeqCst);
        let keys = &self.inner.keys;
        let mut redis = self.redis();
        let rooms: Vec<String> = redis::cmd("SMEMBERS")
            .arg(keys.node_rooms(&self.inner.id))
            .query_async(&mut redis)
            .await?;
        for room in rooms {
            self.release(&room).await?;
        }
        redis::pipe()
            .cmd("DEL")
            .arg(keys.node(&self.inner.id))
            .ignore()
            .cmd("SREM")
            .arg(keys.nodes())
            .arg(&self.inner.id)
            .ignore()
            .cmd("DEL")
            .arg(keys.node_rooms(&self.inner.id))
            .ignore()
            .query_async::<()>(&mut redis)
            .await?;
        Ok(())
    }
}

/// Beats every [`HEARTBEAT`] with this node's load, until aborted or the
/// node leaves. When Redis counts fewer rooms here than this node's SFU
/// holds (Redis restarted empty, or the others counted this node dead for a
/// moment), the rooms are placed here again, unless placed elsewhere since.
/// While draining, rooms that empty are given back instead.
pub fn spawn_heartbeat(cluster: Cluster, sfu: sfu::io::SfuHandle) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(HEARTBEAT);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut failing = false;
        loop {
            every.tick().await;
            if cluster.has_left() {
                return;
            }
            // Bounded: a busy media plane must not stop the beat.
            let participants = tokio::time::timeout(HEARTBEAT, sfu.stats())
                .await
                .ok()
                .flatten()
                .map_or(0, |s| s.participants as u64);
            let beat = match cluster.heartbeat(participants).await {
                Ok(_) if cluster.is_draining() => cluster.give_back_idle(&sfu).await.map(drop),
                Ok(placed) => {
                    let here = sfu.room_names();
                    if (placed as usize) < here.len() {
                        cluster.reclaim(&here).await
                    } else {
                        Ok(())
                    }
                }
                Err(err) => Err(err),
            };
            match beat {
                Ok(()) if failing => {
                    failing = false;
                    info!("Redis answers again: this node is back in the cluster");
                }
                Ok(()) => {}
                Err(err) if !failing => {
                    failing = true;
                    warn!(error = %err, "beating in Redis failed: past the TTL the other nodes count this one dead");
                }
                Err(_) => {}
            }
        }
    })
}
