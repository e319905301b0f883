//! The checked-in generated modules are exactly what the generator emits now. Set
//! `CHANX_BLESS=1` to rewrite them.

use std::path::Path;

use chanx_gen::emit::rust::emit;
use chanx_gen::ir::{IrOptions, build};
use chanx_gen::parse::Spec;

/// `out`: the folder holding the generated `mod.rs`, relative to this crate.
fn check(spec: &str, out: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // Relative path, so the `@generated` header never names an absolute path.
    let spec_path = Path::new("../../specs").join(spec);
    let spec = Spec::load(&spec_path).expect("spec loads");
    let ir = build(&spec, &IrOptions::default()).expect("ir builds");
    let dir = out;
    let out = root.join(out);
    let bless = std::env::var_os("CHANX_BLESS").is_some();
    let mut stale = Vec::new();
    for f in emit(&ir) {
        let path = out.join(&f.path);
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if current != f.contents {
            if bless {
                std::fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
                std::fs::write(&path, &f.contents).expect("write");
            } else {
                stale.push(f.path);
            }
        }
    }
    assert!(stale.is_empty(), "stale generated files in {dir}: {stale:?} (run with CHANX_BLESS=1)");
}

#[test]
fn chanx_chat_is_up_to_date() {
    // The chat example's checked-in API is the one compiled here (no second copy).
    check("chanx-chat.yaml", "../../examples/chat/src/api/rust");
}

#[test]
fn chat_ws_is_up_to_date() {
    check("chat-ws.yaml", "src/generated/chat_ws");
}

#[test]
fn hostile_text_is_up_to_date() {
    check("hostile-text.yaml", "src/generated/hostile_text");
}

#[test]
fn real_world_is_up_to_date() {
    check("real-world.yaml", "src/generated/real_world");
}

#[test]
fn real_world_tags_is_up_to_date() {
    check("real-world-tags.yaml", "src/generated/real_world_tags");
}
