//! Chanx's wire envelope around generated messages: the `ref`/`version` keys, error frames and
//! completion frames. Pure functions over strings and bytes; must not touch connections.
//!
//! Shapes (checked against Chanx 2.13):
//! - a reply to a client frame that carried `"ref": "r1"` gets `"version": 1, "ref": "r1"`
//!   appended as its last keys;
//! - a frame that cannot be decoded gets `{"action": "error", "payload": [{"type", "loc",
//!   "msg"}, ...]}`; a failed handler gets `{"action": "error", "payload": {"detail": ...}}`;
//! - completion frames are `{"action": "complete", "payload": null}` (and `group_complete`,
//!   `event_complete`).

use std::borrow::Cow;
use std::sync::Arc;

use bytes::Bytes;
use serde::Deserialize;

use crate::message::{ErrorItem, LocPart};

/// The envelope version Chanx stamps on replies that carry a `ref`.
pub const ENVELOPE_VERSION: u32 = 1;

/// `{"action":"complete","payload":null}`: sent after each client frame when completion is on.
pub const COMPLETE: &str = r#"{"action":"complete","payload":null}"#;
/// `{"action":"group_complete","payload":null}`: sent after each group message.
pub const GROUP_COMPLETE: &str = r#"{"action":"group_complete","payload":null}"#;
/// `{"action":"event_complete","payload":null}`: sent after each direct hub message.
pub const EVENT_COMPLETE: &str = r#"{"action":"event_complete","payload":null}"#;

/// The `ref` of a client frame, kept JSON-encoded so that stamping a reply is a copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ref {
    value: String,
    json: String,
}

impl Ref {
    /// A ref with this value.
    pub fn new(value: impl Into<String>) -> Self {
        let value = value.into();
        let json = serde_json::to_string(&value).expect("a string always serializes");
        Self { value, json }
    }

    /// The ref as the client sent it.
    pub fn as_str(&self) -> &str {
        &self.value
    }

    /// Appends `"version": 1, "ref": ...` to an encoded JSON object. Anything that does not
    /// end like an object is returned unchanged.
    pub fn stamp(&self, mut encoded: String) -> String {
        let trimmed = encoded.trim_end().len();
        encoded.truncate(trimmed);
        if !encoded.ends_with('}') {
            return encoded;
        }
        encoded.pop();
        let empty = encoded.trim_end().ends_with('{');
        encoded.reserve(self.json.len() + 24);
        if !empty {
            encoded.push(',');
        }
        encoded.push_str("\"version\":1,\"ref\":");
        encoded.push_str(&self.json);
        encoded.push('}');
        encoded
    }
}

/// Adds the envelope, if any, to an encoded frame and turns it into shared bytes (a constant
/// frame without an envelope is borrowed, not copied).
pub(crate) fn stamp(encoded: Cow<'static, str>, envelope: Option<&Envelope>) -> Bytes {
    match envelope {
        Some(e) => Bytes::from(e.stamp(encoded.into_owned())),
        None => text_bytes(encoded),
    }
}

/// The envelope keys Chanx puts beside `action` on a frame: `version`, `topic`, `ref`, `seq`.
///
/// On a client frame they are read (and checked) before the message is decoded; a reply gets
/// the frame's `topic` and `ref` back, a published topic message gets its `topic` and `seq`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Envelope {
    /// The client's `ref`, echoed on every frame sent while its frame is handled.
    pub reference: Option<Ref>,
    /// The topic the frame is addressed to (see [`crate::topic`]).
    pub topic: Option<Arc<str>>,
    /// The publisher's sequence number of a topic message (client frames' `seq` is checked and
    /// otherwise ignored).
    pub seq: Option<i64>,
}

impl Envelope {
    /// An envelope carrying only a `ref`.
    pub fn with_ref(reference: Ref) -> Self {
        Self { reference: Some(reference), topic: None, seq: None }
    }

    /// An envelope addressed to a topic.
    pub fn topic(topic: impl Into<Arc<str>>) -> Self {
        Self { reference: None, topic: Some(topic.into()), seq: None }
    }

    /// Whether it carries nothing (no stamp is needed).
    pub fn is_empty(&self) -> bool {
        self.reference.is_none() && self.topic.is_none() && self.seq.is_none()
    }

    /// Appends `"version": 1` and then `topic`, `ref` and `seq` (those present), in Chanx's
    /// order, to an encoded JSON object. Anything that does not end like an object is
    /// returned unchanged.
    pub fn stamp(&self, mut encoded: String) -> String {
        let trimmed = encoded.trim_end().len();
        encoded.truncate(trimmed);
        if !encoded.ends_with('}') {
            return encoded;
        }
        encoded.pop();
        let empty = encoded.trim_end().ends_with('{');
        let topic = self.topic.as_deref().map(json_string);
        let reference = self.reference.as_ref().map(|r| r.json.as_str());
        encoded.reserve(32 + topic.as_ref().map_or(0, String::len) + reference.map_or(0, str::len));
        if !empty {
            encoded.push(',');
        }
        encoded.push_str("\"version\":1");
        if let Some(topic) = &topic {
            encoded.push_str(",\"topic\":");
            encoded.push_str(topic);
        }
        if let Some(reference) = reference {
            encoded.push_str(",\"ref\":");
            encoded.push_str(reference);
        }
        if let Some(seq) = self.seq {
            encoded.push_str(",\"seq\":");
            encoded.push_str(&seq.to_string());
        }
        encoded.push('}');
        encoded
    }
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).expect("a string always serializes")
}

/// An encoded frame as shared bytes: a `&'static str` is borrowed, a `String` is taken over.
pub(crate) fn text_bytes(encoded: Cow<'static, str>) -> Bytes {
    match encoded {
        Cow::Borrowed(s) => Bytes::from_static(s.as_bytes()),
        Cow::Owned(s) => Bytes::from(s),
    }
}

/// One envelope value, classified without building a tree.
enum Field {
    Null,
    Str(String),
    Int,
    Float(f64),
    Other,
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Field;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Field::Str(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Field::Str(v))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Field::Null)
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(Field::Null)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Field::Int)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Field::Int)
            }
            fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Field::Float(v))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Field::Other)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(Field::Other)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?.is_some() {}
                Ok(Field::Other)
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize)]
struct EnvelopeKeys {
    #[serde(rename = "ref", default)]
    reference: Option<Field>,
    #[serde(default)]
    version: Option<Field>,
    #[serde(default)]
    topic: Option<Field>,
    #[serde(default)]
    seq: Option<Field>,
}

/// Reads the envelope keys (`ref`, `version`) of a client frame without decoding the message.
///
/// `Ok(None)`: no ref (or the frame is not a JSON object; the message decoder reports that).
/// `Err`: the envelope is invalid (a non-string `ref`, a non-integer `version`), reported like
/// Chanx does, with `loc: ["ref"]` / `["version"]`.
///
/// Frames that contain neither `"ref"` nor `"version"` are not parsed at all (a key written with
/// JSON escapes, like `"r\u0065f"`, is therefore not seen).
pub fn peek_envelope(frame: &str) -> Result<Option<Ref>, Vec<ErrorItem>> {
    if !mentions_envelope_key(frame) {
        return Ok(None);
    }
    read_envelope(frame).map(|e| e.and_then(|e| e.reference))
}

/// Reads every envelope key (`ref`, `version`, `topic`, `seq`) of a client frame, for a caller
/// that has already seen that one is mentioned (the reader's scan notes them, see
/// [`crate::scan::scan_frame`]). `Ok(None)`: none is set. Errors are Chanx's, located at the key.
pub(crate) fn read_envelope(frame: &str) -> Result<Option<Envelope>, Vec<ErrorItem>> {
    let Ok(keys) = serde_json::from_str::<EnvelopeKeys>(frame) else {
        return Ok(None);
    };
    let mut errors = Vec::new();
    let reference = match keys.reference {
        None | Some(Field::Null) => None,
        Some(Field::Str(s)) => Some(Ref::new(s)),
        Some(_) => {
            errors.push(item("string_type", "ref", "Input should be a valid string"));
            None
        }
    };
    check_int(keys.version, "version", &mut errors);
    let topic = match keys.topic {
        None | Some(Field::Null) => None,
        Some(Field::Str(s)) => Some(Arc::from(s)),
        Some(_) => {
            errors.push(item("string_type", "topic", "Input should be a valid string"));
            None
        }
    };
    check_int(keys.seq, "seq", &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    let envelope = Envelope { reference, topic, seq: None };
    Ok((!envelope.is_empty()).then_some(envelope))
}

/// Checks an integer envelope key the way Chanx's model does (lax: `"3"` and `3.0` pass).
fn check_int(value: Option<Field>, key: &str, errors: &mut Vec<ErrorItem>) {
    match value {
        None | Some(Field::Null | Field::Int) => {}
        Some(Field::Float(f)) if f.fract() == 0.0 => {}
        Some(Field::Float(_)) => errors.push(item(
            "int_from_float",
            key,
            "Input should be a valid integer, got a number with a fractional part",
        )),
        Some(Field::Str(s)) if s.trim().parse::<i64>().is_ok() => {}
        Some(Field::Str(_)) => errors.push(item(
            "int_parsing",
            key,
            "Input should be a valid integer, unable to parse string as an integer",
        )),
        Some(Field::Other) => errors.push(item("int_type", key, "Input should be a valid integer")),
    }
}

/// Whether an envelope key (`"ref"`, `"version"`, `"topic"`, `"seq"`) appears anywhere in the
/// frame (one pass over its bytes).
fn mentions_envelope_key(frame: &str) -> bool {
    let b = frame.as_bytes();
    (0..b.len()).any(|i| b[i] == b'"' && starts_envelope_key(&b[i + 1..]))
}

/// Whether the bytes right after an opening quote spell `ref"`, `version"`, `topic"` or
/// `seq"`: the string is one of the envelope's keys (or a value that looks like one).
pub(crate) fn starts_envelope_key(after_quote: &[u8]) -> bool {
    match after_quote.first() {
        Some(b'r') => after_quote.starts_with(b"ref\""),
        Some(b'v') => after_quote.starts_with(b"version\""),
        Some(b't') => after_quote.starts_with(b"topic\""),
        Some(b's') => after_quote.starts_with(b"seq\""),
        _ => false,
    }
}

fn item(kind: &'static str, key: &str, msg: &str) -> ErrorItem {
    ErrorItem { kind: Cow::Borrowed(kind), loc: vec![LocPart::Key(key.to_owned())], msg: msg.to_owned() }
}

/// The frame without its top-level `topic` and `seq` keys, so that the rest decodes as a plain
/// message (a message schema that forbids other keys would refuse them). Borrowed when there is
/// nothing to remove or the frame is not a JSON object (the decoder reports that).
pub(crate) fn strip_envelope_keys(frame: &str) -> Cow<'_, str> {
    if !frame.contains("\"topic\"") && !frame.contains("\"seq\"") {
        return Cow::Borrowed(frame);
    }
    let Some(entries) = top_level_entries(frame) else { return Cow::Borrowed(frame) };
    if !entries.iter().any(|e| e.2) {
        return Cow::Borrowed(frame);
    }
    let mut out = String::with_capacity(frame.len());
    out.push('{');
    for (start, end, _) in entries.iter().filter(|e| !e.2) {
        if out.len() > 1 {
            out.push(',');
        }
        out.push_str(&frame[*start..*end]);
    }
    out.push('}');
    Cow::Owned(out)
}

/// The `(start, end, is topic or seq)` byte spans of a JSON object's `"key": value` entries.
fn top_level_entries(frame: &str) -> Option<Vec<(usize, usize, bool)>> {
    let b = frame.as_bytes();
    let skip_ws = |mut i: usize| {
        while b.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        i
    };
    // One JSON value at `at`: what it is and where it ends.
    fn value<'de, T: Deserialize<'de>>(frame: &'de str, at: usize) -> Option<(T, usize)> {
        let mut values = serde_json::Deserializer::from_str(frame.get(at..)?).into_iter::<T>();
        let v = values.next()?.ok()?;
        Some((v, at + values.byte_offset()))
    }
    let mut i = skip_ws(0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i = skip_ws(i + 1);
    let mut entries = Vec::new();
    if b.get(i) == Some(&b'}') {
        return Some(entries);
    }
    loop {
        let start = i;
        let (key, after): (String, usize) = value(frame, i)?;
        i = skip_ws(after);
        if b.get(i) != Some(&b':') {
            return None;
        }
        let (serde::de::IgnoredAny, end) = value(frame, skip_ws(i + 1))?;
        entries.push((start, end, key == "topic" || key == "seq"));
        i = skip_ws(end);
        match b.get(i) {
            Some(b',') => i = skip_ws(i + 1),
            Some(b'}') => return Some(entries),
            _ => return None,
        }
    }
}

/// Whether a frame is a JSON object at all (used on the error path only, to tell a broken
/// frame from an invalid message).
pub(crate) fn is_json_object(frame: &str) -> bool {
    serde_json::from_str::<serde::de::IgnoredAny>(frame).is_ok() && frame.trim_start().starts_with('{')
}

/// `{"action":"error","payload":[{type, loc, msg}, ...]}`.
pub fn error_items_frame(items: &[ErrorItem]) -> String {
    #[derive(serde::Serialize)]
    struct ErrorFrame<'a> {
        action: &'static str,
        payload: &'a [ErrorItem],
    }
    serde_json::to_string(&ErrorFrame { action: "error", payload: items })
        .expect("error items always serialize")
}

/// `{"action":"error","payload":{"detail": detail}}`.
pub fn error_detail_frame(detail: &str) -> String {
    serde_json::json!({"action": "error", "payload": {"detail": detail}}).to_string()
}

/// The error item Chanx sends for a binary frame on a channel that takes none.
pub fn binary_not_supported() -> ErrorItem {
    ErrorItem {
        kind: Cow::Borrowed("json_invalid"),
        loc: Vec::new(),
        msg: "Invalid JSON: binary frames are not supported".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamp_appends_version_and_ref() {
        let r = Ref::new("r\"1");
        assert_eq!(
            r.stamp(r#"{"action":"pong","payload":null}"#.to_owned()),
            r#"{"action":"pong","payload":null,"version":1,"ref":"r\"1"}"#
        );
        assert_eq!(r.stamp("{}".to_owned()), r#"{"version":1,"ref":"r\"1"}"#);
        assert_eq!(r.stamp("[1]".to_owned()), "[1]");
    }

    #[test]
    fn peek_reads_ref_and_checks_types() {
        assert_eq!(peek_envelope(r#"{"action":"ping"}"#), Ok(None));
        assert_eq!(peek_envelope(r#"{"action":"ping","ref":null}"#), Ok(None));
        assert_eq!(
            peek_envelope(r#"{"action":"ping","ref":"a","version":1}"#).map(|r| r.map(|r| r.value)),
            Ok(Some("a".to_owned()))
        );
        let errs = peek_envelope(r#"{"action":"ping","ref":5,"version":"x"}"#).expect_err("invalid envelope");
        assert_eq!(errs.len(), 2);
        assert_eq!(errs[0].kind, "string_type");
        assert_eq!(errs[0].loc, vec![LocPart::Key("ref".into())]);
        assert_eq!(errs[1].kind, "int_parsing");
        assert_eq!(peek_envelope(r#"not json "ref""#), Ok(None));
    }

    #[test]
    fn envelope_stamps_in_chanx_order() {
        let e = Envelope { reference: Some(Ref::new("5")), topic: Some("order:42".into()), seq: None };
        assert_eq!(
            e.stamp(r#"{"action":"note_added","payload":{}}"#.to_owned()),
            r#"{"action":"note_added","payload":{},"version":1,"topic":"order:42","ref":"5"}"#
        );
        let e = Envelope { reference: None, topic: Some("a\"b".into()), seq: Some(7) };
        assert_eq!(e.stamp("{}".to_owned()), r#"{"version":1,"topic":"a\"b","seq":7}"#);
    }

    #[test]
    fn envelope_reads_topic_and_checks_seq() {
        let e = read_envelope(r#"{"topic":"order:42","action":"subscribe"}"#).expect("valid");
        assert_eq!(e.and_then(|e| e.topic).as_deref(), Some("order:42"));
        let errs = read_envelope(r#"{"topic":5,"seq":"x","action":"ping"}"#).expect_err("invalid");
        assert_eq!(errs.iter().map(|e| &*e.kind).collect::<Vec<_>>(), ["string_type", "int_parsing"]);
        assert_eq!(errs[1].loc, vec![LocPart::Key("seq".into())]);
        assert_eq!(read_envelope(r#"{"topic":null,"seq":3,"action":"ping"}"#), Ok(None));
    }

    #[test]
    fn stripping_removes_only_top_level_topic_and_seq() {
        let f =
            r#" { "topic" : "t", "action":"a", "payload": {"seq": 1, "topic": [1,{"x":"}"}]}, "seq": 2 } "#;
        assert_eq!(strip_envelope_keys(f), r#"{"action":"a","payload": {"seq": 1, "topic": [1,{"x":"}"}]}}"#);
        assert!(matches!(strip_envelope_keys(r#"{"action":"a"}"#), Cow::Borrowed(_)));
        assert!(matches!(strip_envelope_keys(r#"{"topic":"#), Cow::Borrowed(_)));
        assert_eq!(strip_envelope_keys(r#"{"seq":1}"#), "{}");
    }

    proptest::proptest! {
        /// Stripping removes exactly the top-level `topic` and `seq` entries, whatever the
        /// spacing, the value types and the nesting, and keeps the rest byte for byte.
        #[test]
        fn stripping_keeps_everything_else(
            entries in proptest::collection::vec(
                (proptest::sample::select(vec!["action", "payload", "topic", "seq", "ref", "x\\\"y"]),
                 proptest::sample::select(vec!["1", "-2.5e3", "\"s,}\"", "null", "[1,{\"topic\":2}]", "{\"seq\":{}}", "true"]),
                 proptest::sample::select(vec!["", " ", "\n\t"])),
                0..6),
        ) {
            let mut seen = std::collections::HashSet::new();
            let entries: Vec<_> = entries.into_iter().filter(|(k, _, _)| seen.insert(*k)).collect();
            let frame = format!("{{{}}}", entries.iter()
                .map(|(k, v, ws)| format!("{ws}\"{k}\"{ws}:{ws}{v}{ws}"))
                .collect::<Vec<_>>().join(","));
            let stripped = strip_envelope_keys(&frame);
            let kept: serde_json::Value = serde_json::from_str(&stripped).expect("still JSON");
            let mut expected: serde_json::Value = serde_json::from_str(&frame).expect("JSON");
            let map = expected.as_object_mut().expect("an object");
            map.remove("topic");
            map.remove("seq");
            proptest::prop_assert_eq!(kept, expected);
        }
    }

    #[test]
    fn error_frames_have_chanx_shape() {
        assert_eq!(
            error_items_frame(&[binary_not_supported()]),
            r#"{"action":"error","payload":[{"type":"json_invalid","loc":[],"msg":"Invalid JSON: binary frames are not supported"}]}"#
        );
        assert_eq!(error_detail_frame("x"), r#"{"action":"error","payload":{"detail":"x"}}"#);
    }
}
