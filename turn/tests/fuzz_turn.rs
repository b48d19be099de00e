//! Fuzz target: the TURN core, which anyone on the internet can send to
//! before any authentication. Sequences of mutated TURN messages (signed
//! requests, indications and ChannelData for a real allocation), random
//! bytes, datagrams at relay sockets from the SFU and from strangers, and
//! time jumps must never panic it, and whatever gets through:
//!
//! - relays only to the SFU's media address (never an open relay);
//! - answers only clients that sent something;
//! - keeps allocations within the limits.

mod fuzz_support;
mod support;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use fuzz_support::mutate::mutated_bytes;
use proptest::collection::vec;
use proptest::prelude::*;
use rtc::stun::message::*;
use rtc::turn::proto::PROTO_UDP;
use rtc::turn::proto::chandata::ChannelData;
use rtc::turn::proto::channum::ChannelNumber;
use rtc::turn::proto::data::Data;
use rtc::turn::proto::lifetime::Lifetime;
use rtc::turn::proto::peeraddr::PeerAddress;
use rtc::turn::proto::reqtrans::RequestedTransport;
use support::*;
use turn::server::{Client, ClientTransport, Output};

/// Valid messages of one session (fixed secrets make them valid on every
/// run): the challenge's trigger, a signed Allocate, permissions and a
/// channel for the SFU and for a stranger, data both ways, refreshes.
static SEEDS: LazyLock<Vec<Vec<u8>>> = LazyLock::new(|| {
    let (mut server, rest) = server();
    let creds = allocate(&mut server, &rest, client(1), "PA1", Instant::now());
    let sfu_peer = || PeerAddress {
        ip: sfu().advertised.ip(),
        port: sfu().advertised.port(),
    };
    let stranger = PeerAddress {
        ip: "192.0.2.1".parse().unwrap(),
        port: 9,
    };
    let mut send = Message::new();
    send.build(&[
        Box::new(TransactionId::new()),
        Box::new(MessageType::new(METHOD_SEND, CLASS_INDICATION)),
        Box::new(sfu_peer()),
        Box::new(Data(vec![0x80; 100])),
    ])
    .unwrap();
    let mut send_elsewhere = Message::new();
    send_elsewhere
        .build(&[
            Box::new(TransactionId::new()),
            Box::new(MessageType::new(METHOD_SEND, CLASS_INDICATION)),
            Box::new(PeerAddress {
                ip: "192.0.2.1".parse().unwrap(),
                port: 9,
            }),
            Box::new(Data(vec![1; 10])),
        ])
        .unwrap();
    let mut channel = ChannelData {
        data: vec![0x90; 60],
        number: ChannelNumber(0x4000),
        raw: vec![],
    };
    channel.encode();
    vec![
        unsigned_allocate(),
        request(
            METHOD_ALLOCATE,
            &creds,
            vec![Box::new(RequestedTransport {
                protocol: PROTO_UDP,
            })],
        ),
        request(METHOD_CREATE_PERMISSION, &creds, vec![Box::new(sfu_peer())]),
        request(METHOD_CREATE_PERMISSION, &creds, vec![Box::new(stranger)]),
        request(
            METHOD_CHANNEL_BIND,
            &creds,
            vec![Box::new(ChannelNumber(0x4000)), Box::new(sfu_peer())],
        ),
        request(
            METHOD_CHANNEL_BIND,
            &creds,
            vec![
                Box::new(ChannelNumber(0x4001)),
                Box::new(PeerAddress {
                    ip: "192.0.2.1".parse().unwrap(),
                    port: 9,
                }),
            ],
        ),
        request(
            METHOD_REFRESH,
            &creds,
            vec![Box::new(Lifetime(Duration::from_secs(900)))],
        ),
        request(
            METHOD_REFRESH,
            &creds,
            vec![Box::new(Lifetime(Duration::ZERO))],
        ),
        send.raw,
        send_elsewhere.raw,
        channel.raw,
    ]
});

#[derive(Debug, Clone)]
enum Input {
    /// From client `n` (UDP for even, TCP for odd).
    Client(u8, Vec<u8>),
    /// At allocation `n`'s relay socket, from the SFU or from a stranger.
    Relay(u8, bool, Vec<u8>),
    /// Time passes.
    Wait(u16),
}

fn input() -> impl Strategy<Value = Input> {
    prop_oneof![
        8 => (0u8..4, mutated_bytes(SEEDS.clone(), 300)).prop_map(|(n, b)| Input::Client(n, b)),
        2 => (1u8..6, any::<bool>(), vec(any::<u8>(), 0..200)).prop_map(|(n, sfu, b)| Input::Relay(n, sfu, b)),
        1 => (0u16..4000).prop_map(Input::Wait),
    ]
}

fn fuzz_client(n: u8) -> Client {
    // Client 1 is the one the seeds were signed for.
    let transport = if n.is_multiple_of(2) {
        ClientTransport::Udp
    } else {
        ClientTransport::Tcp
    };
    Client {
        transport,
        ..client(u16::from(n))
    }
}

proptest! {
    #![proptest_config(fuzz_config!("fuzz_turn", 3000))]

    #[test]
    fn relays_only_to_the_sfu_and_answers_only_senders(established in any::<bool>(), inputs in vec(input(), 1..24)) {
        let (mut server, _) = server();
        let mut now = Instant::now();
        let mut unix = UNIX;
        let mut senders = HashSet::new();
        // Client 1 speaks UDP here, as when the seeds were made.
        let seeded = client(1);
        // Half the cases start with client 1 holding an allocation with a
        // permission and a channel for the SFU, so data gets relayed.
        let prefix: Vec<Input> = if established {
            [1, 2, 4].iter().map(|&i| Input::Client(1, SEEDS[i].clone())).collect()
        } else {
            Vec::new()
        };
        for input in prefix.into_iter().chain(inputs) {
            match input {
                Input::Client(n, bytes) => {
                    let from = if n == 1 { seeded } else { fuzz_client(n) };
                    senders.insert(from);
                    server.handle_client(from, &bytes, now, unix);
                }
                Input::Relay(n, from_sfu, bytes) => {
                    let relay = SocketAddr::from(([127, 0, 0, 1], 50_000 + u16::from(n)));
                    let from = if from_sfu { sfu().local } else { "192.0.2.1:9".parse().unwrap() };
                    server.handle_relay(relay, from, &bytes, now);
                }
                Input::Wait(secs) => {
                    now += Duration::from_secs(u64::from(secs));
                    unix += u64::from(secs);
                    server.handle_timeout(now);
                }
            }
            while let Some(output) = server.poll_output() {
                match output {
                    Output::ToPeer { to, .. } => prop_assert_eq!(to, sfu().local, "relayed to a stranger"),
                    Output::ToClient { client, .. } => prop_assert!(senders.contains(&client), "answered {:?} unasked", client),
                    Output::BindRelay { allocation } => {
                        server.relay_bound(allocation, Ok(SocketAddr::from(([127, 0, 0, 1], 50_000 + allocation as u16))));
                    }
                    Output::CloseRelay { .. } => {}
                }
            }
            let stats = server.stats();
            prop_assert!(stats.allocations <= 10);
        }
    }
}
