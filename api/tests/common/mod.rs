//! A test participant built on the `webrtc` crate: joins through the real
//! signaling websocket and media port, publishes synthetic Opus and VP8, and
//! records what it receives.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use rtc::ice::mdns::MulticastDnsMode;
use rtc::ice::network_type::NetworkType;
use rtc::peer_connection::configuration::media_engine::{MIME_TYPE_OPUS, MIME_TYPE_VP8};
use rtc::rtp_transceiver::rtp_sender::{
    RTCRtpCodec, RTCRtpCodingParameters, RTCRtpEncodingParameters, RtpCodecKind,
};
use serde_json::{Value, json};
use tokio::sync::{Mutex, mpsc, watch};
use tokio_tungstenite::tungstenite::Message;
use webrtc::media_stream::MediaStreamTrack;
use webrtc::media_stream::track_local::TrackLocal;
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;
use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};
use webrtc::peer_connection::{
    MediaEngine, PeerConnection, PeerConnectionBuilder, PeerConnectionEventHandler,
    RTCConfigurationBuilder, RTCIceGatheringState, RTCPeerConnectionState, RTCSessionDescription,
    Registry, SettingEngineBuilder, register_default_interceptors,
};
use webrtc::runtime::TokioRuntime;

/// Starts Confide in-process on ephemeral ports with a fresh data folder.
/// A data folder removed when dropped, even when the test panicked.
pub struct TempDir(pub std::path::PathBuf);

impl AsRef<std::path::Path> for TempDir {
    fn as_ref(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub async fn start_server(max_participants: usize) -> (api::server::Running, TempDir) {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let data_dir = std::env::temp_dir().join(format!("confide-test-{}", rand::random::<u64>()));
    let mut config = api::config::Config::default();
    config.http.listen = "127.0.0.1:0".parse().unwrap();
    config.media.listen = "127.0.0.1:0".parse().unwrap();
    config.media.max_participants_per_room = max_participants;
    config.data_dir = data_dir.clone();
    let running = api::server::start(config).await.expect("server starts");
    (running, TempDir(data_dir))
}

/// A token from the server's own key, issued at `issued`, valid `ttl` s.
pub fn token_with(
    running: &api::server::Running,
    identity: &str,
    room: &str,
    ttl: u64,
    issued: u64,
) -> String {
    signaling::token::mint(
        &running.credentials.account_sid,
        &running.credentials.api_key(),
        identity,
        Some(room),
        ttl,
        issued,
    )
}

/// A token valid for ten minutes from now.
pub fn token(running: &api::server::Running, identity: &str, room: &str) -> String {
    token_with(running, identity, room, 600, signaling::token::unix_now())
}

/// What a test participant saw.
#[derive(Debug, Clone)]
pub enum Seen {
    Signal(Value),
    Rtp { kind: RtpCodecKind, payload: Bytes },
}

struct Handler {
    state: watch::Sender<RTCPeerConnectionState>,
    gathered: watch::Sender<bool>,
    seen: mpsc::UnboundedSender<Seen>,
}

#[async_trait::async_trait]
impl PeerConnectionEventHandler for Handler {
    async fn on_ice_gathering_state_change(&self, state: RTCIceGatheringState) {
        if state == RTCIceGatheringState::Complete {
            let _ = self.gathered.send(true);
        }
    }
    async fn on_connection_state_change(&self, state: RTCPeerConnectionState) {
        let _ = self.state.send(state);
    }
    async fn on_track(&self, track: Arc<dyn TrackRemote>) {
        let seen = self.seen.clone();
        tokio::spawn(async move {
            let kind = track.kind().await;
            while let Some(event) = track.poll().await {
                match event {
                    TrackRemoteEvent::OnRtpPacket(packet) => {
                        let _ = seen.send(Seen::Rtp {
                            kind,
                            payload: packet.payload,
                        });
                    }
                    TrackRemoteEvent::OnEnded => break,
                    _ => {}
                }
            }
        });
    }
}

pub struct Participant {
    pub identity: String,
    pub sid: String,
    pc: Arc<dyn PeerConnection>,
    audio: Arc<TrackLocalStaticRTP>,
    video: Arc<TrackLocalStaticRTP>,
    audio_ssrc: u32,
    video_ssrc: u32,
    state: watch::Receiver<RTCPeerConnectionState>,
    pub seen: Mutex<mpsc::UnboundedReceiver<Seen>>,
    outgoing: mpsc::UnboundedSender<Message>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

fn local_track(
    kind: RtpCodecKind,
    mime: &str,
    clock_rate: u32,
    channels: u16,
    ssrc: u32,
    id: &str,
) -> Arc<TrackLocalStaticRTP> {
    Arc::new(TrackLocalStaticRTP::new(MediaStreamTrack::new(
        "test-stream".to_owned(),
        id.to_owned(),
        id.to_owned(),
        kind,
        vec![RTCRtpEncodingParameters {
            rtp_coding_parameters: RTCRtpCodingParameters {
                ssrc: Some(ssrc),
                ..Default::default()
            },
            codec: RTCRtpCodec {
                mime_type: mime.to_owned(),
                clock_rate,
                channels,
                sdp_fmtp_line: String::new(),
                rtcp_feedback: vec![],
            },
            ..Default::default()
        }],
    )))
}

impl Participant {
    /// Joins `ws_url` with `token`, publishes audio and video, and waits
    /// until media is connected.
    pub async fn join(ws_url: &str, token: &str, identity: &str) -> anyhow::Result<Participant> {
        let (ws, _) = tokio_tungstenite::connect_async(ws_url).await?;
        let (mut ws_tx, mut ws_rx) = ws.split();
        ws_tx
            .send(Message::Text(
                json!({"type": "join", "version": 1, "token": token})
                    .to_string()
                    .into(),
            ))
            .await?;
        let joined = next_json(&mut ws_rx).await?;
        if joined["type"] != "joined" {
            bail!("join refused: {joined}");
        }
        let sid = joined["participant"]["sid"]
            .as_str()
            .unwrap_or_default()
            .to_owned();

        let mut media_engine = MediaEngine::default();
        media_engine.register_default_codecs()?;
        let registry = register_default_interceptors(Registry::new(), &mut media_engine)?;
        let settings = SettingEngineBuilder::new()
            .with_multicast_dns_mode(MulticastDnsMode::Disabled)
            .with_network_types(vec![NetworkType::Udp4])
            .build();
        let (state_tx, state_rx) = watch::channel(RTCPeerConnectionState::New);
        let (gathered_tx, mut gathered_rx) = watch::channel(false);
        let (seen_tx, seen_rx) = mpsc::unbounded_channel();
        let pc = PeerConnectionBuilder::new()
            .with_configuration(RTCConfigurationBuilder::new().build())
            .with_media_engine(media_engine)
            .with_interceptor_registry(registry)
            .with_setting_engine(settings)
            .with_runtime(Arc::new(TokioRuntime))
            .with_handler(Arc::new(Handler {
                state: state_tx,
                gathered: gathered_tx,
                seen: seen_tx.clone(),
            }))
            .with_udp_addrs(vec!["127.0.0.1:0"])
            .build()
            .await?;
        let pc: Arc<dyn PeerConnection> = Arc::new(pc);
        let audio_ssrc = rand_ssrc();
        let video_ssrc = rand_ssrc();
        let audio = local_track(
            RtpCodecKind::Audio,
            MIME_TYPE_OPUS,
            48_000,
            2,
            audio_ssrc,
            "mic",
        );
        let video = local_track(
            RtpCodecKind::Video,
            MIME_TYPE_VP8,
            90_000,
            0,
            video_ssrc,
            "camera",
        );
        pc.add_track(audio.clone() as Arc<dyn TrackLocal>).await?;
        pc.add_track(video.clone() as Arc<dyn TrackLocal>).await?;

        let offer = pc.create_offer(None).await?;
        pc.set_local_description(offer).await?;
        tokio::time::timeout(Duration::from_secs(5), gathered_rx.wait_for(|g| *g)).await??;
        let offer = pc
            .local_description()
            .await
            .context("no local description")?;
        let mids = mids_by_kind(&offer.sdp);
        let tracks: Vec<Value> = mids
            .iter()
            .map(|(mid, kind)| {
                json!({"mid": mid, "name": if kind == "audio" {"mic"} else {"camera"}, "kind": kind})
            })
            .collect();
        ws_tx
            .send(Message::Text(
                json!({"type": "offer", "sdp": offer.sdp, "tracks": tracks})
                    .to_string()
                    .into(),
            ))
            .await?;

        // Websocket writer, fed by a channel so both the test and the reader
        // task can send.
        let (outgoing, mut outgoing_rx) = mpsc::unbounded_channel::<Message>();
        let writer = tokio::spawn(async move {
            while let Some(message) = outgoing_rx.recv().await {
                if ws_tx.send(message).await.is_err() {
                    break;
                }
            }
            let _ = ws_tx.close().await;
        });
        let reader_pc = pc.clone();
        let reader_out = outgoing.clone();
        let reader = tokio::spawn(async move {
            while let Ok(message) = next_json(&mut ws_rx).await {
                match message["type"].as_str() {
                    Some("answer") => {
                        let sdp = message["sdp"].as_str().unwrap_or_default().to_owned();
                        if let Ok(answer) = RTCSessionDescription::answer(sdp)
                            && let Err(err) = reader_pc.set_remote_description(answer).await
                        {
                            eprintln!("applying answer failed: {err}");
                        }
                    }
                    Some("offer") => {
                        let sdp = message["sdp"].as_str().unwrap_or_default().to_owned();
                        match answer_offer(&reader_pc, sdp).await {
                            Ok(answer) => {
                                let _ = reader_out.send(Message::Text(
                                    json!({"type": "answer", "sdp": answer}).to_string().into(),
                                ));
                            }
                            Err(err) => eprintln!("answering a server offer failed: {err}"),
                        }
                    }
                    _ => {}
                }
                let _ = seen_tx.send(Seen::Signal(message));
            }
        });

        let participant = Participant {
            identity: identity.to_owned(),
            sid,
            pc,
            audio,
            video,
            audio_ssrc,
            video_ssrc,
            state: state_rx,
            seen: Mutex::new(seen_rx),
            outgoing,
            tasks: vec![writer, reader],
        };
        let mut state = participant.state.clone();
        tokio::time::timeout(
            Duration::from_secs(15),
            state.wait_for(|s| *s == RTCPeerConnectionState::Connected),
        )
        .await
        .map_err(|_| anyhow!("{identity}: media did not connect"))??;
        Ok(participant)
    }

    /// Sends `count` audio and video packets whose payloads name the sender
    /// and the sequence number; every 10th video packet starts a keyframe.
    pub async fn send_media(&self, first_seq: u16, count: u16) -> anyhow::Result<()> {
        let audio_pt = payload_type(&self.pc, MIME_TYPE_OPUS).await?;
        let video_pt = payload_type(&self.pc, MIME_TYPE_VP8).await?;
        for i in 0..count {
            let seq = first_seq.wrapping_add(i);
            let mut video_payload = vec![0x10, if i % 10 == 0 { 0x00 } else { 0x01 }, 0x9d];
            video_payload.extend_from_slice(format!("{}-video-{seq}", self.identity).as_bytes());
            let audio_payload = format!("{}-audio-{seq}", self.identity).into_bytes();
            self.video
                .write_rtp(packet(
                    video_pt,
                    seq,
                    seq as u32 * 3000,
                    self.video_ssrc,
                    video_payload,
                ))
                .await?;
            self.audio
                .write_rtp(packet(
                    audio_pt,
                    seq,
                    seq as u32 * 960,
                    self.audio_ssrc,
                    audio_payload,
                ))
                .await?;
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
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            match tokio::time::timeout_at(deadline, seen.recv()).await {
                Ok(Some(Seen::Signal(message))) if message["type"] == kind && check(&message) => {
                    return Ok(message);
                }
                Ok(Some(_)) => {}
                Ok(None) => bail!("{}: connection ended waiting for {kind}", self.identity),
                Err(_) => bail!("{}: no {kind} within 20 s", self.identity),
            }
        }
    }

    /// Collects received media payloads (as text) until `done` says enough.
    pub async fn collect_media(
        &self,
        done: impl Fn(&[(RtpCodecKind, String)]) -> bool,
    ) -> anyhow::Result<Vec<(RtpCodecKind, String)>> {
        let mut seen = self.seen.lock().await;
        let mut got = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while !done(&got) {
            match tokio::time::timeout_at(deadline, seen.recv()).await {
                Ok(Some(Seen::Rtp { kind, payload })) => {
                    let text = match kind {
                        RtpCodecKind::Video => {
                            String::from_utf8_lossy(&payload[3.min(payload.len())..]).into_owned()
                        }
                        _ => String::from_utf8_lossy(&payload).into_owned(),
                    };
                    got.push((kind, text));
                }
                Ok(Some(Seen::Signal(_))) => {}
                Ok(None) => bail!("{}: ended while collecting media", self.identity),
                Err(_) => bail!(
                    "{}: media incomplete after 20 s: got {} packets: {:?}",
                    self.identity,
                    got.len(),
                    got.iter().take(5).collect::<Vec<_>>()
                ),
            }
        }
        Ok(got)
    }

    pub async fn leave(self) {
        let _ = self
            .outgoing
            .send(Message::Text(json!({"type": "leave"}).to_string().into()));
        let _ = self.outgoing.send(Message::Close(None));
        tokio::time::sleep(Duration::from_millis(50)).await;
        let _ = self.pc.close().await;
        for task in self.tasks {
            task.abort();
        }
    }
}

async fn answer_offer(pc: &Arc<dyn PeerConnection>, sdp: String) -> anyhow::Result<String> {
    pc.set_remote_description(RTCSessionDescription::offer(sdp)?)
        .await?;
    let answer = pc.create_answer(None).await?;
    pc.set_local_description(answer).await?;
    Ok(pc
        .local_description()
        .await
        .context("no local description")?
        .sdp)
}

async fn payload_type(pc: &Arc<dyn PeerConnection>, mime: &str) -> anyhow::Result<u8> {
    for sender in pc.get_senders().await {
        if let Ok(params) = sender.get_parameters().await
            && let Some(codec) = params
                .rtp_parameters
                .codecs
                .iter()
                .find(|c| c.rtp_codec.mime_type.eq_ignore_ascii_case(mime))
        {
            return Ok(codec.payload_type);
        }
    }
    bail!("{mime} not negotiated")
}

fn packet(
    payload_type: u8,
    seq: u16,
    timestamp: u32,
    ssrc: u32,
    payload: Vec<u8>,
) -> rtc::rtp::Packet {
    rtc::rtp::Packet {
        header: rtc::rtp::Header {
            version: 2,
            marker: true,
            payload_type,
            sequence_number: seq,
            timestamp,
            ssrc,
            ..Default::default()
        },
        payload: Bytes::from(payload),
    }
}

fn rand_ssrc() -> u32 {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    nanos.wrapping_mul(2_654_435_761) | 1
}

/// (mid, kind) of each m-line in an SDP.
pub fn mids_by_kind(sdp: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut kind = None;
    for line in sdp.lines() {
        if let Some(rest) = line.strip_prefix("m=") {
            kind = rest.split(' ').next().map(str::to_owned);
        } else if let Some(mid) = line.strip_prefix("a=mid:")
            && let Some(kind) = &kind
        {
            out.push((mid.trim().to_owned(), kind.clone()));
        }
    }
    out
}

async fn next_json<S>(ws_rx: &mut S) -> anyhow::Result<Value>
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        match ws_rx.next().await {
            Some(Ok(Message::Text(text))) => return Ok(serde_json::from_str(&text)?),
            Some(Ok(Message::Close(_))) | None => bail!("websocket closed"),
            Some(Ok(_)) => continue,
            Some(Err(err)) => return Err(err.into()),
        }
    }
}
