//! Several Confide nodes sharing one PostgreSQL database and one Redis
//! (`docs/design/nodes.md`).
//!
//! PostgreSQL holds everything that must last (rooms, participants,
//! appointments, the reminder and callback queues, whose leases already let
//! any number of processes share them). Redis holds what is only true while
//! nodes run:
//! - [`registry`]: each node's entry (its URL, load, whether it is
//!   draining), rewritten every second with an expiry: a node whose entry
//!   expired is dead.
//! - [`placement`]: which node each room lives on. A room is placed on the
//!   least loaded live node when it is created (or first joined), and again
//!   when its node is dead or gone.
//! - [`router`]: the signaling side ([`signaling::relay::NodeRouter`]): a
//!   session opened on any node is served by the room's node, relayed
//!   there when that is another one; a room placed here is made ready for
//!   its first join.
//! - [`remote`]: what the API asks of a room's SFU (who is in it, removing
//!   someone, ending it), answered by the room's node over HTTP.
//! - [`news`]: what pages long-poll for (a waiting room changed), published
//!   so that a change made on one node wakes the pages waiting on another.
//! - [`config`]: the `[cluster]` settings.
//!
//! The node's id is its run's id ([`crate::model::rooms::reconcile`]): a
//! restarted node is a new node, and what a dead run left open in the
//! database is closed once Redis no longer lists it.

pub mod config;
pub mod news;
pub mod placement;
pub mod registry;
pub mod remote;
pub mod router;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

pub use config::ClusterConfig;
pub use registry::NodeInfo;

/// How long a Redis command may take before it counts as failed.
const REDIS_TIMEOUT: Duration = Duration::from_secs(3);

/// What went wrong asking Redis.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("no live node takes new rooms (every node is draining)")]
    NoNode,
    #[error("the room's placement kept changing under this node")]
    Contended,
}

/// This node's link to the others.
#[derive(Clone)]
pub struct Cluster {
    inner: Arc<Inner>,
}

struct Inner {
    client: redis::Client,
    redis: ConnectionManager,
    keys: Keys,
    id: String,
    url: String,
    started_at: i64,
    ttl: Duration,
    secret: String,
    /// What every node must share, by fingerprint ([`Cluster::agree_on`]).
    agreed: std::sync::Mutex<Vec<(String, String)>>,
    draining: AtomicBool,
    /// It left the cluster (a clean stop): the heartbeat stops.
    left: AtomicBool,
}

/// Every Redis key, under the cluster's name.
struct Keys {
    prefix: String,
}

impl Keys {
    fn node(&self, id: &str) -> String {
        format!("{}:node:{id}", self.prefix)
    }
    fn nodes(&self) -> String {
        format!("{}:nodes", self.prefix)
    }
    fn room(&self, name: &str) -> String {
        format!("{}:room:{name}", self.prefix)
    }
    /// The rooms placed on a node (its load, and what it gives back when it
    /// leaves).
    fn node_rooms(&self, id: &str) -> String {
        format!("{}:node-rooms:{id}", self.prefix)
    }
    fn secret(&self) -> String {
        format!("{}:secret", self.prefix)
    }
    /// The channel news is published on ([`news`]).
    fn news(&self) -> String {
        format!("{}:news", self.prefix)
    }
    fn agreed(&self, what: &str) -> String {
        format!("{}:agreed:{what}", self.prefix)
    }
}

impl Cluster {
    /// Joins the cluster `config` names as node `id` (this run), reachable
    /// at `config.node_url`. `None` when this is the only node.
    pub async fn join(
        config: &ClusterConfig,
        id: &str,
        started_at: i64,
    ) -> anyhow::Result<Option<Cluster>> {
        let (Some(redis_url), Some(url)) = (&config.redis_url, &config.node_url) else {
            return Ok(None);
        };
        let client = redis::Client::open(redis_url.as_str())
            .with_context(|| format!("cluster.redis_url {redis_url:?}"))?;
        let manager_config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(REDIS_TIMEOUT))
            .set_response_timeout(Some(REDIS_TIMEOUT))
            .set_number_of_retries(2);
        let redis = client
            .get_connection_manager_with_config(manager_config)
            .await
            .with_context(|| format!("connecting to Redis at {redis_url}"))?;
        let keys = Keys {
            prefix: config.name.clone(),
        };
        let secret = shared_secret(&mut redis.clone(), &keys.secret())
            .await
            .context("reading the cluster's relay secret from Redis")?;
        let cluster = Cluster {
            inner: Arc::new(Inner {
                client,
                redis,
                keys,
                id: id.to_owned(),
                url: url.trim_end_matches('/').to_owned(),
                started_at,
                ttl: Duration::from_secs(config.node_ttl_secs),
                secret,
                agreed: Default::default(),
                draining: AtomicBool::new(false),
                left: AtomicBool::new(false),
            }),
        };
        Ok(Some(cluster))
    }

    /// Checks that this node has what every node must share (`what`: its
    /// session key, its API key), by a fingerprint of it: the first node
    /// records its own, and a node with another one is refused at start
    /// with `remedy`. A user signed in through one node is then signed in
    /// on all, and a token any node mints is good on every node.
    pub async fn agree_on(
        &self,
        what: &str,
        fingerprint: &str,
        remedy: &str,
    ) -> anyhow::Result<()> {
        let key = self.inner.keys.agreed(what);
        let mut redis = self.redis();
        let _: Option<String> = redis::cmd("SET")
            .arg(&key)
            .arg(fingerprint)
            .arg("NX")
            .query_async(&mut redis)
            .await?;
        let agreed: String = redis::cmd("GET").arg(&key).query_async(&mut redis).await?;
        if agreed == fingerprint {
            self.inner
                .agreed
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((what.to_owned(), fingerprint.to_owned()));
        } else {
            anyhow::bail!(
                "this node's {what} differs from the other nodes' ({remedy}); if every node's was \
                 changed on purpose, delete the Redis key {key}"
            );
        }
        Ok(())
    }

    /// This node's id (its run's).
    pub fn id(&self) -> &str {
        &self.inner.id
    }

    /// How long a silent node counts as alive.
    pub fn ttl(&self) -> Duration {
        self.inner.ttl
    }

    /// The secret nodes relay sessions to each other with.
    pub fn secret(&self) -> &str {
        &self.inner.secret
    }

    /// From now on no new room is placed here (an upgrade); the rooms here
    /// stay until they end.
    pub fn start_draining(&self) {
        self.inner.draining.store(true, Ordering::SeqCst);
    }

    pub fn is_draining(&self) -> bool {
        self.inner.draining.load(Ordering::SeqCst)
    }

    /// Whether this node left the cluster ([`Cluster::leave`]).
    pub fn has_left(&self) -> bool {
        self.inner.left.load(Ordering::SeqCst)
    }

    /// The fingerprints this node agreed on, to write back each beat.
    fn agreed(&self) -> Vec<(String, String)> {
        self.inner
            .agreed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn redis(&self) -> ConnectionManager {
        self.inner.redis.clone()
    }
}

/// For `confide check`: whether Redis answers at `config.redis_url`, and
/// how many nodes it lists. Nothing is written.
pub async fn probe(config: &ClusterConfig) -> anyhow::Result<usize> {
    let url = config.redis_url.as_deref().unwrap_or_default();
    let client = redis::Client::open(url)?;
    let mut redis = tokio::time::timeout(REDIS_TIMEOUT, client.get_multiplexed_async_connection())
        .await
        .map_err(|_| anyhow::anyhow!("no answer within {REDIS_TIMEOUT:?}"))??;
    let keys = Keys {
        prefix: config.name.clone(),
    };
    let nodes: usize = redis::cmd("SCARD")
        .arg(keys.nodes())
        .query_async(&mut redis)
        .await?;
    Ok(nodes)
}

/// The cluster's relay secret: made by the first node to ask, read by the
/// rest, so an operator has nothing to copy between nodes.
async fn shared_secret(redis: &mut ConnectionManager, key: &str) -> redis::RedisResult<String> {
    let mine = format!("{:032x}", rand::random::<u128>());
    let _: Option<String> = redis::cmd("SET")
        .arg(key)
        .arg(&mine)
        .arg("NX")
        .query_async(redis)
        .await?;
    redis::cmd("GET").arg(key).query_async(redis).await
}
