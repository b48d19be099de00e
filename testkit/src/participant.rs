//! A participant as a browser is one: the signaling websocket and a UDP
//! [`Peer`] publishing Opus and VP8, driven by one task. The test sends
//! labelled media ([`crate::media`]) and reads what the server said and
//! sent as [`Seen`] events.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use bytes::Bytes;
use serde_json::Value;
use tokio::net::UdpSocket;
use tokio::sync::{Mutex, mpsc, oneshot, watch};
use tokio_tungstenite::tungstenite::Message;

use crate::peer::{Incoming, Peer, Publish, RtpCodecKind};
use crate::signaling::{self, Ws};
use crate::{media, udp, wait};

/// What a participant saw.
#[derive(Debug, Clone)]
pub enum Seen {
    /// A signaling message, as JSON.
    Signal(Value),
    /// An RTP payload on a received track.
    Rtp { kind: RtpCodecKind, payload: Bytes },
}

enum Command {
    Send { seq: u16, keyframe: bool },
    Leave(oneshot::Sender<()>),
}

pub struct Participant {
    pub identity: String,
    pub sid: String,
    /// Everything seen, in order; `wait_signal` and `collect_media` take
    /// from it.
    pub seen: Mutex<mpsc::UnboundedReceiver<Seen>>,
    commands: mpsc::UnboundedSender<Command>,
    task: tokio::task::JoinHandle<()>,
}

impl Participant {
    /// Joins `ws_url` with `token`, publishes audio and video, and returns
    /// once media is connected.
    pub async fn join(ws_url: &str, token: &str, identity: &str) -> anyhow::Result<Participant> {
        let mut ws = wait::within("connecting", signaling::connect(ws_url)).await??;
        let joined = wait::within("joined", signaling::join(&mut ws, token, None)).await??;
        let sid = joined["participant"]["sid"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let (socket, local) = udp::bind().await?;
        let ssrc_base = rand_ssrc();
        let (peer, offer) =
            Peer::publishing(local, Instant::now(), &Publish::audio_video(ssrc_base))?;
        signaling::send(&mut ws, &signaling::offer(offer)).await?;

        let (seen_tx, seen_rx) = mpsc::unbounded_channel();
        let (commands, commands_rx) = mpsc::unbounded_channel();
        let (connected_tx, mut connected) = watch::channel(false);
        let driver = Driver {
            identity: identity.to_owned(),
            ws,
            socket,
            peer,
            seen: seen_tx,
            connected: connected_tx,
        };
        let task = tokio::spawn(driver.run(commands_rx));
        wait::within("media connected", connected.wait_for(|c| *c))
            .await?
            .map_err(|_| anyhow!("{identity}: signaling or media ended before connecting"))?;
        Ok(Participant {
            identity: identity.to_owned(),
            sid,
            seen: Mutex::new(seen_rx),
            commands,
            task,
        })
    }

    /// Sends `count` audio and video packets whose payloads name the sender
    /// and the sequence number; every 10th video packet starts a keyframe.
    /// Paced at one pair per 10 ms, as a camera would.
    pub async fn send_media(&self, first_seq: u16, count: u16) -> anyhow::Result<()> {
        for i in 0..count {
            let seq = first_seq.wrapping_add(i);
            self.commands
                .send(Command::Send {
                    seq,
                    keyframe: i % 10 == 0,
                })
                .map_err(|_| anyhow!("{}: the participant ended", self.identity))?;
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Ok(())
    }

    /// Waits until a signaling message of `kind` satisfying `check` arrives.
    pub async fn wait_signal(
        &self,
        kind: &str,
        check: impl Fn(&Value) -> bool,
    ) -> anyhow::Result<Value> {
        let mut seen = self.seen.lock().await;
        wait::within(&format!("{}: {kind}", self.identity), async {
            loop {
                match seen.recv().await {
                    Some(Seen::Signal(message)) if message["type"] == kind && check(&message) => {
                        return Ok(message);
                    }
                    Some(_) => {}
                    None => bail!("{}: connection ended waiting for {kind}", self.identity),
                }
            }
        })
        .await?
    }

    /// Collects received media payloads (as text) until `done` says enough.
    pub async fn collect_media(
        &self,
        done: impl Fn(&[(RtpCodecKind, String)]) -> bool,
    ) -> anyhow::Result<Vec<(RtpCodecKind, String)>> {
        let mut seen = self.seen.lock().await;
        let mut got = Vec::new();
        let collected = wait::within("media", async {
            while !done(&got) {
                match seen.recv().await {
                    Some(Seen::Rtp { kind, payload }) => {
                        got.push((kind, media::text(kind, &payload)))
                    }
                    Some(Seen::Signal(_)) => {}
                    None => bail!("{}: ended while collecting media", self.identity),
                }
            }
            Ok(())
        })
        .await;
        match collected {
            Ok(result) => result.map(|()| got),
            Err(_) => bail!(
                "{}: media incomplete after {} s: got {} packets: {:?}",
                self.identity,
                wait::DEADLINE.as_secs(),
                got.len(),
                got.iter().take(5).collect::<Vec<_>>()
            ),
        }
    }

    /// Sends `leave`, closes the websocket and the peer; returns once the
    /// close went out.
    pub async fn leave(self) {
        let (done, left) = oneshot::channel();
        if self.commands.send(Command::Leave(done)).is_ok() {
            let _ = wait::within("leaving", left).await;
        }
        self.task.abort();
    }
}

/// The participant's task: owns the websocket, the socket and the peer.
struct Driver {
    identity: String,
    ws: Ws,
    socket: UdpSocket,
    peer: Peer,
    seen: mpsc::UnboundedSender<Seen>,
    connected: watch::Sender<bool>,
}

enum Wake {
    Datagram(usize, SocketAddr),
    Timer,
    Frame(Option<Result<Message, tokio_tungstenite::tungstenite::Error>>),
    Command(Option<Command>),
}

impl Driver {
    async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        use futures_util::StreamExt;
        let mut buf = vec![0u8; 2048];
        loop {
            udp::flush(&mut self.peer, &self.socket).await;
            self.drain();
            let timer = udp::next_timer(&mut self.peer);
            let wake = tokio::select! {
                received = self.socket.recv_from(&mut buf) => match received {
                    Ok((len, from)) => Wake::Datagram(len, from),
                    Err(_) => Wake::Timer,
                },
                _ = tokio::time::sleep_until(timer) => Wake::Timer,
                frame = self.ws.next() => Wake::Frame(frame),
                command = commands.recv() => Wake::Command(command),
            };
            match wake {
                Wake::Datagram(len, from) => udp::receive(&mut self.peer, from, &buf[..len]),
                Wake::Timer => {}
                Wake::Frame(frame) => match signaling::parse(frame) {
                    Ok(Some(message)) => {
                        if let Err(err) = self.signal(&message).await {
                            eprintln!("{}: {err:#}", self.identity);
                        }
                        let _ = self.seen.send(Seen::Signal(message));
                    }
                    Ok(None) => {}
                    Err(_) => return,
                },
                Wake::Command(Some(Command::Send { seq, keyframe })) => self.send(seq, keyframe),
                Wake::Command(Some(Command::Leave(done))) => {
                    let _ = signaling::send(&mut self.ws, &signaling::leave()).await;
                    let _ = self.ws.close(None).await;
                    self.peer.close();
                    udp::flush(&mut self.peer, &self.socket).await;
                    let _ = done.send(());
                    return;
                }
                Wake::Command(None) => return,
            }
            udp::fire(&mut self.peer);
        }
    }

    /// Offers and answers from the server go to the peer.
    async fn signal(&mut self, message: &Value) -> anyhow::Result<()> {
        let sdp = || message["sdp"].as_str().unwrap_or_default().to_owned();
        match message["type"].as_str() {
            Some("answer") => self
                .peer
                .apply_answer(Instant::now(), sdp())
                .context("applying the answer"),
            Some("offer") => {
                let answer = self
                    .peer
                    .answer_offer(Instant::now(), sdp())
                    .context("answering a server offer")?;
                signaling::send(&mut self.ws, &signaling::answer(answer)).await
            }
            _ => Ok(()),
        }
    }

    fn send(&mut self, seq: u16, keyframe: bool) {
        media::send_pair(
            &mut self.peer,
            Instant::now(),
            &self.identity,
            seq,
            keyframe,
            None,
        );
    }

    fn drain(&mut self) {
        while let Some(incoming) = self.peer.poll_incoming() {
            if let Incoming::Rtp { track_id, packet } = incoming {
                let kind = self.peer.track_kind(&track_id);
                let _ = self.seen.send(Seen::Rtp {
                    kind,
                    payload: packet.payload,
                });
            }
        }
        if self.peer.connected && !*self.connected.borrow() {
            let _ = self.connected.send(true);
        }
    }
}

fn rand_ssrc() -> u32 {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .subsec_nanos();
    nanos.wrapping_mul(2_654_435_761) | 1
}
