//! Docs page speed: IR → HTML (`emit::docs::emit_html`) on the Chanx chat spec, a large
//! official example, a large real-world spec, and a spec that reuses its named schemas deeply
//! (a chain of 40 schemas each referring to the one before twice, 40 messages referring to all
//! of them: the shape that used to make the page grow with the cube of the spec).

use std::path::PathBuf;

use chanx_gen::emit::docs::emit_html;
use chanx_gen::ir::{Ir, IrOptions, build};
use chanx_gen::parse::Spec;
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Map, Value, json};

/// The corpus vendored in the repository (`tests/corpus/`).
fn corpus() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/corpus"))
}

fn ir(spec: &Spec) -> Ir {
    build(spec, &IrOptions::default()).expect("ir builds")
}

fn chain(n: usize) -> String {
    let r = |name: String| json!({"$ref": format!("#/components/schemas/{name}")});
    let mut schemas = Map::new();
    schemas.insert("S0".into(), json!({"type": "object", "properties": {"v": {"type": "string"}}}));
    for i in 1..n {
        schemas.insert(
            format!("S{i}"),
            json!({"type": "object", "properties": {"a": r(format!("S{}", i - 1)), "b": r(format!("S{}", i - 1))}}),
        );
    }
    let mut messages = Map::new();
    for j in 0..n {
        // Each message tagged by `action`, so that the messages can be told apart.
        let mut props: Map<String, Value> = (0..n).map(|i| (format!("s{i}"), r(format!("S{i}")))).collect();
        props.insert("action".into(), json!({"type": "string", "const": format!("m{j}")}));
        messages.insert(format!("m{j}"), json!({"payload": {"type": "object", "properties": props}}));
    }
    json!({
        "asyncapi": "3.0.0",
        "info": {"title": "chain", "version": "1"},
        "channels": {"c": {"address": "/c", "messages": messages}},
        "operations": {"o": {"action": "receive", "channel": {"$ref": "#/channels/c"}}},
        "components": {"schemas": schemas}
    })
    .to_string()
}

fn bench(c: &mut Criterion) {
    let mut specs: Vec<(&str, Spec)> = Vec::new();
    let files = [
        ("chanx-chat", PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../specs/chanx-chat.yaml"))),
        (
            "kraken (official example)",
            corpus().join("asyncapi/examples/kraken-websocket-request-reply-multiple-channels-asyncapi.yml"),
        ),
        (
            "deepgram (real-world, large)",
            corpus().join("asyncapi/real-world/deepgram__deepgram-api-specs/asyncapi.yml"),
        ),
    ];
    for (name, path) in files {
        assert!(path.is_file(), "{} is missing", path.display());
        specs.push((name, Spec::load(&path).expect("spec loads")));
    }
    specs.push((
        "chain of 40 reused schemas",
        Spec::from_text("chain.json", &chain(40)).expect("spec parses"),
    ));
    let mut group = c.benchmark_group("docs_html");
    group.sample_size(20);
    for (name, spec) in &specs {
        let ir = ir(spec);
        group.bench_function(*name, |b| b.iter(|| emit_html(&ir).len()));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
