//! How every peer connection is created and configured: ICE-lite with our
//! credentials and host candidates ([`EnginePeer::new`]), codecs, header
//! extensions (the Dependency Descriptor only where we receive) and the
//! interceptor chain, including [`DeliverFeedback`],
//! which hands PLI, FIR and NACK to the SFU (`rtc` drops inbound RTCP at the
//! end of its chain unless a packet is marked for the application).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use rtc::interceptor::{
    Attribute, AttributedPacket, CongestionControlBuilder, Interceptor, NackGeneratorBuilder,
    Packet as InterceptorPacket, ReceiverReportBuilder, Registry, SenderReportBuilder, Slot,
    StreamInfo, TaggedPacket, TwccReceiverBuilder, TwccSenderBuilder,
};
use rtc::peer_connection::RTCPeerConnectionBuilder;
use rtc::peer_connection::configuration::RTCConfigurationBuilder;
use rtc::peer_connection::configuration::media_engine::{
    MIME_TYPE_H264, MIME_TYPE_OPUS, MIME_TYPE_VP8, MediaEngine,
};
use rtc::peer_connection::configuration::setting_engine::SettingEngineBuilder;
use rtc::rtcp::payload_feedbacks::full_intra_request::FullIntraRequest;
use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtc::rtcp::receiver_report::ReceiverReport;
use rtc::rtcp::sender_report::SenderReport;
use rtc::rtcp::transport_feedbacks::transport_layer_nack::TransportLayerNack;
use rtc::rtp_transceiver::RTCRtpTransceiverDirection;
use rtc::rtp_transceiver::rtp_sender::{
    RTCPFeedback, RTCRtpCodec, RTCRtpCodecParameters, RTCRtpHeaderExtensionCapability, RtpCodecKind,
};
use rtc::sansio::Protocol;
use rtc::shared::error::Error as RtcError;
use rtc::shared::time::SystemInstant;
use rustc_hash::FxHashMap;

use super::DownlinkFigures;
use super::bandwidth::{DownlinkEstimator, WithRepairFlows};
use super::candidate::{TcpType, host_candidate, tcp_candidate};
use super::{EngineError, EnginePeer, PeerSettings};
use crate::forward::dependency_descriptor::DEPENDENCY_DESCRIPTOR_URI;

impl EnginePeer {
    pub fn new(now: Instant, settings: &PeerSettings) -> Result<Self, EngineError> {
        let media_engine = media_engine()?;
        let downlink = Arc::new(DownlinkFigures::default());
        // The send leg needs the receive leg: they share the feedback tick
        // (our SRs ride with our RRs) and the peer's address.
        let fast_send = settings.fast_send;
        let fast_receive = settings.fast_receive || fast_send;
        let registry = interceptors(downlink.clone(), fast_receive, fast_send);
        let setting_engine = SettingEngineBuilder::new()
            .with_lite(true)
            .with_ice_credentials(settings.ice_ufrag.clone(), settings.ice_pwd.clone())
            .with_ice_timeouts(
                Some(settings.ice_disconnected_after),
                Some(settings.ice_failed_after),
                None,
            )
            .build();
        let mut pc = RTCPeerConnectionBuilder::new()
            .with_configuration(RTCConfigurationBuilder::new().build())
            .with_media_engine(media_engine)
            .with_setting_engine(setting_engine)
            .with_interceptor_registry(registry)
            .build(now)?;
        let mut candidates = Vec::new();
        for &addr in &settings.candidates {
            let init = host_candidate(addr)?;
            pc.add_local_candidate(init.clone())?;
            candidates.push(init);
        }
        for &addr in &settings.tcp_candidates {
            let init = tcp_candidate(addr, TcpType::Passive)?;
            pc.add_local_candidate(init.clone())?;
            candidates.push(init);
        }
        Ok(Self {
            pc: super::connection::EngineConnection::new(pc),
            candidates,
            senders: FxHashMap::default(),
            incoming: FxHashMap::default(),
            events: VecDeque::new(),
            media: VecDeque::new(),
            connected: false,
            ntp_clock: SystemInstant::now(now),
            last_input: now,
            just_drained: false,
            downlink: downlink.clone(),
            own_channels: Default::default(),
            fast: fast_receive.then(|| {
                super::fast::FastPath::new(
                    fast_send.then(|| super::fast_send::SendLeg::new(downlink.clone())),
                )
            }),
        })
    }
}

pub(super) use rtc::sdp::extmap::{AUDIO_LEVEL_URI, TRANSPORT_CC_URI};
use rtc::sdp::extmap::{SDES_MID_URI, SDES_RTP_STREAM_ID_URI};

/// NACK generator (lost upstream packets), TWCC feedback (the browser's
/// congestion control), receiver and sender reports, and our feedback
/// marker last. No NACK responder: the forwarder answers NACKs. On our
/// sending leg, TWCC numbering and the congestion controller whose
/// estimate is published to `downlink` (`bandwidth`); no pacer, which
/// would hold forwarded packets inside the engine. With the fast receive
/// leg (`fast`), the receive-side three are ours, not `rtc`'s: it sees
/// only a track's first packets, and would report on those alone. With
/// the fast send leg (`fast_send`), so are the TWCC numbering, the
/// congestion controller and the sender reports: it sees only the packets
/// sent before the peer's address was known.
pub(super) fn interceptors(
    downlink: Arc<DownlinkFigures>,
    fast_receive: bool,
    fast_send: bool,
) -> Registry {
    let registry = Registry::new();
    let registry = if fast_send {
        // `fast_send` numbers, records and estimates, and writes our SRs.
        registry
    } else {
        registry
            .with(
                Slot::CongestionControl,
                WithRepairFlows(
                    CongestionControlBuilder::new(DownlinkEstimator::new(downlink)).build(),
                ),
            )
            .with(
                Slot::TwccSender,
                WithRepairFlows(TwccSenderBuilder::new().build()),
            )
            .with(Slot::SenderReport, SenderReportBuilder::new().build())
    };
    let registry = if fast_receive {
        registry
    } else {
        registry
            .with(Slot::NackGenerator, NackGeneratorBuilder::new().build())
            .with(Slot::TwccReceiver, TwccReceiverBuilder::new().build())
            .with(Slot::ReceiverReport, ReceiverReportBuilder::new().build())
    };
    registry.with(Slot::from(14_000), DeliverFeedback::default())
}

fn feedback() -> Vec<RTCPFeedback> {
    [
        ("nack", ""),
        ("nack", "pli"),
        ("ccm", "fir"),
        ("transport-cc", ""),
        // A publisher's congestion control honours our REMB as a cap.
        ("goog-remb", ""),
    ]
    .into_iter()
    .map(|(typ, parameter)| RTCPFeedback {
        typ: typ.to_owned(),
        parameter: parameter.to_owned(),
    })
    .collect()
}

/// Our parameters for a codec, by MIME type.
pub(super) fn codec(mime_type: &str) -> Option<RTCRtpCodecParameters> {
    [opus(), vp8(), h264()]
        .into_iter()
        .find(|c| c.rtp_codec.mime_type.eq_ignore_ascii_case(mime_type))
}

const MIME_TYPE_RTX: &str = "video/rtx";

/// The RTX (RFC 4588) format repairing the video format `apt`.
fn rtx(payload_type: u8, apt: u8) -> RTCRtpCodecParameters {
    RTCRtpCodecParameters {
        rtp_codec: RTCRtpCodec {
            mime_type: MIME_TYPE_RTX.to_owned(),
            clock_rate: 90_000,
            channels: 0,
            sdp_fmtp_line: format!("apt={apt}"),
            rtcp_feedback: Vec::new(),
        },
        payload_type,
    }
}

/// What we ask of an Opus sender. In-band FEC carries a low-rate copy of
/// the previous frame, so one lost packet is rebuilt instead of concealed;
/// DTX sends a comfort-noise frame every 400 ms in silence instead of 50 a
/// second (half of a therapy session is one side listening).
const OPUS_FMTP: &str = "minptime=10;useinbandfec=1;usedtx=1";

/// Our SDP with our Opus receive preferences on every Opus format.
///
/// Opus `fmtp` parameters say what the side that writes them prefers to
/// receive (RFC 7587 §7.1), and a browser sets its encoder from the ones
/// in its remote description. `rtc` writes back the remote's own
/// parameters for a codec both sides have (a browser offers
/// `minptime=10;useinbandfec=1`), so ours are put in here, on the SDP we
/// send; `rtc` needs no fmtp of its own, as it does not decode.
pub(super) fn with_opus_preferences(sdp: &str) -> String {
    let opus: Vec<String> = sdp
        .lines()
        .filter_map(|l| {
            let (pt, encoding) = l.strip_prefix("a=rtpmap:")?.split_once(' ')?;
            encoding
                .to_ascii_lowercase()
                .starts_with("opus/")
                .then(|| format!("a=fmtp:{pt} "))
        })
        .collect();
    let mut out = String::with_capacity(sdp.len() + 16 * opus.len());
    for line in sdp.split_inclusive('\n') {
        match opus.iter().find(|prefix| line.starts_with(prefix.as_str())) {
            Some(prefix) => {
                let body = line.trim_end_matches(['\r', '\n']);
                let ending = &line[body.len()..];
                let mut params: Vec<&str> = body[prefix.len()..]
                    .split(';')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .collect();
                // Ours replace whatever `rtc` echoed under the same names.
                for wanted in OPUS_FMTP.split(';') {
                    let name = wanted.split('=').next().unwrap_or(wanted);
                    params.retain(|p| p.split('=').next() != Some(name));
                    params.push(wanted);
                }
                out.push_str(prefix);
                out.push_str(&params.join(";"));
                out.push_str(ending);
            }
            None => out.push_str(line),
        }
    }
    out
}

/// Our SDP without RTX in the m-sections where we receive simulcast.
///
/// A browser sends a simulcast layer's retransmissions on an RTX flow it
/// names only by the `repaired-rid` extension, and `rtc` 0.21 drops those
/// (a TODO in its `bind_by_rid`): every repair would be lost. Without RTX
/// in our answer the browser resends on the layer's own SSRC, which `rtc`
/// takes like any packet. Elsewhere RTX stays.
pub(super) fn without_rtx_where_simulcast(sdp: &str) -> String {
    let mut out = String::with_capacity(sdp.len());
    let mut section: Vec<&str> = Vec::new();
    let flush = |section: &mut Vec<&str>, out: &mut String| {
        let simulcast = section.iter().any(|l| l.starts_with("a=simulcast:recv"));
        if !simulcast {
            section.drain(..).for_each(|l| out.push_str(l));
            return;
        }
        let rtx: Vec<String> = section
            .iter()
            .filter_map(|l| {
                let (pt, encoding) = l.strip_prefix("a=rtpmap:")?.split_once(' ')?;
                encoding
                    .to_ascii_lowercase()
                    .starts_with("rtx/")
                    .then(|| pt.to_owned())
            })
            .collect();
        for line in section.drain(..) {
            let body = line.trim_end_matches(['\r', '\n']);
            let names_rtx = |prefix: &str| {
                body.strip_prefix(prefix)
                    .and_then(|rest| rest.split([' ', ':']).next())
                    .is_some_and(|pt| rtx.iter().any(|r| r == pt))
            };
            if names_rtx("a=rtpmap:") || names_rtx("a=fmtp:") || names_rtx("a=rtcp-fb:") {
                continue;
            }
            if body.starts_with("m=") {
                let ending = &line[body.len()..];
                let kept: Vec<&str> = body
                    .split(' ')
                    .enumerate()
                    .filter(|(i, field)| *i < 3 || !rtx.iter().any(|r| r == field))
                    .map(|(_, field)| field)
                    .collect();
                out.push_str(&kept.join(" "));
                out.push_str(ending);
            } else {
                out.push_str(line);
            }
        }
    };
    for line in sdp.split_inclusive('\n') {
        if line.starts_with("m=") {
            flush(&mut section, &mut out);
        }
        section.push(line);
    }
    flush(&mut section, &mut out);
    out
}

fn opus() -> RTCRtpCodecParameters {
    RTCRtpCodecParameters {
        rtp_codec: RTCRtpCodec {
            mime_type: MIME_TYPE_OPUS.to_owned(),
            clock_rate: 48_000,
            channels: 2,
            sdp_fmtp_line: OPUS_FMTP.to_owned(),
            rtcp_feedback: vec![RTCPFeedback {
                typ: "transport-cc".to_owned(),
                parameter: String::new(),
            }],
        },
        payload_type: 111,
    }
}

fn vp8() -> RTCRtpCodecParameters {
    RTCRtpCodecParameters {
        rtp_codec: RTCRtpCodec {
            mime_type: MIME_TYPE_VP8.to_owned(),
            clock_rate: 90_000,
            channels: 0,
            sdp_fmtp_line: String::new(),
            rtcp_feedback: feedback(),
        },
        payload_type: 96,
    }
}

fn h264() -> RTCRtpCodecParameters {
    RTCRtpCodecParameters {
        rtp_codec: RTCRtpCodec {
            mime_type: MIME_TYPE_H264.to_owned(),
            clock_rate: 90_000,
            channels: 0,
            sdp_fmtp_line: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"
                .to_owned(),
            rtcp_feedback: feedback(),
        },
        payload_type: 102,
    }
}

/// Opus for audio; VP8 first and H.264 when the browser offers it, each
/// with its RTX format, and transport-cc and audio-level extensions.
///
/// With RTX negotiated, a publisher answers our NACKs on its repair SSRC
/// (`rtc` unwraps those into the original stream), and each of our video
/// senders gets a repair SSRC of its own (`a=ssrc-group:FID`) on which the
/// forwarder answers a subscriber's NACKs: the subscriber can tell a
/// retransmission from a late packet, and its bandwidth estimate counts it
/// as repair, not as media. A peer that declines RTX gets retransmissions
/// on the original SSRC instead.
///
/// Simulcast needs the `mid` and `rid` extensions on video: a browser
/// names no SSRCs for its layers, and `rtc` binds each layer by them.
/// (Not `repaired-rid`: see [`without_rtx_where_simulcast`].)
///
/// The AV1 Dependency Descriptor is accepted on video we receive, for any
/// codec: it says where keyframes start when the payload is end-to-end
/// encrypted (`read`). Only where we receive: forwarded packets get
/// headers of our own (`senders`), and a descriptor copied through would
/// carry the publisher's frame numbers and structures across our layer
/// switches, so none is offered on our sending m-lines.
pub(super) fn media_engine() -> Result<MediaEngine, EngineError> {
    let mut engine = MediaEngine::default();
    engine.register_codec(opus(), RtpCodecKind::Audio)?;
    engine.register_codec(vp8(), RtpCodecKind::Video)?;
    engine.register_codec(rtx(97, 96), RtpCodecKind::Video)?;
    engine.register_codec(h264(), RtpCodecKind::Video)?;
    engine.register_codec(rtx(103, 102), RtpCodecKind::Video)?;
    // Extensions after codecs (feedback only attaches to known codecs).
    for kind in [RtpCodecKind::Audio, RtpCodecKind::Video] {
        engine.register_header_extension(
            RTCRtpHeaderExtensionCapability {
                uri: TRANSPORT_CC_URI.to_owned(),
            },
            kind,
            None,
        )?;
    }
    engine.register_header_extension(
        RTCRtpHeaderExtensionCapability {
            uri: AUDIO_LEVEL_URI.to_owned(),
        },
        RtpCodecKind::Audio,
        None,
    )?;
    for uri in [SDES_MID_URI, SDES_RTP_STREAM_ID_URI] {
        engine.register_header_extension(
            RTCRtpHeaderExtensionCapability {
                uri: uri.to_owned(),
            },
            RtpCodecKind::Video,
            None,
        )?;
    }
    engine.register_header_extension(
        RTCRtpHeaderExtensionCapability {
            uri: DEPENDENCY_DESCRIPTOR_URI.to_owned(),
        },
        RtpCodecKind::Video,
        Some(RTCRtpTransceiverDirection::Recvonly),
    )?;
    Ok(engine)
}

/// Marks PLI, FIR, NACK and reports (receiver report blocks, for network
/// quality) for delivery to the application, one RTCP packet
/// per message (the engine routes a compound by its first packet only).
#[derive(Default)]
pub(super) struct DeliverFeedback {
    reads: VecDeque<TaggedPacket>,
    writes: VecDeque<TaggedPacket>,
}

fn is_feedback(packet: &dyn rtc::rtcp::Packet) -> bool {
    let any = packet.as_any();
    any.is::<PictureLossIndication>()
        || any.is::<FullIntraRequest>()
        || any.is::<TransportLayerNack>()
        || any.is::<ReceiverReport>()
        || any.is::<SenderReport>()
}

impl Protocol<TaggedPacket, TaggedPacket, ()> for DeliverFeedback {
    type Rout = TaggedPacket;
    type Wout = TaggedPacket;
    type Eout = ();
    type Error = RtcError;
    type Time = Instant;

    fn handle_read(&mut self, mut msg: TaggedPacket) -> Result<(), RtcError> {
        if let InterceptorPacket::Rtcp(packets) = &mut msg.message.packet {
            let (wanted, rest): (Vec<_>, Vec<_>) = std::mem::take(packets)
                .into_iter()
                .partition(|p| is_feedback(p.as_ref()));
            *packets = rest;
            for packet in wanted {
                self.reads.push_back(TaggedPacket {
                    now: msg.now,
                    transport: msg.transport,
                    message: AttributedPacket::new(InterceptorPacket::Rtcp(vec![packet]))
                        .with(Attribute::DeliverToApplication),
                });
            }
            // An empty RTCP message without attributes is reserved; drop it.
            if packets.is_empty() && msg.message.attributes.is_empty() {
                return Ok(());
            }
        }
        self.reads.push_back(msg);
        Ok(())
    }

    fn poll_read(&mut self) -> Option<TaggedPacket> {
        self.reads.pop_front()
    }

    fn handle_write(&mut self, msg: TaggedPacket) -> Result<(), RtcError> {
        self.writes.push_back(msg);
        Ok(())
    }

    fn poll_write(&mut self) -> Option<TaggedPacket> {
        self.writes.pop_front()
    }
}

impl Interceptor for DeliverFeedback {
    fn bind_local_stream(&mut self, _: &StreamInfo) {}
    fn unbind_local_stream(&mut self, _: &StreamInfo) {}
    fn bind_remote_stream(&mut self, _: &StreamInfo) {}
    fn unbind_remote_stream(&mut self, _: &StreamInfo) {}
}

#[cfg(test)]
mod tests {
    use super::{with_opus_preferences, without_rtx_where_simulcast};

    #[test]
    fn rtx_leaves_only_the_sections_that_receive_simulcast() {
        let video = |extra: &str| {
            format!(
                "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\na=rtpmap:96 VP8/90000\r\n\
                 a=rtcp-fb:96 nack\r\na=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n{extra}"
            )
        };
        let plain = video("a=sendonly\r\n");
        let layered = video("a=rid:q recv\r\na=simulcast:recv q;h\r\n");
        let sdp = format!("v=0\r\n{plain}{layered}");
        let out = without_rtx_where_simulcast(&sdp);
        assert_eq!(
            out,
            format!(
                "v=0\r\n{plain}m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n\
                 a=rtcp-fb:96 nack\r\na=rid:q recv\r\na=simulcast:recv q;h\r\n"
            )
        );
    }

    #[test]
    fn opus_formats_get_fec_and_dtx_and_nothing_else_changes() {
        let sdp = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111 63\r\na=rtpmap:111 opus/48000/2\r\n\
                   a=fmtp:111 minptime=10;useinbandfec=1\r\na=rtpmap:63 red/48000/2\r\n\
                   a=fmtp:63 111/111\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=fmtp:96 x=1\r\n";
        let out = with_opus_preferences(sdp);
        assert!(
            out.contains("a=fmtp:111 minptime=10;useinbandfec=1;usedtx=1\r\n"),
            "{out}"
        );
        assert!(out.contains("a=fmtp:63 111/111\r\n"));
        assert!(out.contains("a=fmtp:96 x=1\r\n"));
        assert_eq!(out.len(), sdp.len() + ";usedtx=1".len());
        // The remote's own preferences, echoed by `rtc`, give way to ours;
        // other parameters stay.
        let echoed = "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 usedtx=0;stereo=1\r\n";
        assert_eq!(
            with_opus_preferences(echoed),
            "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 stereo=1;minptime=10;useinbandfec=1;usedtx=1\r\n"
        );
    }
}
