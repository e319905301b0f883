//! The example frames the docs page makes from a schema satisfy that schema, as the `chanx`
//! runtime checks frames: every synthesized example of a constraint-heavy spec, of the specs in
//! `specs/` and of the shared corpus is converted alongside its payload schema into the
//! runtime's descriptors and validated with `chanx::schema::check_value`.

mod support;

use std::collections::HashMap;
use std::path::PathBuf;

use chanx::schema as rt;
use chanx_gen::emit::docs;
use chanx_gen::ir::{self, Additional, Ir, IrOptions, Schema, TypeId, TypeKind};
use chanx_gen::parse::Spec;
use serde_json::{Value, json};

fn leak<T>(v: T) -> &'static T {
    Box::leak(Box::new(v))
}

fn leak_str(s: &str) -> &'static str {
    s.to_owned().leak()
}

/// IR schemas as runtime descriptors (leaked: they live for the test). A reference that closes
/// a cycle becomes `Any`.
struct Convert<'a> {
    ir: &'a Ir,
    done: HashMap<TypeId, &'static rt::Schema>,
    stack: Vec<TypeId>,
}

impl Convert<'_> {
    fn schema(&mut self, s: &Schema) -> rt::Schema {
        match s {
            Schema::Any => rt::Schema::Any,
            Schema::Null => rt::Schema::Null,
            Schema::Bool => rt::Schema::Bool,
            Schema::Integer(r) => rt::Schema::Int(num(r)),
            Schema::Number(r) => rt::Schema::Num(num(r)),
            Schema::String(r) => rt::Schema::Str(rt::StrRules {
                min_length: r.min_length,
                max_length: r.max_length,
                pattern: r.pattern.as_deref().map(|p| leak(rt::Pattern::new(leak_str(p)))),
                format: r.format.as_deref().and_then(format),
            }),
            Schema::Const(v) => rt::Schema::Const(match v {
                Value::Null => rt::Const::Null,
                Value::Bool(b) => rt::Const::Bool(*b),
                Value::Number(n) if n.is_i64() => rt::Const::Int(n.as_i64().unwrap_or_default()),
                Value::Number(n) => rt::Const::Float(n.as_f64().unwrap_or_default()),
                Value::String(s) => rt::Const::Str(leak_str(s)),
                other => rt::Const::Json(leak_str(&other.to_string())),
            }),
            Schema::Array { items, rules } => {
                rt::Schema::Array { items: leak(self.schema(items)), rules: array(rules) }
            }
            Schema::Tuple { items, rules } => rt::Schema::Tuple {
                items: items.iter().map(|i| self.schema(i)).collect::<Vec<_>>().leak(),
                rules: array(rules),
            },
            Schema::Map { values, key_pattern } => rt::Schema::Map {
                values: leak(self.schema(values)),
                key_pattern: key_pattern.as_deref().map(|p| leak(rt::Pattern::new(leak_str(p)))),
            },
            Schema::Nullable(inner) => rt::Schema::Nullable(leak(self.schema(inner))),
            Schema::Named { id, .. } => match self.done.get(id) {
                Some(s) => rt::Schema::Named(s),
                None if self.stack.contains(id) => rt::Schema::Any,
                None => {
                    self.stack.push(*id);
                    let s = leak(self.named(*id));
                    self.stack.pop();
                    self.done.insert(*id, s);
                    rt::Schema::Named(s)
                }
            },
        }
    }

    fn named(&mut self, id: TypeId) -> rt::Schema {
        let t = &self.ir.types[id];
        match &t.kind {
            TypeKind::Struct(s) => {
                let fields = s
                    .fields
                    .iter()
                    .map(|f| rt::Field {
                        wire: leak_str(&f.wire),
                        schema: self.schema(&f.schema),
                        required: f.required,
                    })
                    .collect::<Vec<_>>()
                    .leak();
                let additional = match &s.additional {
                    Additional::Ignore => rt::Additional::Ignore,
                    Additional::Forbid => rt::Additional::Forbid,
                    Additional::Map(v) => rt::Additional::Map(leak(self.schema(v))),
                };
                rt::Schema::Object(leak(rt::Object::new(leak_str(&t.name), fields, additional)))
            }
            TypeKind::StringEnum(values) => {
                rt::Schema::StrEnum(values.iter().map(|v| leak_str(&v.wire)).collect::<Vec<_>>().leak())
            }
            TypeKind::IntEnum(values) => rt::Schema::IntEnum(values.clone().leak()),
            TypeKind::Union(u) => {
                let variants = u
                    .variants
                    .iter()
                    .map(|v| rt::Variant {
                        name: leak_str(&v.name),
                        tag: v.tag_value.as_deref().map(leak_str),
                        schema: self.schema(&v.schema),
                    })
                    .collect::<Vec<_>>()
                    .leak();
                rt::Schema::Union(leak(rt::Union::new(
                    leak_str(&t.name),
                    u.discriminator.as_deref().map(leak_str),
                    variants,
                )))
            }
            TypeKind::Alias(s) => self.schema(s),
        }
    }
}

fn num(r: &ir::NumberRules) -> rt::NumRules {
    rt::NumRules {
        minimum: r.minimum,
        maximum: r.maximum,
        exclusive_minimum: r.exclusive_minimum,
        exclusive_maximum: r.exclusive_maximum,
        multiple_of: r.multiple_of,
    }
}

fn array(r: &ir::ArrayRules) -> rt::ArrayRules {
    rt::ArrayRules { min_items: r.min_items, max_items: r.max_items, unique_items: r.unique_items }
}

fn format(f: &str) -> Option<rt::Format> {
    Some(match f {
        "date-time" => rt::Format::DateTime,
        "date" => rt::Format::Date,
        "time" => rt::Format::Time,
        "uuid" => rt::Format::Uuid,
        "email" => rt::Format::Email,
        "uri" => rt::Format::Uri,
        _ => return None,
    })
}

/// Checks every synthesized example of the document; returns (checked, without an example).
fn check_examples(name: &str, ir: &Ir) -> (usize, usize) {
    let mut convert = Convert { ir, done: HashMap::new(), stack: Vec::new() };
    let (mut checked, mut none) = (0, 0);
    for (ci, c) in ir.channels.iter().enumerate() {
        for (mi, m) in c.messages.iter().enumerate() {
            if m.binary {
                continue;
            }
            let Some(example) = docs::synthesized_example(ir, ci, mi) else {
                none += 1;
                continue;
            };
            let Some(payload) = &m.payload else { continue };
            let schema: &'static rt::Schema = leak(convert.schema(payload));
            let example: &'static Value = leak(example);
            let mut cx = rt::Cx::new(None);
            rt::check_value(example, schema, &mut cx);
            let errors = cx.into_errors();
            assert!(
                errors.is_empty(),
                "{name}: channel {} message {}: example {example} breaks its schema: {errors:?}",
                c.key,
                m.key
            );
            checked += 1;
        }
    }
    (checked, none)
}

fn ir_of_text(text: &str) -> Ir {
    let spec = Spec::from_text("examples.json", text).expect("spec parses");
    ir::build(&spec, &IrOptions::default()).expect("ir builds")
}

fn message(props: Value, required: &[&str]) -> Value {
    json!({"payload": {"type": "object", "properties": props, "required": required, "additionalProperties": false}})
}

#[test]
fn examples_meet_the_constraints_of_their_schema() {
    let messages = json!({
        "short": message(json!({"action": {"const": "short"}, "code": {"type": "string", "maxLength": 5}}), &["action", "code"]),
        "long": message(json!({"action": {"const": "long"}, "name": {"type": "string", "minLength": 12, "maxLength": 14}}), &["action", "name"]),
        "formats": message(json!({
            "action": {"const": "formats"},
            "at": {"type": "string", "format": "date-time"},
            "day": {"type": "string", "format": "date"},
            "time": {"type": "string", "format": "time"},
            "id": {"type": "string", "format": "uuid"},
            "mail": {"type": "string", "format": "email"},
            "link": {"type": "string", "format": "uri", "maxLength": 40}
        }), &["action", "at", "day", "time", "id", "mail", "link"]),
        "patterns": message(json!({
            "action": {"const": "patterns"},
            "sku": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]{4}$"},
            "room": {"type": "string", "pattern": "^[a-z0-9_-]+$", "minLength": 8},
            "hex": {"type": "string", "pattern": "^(0x)?[0-9a-f]{6,8}$"},
            "opt": {"type": "string", "pattern": "^(?:yes|no)$"}
        }), &["action", "sku", "room", "hex", "opt"]),
        "numbers": message(json!({
            "action": {"const": "numbers"},
            "age": {"type": "integer", "minimum": 18, "maximum": 130},
            "step": {"type": "integer", "minimum": 7, "multipleOf": 5},
            "neg": {"type": "integer", "maximum": -3},
            "open": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
            "tenth": {"type": "number", "minimum": 0.25, "multipleOf": 0.1},
            "strict": {"type": "integer", "exclusiveMinimum": 10}
        }), &["action", "age", "step", "neg", "open", "tenth", "strict"]),
        "arrays": message(json!({
            "action": {"const": "arrays"},
            "three": {"type": "array", "items": {"type": "string", "maxLength": 2}, "minItems": 3},
            "none": {"type": "array", "items": {"type": "integer"}, "maxItems": 0},
            "pair": {"type": "array", "prefixItems": [{"type": "integer"}, {"type": "boolean"}]}
        }), &["action", "three", "none", "pair"]),
        "choices": message(json!({
            "action": {"const": "choices"},
            "colour": {"type": "string", "enum": ["red", "green"]},
            "level": {"type": "integer", "enum": [3, 5]},
            "fixed": {"const": 42},
            "maybe": {"type": ["string", "null"], "minLength": 2},
            "either": {"oneOf": [{"type": "object", "properties": {"kind": {"const": "a"}, "x": {"type": "integer", "minimum": 1}}, "required": ["kind", "x"]}, {"type": "object", "properties": {"kind": {"const": "b"}}, "required": ["kind"]}]},
            "tags": {"type": "object", "patternProperties": {"^t_[0-9]+$": {"type": "string", "minLength": 3}}}
        }), &["action", "colour", "level", "fixed", "maybe", "either", "tags"]),
        "nested": message(json!({
            "action": {"const": "nested"},
            "user": {"$ref": "#/components/schemas/User"},
            "tree": {"$ref": "#/components/schemas/Node"}
        }), &["action", "user", "tree"])
    });
    let refs: serde_json::Map<String, Value> = messages
        .as_object()
        .expect("messages")
        .keys()
        .map(|k| (k.clone(), json!({"$ref": format!("#/components/messages/{k}")})))
        .collect();
    let text = json!({
        "asyncapi": "3.0.0",
        "info": {"title": "constraints", "version": "1"},
        "channels": {"c": {"address": "/c", "messages": refs}},
        "operations": {"o": {"action": "receive", "channel": {"$ref": "#/channels/c"}}},
        "components": {
            "messages": messages,
            "schemas": {
                "User": {"type": "object", "required": ["name", "email"], "properties": {
                    "name": {"type": "string", "minLength": 2, "maxLength": 3},
                    "email": {"type": "string", "format": "email"},
                    "score": {"type": "number", "maximum": -0.5}
                }},
                "Node": {"type": "object", "required": ["value"], "properties": {
                    "value": {"type": "integer", "minimum": 1},
                    "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
                    "parent": {"$ref": "#/components/schemas/Node"}
                }}
            }
        }
    })
    .to_string();
    let ir = ir_of_text(&text);
    let (checked, none) = check_examples("constraints", &ir);
    assert_eq!((checked, none), (8, 0), "every message of the constraints spec gets a valid example");
    // The case that started it: a `maxLength: 5` string used to show "string".
    let short = docs::synthesized_example(&ir, 0, 0).expect("example");
    assert_eq!(short["code"], json!("strin"));
}

#[test]
fn examples_are_left_out_rather_than_wrong() {
    let text = json!({
        "asyncapi": "3.0.0",
        "info": {"title": "impossible", "version": "1"},
        "channels": {"c": {"address": "/c", "messages": {
            "m": message(json!({"when": {"type": "string", "format": "date-time", "maxLength": 5}}), &["when"]),
            "n": message(json!({"x": {"type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 1}}), &["x"])
        }}},
        "operations": {"o": {"action": "receive", "channel": {"$ref": "#/channels/c"}}}
    })
    .to_string();
    let ir = ir_of_text(&text);
    assert_eq!(docs::synthesized_example(&ir, 0, 0), None);
    assert_eq!(docs::synthesized_example(&ir, 0, 1), None);
    assert_eq!(docs::synthesized_example(&ir, 0, 9), None, "an unknown message has none");
    let page = docs::emit_html(&ir);
    assert!(!page.contains("Example frame"), "no example box without a valid example");
}

/// The vendored corpus and the project's own valid specs.
fn corpus() -> Vec<PathBuf> {
    support::corpus::documents_3x_and_repo()
}

#[test]
fn every_corpus_example_meets_its_schema() {
    let files = corpus();
    assert!(files.len() >= 25, "corpus not found: {} files", files.len());
    let (mut specs, mut checked, mut none) = (0, 0, 0);
    for path in &files {
        // Specs the generator refuses (invalid ones, other protocols) have no page.
        let Ok(spec) = Spec::load(path) else { continue };
        let Ok(ir) = ir::build(&spec, &IrOptions::default()) else { continue };
        let (c, n) = check_examples(&path.display().to_string(), &ir);
        specs += 1;
        checked += c;
        none += n;
    }
    eprintln!("{specs} specs: {checked} examples checked, {none} messages without one");
    assert!(specs >= 25 && checked >= 100, "too few examples checked: {specs} specs, {checked} examples");
}
