//! Generates the notifications API from the Chanx notifications sample's spec
//! (`tests/corpus/specs-extra/chanx-notifications.yaml`) into `OUT_DIR/notifications/rust/api.rs`;
//! `src/lib.rs` brings it in with `chanx::include_api!("notifications")`.

use std::path::PathBuf;

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    chanx_gen::Config::new("../../tests/corpus/specs-extra/chanx-notifications.yaml")
        .rust_only()
        .single_file(true)
        .emit_rerun_if_changed(true)
        .generate(out.join("notifications"))
        .expect("generate the notifications API");
}
