//! Generates the chat APIs the `frame` target decodes, from the specs in `specs/`, so the
//! fuzzer always exercises what the generator emits today.

use std::path::{Path, PathBuf};

fn main() {
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let specs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs");
    let mut wrapper = String::new();
    for (module, spec) in [("chanx_chat", "chanx-chat.yaml"), ("chat_ws", "chat-ws.yaml")] {
        let dir = out.join(module);
        chanx_gen::Config::new(specs.join(spec))
            .rust_only()
            .emit_rerun_if_changed(true)
            .generate(&dir)
            .unwrap_or_else(|e| panic!("generate {spec}: {e}"));
        wrapper.push_str(&format!(
            "/// Generated from `specs/{spec}`.\n#[path = {:?}]\npub mod {module};\n",
            dir.join("rust/mod.rs").display().to_string()
        ));
    }
    println!("cargo:rerun-if-changed=../specs/common.yaml");
    std::fs::write(out.join("apis.rs"), wrapper).expect("write apis.rs");
}
