//! Mutation strategies for the fuzz targets: proptest strategies that take
//! a corpus seed and damage it the way a fuzzer would, so generated inputs
//! stay close enough to real traffic to get past the first length check.
//!
//! Byte level (datagrams, and the raw text of SDP and JSON): bit flips, byte
//! overwrites, truncation, insertion, removal, splicing two seeds, and
//! length-field corruption; plus fully random bytes. Line level (SDP): drop,
//! duplicate and reorder lines, replace a value with a huge or odd one,
//! insert hostile lines.
//!
//! Shared by `sfu/tests/fuzz_*.rs` and (by `#[path]`) the signaling fuzz
//! targets, so both crates damage their inputs the same way. Every
//! strategy shrinks towards "fewer, earlier mutations of the first seed",
//! which keeps a found failure readable.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;

/// Values a length or count field is most likely to be mishandled at.
const INTERESTING: [u32; 14] = [
    0,
    1,
    2,
    3,
    4,
    0x7f,
    0x80,
    0xff,
    0x100,
    0x7fff,
    0x8000,
    0xfffe,
    0xffff,
    0xffff_ffff,
];

/// Offsets where the protocols on the media port keep a length: STUN and
/// RTCP (2), an RTP extension header's length after a 12-byte header (14),
/// a DTLS record's (11) and its handshake's (14, 22), STUN's first
/// attribute length (22).
const LENGTH_OFFSETS: [usize; 6] = [2, 3, 11, 14, 22, 24];

/// One change to a byte string. Positions are [`Index`]es, resolved
/// against the length the bytes have when the change is applied.
#[derive(Debug, Clone)]
pub enum ByteMutation {
    FlipBit(Index, u8),
    Overwrite(Index, u8),
    Truncate(Index),
    Insert(Index, Vec<u8>),
    Remove(Index, usize),
    /// Replaces everything from a position with the tail of another seed
    /// (from its own position).
    Splice(Index, Index, Index),
    /// Writes an interesting value, big-endian, `width` bytes wide, at a
    /// known length offset or anywhere.
    LengthField {
        at: Option<usize>,
        anywhere: Index,
        width: usize,
        value: u32,
    },
    /// Repeats a slice in place (attribute or chunk duplication).
    Duplicate(Index, usize),
}

/// One byte-level change, weighted towards the ones that find bugs in
/// length-prefixed formats.
pub fn byte_mutation() -> impl Strategy<Value = ByteMutation> {
    prop_oneof![
        3 => (any::<Index>(), 0u8..8).prop_map(|(i, b)| ByteMutation::FlipBit(i, b)),
        3 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| ByteMutation::Overwrite(i, b)),
        1 => any::<Index>().prop_map(ByteMutation::Truncate),
        2 => (any::<Index>(), vec(any::<u8>(), 1..16))
            .prop_map(|(i, b)| ByteMutation::Insert(i, b)),
        1 => (any::<Index>(), 1usize..32).prop_map(|(i, n)| ByteMutation::Remove(i, n)),
        1 => (any::<Index>(), any::<Index>(), any::<Index>())
            .prop_map(|(a, s, b)| ByteMutation::Splice(a, s, b)),
        3 => (
            proptest::option::of(proptest::sample::select(&LENGTH_OFFSETS[..])),
            any::<Index>(),
            prop_oneof![Just(1usize), Just(2), Just(3), Just(4)],
            proptest::sample::select(&INTERESTING[..]),
        )
            .prop_map(|(at, anywhere, width, value)| ByteMutation::LengthField {
                at,
                anywhere,
                width,
                value,
            }),
        1 => (any::<Index>(), 1usize..64).prop_map(|(i, n)| ByteMutation::Duplicate(i, n)),
    ]
}

/// Applies `mutations` to `bytes` in order; `seeds` feed splicing.
pub fn apply_bytes(mut bytes: Vec<u8>, mutations: &[ByteMutation], seeds: &[Vec<u8>]) -> Vec<u8> {
    for m in mutations {
        let len = bytes.len();
        match m {
            ByteMutation::FlipBit(i, bit) if len > 0 => bytes[i.index(len)] ^= 1 << bit,
            ByteMutation::Overwrite(i, byte) if len > 0 => bytes[i.index(len)] = *byte,
            ByteMutation::Truncate(i) => bytes.truncate(i.index(len + 1)),
            ByteMutation::Insert(i, extra) => {
                let at = i.index(len + 1);
                bytes.splice(at..at, extra.iter().copied());
            }
            ByteMutation::Remove(i, n) if len > 0 => {
                let at = i.index(len);
                bytes.drain(at..(at + n).min(len));
            }
            ByteMutation::Splice(at, seed, from) if !seeds.is_empty() => {
                let other = seed.get(seeds);
                let at = at.index(len + 1);
                let from = from.index(other.len() + 1);
                bytes.truncate(at);
                bytes.extend_from_slice(&other[from..]);
            }
            ByteMutation::LengthField {
                at,
                anywhere,
                width,
                value,
            } => {
                let at = at.unwrap_or_else(|| anywhere.index(len.max(1)));
                let be = value.to_be_bytes();
                for (k, b) in be[4 - width..].iter().enumerate() {
                    if let Some(slot) = bytes.get_mut(at + k) {
                        *slot = *b;
                    }
                }
            }
            ByteMutation::Duplicate(i, n) if len > 0 => {
                let at = i.index(len);
                let end = (at + n).min(len);
                let copy = bytes[at..end].to_vec();
                bytes.splice(end..end, copy);
            }
            _ => {}
        }
    }
    bytes
}

/// A seed with 1–8 byte mutations, a seed as it is, or random bytes.
pub fn mutated_bytes(seeds: Vec<Vec<u8>>, max_random_len: usize) -> BoxedStrategy<Vec<u8>> {
    assert!(!seeds.is_empty(), "an empty corpus");
    let splice_from = seeds.clone();
    prop_oneof![
        6 => (any::<Index>(), vec(byte_mutation(), 1..8)).prop_map(move |(seed, mutations)| {
            apply_bytes(seed.get(&splice_from).clone(), &mutations, &splice_from)
        }),
        1 => proptest::sample::select(seeds),
        1 => vec(any::<u8>(), 0..max_random_len),
    ]
    .boxed()
}

/// Huge, empty, negative, out-of-range, control and non-ASCII values: what a
/// parser of text fields is most likely to mishandle.
pub fn odd_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("0".to_owned()),
        Just("-1".to_owned()),
        Just("4294967296".to_owned()),
        Just("18446744073709551616".to_owned()),
        Just("99999999999999999999999999999999".to_owned()),
        Just("1e400".to_owned()),
        Just("NaN".to_owned()),
        Just(":".to_owned()),
        Just(" ".to_owned()),
        Just("\0".to_owned()),
        Just("\u{202e}ü😀\u{fffd}".to_owned()),
        Just("x".repeat(5000)),
        Just("9".repeat(300)),
        "[ -~]{0,40}",
        "\\PC{0,20}",
    ]
}

/// One change to a text made of lines (SDP).
#[derive(Debug, Clone)]
pub enum LineMutation {
    Drop(Index),
    Duplicate(Index),
    Swap(Index, Index),
    /// Replaces one space- or colon-separated token of a line.
    ReplaceToken(Index, Index, String),
    Insert(Index, String),
    Bytes(Vec<ByteMutation>),
}

fn line_mutation(hostile_lines: Vec<String>) -> impl Strategy<Value = LineMutation> {
    prop_oneof![
        2 => any::<Index>().prop_map(LineMutation::Drop),
        2 => any::<Index>().prop_map(LineMutation::Duplicate),
        2 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| LineMutation::Swap(a, b)),
        4 => (any::<Index>(), any::<Index>(), odd_value())
            .prop_map(|(l, t, v)| LineMutation::ReplaceToken(l, t, v)),
        2 => (any::<Index>(), proptest::sample::select(hostile_lines))
            .prop_map(|(i, l)| LineMutation::Insert(i, l)),
        1 => vec(byte_mutation(), 1..4).prop_map(LineMutation::Bytes),
    ]
}

/// Applies line mutations to `text` (lines end in CRLF, as in SDP).
pub fn apply_lines(text: &str, mutations: &[LineMutation]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    for m in mutations {
        let len = lines.len();
        match m {
            LineMutation::Drop(i) if len > 0 => {
                lines.remove(i.index(len));
            }
            LineMutation::Duplicate(i) if len > 0 => {
                let at = i.index(len);
                lines.insert(at, lines[at].clone());
            }
            LineMutation::Swap(a, b) if len > 0 => lines.swap(a.index(len), b.index(len)),
            LineMutation::ReplaceToken(l, t, value) if len > 0 => {
                let line = &mut lines[l.index(len)];
                let tokens: Vec<&str> = line.split_inclusive([' ', ':', '=', '/']).collect();
                let k = t.index(tokens.len().max(1));
                let mut out = String::new();
                for (j, token) in tokens.iter().enumerate() {
                    if j == k {
                        // Keep the separator so the line keeps its shape.
                        let sep = token
                            .chars()
                            .last()
                            .filter(|c| " :=/".contains(*c))
                            .map(String::from)
                            .unwrap_or_default();
                        out.push_str(value);
                        out.push_str(&sep);
                    } else {
                        out.push_str(token);
                    }
                }
                *line = out;
            }
            LineMutation::Insert(i, line) => lines.insert(i.index(len + 1), line.clone()),
            LineMutation::Bytes(bytes) => {
                let joined = lines.join("\r\n").into_bytes();
                let damaged = apply_bytes(joined, bytes, &[]);
                lines = String::from_utf8_lossy(&damaged)
                    .lines()
                    .map(str::to_owned)
                    .collect();
            }
            _ => {}
        }
    }
    let mut out = lines.join("\r\n");
    out.push_str("\r\n");
    out
}

/// A seed text with 1–6 line mutations, or a seed as it is.
pub fn mutated_lines(seeds: Vec<String>, hostile_lines: Vec<String>) -> BoxedStrategy<String> {
    assert!(!seeds.is_empty(), "an empty corpus");
    let texts = seeds.clone();
    prop_oneof![
        8 => (any::<Index>(), vec(line_mutation(hostile_lines), 1..6))
            .prop_map(move |(seed, mutations)| apply_lines(seed.get::<String>(&texts), &mutations)),
        1 => proptest::sample::select(seeds),
    ]
    .boxed()
}

/// Up to three line mutations, to apply to a text made during the case
/// (an answer to the SFU's own offer).
pub fn line_mutations(hostile_lines: Vec<String>) -> impl Strategy<Value = Vec<LineMutation>> {
    vec(line_mutation(hostile_lines), 0..4)
}
