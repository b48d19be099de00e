//! The SFU's fuzz configuration and byte mutations (the same files, so
//! every crate's targets damage inputs the same way and bound their runs
//! the same way).

#![allow(dead_code, unused_imports)]

#[path = "../../../sfu/tests/fuzz_support/config.rs"]
pub mod config;
#[path = "../../../sfu/tests/fuzz_support/mutate.rs"]
pub mod mutate;

pub use config::fuzz_config;
