//! Which node each room lives on: `{name}:room:{room}` holds the node's id,
//! and `{name}:node-rooms:{node}` the rooms placed on a node (its load).
//!
//! A room is placed on the live node with the fewest rooms, then the
//! fewest participants, never on a draining one. Placing is a compare and
//! set in one Lua script: two nodes placing the same room at once agree on
//! one node, and a room whose node died is moved by whoever asks first.

use redis::Script;

use super::{Cluster, ClusterError, NodeInfo};

/// KEYS: the room, the new node's rooms, the old node's rooms. ARGV: the
/// node the caller saw ('' for none), the new node, the room's name.
/// Returns the node the room is on now, or nil when it changed under the
/// caller (who reads again).
const CLAIM: &str = r"
local current = redis.call('GET', KEYS[1])
if (current == false and ARGV[1] == '') or current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2])
  if ARGV[1] ~= '' then redis.call('SREM', KEYS[3], ARGV[3]) end
  redis.call('SADD', KEYS[2], ARGV[3])
  return ARGV[2]
end
return current
";

/// KEYS: the room, the node's rooms. ARGV: the node, the room's name.
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('SREM', KEYS[2], ARGV[2])
  return 1
end
return 0
";

/// KEYS: the room, this node's rooms. ARGV: this node, the room's name.
/// The room is placed here again if it is placed nowhere (or here).
const RECLAIM: &str = r"
local current = redis.call('GET', KEYS[1])
if current == false or current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1])
  redis.call('SADD', KEYS[2], ARGV[2])
  return 1
end
return 0
";

/// KEYS: the room. ARGV: the prefix of node keys (`{name}:node:`), and of
/// node-rooms keys. The room's placement goes if its node is dead.
const FORGET_IF_DEAD: &str = r"
local current = redis.call('GET', KEYS[1])
if current and redis.call('EXISTS', ARGV[1] .. current) == 0 then
  redis.call('DEL', KEYS[1])
  redis.call('SREM', ARGV[2] .. current, ARGV[3])
  return 1
end
return 0
";

/// How often placing retries when the room moved under it.
const ATTEMPTS: usize = 4;

impl Cluster {
    /// The live node `room` is on, if it is on one.
    pub async fn owner(&self, room: &str) -> Result<Option<NodeInfo>, ClusterError> {
        let placed: Option<String> = redis::cmd("GET")
            .arg(self.inner.keys.room(room))
            .query_async(&mut self.redis())
            .await?;
        let Some(placed) = placed else {
            return Ok(None);
        };
        Ok(self
            .live_nodes()
            .await?
            .into_iter()
            .find(|n| n.id == placed))
    }

    /// The node `room` lives on: where it is, when that node is alive;
    /// otherwise placed now on the least loaded node.
    pub async fn place(&self, room: &str) -> Result<NodeInfo, ClusterError> {
        let keys = &self.inner.keys;
        let mut redis = self.redis();
        for _ in 0..ATTEMPTS {
            let mut nodes = self.live_nodes().await?;
            // This node is alive whatever Redis last heard.
            if !nodes.iter().any(|n| n.id == self.inner.id) {
                nodes.push(self.me(0));
            }
            let placed: Option<String> = redis::cmd("GET")
                .arg(keys.room(room))
                .query_async(&mut redis)
                .await?;
            if let Some(node) = placed
                .as_ref()
                .and_then(|id| nodes.iter().find(|n| &n.id == id))
            {
                return Ok(node.clone());
            }
            let best = least_loaded(&nodes).ok_or(ClusterError::NoNode)?;
            let previous = placed.unwrap_or_default();
            let now_on: Option<String> = Script::new(CLAIM)
                .key(keys.room(room))
                .key(keys.node_rooms(&best.id))
                .key(keys.node_rooms(&previous))
                .arg(&previous)
                .arg(&best.id)
                .arg(room)
                .invoke_async(&mut redis)
                .await?;
            if let Some(node) = now_on.and_then(|id| nodes.iter().find(|n| n.id == id)) {
                return Ok(node.clone());
            }
        }
        // Lost every race: the next join asks again.
        Err(ClusterError::Contended)
    }

    /// Places `rooms` (this node's SFU holds them) here again where Redis
    /// lost them; a room placed on another node since is left there.
    pub async fn reclaim(&self, rooms: &[String]) -> Result<(), ClusterError> {
        let keys = &self.inner.keys;
        let mut redis = self.redis();
        let script = Script::new(RECLAIM);
        for room in rooms {
            let _: i64 = script
                .key(keys.room(room))
                .key(keys.node_rooms(&self.inner.id))
                .arg(&self.inner.id)
                .arg(room)
                .invoke_async(&mut redis)
                .await?;
        }
        Ok(())
    }

    /// While draining: gives back every room placed here with nobody in it
    /// on this node's SFU, so its next join is placed on another node.
    /// Rooms with a call go on here. Returns how many were given back.
    pub async fn give_back_idle(&self, sfu: &sfu::io::SfuHandle) -> Result<usize, ClusterError> {
        let placed: Vec<String> = redis::cmd("SMEMBERS")
            .arg(self.inner.keys.node_rooms(&self.inner.id))
            .query_async(&mut self.redis())
            .await?;
        let mut given = 0;
        for room in placed {
            let busy = sfu
                .room(&room)
                .await
                .is_some_and(|r| !r.participants.is_empty());
            if !busy && self.release(&room).await? {
                given += 1;
            }
        }
        Ok(given)
    }

    /// Forgets where `room` was placed if that node is dead (the room
    /// ended without it), so no placement outlives its room.
    pub async fn forget_if_dead(&self, room: &str) -> Result<(), ClusterError> {
        let keys = &self.inner.keys;
        let _: i64 = Script::new(FORGET_IF_DEAD)
            .key(keys.room(room))
            .arg(keys.node(""))
            .arg(keys.node_rooms(""))
            .arg(room)
            .invoke_async(&mut self.redis())
            .await?;
        Ok(())
    }

    /// Gives `room` back (it ended here, or this node is leaving), if it
    /// is placed here.
    pub async fn release(&self, room: &str) -> Result<bool, ClusterError> {
        let keys = &self.inner.keys;
        let released: i64 = Script::new(RELEASE)
            .key(keys.room(room))
            .key(keys.node_rooms(&self.inner.id))
            .arg(&self.inner.id)
            .arg(room)
            .invoke_async(&mut self.redis())
            .await?;
        Ok(released == 1)
    }
}

/// The node a new room goes to: not draining; the fewest rooms, then the
/// fewest participants, then the lowest id (so every node picks the same).
pub fn least_loaded(nodes: &[NodeInfo]) -> Option<&NodeInfo> {
    nodes
        .iter()
        .filter(|n| !n.draining)
        .min_by(|a, b| (a.rooms, a.participants, &a.id).cmp(&(b.rooms, b.participants, &b.id)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: &str, rooms: u64, participants: u64, draining: bool) -> NodeInfo {
        NodeInfo {
            id: id.into(),
            url: format!("http://{id}"),
            started_at: 0,
            participants,
            rooms,
            draining,
        }
    }

    #[test]
    fn the_least_loaded_node_that_is_not_draining_gets_the_room() {
        let nodes = [
            node("a", 3, 6, false),
            node("b", 1, 9, false),
            node("c", 0, 0, true),
            node("d", 1, 2, false),
        ];
        assert_eq!(least_loaded(&nodes).map(|n| n.id.as_str()), Some("d"));
        assert_eq!(least_loaded(&[node("c", 0, 0, true)]), None);
        assert_eq!(least_loaded(&[]), None);
    }
}
