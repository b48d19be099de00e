//! What the TURN tests share: a server with fixed secrets (so nonces and
//! credentials are the same on every run), clients, and signed requests.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Instant;

use rtc::stun::attributes::*;
use rtc::stun::error_code::*;
use rtc::stun::integrity::MessageIntegrity;
use rtc::stun::message::*;
use rtc::stun::textattrs::TextAttribute;
use rtc::turn::proto::PROTO_UDP;
use rtc::turn::proto::relayaddr::RelayedAddress;
use rtc::turn::proto::reqtrans::RequestedTransport;
use turn::rest::TurnRest;
use turn::server::{Client, ClientTransport, Output, PeerRoute, ServerConfig, TurnServer};

pub const UNIX: u64 = 1_800_000_000;
pub const REALM: &str = "clinic.example";

pub fn sfu() -> PeerRoute {
    PeerRoute {
        advertised: "203.0.113.5:4000".parse().unwrap(),
        local: "127.0.0.1:4000".parse().unwrap(),
    }
}

pub fn server() -> (TurnServer, TurnRest) {
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

pub fn client(port: u16) -> Client {
    Client {
        transport: ClientTransport::Udp,
        addr: SocketAddr::from(([198, 51, 100, 7], port)),
    }
}

pub struct Creds {
    pub username: String,
    pub password: String,
    pub nonce: String,
}

pub fn provider() -> std::sync::Arc<dyn rtc::crypto::RTCCryptoProvider> {
    rtc::crypto::default_provider().unwrap()
}

pub fn key(creds: &Creds) -> Vec<u8> {
    MessageIntegrity::long_term_integrity_key(
        creds.username.clone(),
        REALM.into(),
        creds.password.clone(),
        provider().crypto(),
    )
    .unwrap()
}

/// A request signed with `creds`, with `attrs` before the signature.
pub fn request(method: Method, creds: &Creds, attrs: Vec<Box<dyn Setter>>) -> Vec<u8> {
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

pub fn only_reply(server: &mut TurnServer, to: Client) -> Message {
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

pub fn error_code(m: &Message) -> u16 {
    let mut code = ErrorCodeAttribute::default();
    code.get_from(m).unwrap();
    code.code.0
}

/// An Allocate without credentials: what every client sends first.
pub fn unsigned_allocate() -> Vec<u8> {
    let mut m = Message::new();
    m.build(&[
        Box::new(TransactionId::new()),
        Box::new(MessageType::new(METHOD_ALLOCATE, CLASS_REQUEST)),
        Box::new(RequestedTransport {
            protocol: PROTO_UDP,
        }),
    ])
    .unwrap();
    m.raw
}

/// The 401 challenge, then an allocation bound at relay port 50000.
pub fn allocate(
    server: &mut TurnServer,
    rest: &TurnRest,
    at: Client,
    user: &str,
    now: Instant,
) -> Creds {
    server.handle_client(at, &unsigned_allocate(), now, UNIX);
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
