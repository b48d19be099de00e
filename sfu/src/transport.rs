//! How a datagram travels between a browser and the SFU: on the media UDP
//! socket, or framed on a TCP connection (ICE over TCP, RFC 6544, for
//! networks that block UDP; RFC 4571 puts a two-byte length before each
//! datagram). Everything above the I/O layer sees datagrams either way;
//! this tag says which way a reply must go.

/// The transport of one datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    Udp,
    /// On the TCP connection whose remote end is the datagram's address.
    Tcp,
}

/// How a participant's media reaches the SFU, as an operator counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MediaPath {
    /// Straight to the UDP port.
    #[default]
    Udp,
    /// ICE over TCP.
    Tcp,
    /// Through a TURN server: the address its checks come from is one of
    /// the participant's own `typ relay` candidates.
    Relayed,
}

/// The address of a trickled candidate of type `relay` (the TURN server's
/// relayed address, where that participant's media will come from), or
/// `None` for any other candidate. RFC 8839: `candidate:<foundation>
/// <component> <transport> <priority> <address> <port> typ <type> …`.
pub fn relay_candidate_address(candidate: &str) -> Option<std::net::SocketAddr> {
    let candidate = candidate.strip_prefix("a=").unwrap_or(candidate);
    let fields: Vec<&str> = candidate.split_ascii_whitespace().take(8).collect();
    match fields[..] {
        [_, _, _, _, address, port, "typ", "relay"] => Some(std::net::SocketAddr::new(
            address.parse().ok()?,
            port.parse().ok()?,
        )),
        _ => None,
    }
}

/// RFC 4571: the largest datagram a two-byte length can frame.
pub const MAX_TCP_FRAME: usize = u16::MAX as usize;

/// Appends `datagram` to `out` with its RFC 4571 length; `false` (and
/// nothing appended) when it is too long to frame.
pub fn frame_into(out: &mut bytes::BytesMut, datagram: &[u8]) -> bool {
    let Ok(len) = u16::try_from(datagram.len()) else {
        return false;
    };
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(datagram);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_relayed_address_of_relay_candidates_only() {
        assert_eq!(
            relay_candidate_address(
                "candidate:1 1 udp 41885439 10.231.3.1 50123 typ relay raddr 10.231.3.2 rport 40000 generation 0"
            ),
            Some("10.231.3.1:50123".parse().unwrap())
        );
        assert_eq!(
            relay_candidate_address("a=candidate:1 1 udp 1 2001:db8::1 3478 typ relay"),
            Some("[2001:db8::1]:3478".parse().unwrap())
        );
        for other in [
            "candidate:1 1 udp 2122260223 192.168.1.4 50000 typ host",
            "candidate:1 1 udp 1 x.local 50000 typ relay",
            "candidate:1 1 udp 1 10.0.0.1 99999 typ relay",
            "",
            "typ relay",
        ] {
            assert_eq!(relay_candidate_address(other), None, "{other}");
        }
    }

    #[test]
    fn frames_carry_a_big_endian_length() {
        let mut out = bytes::BytesMut::new();
        assert!(frame_into(&mut out, &[1, 2, 3]));
        assert!(frame_into(&mut out, &[]));
        assert_eq!(&out[..], &[0, 3, 1, 2, 3, 0, 0]);
        assert!(!frame_into(&mut out, &vec![0; MAX_TCP_FRAME + 1]));
        assert_eq!(out.len(), 7, "an oversized datagram is not half-written");
    }
}
