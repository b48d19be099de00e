//! The TURN server on real sockets (127.0.0.1): a client over TCP gets the
//! challenge, allocates, is given a permission for the SFU and relays a
//! datagram to a UDP socket standing for the SFU's media port, whose answer
//! comes back on the TCP connection; the same challenge over UDP; and a
//! connection that speaks something else is closed.

mod support;

use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rtc::stun::attributes::*;
use rtc::stun::message::*;
use rtc::stun::textattrs::TextAttribute;
use rtc::turn::proto::PROTO_UDP;
use rtc::turn::proto::data::Data;
use rtc::turn::proto::peeraddr::PeerAddress;
use rtc::turn::proto::relayaddr::RelayedAddress;
use rtc::turn::proto::reqtrans::RequestedTransport;
use support::{Creds, REALM, request, unsigned_allocate};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use turn::io::{Listeners, TurnHandle};
use turn::rest::TurnRest;
use turn::server::{PeerRoute, ServerConfig};

/// Generous: only a broken server takes this long.
const DEADLINE: Duration = Duration::from_secs(30);

async fn read_message(stream: &mut TcpStream) -> Message {
    let mut header = [0u8; 20];
    tokio::time::timeout(DEADLINE, stream.read_exact(&mut header))
        .await
        .unwrap()
        .unwrap();
    let length = u16::from_be_bytes([header[2], header[3]]) as usize;
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).await.unwrap();
    let mut m = Message::new();
    m.write(&[&header[..], &body].concat()).unwrap();
    m
}

#[tokio::test]
async fn relays_between_a_tcp_client_and_the_sfu_port() {
    let sfu = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let sfu_addr = sfu.local_addr().unwrap();
    let rest = TurnRest::new(vec![], b"a-shared-secret-of-some-length", 3600);
    let config = ServerConfig {
        realm: REALM.into(),
        peers: vec![PeerRoute {
            advertised: sfu_addr,
            local: sfu_addr,
        }],
        relay_ip: "127.0.0.1".parse().unwrap(),
        max_allocations: 10,
        max_allocations_per_user: 2,
    };
    let listeners = Listeners {
        udp: Some("127.0.0.1:0".parse().unwrap()),
        tcp: Some("127.0.0.1:0".parse().unwrap()),
        tls: None,
    };
    let turn = TurnHandle::start(
        config,
        rest.clone(),
        listeners,
        "127.0.0.1".parse().unwrap(),
    )
    .await
    .unwrap();

    // Over UDP: the challenge.
    let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    udp.send_to(&unsigned_allocate(), turn.bound.udp.unwrap())
        .await
        .unwrap();
    let mut buf = [0u8; 1500];
    let (n, _) = tokio::time::timeout(DEADLINE, udp.recv_from(&mut buf))
        .await
        .unwrap()
        .unwrap();
    let mut challenge = Message::new();
    challenge.write(&buf[..n]).unwrap();
    assert_eq!(challenge.typ.class, CLASS_ERROR_RESPONSE);

    // Over TCP: challenge, allocation, permission, data both ways.
    let mut tcp = TcpStream::connect(turn.bound.tcp.unwrap()).await.unwrap();
    tcp.write_all(&unsigned_allocate()).await.unwrap();
    let challenge = read_message(&mut tcp).await;
    let nonce = TextAttribute::get_from_as(&challenge, ATTR_NONCE)
        .unwrap()
        .text;
    let unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let (username, password) = rest.credentials("PA1", unix);
    let creds = Creds {
        username,
        password,
        nonce,
    };
    tcp.write_all(&request(
        METHOD_ALLOCATE,
        &creds,
        vec![Box::new(RequestedTransport {
            protocol: PROTO_UDP,
        })],
    ))
    .await
    .unwrap();
    let allocated = read_message(&mut tcp).await;
    assert_eq!(allocated.typ.class, CLASS_SUCCESS_RESPONSE, "{allocated}");
    let mut relayed = RelayedAddress::default();
    relayed.get_from(&allocated).unwrap();
    let relay = SocketAddr::new(relayed.ip, relayed.port);
    let peer = || PeerAddress {
        ip: sfu_addr.ip(),
        port: sfu_addr.port(),
    };
    tcp.write_all(&request(
        METHOD_CREATE_PERMISSION,
        &creds,
        vec![Box::new(peer())],
    ))
    .await
    .unwrap();
    assert_eq!(
        read_message(&mut tcp).await.typ.class,
        CLASS_SUCCESS_RESPONSE
    );
    let mut send = Message::new();
    send.build(&[
        Box::new(TransactionId::new()),
        Box::new(MessageType::new(METHOD_SEND, CLASS_INDICATION)),
        Box::new(peer()),
        Box::new(Data(b"to the sfu".to_vec())),
    ])
    .unwrap();
    tcp.write_all(&send.raw).await.unwrap();
    let (n, from) = tokio::time::timeout(DEADLINE, sfu.recv_from(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((&buf[..n], from), (&b"to the sfu"[..], relay));
    sfu.send_to(b"to the patient", relay).await.unwrap();
    let data = read_message(&mut tcp).await;
    assert_eq!(data.typ, MessageType::new(METHOD_DATA, CLASS_INDICATION));
    let mut payload = Data(vec![]);
    payload.get_from(&data).unwrap();
    assert_eq!(payload.0, b"to the patient");
    let stats = turn.stats();
    assert_eq!(
        (
            stats.allocations_tcp,
            stats.relayed_to_peer,
            stats.relayed_to_client
        ),
        (1, 1, 1)
    );

    // Closing the connection ends the allocation.
    drop(tcp);
    tokio::time::timeout(DEADLINE, async {
        while turn.stats().allocations > 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the allocation ends with its connection");

    // Something that is not TURN: the connection is closed.
    let mut http = TcpStream::connect(turn.bound.tcp.unwrap()).await.unwrap();
    http.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut rest_of = Vec::new();
    let read = tokio::time::timeout(DEADLINE, http.read_to_end(&mut rest_of))
        .await
        .unwrap();
    assert!(
        read.is_ok_and(|n| n == 0) || rest_of.is_empty(),
        "closed without an answer"
    );
    turn.stop();
}
