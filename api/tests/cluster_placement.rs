//! The node registry and room placement against the real Redis at
//! 127.0.0.1:6379 (`TEST_REDIS_URL`), each test under a cluster name of its
//! own, removed at the end. A node's death is its entry's expiry, made to
//! happen here by deleting the entry (no test waits out a TTL).

use api::cluster::{Cluster, ClusterConfig};

fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

struct TestCluster {
    config: ClusterConfig,
}

impl TestCluster {
    fn new() -> TestCluster {
        TestCluster {
            config: ClusterConfig {
                redis_url: Some(redis_url()),
                node_url: None,
                name: format!("confide-t-{:016x}", rand::random::<u64>()),
                node_ttl_secs: 30,
            },
        }
    }

    async fn node(&self, id: &str) -> Cluster {
        let config = ClusterConfig {
            node_url: Some(format!("http://{id}.test:8080")),
            ..self.config.clone()
        };
        let node = Cluster::join(&config, id, 0)
            .await
            .unwrap_or_else(|err| panic!("Redis is needed at {}: {err:#}", redis_url()))
            .expect("a cluster node");
        node.heartbeat(0).await.unwrap();
        node
    }

    async fn redis(&self) -> redis::aio::MultiplexedConnection {
        redis::Client::open(redis_url())
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .unwrap()
    }

    /// The node's entry expires, as when it stops beating.
    async fn expire(&self, id: &str) {
        let _: () = redis::cmd("DEL")
            .arg(format!("{}:node:{id}", self.config.name))
            .query_async(&mut self.redis().await)
            .await
            .unwrap();
    }

    async fn remove(self) {
        self.wipe().await;
    }

    /// Every key of this cluster goes, as when Redis restarts empty.
    async fn wipe(&self) {
        let mut redis = self.redis().await;
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{}:*", self.config.name))
            .query_async(&mut redis)
            .await
            .unwrap();
        if !keys.is_empty() {
            let _: () = redis::cmd("DEL")
                .arg(keys)
                .query_async(&mut redis)
                .await
                .unwrap();
        }
    }
}

#[tokio::test]
async fn rooms_go_to_the_least_loaded_node_and_both_nodes_agree() {
    let cluster = TestCluster::new();
    let a = cluster.node("RNa").await;
    let b = cluster.node("RNb").await;
    let mut on = Vec::new();
    for room in ["r1", "r2", "r3", "r4"] {
        on.push(a.place(room).await.unwrap().id);
    }
    assert_eq!(
        on,
        ["RNa", "RNb", "RNa", "RNb"],
        "placed in turn by rooms held"
    );
    // Asked again, from either node: where it is.
    assert_eq!(b.place("r1").await.unwrap().id, "RNa");
    assert_eq!(a.owner("r2").await.unwrap().unwrap().id, "RNb");

    // Two nodes placing one new room at once agree on one node.
    for round in 0..20 {
        let room = format!("race-{round}");
        let (x, y) = tokio::join!(a.place(&room), b.place(&room));
        assert_eq!(x.unwrap().id, y.unwrap().id, "{room}");
    }
    let nodes = a.live_nodes().await.unwrap();
    let rooms: u64 = nodes.iter().map(|n| n.rooms).sum();
    assert_eq!(rooms, 24, "each room counted on one node: {nodes:?}");
    cluster.remove().await;
}

#[tokio::test]
async fn a_dead_nodes_rooms_are_placed_again_and_a_draining_node_gets_none() {
    let cluster = TestCluster::new();
    let a = cluster.node("RNa").await;
    let b = cluster.node("RNb").await;
    let c = cluster.node("RNc").await;
    assert_eq!(a.place("r1").await.unwrap().id, "RNa");
    assert_eq!(a.place("r2").await.unwrap().id, "RNb");

    cluster.expire("RNb").await;
    assert_eq!(a.owner("r2").await.unwrap(), None, "on no live node");
    a.forget_if_dead("r1").await.unwrap();
    assert_eq!(
        a.owner("r1").await.unwrap().unwrap().id,
        "RNa",
        "a live node's room stays"
    );
    let ids: Vec<String> = a
        .live_nodes()
        .await
        .unwrap()
        .into_iter()
        .map(|n| n.id)
        .collect();
    assert!(!ids.contains(&"RNb".to_owned()), "forgotten: {ids:?}");
    assert_eq!(
        c.place("r2").await.unwrap().id,
        "RNc",
        "moved to the least loaded"
    );
    assert_eq!(a.place("r2").await.unwrap().id, "RNc", "and stays there");

    // RNb comes back (its next beat): it is a live node again, without
    // the room it lost.
    b.heartbeat(0).await.unwrap();
    assert_eq!(a.owner("r2").await.unwrap().unwrap().id, "RNc");

    b.start_draining();
    b.heartbeat(0).await.unwrap();
    for room in ["n1", "n2", "n3"] {
        assert_ne!(
            a.place(room).await.unwrap().id,
            "RNb",
            "{room} not on a draining node"
        );
    }
    cluster.remove().await;
}

#[tokio::test]
async fn a_node_that_leaves_gives_its_rooms_back_and_an_ended_room_is_unplaced() {
    let cluster = TestCluster::new();
    let a = cluster.node("RNa").await;
    let b = cluster.node("RNb").await;
    assert_eq!(a.place("r1").await.unwrap().id, "RNa");
    assert_eq!(a.place("r2").await.unwrap().id, "RNb");
    assert_eq!(a.place("r3").await.unwrap().id, "RNa");

    assert!(a.release("r3").await.unwrap(), "r3 ended on its node");
    assert!(
        !b.release("r1").await.unwrap(),
        "only the room's node gives it back"
    );
    assert_eq!(b.owner("r3").await.unwrap(), None);

    a.leave().await.unwrap();
    assert_eq!(b.owner("r1").await.unwrap(), None, "given back at once");
    assert_eq!(b.place("r1").await.unwrap().id, "RNb");
    let ids: Vec<String> = b
        .live_nodes()
        .await
        .unwrap()
        .into_iter()
        .map(|n| n.id)
        .collect();
    assert_eq!(ids, ["RNb"]);
    cluster.remove().await;
}

#[tokio::test]
async fn the_relay_secret_is_made_once_and_shared() {
    let cluster = TestCluster::new();
    let a = cluster.node("RNa").await;
    let b = cluster.node("RNb").await;
    assert_eq!(a.secret(), b.secret());
    assert_eq!(a.secret().len(), 32);
    cluster.remove().await;
}

#[tokio::test]
async fn news_announced_on_one_node_is_heard_on_the_others() {
    let cluster = TestCluster::new();
    let a = cluster.node("RNa").await;
    let b = cluster.node("RNb").await;
    let (tx, mut heard) = tokio::sync::mpsc::unbounded_channel();
    let listener = api::cluster::news::spawn_listener(b, move |topic| {
        let _ = tx.send(topic.to_owned());
    });
    // The listener subscribes in its own time: announce until it hears.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    let topic = loop {
        a.announce("waiting-room").await.unwrap();
        match tokio::time::timeout(std::time::Duration::from_millis(100), heard.recv()).await {
            Ok(Some(topic)) => break topic,
            _ => assert!(
                tokio::time::Instant::now() < deadline,
                "node b never heard node a"
            ),
        }
    };
    assert_eq!(topic, "waiting-room");
    listener.abort();
    cluster.remove().await;
}

#[tokio::test]
async fn after_redis_loses_everything_the_next_beats_write_it_back() {
    let cluster = TestCluster::new();
    let a = cluster.node("RNa").await;
    let b = cluster.node("RNb").await;
    a.agree_on("session key", "fp-1", "copy it").await.unwrap();
    assert_eq!(a.place("r1").await.unwrap().id, "RNa");
    assert_eq!(a.place("r2").await.unwrap().id, "RNb");
    let secret = a.secret().to_owned();

    // Redis restarts empty (as far as this cluster is concerned).
    let mut redis = cluster.redis().await;
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{}:*", cluster.config.name))
        .query_async(&mut redis)
        .await
        .unwrap();
    let _: () = redis::cmd("DEL")
        .arg(keys)
        .query_async(&mut redis)
        .await
        .unwrap();

    // Each node's next beat: it counts no room placed on it, and writes
    // back those its SFU holds.
    assert_eq!(a.heartbeat(0).await.unwrap(), 0);
    a.reclaim(&["r1".to_owned()]).await.unwrap();
    assert_eq!(b.heartbeat(0).await.unwrap(), 0);
    b.reclaim(&["r2".to_owned(), "r1".to_owned()])
        .await
        .unwrap();
    assert_eq!(
        b.owner("r1").await.unwrap().unwrap().id,
        "RNa",
        "first to write it back keeps it"
    );
    assert_eq!(a.owner("r2").await.unwrap().unwrap().id, "RNb");
    assert_eq!(a.heartbeat(0).await.unwrap(), 1);

    // A node starting now finds the same secret and fingerprints.
    let c = cluster.node("RNc").await;
    assert_eq!(c.secret(), secret);
    assert!(c.agree_on("session key", "fp-1", "copy it").await.is_ok());
    let refused = c
        .agree_on("session key", "fp-2", "copy it")
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("differs"), "{refused}");
    cluster.remove().await;
}

#[tokio::test]
async fn a_room_that_ends_after_its_node_died_leaves_no_placement() {
    let cluster = TestCluster::new();
    let a = cluster.node("RNa").await;
    let _b = cluster.node("RNb").await;
    assert_eq!(a.place("r1").await.unwrap().id, "RNa");
    assert_eq!(a.place("r2").await.unwrap().id, "RNb");
    cluster.expire("RNb").await;
    a.forget_if_dead("r2").await.unwrap();
    let left: Option<String> = redis::cmd("GET")
        .arg(format!("{}:room:r2", cluster.config.name))
        .query_async(&mut cluster.redis().await)
        .await
        .unwrap();
    assert_eq!(left, None);
    cluster.remove().await;
}
