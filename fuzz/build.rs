//! Generates the chat APIs the `frame` target decodes, from the specs in `specs/`, so the
//! fuzzer always exercises what the generator emits today: one `include!`-able file per spec,
//! `OUT_DIR/<module>/rust/api.rs`, brought in with `chanx::include_api!("<module>")`.

use std::path::{Path, PathBuf};

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let specs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs");
    for (module, spec) in [("chanx_chat", "chanx-chat.yaml"), ("chat_ws", "chat-ws.yaml")] {
        chanx_gen::Config::new(specs.join(spec))
            .rust_only()
            .single_file(true)
            .emit_rerun_if_changed(true)
            .generate(out.join(module))
            .unwrap_or_else(|e| panic!("generate {spec}: {e:?}"));
    }
}
