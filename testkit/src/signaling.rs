//! The `/rtc` signaling websocket (docs/signaling.md): connect, `join`,
//! and the messages a participant sends and reads.

use anyhow::bail;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::peer::{RtpCodecKind, published_tracks};

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub async fn connect(url: &str) -> anyhow::Result<Ws> {
    let (ws, _) = tokio_tungstenite::connect_async(url).await?;
    Ok(ws)
}

pub async fn send(ws: &mut Ws, message: &Value) -> anyhow::Result<()> {
    ws.send(Message::text(message.to_string())).await?;
    Ok(())
}

/// The next JSON message; an error when the socket closes.
pub async fn next_json(ws: &mut Ws) -> anyhow::Result<Value> {
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(text))) => return Ok(serde_json::from_str(&text)?),
            Some(Ok(Message::Close(_))) | None => bail!("the server closed signaling"),
            Some(Ok(_)) => continue,
            Some(Err(err)) => return Err(err.into()),
        }
    }
}

/// A parsed text frame, `None` for other frames, an error when closed.
pub fn parse(
    frame: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>,
) -> anyhow::Result<Option<Value>> {
    match frame {
        Some(Ok(Message::Text(text))) => Ok(serde_json::from_str(&text).ok()),
        Some(Ok(Message::Close(_))) | None => bail!("the server closed signaling"),
        Some(Ok(_)) => Ok(None),
        Some(Err(err)) => Err(err.into()),
    }
}

/// Sends `join` (with `room` when the token does not name one) and waits
/// for `joined`, which it returns; an `error` is a refusal.
pub async fn join(ws: &mut Ws, token: &str, room: Option<&str>) -> anyhow::Result<Value> {
    let mut join = json!({"type": "join", "version": 1, "token": token});
    if let Some(room) = room {
        join["room"] = json!(room);
    }
    send(ws, &join).await?;
    loop {
        let message = next_json(ws).await?;
        match message["type"].as_str() {
            Some("joined") => return Ok(message),
            Some("error") => bail!("join refused: {} {}", message["code"], message["message"]),
            _ => {}
        }
    }
}

/// An `offer` with the tracks it publishes.
pub fn offer(sdp: String) -> Value {
    let tracks: Vec<Value> = published_tracks(&sdp)
        .into_iter()
        .map(|(mid, name, kind)| {
            let kind = if kind == RtpCodecKind::Audio {
                "audio"
            } else {
                "video"
            };
            json!({"mid": mid, "name": name, "kind": kind, "enabled": true})
        })
        .collect();
    json!({"type": "offer", "sdp": sdp, "tracks": tracks})
}

pub fn answer(sdp: String) -> Value {
    json!({"type": "answer", "sdp": sdp})
}

pub fn leave() -> Value {
    json!({"type": "leave"})
}

pub fn ping() -> Value {
    json!({"type": "ping", "id": null})
}
