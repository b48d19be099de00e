//! What the SFU's fuzz targets share: the bounded configuration
//! ([`config`]), the committed corpus under `tests/fuzz_corpus/`, and the
//! mutation strategies ([`mutate`]).

#![allow(dead_code, unused_imports)]

pub mod config;
pub mod mutate;

pub use config::{corpus_files, fuzz_config};

/// The datagram seeds (`tests/fuzz_corpus/datagrams/*.bin`).
pub fn datagram_seeds() -> Vec<Vec<u8>> {
    corpus_files(
        env!("CARGO_MANIFEST_DIR"),
        "tests/fuzz_corpus/datagrams",
        "bin",
    )
    .into_iter()
    .map(|(_, bytes)| bytes)
    .collect()
}

/// The datagram seeds with their file names.
pub fn named_datagram_seeds() -> Vec<(String, Vec<u8>)> {
    corpus_files(
        env!("CARGO_MANIFEST_DIR"),
        "tests/fuzz_corpus/datagrams",
        "bin",
    )
}

/// The SDP seeds (`tests/fuzz_corpus/sdp/*.sdp`).
pub fn sdp_seeds() -> Vec<String> {
    corpus_files(env!("CARGO_MANIFEST_DIR"), "tests/fuzz_corpus/sdp", "sdp")
        .into_iter()
        .map(|(name, bytes)| String::from_utf8(bytes).unwrap_or_else(|_| panic!("{name}: UTF-8")))
        .collect()
}

/// SDP lines a hostile client might add: attributes the SFU reads (mid,
/// ssrc, rtpmap, extmap, ice, fingerprint, simulcast), with odd values.
pub fn hostile_sdp_lines() -> Vec<String> {
    [
        "m=video 9 UDP/TLS/RTP/SAVPF 96",
        "m=audio 0 UDP/TLS/RTP/SAVPF",
        "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
        "a=mid:",
        "a=mid:0",
        "a=group:BUNDLE 0 1 2 3 4 5 6 7 8 9",
        "a=rtpmap:96 VP8/0",
        "a=rtpmap:127 H264/90000/2",
        "a=rtpmap:300 opus/48000/2",
        "a=fmtp:96 profile-level-id=zz;packetization-mode=9",
        "a=extmap:0 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
        "a=extmap:15 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
        "a=extmap:4294967295 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
        "a=ssrc:0 cname:x",
        "a=ssrc:4294967296 msid:a b",
        "a=ssrc-group:FID 1",
        "a=ssrc-group:SIM 1 2 3 4 5 6 7 8",
        "a=rid:h send max-width=-1",
        "a=simulcast:send h;m;l",
        "a=simulcast:recv ~h",
        "a=ice-ufrag:",
        "a=ice-pwd:short",
        "a=ice-lite",
        "a=fingerprint:sha-256 00",
        "a=fingerprint:md5 zz:zz",
        "a=setup:actpass",
        "a=setup:passive",
        "a=setup:holdconn",
        "a=candidate:1 1 udp 2122260223 127.0.0.1 99999 typ host",
        "a=candidate:x",
        "a=rtcp-mux",
        "a=rtcp-fb:* nack",
        "a=sendonly",
        "a=inactive",
        "a=msid:- -",
        "a=max-message-size:-1",
        "c=IN IP6 ::1",
        "b=AS:-1",
        "t=0 0",
        "v=1",
        "o=- 99999999999999999999 2 IN IP4 127.0.0.1",
        "a=",
        "=",
        "",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect()
}
