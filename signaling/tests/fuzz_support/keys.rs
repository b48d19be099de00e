//! The account, API key and time the corpus tokens were minted with
//! (`examples/signaling_fuzz_corpus.rs`); the fuzz targets verify tokens with the
//! same ones, on a clock stopped just after `MINTED_AT`, so the corpus
//! `join` messages join.

pub const ACCOUNT_SID: &str = "AC00000000000000000000000000000001";
pub const KEY_SID: &str = "SK00000000000000000000000000000001";
pub const KEY_SECRET: &str = "fuzz-corpus-secret-fuzz-corpus-secret";
pub const MINTED_AT: u64 = 1_700_000_000;
/// Good for a year after `MINTED_AT`.
pub const TTL_SECS: u64 = 365 * 24 * 3600;
/// The room the corpus tokens grant.
pub const ROOM: &str = "fuzz";
