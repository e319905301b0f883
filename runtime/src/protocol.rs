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

/// Adds the ref, if any, to an encoded frame and turns it into shared bytes (a constant frame
/// without a ref is borrowed, not copied).
pub(crate) fn stamp(encoded: Cow<'static, str>, r: Option<&Ref>) -> Bytes {
    match r {
        Some(r) => Bytes::from(r.stamp(encoded.into_owned())),
        None => text_bytes(encoded),
    }
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
    read_envelope(frame)
}

/// [`peek_envelope`] without its first look for the keys, for a caller that has already seen
/// them (the reader's scan notes them, see [`crate::scan::scan_frame`]).
pub(crate) fn read_envelope(frame: &str) -> Result<Option<Ref>, Vec<ErrorItem>> {
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
    match keys.version {
        None | Some(Field::Null | Field::Int) => {}
        Some(Field::Float(f)) if f.fract() == 0.0 => {}
        Some(Field::Float(_)) => errors.push(item(
            "int_from_float",
            "version",
            "Input should be a valid integer, got a number with a fractional part",
        )),
        Some(Field::Str(s)) if s.trim().parse::<i64>().is_ok() => {}
        Some(Field::Str(_)) => errors.push(item(
            "int_parsing",
            "version",
            "Input should be a valid integer, unable to parse string as an integer",
        )),
        Some(Field::Other) => errors.push(item("int_type", "version", "Input should be a valid integer")),
    }
    if errors.is_empty() { Ok(reference) } else { Err(errors) }
}

/// Whether `"ref"` or `"version"` appears anywhere in the frame (one pass over its bytes).
fn mentions_envelope_key(frame: &str) -> bool {
    let b = frame.as_bytes();
    (0..b.len()).any(|i| b[i] == b'"' && starts_envelope_key(&b[i + 1..]))
}

/// Whether the bytes right after an opening quote spell `ref"` or `version"`: the string is one
/// of the envelope's keys (or a value that looks like one).
pub(crate) fn starts_envelope_key(after_quote: &[u8]) -> bool {
    after_quote.starts_with(b"ref\"") || after_quote.starts_with(b"version\"")
}

fn item(kind: &'static str, key: &str, msg: &str) -> ErrorItem {
    ErrorItem { kind: Cow::Borrowed(kind), loc: vec![LocPart::Key(key.to_owned())], msg: msg.to_owned() }
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
    fn error_frames_have_chanx_shape() {
        assert_eq!(
            error_items_frame(&[binary_not_supported()]),
            r#"{"action":"error","payload":[{"type":"json_invalid","loc":[],"msg":"Invalid JSON: binary frames are not supported"}]}"#
        );
        assert_eq!(error_detail_frame("x"), r#"{"action":"error","payload":{"detail":"x"}}"#);
    }
}
