//! Which peer connection does a datagram belong to?
//!
//! Every peer shares the one media socket, and an `rtc` peer connection cannot
//! tell whether a datagram is its own, so we route before handing anything to
//! the engine. A STUN binding request names our local ICE username fragment in
//! its USERNAME attribute (`ours:theirs`, RFC 8445 §7.2.2); that is the only way
//! a new remote address gets attached to a peer. Every other datagram (DTLS,
//! SRTP, SRTCP, later STUN) is routed by its remote address alone. An address
//! is learned only from a binding request whose MESSAGE-INTEGRITY checks out
//! with that peer's ICE password ([`stun_integrity_ok`]), so a datagram that
//! merely names a ufrag cannot move someone else's media to a new address.

use rustc_hash::FxHashMap;
use std::collections::HashMap;
use std::hash::Hash;
use std::net::SocketAddr;

use crate::transport::Transport;

/// What the first byte of a datagram says it is (RFC 7983 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatagramKind {
    Stun,
    Dtls,
    /// RTP or RTCP; SRTP either way.
    Media,
    /// Anything else (ZRTP, TURN channels, noise): nobody here wants it.
    Unknown,
}

pub fn classify(datagram: &[u8]) -> DatagramKind {
    match datagram.first() {
        Some(0..=3) => DatagramKind::Stun,
        Some(20..=63) => DatagramKind::Dtls,
        Some(128..=191) => DatagramKind::Media,
        _ => DatagramKind::Unknown,
    }
}

const STUN_MAGIC_COOKIE: [u8; 4] = [0x21, 0x12, 0xA4, 0x42];
const STUN_BINDING_REQUEST: u16 = 0x0001;
const STUN_ATTR_USERNAME: u16 = 0x0006;
const STUN_ATTR_MESSAGE_INTEGRITY: u16 = 0x0008;
const HMAC_SHA1_LEN: usize = 20;
const STUN_HEADER_LEN: usize = 20;

/// The local ufrag named by a STUN binding request (`local:remote` in USERNAME),
/// or `None` when the datagram is not a well-formed binding request with one.
/// Only the framing is checked; the engine verifies MESSAGE-INTEGRITY.
pub fn stun_local_ufrag(datagram: &[u8]) -> Option<&str> {
    if datagram.len() < STUN_HEADER_LEN || datagram[4..8] != STUN_MAGIC_COOKIE {
        return None;
    }
    let msg_type = u16::from_be_bytes([datagram[0], datagram[1]]);
    if msg_type != STUN_BINDING_REQUEST {
        return None;
    }
    let body_len = u16::from_be_bytes([datagram[2], datagram[3]]) as usize;
    let body = datagram.get(STUN_HEADER_LEN..STUN_HEADER_LEN + body_len)?;
    let mut at = 0;
    while at + 4 <= body.len() {
        let attr_type = u16::from_be_bytes([body[at], body[at + 1]]);
        let attr_len = u16::from_be_bytes([body[at + 2], body[at + 3]]) as usize;
        let value = body.get(at + 4..at + 4 + attr_len)?;
        if attr_type == STUN_ATTR_USERNAME {
            let username = std::str::from_utf8(value).ok()?;
            let (local, _remote) = username.split_once(':')?;
            return Some(local);
        }
        // Attributes are padded to a multiple of four bytes.
        at += 4 + attr_len.div_ceil(4) * 4;
    }
    None
}

/// Checks a STUN message's MESSAGE-INTEGRITY (RFC 8489 §14.5: HMAC-SHA1 with
/// the short-term password, over the message up to the attribute, with the
/// header length counting up to its end). Written here rather than through
/// `rtc`'s STUN types, which need a crypto-provider object per call; `ring`
/// is the same HMAC `rtc` uses.
pub fn stun_integrity_ok(datagram: &[u8], password: &str) -> bool {
    if datagram.len() < STUN_HEADER_LEN {
        return false;
    }
    let body_len = u16::from_be_bytes([datagram[2], datagram[3]]) as usize;
    let Some(body) = datagram.get(STUN_HEADER_LEN..STUN_HEADER_LEN + body_len) else {
        return false;
    };
    let mut at = 0;
    while at + 4 <= body.len() {
        let attr_type = u16::from_be_bytes([body[at], body[at + 1]]);
        let attr_len = u16::from_be_bytes([body[at + 2], body[at + 3]]) as usize;
        if attr_type == STUN_ATTR_MESSAGE_INTEGRITY {
            let Some(mac) = body.get(at + 4..at + 4 + HMAC_SHA1_LEN) else {
                return false;
            };
            if attr_len != HMAC_SHA1_LEN {
                return false;
            }
            let covered = STUN_HEADER_LEN + at;
            let mut signed = datagram[..covered].to_vec();
            let length_to_mac_end = (at + 4 + HMAC_SHA1_LEN) as u16;
            signed[2..4].copy_from_slice(&length_to_mac_end.to_be_bytes());
            let key = ring::hmac::Key::new(
                ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
                password.as_bytes(),
            );
            return ring::hmac::verify(&key, &signed, mac).is_ok();
        }
        at += 4 + attr_len.div_ceil(4) * 4;
    }
    false
}

/// Where a datagram goes, and how that was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route<K> {
    pub key: K,
    /// A binding request naming the peer's ufrag (to be authenticated before
    /// its source address is trusted).
    pub by_ufrag: bool,
}

/// Routes datagrams to peers: by ICE ufrag for STUN, then by remote address.
#[derive(Debug)]
pub struct Demux<K> {
    by_ufrag: HashMap<String, K>,
    // FxHash: looked up for every datagram. Only addresses proven by a
    // signed binding request are inserted, so a sender choosing addresses
    // cannot grow it into colliding chains.
    // Keyed with the transport too: a browser's TCP connection and its UDP
    // socket may share an address and port.
    by_addr: FxHashMap<(Transport, SocketAddr), K>,
}

impl<K> Default for Demux<K> {
    fn default() -> Self {
        Self {
            by_ufrag: HashMap::new(),
            by_addr: FxHashMap::default(),
        }
    }
}

impl<K: Copy + Eq + Hash> Demux<K> {
    /// Registers a peer under the local ufrag we gave it in our SDP.
    pub fn insert_ufrag(&mut self, ufrag: String, key: K) {
        self.by_ufrag.insert(ufrag, key);
    }

    /// The peer a datagram from `from` belongs to. A binding request naming a
    /// known ufrag wins over the address map (and is how an address first gets
    /// there: the caller confirms it with [`Demux::learn_addr`] once the engine
    /// accepted the request).
    pub fn route(
        &self,
        transport: Transport,
        from: SocketAddr,
        datagram: &[u8],
    ) -> Option<Route<K>> {
        if classify(datagram) == DatagramKind::Stun
            && let Some(ufrag) = stun_local_ufrag(datagram)
        {
            return self.by_ufrag.get(ufrag).map(|&key| Route {
                key,
                by_ufrag: true,
            });
        }
        self.by_addr.get(&(transport, from)).map(|&key| Route {
            key,
            by_ufrag: false,
        })
    }

    /// Remembers that `from` speaks for `key`. An address moves to the newest
    /// peer that proved it (a browser that rejoined from the same port).
    pub fn learn_addr(&mut self, transport: Transport, from: SocketAddr, key: K) {
        self.by_addr.insert((transport, from), key);
    }

    /// Forgets every route to `key`; called when a participant leaves, so a
    /// departed peer's ufrag or address can never reach a later one.
    /// Whether a signed binding request has attached `from` to a peer.
    pub fn knows(&self, transport: Transport, from: SocketAddr) -> bool {
        self.by_addr.contains_key(&(transport, from))
    }

    /// Forgets one address (its TCP connection closed).
    pub fn forget(&mut self, transport: Transport, from: SocketAddr) {
        self.by_addr.remove(&(transport, from));
    }

    pub fn remove(&mut self, key: K) {
        self.by_ufrag.retain(|_, k| *k != key);
        self.by_addr.retain(|_, k| *k != key);
    }

    pub fn len(&self) -> (usize, usize) {
        (self.by_ufrag.len(), self.by_addr.len())
    }

    pub fn is_empty(&self) -> bool {
        self.by_ufrag.is_empty() && self.by_addr.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UDP: Transport = Transport::Udp;

    fn binding_request(username: &str) -> Vec<u8> {
        let mut attr = Vec::new();
        attr.extend_from_slice(&STUN_ATTR_USERNAME.to_be_bytes());
        attr.extend_from_slice(&(username.len() as u16).to_be_bytes());
        attr.extend_from_slice(username.as_bytes());
        while attr.len() % 4 != 0 {
            attr.push(0);
        }
        let mut msg = Vec::new();
        msg.extend_from_slice(&STUN_BINDING_REQUEST.to_be_bytes());
        msg.extend_from_slice(&(attr.len() as u16).to_be_bytes());
        msg.extend_from_slice(&STUN_MAGIC_COOKIE);
        msg.extend_from_slice(&[7; 12]);
        msg.extend_from_slice(&attr);
        msg
    }

    /// RFC 5769 §2.1 sample request: USERNAME "evtj:h6vY", password
    /// "VOkJxbRl1RmTxUk/WvJxBt", with MESSAGE-INTEGRITY and FINGERPRINT.
    const RFC5769_REQUEST: [u8; 108] = [
        0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6,
        0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10, 0x53, 0x54, 0x55, 0x4e, 0x20, 0x74,
        0x65, 0x73, 0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x00, 0x24, 0x00, 0x04, 0x6e,
        0x00, 0x01, 0xff, 0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36,
        0x00, 0x06, 0x00, 0x09, 0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76, 0x59, 0x20, 0x20,
        0x20, 0x00, 0x08, 0x00, 0x14, 0x9a, 0xea, 0xa7, 0x0c, 0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e,
        0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49, 0xc1, 0xb5, 0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5,
        0x7a, 0x3b, 0xcf,
    ];

    #[test]
    fn message_integrity_is_checked_against_the_password() {
        assert_eq!(stun_local_ufrag(&RFC5769_REQUEST), Some("evtj"));
        assert!(stun_integrity_ok(
            &RFC5769_REQUEST,
            "VOkJxbRl1RmTxUk/WvJxBt"
        ));
        assert!(!stun_integrity_ok(&RFC5769_REQUEST, "wrong password"));
        let mut tampered = RFC5769_REQUEST;
        tampered[30] ^= 1;
        assert!(!stun_integrity_ok(&tampered, "VOkJxbRl1RmTxUk/WvJxBt"));
        for cut in 0..RFC5769_REQUEST.len() {
            assert!(!stun_integrity_ok(
                &RFC5769_REQUEST[..cut],
                "VOkJxbRl1RmTxUk/WvJxBt"
            ));
        }
        assert!(
            !stun_integrity_ok(&binding_request("a:b"), "x"),
            "no integrity at all"
        );
    }

    #[test]
    fn classifies_by_first_byte() {
        assert_eq!(classify(&[0, 1]), DatagramKind::Stun);
        assert_eq!(classify(&[22, 254]), DatagramKind::Dtls);
        assert_eq!(classify(&[0x80, 96]), DatagramKind::Media);
        assert_eq!(classify(&[0xff]), DatagramKind::Unknown);
        assert_eq!(classify(&[]), DatagramKind::Unknown);
    }

    #[test]
    fn reads_the_local_ufrag_from_a_binding_request() {
        let msg = binding_request("srvfrag:browserfrag");
        assert_eq!(stun_local_ufrag(&msg), Some("srvfrag"));
    }

    #[test]
    fn truncated_or_odd_stun_yields_nothing() {
        let msg = binding_request("srvfrag:browserfrag");
        for cut in 0..msg.len() {
            assert_eq!(stun_local_ufrag(&msg[..cut]), None, "cut at {cut}");
        }
        assert_eq!(stun_local_ufrag(&binding_request("no-colon")), None);
        let mut bad_cookie = msg.clone();
        bad_cookie[5] ^= 1;
        assert_eq!(stun_local_ufrag(&bad_cookie), None);
    }

    #[test]
    fn routes_by_ufrag_then_address_and_forgets_on_remove() {
        let mut demux = Demux::default();
        let a: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let b: SocketAddr = "127.0.0.1:5001".parse().unwrap();
        demux.insert_ufrag("one".into(), 1u64);
        demux.insert_ufrag("two".into(), 2u64);
        let key = |r: Option<Route<u64>>| r.map(|r| r.key);
        assert_eq!(
            demux.route(UDP, a, &binding_request("two:x")),
            Some(Route {
                key: 2,
                by_ufrag: true
            })
        );
        assert_eq!(
            key(demux.route(UDP, a, &[0x80, 0, 0, 0])),
            None,
            "address not proven yet"
        );
        demux.learn_addr(UDP, a, 2);
        demux.learn_addr(UDP, b, 1);
        assert_eq!(
            demux.route(UDP, a, &[0x80, 0, 0, 0]),
            Some(Route {
                key: 2,
                by_ufrag: false
            })
        );
        assert_eq!(key(demux.route(UDP, a, &binding_request("zzz:x"))), None);
        demux.remove(2);
        assert_eq!(key(demux.route(UDP, a, &[0x80, 0, 0, 0])), None);
        assert_eq!(key(demux.route(UDP, a, &binding_request("two:x"))), None);
        assert_eq!(key(demux.route(UDP, b, &[22])), Some(1));
        assert_eq!(demux.len(), (1, 1));
    }

    #[test]
    fn a_tcp_connection_is_not_the_udp_socket_at_the_same_address() {
        let mut demux = Demux::default();
        let a: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        demux.insert_ufrag("one".into(), 1u64);
        demux.learn_addr(Transport::Tcp, a, 1);
        let key = |r: Option<Route<u64>>| r.map(|r| r.key);
        assert_eq!(key(demux.route(Transport::Tcp, a, &[0x80, 0])), Some(1));
        assert_eq!(key(demux.route(UDP, a, &[0x80, 0])), None);
    }
}
