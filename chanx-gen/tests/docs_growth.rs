//! The docs page grows linearly with the spec, however widely or deeply the spec reuses its
//! named schemas and messages: each type and each message definition is rendered once and
//! linked from its other uses, and examples have a fixed budget. Sizes only (bytes of HTML per
//! byte of spec), no timing.

use chanx_gen::emit::docs;
use chanx_gen::ir::{self, IrOptions};
use chanx_gen::parse::Spec;
use serde_json::{Map, Value, json};

fn document(schemas: Map<String, Value>, messages: Map<String, Value>) -> String {
    let refs: Map<String, Value> =
        messages.keys().map(|k| (k.clone(), json!({"$ref": format!("#/components/messages/{k}")}))).collect();
    json!({
        "asyncapi": "3.0.0",
        "info": {"title": "growth", "version": "1"},
        "channels": {"c": {"address": "/c", "messages": refs}},
        "operations": {"o": {"action": "receive", "channel": {"$ref": "#/channels/c"}}},
        "components": {"schemas": schemas, "messages": messages}
    })
    .to_string()
}

fn schema_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

/// A chain of `n` schemas, each referring to the one before it twice; `n` messages, each
/// referring to every schema of the chain.
fn chain(n: usize) -> String {
    let mut schemas = Map::new();
    schemas.insert(
        "S0".into(),
        json!({"type": "object", "properties": {"v": {"type": "string", "maxLength": 5}}, "required": ["v"]}),
    );
    for i in 1..n {
        let prev = format!("S{}", i - 1);
        schemas.insert(
            format!("S{i}"),
            json!({"type": "object", "properties": {"a": schema_ref(&prev), "b": schema_ref(&prev)}, "required": ["a", "b"]}),
        );
    }
    let mut messages = Map::new();
    for j in 0..n {
        let mut props = Map::new();
        props.insert("action".into(), json!({"const": format!("m{j}"), "type": "string"}));
        for i in 0..n {
            props.insert(format!("s{i}"), schema_ref(&format!("S{i}")));
        }
        messages.insert(
            format!("m{j}"),
            json!({"payload": {"type": "object", "properties": props, "required": ["action"]}}),
        );
    }
    document(schemas, messages)
}

/// `n` schemas of `n` properties, each property referring to the schema before; `n` messages
/// whose payload is the last schema.
fn wide(n: usize) -> String {
    let mut schemas = Map::new();
    let leaf: Map<String, Value> = (0..n).map(|k| (format!("p{k}"), json!({"type": "string"}))).collect();
    schemas.insert("W0".into(), json!({"type": "object", "properties": leaf}));
    for i in 1..n {
        let props: Map<String, Value> =
            (0..n).map(|k| (format!("p{k}"), schema_ref(&format!("W{}", i - 1)))).collect();
        schemas.insert(format!("W{i}"), json!({"type": "object", "properties": props, "required": ["p0"]}));
    }
    // Each message carries its own `type` tag: identical untagged payloads could not be told apart.
    let messages = (0..n)
        .map(|j| {
            let payload = json!({"type": "object", "properties": {
                "type": {"const": format!("m{j}")},
                "body": schema_ref(&format!("W{}", n - 1)),
            }});
            (format!("m{j}"), json!({ "payload": payload }))
        })
        .collect();
    document(schemas, messages)
}

/// One message whose payload nests anonymous objects `n` levels deep, `n` properties each.
fn nested(n: usize) -> String {
    let mut v = json!({"type": "string"});
    for level in 0..n {
        let props: Map<String, Value> = (0..n)
            .map(|k| (format!("f{level}_{k}"), if k == 0 { v.clone() } else { json!({"type": "integer"}) }))
            .collect();
        v = json!({"type": "object", "properties": props, "required": [format!("f{level}_0")]});
    }
    let mut messages = Map::new();
    messages.insert("m".into(), json!({"payload": v}));
    document(Map::new(), messages)
}

/// One message, with a description and payload that grow with `n`, used by `n` channels.
fn shared_message(n: usize) -> String {
    let props: Map<String, Value> = (0..n).map(|k| (format!("p{k}"), json!({"type": "integer"}))).collect();
    let mut channels = Map::new();
    let mut operations = Map::new();
    for c in 0..n {
        channels.insert(
            format!("c{c}"),
            json!({"address": format!("/c{c}"), "messages": {"m": {"$ref": "#/components/messages/m"}}}),
        );
        operations.insert(
            format!("o{c}"),
            json!({"action": "receive", "channel": {"$ref": format!("#/channels/c{c}")}}),
        );
    }
    json!({
        "asyncapi": "3.0.0",
        "info": {"title": "growth", "version": "1"},
        "channels": channels,
        "operations": operations,
        "components": {"messages": {"m": {
            "description": "A long description. ".repeat(5 * n),
            "payload": {"type": "object", "properties": props}
        }}}
    })
    .to_string()
}

fn page_bytes(text: &str) -> usize {
    let spec = Spec::from_text("growth.json", text).expect("spec parses");
    let ir = ir::build(&spec, &IrOptions::default()).expect("ir builds");
    docs::emit_html(&ir).len()
}

/// Bytes of HTML per byte of spec (beyond the fixed part of the page: CSS, script, headings)
/// stay under `bound` at every size, and stop growing: the ratio at the largest size is at
/// most 10% over the ratio at the size before it.
fn assert_linear(name: &str, sizes: &[usize], make: fn(usize) -> String, bound: f64) {
    let fixed = page_bytes(&document(Map::new(), Map::new()));
    let mut ratios = Vec::new();
    for &n in sizes {
        let text = make(n);
        let ratio = page_bytes(&text).saturating_sub(fixed) as f64 / text.len() as f64;
        eprintln!("{name}({n}): {} bytes of spec, {ratio:.1} bytes of HTML per byte", text.len());
        assert!(ratio <= bound, "{name}({n}): {ratio:.1} bytes of HTML per byte of spec (bound {bound})");
        ratios.push(ratio);
    }
    let [.., before, last] = ratios[..] else { panic!("need two sizes") };
    assert!(last <= before * 1.1, "{name}: the ratio still grows ({before:.1} → {last:.1}): {ratios:?}");
}

#[test]
fn a_chain_of_doubly_referenced_schemas_gives_a_linear_page() {
    assert_linear("chain", &[4, 8, 16, 32, 64], chain, 40.0);
}

#[test]
fn wide_reuse_of_named_schemas_gives_a_linear_page() {
    assert_linear("wide", &[4, 8, 16, 32], wide, 60.0);
}

#[test]
fn deeply_nested_anonymous_objects_give_a_linear_page() {
    assert_linear("nested", &[4, 8, 16, 30], nested, 40.0);
}

#[test]
fn a_message_shared_by_many_channels_gives_a_linear_page() {
    assert_linear("shared message", &[4, 8, 16, 32, 64], shared_message, 40.0);
}
