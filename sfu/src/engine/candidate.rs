//! Host candidates, built one way for the SFU's peer connections and for the
//! test client's (`testkit`), which takes them from here: UDP, and passive
//! TCP (RFC 6544: the browser connects to us).

use std::net::SocketAddr;

pub use rtc::ice::tcp_type::TcpType;
use rtc::peer_connection::transport::{
    CandidateConfig, CandidateHostConfig, RTCIceCandidate, RTCIceCandidateInit,
};
use rtc::shared::error::Error as RtcError;

/// A host candidate for a UDP address, as peer connections take it (the
/// SFU's own, and the test client's in `testkit`).
pub fn host_candidate(addr: SocketAddr) -> Result<RTCIceCandidateInit, RtcError> {
    candidate(addr, "udp", TcpType::Unspecified)
}

/// A passive TCP host candidate (`tcptype passive`): browsers connect to
/// this address and frame datagrams on the connection (RFC 4571); `active`
/// is the test client's side.
pub fn tcp_candidate(addr: SocketAddr, tcp_type: TcpType) -> Result<RTCIceCandidateInit, RtcError> {
    candidate(addr, "tcp", tcp_type)
}

fn candidate(
    addr: SocketAddr,
    network: &str,
    tcp_type: TcpType,
) -> Result<RTCIceCandidateInit, RtcError> {
    let candidate = CandidateHostConfig {
        base_config: CandidateConfig {
            network: network.to_owned(),
            address: addr.ip().to_string(),
            port: addr.port(),
            component: 1,
            ..Default::default()
        },
        tcp_type,
    }
    .new_candidate_host()?;
    RTCIceCandidate::from(&candidate).to_json()
}
