//! JSON mutations for signaling messages: field-level changes to a parsed
//! corpus message (wrong types, huge numbers, missing and unknown fields,
//! another message's `type`, deep nesting, unicode, NUL), then text-level
//! ones a structured value cannot hold (numbers out of every range,
//! duplicate keys, damaged bytes).

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::{Map, Value, json};

use super::mutate::{ByteMutation, apply_bytes, byte_mutation, odd_value};

/// Every `type` a message on this protocol can have, both directions, and
/// near misses.
const TYPES: [&str; 18] = [
    "join",
    "ping",
    "leave",
    "offer",
    "answer",
    "candidate",
    "track_enabled",
    "joined",
    "pong",
    "error",
    "participant_connected",
    "track_published",
    "Join",
    "OFFER",
    "trackEnabled",
    "media",
    "",
    "join ",
];

/// Field names of every message, and some that are none.
const FIELDS: [&str; 16] = [
    "type",
    "version",
    "token",
    "room",
    "id",
    "sdp",
    "tracks",
    "mid",
    "name",
    "kind",
    "enabled",
    "candidate",
    "sdpMid",
    "sdpMLineIndex",
    "sdp_mid",
    "__proto__",
];

/// A value of the wrong type, or of the right type and an odd value.
pub fn odd_json() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        Just(json!(0)),
        Just(json!(-1)),
        Just(json!(1.5)),
        Just(json!(u64::MAX)),
        Just(json!(i64::MIN)),
        Just(json!(u32::MAX as u64 + 1)),
        Just(json!(65536)),
        Just(json!(f64::MAX)),
        Just(json!([])),
        Just(json!({})),
        Just(json!([{"mid": "0", "name": "x", "kind": "audio"}])),
        Just(json!({"mid": null, "name": 1, "kind": "screen"})),
        proptest::sample::select(&TYPES[..]).prop_map(|t| json!(t)),
        odd_value().prop_map(Value::String),
    ]
}

/// One change to a parsed message.
#[derive(Debug, Clone)]
pub enum JsonMutation {
    /// Replaces the value at a node (in depth-first order).
    Replace(Index, Value),
    /// Removes a field of an object node.
    Remove(Index, Index),
    /// Adds a field, known or not, to an object node.
    Add(Index, String, Value),
    /// Sets `type` to another message's.
    Retype(&'static str),
    /// Wraps a node in `depth` arrays or objects.
    Nest(Index, usize, bool),
}

fn json_mutation() -> impl Strategy<Value = JsonMutation> {
    let field = prop_oneof![
        3 => proptest::sample::select(&FIELDS[..]).prop_map(str::to_owned),
        1 => odd_value(),
    ];
    prop_oneof![
        4 => (any::<Index>(), odd_json()).prop_map(|(i, v)| JsonMutation::Replace(i, v)),
        2 => (any::<Index>(), any::<Index>()).prop_map(|(i, f)| JsonMutation::Remove(i, f)),
        2 => (any::<Index>(), field, odd_json()).prop_map(|(i, f, v)| JsonMutation::Add(i, f, v)),
        2 => proptest::sample::select(&TYPES[..]).prop_map(JsonMutation::Retype),
        1 => (any::<Index>(), prop_oneof![1usize..8, 100usize..300], any::<bool>())
            .prop_map(|(i, d, a)| JsonMutation::Nest(i, d, a)),
    ]
}

/// The number of nodes of `value`, depth first.
fn count(value: &Value) -> usize {
    1 + match value {
        Value::Array(items) => items.iter().map(count).sum(),
        Value::Object(map) => map.values().map(count).sum(),
        _ => 0,
    }
}

/// The `n`th node of `value`, depth first (`n` below [`count`]).
fn node(value: &mut Value, n: usize) -> &mut Value {
    fn walk<'a>(value: &'a mut Value, n: &mut usize) -> Option<&'a mut Value> {
        if *n == 0 {
            return Some(value);
        }
        *n -= 1;
        match value {
            Value::Array(items) => items.iter_mut().find_map(|v| walk(v, n)),
            Value::Object(map) => map.values_mut().find_map(|v| walk(v, n)),
            _ => None,
        }
    }
    let mut left = n;
    walk(value, &mut left).expect("an index below the node count")
}

/// Applies field-level mutations in order.
pub fn apply_json(mut value: Value, mutations: &[JsonMutation]) -> Value {
    for m in mutations {
        let size = count(&value);
        match m {
            JsonMutation::Replace(i, v) => *node(&mut value, i.index(size)) = v.clone(),
            JsonMutation::Remove(i, f) => {
                if let Value::Object(map) = node(&mut value, i.index(size))
                    && !map.is_empty()
                {
                    let key = map.keys().nth(f.index(map.len())).cloned().unwrap();
                    map.remove(&key);
                }
            }
            JsonMutation::Add(i, field, v) => {
                if let Value::Object(map) = node(&mut value, i.index(size)) {
                    map.insert(field.clone(), v.clone());
                }
            }
            JsonMutation::Retype(t) => {
                if let Value::Object(map) = &mut value {
                    map.insert("type".into(), json!(t));
                }
            }
            JsonMutation::Nest(i, depth, arrays) => {
                let at = node(&mut value, i.index(size));
                let mut inner = at.take();
                for _ in 0..*depth {
                    inner = if *arrays {
                        Value::Array(vec![inner])
                    } else {
                        let mut map = Map::new();
                        map.insert("a".into(), inner);
                        Value::Object(map)
                    };
                }
                *at = inner;
            }
        }
    }
    value
}

/// Text-level changes: what a `Value` cannot hold.
#[derive(Debug, Clone)]
pub enum TextMutation {
    /// Replaces the first number at or after a position.
    Number(Index, &'static str),
    /// Repeats the `type` key with another value (serde keeps the last).
    DuplicateType(&'static str),
    Bytes(Vec<ByteMutation>),
}

const NUMBERS: [&str; 8] = [
    "1e400",
    "-1e400",
    "18446744073709551616",
    "-0",
    "1.0",
    "0x10",
    "01",
    "99999999999999999999999999999999999999",
];

fn text_mutation() -> impl Strategy<Value = TextMutation> {
    prop_oneof![
        2 => (any::<Index>(), proptest::sample::select(&NUMBERS[..]))
            .prop_map(|(i, n)| TextMutation::Number(i, n)),
        1 => proptest::sample::select(&TYPES[..]).prop_map(TextMutation::DuplicateType),
        2 => vec(byte_mutation(), 1..4).prop_map(TextMutation::Bytes),
    ]
}

pub fn apply_text(mut text: String, mutations: &[TextMutation]) -> String {
    for m in mutations {
        match m {
            TextMutation::Number(i, replacement) => {
                let starts: Vec<usize> = text
                    .char_indices()
                    .filter(|(k, c)| {
                        (c.is_ascii_digit() || *c == '-') && text[..*k].ends_with([':', '[', ','])
                    })
                    .map(|(k, _)| k)
                    .collect();
                if !starts.is_empty() {
                    let at = starts[i.index(starts.len())];
                    let end = text[at..]
                        .find(|c: char| !(c.is_ascii_digit() || "-+.eE".contains(c)))
                        .map_or(text.len(), |n| at + n);
                    text.replace_range(at..end, replacement);
                }
            }
            TextMutation::DuplicateType(t) => {
                if let Some(at) = text.find('{') {
                    text.insert_str(at + 1, &format!("\"type\":\"{t}\","));
                }
            }
            TextMutation::Bytes(bytes) => {
                let damaged = apply_bytes(text.into_bytes(), bytes, &[]);
                text = String::from_utf8_lossy(&damaged).into_owned();
            }
        }
    }
    text
}

/// A corpus message mutated at the field level, then (sometimes) at the
/// text level; or a seed as it is; or random text.
pub fn mutated_message(seeds: Vec<String>) -> BoxedStrategy<String> {
    let values: Vec<Value> = seeds
        .iter()
        .map(|s| serde_json::from_str(s).expect("corpus messages are JSON"))
        .collect();
    prop_oneof![
        6 => (
            proptest::sample::select(values),
            vec(json_mutation(), 1..4),
            vec(text_mutation(), 0..2),
        )
            .prop_map(|(value, json, text)| {
                apply_text(apply_json(value, &json).to_string(), &text)
            }),
        1 => proptest::sample::select(seeds),
        1 => "\\PC{0,64}",
    ]
    .boxed()
}
