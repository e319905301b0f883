//! Inputs that once crashed the generator (found by `fuzz/` or the property tests, see
//! RELIABILITY.md), kept as plain tests with the error they must give now.

use chanx_gen::Error;
use chanx_gen::ir::{self, IrOptions};
use chanx_gen::parse::Spec;

fn run(text: &str) -> Result<(), Error> {
    let spec = Spec::from_text("api.yaml", text)?;
    ir::build(&spec, &IrOptions::default()).map(|_| ()).map_err(Error::Invalid)
}

fn doc(schemas: &str) -> String {
    format!(
        "asyncapi: 3.0.0\ninfo: {{title: t, version: '1'}}\nchannels:\n  c:\n    address: /c\n    messages:\n      m:\n        payload: {{$ref: '#/components/schemas/A'}}\noperations:\n  o:\n    action: receive\n    channel: {{$ref: '#/channels/c'}}\ncomponents:\n  schemas:\n{schemas}"
    )
}

/// Stack overflow: a `$ref` whose pointer passes through the `$ref` itself
/// (`A: {$ref: '#/components/schemas/A/properties/nope'}`): following `A/properties` went back
/// to `A`'s `$ref`, recursively and without bound (the hop limit was per call).
#[test]
fn a_ref_through_itself_is_a_chain_error_not_a_stack_overflow() {
    let cases = [
        "    A: {$ref: '#/components/schemas/A/properties/nope'}\n",
        "    A: {$ref: '#/components/schemas/B/x'}\n    B: {$ref: '#/components/schemas/A/y'}\n",
        "    A: {$ref: '#/components/schemas/A/properties/x/items'}\n",
    ];
    for schemas in cases {
        let err = run(&doc(schemas)).expect_err(schemas);
        assert!(matches!(err, Error::RefChainTooLong { .. }), "{schemas}: {err:?}");
        assert!(err.to_string().starts_with("api.yaml#/"), "{err}");
        assert!(err.to_string().ends_with("$ref chain longer than 64 hops"), "{err}");
    }
}

/// Stack overflow (found by `prop_spec.rs` with seed 22): a union branch that refers back to the
/// union itself (`ClientMessage: {oneOf: [{$ref: ClientMessage}, ...]}`) made the search for
/// constant (tag) properties recurse forever. Every stage must now finish.
#[test]
fn a_union_branch_referring_to_its_union_does_not_overflow() {
    let schemas = "    A:\n      discriminator: action\n      oneOf:\n        - $ref: '#/components/schemas/A'\n        - {type: object, properties: {action: {const: b}}}\n";
    let text = doc(schemas);
    // Run on a test thread's small stack on purpose: the recursion was unbounded.
    match Spec::from_text("api.yaml", &text).map(|spec| ir::build(&spec, &IrOptions::default())) {
        Ok(Ok(ir)) => {
            let _ = chanx_gen::emit::rust::emit(&ir);
            let _ = chanx_gen::emit::ts::emit(&ir);
            let _ = chanx_gen::emit::docs::emit_html(&ir);
        }
        Ok(Err(diagnostics)) => assert!(!diagnostics.is_empty()),
        Err(e) => panic!("the spec parses: {e}"),
    }
}
