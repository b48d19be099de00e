//! Building TURN's answers: signed success and error responses, the 401/438
//! challenge, and reading the attributes several requests share.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rtc::crypto::{RTCCrypto, RTCCryptoProvider};
use rtc::stun::attributes::*;
use rtc::stun::error_code::*;
use rtc::stun::fingerprint::FINGERPRINT;
use rtc::stun::integrity::MessageIntegrity;
use rtc::stun::message::*;
use rtc::stun::textattrs::TextAttribute;
use rtc::stun::xoraddr::XorMappedAddress;
use rtc::turn::proto::lifetime::Lifetime;

/// How long an allocation lives without a refresh when the client names
/// no lifetime, and the most it may ask for (RFC 8656 §7.2).
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(600);
pub const MAX_LIFETIME: Duration = Duration::from_secs(3600);

/// What a request was refused with.
pub struct Refusal {
    pub code: ErrorCode,
    pub reason: &'static str,
}

pub const fn refuse(code: ErrorCode, reason: &'static str) -> Refusal {
    Refusal { code, reason }
}

/// Signs and encodes responses for one realm.
pub struct Replies {
    crypto: Arc<dyn RTCCryptoProvider>,
    realm: String,
}

impl Replies {
    pub fn new(realm: String) -> Self {
        Self {
            crypto: rtc::crypto::default_provider().expect("ring is built in"),
            realm,
        }
    }

    pub fn realm(&self) -> &str {
        &self.realm
    }

    pub fn crypto(&self) -> &dyn RTCCrypto {
        self.crypto.crypto()
    }

    pub fn binding_success(&self, m: &Message, client: SocketAddr) -> Vec<u8> {
        let mut out = Message::new();
        let _ = out.build(&[
            Box::new(m.transaction_id),
            Box::new(MessageType::new(METHOD_BINDING, CLASS_SUCCESS_RESPONSE)),
            Box::new(XorMappedAddress {
                ip: client.ip(),
                port: client.port(),
            }),
            Box::new(FINGERPRINT),
        ]);
        out.raw
    }

    pub fn success(
        &self,
        method: Method,
        txn: TransactionId,
        key: &[u8],
        attributes: impl FnOnce(&mut Message) -> rtc::shared::error::Result<()>,
    ) -> Vec<u8> {
        let mut out = Message::new();
        let built = out
            .build(&[
                Box::new(txn),
                Box::new(MessageType::new(method, CLASS_SUCCESS_RESPONSE)),
            ])
            .and_then(|()| attributes(&mut out))
            .and_then(|()| {
                MessageIntegrity::new_raw_integrity_with_provider(key, self.crypto.crypto())
                    .add_to(&mut out)
            })
            .and_then(|()| FINGERPRINT.add_to(&mut out));
        debug_assert!(built.is_ok(), "a response we build always encodes");
        out.raw
    }

    /// An error response; signed when the client proved its key.
    pub fn error(
        &self,
        method: Method,
        txn: TransactionId,
        refusal: Refusal,
        key: Option<&[u8]>,
    ) -> Vec<u8> {
        let mut out = Message::new();
        let mut built = out.build(&[
            Box::new(txn),
            Box::new(MessageType::new(method, CLASS_ERROR_RESPONSE)),
            Box::new(ErrorCodeAttribute {
                code: refusal.code,
                reason: refusal.reason.as_bytes().to_vec(),
            }),
        ]);
        if let Some(key) = key {
            built = built.and_then(|()| {
                MessageIntegrity::new_raw_integrity_with_provider(key, self.crypto.crypto())
                    .add_to(&mut out)
            });
        }
        let _ = built.and_then(|()| FINGERPRINT.add_to(&mut out));
        out.raw
    }

    /// 401 or 438 with the realm and a fresh nonce; other refusals before
    /// authentication (400) without them.
    pub fn challenge(
        &self,
        method: Method,
        txn: TransactionId,
        refusal: Refusal,
        nonce: String,
    ) -> Vec<u8> {
        if refusal.code != CODE_UNAUTHORIZED && refusal.code != CODE_STALE_NONCE {
            return self.error(method, txn, refusal, None);
        }
        let mut out = Message::new();
        let _ = out.build(&[
            Box::new(txn),
            Box::new(MessageType::new(method, CLASS_ERROR_RESPONSE)),
            Box::new(ErrorCodeAttribute {
                code: refusal.code,
                reason: refusal.reason.as_bytes().to_vec(),
            }),
            Box::new(TextAttribute::new(ATTR_REALM, self.realm.clone())),
            Box::new(TextAttribute::new(ATTR_NONCE, nonce)),
            Box::new(FINGERPRINT),
        ]);
        out.raw
    }
}

/// LIFETIME as asked, within [default.. max] (RFC 8656 §7.2: less than the
/// default is raised to it).
pub fn requested_lifetime(m: &Message) -> Duration {
    let mut asked = Lifetime::default();
    match asked.get_from(m) {
        Ok(()) => asked.0.clamp(DEFAULT_LIFETIME, MAX_LIFETIME),
        Err(_) => DEFAULT_LIFETIME,
    }
}

pub fn xor_peer(peer: SocketAddr) -> rtc::turn::proto::peeraddr::PeerAddress {
    rtc::turn::proto::peeraddr::PeerAddress {
        ip: peer.ip(),
        port: peer.port(),
    }
}

/// Every XOR-PEER-ADDRESS in `m` (CreatePermission may carry several).
pub fn xor_peer_addresses(m: &Message) -> Vec<SocketAddr> {
    m.attributes
        .0
        .iter()
        .filter(|a| a.typ == ATTR_XOR_PEER_ADDRESS)
        .filter_map(|a| {
            // Decode each through a message holding only it.
            let mut single = Message::new();
            single.transaction_id = m.transaction_id;
            single.add(ATTR_XOR_PEER_ADDRESS, &a.value);
            let mut addr = XorMappedAddress::default();
            addr.get_from_as(&single, ATTR_XOR_PEER_ADDRESS).ok()?;
            Some(SocketAddr::new(addr.ip, addr.port))
        })
        .collect()
}
