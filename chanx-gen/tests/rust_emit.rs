//! Snapshots of the generated Rust for the project's specs and a selection of the official
//! AsyncAPI examples. Review diffs like code.

use std::path::Path;

use chanx_gen::emit::rust::emit;
use chanx_gen::ir::{IrOptions, build};
use chanx_gen::parse::Spec;

mod support;
use support::corpus;

/// All generated files of one spec, concatenated with a separator line per file.
fn generate(path: &Path) -> String {
    let spec = Spec::load(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let ir = build(&spec, &IrOptions::default()).unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
    let mut out = String::new();
    for f in emit(&ir) {
        out.push_str(&format!("// ==== {} ====\n", f.path));
        out.push_str(&f.contents);
    }
    out
}

fn snapshot(name: &str, path: &Path) {
    assert!(path.is_file(), "{} is missing", path.display());
    let text = generate(path);
    assert_eq!(text, generate(path), "output must be deterministic");
    insta::assert_snapshot!(format!("rust_{name}"), text);
}

#[test]
fn chanx_chat() {
    snapshot("chanx_chat", Path::new("../specs/chanx-chat.yaml"));
}

#[test]
fn chat_ws() {
    snapshot("chat_ws", Path::new("../specs/chat-ws.yaml"));
}

/// Schemas in separate files (named after their component key, `title` or file name; `$defs`
/// qualified by their file), `const` types, a binary push helper, and absent / `null` kept apart.
#[test]
fn real_world() {
    snapshot("real_world", Path::new("../specs/real-world.yaml"));
}

#[test]
fn official_examples() {
    for name in [
        "simple",
        "gitter-streaming",
        "websocket-gemini",
        "kraken-websocket-request-reply-multiple-channels",
        "oneof",
        "anyof",
    ] {
        let path = corpus::dir("asyncapi/examples").join(format!("{name}-asyncapi.yml"));
        snapshot(&name.replace('-', "_"), &path);
    }
}

#[test]
fn real_world_tags() {
    snapshot("real_world_tags", Path::new("../specs/real-world-tags.yaml"));
}
