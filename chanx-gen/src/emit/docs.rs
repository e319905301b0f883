//! HTML documentation emitter: `&Ir` → one self-contained page.

use crate::ir::Ir;

/// Renders the documentation page.
pub fn emit_html(ir: &Ir) -> String {
    let _ = ir;
    String::new()
}
