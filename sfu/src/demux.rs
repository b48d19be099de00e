//! Which peer connection does a datagram belong to?
//!
//! Every peer shares the one media socket, and an `rtc` peer connection cannot
//! tell whether a datagram is its own, so we route before handing anything to
//! the engine. A STUN binding request names our local ICE username fragment in
//! its USERNAME attribute (`ours:theirs`, RFC 8445 §7.2.2); that is the only way
//! a new remote address gets attached to a peer. Every other datagram (DTLS,
//! SRTP, SRTCP, later STUN) is routed by its remote address alone, so a stranger
//! who guesses nothing cannot reach a peer's engine with anything but STUN,
//! which the engine then authenticates with MESSAGE-INTEGRITY.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::SocketAddr;

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

/// Routes datagrams to peers: by ICE ufrag for STUN, then by remote address.
#[derive(Debug)]
pub struct Demux<K> {
    by_ufrag: HashMap<String, K>,
    by_addr: HashMap<SocketAddr, K>,
}

impl<K> Default for Demux<K> {
    fn default() -> Self {
        Self {
            by_ufrag: HashMap::new(),
            by_addr: HashMap::new(),
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
    pub fn route(&self, from: SocketAddr, datagram: &[u8]) -> Option<K> {
        if classify(datagram) == DatagramKind::Stun
            && let Some(ufrag) = stun_local_ufrag(datagram)
        {
            return self.by_ufrag.get(ufrag).copied();
        }
        self.by_addr.get(&from).copied()
    }

    /// Remembers that `from` speaks for `key`. An address moves to the newest
    /// peer that proved it (a browser that rejoined from the same port).
    pub fn learn_addr(&mut self, from: SocketAddr, key: K) {
        self.by_addr.insert(from, key);
    }

    /// Forgets every route to `key`; called when a participant leaves, so a
    /// departed peer's ufrag or address can never reach a later one.
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
        assert_eq!(demux.route(a, &binding_request("two:x")), Some(2));
        assert_eq!(
            demux.route(a, &[0x80, 0, 0, 0]),
            None,
            "address not proven yet"
        );
        demux.learn_addr(a, 2);
        demux.learn_addr(b, 1);
        assert_eq!(demux.route(a, &[0x80, 0, 0, 0]), Some(2));
        assert_eq!(demux.route(a, &binding_request("zzz:x")), None);
        demux.remove(2);
        assert_eq!(demux.route(a, &[0x80, 0, 0, 0]), None);
        assert_eq!(demux.route(a, &binding_request("two:x")), None);
        assert_eq!(demux.route(b, &[22]), Some(1));
        assert_eq!(demux.len(), (1, 1));
    }
}
