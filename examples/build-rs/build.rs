//! Generates the chat API from `specs/chanx-chat.yaml` into `OUT_DIR/chat/rust/api.rs` on every
//! build whose spec changed; `src/lib.rs` brings it in with `chanx::include_api!("chat")`.

use std::path::PathBuf;

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    chanx_gen::Config::new("../../specs/chanx-chat.yaml")
        .rust_only()
        .single_file(true)
        .emit_rerun_if_changed(true)
        .generate(out.join("chat"))
        .expect("generate the chat API");
}
