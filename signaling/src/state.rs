//! What every signaling session shares: the SFU, the token verifier, the
//! clock tokens are checked against and the ICE servers handed to clients.

use std::sync::Arc;

use sfu::io::SfuHandle;

use crate::clock::Clock;
use crate::token::TokenVerifier;

/// What every session needs.
#[derive(Clone)]
pub struct SignalingState {
    pub sfu: SfuHandle,
    pub verifier: Arc<TokenVerifier>,
    /// The clock tokens are checked against: the API's, so a token it
    /// minted is valid at the same "now".
    pub clock: Arc<dyn Clock>,
    /// STUN/TURN URLs handed to clients (empty: the SFU's host candidates
    /// are enough when clients can reach its UDP port).
    pub ice_servers: Arc<Vec<String>>,
}
