//! Exclusivity of untagged directions: the messages of a direction without a tag are told apart
//! by shape, and a direction is a `oneOf` (exactly one message per frame). Two messages one
//! frame can match without either of them ignoring a key are refused here, naming both.
//!
//! The rule (the run-time side is `chanx::codec::Untagged`): a frame goes to the one message
//! that accepts it; when several accept it, to the one that declares every key of the frame;
//! when that is not exactly one, the frame is refused. So two object messages A and B can be
//! told apart unless some frame with data is accepted by both while using only keys both
//! declare. Let `K` be the keys both declare whose values may agree (not of different JSON
//! types, not constants or enums without a common value): A and B are refused when `K` is not
//! empty and holds every key either requires, since the frame made of the keys of `K` matches
//! both. (Only `{}` can match two messages without a common key; it is refused when it comes.)
//! A message that accepts any frame (no payload, or an unconstrained one) cannot be told apart
//! from any other. Other shapes (unions, arrays, ...) are left to the run-time rule.

use std::collections::BTreeSet;

use super::{Additional, Channel, Diagnostic, Direction, Schema, Tagging, TypeDef, TypeKind};

/// How deep aliases are followed.
const MAX_DEPTH: usize = 16;

/// What one message's frame looks like, as far as telling it from another goes.
enum Shape<'a> {
    /// Accepts any JSON value.
    Anything,
    /// An object with known properties.
    Object {
        /// Wire names of the declared properties; `None` when every key is accepted as data
        /// (`additionalProperties: <schema>`).
        declared: Option<BTreeSet<&'a str>>,
        /// Wire names of the required properties, each with its schema.
        required: Vec<(&'a str, &'a Schema)>,
        /// Every declared property with its schema.
        fields: Vec<(&'a str, &'a Schema)>,
    },
    /// Anything else (a union, a string, an array...): only its JSON types are compared.
    Other,
}

/// Every pair of messages of an untagged direction that one frame can match (see the module
/// documentation), as errors located at the second message, each with its channel's index and
/// whether it is the client side.
pub fn ambiguous_messages(channels: &[Channel], types: &[TypeDef]) -> Vec<(usize, bool, Diagnostic)> {
    let mut out = Vec::new();
    for (ci, ch) in channels.iter().enumerate() {
        for (dir, client) in [(&ch.client, true), (&ch.server, false)] {
            let mut found = Vec::new();
            check_direction(ch, dir, if client { "client" } else { "server" }, types, &mut found);
            out.extend(found.into_iter().map(|d| (ci, client, d)));
        }
    }
    out
}

fn check_direction(ch: &Channel, dir: &Direction, side: &str, types: &[TypeDef], out: &mut Vec<Diagnostic>) {
    if dir.tag != Tagging::Untagged || dir.messages.len() < 2 {
        return;
    }
    let shapes: Vec<Shape<'_>> = dir
        .messages
        .iter()
        .map(|id| {
            ch.messages.get(*id).and_then(|m| m.payload.as_ref()).map_or(Shape::Anything, |s| shape(s, types))
        })
        .collect();
    // One error per message: the first earlier message it cannot be told from.
    for (j, b) in shapes.iter().enumerate() {
        for (i, a) in shapes.iter().enumerate().take(j) {
            let Some(why) = overlap(a, b, types) else { continue };
            let (ma, mb) = (&ch.messages[dir.messages[i]], &ch.messages[dir.messages[j]]);
            out.push(Diagnostic {
                location: mb.origin.clone(),
                message: format!(
                    "messages `{}` and `{}` ({side} side of channel `{}`) cannot be told apart: {why}; expected a tag property (a string `const` or `enum` in every message, such as `type`, or one named with `--tag`) or shapes that exclude each other (first at {})",
                    ma.key, mb.key, ch.key, ma.origin
                ),
            });
            break;
        }
    }
}

/// Why one frame can match both shapes, or `None` when none can.
fn overlap<'a>(a: &Shape<'a>, b: &Shape<'a>, types: &[TypeDef]) -> Option<String> {
    match (a, b) {
        (Shape::Anything, _) | (_, Shape::Anything) => Some("one of them accepts any frame".to_owned()),
        // A union, an array...: not compared here; the run-time rule refuses a frame that
        // matches two messages that way.
        (Shape::Other, _) | (_, Shape::Other) => None,
        (
            Shape::Object { declared: da, required: ra, fields: fa },
            Shape::Object { declared: db, required: rb, fields: fb },
        ) => {
            let declares = |d: &Option<BTreeSet<&str>>, k: &str| d.as_ref().is_none_or(|d| d.contains(k));
            if da.is_none() && db.is_none() {
                return Some("both accept any property".to_owned());
            }
            let schema_of =
                |f: &[(&str, &'a Schema)], k: &str| f.iter().find(|(w, _)| *w == k).map(|(_, s)| *s);
            // Keys both declare whose values may agree: a frame made of them matches both.
            let mut common: Vec<&str> = fa.iter().chain(fb.iter()).map(|(k, _)| *k).collect();
            common.sort_unstable();
            common.dedup();
            common.retain(|k| {
                declares(da, k)
                    && declares(db, k)
                    && match (schema_of(fa, k), schema_of(fb, k)) {
                        (Some(x), Some(y)) => !disjoint(x, y, types),
                        _ => true,
                    }
            });
            let required_ok = ra.iter().chain(rb).all(|(k, _)| common.contains(k));
            // No common key: only an empty frame could match both, and it is refused when it
            // comes (see `chanx::codec::Untagged`).
            if !required_ok || common.is_empty() {
                return None;
            }
            let list: Vec<String> = common.iter().map(|k| format!("`{k}`")).collect();
            Some(format!("a frame with only {} matches both", list.join(", ")))
        }
    }
}

fn named<'a>(schema: &'a Schema, types: &'a [TypeDef]) -> Option<&'a TypeKind> {
    match schema {
        Schema::Named { id, .. } => types.get(*id).map(|t| &t.kind),
        _ => None,
    }
}

fn shape<'a>(schema: &'a Schema, types: &'a [TypeDef]) -> Shape<'a> {
    let mut s = schema;
    for _ in 0..MAX_DEPTH {
        match (s, named(s, types)) {
            (Schema::Any, _) => return Shape::Anything,
            (_, Some(TypeKind::Alias(inner))) => s = inner,
            (_, Some(TypeKind::Struct(st))) => {
                let fields: Vec<(&str, &Schema)> =
                    st.fields.iter().map(|f| (f.wire.as_str(), &f.schema)).collect();
                let declared = match st.additional {
                    Additional::Map(_) => None,
                    Additional::Ignore | Additional::Forbid => Some(fields.iter().map(|(k, _)| *k).collect()),
                };
                let required =
                    st.fields.iter().filter(|f| f.required).map(|f| (f.wire.as_str(), &f.schema)).collect();
                return Shape::Object { declared, required, fields };
            }
            _ => return Shape::Other,
        }
    }
    Shape::Other
}

/// True when no JSON value is valid for both schemas (as far as types and finite value sets
/// tell).
fn disjoint(a: &Schema, b: &Schema, types: &[TypeDef]) -> bool {
    if let (Some(x), Some(y)) = (json_types(a, types, 0), json_types(b, types, 0)) {
        if x.is_disjoint(&y) {
            return true;
        }
    }
    if let (Some(x), Some(y)) = (values(a, types, 0), values(b, types, 0)) {
        return x.is_disjoint(&y);
    }
    false
}

/// The JSON types a schema accepts (`integer` counted as `number`); `None` for any.
fn json_types(s: &Schema, types: &[TypeDef], depth: usize) -> Option<BTreeSet<&'static str>> {
    if depth > MAX_DEPTH {
        return None;
    }
    let one = |t: &'static str| Some(BTreeSet::from([t]));
    match s {
        Schema::Any => None,
        Schema::Null => one("null"),
        Schema::Bool => one("boolean"),
        Schema::Integer(_) | Schema::Number(_) => one("number"),
        Schema::String(_) => one("string"),
        Schema::Const(v) => one(value_type(v)),
        Schema::Array { .. } | Schema::Tuple { .. } => one("array"),
        Schema::Map { .. } => one("object"),
        Schema::Nullable(inner) => {
            let mut t = json_types(inner, types, depth + 1)?;
            t.insert("null");
            Some(t)
        }
        Schema::Named { .. } => match named(s, types)? {
            TypeKind::Struct(_) => one("object"),
            TypeKind::StringEnum(_) => one("string"),
            TypeKind::IntEnum(_) => one("number"),
            TypeKind::Alias(inner) => json_types(inner, types, depth + 1),
            TypeKind::Union(u) => {
                let mut all = BTreeSet::new();
                for v in &u.variants {
                    all.extend(json_types(&v.schema, types, depth + 1)?);
                }
                Some(all)
            }
        },
    }
}

/// The values a schema accepts, as JSON text, when they are a finite set (`const`, `enum`).
fn values(s: &Schema, types: &[TypeDef], depth: usize) -> Option<BTreeSet<String>> {
    if depth > MAX_DEPTH {
        return None;
    }
    match s {
        Schema::Null => Some(BTreeSet::from(["null".to_owned()])),
        Schema::Const(v) => Some(BTreeSet::from([v.to_string()])),
        Schema::Nullable(inner) => {
            let mut v = values(inner, types, depth + 1)?;
            v.insert("null".to_owned());
            Some(v)
        }
        Schema::Named { .. } => match named(s, types)? {
            TypeKind::StringEnum(vs) => {
                Some(vs.iter().map(|v| serde_json::Value::from(v.wire.as_str()).to_string()).collect())
            }
            TypeKind::IntEnum(vs) => Some(vs.iter().map(ToString::to_string).collect()),
            TypeKind::Alias(inner) => values(inner, types, depth + 1),
            _ => None,
        },
        _ => None,
    }
}

fn value_type(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "boolean",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}
