//! What the signaling fuzz targets share: the bounded configuration and
//! the byte mutations of the SFU's fuzz targets (the same files, so both
//! crates damage inputs the same way), the committed corpus of client
//! messages (`tests/fuzz_corpus/messages/`), and JSON mutations ([`json`]).

#![allow(dead_code, unused_imports)]

#[path = "../../../sfu/tests/fuzz_support/config.rs"]
pub mod config;
pub mod json;
pub mod keys;
#[path = "../../../sfu/tests/fuzz_support/mutate.rs"]
pub mod mutate;

pub use config::{corpus_files, fuzz_config};

/// The client messages of the corpus, as text, with their file names.
pub fn message_seeds() -> Vec<(String, String)> {
    corpus_files(
        env!("CARGO_MANIFEST_DIR"),
        "tests/fuzz_corpus/messages",
        "json",
    )
    .into_iter()
    .map(|(name, bytes)| {
        let text = String::from_utf8(bytes).unwrap_or_else(|_| panic!("{name}: UTF-8"));
        (name, text)
    })
    .collect()
}

pub use keys::*;
