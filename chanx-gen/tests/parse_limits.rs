//! Malformed and huge input never panics nor overflows the stack: deep nesting, long `$ref`
//! chains, many schemas, garbage text.

use chanx_gen::ir::{self, IrOptions};
use chanx_gen::parse::Spec;

fn run(name: &str, text: &str) -> Result<(), String> {
    let spec = Spec::from_text(name, text).map_err(|e| e.to_string())?;
    ir::build(&spec, &IrOptions::default()).map(|_| ()).map_err(|d| chanx_gen::Error::Invalid(d).to_string())
}

fn doc(payload: &str, schemas: &str) -> String {
    format!(
        "asyncapi: 3.0.0\ninfo: {{title: t, version: '1'}}\nchannels:\n  c:\n    address: /c\n    messages:\n      m:\n        payload: {payload}\noperations:\n  o:\n    action: receive\n    channel: {{$ref: '#/channels/c'}}\ncomponents:\n  schemas:\n{schemas}"
    )
}

#[test]
fn deeply_nested_yaml_flow_is_refused_not_crashed() {
    for depth in [50, 200, 2_000] {
        let payload = format!(
            "{}{}",
            "{type: array, items: ".repeat(depth),
            "{type: string}".to_owned() + &"}".repeat(depth)
        );
        let r = run("deep.yaml", &doc(&payload, "    X: {type: string}\n"));
        if depth >= 200 {
            assert!(r.is_err(), "depth {depth} accepted");
        }
    }
}

#[test]
fn deeply_nested_json_is_refused_not_crashed() {
    let depth = 100_000;
    let text = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let r = run("deep.json", &text);
    assert!(r.is_err());
    let deep_obj =
        format!("{{\"asyncapi\": \"3.0.0\", \"x\": {}1{}}}", "{\"a\":".repeat(depth), "}".repeat(depth));
    assert!(run("deep.json", &deep_obj).is_err());
}

#[test]
fn long_ref_chains_and_many_schemas() {
    // A chain of 500 aliases: refused as too long, no stack overflow.
    let mut schemas = String::new();
    for i in 0..500 {
        schemas.push_str(&format!("    S{i}: {{$ref: '#/components/schemas/S{}'}}\n", i + 1));
    }
    schemas.push_str("    S500: {type: string}\n");
    let r = run("chain.yaml", &doc("{$ref: '#/components/schemas/S0'}", &schemas));
    assert!(r.as_ref().is_err_and(|e| e.contains("$ref chain longer than")), "{r:?}");

    // 2000 structs referring to the next one: fine (worklist, no recursion per reference).
    let mut schemas = String::new();
    for i in 0..2000 {
        schemas.push_str(&format!(
            "    T{i}:\n      type: object\n      properties:\n        next: {{$ref: '#/components/schemas/T{}'}}\n",
            (i + 1) % 2000
        ));
    }
    let r = run("ring.yaml", &doc("{$ref: '#/components/schemas/T0'}", &schemas));
    assert!(r.is_ok(), "{r:?}");
}

#[test]
fn self_referencing_allof_and_anyof_do_not_loop() {
    let schemas = "    A:\n      allOf:\n        - $ref: '#/components/schemas/A'\n        - type: object\n          properties:\n            x: {type: string}\n    B:\n      anyOf:\n        - $ref: '#/components/schemas/B'\n        - type: 'null'\n";
    let r = run("self.yaml", &doc("{$ref: '#/components/schemas/A'}", schemas));
    // Either accepted or refused with a message; never a hang or a crash.
    let _ = r;
}

#[test]
fn garbage_does_not_panic() {
    let samples = [
        "",
        "null",
        "[]",
        "42",
        "asyncapi: 3.0.0",
        "asyncapi: 3.0.0\nchannels: 5",
        "asyncapi: 3.0.0\nchannels:\n  c: [1]",
        "asyncapi: 3.0.0\noperations:\n  o: {action: publish}",
        "asyncapi: 3.0.0\noperations:\n  o: {action: send}",
        "asyncapi: 3.0.0\nchannels:\n  c:\n    messages:\n      m: {payload: 7}",
        "asyncapi: 3.0.0\ncomponents:\n  schemas:\n    X: {type: [1, 2]}",
        "asyncapi: 3.0.0\ncomponents:\n  schemas:\n    X: {$ref: '#/components/schemas/X'}",
        "{\"asyncapi\": [}",
        "\t- :",
        "asyncapi: 3.0.0\nchannels:\n  c:\n    messages:\n      m: {$ref: '#'}",
        "asyncapi: 3.0.0\nchannels:\n  c:\n    messages:\n      m: {$ref: '#/%ZZ/~2'}",
        "asyncapi: 3.0.0\ncomponents:\n  schemas:\n    X: {enum: []}\n    Y: {oneOf: []}\n    Z: {allOf: []}\n    W: {type: object, properties: 3}",
    ];
    for s in samples {
        let _ = run("garbage.yaml", s);
    }
}
