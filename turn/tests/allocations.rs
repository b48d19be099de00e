//! The TURN core against hand-built client messages, with a fake clock:
//! the challenge, an allocation, permissions only for the SFU, relaying
//! both ways by Send/Data indications and by channels, and the refusals.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rtc::stun::attributes::*;
use rtc::stun::message::*;
use rtc::turn::proto::PROTO_UDP;
use rtc::turn::proto::chandata::ChannelData;
use rtc::turn::proto::channum::ChannelNumber;
use rtc::turn::proto::data::Data;
use rtc::turn::proto::lifetime::Lifetime;
use rtc::turn::proto::peeraddr::PeerAddress;
use rtc::turn::proto::reqtrans::RequestedTransport;
use turn::server::{Client, ClientTransport, Output};

mod support;
use support::*;

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
