//! The TURN core against hand-built client messages, with a fake clock:
//! the challenge, an allocation, permissions only for the SFU, relaying
//! both ways by Send/Data indications and by channels, and the refusals.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rtc::stun::attributes::*;
use rtc::stun::error_code::*;
use rtc::stun::integrity::MessageIntegrity;
use rtc::stun::message::*;
use rtc::stun::textattrs::TextAttribute;
use rtc::turn::proto::PROTO_UDP;
use rtc::turn::proto::chandata::ChannelData;
use rtc::turn::proto::channum::ChannelNumber;
use rtc::turn::proto::data::Data;
use rtc::turn::proto::lifetime::Lifetime;
use rtc::turn::proto::peeraddr::PeerAddress;
use rtc::turn::proto::relayaddr::RelayedAddress;
use rtc::turn::proto::reqtrans::RequestedTransport;
use turn::rest::TurnRest;
use turn::server::{Client, ClientTransport, Output, PeerRoute, ServerConfig, TurnServer};

const UNIX: u64 = 1_800_000_000;
const REALM: &str = "clinic.example";

fn sfu() -> PeerRoute {
    PeerRoute {
        advertised: "203.0.113.5:4000".parse().unwrap(),
        local: "127.0.0.1:4000".parse().unwrap(),
    }
}

fn server() -> (TurnServer, TurnRest) {
    let rest = TurnRest::new(vec![], b"a-shared-secret-of-some-length", 3600);
    let config = ServerConfig {
        realm: REALM.into(),
        peers: vec![sfu()],
        relay_ip: "203.0.113.5".parse().unwrap(),
        max_allocations: 10,
        max_allocations_per_user: 2,
    };
    (TurnServer::new(config, rest.clone(), [3; 32]), rest)
}

fn client(port: u16) -> Client {
    Client {
        transport: ClientTransport::Udp,
        addr: SocketAddr::from(([198, 51, 100, 7], port)),
    }
}

struct Creds {
    username: String,
    password: String,
    nonce: String,
}

fn provider() -> std::sync::Arc<dyn rtc::crypto::RTCCryptoProvider> {
    rtc::crypto::default_provider().unwrap()
}

fn key(creds: &Creds) -> Vec<u8> {
    MessageIntegrity::long_term_integrity_key(
        creds.username.clone(),
        REALM.into(),
        creds.password.clone(),
        provider().crypto(),
    )
    .unwrap()
}

/// A request signed with `creds`, with `attrs` before the signature.
fn request(method: Method, creds: &Creds, attrs: Vec<Box<dyn Setter>>) -> Vec<u8> {
    let provider = provider();
    let mut m = Message::new();
    let mut setters: Vec<Box<dyn Setter + '_>> = vec![
        Box::new(TransactionId::new()),
        Box::new(MessageType::new(method, CLASS_REQUEST)),
    ];
    setters.extend(attrs);
    setters.push(Box::new(TextAttribute::new(
        ATTR_USERNAME,
        creds.username.clone(),
    )));
    setters.push(Box::new(TextAttribute::new(ATTR_REALM, REALM.into())));
    setters.push(Box::new(TextAttribute::new(
        ATTR_NONCE,
        creds.nonce.clone(),
    )));
    setters.push(Box::new(MessageIntegrity::new_raw_integrity_with_provider(
        key(creds),
        provider.crypto(),
    )));
    m.build(&setters).unwrap();
    m.raw
}

fn only_reply(server: &mut TurnServer, to: Client) -> Message {
    let mut replies = Vec::new();
    while let Some(output) = server.poll_output() {
        match output {
            Output::ToClient { client, bytes } if client == to => replies.push(bytes),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(replies.len(), 1, "one reply");
    let mut m = Message::new();
    m.write(&replies[0]).unwrap();
    m
}

fn error_code(m: &Message) -> u16 {
    let mut code = ErrorCodeAttribute::default();
    code.get_from(m).unwrap();
    code.code.0
}

/// The 401 challenge, then an allocation bound at relay port 50000.
fn allocate(
    server: &mut TurnServer,
    rest: &TurnRest,
    at: Client,
    user: &str,
    now: Instant,
) -> Creds {
    let mut m = Message::new();
    m.build(&[
        Box::new(TransactionId::new()),
        Box::new(MessageType::new(METHOD_ALLOCATE, CLASS_REQUEST)),
        Box::new(RequestedTransport {
            protocol: PROTO_UDP,
        }),
    ])
    .unwrap();
    server.handle_client(at, &m.raw, now, UNIX);
    let challenge = only_reply(server, at);
    assert_eq!(challenge.typ.class, CLASS_ERROR_RESPONSE);
    assert_eq!(error_code(&challenge), 401);
    assert_eq!(
        TextAttribute::get_from_as(&challenge, ATTR_REALM)
            .unwrap()
            .text,
        REALM
    );
    let nonce = TextAttribute::get_from_as(&challenge, ATTR_NONCE)
        .unwrap()
        .text;
    let (username, password) = rest.credentials(user, UNIX);
    let creds = Creds {
        username,
        password,
        nonce,
    };
    let signed = request(
        METHOD_ALLOCATE,
        &creds,
        vec![Box::new(RequestedTransport {
            protocol: PROTO_UDP,
        })],
    );
    server.handle_client(at, &signed, now, UNIX);
    let Some(Output::BindRelay { allocation }) = server.poll_output() else {
        panic!("the relay socket is bound first");
    };
    let relay: SocketAddr = SocketAddr::from(([127, 0, 0, 1], 50_000 + allocation as u16));
    server.relay_bound(allocation, Ok(relay));
    let mut answer = only_reply(server, at);
    assert_eq!(
        answer.typ,
        MessageType::new(METHOD_ALLOCATE, CLASS_SUCCESS_RESPONSE)
    );
    MessageIntegrity::check(&mut answer, &key(&creds), provider().crypto()).expect("signed");
    let mut relayed = RelayedAddress::default();
    relayed.get_from(&answer).unwrap();
    assert_eq!(
        relayed.ip.to_string(),
        "203.0.113.5",
        "the public relay address"
    );
    assert_eq!(relayed.port, relay.port());
    creds
}

#[test]
fn relays_to_the_sfu_only_by_indications_and_channels() {
    let (mut server, rest) = server();
    let now = Instant::now();
    let alice = client(5000);
    let creds = allocate(&mut server, &rest, alice, "PA1", now);
    assert_eq!(server.stats().allocations_udp, 1);

    // A peer that is not the SFU: forbidden.
    let elsewhere = PeerAddress {
        ip: "192.0.2.1".parse().unwrap(),
        port: 80,
    };
    server.handle_client(
        alice,
        &request(METHOD_CREATE_PERMISSION, &creds, vec![Box::new(elsewhere)]),
        now,
        UNIX,
    );
    assert_eq!(error_code(&only_reply(&mut server, alice)), 403);

    // The SFU's advertised address: allowed.
    let sfu_peer = || PeerAddress {
        ip: sfu().advertised.ip(),
        port: sfu().advertised.port(),
    };
    server.handle_client(
        alice,
        &request(METHOD_CREATE_PERMISSION, &creds, vec![Box::new(sfu_peer())]),
        now,
        UNIX,
    );
    assert_eq!(
        only_reply(&mut server, alice).typ.class,
        CLASS_SUCCESS_RESPONSE
    );

    // Send indication → a datagram to the SFU's local address.
    let mut send = Message::new();
    send.build(&[
        Box::new(TransactionId::new()),
        Box::new(MessageType::new(METHOD_SEND, CLASS_INDICATION)),
        Box::new(sfu_peer()),
        Box::new(Data(b"stun binding".to_vec())),
    ])
    .unwrap();
    server.handle_client(alice, &send.raw, now, UNIX);
    let Some(Output::ToPeer {
        allocation,
        to,
        bytes,
    }) = server.poll_output()
    else {
        panic!("relayed to the SFU");
    };
    assert_eq!((to, bytes.as_slice()), (sfu().local, &b"stun binding"[..]));
    let relay = SocketAddr::from(([127, 0, 0, 1], 50_000 + allocation as u16));

    // The SFU answers → a Data indication naming its advertised address.
    server.handle_relay(relay, sfu().local, b"answer", now);
    let data = only_reply(&mut server, alice);
    assert_eq!(data.typ, MessageType::new(METHOD_DATA, CLASS_INDICATION));
    let mut from = PeerAddress::default();
    from.get_from(&data).unwrap();
    assert_eq!(SocketAddr::new(from.ip, from.port), sfu().advertised);
    let mut payload = Data(Vec::new());
    payload.get_from(&data).unwrap();
    assert_eq!(payload.0, b"answer");

    // Anyone else writing to the relay socket is dropped.
    server.handle_relay(relay, "192.0.2.1:80".parse().unwrap(), b"spam", now);
    assert!(server.poll_output().is_none());

    // A channel, then ChannelData both ways.
    server.handle_client(
        alice,
        &request(
            METHOD_CHANNEL_BIND,
            &creds,
            vec![Box::new(ChannelNumber(0x4001)), Box::new(sfu_peer())],
        ),
        now,
        UNIX,
    );
    assert_eq!(
        only_reply(&mut server, alice).typ.class,
        CLASS_SUCCESS_RESPONSE
    );
    let mut framed = ChannelData {
        data: b"media".to_vec(),
        number: ChannelNumber(0x4001),
        raw: vec![],
    };
    framed.encode();
    server.handle_client(alice, &framed.raw, now, UNIX);
    assert!(
        matches!(server.poll_output(), Some(Output::ToPeer { to, ref bytes, .. }) if to == sfu().local && bytes == b"media")
    );
    server.handle_relay(relay, sfu().local, b"back", now);
    let Some(Output::ToClient { bytes, .. }) = server.poll_output() else {
        panic!("to the client")
    };
    let mut back = ChannelData {
        raw: bytes,
        ..Default::default()
    };
    back.decode().unwrap();
    assert_eq!(
        (back.number.0, back.data.as_slice()),
        (0x4001, &b"back"[..])
    );
    let stats = server.stats();
    assert_eq!((stats.relayed_to_peer, stats.relayed_to_client), (2, 2));
    assert_eq!(stats.forbidden_peers, 1);

    // Permissions lapse after five minutes without a refresh.
    let later = now + Duration::from_secs(301);
    server.handle_client(alice, &framed.raw, later, UNIX + 301);
    assert!(server.poll_output().is_none(), "no permission any more");

    // Refresh with LIFETIME 0 ends the allocation and closes its socket.
    server.handle_client(
        alice,
        &request(
            METHOD_REFRESH,
            &creds,
            vec![Box::new(Lifetime(Duration::ZERO))],
        ),
        later,
        UNIX + 301,
    );
    let mut saw_close = false;
    let mut saw_reply = false;
    while let Some(output) = server.poll_output() {
        match output {
            Output::CloseRelay { allocation: closed } => saw_close = closed == allocation,
            Output::ToClient { .. } => saw_reply = true,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(saw_close && saw_reply);
    assert_eq!(server.stats().allocations, 0);
}

#[test]
fn refuses_bad_credentials_stale_nonces_and_quota() {
    let (mut server, rest) = server();
    let now = Instant::now();
    let alice = client(5000);
    let creds = allocate(&mut server, &rest, alice, "PA1", now);

    // Another password for the same username: 401 with a new challenge.
    let forged = Creds {
        password: "not-it".into(),
        ..creds
    };
    server.handle_client(
        client(5001),
        &request(
            METHOD_ALLOCATE,
            &forged,
            vec![Box::new(RequestedTransport {
                protocol: PROTO_UDP,
            })],
        ),
        now,
        UNIX,
    );
    let refused = only_reply(&mut server, client(5001));
    assert_eq!(error_code(&refused), 401);
    assert!(refused.contains(ATTR_NONCE));

    // Credentials past their expiry: 401.
    let (username, password) = rest.credentials("PA2", UNIX - 7200);
    let expired = Creds {
        username,
        password,
        nonce: forged.nonce.clone(),
    };
    server.handle_client(
        client(5002),
        &request(
            METHOD_ALLOCATE,
            &expired,
            vec![Box::new(RequestedTransport {
                protocol: PROTO_UDP,
            })],
        ),
        now,
        UNIX,
    );
    assert_eq!(error_code(&only_reply(&mut server, client(5002))), 401);

    // A nonce over an hour old: 438, and the client retries with the new one.
    let (username, password) = rest.credentials("PA3", UNIX + 4000);
    let stale = Creds {
        username,
        password,
        nonce: forged.nonce.clone(),
    };
    server.handle_client(
        client(5003),
        &request(
            METHOD_ALLOCATE,
            &stale,
            vec![Box::new(RequestedTransport {
                protocol: PROTO_UDP,
            })],
        ),
        now,
        UNIX + 4000,
    );
    assert_eq!(error_code(&only_reply(&mut server, client(5003))), 438);

    // TCP relaying is not offered.
    let (username, password) = rest.credentials("PA4", UNIX);
    let tcp = Creds {
        username,
        password,
        nonce: forged.nonce.clone(),
    };
    server.handle_client(
        client(5004),
        &request(
            METHOD_ALLOCATE,
            &tcp,
            vec![Box::new(RequestedTransport {
                protocol: rtc::turn::proto::PROTO_TCP,
            })],
        ),
        now,
        UNIX,
    );
    assert_eq!(error_code(&only_reply(&mut server, client(5004))), 442);

    // Two allocations per user, then 486.
    allocate(&mut server, &rest, client(6000), "PA5", now);
    allocate(&mut server, &rest, client(6001), "PA5", now);
    let (username, password) = rest.credentials("PA5", UNIX);
    let third = Creds {
        username,
        password,
        nonce: forged.nonce.clone(),
    };
    server.handle_client(
        client(6002),
        &request(
            METHOD_ALLOCATE,
            &third,
            vec![Box::new(RequestedTransport {
                protocol: PROTO_UDP,
            })],
        ),
        now,
        UNIX,
    );
    assert_eq!(error_code(&only_reply(&mut server, client(6002))), 486);

    // Someone else's credentials on Alice's allocation: 441.
    server.handle_client(alice, &request(METHOD_REFRESH, &third, vec![]), now, UNIX);
    assert_eq!(error_code(&only_reply(&mut server, alice)), 441);

    // Garbage is dropped without an answer.
    server.handle_client(alice, b"\x00\x01garbage", now, UNIX);
    server.handle_client(alice, &[0xff; 40], now, UNIX);
    assert!(server.poll_output().is_none());
    assert!(server.stats().allocations_refused >= 5);

    // Allocations expire without refreshes.
    assert!(server.poll_timeout().is_some());
    server.handle_timeout(now + Duration::from_secs(601));
    let mut closed = 0;
    while let Some(output) = server.poll_output() {
        assert!(matches!(output, Output::CloseRelay { .. }));
        closed += 1;
    }
    assert_eq!(closed, 3);
    assert_eq!(server.stats().allocations, 0);
}

#[test]
fn a_tcp_client_that_goes_takes_its_allocation() {
    let (mut server, rest) = server();
    let now = Instant::now();
    let tcp = Client {
        transport: ClientTransport::Tcp,
        addr: "198.51.100.9:40000".parse().unwrap(),
    };
    allocate(&mut server, &rest, tcp, "PA1", now);
    assert_eq!(server.stats().allocations_tcp, 1);
    server.client_closed(tcp);
    assert!(matches!(
        server.poll_output(),
        Some(Output::CloseRelay { .. })
    ));
    assert!(!server.has_allocation(&tcp));
}
