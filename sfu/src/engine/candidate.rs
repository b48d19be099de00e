//! Host candidates, built one way for the SFU's peer connections and for the
//! test client's (`testkit`), which takes it from here.

use std::net::SocketAddr;

use rtc::peer_connection::transport::{
    CandidateConfig, CandidateHostConfig, RTCIceCandidate, RTCIceCandidateInit,
};
use rtc::shared::error::Error as RtcError;

/// A host candidate for a UDP address, as peer connections take it (the
/// SFU's own, and the test client's in `testkit`).
pub fn host_candidate(addr: SocketAddr) -> Result<RTCIceCandidateInit, RtcError> {
    let candidate = CandidateHostConfig {
        base_config: CandidateConfig {
            network: "udp".to_owned(),
            address: addr.ip().to_string(),
            port: addr.port(),
            component: 1,
            ..Default::default()
        },
        ..Default::default()
    }
    .new_candidate_host()?;
    RTCIceCandidate::from(&candidate).to_json()
}
