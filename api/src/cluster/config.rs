//! `[cluster]`: several nodes sharing one PostgreSQL database and one Redis.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ClusterConfig {
    /// `redis://host:6379/0`: this node is one of several. Unset: one node
    /// (the default), nothing is kept in Redis.
    pub redis_url: Option<String>,
    /// How the other nodes reach this node's HTTP listener, on the private
    /// network (`http://10.0.0.2:8080`): signaling for a room on this node
    /// is relayed here.
    pub node_url: Option<String>,
    /// Prefix of every Redis key, so one Redis can serve several clusters
    /// (or test runs).
    pub name: String,
    /// A node whose heartbeat is this old is dead: its rooms are placed
    /// again and its participants' calls closed. It beats every second.
    pub node_ttl_secs: u64,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            redis_url: None,
            node_url: None,
            name: "confide".into(),
            node_ttl_secs: 5,
        }
    }
}

impl ClusterConfig {
    pub fn validate(&self, production_db: bool) -> anyhow::Result<()> {
        let Some(redis_url) = &self.redis_url else {
            if self.node_url.is_some() {
                anyhow::bail!("cluster.node_url is set without cluster.redis_url");
            }
            return Ok(());
        };
        if !(redis_url.starts_with("redis://") || redis_url.starts_with("unix://")) {
            anyhow::bail!(
                "cluster.redis_url must start with redis:// or unix:// (got {redis_url:?})"
            );
        }
        match &self.node_url {
            Some(url) if url.starts_with("http://") && url::Url::parse(url).is_ok() => {}
            Some(url) => anyhow::bail!(
                "cluster.node_url must be an http:// URL on the nodes' private network (got {url:?})"
            ),
            None => anyhow::bail!(
                "cluster.node_url is needed with cluster.redis_url: how the other nodes reach this one"
            ),
        }
        if !production_db {
            anyhow::bail!(
                "cluster.redis_url needs database_url = \"postgres://…\": the nodes share one database"
            );
        }
        if self.name.is_empty()
            || !self
                .name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            anyhow::bail!("cluster.name must be letters, digits, - or _");
        }
        // Above Redis's 3 s answer timeout: one slow answer is not death.
        if !(3..=60).contains(&self.node_ttl_secs) {
            anyhow::bail!("cluster.node_ttl_secs must be between 3 and 60");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cluster(redis: &str, node: Option<&str>) -> ClusterConfig {
        ClusterConfig {
            redis_url: Some(redis.into()),
            node_url: node.map(Into::into),
            ..ClusterConfig::default()
        }
    }

    #[test]
    fn a_cluster_needs_redis_a_node_url_and_postgres() {
        assert!(ClusterConfig::default().validate(false).is_ok(), "one node");
        let good = cluster("redis://10.0.0.10:6379/0", Some("http://10.0.0.11:8080"));
        assert!(good.validate(true).is_ok());
        let problems = [
            (
                cluster("http://10.0.0.10", Some("http://10.0.0.11:8080")),
                true,
                "redis://",
            ),
            (
                cluster("redis://10.0.0.10", None),
                true,
                "node_url is needed",
            ),
            (
                cluster("redis://10.0.0.10", Some("https://a:1")),
                true,
                "http:// URL",
            ),
            (
                cluster("redis://10.0.0.10", Some("http://")),
                true,
                "http:// URL",
            ),
            (good.clone(), false, "postgres"),
            (
                ClusterConfig {
                    name: "a b".into(),
                    ..good.clone()
                },
                true,
                "cluster.name",
            ),
            (
                ClusterConfig {
                    node_ttl_secs: 1,
                    ..good.clone()
                },
                true,
                "node_ttl_secs",
            ),
            (
                ClusterConfig {
                    redis_url: None,
                    ..good.clone()
                },
                true,
                "without cluster.redis_url",
            ),
        ];
        for (config, postgres, says) in problems {
            let err = config.validate(postgres).expect_err(says).to_string();
            assert!(err.contains(says), "{err:?} should say {says:?}");
        }
    }
}
