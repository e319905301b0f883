//! Arbitrary bytes as the text of a root spec document: parse, build the IR and, when it builds,
//! run every emitter. Nothing may panic or overflow the stack; errors are fine.
#![no_main]

use chanx_gen::emit;
use chanx_gen::ir::{self, IrOptions};
use chanx_gen::parse::Spec;
use libfuzzer_sys::fuzz_target;

/// The root document's name. Relative `$ref`s are read from disk next to it, so the seeds from
/// `specs/` find `common.yaml`.
const NAME: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../specs/fuzz-input.yaml");

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(spec) = Spec::from_text(NAME, text) else { return };
    let Ok(ir) = ir::build(&spec, &IrOptions::default()) else { return };
    let _ = emit::rust::emit(&ir);
    let _ = emit::ts::emit(&ir);
    let _ = emit::docs::emit_html(&ir);
});
