//! Rust emitter: `&Ir` → the modules of `DIR/rust/`.

use crate::emit::GeneratedFile;
use crate::ir::Ir;

/// Emits `mod.rs`, the common types module and one module per channel.
pub fn emit(ir: &Ir) -> Vec<GeneratedFile> {
    let _ = ir;
    Vec::new()
}
