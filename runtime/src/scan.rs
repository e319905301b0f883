//! The one byte scan every client text frame gets before it is decoded: JSON nesting depth,
//! duplicate keys, and whether the envelope's keys are mentioned. One pass over the bytes,
//! no tree, memory bounded by the frame's keys; the decoders that follow (tag peek, envelope,
//! serde, schema walk) therefore only ever see frames that passed it. Malformed JSON passes:
//! the decoder reports it. Must not decode messages or touch connections.
//!
//! # Duplicate keys
//! A frame in which one JSON object repeats a key is refused with `json_invalid`, at any depth:
//! the tag (`action`), `payload`, `ref`, `version`, and every object inside the payload.
//! Keys are compared as JSON strings (`"a"` and `"\u0061"` are the same key). Without this
//! rule the parts of the runtime disagreed on such frames: the tag peek took the first
//! `action`, the schema walk the last, serde refused a repeated known field, and a repeated
//! `ref` was dropped.

use std::borrow::Cow;
use std::collections::HashSet;

use smallvec::SmallVec;

use crate::message::ErrorItem;

/// What [`scan_frame`] noticed on its way through a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scanned {
    /// A string `"ref"` or `"version"` occurs (a key of Chanx's envelope, or a value that
    /// looks like one): the envelope must be read. `false` means neither key is present
    /// (written without JSON escapes).
    pub envelope_keys: bool,
}

/// Checks that `text` nests arrays and objects at most `max_depth` deep and that no object
/// repeats a key, without parsing it: brackets inside strings are skipped. Errors are
/// `json_invalid` items; the first problem in document order is reported.
pub fn scan_frame(text: &str, max_depth: usize) -> Result<Scanned, ErrorItem> {
    let b = text.as_bytes();
    let mut depth = 0usize;
    let mut envelope_keys = false;
    let mut objects = Objects::default();
    // The next string is a key: just after `{`, or after `,` inside an object.
    let mut expect_key = false;
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        i += 1;
        match c {
            b'"' => {
                let start = i;
                envelope_keys = envelope_keys || crate::protocol::starts_envelope_key(&b[i..]);
                // Skip the string: to its closing quote, stepping over escaped characters.
                let mut escaped = false;
                let end = loop {
                    let Some(tail) = b.get(i..) else { return Ok(Scanned { envelope_keys }) };
                    match tail.iter().position(|&c| c == b'"' || c == b'\\') {
                        Some(at) if b[i + at] == b'\\' => {
                            escaped = true;
                            i += at + 2;
                        }
                        Some(at) => {
                            i += at + 1;
                            break i - 1;
                        }
                        None => return Ok(Scanned { envelope_keys }),
                    }
                };
                if expect_key {
                    expect_key = false;
                    let key = Key { start, end, escaped };
                    if objects.is_repeated(text, key) {
                        return Err(duplicate_key(text, key));
                    }
                }
            }
            b'{' | b'[' => {
                depth += 1;
                if depth > max_depth {
                    return Err(json_invalid(format!("nesting too deep (more than {max_depth} levels)")));
                }
                expect_key = c == b'{';
                objects.open(expect_key);
            }
            b']' | b'}' => {
                depth = depth.saturating_sub(1);
                objects.close();
                expect_key = false;
            }
            b',' => expect_key = objects.in_object(),
            _ => {}
        }
    }
    Ok(Scanned { envelope_keys })
}

/// Keys an object compares one by one; past this many, by hash (no quadratic cost for an
/// object of many keys).
const LINEAR_KEYS: usize = 16;

/// A key: the bytes between its quotes.
#[derive(Debug, Clone, Copy)]
struct Key {
    start: usize,
    end: usize,
    /// Contains a `\` escape: compared by its decoded value.
    escaped: bool,
}

impl Key {
    fn raw<'t>(&self, text: &'t str) -> &'t str {
        // Both ends are next to ASCII quotes, so both are character boundaries.
        text.get(self.start..self.end).unwrap_or_default()
    }

    fn bytes<'t>(&self, text: &'t str) -> &'t [u8] {
        text.as_bytes().get(self.start..self.end).unwrap_or_default()
    }

    /// The key's value; a broken escape keeps the raw text (the decoder reports the frame).
    fn value<'t>(&self, text: &'t str) -> Cow<'t, str> {
        if !self.escaped {
            return Cow::Borrowed(self.raw(text));
        }
        let quoted = text.get(self.start - 1..self.end + 1).unwrap_or_default();
        serde_json::from_str::<String>(quoted).map_or(Cow::Borrowed(self.raw(text)), Cow::Owned)
    }

    fn same(&self, other: &Key, text: &str) -> bool {
        self.bytes(text) == other.bytes(text)
            || ((self.escaped || other.escaped) && self.value(text) == other.value(text))
    }
}

/// An open array or object.
#[derive(Debug, Clone, Copy)]
enum Open {
    Array,
    /// Its keys are `keys[first..]` while it has at most [`LINEAR_KEYS`].
    Object {
        first: usize,
    },
    /// It has more keys: they are in `many`, under this id.
    Many {
        id: usize,
    },
}

/// The keys of the objects being read, innermost last.
#[derive(Debug, Default)]
struct Objects<'t> {
    open: SmallVec<[Open; 16]>,
    keys: SmallVec<[Key; 16]>,
    /// Keys of the objects past [`LINEAR_KEYS`] (built on first use: most frames have none).
    many: Option<HashSet<(usize, Cow<'t, str>)>>,
    next_id: usize,
}

impl<'t> Objects<'t> {
    fn open(&mut self, object: bool) {
        self.open.push(if object { Open::Object { first: self.keys.len() } } else { Open::Array });
    }

    fn close(&mut self) {
        if let Some(Open::Object { first }) = self.open.pop() {
            self.keys.truncate(first);
        }
    }

    fn in_object(&self) -> bool {
        !matches!(self.open.last(), Some(Open::Array) | None)
    }

    /// Records a key of the innermost object; `true` when that object already has it.
    fn is_repeated(&mut self, text: &'t str, key: Key) -> bool {
        let id = match self.open.last_mut() {
            None | Some(Open::Array) => return false,
            Some(Open::Many { id }) => *id,
            Some(open @ Open::Object { .. }) => {
                let Open::Object { first } = *open else { return false };
                if self.keys.len() - first < LINEAR_KEYS {
                    let repeated = self.keys[first..].iter().any(|k| k.same(&key, text));
                    self.keys.push(key);
                    return repeated;
                }
                // One key too many to compare one by one: from now on, by hash.
                self.next_id += 1;
                *open = Open::Many { id: self.next_id };
                let many = self.many.get_or_insert_with(HashSet::new);
                for k in self.keys.drain(first..) {
                    many.insert((self.next_id, k.value(text)));
                }
                self.next_id
            }
        };
        !self.many.get_or_insert_with(HashSet::new).insert((id, key.value(text)))
    }
}

fn json_invalid(what: String) -> ErrorItem {
    ErrorItem { kind: Cow::Borrowed("json_invalid"), loc: Vec::new(), msg: format!("Invalid JSON: {what}") }
}

/// Longest part of a repeated key quoted in the error.
const KEY_SHOWN: usize = 64;

fn duplicate_key(text: &str, key: Key) -> ErrorItem {
    let raw = key.raw(text);
    let mut cut = raw.len().min(KEY_SHOWN);
    while !raw.is_char_boundary(cut) {
        cut -= 1;
    }
    let shown = if cut < raw.len() { format!("{}...", &raw[..cut]) } else { raw.to_owned() };
    let before = &text.as_bytes()[..key.start - 1];
    let line = before.iter().filter(|&&c| c == b'\n').count() + 1;
    let column = before.len() - before.iter().rposition(|&c| c == b'\n').map_or(0, |n| n + 1) + 1;
    json_invalid(format!("duplicate key `{shown}` at line {line} column {column}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

    fn msg(text: &str) -> Option<String> {
        scan_frame(text, 64).err().map(|e| e.msg)
    }

    #[test]
    fn depth_counts_brackets_outside_strings() {
        assert!(scan_frame(r#"{"a":[1,{"b":2}]}"#, 3).is_ok());
        assert!(scan_frame(r#"{"a":[1,{"b":2}]}"#, 2).is_err());
        assert!(scan_frame(r#"{"a":"[[[[[[\"[[[["}"#, 1).is_ok());
        assert!(scan_frame(r#"{"a":"\\"}"#, 1).is_ok());
        let deep = "[".repeat(100_000);
        let err = scan_frame(&deep, 64).expect_err("too deep");
        assert_eq!(err.kind, "json_invalid");
        assert!(err.msg.contains("nesting too deep"), "{}", err.msg);
        // Closing brackets never underflow; unterminated strings end the scan.
        assert!(scan_frame("]]]]{}", 1).is_ok());
        assert!(scan_frame(r#"{"a":"x\"#, 1).is_ok());
        assert!(scan_frame(r#"{"a":"x\\"#, 1).is_ok());
        assert!(scan_frame(r#"{"a":"x"#, 1).is_ok());
    }

    #[test]
    fn scan_notes_envelope_keys() {
        let keys = |t: &str| scan_frame(t, 8).map(|s| s.envelope_keys);
        assert_eq!(keys(r#"{"action":"ping"}"#), Ok(false));
        assert_eq!(keys(r#"{"action":"ping","ref":"1"}"#), Ok(true));
        assert_eq!(keys(r#"{"version":1,"action":"ping"}"#), Ok(true));
        assert_eq!(keys(r#"{"action":"ping","payload":{"text":"a \"ref\" b"}}"#), Ok(false));
        assert_eq!(keys(r#"{"action":"x","payload":"ref"}"#), Ok(true));
        assert_eq!(keys(r#"{"refs":1,"versions":2}"#), Ok(false));
    }

    #[test]
    fn repeated_keys_of_one_object_are_refused() {
        assert_eq!(
            msg(r#"{"a":1,"b":{"a":2},"a":3}"#).as_deref(),
            Some("Invalid JSON: duplicate key `a` at line 1 column 20")
        );
        assert!(msg(r#"{"a":{"a":{"a":1}},"b":[{"a":1},{"a":1}]}"#).is_none());
        assert!(msg(r#"{"a":"a","b":["a","a"]}"#).is_none());
        assert!(msg(r#"{"\u0061":1,"a":2}"#).is_some_and(|m| m.contains("duplicate key `a`")));
        assert!(msg(r#"{"\"":1,"\u0022":2}"#).is_some());
        assert!(msg(r#"{"\n":1,"\\n":2}"#).is_none());
        // A broken escape is compared as written; the decoder reports the frame.
        assert!(msg(r#"{"\x":1,"\y":2}"#).is_none());
        // A long key is cut in the message.
        let long = "k".repeat(100);
        let m = msg(&format!(r#"{{"{long}":1,"{long}":2}}"#)).expect("duplicate");
        assert!(m.contains(&format!("`{}...`", "k".repeat(KEY_SHOWN))), "{m}");
    }

    #[test]
    fn objects_of_many_keys_are_compared_by_hash() {
        let keys: Vec<String> = (0..5_000).map(|i| format!(r#""k{i}":{{"k{i}":1}}"#)).collect();
        let unique = format!("{{{}}}", keys.join(","));
        assert!(msg(&unique).is_none());
        for repeated in [0, LINEAR_KEYS - 1, LINEAR_KEYS, LINEAR_KEYS + 1, 4_999] {
            let frame = format!("{{{},\"k{repeated}\":2}}", keys.join(","));
            let m = msg(&frame).expect("duplicate");
            assert!(m.starts_with(&format!("Invalid JSON: duplicate key `k{repeated}`")), "{m}");
        }
        // Many objects of many keys, each with its own set.
        let object = format!("{{{}}}", (0..40).map(|i| format!(r#""k{i}":1"#)).collect::<Vec<_>>().join(","));
        assert!(msg(&format!("[{}]", vec![object.as_str(); 50].join(","))).is_none());
    }

    /// A full parse that refuses repeated keys: what the scan must agree with.
    struct Strict;

    impl<'de> Deserialize<'de> for Strict {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_any(StrictVisitor)
        }
    }

    struct StrictVisitor;

    impl<'de> Visitor<'de> for StrictVisitor {
        type Value = Strict;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("JSON")
        }
        fn visit_bool<E>(self, _: bool) -> Result<Strict, E> {
            Ok(Strict)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Strict, E> {
            Ok(Strict)
        }
        fn visit_str<E>(self, _: &str) -> Result<Strict, E> {
            Ok(Strict)
        }
        fn visit_unit<E>(self) -> Result<Strict, E> {
            Ok(Strict)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Strict, A::Error> {
            while seq.next_element::<Strict>()?.is_some() {}
            Ok(Strict)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Strict, A::Error> {
            let mut seen = HashSet::new();
            while let Some(key) = map.next_key::<String>()? {
                if !seen.insert(key) {
                    return Err(de::Error::custom("duplicate"));
                }
                map.next_value::<Strict>()?;
            }
            Ok(Strict)
        }
    }

    /// JSON text with keys from a small set, some written with escapes.
    fn json_text() -> impl Strategy<Value = String> {
        let key = prop::sample::select(vec![r#""a""#, r#""b""#, r#""\u0061""#, r#""ref""#, r#""action""#]);
        let leaf = prop_oneof![Just("1".to_owned()), Just(r#""a""#.to_owned()), Just("null".to_owned())];
        leaf.prop_recursive(5, 64, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(|v| format!("[{}]", v.join(","))),
                prop::collection::vec((key.clone(), inner), 0..6).prop_map(|v| {
                    let fields: Vec<String> = v.into_iter().map(|(k, v)| format!("{k}:{v}")).collect();
                    format!("{{{}}}", fields.join(","))
                }),
            ]
        })
    }

    proptest! {
        #[test]
        fn the_scan_refuses_exactly_what_a_strict_parse_refuses(text in json_text()) {
            let strict = serde_json::from_str::<Strict>(&text).is_ok();
            let scanned = scan_frame(&text, 64);
            prop_assert_eq!(scanned.is_ok(), strict, "{}", text);
            if let Err(e) = scanned {
                prop_assert!(e.msg.starts_with("Invalid JSON: duplicate key"), "{}", e.msg);
            }
        }
    }
}
