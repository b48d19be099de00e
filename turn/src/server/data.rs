//! The data path: payloads from clients to the SFU (Send indications and
//! ChannelData) and from the SFU back (Data indications or ChannelData),
//! each only where a permission allows it.

use std::net::SocketAddr;
use std::time::Instant;

use rtc::stun::message::*;
use rtc::turn::proto::chandata::ChannelData;
use rtc::turn::proto::channum::ChannelNumber;
use rtc::turn::proto::data::Data;

use super::{Client, Output, TurnServer};
use crate::messages::{xor_peer, xor_peer_addresses};

impl TurnServer {
    /// A datagram the SFU sent to an allocation's relay socket.
    pub fn handle_relay(
        &mut self,
        relay: SocketAddr,
        from: SocketAddr,
        bytes: &[u8],
        now: Instant,
    ) {
        let Some(&id) = self.by_relay.get(&relay) else {
            return;
        };
        // The client knows the SFU by its advertised address; several
        // advertised addresses may share one local one, so take the one
        // this allocation has a permission for.
        let allocation = &self.allocations[&id];
        let Some(peer) = self
            .config
            .peers
            .iter()
            .filter(|r| r.local == from || r.advertised == from)
            .map(|r| r.advertised)
            .find(|peer| allocation.permitted(peer.ip(), now))
        else {
            self.stats.dropped += 1;
            return;
        };
        let channel = allocation
            .channels
            .iter()
            .find(|(_, (addr, until))| *addr == peer && *until > now)
            .map(|(number, _)| *number);
        let client = allocation.client;
        let out = match channel {
            Some(number) => {
                let mut data = ChannelData {
                    data: bytes.to_vec(),
                    number: ChannelNumber(number),
                    raw: Vec::with_capacity(bytes.len() + 8),
                };
                data.encode();
                data.raw
            }
            None => {
                let mut m = Message::new();
                let built = m.build(&[
                    Box::new(TransactionId::new()),
                    Box::new(MessageType::new(METHOD_DATA, CLASS_INDICATION)),
                    Box::new(xor_peer(peer)),
                    Box::new(Data(bytes.to_vec())),
                ]);
                if built.is_err() {
                    self.stats.dropped += 1;
                    return;
                }
                m.raw
            }
        };
        self.stats.relayed_to_client += 1;
        self.stats.relayed_bytes_to_client += bytes.len() as u64;
        self.outputs
            .push_back(Output::ToClient { client, bytes: out });
    }

    pub(super) fn send_indication(&mut self, client: Client, m: &Message, now: Instant) {
        let peer = xor_peer_addresses(m).into_iter().next();
        let mut data = Data(Vec::new());
        match (peer, data.get_from(m)) {
            (Some(peer), Ok(())) => self.relay_to_peer(client, peer, data.0, now),
            _ => self.stats.dropped += 1,
        }
    }

    pub(super) fn channel_data(&mut self, client: Client, bytes: &[u8], now: Instant) {
        let mut data = ChannelData {
            raw: bytes.to_vec(),
            ..ChannelData::default()
        };
        if data.decode().is_err() {
            self.stats.dropped += 1;
            return;
        }
        let peer = self
            .by_client
            .get(&client)
            .and_then(|id| self.allocations[id].channels.get(&data.number.0))
            .filter(|(_, until)| *until > now)
            .map(|(peer, _)| *peer);
        match peer {
            Some(peer) => self.relay_to_peer(client, peer, data.data, now),
            None => self.stats.dropped += 1,
        }
    }

    /// Relays `payload` to `peer` (as the client names it) if the client's
    /// allocation has a permission for it.
    fn relay_to_peer(&mut self, client: Client, peer: SocketAddr, payload: Vec<u8>, now: Instant) {
        let Some(&id) = self.by_client.get(&client) else {
            self.stats.dropped += 1;
            return;
        };
        let allocation = &self.allocations[&id];
        let route = self.config.peers.iter().find(|r| r.advertised == peer);
        match route {
            Some(route) if allocation.relay.is_some() && allocation.permitted(peer.ip(), now) => {
                self.stats.relayed_to_peer += 1;
                self.stats.relayed_bytes_to_peer += payload.len() as u64;
                self.outputs.push_back(Output::ToPeer {
                    allocation: id,
                    to: route.local,
                    bytes: payload,
                });
            }
            _ => self.stats.dropped += 1,
        }
    }
}
