//! The same simulated participant against Janus's VideoRoom plugin, for a
//! side-by-side figure (`--target janus`; start Janus with
//! `loadtest/peers/janus.sh`, whose notes in `peers/JANUS.md` this follows).
//!
//! Janus wants one PeerConnection to publish and one per subscribed feed:
//! the participant's publisher peer offers (like with Confide), and for
//! every remote feed Janus offers a subscriber leg that a receive-only peer
//! answers. Media, stamps and counting are the same peers and workers as
//! for Confide, so the two servers are measured by the same code.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::participant::{Failure, JOIN_TIMEOUT};
use crate::peer::MediaPlan;
use crate::worker::{Command, Handle, Reply};

/// Peers of one participant: the publisher is `id * LEGS`, subscriber legs
/// follow it.
pub const LEGS: usize = 16;

pub struct JanusParticipant {
    pub id: usize,
    pub room: u64,
    pub plan: MediaPlan,
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

struct Janus {
    ws: Ws,
    session: u64,
    next_transaction: u64,
    /// Messages that arrived while waiting for another transaction.
    backlog: Vec<Value>,
}

impl Janus {
    async fn send(&mut self, mut message: Value) -> Result<String, Failure> {
        self.next_transaction += 1;
        let transaction = format!("t{}", self.next_transaction);
        message["transaction"] = json!(transaction);
        if self.session != 0 {
            message["session_id"] = json!(self.session);
        }
        self.ws
            .send(Message::text(message.to_string()))
            .await
            .map_err(|e| format!("janus: {e}"))?;
        Ok(transaction)
    }

    /// The reply to `transaction` (an `ack` does not count: Janus may send
    /// it after the event).
    async fn reply(&mut self, transaction: &str) -> Result<Value, Failure> {
        tokio::time::timeout(JOIN_TIMEOUT, async {
            loop {
                let message = self.next().await?;
                if message["transaction"] == transaction && message["janus"] != "ack" {
                    if message["janus"] == "error" {
                        return Err(format!("janus error: {}", message["error"]));
                    }
                    if let Some(code) = message["plugindata"]["data"]["error_code"].as_u64() {
                        return Err(format!(
                            "videoroom error {code}: {}",
                            message["plugindata"]["data"]["error"]
                        ));
                    }
                    return Ok(message);
                }
                if message["janus"] != "ack" {
                    self.backlog.push(message);
                }
            }
        })
        .await
        .map_err(|_| "janus did not answer within 10 s".to_owned())?
    }

    async fn next(&mut self) -> Result<Value, Failure> {
        loop {
            match self.ws.next().await {
                Some(Ok(Message::Text(text))) => {
                    return serde_json::from_str(&text)
                        .map_err(|e| format!("janus sent bad JSON: {e}"));
                }
                Some(Ok(Message::Close(_))) | None => {
                    return Err("janus closed the websocket".into());
                }
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(format!("janus: {e}")),
            }
        }
    }

    async fn request(&mut self, message: Value) -> Result<Value, Failure> {
        let transaction = self.send(message).await?;
        self.reply(&transaction).await
    }

    async fn attach(&mut self) -> Result<u64, Failure> {
        let reply = self
            .request(json!({"janus": "attach", "plugin": "janus.plugin.videoroom"}))
            .await?;
        reply["data"]["id"]
            .as_u64()
            .ok_or_else(|| "attach: no handle id".into())
    }

    async fn message(
        &mut self,
        handle: u64,
        body: Value,
        jsep: Option<Value>,
    ) -> Result<Value, Failure> {
        let mut message = json!({"janus": "message", "handle_id": handle, "body": body});
        if let Some(jsep) = jsep {
            message["jsep"] = jsep;
        }
        self.request(message).await
    }
}

fn feeds(data: &Value) -> Vec<u64> {
    data["publishers"]
        .as_array()
        .map(|list| list.iter().filter_map(|p| p["id"].as_u64()).collect())
        .unwrap_or_default()
}

/// Connects, publishes, subscribes to every other feed as it appears, and
/// stays until `stop`.
pub async fn run(
    url: String,
    p: JanusParticipant,
    worker: Arc<Handle>,
    mut stop: watch::Receiver<bool>,
) -> Result<(), Failure> {
    let mut request = url
        .as_str()
        .into_client_request()
        .map_err(|e| format!("{url}: {e}"))?;
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "janus-protocol".parse().expect("static header"),
    );
    let (ws, _) = tokio::time::timeout(JOIN_TIMEOUT, tokio_tungstenite::connect_async(request))
        .await
        .map_err(|_| format!("connecting to {url} timed out"))?
        .map_err(|e| format!("connecting to {url}: {e}"))?;
    let opened_at = Instant::now();
    let mut janus = Janus {
        ws,
        session: 0,
        next_transaction: 0,
        backlog: Vec::new(),
    };
    let created = janus.request(json!({"janus": "create"})).await?;
    janus.session = created["data"]["id"]
        .as_u64()
        .ok_or("create: no session id")?;
    let publisher = janus.attach().await?;
    // The first of a call's participants makes the room; the others get 427.
    let room = json!({"request": "create", "room": p.room, "publishers": 10, "audiocodec": "opus", "videocodec": "vp8",
        "bitrate": 0, "fir_freq": 0, "audiolevel_ext": false, "audiolevel_event": false, "videoorient_ext": false,
        "playoutdelay_ext": false, "transport_wide_cc_ext": true, "notify_joining": false});
    if let Err(why) = janus.message(publisher, room, None).await
        && !why.contains("427")
    {
        return Err(why);
    }
    let joined = janus
        .message(publisher, json!({"request": "join", "ptype": "publisher", "room": p.room, "display": format!("load-{}", p.id)}), None)
        .await?;
    let data = &joined["plugindata"]["data"];
    let private_id = data["private_id"].as_u64();
    let mut pending_feeds: Vec<u64> = feeds(data);

    let (reply_tx, mut replies) = mpsc::unbounded_channel();
    let publisher_peer = p.id * LEGS;
    worker.send(Command::Add {
        id: publisher_peer,
        plan: p.plan,
        opened_at,
        reply: reply_tx.clone(),
    });
    let mut peers = vec![publisher_peer];
    let result = async {
        let offer = match replies.recv().await {
            Some(Reply::Offer(sdp)) => sdp,
            Some(Reply::Failed(why)) => return Err(why),
            _ => return Err("no offer from the publisher peer".into()),
        };
        let configured = janus
            .message(publisher, json!({"request": "configure", "audio": true, "video": true}), Some(json!({"type": "offer", "sdp": offer, "trickle": false})))
            .await?;
        let answer = configured["jsep"]["sdp"].as_str().ok_or("configure: no answer")?.to_owned();
        worker.send(Command::Answer { id: publisher_peer, sdp: answer });
        let mut subscribed: HashSet<u64> = HashSet::new();
        let mut legs = 0usize;
        let mut keepalive = tokio::time::interval(Duration::from_secs(25));
        loop {
            for message in std::mem::take(&mut janus.backlog) {
                pending_feeds.extend(feeds(&message["plugindata"]["data"]));
            }
            for feed in std::mem::take(&mut pending_feeds) {
                if !subscribed.insert(feed) {
                    continue;
                }
                let handle = janus.attach().await?;
                let mut body = json!({"request": "join", "ptype": "subscriber", "room": p.room, "streams": [{"feed": feed}]});
                if let Some(private_id) = private_id {
                    body["private_id"] = json!(private_id);
                }
                let attached = janus.message(handle, body, None).await?;
                let offer = attached["jsep"]["sdp"].as_str().ok_or("subscriber join: no offer")?.to_owned();
                let leg = publisher_peer + 1 + legs;
                legs += 1;
                if legs >= LEGS {
                    return Err("too many feeds in one room".into());
                }
                peers.push(leg);
                // Each leg answers on its own channel, so its answer cannot
                // be taken for another's.
                let (leg_tx, mut leg_rx) = mpsc::unbounded_channel();
                worker.send(Command::AddAnswerer { id: leg, offer, opened_at, reply: leg_tx });
                let answer = match tokio::time::timeout(JOIN_TIMEOUT, leg_rx.recv()).await {
                    Ok(Some(Reply::Answer(sdp))) => sdp,
                    Ok(Some(Reply::Failed(why))) => return Err(why),
                    _ => return Err("no answer from a subscriber peer".into()),
                };
                janus
                    .message(handle, json!({"request": "start"}), Some(json!({"type": "answer", "sdp": answer, "trickle": false})))
                    .await?;
            }
            tokio::select! {
                changed = stop.changed() => {
                    if changed.is_err() || *stop.borrow() {
                        return Ok(());
                    }
                }
                reply = replies.recv() => match reply {
                    Some(Reply::Failed(why)) => return Err(why),
                    Some(_) => {}
                    None => return Err("the media worker stopped".into()),
                },
                message = janus.next() => {
                    let message = message?;
                    if message["janus"] == "timeout" {
                        return Err("janus timed the session out".into());
                    }
                    pending_feeds.extend(feeds(&message["plugindata"]["data"]));
                }
                _ = keepalive.tick() => {
                    janus.send(json!({"janus": "keepalive"})).await?;
                }
            }
        }
    }
    .await;
    for peer in peers {
        worker.send(Command::Remove { id: peer });
    }
    let _ = tokio::time::timeout(Duration::from_secs(2), janus.ws.close(None)).await;
    result
}
