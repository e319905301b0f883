//! Deeply nested schemas (as deep as the loaders accept) never overflow the stack in any stage,
//! on a test thread's small stack: parse, IR, and all three emitters. Inline schemas nested deeper
//! than 32 levels are refused with a located error (the Rust emitter's `Vec<Vec<...>>` types and
//! `syn` recurse once per level).

use chanx_gen::emit;
use chanx_gen::ir::{self, IrOptions};
use chanx_gen::parse::Spec;
use serde_json::{Value, json};

fn nest(depth: usize, style: usize) -> Value {
    let mut v = json!({"type": "string"});
    for _ in 0..depth {
        v = match style {
            0 => json!({ "type": "object", "properties": { "a": v } }),
            1 => json!({ "type": "array", "items": v }),
            2 => json!({ "allOf": [v] }),
            3 => json!({ "anyOf": [v, { "type": "null" }] }),
            4 => json!({ "oneOf": [v, { "type": "integer" }] }),
            _ => json!({ "type": "object", "additionalProperties": v }),
        };
    }
    v
}

fn spec(payload: Value) -> String {
    json!({
        "asyncapi": "3.0.0",
        "info": {"title": "t", "version": "1"},
        "channels": {"c": {"address": "/c", "messages": {"m": {"payload": payload}}}},
        "operations": {"o": {"action": "receive", "channel": {"$ref": "#/channels/c"}}}
    })
    .to_string()
}

#[test]
fn every_stage_survives_the_deepest_schemas_the_loader_accepts() {
    for style in 0..6 {
        for depth in [10, 30, 60, 120] {
            let text = spec(nest(depth, style));
            let Ok(spec) = Spec::from_text("api.json", &text) else { continue };
            match ir::build(&spec, &IrOptions::default()) {
                Ok(ir) => {
                    let _ = emit::rust::emit(&ir);
                    let _ = emit::ts::emit(&ir);
                    let _ = emit::docs::emit_html(&ir);
                }
                Err(errors) => {
                    assert!(depth > 30, "style {style} depth {depth}: {errors:?}");
                    assert!(
                        errors.iter().any(|e| e.message == "schema nested deeper than 32 levels"),
                        "style {style} depth {depth}: {errors:?}"
                    );
                }
            }
        }
    }
}
