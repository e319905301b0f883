//! TypeScript and docs for real specs: snapshots for the specs in `specs/`, and for every corpus
//! document a generated folder (written to `CHANX_TS_OUT` when set, for `tests/ts/check.sh`).

use std::path::{Path, PathBuf};

use chanx_gen::emit::{docs, ts};
use chanx_gen::ir::{Ir, IrOptions, build};

fn ir_of(path: &Path) -> Ir {
    let spec = corpus::load(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    build(&spec, &IrOptions::default()).unwrap_or_else(|diags| {
        let text: Vec<String> = diags.iter().map(|d| format!("{}: {}", d.location, d.message)).collect();
        panic!("{}:\n{}", path.display(), text.join("\n"))
    })
}

mod support;
use support::corpus;

#[test]
fn every_corpus_spec_generates_typescript_and_docs() {
    let files: Vec<PathBuf> =
        corpus::documents_all_and_repo().into_iter().filter(|p| !corpus::is_remote_ref_example(p)).collect();
    assert!(files.len() >= 25, "corpus not found: {files:?}");
    let out = std::env::var_os("CHANX_TS_OUT").map(PathBuf::from);
    let mut seen = std::collections::BTreeSet::new();
    for path in &files {
        let ir = ir_of(path);
        let generated = ts::emit(&ir);
        assert!(generated.iter().any(|f| f.path == "index.ts"), "{}", path.display());
        let html = docs::emit_html(&ir);
        assert!(html.starts_with("<!DOCTYPE html>"), "{}", path.display());
        if let Some(out) = &out {
            let name = corpus::flat_name(path);
            assert!(seen.insert(name.clone()), "two specs map to {name}");
            let dir = out.join(&name);
            std::fs::create_dir_all(&dir).expect("create output dir");
            for f in &generated {
                std::fs::write(dir.join(&f.path), &f.contents).expect("write generated file");
            }
            if let Some(docs_out) = std::env::var_os("CHANX_DOCS_OUT") {
                std::fs::create_dir_all(&docs_out).expect("create docs dir");
                std::fs::write(Path::new(&docs_out).join(format!("{name}.html")), &html).expect("write page");
            }
        }
    }
}

fn repo_spec(name: &str) -> PathBuf {
    corpus::specs().join(name)
}

fn joined(files: &[chanx_gen::emit::GeneratedFile]) -> String {
    files
        .iter()
        .filter(|f| f.path != "runtime.ts")
        .map(|f| format!("=== {} ===\n{}", f.path, f.contents))
        .collect()
}

#[test]
fn chanx_chat_typescript() {
    let ir = ir_of(&repo_spec("chanx-chat.yaml"));
    insta::assert_snapshot!(joined(&ts::emit(&ir)));
}

#[test]
fn chat_ws_typescript() {
    let ir = ir_of(&repo_spec("chat-ws.yaml"));
    insta::assert_snapshot!(joined(&ts::emit(&ir)));
}

#[test]
fn hostile_text_typescript() {
    let ir = ir_of(&repo_spec("hostile-text.yaml"));
    insta::assert_snapshot!(joined(&ts::emit(&ir)));
}

/// Schemas in separate files, `const` properties (literal types), a binary `send` message and
/// optional / nullable properties (`p?: T`, `p: T | null`, `p?: T | null`).
#[test]
fn real_world_typescript() {
    let ir = ir_of(&repo_spec("real-world.yaml"));
    insta::assert_snapshot!(joined(&ts::emit(&ir)));
}

#[test]
fn chanx_chat_docs() {
    let ir = ir_of(&repo_spec("chanx-chat.yaml"));
    insta::assert_snapshot!(docs::emit_html(&ir));
}

#[test]
fn chat_ws_docs() {
    let ir = ir_of(&repo_spec("chat-ws.yaml"));
    insta::assert_snapshot!(docs::emit_html(&ir));
}

#[test]
fn runtime_is_copied_verbatim() {
    let ir = ir_of(&repo_spec("chanx-chat.yaml"));
    let runtime = ts::emit(&ir).into_iter().find(|f| f.path == "runtime.ts").expect("runtime.ts");
    assert!(runtime.contents.contains("export class ChanxClient"));
}
