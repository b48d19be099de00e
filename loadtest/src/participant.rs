//! A participant's signaling: the websocket to `/rtc`, `join`, then offers
//! and answers relayed between the server and the participant's peer on a
//! media worker. One small async task per participant: signaling is a
//! handful of messages per call, never per packet.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use testkit::signaling;
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

use crate::peer::MediaPlan;
use crate::worker::{Command, Handle, Reply};

/// How long connecting and joining may take.
pub const JOIN_TIMEOUT: Duration = Duration::from_secs(10);

/// One simulated participant.
pub struct Participant {
    pub id: usize,
    pub room: String,
    pub token: String,
    pub plan: MediaPlan,
}

/// Why a participant could not take part (a clear message for the report).
pub type Failure = String;

/// Joins, runs until `stop` turns true, leaves. Errors end the participant
/// (the report counts them); they never hang: every wait has a timeout.
pub async fn run(
    url: String,
    participant: Participant,
    worker: Arc<Handle>,
    mut stop: watch::Receiver<bool>,
) -> Result<(), Failure> {
    let mut ws = tokio::time::timeout(JOIN_TIMEOUT, signaling::connect(&url))
        .await
        .map_err(|_| format!("connecting to {url} timed out"))?
        .map_err(|e| format!("connecting to {url}: {e}"))?;
    let opened_at = Instant::now();
    tokio::time::timeout(
        JOIN_TIMEOUT,
        signaling::join(&mut ws, &participant.token, Some(&participant.room)),
    )
    .await
    .map_err(|_| "no joined within 10 s".to_owned())?
    .map_err(|e| format!("{e:#}"))?;

    let (reply_tx, mut replies) = tokio::sync::mpsc::unbounded_channel();
    let id = participant.id;
    worker.send(Command::Add {
        id,
        plan: participant.plan,
        opened_at,
        reply: reply_tx,
    });
    let result = relay(&mut ws, &worker, id, &mut replies, &mut stop).await;
    worker.send(Command::Remove { id });
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        let _ = signaling::send(&mut ws, &signaling::leave()).await;
        let _ = ws.close(None).await;
    })
    .await;
    result
}

async fn relay<S>(
    ws: &mut tokio_tungstenite::WebSocketStream<S>,
    worker: &Handle,
    id: usize,
    replies: &mut tokio::sync::mpsc::UnboundedReceiver<Reply>,
    stop: &mut watch::Receiver<bool>,
) -> Result<(), Failure>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut keepalive = tokio::time::interval(Duration::from_secs(15));
    loop {
        tokio::select! {
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    return Ok(());
                }
            }
            reply = replies.recv() => {
                let message = match reply {
                    Some(Reply::Offer(sdp)) => signaling::offer(sdp),
                    Some(Reply::Answer(sdp)) => signaling::answer(sdp),
                    Some(Reply::Failed(why)) => return Err(why),
                    None => return Err("the media worker stopped".into()),
                };
                ws.send(Message::text(message.to_string())).await.map_err(|e| format!("signaling: {e}"))?;
            }
            frame = ws.next() => {
                let text = match frame {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Close(_))) | None => return Err("the server closed signaling".into()),
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => return Err(format!("signaling: {e}")),
                };
                let Ok(msg) = serde_json::from_str::<Value>(&text) else {
                    continue;
                };
                match msg["type"].as_str() {
                    Some("answer") => worker.send(Command::Answer { id, sdp: msg["sdp"].as_str().unwrap_or_default().to_owned() }),
                    Some("offer") => worker.send(Command::Offer { id, sdp: msg["sdp"].as_str().unwrap_or_default().to_owned() }),
                    Some("error") if msg["fatal"] == true => {
                        return Err(format!("server error {}: {}", msg["code"], msg["message"]));
                    }
                    _ => {}
                }
            }
            _ = keepalive.tick() => {
                ws.send(Message::text(signaling::ping().to_string())).await.map_err(|e| format!("signaling: {e}"))?;
            }
        }
    }
}
