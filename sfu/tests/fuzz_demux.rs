//! Fuzz target: the datagram demultiplexer (`sfu::demux`), the first code
//! every datagram on the shared media port meets, before any
//! authentication. Mutated corpus datagrams and random bytes must never
//! panic it; `classify` must follow RFC 7983's first-byte ranges exactly;
//! a ufrag is only read from a well-formed binding request; and routing
//! never hands a datagram from an unproven address to a peer unless it
//! names that peer's ufrag (which the core then authenticates).

mod fuzz_support;

use std::net::SocketAddr;
use std::sync::LazyLock;

use fuzz_support::mutate::{apply_bytes, byte_mutation, mutated_bytes};
use fuzz_support::{datagram_seeds, named_datagram_seeds};
use proptest::collection::vec;
use proptest::prelude::*;
use sfu::demux::{DatagramKind, Demux, Route, classify, stun_integrity_ok, stun_local_ufrag};
use sfu::transport::Transport;

/// RFC 7983 §7, written out independently of `classify`.
fn rfc7983(datagram: &[u8]) -> DatagramKind {
    match datagram.first().copied() {
        Some(b) if b <= 3 => DatagramKind::Stun,
        Some(b) if (20..=63).contains(&b) => DatagramKind::Dtls,
        Some(b) if (128..=191).contains(&b) => DatagramKind::Media,
        _ => DatagramKind::Unknown,
    }
}

/// The corpus, read once (cases run by the thousand).
static SEEDS: LazyLock<Vec<(String, Vec<u8>)>> = LazyLock::new(named_datagram_seeds);

fn seed(name: &str) -> Vec<u8> {
    SEEDS
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("corpus seed {name}"))
        .1
        .clone()
}

/// The RFC 5769 sample's password, and where its MESSAGE-INTEGRITY ends:
/// the bytes the HMAC covers (the header's length excepted).
const RFC5769_PASSWORD: &str = "VOkJxbRl1RmTxUk/WvJxBt";
const RFC5769_SIGNED_END: usize = 100;

proptest! {
    #![proptest_config(fuzz_config!("fuzz_demux", 5000))]

    #[test]
    fn classification_follows_rfc7983_and_ufrags_come_only_from_binding_requests(
        datagram in mutated_bytes(datagram_seeds(), 1500)
    ) {
        let kind = classify(&datagram);
        prop_assert_eq!(kind, rfc7983(&datagram));
        if let Some(ufrag) = stun_local_ufrag(&datagram) {
            prop_assert_eq!(kind, DatagramKind::Stun);
            prop_assert!(datagram.len() >= 20);
            prop_assert_eq!(&datagram[..2], &[0x00, 0x01], "a binding request");
            prop_assert_eq!(&datagram[4..8], &[0x21, 0x12, 0xa4, 0x42], "magic cookie");
            prop_assert!(!ufrag.contains(':'), "the local part of USERNAME");
            let declared = u16::from_be_bytes([datagram[2], datagram[3]]) as usize;
            prop_assert!(20 + declared <= datagram.len(), "read within the declared length");
        }
        // A password nobody uses: whatever the bytes, never accepted.
        prop_assert!(!stun_integrity_ok(&datagram, "not the password of anything"));
    }

    /// Damage to anything the HMAC covers (other than the length it
    /// rewrites itself) is caught.
    #[test]
    fn message_integrity_holds_only_for_the_signed_bytes(
        mutations in vec(byte_mutation(), 1..6)
    ) {
        let original = seed("stun_rfc5769_request.bin");
        let mutated = apply_bytes(original.clone(), &mutations, &[]);
        if stun_integrity_ok(&mutated, RFC5769_PASSWORD) {
            prop_assert!(mutated.len() >= RFC5769_SIGNED_END);
            let strip = |b: &[u8]| {
                let mut b = b[..RFC5769_SIGNED_END].to_vec();
                b[2..4].fill(0);
                b
            };
            prop_assert_eq!(strip(&mutated), strip(&original));
        }
    }

    #[test]
    fn routing_needs_a_known_ufrag_or_a_proven_address(
        datagram in mutated_bytes(datagram_seeds(), 1500),
        from_known in any::<bool>(),
    ) {
        // The peer's ufrag is the one the captured browser request names,
        // so mutated copies of it reach the ufrag path.
        let ufrag = stun_local_ufrag(&seed("stun_binding_request.bin"))
            .expect("the corpus request names a ufrag")
            .to_owned();
        let proven: SocketAddr = "127.0.0.1:40000".parse().unwrap();
        let stranger: SocketAddr = "192.0.2.1:9".parse().unwrap();
        let mut demux = Demux::default();
        demux.insert_ufrag(ufrag.clone(), 1u64);
        demux.learn_addr(Transport::Udp, proven, 2u64);
        let from = if from_known { proven } else { stranger };
        let named = if classify(&datagram) == DatagramKind::Stun {
            stun_local_ufrag(&datagram)
        } else {
            None
        };
        let expected = match named {
            Some(u) if u == ufrag => Some(Route { key: 1, by_ufrag: true }),
            Some(_) => None,
            None if from_known => Some(Route { key: 2, by_ufrag: false }),
            None => None,
        };
        prop_assert_eq!(demux.route(Transport::Udp, from, &datagram), expected);
    }
}
