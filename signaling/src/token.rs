//! Twilio-format access tokens (`cty: twilio-fpa;v=1`, HS256).
//!
//! Confide accepts the tokens clinics already mint with Twilio's helper
//! libraries: same header, same claims, signed with an API key secret that
//! Confide knows. `iss` names the API key (`SK…`), `sub` the account (`AC…`),
//! and `grants.identity` / `grants.video.room` say who may join where.

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

pub use sfu::core::RoomScope;

use crate::error::SignalError;

/// An API key: the SID (`SK` + 32 hex) that appears as `iss`, and its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub sid: String,
    pub secret: String,
}

/// What a verified token grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub identity: String,
    /// `None`: any room (Twilio allows a video grant without a room).
    pub room: Option<String>,
    /// Which rooms the token may open or enter: a token of the video app's
    /// token server ([`mint_for_ad_hoc_rooms`]) must not reach a room the
    /// API registered (an appointment's, or one made through REST).
    pub rooms: RoomScope,
    pub expires_at: u64,
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    jti: String,
    iss: String,
    sub: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    nbf: Option<u64>,
    exp: u64,
    grants: Grants,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Grants {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    identity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    video: Option<VideoGrant>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct VideoGrant {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    room: Option<String>,
    /// Confide's own claim (Twilio's verifiers ignore unknown ones): `true`
    /// on the video app's tokens, see [`RoomScope::AdHocOnly`].
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    ad_hoc_only: bool,
}

const CONTENT_TYPE: &str = "twilio-fpa;v=1";
/// Clock skew tolerated between the minting server and this one.
const LEEWAY_SECS: u64 = 30;

/// The longest identity a token may carry, in bytes (docs/signaling.md).
pub const MAX_IDENTITY_BYTES: usize = 256;

/// Verifies tokens against the account and its API keys.
#[derive(Debug, Clone)]
pub struct TokenVerifier {
    account_sid: String,
    keys: Vec<ApiKey>,
}

impl TokenVerifier {
    pub fn new(account_sid: String, keys: Vec<ApiKey>) -> Self {
        Self { account_sid, keys }
    }

    /// Verifies signature, time window, account and video grant.
    pub fn verify(&self, token: &str, now_unix: u64) -> Result<Grant, SignalError> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| SignalError::InvalidToken("not a JWT".into()))?;
        if header.alg != Algorithm::HS256 {
            return Err(SignalError::InvalidTokenHeader("alg must be HS256".into()));
        }
        if header.cty.as_deref().is_some_and(|cty| cty != CONTENT_TYPE) {
            return Err(SignalError::InvalidTokenHeader(format!(
                "cty must be {CONTENT_TYPE}"
            )));
        }
        let mut validation = Validation::new(Algorithm::HS256);
        // Time is checked below against the caller's clock, so tests can
        // move it; jsonwebtoken would read the system clock.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.required_spec_claims.clear();
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);

        let mut last_err = SignalError::InvalidTokenSignature;
        for key in &self.keys {
            let mut validation = validation.clone();
            validation.set_issuer(&[key.sid.as_str()]);
            let decoded = jsonwebtoken::decode::<Claims>(
                token,
                &DecodingKey::from_secret(key.secret.as_bytes()),
                &validation,
            );
            match decoded {
                Ok(data) => return self.check_claims(data.claims, now_unix),
                Err(err) => {
                    last_err = match err.kind() {
                        ErrorKind::InvalidSignature | ErrorKind::InvalidIssuer => {
                            SignalError::InvalidTokenSignature
                        }
                        ErrorKind::MissingRequiredClaim(c) => {
                            SignalError::InvalidToken(format!("missing claim {c}"))
                        }
                        _ => SignalError::InvalidToken("malformed token".into()),
                    };
                    if !matches!(last_err, SignalError::InvalidTokenSignature) {
                        return Err(last_err);
                    }
                }
            }
        }
        Err(last_err)
    }

    fn check_claims(&self, claims: Claims, now: u64) -> Result<Grant, SignalError> {
        if claims.sub != self.account_sid {
            return Err(SignalError::InvalidTokenIssuer);
        }
        if claims.exp + LEEWAY_SECS <= now {
            return Err(SignalError::TokenExpired);
        }
        if claims.nbf.is_some_and(|nbf| nbf > now + LEEWAY_SECS) {
            return Err(SignalError::TokenNotYetValid);
        }
        let identity = claims
            .grants
            .identity
            .filter(|i| !i.is_empty() && i.len() <= MAX_IDENTITY_BYTES)
            .ok_or_else(|| SignalError::InvalidGrants("an identity grant is required".into()))?;
        let video = claims
            .grants
            .video
            .ok_or_else(|| SignalError::InvalidGrants("a video grant is required".into()))?;
        Ok(Grant {
            identity,
            room: video.room,
            rooms: if video.ad_hoc_only {
                RoomScope::AdHocOnly
            } else {
                RoomScope::Any
            },
            expires_at: claims.exp,
        })
    }
}

/// Mints a token exactly as Twilio's helper libraries do.
pub fn mint(
    account_sid: &str,
    key: &ApiKey,
    identity: &str,
    room: Option<&str>,
    ttl_secs: u64,
    now_unix: u64,
) -> String {
    mint_scoped(
        account_sid,
        key,
        identity,
        room,
        RoomScope::Any,
        ttl_secs,
        now_unix,
    )
}

/// Mints a token for `room` that reaches only ad-hoc rooms
/// ([`RoomScope::AdHocOnly`]): what `POST /token` gives anyone who knows the
/// video app's passcode, who must not be able to walk into a therapy session
/// by typing its room name. It always names its room.
pub fn mint_for_ad_hoc_rooms(
    account_sid: &str,
    key: &ApiKey,
    identity: &str,
    room: &str,
    ttl_secs: u64,
    now_unix: u64,
) -> String {
    let scope = RoomScope::AdHocOnly;
    mint_scoped(
        account_sid,
        key,
        identity,
        Some(room),
        scope,
        ttl_secs,
        now_unix,
    )
}

fn mint_scoped(
    account_sid: &str,
    key: &ApiKey,
    identity: &str,
    room: Option<&str>,
    rooms: RoomScope,
    ttl_secs: u64,
    now_unix: u64,
) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.typ = Some("JWT".into());
    header.cty = Some(CONTENT_TYPE.into());
    let claims = Claims {
        jti: format!("{}-{}", key.sid, now_unix),
        iss: key.sid.clone(),
        sub: account_sid.to_string(),
        nbf: Some(now_unix),
        exp: now_unix + ttl_secs,
        grants: Grants {
            identity: Some(identity.to_string()),
            video: Some(VideoGrant {
                room: room.map(str::to_string),
                ad_hoc_only: rooms == RoomScope::AdHocOnly,
            }),
        },
    };
    jsonwebtoken::encode(
        &header,
        &claims,
        &EncodingKey::from_secret(key.secret.as_bytes()),
    )
    .expect("HS256 encoding of plain claims cannot fail")
}

/// The system clock's Unix seconds (the CLI's `token` command, tests).
pub fn unix_now() -> u64 {
    use crate::clock::Clock;
    crate::clock::SystemClock.unix_now()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCOUNT: &str = "AC00000000000000000000000000000001";

    fn key() -> ApiKey {
        ApiKey {
            sid: "SK00000000000000000000000000000001".into(),
            secret: "s3cret-s3cret-s3cret-s3cret-s3cret".into(),
        }
    }

    fn verifier() -> TokenVerifier {
        TokenVerifier::new(ACCOUNT.into(), vec![key()])
    }

    #[test]
    fn round_trip_with_room_grant() {
        let now = 1_700_000_000;
        let token = mint(
            ACCOUNT,
            &key(),
            "1-patient@example.com",
            Some("apt-1-x"),
            3600,
            now,
        );
        let grant = verifier().verify(&token, now + 10).unwrap();
        assert_eq!(grant.identity, "1-patient@example.com");
        assert_eq!(grant.room.as_deref(), Some("apt-1-x"));
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(header.cty.as_deref(), Some("twilio-fpa;v=1"));
    }

    /// A token laid out the way Twilio's helper libraries write it (no `nbf`,
    /// their claim order), signed independently of our `mint`, so clinics'
    /// existing token code keeps working. (The API issue adds a test against
    /// the real twilio-python package.)
    #[test]
    fn accepts_a_token_minted_the_twilio_way() {
        let token = twilio_style_token();
        let grant = verifier().verify(&token, 1_700_000_100).unwrap();
        assert_eq!(grant.identity, "alice");
        assert_eq!(grant.room.as_deref(), Some("room1"));
    }

    /// Builds the token byte for byte as twilio-python does (header key order
    /// typ, alg, cty; claims jti, iss, sub, exp, grants), independent of our
    /// `mint`, so both encoders are exercised.
    fn twilio_style_token() -> String {
        use jsonwebtoken::crypto::sign;
        let b64 = |s: &str| {
            use std::fmt::Write;
            // URL-safe base64 without padding, written out to avoid leaning on
            // our own encoder.
            const ALPHABET: &[u8] =
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
            let bytes = s.as_bytes();
            let mut out = String::new();
            for chunk in bytes.chunks(3) {
                let n = match chunk.len() {
                    3 => (chunk[0] as u32) << 16 | (chunk[1] as u32) << 8 | chunk[2] as u32,
                    2 => (chunk[0] as u32) << 16 | (chunk[1] as u32) << 8,
                    _ => (chunk[0] as u32) << 16,
                };
                let chars = chunk.len() + 1;
                for i in 0..chars {
                    let idx = (n >> (18 - 6 * i)) & 63;
                    out.write_char(ALPHABET[idx as usize] as char).unwrap();
                }
            }
            out
        };
        let header = r#"{"typ":"JWT","alg":"HS256","cty":"twilio-fpa;v=1"}"#;
        let claims = r#"{"jti":"SK00000000000000000000000000000001-1700000000","iss":"SK00000000000000000000000000000001","sub":"AC00000000000000000000000000000001","exp":1700003600,"grants":{"identity":"alice","video":{"room":"room1"}}}"#;
        let signing_input = format!("{}.{}", b64(header), b64(claims));
        let signature = sign(
            signing_input.as_bytes(),
            &EncodingKey::from_secret(key().secret.as_bytes()),
            Algorithm::HS256,
        )
        .unwrap();
        format!("{signing_input}.{signature}")
    }

    #[test]
    fn rejects_expired_future_forged_and_foreign_tokens() {
        let now = 1_700_000_000;
        let token = mint(ACCOUNT, &key(), "a", Some("r"), 60, now);
        assert_eq!(
            verifier().verify(&token, now + 3600).unwrap_err().code(),
            20104
        );
        let future = mint(ACCOUNT, &key(), "a", Some("r"), 60, now + 3600);
        assert_eq!(verifier().verify(&future, now).unwrap_err().code(), 20105);
        let other_key = ApiKey {
            secret: "another-secret-another-secret".into(),
            ..key()
        };
        let forged = mint(ACCOUNT, &other_key, "a", Some("r"), 60, now);
        assert_eq!(verifier().verify(&forged, now).unwrap_err().code(), 20107);
        let foreign = mint(
            "AC99999999999999999999999999999999",
            &key(),
            "a",
            None,
            60,
            now,
        );
        assert_eq!(verifier().verify(&foreign, now).unwrap_err().code(), 20103);
        for garbage in ["", "abc", "a.b.c", "🙂.🙂.🙂"] {
            assert_eq!(verifier().verify(garbage, now).unwrap_err().code(), 20101);
        }
        // `alg: none` (and HS512 etc.): refused whatever the payload says.
        let payload = mint(ACCOUNT, &key(), "a", Some("r"), 60, now);
        let claims_part = payload.split('.').nth(1).unwrap();
        for header in [
            "eyJhbGciOiJub25lIiwidHlwIjoiSldUIiwiY3R5IjoidHdpbGlvLWZwYTt2PTEifQ", // none
            "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9",                               // HS512
        ] {
            let unsigned = format!("{header}.{claims_part}.");
            let code = verifier().verify(&unsigned, now).unwrap_err().code();
            assert!(code == 20101 || code == 20102, "{code}");
        }
        let mut tampered = mint(ACCOUNT, &key(), "a", Some("r"), 60, now);
        tampered.insert(tampered.len() / 2, 'x');
        assert!(verifier().verify(&tampered, now).is_err());
    }
}
