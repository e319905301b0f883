//! Snapshots of the generated Rust for the project's specs and a selection of the official
//! AsyncAPI examples. Review diffs like code.

use std::path::{Path, PathBuf};

use chanx_gen::emit::rust::emit;
use chanx_gen::ir::{IrOptions, build};
use chanx_gen::parse::Spec;

fn shared() -> PathBuf {
    // The shared corpus sits next to the workspace root (`<root>/../shared`).
    std::env::var_os("CHANX_SHARED")
        .map_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared")), PathBuf::from)
}

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
    if !path.exists() {
        eprintln!("skipped: {} is not there", path.display());
        return;
    }
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

#[test]
fn official_examples() {
    for name in [
        "simple",
        "gitter-streaming",
        "slack-rtm",
        "websocket-gemini",
        "kraken-websocket-request-reply-multiple-channels",
        "oneof",
        "anyof",
    ] {
        let path = shared().join(format!("asyncapi/examples/{name}-asyncapi.yml"));
        snapshot(&name.replace('-', "_"), &path);
    }
}
