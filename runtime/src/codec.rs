//! Frame-level decoding and encoding used by generated `Message` impls: the borrowed tag peek,
//! the typed fast path with its slow, exhaustive fallback, untagged decoding, and writing the tag
//! into an encoded frame. Does not know any generated type; owns no wording (see
//! [`crate::validate`]).
//!
//! # How a frame is decoded
//! 1. [`peek_tag`] returns the tag value as a `&str` borrowed from the frame (owned only when
//!    it contains escapes). A frame that starts with its tag is not read further here; any
//!    other frame is read once without building a tree, and bad JSON, a frame that is not an
//!    object and a missing tag are reported here. Whatever follows ([`decode_tagged`],
//!    [`tag_only`], [`unknown_tag`]) reads the whole frame and reports bad JSON first.
//! 2. The generated `match` picks the one variant and [`decode_tagged`] deserializes it
//!    directly with serde (unknown keys, the tag and `ref` are skipped by serde), then runs the
//!    generated constraint checks ([`Check`]) which collect every violation.
//! 3. Only when serde refuses the frame, the frame is parsed into a [`Value`] and walked
//!    against the variant's static [`Schema`], which reports every problem with its path.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::message::{DecodeError, ErrorItem, LocPart};
use crate::schema::{Check, Const, Cx, Schema, check_value_ignoring};

/// The envelope key a client may add to any frame (echoed on replies); never an unknown key.
pub const REF_KEY: &str = "ref";

fn json_invalid(e: &serde_json::Error) -> DecodeError {
    DecodeError::single("json_invalid", Vec::new(), format!("Invalid JSON: {e}"))
}

enum Peeked<'de> {
    NotObject,
    Missing,
    Found(Cow<'de, str>),
}

struct KeyOrTag<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for KeyOrTag<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = KeyOrTag<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(KeyOrTag(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(KeyOrTag(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(KeyOrTag(Cow::Owned(v)))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
                Ok(KeyOrTag(Cow::Owned(if v { "True" } else { "False" }.to_owned())))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
                Ok(KeyOrTag(Cow::Owned(v.to_string())))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
                Ok(KeyOrTag(Cow::Owned(v.to_string())))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
                Ok(KeyOrTag(Cow::Owned(v.to_string())))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(KeyOrTag(Cow::Borrowed("None")))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(KeyOrTag(Cow::Borrowed("[...]")))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(KeyOrTag(Cow::Borrowed("{...}")))
            }
        }
        d.deserialize_any(V)
    }
}

struct PeekSeed<'k>(&'k str);

impl<'de> DeserializeSeed<'de> for PeekSeed<'_> {
    type Value = Peeked<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for PeekSeed<'_> {
    type Value = Peeked<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(KeyOrTag(key)) = map.next_key::<KeyOrTag<'de>>()? {
            if found.is_none() && key == self.0 {
                found = Some(map.next_value::<KeyOrTag<'de>>()?.0);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found.map_or(Peeked::Missing, Peeked::Found))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Peeked::NotObject)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Peeked::NotObject)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Peeked::NotObject)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Peeked::NotObject)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Peeked::NotObject)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Peeked::NotObject)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Peeked::NotObject)
    }
}

/// Reads the value of the top-level property `key` of a JSON object frame without building a
/// tree; the result borrows from `frame` unless the value has escapes. A non-string tag comes
/// back as its Python-style text (it then matches no variant). Errors: `json_invalid`,
/// `model_type` (not an object), `union_tag_not_found`.
///
/// When the frame starts with the tag (`{"action": "ping", ...`, the common case) the tag is
/// read from the first bytes and the rest of the frame is left to the decode that follows,
/// which reads it all anyway: [`decode_tagged`], [`tag_only`] and [`unknown_tag`] each report
/// a frame that is not valid JSON as `json_invalid`, so the result is the same as reading the
/// whole frame here first. Otherwise the whole frame is read once here.
pub fn peek_tag<'a>(frame: &'a str, key: &str) -> Result<Cow<'a, str>, DecodeError> {
    if let Some(tag) = leading_tag(frame, key) {
        return Ok(Cow::Borrowed(tag));
    }
    let mut de = serde_json::Deserializer::from_str(frame);
    let peeked = PeekSeed(key).deserialize(&mut de).and_then(|p| de.end().map(|()| p));
    match peeked {
        Ok(Peeked::Found(tag)) => Ok(tag),
        Ok(Peeked::Missing) => Err(DecodeError::single(
            "union_tag_not_found",
            Vec::new(),
            format!("Unable to extract tag using discriminator '{key}'"),
        )),
        // Chanx validates the frame as its `Envelope` model first, so a JSON value that is not an
        // object gets pydantic's `model_type` error naming that model.
        Ok(Peeked::NotObject) => Err(DecodeError::single(
            "model_type",
            Vec::new(),
            "Input should be a valid dictionary or instance of Envelope".to_owned(),
        )),
        Err(e) => Err(json_invalid(&e)),
    }
}

/// The tag when `frame` starts with it: `{`, then `"key"`, `:` and a string without escapes
/// (whitespace allowed between them). `None` for anything else, which [`peek_tag`] then reads
/// the long way.
fn leading_tag<'a>(frame: &'a str, key: &str) -> Option<&'a str> {
    leading_tag_end(frame, key).map(|(tag, _)| tag)
}

/// Whether `frame` is `{"key": "tag"}` and nothing else (whitespace aside): a valid JSON object
/// whose only property is the tag.
fn only_tag(frame: &str, key: &str) -> bool {
    let Some((_, end)) = leading_tag_end(frame, key) else { return false };
    let b = frame.as_bytes();
    let i = skip_ws(b, end);
    b.get(i) == Some(&b'}') && skip_ws(b, i + 1) == b.len()
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// [`leading_tag`], and the index just after the tag's closing quote.
fn leading_tag_end<'a>(frame: &'a str, key: &str) -> Option<(&'a str, usize)> {
    let (b, k) = (frame.as_bytes(), key.as_bytes());
    if k.iter().any(|&c| c == b'"' || c == b'\\' || c < 0x20) {
        return None;
    }
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i = skip_ws(b, i + 1);
    let name = b.get(i..)?.strip_prefix(b"\"")?.strip_prefix(k)?.strip_prefix(b"\"")?;
    i = skip_ws(b, b.len() - name.len());
    if b.get(i) != Some(&b':') {
        return None;
    }
    i = skip_ws(b, i + 1);
    if b.get(i) != Some(&b'"') {
        return None;
    }
    let start = i + 1;
    let len = b[start..].iter().position(|&c| c == b'"' || c == b'\\')?;
    let value = &b[start..start + len];
    if b[start + len] != b'"' || value.iter().any(|&c| c < 0x20) {
        return None;
    }
    // Both ends are ASCII quotes, so both are character boundaries.
    Some((frame.get(start..start + len)?, start + len + 1))
}

/// Checks that `frame` is one JSON value and nothing else (`json_invalid` otherwise).
fn check_json(frame: &str) -> Result<(), DecodeError> {
    serde_json::from_str::<IgnoredAny>(frame).map(drop).map_err(|e| json_invalid(&e))
}

/// Decodes a tagged message that has no body: the tag is all it carries, but the frame must
/// still be valid JSON.
pub fn tag_only(frame: &str) -> Result<(), DecodeError> {
    check_json(frame)
}

/// The error for a tag that no variant of the direction uses (`json_invalid` first when the
/// frame is not valid JSON, as Chanx reads the whole frame before looking at the tag).
pub fn unknown_tag(frame: &str, key: &str, tag: &str, expected: &[&str]) -> DecodeError {
    if let Err(e) = check_json(frame) {
        return e;
    }
    let mut cx = Cx::new(None);
    crate::validate::tag_invalid(key, tag, expected, &mut cx);
    DecodeError { errors: cx.into_errors() }
}

/// `value` when it passes the typed checks, else every violation found.
fn checked<T: Check>(value: T, root: &str, schema: &'static Schema) -> Result<T, DecodeError> {
    let errors = {
        let mut cx = Cx::new(Some(root));
        value.check(schema, &mut cx);
        cx.into_errors()
    };
    if errors.is_empty() { Ok(value) } else { Err(DecodeError { errors }) }
}

fn slow_errors(
    frame: &str,
    root: &str,
    schema: &'static Schema,
    ignore: &[&str],
    serde_msg: &str,
) -> DecodeError {
    let value: Value = match serde_json::from_str(frame) {
        Ok(v) => v,
        Err(e) => return json_invalid(&e),
    };
    let mut cx = Cx::new(Some(root));
    check_value_ignoring(&value, schema, ignore, &mut cx);
    let mut errors = cx.into_errors();
    if errors.is_empty() {
        // serde and the schema walk disagree (e.g. a number beyond f64): still say why.
        errors.push(ErrorItem {
            kind: "value_error".into(),
            loc: vec![LocPart::Key(root.to_owned())],
            msg: format!("Value error, {serde_msg}"),
        });
    }
    DecodeError { errors }
}

/// Decodes the frame of one variant of a tagged direction. `root` (the tag value) starts every
/// error location; `ignore` lists top-level keys that are never unknown (the tag, `ref`).
///
/// With `fast`, serde deserializes `T` straight from the text and the typed checks run; the
/// schema walk only runs when serde fails. Without it (frames whose schema forbids unknown
/// keys, which serde cannot check while skipping the tag), the frame is walked first.
pub fn decode_tagged<T: DeserializeOwned + Check>(
    frame: &str,
    root: &str,
    schema: &'static Schema,
    ignore: &[&str],
    fast: bool,
) -> Result<T, DecodeError> {
    if fast {
        return match serde_json::from_str::<T>(frame) {
            Ok(value) => checked(value, root, schema),
            Err(e) => Err(slow_errors(frame, root, schema, ignore, &e.to_string())),
        };
    }
    let value: Value = serde_json::from_str(frame).map_err(|e| json_invalid(&e))?;
    let errors = {
        let mut cx = Cx::new(Some(root));
        check_value_ignoring(&value, schema, ignore, &mut cx);
        cx.into_errors()
    };
    if !errors.is_empty() {
        return Err(DecodeError { errors });
    }
    T::deserialize(&value).map_err(|e| {
        DecodeError::single("value_error", vec![LocPart::Key(root.to_owned())], format!("Value error, {e}"))
    })
}

/// [`decode_tagged`] for a type whose every property may be left out, and whose `Default` is
/// what leaving them all out means: a frame that is the tag and nothing else (`{"action":
/// "ping"}`) is that default, without a parse; its checks still run. Any other frame is decoded
/// by [`decode_tagged`].
pub fn decode_tagged_or_default<T: DeserializeOwned + Check + Default>(
    frame: &str,
    key: &str,
    root: &str,
    schema: &'static Schema,
    ignore: &[&str],
    fast: bool,
) -> Result<T, DecodeError> {
    if !only_tag(frame, key) {
        return decode_tagged(frame, root, schema, ignore, fast);
    }
    checked(T::default(), root, schema)
}

/// Tries one variant of an untagged direction: `Some` when the frame deserializes as `T` and
/// passes its checks. Without `fast` (frames that forbid unknown keys) the frame is walked
/// against `schema` first, `ref` allowed.
pub fn try_untagged<T: DeserializeOwned + Check>(
    frame: &str,
    schema: &'static Schema,
    fast: bool,
) -> Option<T> {
    if fast {
        let value = serde_json::from_str::<T>(frame).ok()?;
        return checked(value, "", schema).ok();
    }
    let value: Value = serde_json::from_str(frame).ok()?;
    let clean = {
        let mut cx = Cx::new(None);
        check_value_ignoring(&value, schema, &[REF_KEY], &mut cx);
        cx.error_count() == 0
    };
    if clean { T::deserialize(&value).ok() } else { None }
}

/// The error of an untagged direction when no variant accepted the frame: every variant's
/// problems, each located under the variant's name, in the order the variants were tried.
pub fn untagged_errors(frame: &str, variants: &[(&str, &'static Schema)]) -> DecodeError {
    let value: Value = match serde_json::from_str(frame) {
        Ok(v) => v,
        Err(e) => return json_invalid(&e),
    };
    let mut errors = Vec::new();
    for (name, schema) in variants {
        let mut cx = Cx::new(Some(name));
        check_value_ignoring(&value, schema, &[REF_KEY], &mut cx);
        errors.extend(cx.into_errors());
    }
    if errors.is_empty() {
        errors.push(ErrorItem {
            kind: "value_error".into(),
            loc: Vec::new(),
            msg: "Value error, the frame matches no message of this channel".to_owned(),
        });
    }
    DecodeError { errors }
}

/// The messages of an untagged direction that accepted one frame, and the choice among them.
///
/// The rule (a direction is a `oneOf`: exactly one message per frame): the frame goes to the
/// one message that accepts it; when several accept it, to the one that declares every
/// top-level key of the frame (`ref` aside), so a message never takes a frame by ignoring keys
/// that another message declares; when that is not exactly one either, the frame is refused
/// with an error naming the messages. Every message is tried, in document order.
pub struct Untagged<'f, M> {
    frame: &'f str,
    accepted: Vec<(&'static str, Option<&'static [&'static str]>, M)>,
}

impl<'f, M> Untagged<'f, M> {
    /// Starts the choice for `frame`.
    pub fn new(frame: &'f str) -> Self {
        Self { frame, accepted: Vec::new() }
    }

    /// Records that the message `name` accepted the frame as `value`. `declared`: the
    /// top-level keys it declares, `None` when it takes any key as data.
    pub fn accept(&mut self, name: &'static str, declared: Option<&'static [&'static str]>, value: M) {
        self.accepted.push((name, declared, value));
    }

    /// The chosen message, or the error: every message's problems when none accepted the frame
    /// (see [`untagged_errors`]), or the messages it could be when the rule picks none.
    pub fn finish(mut self, variants: &[(&str, &'static Schema)]) -> Result<M, DecodeError> {
        match self.accepted.len() {
            0 => return Err(untagged_errors(self.frame, variants)),
            1 => return Ok(self.accepted.remove(0).2),
            _ => {}
        }
        let keys: Vec<String> = serde_json::from_str::<serde_json::Map<String, Value>>(self.frame)
            .map(|m| m.into_iter().map(|(k, _)| k).filter(|k| k != REF_KEY).collect())
            .unwrap_or_default();
        let exact: Vec<usize> = (0..self.accepted.len())
            .filter(|i| self.accepted[*i].1.is_none_or(|d| keys.iter().all(|k| d.contains(&k.as_str()))))
            .collect();
        if let [one] = exact.as_slice() {
            return Ok(self.accepted.swap_remove(*one).2);
        }
        let names: Vec<String> = self.accepted.iter().map(|(n, _, _)| format!("`{n}`")).collect();
        Err(DecodeError::single(
            "value_error",
            Vec::new(),
            format!(
                "Value error, the frame matches several messages of this channel ({}): add the property that tells them apart",
                names.join(", ")
            ),
        ))
    }
}

fn write_json_str(buf: &mut Vec<u8>, s: &str) {
    // Tags and tag keys are short names that need no escaping: copied as they are.
    if s.bytes().all(|c| c >= 0x20 && c != b'"' && c != b'\\') {
        buf.reserve(s.len() + 2);
        buf.push(b'"');
        buf.extend_from_slice(s.as_bytes());
        buf.push(b'"');
        return;
    }
    // Writing a `str` to a `Vec` cannot fail.
    if serde_json::to_writer(&mut *buf, s).is_err() {
        buf.extend_from_slice(b"\"\"");
    }
}

/// Encodes `body` (normally a struct) as a JSON object with `"key": "value"` written first. A
/// body that is not an object cannot carry the tag; it is written as `{"key": "value"}` alone.
///
/// The frame is written into a per-thread scratch buffer and copied out at its exact length:
/// one allocation per frame, and one that `Bytes` can take over without a separate shared
/// header (a buffer with spare room would need one).
pub fn encode_tagged<T: Serialize + ?Sized>(key: &str, value: &str, body: &T) -> String {
    thread_local! {
        static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    /// A scratch buffer that grew past this is not kept for the next frame.
    const KEEP_AT_MOST: usize = 16 * 1024;
    SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
        Ok(mut buf) => {
            buf.clear();
            write_tagged(&mut buf, key, value, body);
            let encoded = std::str::from_utf8(&buf).map(str::to_owned).unwrap_or_default();
            if buf.capacity() > KEEP_AT_MOST {
                *buf = Vec::new();
            }
            encoded
        }
        // A body whose `Serialize` encodes another message while being encoded.
        Err(_) => {
            let mut buf = Vec::with_capacity(64);
            write_tagged(&mut buf, key, value, body);
            String::from_utf8(buf).unwrap_or_default()
        }
    })
}

fn write_tagged<T: Serialize + ?Sized>(buf: &mut Vec<u8>, key: &str, value: &str, body: &T) {
    buf.push(b'{');
    write_json_str(buf, key);
    buf.push(b':');
    write_json_str(buf, value);
    let mark = buf.len();
    let ok = serde_json::to_writer(&mut *buf, body).is_ok();
    match (ok, buf.get(mark).copied(), buf.get(mark + 1).copied()) {
        (true, Some(b'{'), Some(b'}')) => {
            buf.truncate(mark);
            buf.push(b'}');
        }
        (true, Some(b'{'), _) => buf[mark] = b',',
        _ => {
            buf.truncate(mark);
            buf.push(b'}');
        }
    }
}

/// Encodes a message that has no body: `{"key": "value"}`.
pub fn encode_tag_only(key: &str, value: &str) -> String {
    encode_tagged(key, value, &serde_json::Map::new())
}

/// Encodes a message of an untagged direction.
pub fn encode_plain<T: Serialize + ?Sized>(body: &T) -> String {
    serde_json::to_string(body).unwrap_or_else(|_| "null".to_owned())
}

/// `deserialize_with` for a required property whose schema allows `null`: `null` is `None`,
/// but leaving the property out is an error (serde would otherwise treat a missing `Option`
/// as `None`).
pub fn required_nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    Option::<T>::deserialize(d)
}

/// `deserialize_with` for an optional property whose schema does not allow `null`: absent is
/// `None` (with `#[serde(default)]`), `null` is refused.
pub fn non_null<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// `deserialize_with` for an optional property whose schema allows `null` when leaving it out
/// means something else: with `#[serde(default)]` on an `Option<Option<T>>`, absent is `None`,
/// `null` is `Some(None)` and a value is `Some(Some(value))`.
pub fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// The impls of a generated constant type (a unit struct that holds the one value of a `const`
/// property): `NAME::VALUE`, `Serialize` (writes the value), `Deserialize` (refuses any other
/// value) and `Check` (nothing left to check). `chanx::constant!(Version = Int(2));`, where the
/// value is written as a [`Const`](crate::schema::Const) variant (`Bool`, `Int`, `Float`, `Str`).
#[macro_export]
macro_rules! constant {
    ($name:ident = Bool($value:expr)) => {
        $crate::constant!(@impl $name: bool = Bool($value));
    };
    ($name:ident = Int($value:expr)) => {
        $crate::constant!(@impl $name: i64 = Int($value));
    };
    ($name:ident = Float($value:expr)) => {
        $crate::constant!(@impl $name: f64 = Float($value));
    };
    ($name:ident = Str($value:expr)) => {
        $crate::constant!(@impl $name: &'static str = Str($value));
    };
    (@impl $name:ident: $ty:ty = $ctor:ident($value:expr)) => {
        impl $name {
            /// The value on the wire.
            pub const VALUE: $ty = $value;
        }

        impl $crate::serde::Serialize for $name {
            fn serialize<S: $crate::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::core::result::Result<S::Ok, S::Error> {
                $crate::codec::write_const(&$crate::schema::Const::$ctor(Self::VALUE), serializer)
            }
        }

        impl<'de> $crate::serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::core::result::Result<Self, D::Error> {
                $crate::codec::read_const(&$crate::schema::Const::$ctor(Self::VALUE), deserializer)
                    .map(|()| Self)
            }
        }

        impl $crate::schema::Check for $name {
            fn check<'a>(
                &'a self,
                _schema: &'static $crate::schema::Schema,
                _cx: &mut $crate::schema::Cx<'a>,
            ) {
            }
        }
    };
}

/// `Serialize` of a generated constant type: writes its one value.
pub fn write_const<S: serde::Serializer>(value: &Const, serializer: S) -> Result<S::Ok, S::Error> {
    match value {
        Const::Null => serializer.serialize_unit(),
        Const::Bool(b) => serializer.serialize_bool(*b),
        Const::Int(i) => serializer.serialize_i64(*i),
        Const::Float(f) => serializer.serialize_f64(*f),
        Const::Str(s) => serializer.serialize_str(s),
        Const::Json(j) => match serde_json::from_str::<Value>(j) {
            Ok(v) => v.serialize(serializer),
            Err(e) => Err(serde::ser::Error::custom(e)),
        },
    }
}

/// `Deserialize` of a generated constant type: accepts its one value and refuses any other
/// (the decoder then reports a `literal_error` at the property).
pub fn read_const<'de, D: Deserializer<'de>>(value: &Const, deserializer: D) -> Result<(), D::Error> {
    let found = Value::deserialize(deserializer)?;
    if value.matches(&found) {
        Ok(())
    } else {
        Err(serde::de::Error::custom(format_args!("Input should be {}", value.repr())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Additional, Field, NumRules, Object, StrRules};

    #[test]
    fn peek_borrows_the_tag() {
        let frame = r#"{"payload": {"action": "no"}, "action": "chat", "ref": "1"}"#;
        let tag = peek_tag(frame, "action").ok();
        assert!(matches!(tag, Some(Cow::Borrowed("chat"))));
        assert!(
            matches!(peek_tag(r#"{"action":"a\u0062"}"#, "action").ok(), Some(Cow::Owned(s)) if s == "ab")
        );
    }

    #[test]
    fn peek_reports_frame_level_problems() {
        let kind = |f: &str| peek_tag(f, "action").err().map(|e| e.errors[0].kind.to_string());
        assert_eq!(kind("{").as_deref(), Some("json_invalid"));
        assert_eq!(kind(r#"{"type":"x","action":"y"} trailing"#).as_deref(), Some("json_invalid"));
        assert_eq!(kind("[1, 2]").as_deref(), Some("model_type"));
        assert_eq!(kind(r#"{"type":"x"}"#).as_deref(), Some("union_tag_not_found"));
        assert_eq!(peek_tag(r#"{"action": 3}"#, "action").ok().as_deref(), Some("3"));
        let e = peek_tag("", "action").err().map(|e| e.errors[0].msg.clone());
        assert_eq!(e.as_deref(), Some("Invalid JSON: EOF while parsing a value at line 1 column 0"));
    }

    #[test]
    fn leading_tag_is_read_from_the_first_bytes_only() {
        assert_eq!(leading_tag(r#"{"action":"ping","payload":{}}"#, "action"), Some("ping"));
        assert_eq!(leading_tag(" {\n \"action\" :\t\"ping\" }", "action"), Some("ping"));
        assert_eq!(leading_tag(r#"{"action":"ping" broken"#, "action"), Some("ping"));
        for frame in [
            r#"{"payload":{},"action":"ping"}"#,
            r#"{"action":"a\u0062"}"#,
            r#"{"action":3}"#,
            r#"{"actions":"x"}"#,
            r#"{"action":"unterminated"#,
            "{\"action\":\"tab\tin\"}",
            r#"["action","x"]"#,
            "",
        ] {
            assert_eq!(leading_tag(frame, "action"), None, "{frame}");
        }
        assert_eq!(leading_tag(r#"{"a\"b":"x"}"#, "a\"b"), None);
    }

    #[test]
    fn a_leading_tag_leaves_the_json_check_to_the_decode() {
        // peek_tag reads only the tag; what follows reports the broken frame as Chanx would.
        let broken = r#"{"action":"x"} trailing"#;
        assert_eq!(peek_tag(broken, "action").ok().as_deref(), Some("x"));
        let kind = |e: DecodeError| e.errors[0].kind.to_string();
        assert_eq!(kind(unknown_tag(broken, "action", "x", &["ping"])), "json_invalid");
        assert_eq!(tag_only(broken).map_err(kind), Err("json_invalid".to_owned()));
        assert_eq!(tag_only(r#"{"action":"x","extra":[1]}"#), Ok(()));
        let e = decode_tagged::<Payload>(broken, "x", &PAYLOAD, &["action"], true).map_err(kind);
        assert_eq!(e, Err("json_invalid".to_owned()));
        let unknown = unknown_tag(r#"{"action":"x"}"#, "action", "x", &["ping"]);
        assert_eq!(kind(unknown), "union_tag_invalid");
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Payload {
        text: String,
        #[serde(default)]
        seq: Option<i64>,
    }

    static PAYLOAD_FIELDS: [Field; 2] = [
        Field {
            wire: "text",
            schema: Schema::Str(StrRules { min_length: Some(1), ..StrRules::NONE }),
            required: true,
        },
        Field { wire: "seq", schema: Schema::Nullable(&Schema::Int(NumRules::NONE)), required: false },
    ];
    static PAYLOAD: Schema =
        Schema::Object(&Object { name: "Payload", fields: &PAYLOAD_FIELDS, additional: Additional::Forbid });

    impl Check for Payload {
        fn check<'a>(&'a self, _: &'static Schema, cx: &mut Cx<'a>) {
            let [text, seq] = &PAYLOAD_FIELDS;
            cx.field(text, &self.text);
            cx.field(seq, &self.seq);
        }
    }

    #[test]
    fn fast_path_checks_constraints() {
        let ok =
            decode_tagged::<Payload>(r#"{"action":"chat","text":"hi"}"#, "chat", &PAYLOAD, &["action"], true);
        assert_eq!(ok.ok(), Some(Payload { text: "hi".to_owned(), seq: None }));
        let err =
            decode_tagged::<Payload>(r#"{"action":"chat","text":""}"#, "chat", &PAYLOAD, &["action"], true);
        let err = err.err().map(|e| e.errors).unwrap_or_default();
        assert_eq!(err.len(), 1);
        assert_eq!(err[0].kind, "string_too_short");
        assert_eq!(err[0].loc, vec![LocPart::Key("chat".to_owned()), LocPart::Key("text".to_owned())]);
    }

    #[test]
    fn slow_path_reports_everything() {
        let frame = r#"{"action":"chat","seq":"x","ref":"r","other":1}"#;
        let err = decode_tagged::<Payload>(frame, "chat", &PAYLOAD, &["action", REF_KEY], true)
            .err()
            .map(|e| e.errors.iter().map(|i| i.kind.to_string()).collect::<Vec<_>>());
        assert_eq!(
            err,
            Some(vec!["missing".to_owned(), "int_type".to_owned(), "extra_forbidden".to_owned()])
        );
        // the walk-first path accepts the same valid frame
        let ok = decode_tagged::<Payload>(
            r#"{"action":"chat","text":"a","ref":"r"}"#,
            "chat",
            &PAYLOAD,
            &["action", REF_KEY],
            false,
        );
        assert!(ok.is_ok());
    }

    /// A type whose properties may all be left out (`Default` is "all absent").
    #[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
    struct Optional {
        #[serde(default)]
        seq: Option<i64>,
    }

    static OPTIONAL_FIELDS: [Field; 1] =
        [Field { wire: "seq", schema: Schema::Nullable(&Schema::Int(NumRules::NONE)), required: false }];
    static OPTIONAL: Schema = Schema::Object(&Object {
        name: "Optional",
        fields: &OPTIONAL_FIELDS,
        additional: Additional::Ignore,
    });

    impl Check for Optional {
        fn check<'a>(&'a self, _: &'static Schema, cx: &mut Cx<'a>) {
            cx.field(&OPTIONAL_FIELDS[0], &self.seq);
        }
    }

    #[test]
    fn only_the_tag_is_a_complete_object() {
        for frame in [r#"{"action":"ping"}"#, " {\n \"action\" :\t\"ping\" } \r\n"] {
            assert!(only_tag(frame, "action"), "{frame}");
        }
        for frame in [
            r#"{"action":"ping","seq":1}"#,
            r#"{"action":"ping",}"#,
            r#"{"action":"ping"} x"#,
            r#"{"action":"ping"}}"#,
            r#"{"action":"ping""#,
            r#"{"seq":1,"action":"ping"}"#,
            r#"{"action":"pi\u006eg"}"#,
            r#"{"action":3}"#,
        ] {
            assert!(!only_tag(frame, "action"), "{frame}");
        }
    }

    #[test]
    fn a_frame_with_only_the_tag_decodes_like_serde_would() {
        for frame in [
            r#"{"action":"ping"}"#,
            " { \"action\" : \"ping\" }\n",
            r#"{"action":"ping","seq":2}"#,
            r#"{"action":"ping","seq":"x"}"#,
            r#"{"action":"ping"} trailing"#,
            r#"{"action":"ping","ref":"r"}"#,
        ] {
            let ignore = ["action", REF_KEY];
            let fast =
                decode_tagged_or_default::<Optional>(frame, "action", "ping", &OPTIONAL, &ignore, true);
            let serde = decode_tagged::<Optional>(frame, "ping", &OPTIONAL, &ignore, true);
            assert_eq!(fast, serde, "{frame}");
        }
        let ping = decode_tagged_or_default::<Optional>(
            r#"{"action":"ping"}"#,
            "action",
            "ping",
            &OPTIONAL,
            &[],
            true,
        );
        assert_eq!(ping, Ok(Optional::default()));
    }

    #[test]
    fn encode_writes_the_tag_first() {
        let p = Payload { text: "hi".to_owned(), seq: Some(1) };
        assert_eq!(encode_tagged("action", "chat", &p), r#"{"action":"chat","text":"hi","seq":1}"#);
        assert_eq!(encode_tag_only("action", "ping"), r#"{"action":"ping"}"#);
        assert_eq!(encode_tagged("a\"b", "x", &()), r#"{"a\"b":"x"}"#);
    }

    #[test]
    fn untagged_tries_in_order() {
        assert!(try_untagged::<Payload>(r#"{"text":"a"}"#, &PAYLOAD, true).is_some());
        assert!(try_untagged::<Payload>(r#"{"text":""}"#, &PAYLOAD, true).is_none());
        assert!(try_untagged::<Payload>(r#"{"text":"a","ref":"1"}"#, &PAYLOAD, false).is_some());
        assert!(try_untagged::<Payload>(r#"{"text":"a","x":1}"#, &PAYLOAD, false).is_none());
        let e = untagged_errors(r#"{"text":""}"#, &[("Payload", &PAYLOAD)]);
        assert_eq!(
            e.errors[0].loc,
            vec![LocPart::Key("Payload".to_owned()), LocPart::Key("text".to_owned())]
        );
    }

    #[derive(Debug, Deserialize)]
    struct Nulls {
        #[serde(deserialize_with = "required_nullable")]
        req: Option<i64>,
        #[serde(default, deserialize_with = "non_null")]
        opt: Option<i64>,
    }

    #[test]
    fn nullable_helpers() {
        assert!(serde_json::from_str::<Nulls>(r#"{"req":null}"#).is_ok());
        assert!(serde_json::from_str::<Nulls>(r#"{}"#).is_err());
        assert!(serde_json::from_str::<Nulls>(r#"{"req":1,"opt":null}"#).is_err());
        assert!(
            serde_json::from_str::<Nulls>(r#"{"req":1,"opt":2}"#)
                .is_ok_and(|n| n.req == Some(1) && n.opt == Some(2))
        );
    }

    #[derive(Debug, Default, PartialEq)]
    struct Version;
    crate::constant!(Version = Int(2));

    #[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
    struct Tri {
        #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
        until: Option<Option<String>>,
    }

    #[test]
    fn constants_write_their_value_and_refuse_others() {
        assert_eq!(serde_json::to_string(&Version).ok().as_deref(), Some("2"));
        assert!(serde_json::from_str::<Version>("2").is_ok());
        let err = serde_json::from_str::<Version>("3").map(|_| ()).expect_err("3 is refused").to_string();
        assert!(err.contains("Input should be 2"), "{err}");
        assert!(serde_json::from_str::<Version>(r#""2""#).is_err());
    }

    #[test]
    fn present_keeps_absent_null_and_value_apart() {
        for (text, until) in
            [("{}", None), (r#"{"until":null}"#, Some(None)), (r#"{"until":"x"}"#, Some(Some("x")))]
        {
            let tri: Tri = serde_json::from_str(text).expect(text);
            assert_eq!(tri.until.as_ref().map(|u| u.as_deref()), until, "{text}");
            assert_eq!(serde_json::to_string(&tri).ok().as_deref(), Some(text));
        }
    }

    #[test]
    fn untagged_picks_the_one_message_that_declares_every_key() {
        static ANY: Schema = Schema::Any;
        let variants: [(&str, &'static Schema); 2] = [("joined", &ANY), ("moved", &ANY)];
        let choose = |frame: &str, accepted: &[(&'static str, Option<&'static [&'static str]>)]| {
            let mut u = Untagged::new(frame);
            for (name, declared) in accepted {
                u.accept(name, *declared, *name);
            }
            u.finish(&variants)
        };
        let joined: Option<&'static [&'static str]> = Some(&["name", "room"]);
        let moved: Option<&'static [&'static str]> = Some(&["name", "to"]);
        // One accepting message: it, whatever keys it ignores.
        assert_eq!(choose(r#"{"name":"a","x":1}"#, &[("joined", joined)]).ok(), Some("joined"));
        // Several: the one declaring every key (`ref` aside), not the first.
        let both = [("joined", joined), ("moved", moved)];
        assert_eq!(choose(r#"{"name":"a","to":"b","ref":"r"}"#, &both).ok(), Some("moved"));
        assert_eq!(choose(r#"{"name":"a","room":"b"}"#, &both).ok(), Some("joined"));
        // Neither or both declare every key: refused, naming them.
        for frame in [r#"{"name":"a","to":"b","room":"c"}"#, r#"{"name":"a"}"#] {
            let err = choose(frame, &both).expect_err("ambiguous");
            assert!(err.errors[0].msg.contains("`joined`, `moved`"), "{err:?}");
        }
        // A message that takes any key counts as declaring them.
        assert_eq!(choose(r#"{"name":"a","q":1}"#, &[("joined", joined), ("map", None)]).ok(), Some("map"));
        // None accepted: every variant's problems (here: none, so the generic error).
        assert!(choose("{}", &[]).is_err());
    }
}
