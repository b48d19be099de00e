//! News that pages wait on, heard on every node. A page long-polls the
//! node the load balancer gave it ("tell me when the waiting room
//! changes"), and the change may be made on another node (the psychologist
//! admits the patient there). Each change is published on the cluster's
//! news channel in Redis, and every node passes what it hears to its own
//! waiters. A node that misses news (Redis away) answers its pages anyway
//! at their longest wait.

use std::time::Duration;

use futures_util::StreamExt;
use tokio::task::JoinHandle;
use tracing::{info, warn};

use super::{Cluster, ClusterError};

/// News of a waiting room (each waiter then reads its own).
pub const WAITING_ROOM: &str = "waiting-room";
/// How long a listener that lost Redis waits before subscribing again.
const RETRY: Duration = Duration::from_secs(1);

impl Cluster {
    /// Tells every node's waiters about `topic`.
    pub async fn announce(&self, topic: &str) -> Result<(), ClusterError> {
        let _: i64 = redis::cmd("PUBLISH")
            .arg(self.inner.keys.news())
            .arg(topic)
            .query_async(&mut self.redis())
            .await?;
        Ok(())
    }
}

/// Listens to the news channel until aborted, calling `heard` with each
/// topic; subscribes again after losing Redis.
pub fn spawn_listener(
    cluster: Cluster,
    heard: impl Fn(&str) + Send + Sync + 'static,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut lost = false;
        loop {
            match listen(&cluster, &heard, &mut lost).await {
                Ok(()) => warn!("the cluster's news channel closed: subscribing again"),
                Err(err) if !lost => {
                    warn!(error = %err, "listening to the cluster's news failed: pages here hear other nodes' changes late");
                }
                Err(_) => {}
            }
            lost = true;
            tokio::time::sleep(RETRY).await;
        }
    })
}

async fn listen(
    cluster: &Cluster,
    heard: &impl Fn(&str),
    lost: &mut bool,
) -> Result<(), ClusterError> {
    let mut pubsub = cluster.inner.client.get_async_pubsub().await?;
    pubsub.subscribe(cluster.inner.keys.news()).await?;
    if std::mem::take(lost) {
        info!("listening to the cluster's news again");
        // Whatever was missed meanwhile: every waiter reads again.
        heard(WAITING_ROOM);
    }
    let mut messages = pubsub.on_message();
    while let Some(message) = messages.next().await {
        if let Ok(topic) = message.get_payload::<String>() {
            heard(&topic);
        }
    }
    Ok(())
}
