//! The TURN server's sans-IO core: allocations, permissions and channels
//! (RFC 8656), authenticated with TURN REST credentials ([`crate::rest`]).
//!
//! Inputs: a client's message ([`TurnServer::handle_client`]: one STUN
//! message or ChannelData, already framed for TCP), a datagram a relay
//! socket received ([`TurnServer::handle_relay`]), a relay socket bound
//! ([`TurnServer::relay_bound`]), a TCP client gone
//! ([`TurnServer::client_closed`]) and time ([`TurnServer::handle_timeout`]).
//! Outputs: [`Output`]s to poll, and the next deadline. The data path
//! (Send/Data indications, ChannelData) is in `data`.
//!
//! The only peers are the SFU's media addresses ([`PeerRoute`]): this relay
//! exists so patients behind UDP-blocking networks reach Confide's own
//! media port, not as an open relay to the internet (RFC 8656 §17). A
//! permission for any other address is refused with 403.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use rtc::stun::attributes::*;
use rtc::stun::error_code::*;
use rtc::stun::integrity::MessageIntegrity;
use rtc::stun::message::*;
use rtc::stun::textattrs::TextAttribute;
use rtc::stun::xoraddr::XorMappedAddress;
use rtc::turn::proto::chandata::ChannelData;
use rtc::turn::proto::channum::ChannelNumber;
use rtc::turn::proto::lifetime::Lifetime;
use rtc::turn::proto::relayaddr::RelayedAddress;
use rtc::turn::proto::reqtrans::RequestedTransport;
use rtc::turn::proto::{PROTO_UDP, Protocol};

mod data;

use crate::messages::{Refusal, Replies, refuse, requested_lifetime, xor_peer_addresses};
use crate::nonce::Nonces;
use crate::rest::TurnRest;

/// Permissions last five minutes, channels ten (RFC 8656 §9, §12).
const PERMISSION_LIFETIME: Duration = Duration::from_secs(300);
const CHANNEL_LIFETIME: Duration = Duration::from_secs(600);

/// How a client reaches the server; TCP and TLS clients are one
/// connection each, told apart by their address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClientTransport {
    Udp,
    Tcp,
    Tls,
}

impl ClientTransport {
    pub fn as_str(self) -> &'static str {
        match self {
            ClientTransport::Udp => "udp",
            ClientTransport::Tcp => "tcp",
            ClientTransport::Tls => "tls",
        }
    }
}

/// A client's side of the 5-tuple.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Client {
    pub transport: ClientTransport,
    pub addr: SocketAddr,
}

/// One of the SFU's media addresses: what clients name as the peer
/// (`advertised`, in the SFU's ICE candidates) and where relay sockets send
/// to reach it (`local`, the same unless the advertised address is a NAT's).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerRoute {
    pub advertised: SocketAddr,
    pub local: SocketAddr,
}

/// The participant a TURN REST username (`expiry:participant`) names.
fn participant_of(username: &str) -> &str {
    username.split_once(':').map_or(username, |(_, user)| user)
}

/// Names an allocation (and its relay socket) for the I/O layer.
pub type AllocationId = u64;

#[derive(Debug, PartialEq, Eq)]
pub enum Output {
    /// Bytes for a client (a whole STUN message or ChannelData).
    ToClient { client: Client, bytes: Vec<u8> },
    /// A datagram for the SFU, from this allocation's relay socket.
    ToPeer {
        allocation: AllocationId,
        to: SocketAddr,
        bytes: Vec<u8>,
    },
    /// Bind a relay socket for this allocation, then call
    /// [`TurnServer::relay_bound`].
    BindRelay { allocation: AllocationId },
    /// The allocation is gone: close its relay socket.
    CloseRelay { allocation: AllocationId },
}

/// Limits and identity.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// The REALM clients compute their key with (the clinic's host name).
    pub realm: String,
    /// The SFU's media addresses, the only peers.
    pub peers: Vec<PeerRoute>,
    /// The IP put in XOR-RELAYED-ADDRESS (the relay socket's port with it).
    pub relay_ip: IpAddr,
    /// Allocations at once, in all.
    pub max_allocations: usize,
    /// Allocations at once for one set of credentials (a browser makes one
    /// per TURN URL and network interface).
    pub max_allocations_per_user: usize,
}

/// Counters for `/metrics`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TurnStats {
    pub allocations: usize,
    pub allocations_udp: usize,
    pub allocations_tcp: usize,
    pub allocations_tls: usize,
    /// Allocate requests refused (credentials, quota, transport).
    pub allocations_refused: u64,
    /// Datagrams relayed client → SFU, and SFU → client.
    pub relayed_to_peer: u64,
    pub relayed_to_client: u64,
    pub relayed_bytes_to_peer: u64,
    pub relayed_bytes_to_client: u64,
    /// Permissions refused because the peer is not the SFU.
    pub forbidden_peers: u64,
    /// Messages that did not parse, or came from a client without an
    /// allocation.
    pub dropped: u64,
}

struct Allocation {
    client: Client,
    username: String,
    key: Vec<u8>,
    /// The relay socket's address, once bound.
    relay: Option<SocketAddr>,
    /// The Allocate being answered, and then its answer: a retransmitted
    /// Allocate (UDP) gets the same answer (RFC 8656 §7.2).
    allocate_txn: TransactionId,
    allocate_answer: Option<Vec<u8>>,
    lifetime: Duration,
    expires: Instant,
    permissions: HashMap<IpAddr, Instant>,
    /// Channel number → (peer as the client names it, expiry).
    channels: HashMap<u16, (SocketAddr, Instant)>,
}

impl Allocation {
    fn permitted(&self, ip: IpAddr, now: Instant) -> bool {
        self.permissions.get(&ip).is_some_and(|&until| until > now)
    }
}

pub struct TurnServer {
    config: ServerConfig,
    rest: TurnRest,
    nonces: Nonces,
    replies: Replies,
    allocations: HashMap<AllocationId, Allocation>,
    by_client: HashMap<Client, AllocationId>,
    /// Relay socket address → allocation, for datagrams from the SFU.
    by_relay: HashMap<SocketAddr, AllocationId>,
    next_id: AllocationId,
    outputs: VecDeque<Output>,
    stats: TurnStats,
    /// An allocation was made or refreshed since the I/O layer last asked:
    /// the next deadline may have moved.
    deadline_moved: bool,
}

impl TurnServer {
    pub fn new(config: ServerConfig, rest: TurnRest, nonce_secret: [u8; 32]) -> Self {
        Self {
            replies: Replies::new(config.realm.clone()),
            config,
            rest,
            nonces: Nonces::new(nonce_secret),
            allocations: HashMap::new(),
            by_client: HashMap::new(),
            by_relay: HashMap::new(),
            next_id: 1,
            outputs: VecDeque::new(),
            stats: TurnStats::default(),
            deadline_moved: false,
        }
    }

    pub fn stats(&self) -> TurnStats {
        let mut stats = self.stats;
        stats.allocations = self.allocations.len();
        for allocation in self.allocations.values() {
            match allocation.client.transport {
                ClientTransport::Udp => stats.allocations_udp += 1,
                ClientTransport::Tcp => stats.allocations_tcp += 1,
                ClientTransport::Tls => stats.allocations_tls += 1,
            }
        }
        stats
    }

    /// Whether `client` holds an allocation (TCP connections without one
    /// are closed after a while by the I/O layer).
    pub fn has_allocation(&self, client: &Client) -> bool {
        self.by_client.contains_key(client)
    }

    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// Whether [`TurnServer::poll_timeout`] may have moved earlier since
    /// this was last called (an allocation made or refreshed).
    pub fn take_deadline_moved(&mut self) -> bool {
        std::mem::take(&mut self.deadline_moved)
    }

    /// The next allocation expiry.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.allocations.values().map(|a| a.expires).min()
    }

    /// Removes expired allocations, permissions and channels.
    pub fn handle_timeout(&mut self, now: Instant) {
        let expired: Vec<AllocationId> = self
            .allocations
            .iter()
            .filter(|(_, a)| a.expires <= now)
            .map(|(id, _)| *id)
            .collect();
        for id in expired {
            self.remove(id);
        }
        for allocation in self.allocations.values_mut() {
            allocation.permissions.retain(|_, until| *until > now);
            allocation.channels.retain(|_, (_, until)| *until > now);
        }
    }

    /// A TCP or TLS client's connection ended: its allocation goes with it
    /// (RFC 8656 §3.1).
    pub fn client_closed(&mut self, client: Client) {
        if let Some(id) = self.by_client.get(&client).copied() {
            self.remove(id);
        }
    }

    fn remove(&mut self, id: AllocationId) {
        if let Some(allocation) = self.allocations.remove(&id) {
            self.by_client.remove(&allocation.client);
            if let Some(relay) = allocation.relay {
                self.by_relay.remove(&relay);
            }
            self.outputs
                .push_back(Output::CloseRelay { allocation: id });
        }
    }

    /// The relay socket for `id` is bound at `result`'s address, or could
    /// not be (the Allocate is answered 508).
    pub fn relay_bound(&mut self, id: AllocationId, result: std::io::Result<SocketAddr>) {
        let Some(allocation) = self.allocations.get(&id) else {
            return; // gone meanwhile (TCP closed)
        };
        let (client, txn, key) = (
            allocation.client,
            allocation.allocate_txn,
            allocation.key.clone(),
        );
        match result {
            Ok(relay) => {
                let advertised = SocketAddr::new(self.config.relay_ip, relay.port());
                let lifetime = allocation.lifetime;
                let answer = self.replies.success(METHOD_ALLOCATE, txn, &key, |m| {
                    RelayedAddress {
                        ip: advertised.ip(),
                        port: advertised.port(),
                    }
                    .add_to(m)?;
                    Lifetime(lifetime).add_to(m)?;
                    XorMappedAddress {
                        ip: client.addr.ip(),
                        port: client.addr.port(),
                    }
                    .add_to(m)
                });
                let allocation = self.allocations.get_mut(&id).expect("looked up above");
                allocation.relay = Some(relay);
                allocation.allocate_answer = Some(answer.clone());
                self.by_relay.insert(relay, id);
                self.outputs.push_back(Output::ToClient {
                    client,
                    bytes: answer,
                });
            }
            Err(err) => {
                tracing::warn!(%err, "could not bind a TURN relay socket");
                self.stats.allocations_refused += 1;
                self.remove(id);
                let bytes = self.replies.error(
                    METHOD_ALLOCATE,
                    txn,
                    refuse(CODE_INSUFFICIENT_CAPACITY, "Insufficient Capacity"),
                    Some(&key),
                );
                self.outputs.push_back(Output::ToClient { client, bytes });
            }
        }
    }

    /// One message from a client: a STUN request or indication, or
    /// ChannelData. `unix_now` checks credential expiry and nonces.
    pub fn handle_client(&mut self, client: Client, bytes: &[u8], now: Instant, unix_now: u64) {
        if ChannelData::is_channel_data(bytes) {
            return self.channel_data(client, bytes, now);
        }
        let mut m = Message::new();
        // Responses are for clients, not for a server.
        if m.write(bytes).is_err()
            || m.typ.class == CLASS_SUCCESS_RESPONSE
            || m.typ.class == CLASS_ERROR_RESPONSE
        {
            self.stats.dropped += 1;
            return;
        }
        if m.typ.class == CLASS_INDICATION {
            if m.typ.method == METHOD_SEND {
                self.send_indication(client, &m, now);
            } else {
                self.stats.dropped += 1;
            }
            return;
        }
        if m.typ.method == METHOD_BINDING {
            // A plain STUN binding: answered without credentials.
            let bytes = self.replies.binding_success(&m, client.addr);
            self.outputs.push_back(Output::ToClient { client, bytes });
            return;
        }
        let method = m.typ.method;
        let txn = m.transaction_id;
        // Every TURN request is authenticated (RFC 8656 §5).
        let (username, key) = match self.authenticate(&mut m, unix_now) {
            Ok(found) => found,
            Err(refusal) => {
                if method == METHOD_ALLOCATE {
                    self.stats.allocations_refused += 1;
                }
                let bytes =
                    self.replies
                        .challenge(method, txn, refusal, self.nonces.issue(unix_now));
                self.outputs.push_back(Output::ToClient { client, bytes });
                return;
            }
        };
        let answer = match method {
            METHOD_ALLOCATE => self.allocate(client, &m, username, key.clone(), now),
            METHOD_REFRESH => self.refresh(client, &m, &username, now),
            METHOD_CREATE_PERMISSION => self.create_permission(client, &m, &username, now),
            METHOD_CHANNEL_BIND => self.channel_bind(client, &m, &username, now),
            _ => Err(refuse(CODE_BAD_REQUEST, "Bad Request")),
        };
        let bytes = match answer {
            // Allocate answers once its relay socket is bound.
            Ok(None) => return,
            Ok(Some(bytes)) => bytes,
            Err(refusal) => {
                if method == METHOD_ALLOCATE {
                    self.stats.allocations_refused += 1;
                }
                self.replies.error(method, txn, refusal, Some(&key))
            }
        };
        self.outputs.push_back(Output::ToClient { client, bytes });
    }

    /// USERNAME, REALM, NONCE and MESSAGE-INTEGRITY checked; the username
    /// and long-term key returned.
    fn authenticate(&self, m: &mut Message, unix_now: u64) -> Result<(String, Vec<u8>), Refusal> {
        let unauthorized = refuse(CODE_UNAUTHORIZED, "Unauthorized");
        if !m.contains(ATTR_MESSAGE_INTEGRITY) {
            return Err(unauthorized);
        }
        let (Ok(username), Ok(realm), Ok(nonce)) = (
            TextAttribute::get_from_as(m, ATTR_USERNAME),
            TextAttribute::get_from_as(m, ATTR_REALM),
            TextAttribute::get_from_as(m, ATTR_NONCE),
        ) else {
            return Err(refuse(CODE_BAD_REQUEST, "Bad Request"));
        };
        if realm.text != self.config.realm {
            return Err(unauthorized);
        }
        if !self.nonces.fresh(&nonce.text, unix_now) {
            return Err(refuse(CODE_STALE_NONCE, "Stale Nonce"));
        }
        let Some(password) = self.rest.password(&username.text, unix_now) else {
            return Err(unauthorized);
        };
        let key = MessageIntegrity::long_term_integrity_key(
            username.text.clone(),
            realm.text,
            password,
            self.replies.crypto(),
        )
        .map_err(|_| refuse(CODE_SERVER_ERROR, "Server Error"))?;
        MessageIntegrity::check(m, &key, self.replies.crypto()).map_err(|_| unauthorized)?;
        Ok((username.text, key))
    }

    fn allocate(
        &mut self,
        client: Client,
        m: &Message,
        username: String,
        key: Vec<u8>,
        now: Instant,
    ) -> Result<Option<Vec<u8>>, Refusal> {
        if let Some(id) = self.by_client.get(&client) {
            let existing = &self.allocations[id];
            if existing.allocate_txn == m.transaction_id {
                // A retransmission: the same answer, or none yet.
                return Ok(existing.allocate_answer.clone());
            }
            return Err(refuse(CODE_ALLOC_MISMATCH, "Allocation Mismatch"));
        }
        let mut transport = RequestedTransport {
            protocol: Protocol(0),
        };
        if transport.get_from(m).is_err() {
            return Err(refuse(CODE_BAD_REQUEST, "Bad Request"));
        }
        if transport.protocol != PROTO_UDP {
            return Err(refuse(
                CODE_UNSUPPORTED_TRANS_PROTO,
                "Unsupported Transport Protocol",
            ));
        }
        if let Ok(family) = m.get(ATTR_REQUESTED_ADDRESS_FAMILY) {
            let ipv6 = family.first() == Some(&0x02);
            if ipv6 != self.config.relay_ip.is_ipv6() {
                return Err(refuse(
                    CODE_ADDR_FAMILY_NOT_SUPPORTED,
                    "Address Family not Supported",
                ));
            }
        }
        if self.allocations.len() >= self.config.max_allocations {
            return Err(refuse(CODE_INSUFFICIENT_CAPACITY, "Insufficient Capacity"));
        }
        // Per participant, not per username: each `joined` mints a new
        // username (its expiry) for the same participant.
        let held = self
            .allocations
            .values()
            .filter(|a| participant_of(&a.username) == participant_of(&username))
            .count();
        if held >= self.config.max_allocations_per_user {
            return Err(refuse(CODE_ALLOC_QUOTA_REACHED, "Allocation Quota Reached"));
        }
        let lifetime = requested_lifetime(m);
        let id = self.next_id;
        self.next_id += 1;
        self.allocations.insert(
            id,
            Allocation {
                client,
                username,
                key,
                relay: None,
                allocate_txn: m.transaction_id,
                allocate_answer: None,
                lifetime,
                expires: now + lifetime,
                permissions: HashMap::new(),
                channels: HashMap::new(),
            },
        );
        self.by_client.insert(client, id);
        self.deadline_moved = true;
        self.outputs.push_back(Output::BindRelay { allocation: id });
        Ok(None)
    }

    /// The caller's allocation, if these credentials made it (441 if not).
    fn own_allocation(
        &mut self,
        client: Client,
        username: &str,
    ) -> Result<(AllocationId, &mut Allocation), Refusal> {
        let Some(&id) = self.by_client.get(&client) else {
            return Err(refuse(CODE_ALLOC_MISMATCH, "Allocation Mismatch"));
        };
        let allocation = self.allocations.get_mut(&id).expect("indexed");
        if allocation.username != username {
            return Err(refuse(CODE_WRONG_CREDENTIALS, "Wrong Credentials"));
        }
        if allocation.relay.is_none() {
            return Err(refuse(CODE_ALLOC_MISMATCH, "Allocation Mismatch"));
        }
        Ok((id, allocation))
    }

    fn refresh(
        &mut self,
        client: Client,
        m: &Message,
        username: &str,
        now: Instant,
    ) -> Result<Option<Vec<u8>>, Refusal> {
        let lifetime = requested_lifetime(m);
        // LIFETIME 0 deletes the allocation (RFC 8656 §7.3).
        let mut asked = Lifetime::default();
        let asked_zero = asked.get_from(m).is_ok() && asked.0.is_zero();
        let (id, allocation) = self.own_allocation(client, username)?;
        let key = allocation.key.clone();
        let granted = if asked_zero {
            Duration::ZERO
        } else {
            allocation.lifetime = lifetime;
            allocation.expires = now + lifetime;
            self.deadline_moved = true;
            lifetime
        };
        if asked_zero {
            self.remove(id);
        }
        Ok(Some(self.replies.success(
            METHOD_REFRESH,
            m.transaction_id,
            &key,
            |m| Lifetime(granted).add_to(m),
        )))
    }

    fn create_permission(
        &mut self,
        client: Client,
        m: &Message,
        username: &str,
        now: Instant,
    ) -> Result<Option<Vec<u8>>, Refusal> {
        let peers = xor_peer_addresses(m);
        if peers.is_empty() {
            return Err(refuse(CODE_BAD_REQUEST, "Bad Request"));
        }
        // No allocation (437) comes before a forbidden peer (403).
        self.own_allocation(client, username)?;
        if !peers.iter().all(|p| {
            self.config
                .peers
                .iter()
                .any(|r| r.advertised.ip() == p.ip())
        }) {
            self.stats.forbidden_peers += 1;
            return Err(refuse(CODE_FORBIDDEN, "Forbidden"));
        }
        let (_, allocation) = self.own_allocation(client, username)?;
        for peer in peers {
            allocation
                .permissions
                .insert(peer.ip(), now + PERMISSION_LIFETIME);
        }
        let key = allocation.key.clone();
        Ok(Some(self.replies.success(
            METHOD_CREATE_PERMISSION,
            m.transaction_id,
            &key,
            |_| Ok(()),
        )))
    }

    fn channel_bind(
        &mut self,
        client: Client,
        m: &Message,
        username: &str,
        now: Instant,
    ) -> Result<Option<Vec<u8>>, Refusal> {
        let mut number = ChannelNumber::default();
        let peer = xor_peer_addresses(m).into_iter().next();
        let (Ok(()), Some(peer)) = (number.get_from(m), peer) else {
            return Err(refuse(CODE_BAD_REQUEST, "Bad Request"));
        };
        // RFC 8656 §12: 0x4000–0x4FFF.
        if !(0x4000..=0x4FFF).contains(&number.0) {
            return Err(refuse(CODE_BAD_REQUEST, "Bad Request"));
        }
        self.own_allocation(client, username)?;
        if !self.config.peers.iter().any(|r| r.advertised == peer) {
            self.stats.forbidden_peers += 1;
            return Err(refuse(CODE_FORBIDDEN, "Forbidden"));
        }
        let (_, allocation) = self.own_allocation(client, username)?;
        // A number is bound to one peer, and a peer to one number.
        let clash = allocation
            .channels
            .iter()
            .any(|(n, (p, until))| *until > now && (*n == number.0) != (*p == peer));
        if clash {
            return Err(refuse(CODE_BAD_REQUEST, "Bad Request"));
        }
        allocation
            .channels
            .insert(number.0, (peer, now + CHANNEL_LIFETIME));
        allocation
            .permissions
            .insert(peer.ip(), now + PERMISSION_LIFETIME);
        let key = allocation.key.clone();
        Ok(Some(self.replies.success(
            METHOD_CHANNEL_BIND,
            m.transaction_id,
            &key,
            |_| Ok(()),
        )))
    }
}
