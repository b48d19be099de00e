//! `confide-testkit`: the one client the tests and the load test use to
//! talk to Confide the way a browser does.
//!
//! The crates, and the paths a media packet, a subscriber's PLI or NACK,
//! a video-token request and a reminder take through them, file by file:
//! `docs/architecture.md`.
//!
//! Modules, each one concept:
//! - [`peer`]: a webrtc-rs sans-IO `rtc` peer connection as a browser
//!   sets it up (full ICE against the SFU's ICE-lite, DTLS, SRTP), with
//!   an Opus and a VP8/H.264 sending track; offers, answers, RTP out,
//!   what arrived in. No socket, no clock: the caller feeds datagrams
//!   and time (the SFU tests use an in-memory network and a fake clock,
//!   the load test its own `mio` loop).
//! - [`media`]: the labelled payloads tests send (`alice-video-7`), the
//!   Dependency Descriptors video may carry, and how to read payloads
//!   back.
//! - [`signaling`]: the `/rtc` websocket: connect, `join`, the `offer`
//!   message with its tracks (docs/signaling.md).
//! - [`udp`]: a [`peer::Peer`] on a real UDP socket under tokio.
//! - [`participant`]: signaling and a UDP peer together, one task per
//!   participant: join, publish, and watch what the server says and
//!   sends (the API tests).
//! - [`wait`]: waiting for a condition with a generous deadline instead
//!   of sleeping.
//!
//! And one program, `delay-queue` (`src/bin/delay-queue.rs`): the delay
//! and jitter of the browser tests' bad networks, on NFQUEUE, for kernels
//! without `sch_netem`.
//!
//! Data flow of a [`participant::Participant`]: the test calls
//! `send_media` → the participant's task writes RTP through the
//! [`peer::Peer`] → SRTP datagrams out of the [`udp`] socket to the SFU;
//! datagrams in → the peer → [`peer::Incoming`] → `Seen` events the test
//! reads with `collect_media`/`wait_signal`. Offers and answers travel
//! between the websocket ([`signaling`]) and the peer in the same task.

pub mod media;
pub mod participant;
pub mod peer;
pub mod signaling;
pub mod udp;
pub mod wait;

pub use participant::{Participant, Seen};
pub use peer::{Incoming, Peer, Publish};
